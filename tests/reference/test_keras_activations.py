"""neuronio.activations' Keras 3 newer names against real Keras (torch backend): values and input
gradients on float64 points that include every kink (so the subgradients are Keras's), and each
as a Dense layer's activation in `.keras` files both ways."""

import numpy as np
import pytest

import neuronio
from neuronio import activations
from neuronio.autodiff import GradientTape, Variable
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RTOL, ATOL = 1e-12, 1e-14  # float64 on both sides
# Every kink of the functions below: 0, +-0.5, +-1, +-3, the thresholds given.
POINTS = np.array([-4.0, -3.0, -2.5, -1.0, -0.7, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0, 1.7, 3.0, 4.5])
ELEMENTWISE = [
    ("celu", {}),
    ("celu", {"alpha": 0.5}),
    ("hard_shrink", {}),
    ("hard_shrink", {"threshold": 1.0}),
    ("hard_silu", {}),
    ("hard_swish", {}),
    ("hard_tanh", {}),
    ("log_sigmoid", {}),
    ("mish", {}),
    ("soft_shrink", {}),
    ("soft_shrink", {"threshold": 1.0}),
    ("sparse_plus", {}),
    ("sparse_sigmoid", {}),
    ("squareplus", {}),
    ("squareplus", {"b": 0.5}),
    ("tanh_shrink", {}),
    ("threshold", {"threshold": 0.2, "default_value": -1.0}),
]


def _ours(name, x, dy, **kwargs):
    v = Variable(x.copy())
    with GradientTape() as tape:
        y = getattr(activations, name)(v, **kwargs)
    return y.numpy(), tape.gradient(y, v, output_gradients=dy).numpy()


def _theirs(name, x, dy, **kwargs):
    t = torch.tensor(x, requires_grad=True)
    y = getattr(keras.activations, name)(t, **kwargs)
    y.backward(torch.tensor(dy))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize(("name", "kwargs"), ELEMENTWISE, ids=lambda v: str(v))
def test_values_and_gradients_match_keras_kinks_included(name, kwargs):
    dy = np.linspace(0.5, 2.0, POINTS.size)
    (y, dx), (k_y, k_dx) = _ours(name, POINTS, dy, **kwargs), _theirs(name, POINTS, dy, **kwargs)
    np.testing.assert_allclose(y, k_y, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, k_dx, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("axis", [-1, 0])
def test_glu_matches_keras(rng, axis):
    x = rng.normal(size=(4, 6))
    dy = rng.normal(size=(2, 6) if axis == 0 else (4, 3))
    (y, dx), (k_y, k_dx) = _ours("glu", x, dy, axis=axis), _theirs("glu", x, dy, axis=axis)
    np.testing.assert_allclose(y, k_y, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, k_dx, rtol=RTOL, atol=ATOL)


def test_keras_torch_sparsemax_is_not_a_projection_so_ours_follows_the_definition(rng):
    # A documented difference: on the torch backend Keras 3.15's sparsemax rows do not sum to 1.
    # neuronio's do, and equal the closed form (tests/test_activations.py checks it and its gradient).
    x = rng.normal(size=(4, 6))
    theirs = keras.ops.convert_to_numpy(keras.activations.sparsemax(keras.ops.convert_to_tensor(x)))
    ours = activations.sparsemax(x).numpy()
    np.testing.assert_allclose(ours.sum(-1), 1.0, rtol=1e-12)
    assert not np.allclose(theirs.sum(-1), 1.0)


def test_names_are_keras_names_and_serialize_the_same():
    for name in {n for n, _ in ELEMENTWISE} | {"glu", "sparsemax"}:
        ours = activations.serialize(activations.get(name))
        assert ours == keras.activations.serialize(keras.activations.get(name)), name
        assert keras.activations.deserialize(ours).__name__ == activations.get(name).__name__


SAVABLE = sorted({n for n, _ in ELEMENTWISE if n != "threshold"} | {"glu", "sparsemax"})


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_dense_layers_with_the_activations_cross_in_keras_files(tmp_path, rng, direction):
    # One chain of Dense layers, one activation each, saved once: the file keeps every name and
    # the loaded chain computes what the saved one does. glu comes last (Keras builds a layer after
    # it for the unhalved width: see the next test); sparsemax crosses alone (Keras's differs, above).
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    names = [n for n in SAVABLE if n not in ("glu", "sparsemax")] + ["glu"]
    model = source.models.Sequential(
        [source.layers.Input((4,)), *(source.layers.Dense(4, activation=n) for n in names)]
    )
    model.set_weights([rng.normal(0, 0.7, tuple(w.shape)).astype("float32") for w in model.weights])
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    saved_as = [layer.get_config()["activation"] for layer in loaded.layers]
    assert saved_as == [("hard_silu" if n == "hard_swish" else n) for n in names]
    x = rng.normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    alone = source.models.Sequential([source.layers.Input((4,)), source.layers.Dense(3, activation="sparsemax")])
    alone.save(tmp_path / "s.keras")
    assert target.models.load_model(tmp_path / "s.keras").layers[0].get_config()["activation"] == "sparsemax"


def test_a_layer_after_a_glu_dense_is_built_for_the_halved_width_unlike_keras():
    # A documented difference: Keras 3.15's Dense and Activation report their input width as the
    # output shape even with glu, so the next layer is built for 8 inputs and predict fails.
    x = np.ones((2, 4), "float32")
    theirs = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="glu"), keras.layers.Dense(3)])
    assert tuple(theirs.layers[-1].kernel.shape) == (8, 3)
    with pytest.raises(ValueError, match="incompatible"):
        theirs.predict(x, verbose=0)
    ours = neuronio.models.Sequential(
        [neuronio.layers.Input((4,)), neuronio.layers.Dense(8, activation="glu"), neuronio.layers.Dense(3)]
    )
    assert ours.layers[-1].kernel.shape == (4, 3)
    assert ours.predict(x, verbose=0).shape == (2, 3)
