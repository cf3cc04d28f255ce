"""The one table of Keras's own classes (neuronio/_registry.KERAS_OWN), checked against real Keras
both ways: every class it lists is one Keras ships under that name, and every registered neuronio
class it leaves out is one Keras lacks (so it is saved as "neuronio>Name" and not misread)."""

import inspect

import pytest

from tests.helpers import keras_on_torch

keras = keras_on_torch()

from neuronio import _registry, constraints, initializers, layers, losses, metrics, optimizers, regularizers  # noqa: E402
from neuronio.optimizers import schedules  # noqa: E402

pytestmark = pytest.mark.keras

REGISTRIES = {
    "layers": layers.registry,
    "losses": losses.registry,
    "metrics": metrics.registry,
    "optimizers": optimizers.registry,
    "optimizers.schedules": schedules.registry,
    "initializers": initializers.registry,
    "regularizers": regularizers.registry,
    "constraints": constraints.registry,
}


def _keras_class(kind: str, name: str):
    """Keras's class of that kind and name, or None (the models live outside keras.layers)."""
    if kind == "layers" and name in ("Sequential", "Functional"):
        return keras.Sequential if name == "Sequential" else keras.src.models.functional.Functional
    if kind == "layers" and name == "Distiller":
        return keras.distillation.Distiller
    module = keras
    for part in kind.split("."):
        module = getattr(module, part)
    found = getattr(module, name, None)
    if found is None and kind == "losses":  # not exported, but what keras.losses.deserialize builds
        found = keras.src.losses.ALL_OBJECTS_DICT.get(name)
    return found if inspect.isclass(found) else None


def _registered_classes(registry) -> set:
    objects = {registry.lookup(name) for name in registry.names()}
    return {registry.name_of(obj) for obj in objects if inspect.isclass(obj)}


def test_the_table_covers_every_kind_with_a_registry():
    assert set(_registry.KERAS_OWN) == set(REGISTRIES)


@pytest.mark.parametrize("kind", sorted(REGISTRIES))
def test_every_class_listed_as_keras_own_is_registered_and_in_keras(kind):
    listed = _registry.KERAS_OWN[kind]
    assert sorted(listed - _registered_classes(REGISTRIES[kind])) == []
    assert sorted(name for name in listed if _keras_class(kind, name) is None) == []


@pytest.mark.parametrize("kind", sorted(REGISTRIES))
def test_every_class_left_out_is_one_keras_lacks(kind):
    left_out = _registered_classes(REGISTRIES[kind]) - _registry.KERAS_OWN[kind]
    assert sorted(name for name in left_out if _keras_class(kind, name) is not None) == []
