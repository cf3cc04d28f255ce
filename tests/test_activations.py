import math

import numpy as np
import pytest

from neuronio import activations
from neuronio.autodiff import GradientTape, Variable, check_gradients
from neuronio.errors import UnknownNameError

# keras/src/activations/__init__.py, ALL_OBJECTS_DICT (Keras 3.15.1), aliases included.
KERAS_3_NAMES = {
    "celu",
    "elu",
    "exponential",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
}
# The decks' activation table has two functions Keras lacks; "identity" is the table's name for linear.
DECK_ONLY_NAMES = {"arctan", "binary_step", "identity"}
# DESIGN's API table for neuronio.activations.
DESIGN_NAMES = [
    "linear",
    "binary_step",
    "sigmoid",
    "hard_sigmoid",
    "tanh",
    "arctan",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "exponential",
    "softmax",
    "silu",
    "gelu",
]
# softplus' derivative is computed as exp(x) / (1 + exp(x)) for x < 0 (no overflow); it can differ
# from the table's 1 / (1 + exp(-x)) in the last binary place.
ONE_ULP = 2.0**-52


def test_design_api_names_exist():
    for name in DESIGN_NAMES:
        assert callable(getattr(activations, name)), name
        assert activations.get(name) is getattr(activations, name)


def test_registered_names_are_keras_names_or_the_decks():
    assert set(activations.registry.names()) <= KERAS_3_NAMES | DECK_ONLY_NAMES


@pytest.mark.parametrize("name", activations.registry.names())
def test_get_serialize_deserialize_round_trip(name):
    fn = activations.get(name)
    canonical = activations.serialize(fn)
    assert activations.get(canonical) is fn
    assert activations.deserialize(canonical) is fn
    # Keras 3's envelope for a function, as found in .keras files.
    envelope = {
        "module": "keras.activations",
        "class_name": "function",
        "config": canonical,
        "registered_name": "function",
    }
    assert activations.get(envelope) is fn
    assert activations.serialize(activations.deserialize(envelope)) == canonical


def test_aliases_serialize_to_the_canonical_keras_name():
    assert activations.get("swish") is activations.silu
    assert activations.serialize(activations.swish) == "silu"
    assert activations.get("identity") is activations.linear
    assert activations.serialize(activations.identity) == "linear"


def test_get_none_and_callables():
    assert activations.get(None) is activations.linear

    def custom(x):
        return x

    assert activations.get(custom) is custom


def test_unknown_name_suggests_and_lists_valid_names():
    with pytest.raises(
        UnknownNameError,
        match=r"Unknown activation 'rleu'\. Did you mean 'relu'.*\? Valid names: arctan, binary_step, celu, elu, ",
    ):
        activations.get("rleu")
    with pytest.raises(ValueError, match="Unknown activation 'nope'"):  # UnknownNameError is a ValueError
        activations.deserialize({"class_name": "function", "config": "nope"})


def test_uninterpretable_identifiers_are_refused():
    with pytest.raises(TypeError, match=r"Could not interpret activation identifier 42 \(int\)"):
        activations.get(42)
    with pytest.raises(ValueError, match="Cannot serialize activation .* not a registered activation"):
        activations.serialize(lambda x: x)


# -- Keras 3 facts -----------------------------------------------------------------------------
def test_hard_sigmoid_is_relu6_of_x_plus_3_over_6():
    x = np.array([-4.0, -3.0, -1.5, 0.0, 2.0, 3.0, 5.0])
    np.testing.assert_array_equal(
        activations.hard_sigmoid(x.astype(np.float32)).numpy(), (np.clip(x + 3, 0, 6) / 6).astype(np.float32)
    )
    np.testing.assert_array_equal(activations.hard_sigmoid(x).numpy(), activations.relu6(x + 3).numpy() / 6)


def test_leaky_relu_activation_slope_is_0_2():
    np.testing.assert_allclose(activations.leaky_relu([-1.0, 2.0]).numpy(), [-0.2, 2.0], rtol=1e-7)


def test_gelu_is_exact_by_default():
    x = 1.0
    exact = x * 0.5 * (1 + math.erf(x / math.sqrt(2)))
    assert activations.gelu(np.array([x])).numpy()[0] == pytest.approx(exact, rel=1e-15)
    approx = activations.gelu(np.array([x]), approximate=True).numpy()[0]
    assert abs(approx - exact) > 1e-5


def test_selu_constants():
    assert activations.selu(np.array([1.0])).numpy()[0] == pytest.approx(1.05070098, abs=1e-8)
    assert activations.selu(np.array([-50.0])).numpy()[0] == pytest.approx(-1.05070098 * 1.67326324, abs=1e-7)


def test_relu_keras_options_match_its_documented_examples():
    x = [-10.0, -5.0, 0.0, 5.0, 10.0]
    np.testing.assert_array_equal(activations.relu(x).numpy(), [0, 0, 0, 5, 10])
    np.testing.assert_array_equal(activations.relu(x, negative_slope=0.5).numpy(), [-5, -2.5, 0, 5, 10])
    np.testing.assert_array_equal(activations.relu(x, max_value=5.0).numpy(), [0, 0, 0, 5, 5])
    np.testing.assert_array_equal(activations.relu(x, threshold=5.0).numpy(), [0, 0, 0, 0, 10])
    np.testing.assert_array_equal(activations.relu(x, max_value=6).numpy(), [0, 0, 0, 5, 6])


def test_relu_with_every_option_follows_keras_formula_and_gradient():
    x = np.array([-2.0, 0.5, 3.0, 10.0])
    # x > threshold: min(x, max_value); else negative_slope * (x - threshold).
    expected = np.where(x > 1.0, np.minimum(x, 4.0), 0.1 * (x - 1.0))
    y = activations.relu(x, negative_slope=0.1, max_value=4.0, threshold=1.0)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-15)
    check_gradients(lambda t: activations.relu(t, negative_slope=0.1, max_value=4.0, threshold=1.0), [x])


def test_softmax_of_the_deck_003_example():
    # "Curso prático de deep learning": z = (2, 1, 0) -> 0.67, 0.24, 0.09.
    np.testing.assert_array_equal(activations.softmax([2.0, 1.0, 0.0]).numpy().round(2), np.float32([0.67, 0.24, 0.09]))


def test_exponential_and_linear():
    np.testing.assert_allclose(activations.exponential([0.0, 1.0]).numpy(), [1.0, math.e], rtol=1e-7)
    x = Variable(np.array([1.0, -2.0]))
    assert activations.linear(x) is x


# -- the deck's activation table (000): each derivative, via the tape --------------------------------
POINTS = np.array([-2.0, -1.0, -0.5, 0.5, 1.5, 3.0])


def _value_and_grad(fn, **kwargs):
    x = Variable(POINTS.copy())
    with GradientTape() as tape:
        y = fn(x, **kwargs)
    dx = tape.gradient(y, x)
    return y.numpy(), (np.zeros_like(POINTS) if dx is None else dx.numpy())


def test_table_identity():
    _, d = _value_and_grad(activations.linear)
    np.testing.assert_array_equal(d, 1.0)


def test_table_binary_step():
    f, d = _value_and_grad(activations.binary_step)
    np.testing.assert_array_equal(f, POINTS >= 0)
    np.testing.assert_array_equal(d, 0.0)


def test_table_logistic():
    f, d = _value_and_grad(activations.sigmoid)
    np.testing.assert_array_equal(d, f * (1 - f))


def test_table_tanh():
    f, d = _value_and_grad(activations.tanh)
    np.testing.assert_array_equal(d, 1 - f**2)


def test_table_arctan():
    _, d = _value_and_grad(activations.arctan)
    np.testing.assert_array_equal(d, 1 / (POINTS**2 + 1))


def test_table_relu():
    _, d = _value_and_grad(activations.relu)
    np.testing.assert_array_equal(d, np.where(POINTS < 0, 0.0, 1.0))


def test_table_elu():
    f, d = _value_and_grad(activations.elu, alpha=0.7)
    np.testing.assert_array_equal(d, np.where(POINTS < 0, f + 0.7, 1.0))


def test_table_softplus():
    _, d = _value_and_grad(activations.softplus)
    np.testing.assert_allclose(d, 1 / (1 + np.exp(-POINTS)), rtol=ONE_ULP, atol=0)


# -- Keras 3's newer activations: exact values, gradients, names ---------------------------------
NEW_ELEMENTWISE = [
    # (name, kwargs, points, expected values there)
    ("celu", {"alpha": 2.0}, [-2.0, 0.0, 3.0], [2.0 * (math.exp(-1.0) - 1), 0.0, 3.0]),
    ("hard_shrink", {}, [-0.7, -0.5, 0.2, 0.5, 0.6], [-0.7, 0.0, 0.0, 0.0, 0.6]),
    ("hard_silu", {}, [-4.0, -3.0, 0.0, 1.5, 3.0, 5.0], [0.0, 0.0, 0.0, 1.5 * 4.5 / 6, 3.0, 5.0]),
    ("hard_tanh", {}, [-2.0, -0.25, 1.0, 7.0], [-1.0, -0.25, 1.0, 1.0]),
    ("log_sigmoid", {}, [-800.0, 0.0, 800.0], [-800.0, -math.log(2.0), 0.0]),
    ("mish", {}, [0.0, 1.0], [0.0, math.tanh(math.log1p(math.e))]),
    ("soft_shrink", {"threshold": 1.0}, [-3.0, -1.0, 0.5, 2.5], [-2.0, 0.0, 0.0, 1.5]),
    ("sparse_plus", {}, [-2.0, -1.0, 0.0, 1.0, 4.0], [0.0, 0.0, 0.25, 1.0, 4.0]),
    ("sparse_sigmoid", {}, [-2.0, -1.0, 0.0, 0.5, 1.0, 4.0], [0.0, 0.0, 0.5, 0.75, 1.0, 1.0]),
    ("squareplus", {}, [0.0, 1.5], [1.0, (1.5 + 2.5) / 2]),
    ("squareplus", {"b": 0.0}, [-2.0, 3.0], [0.0, 3.0]),
    ("tanh_shrink", {}, [0.0, 1.0], [0.0, 1.0 - math.tanh(1.0)]),
    ("threshold", {"threshold": 0.5, "default_value": -7.0}, [0.2, 0.5, 0.75], [-7.0, -7.0, 0.75]),
]
NEW_NAMES = sorted(
    "celu glu hard_shrink hard_silu hard_swish hard_tanh log_sigmoid mish soft_shrink sparse_plus "
    "sparse_sigmoid sparsemax squareplus tanh_shrink threshold".split()
)


@pytest.mark.parametrize(("name", "kwargs", "points", "expected"), NEW_ELEMENTWISE, ids=lambda v: str(v))
def test_new_activations_on_hand_computed_points(name, kwargs, points, expected):
    got = getattr(activations, name)(np.array(points), **kwargs).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(("name", "kwargs", "points", "expected"), NEW_ELEMENTWISE, ids=lambda v: str(v))
def test_new_activations_gradients_away_from_kinks(name, kwargs, points, expected):
    # Kinks: 0 (celu), +-threshold, +-1 (hard_tanh, sparse_*), +-3 (hard_silu), the threshold.
    x = np.array([-3.7, -2.2, -1.4, -0.8, -0.35, 0.3, 0.7, 1.2, 2.6, 3.4])
    check_gradients(lambda t: getattr(activations, name)(t, **kwargs), [x], mode="full")


def test_glu_gates_one_half_with_the_other_and_its_gradient():
    x = np.array([[1.0, -2.0, 0.0, 3.0]])
    expected = np.array([[1.0 * 0.5, -2.0 / (1 + math.exp(-3.0))]])
    np.testing.assert_allclose(activations.glu(x).numpy(), expected, rtol=1e-12)
    check_gradients(lambda t: activations.glu(t, axis=0), [np.linspace(-1, 1, 12).reshape(4, 3)], mode="full")
    with pytest.raises(ValueError, match=r"glu halves its input along axis -1, which must have an even size; "
                       r"received shape \(2, 3\)"):  # fmt: skip
        activations.glu(np.zeros((2, 3)))


def test_sparsemax_projects_onto_the_simplex_with_exact_zeros():
    y = activations.sparsemax(np.array([[1.0, 0.5, -2.0], [0.0, 0.0, 0.0]])).numpy()
    np.testing.assert_allclose(y, [[0.75, 0.25, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-12)
    y0 = activations.sparsemax(np.array([[3.0, 0.0], [0.0, 0.2]]), axis=0).numpy()
    np.testing.assert_allclose(y0, [[1.0, 0.4], [0.0, 0.6]], rtol=1e-12)
    x = np.array([[0.3, 0.1, -0.4, 0.25], [1.0, -1.0, 0.9, 0.0]])  # away from support changes
    check_gradients(lambda t: activations.sparsemax(t), [x], mode="full")


def test_hard_silu_subgradient_at_its_kinks_is_the_outer_slope():
    # As torch's hardswish (and so Keras on torch): 0 at -3, 1 at 3.
    x = Variable(np.array([-3.0, 3.0]))
    with GradientTape() as tape:
        y = activations.hard_silu(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 1.0])


@pytest.mark.parametrize("name", NEW_NAMES)
def test_new_names_resolve_and_serialize_as_keras_does(name):
    fn = activations.get(name)
    assert fn is getattr(activations, name)
    assert activations.serialize(fn) == ("hard_silu" if name == "hard_swish" else name)


@pytest.mark.parametrize("name", [n for n in NEW_NAMES if n not in ("threshold", "hard_swish")])
def test_new_activations_work_by_name_in_a_layer_and_survive_saving(tmp_path, name):
    import neuronio

    layer_units = 4  # even, so glu can halve it
    model = neuronio.models.Sequential(
        [neuronio.layers.Input((3,)), neuronio.layers.Dense(layer_units, activation=name)]
    )
    assert model.layers[-1].get_config()["activation"] == name
    x = np.linspace(-2, 2, 6).reshape(2, 3).astype("float32")
    model.save(tmp_path / "m.keras")
    loaded = neuronio.models.load_model(tmp_path / "m.keras")
    assert loaded.layers[-1].activation is getattr(activations, name)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_threshold_by_name_alone_names_its_missing_arguments():
    with pytest.raises(TypeError, match="threshold"):
        activations.get("threshold")(np.zeros(2))


def test_glu_halves_the_symbolic_shape_of_dense_and_activation_layers():
    import neuronio

    layers = neuronio.layers
    model = neuronio.models.Sequential(
        [layers.Input((4,)), layers.Dense(8, activation="glu"), layers.Activation("glu"), layers.Dense(3)]
    )
    assert [tuple(layer.output.shape) for layer in model.layers] == [(None, 4), (None, 2), (None, 3)]
    assert model.layers[-1].kernel.shape == (2, 3)
    assert model.predict(np.ones((2, 4), "float32"), verbose=0).shape == (2, 3)
    assert activations.output_shape(activations.relu, (None, 5)) == (None, 5)


def test_squareplus_with_b_zero_is_relu_with_gradient_one_half_at_zero():
    # Keras on torch gives NaN at 0 (0 / sqrt(0)); neuronio the mean of the one-sided slopes.
    x = Variable(np.array([-1.0, 0.0, 2.0]))
    with GradientTape() as tape:
        y = activations.squareplus(x, b=0)
    np.testing.assert_array_equal(y.numpy(), [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [0.0, 0.5, 1.0])
