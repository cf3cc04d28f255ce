"""Every public op has an OpCase (so its gradient is checked), and every registered layer class
round-trips its config. This is how "every gradient is checked" stays true as ops are added."""

import importlib
import pathlib

import neuronio.ops as ops
from neuronio import _registry, layers

OPS_TESTS = pathlib.Path(__file__).parent / "ops"


def _op_cases():
    names = set()
    for path in sorted(OPS_TESTS.glob("test_*.py")):
        module = importlib.import_module(f"tests.ops.{path.stem}")
        names |= {case.name for case in getattr(module, "CASES", [])}
    return names


def test_every_public_op_has_an_op_case():
    cases = _op_cases()
    missing = [op for op in ops.__all__ if not any(n == op or n.startswith(op + "_") for n in cases)]
    assert missing == [], f"ops without an OpCase (add one in tests/ops): {missing}"


def _layer_cases():
    """The layer classes of every check_layer CASES list in tests/layers: (class, kwargs, ...) tuples."""
    names = set()
    for path in sorted((OPS_TESTS.parent / "layers").glob("test_*.py")):
        module = importlib.import_module(f"tests.layers.{path.stem}")
        names |= {case[0].__name__ for case in getattr(module, "CASES", []) if isinstance(case[0], type)}
    return names


def test_every_registered_layer_round_trips_its_config():
    from tests.layers.test_more_layers import MERGES as MORE_MERGES
    from tests.recurrent.test_recurrent_layers import CHECKED as RECURRENT_CHECKED

    merges = {"Add", "Subtract", "Multiply", "Concatenate", "Average", "Maximum"}
    checked = _layer_cases() | merges | MORE_MERGES | {"Lambda"}
    checked |= RECURRENT_CHECKED
    # InputLayer, the models, Lambda and the preprocessing layers have tests of their own (the
    # Distiller's: tests/distillation/test_distiller_saving.py).
    others = {"InputLayer", "Sequential", "Functional", "Distiller"}
    registered = {layers.registry.name_of(layers.registry.lookup(n)) for n in layers.registry.names()}
    unchecked = sorted(registered - checked - others - _preprocessing_layers())
    assert unchecked == [], f"registered layers with no check_layer case in tests/layers: {unchecked}"


def _preprocessing_layers():
    try:
        from neuronio.layers import preprocessing
    except ImportError:
        return set()
    return {name for name in dir(preprocessing) if name.startswith(("Random", "Elastic"))}


def test_a_class_missing_from_the_table_is_saved_as_neuronios_own():
    # A new neuronio-only class needs no list to remember: it is not Keras's until the table says so.
    assert _registry.envelope("layers", "BrandNewLayer", {}) == {
        "module": "neuronio.layers",
        "class_name": "BrandNewLayer",
        "config": {},
        "registered_name": "neuronio>BrandNewLayer",
    }
    assert _registry.envelope("layers", "Dense", {"units": 1})["registered_name"] is None
