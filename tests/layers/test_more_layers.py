"""The remaining Keras 3 layers (adaptive pooling, dropout variants, Identity, Minimum, Dot,
UnitNormalization, GroupNormalization, ActivityRegularization, Wrapper, layers.serialize) through
check_layer (shapes, weights, symbolic call, config round trip, float64 gradient checks of input
and weights), plus each one's own behaviour with exact values where the math gives them."""

import numpy as np
import pytest

from neuronio import config, layers, models
from neuronio.autodiff import check_gradients
from neuronio.errors import FileFormatError, ShapeError
from tests.helpers import check_layer

CASES = [
    # (class, kwargs, input shape, output shape, n trainable, n non-trainable, weight names, training differs)
    (layers.AdaptiveAveragePooling1D, {"output_size": 3}, (2, 7, 2), (2, 3, 2), 0, 0, (), False),
    (layers.AdaptiveMaxPooling1D, {"output_size": 4}, (2, 6, 3), (2, 4, 3), 0, 0, (), False),
    (layers.AdaptiveAveragePooling2D, {"output_size": (2, 3)}, (1, 5, 7, 2), (1, 2, 3, 2), 0, 0, (), False),
    (layers.AdaptiveMaxPooling2D, {"output_size": 2}, (2, 5, 4, 1), (2, 2, 2, 1), 0, 0, (), False),
    (layers.SpatialDropout1D, {"rate": 0.5}, (4, 3, 5), (4, 3, 5), 0, 0, (), True),
    (layers.GaussianDropout, {"rate": 0.4}, (3, 4), (3, 4), 0, 0, (), True),
    (layers.AlphaDropout, {"rate": 0.3}, (3, 5), (3, 5), 0, 0, (), True),
    (layers.AlphaDropout, {"rate": 0.5, "noise_shape": (None, 1, 4)}, (2, 3, 4), (2, 3, 4), 0, 0, (), True),
    (layers.Identity, {}, (2, 3, 2), (2, 3, 2), 0, 0, (), False),
    (layers.ActivityRegularization, {"l1": 0.1, "l2": 0.01}, (3, 4), (3, 4), 0, 0, (), False),
    (layers.UnitNormalization, {}, (3, 4), (3, 4), 0, 0, (), False),
    (layers.UnitNormalization, {"axis": [1, 2]}, (2, 3, 2), (2, 3, 2), 0, 0, (), False),
    (layers.GroupNormalization, {"groups": 2}, (2, 3, 4), (2, 3, 4), 2, 0, ("gamma", "beta"), False),
    (layers.GroupNormalization, {"groups": -1, "center": False}, (2, 2, 2, 3), (2, 2, 2, 3), 1, 0, ("gamma",), False),
    (layers.GroupNormalization, {"groups": 3, "axis": 1, "epsilon": 1e-5}, (2, 3, 4), (2, 3, 4), 2, 0,
     ("gamma", "beta"), False),
]  # fmt: skip
MERGES = {"Minimum", "Dot"}  # two-input layers, checked below by check_gradients on both inputs


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_layer(case):
    cls, kwargs, in_shape, out_shape, n_train, n_frozen, names, differs = case
    check_layer(cls, kwargs, in_shape, out_shape, n_train, n_frozen, names, training_differs=differs)


# -- adaptive pooling ----------------------------------------------------------------------------------
def test_adaptive_bins_are_floor_to_ceil_and_cover_every_cell():
    x = np.arange(7, dtype="float32").reshape(1, 7, 1)

    def pooled(cls, size):
        return cls(size)(x).numpy().ravel().tolist()

    # bins of 7 cells into 4: [0, 2), [1, 4), [3, 6), [5, 7)
    assert pooled(layers.AdaptiveAveragePooling1D, 4) == [0.5, 2.0, 4.0, 5.5]
    assert pooled(layers.AdaptiveMaxPooling1D, 4) == [1.0, 3.0, 5.0, 6.0]
    # more outputs than cells repeat cells: 7 into 9
    assert pooled(layers.AdaptiveMaxPooling1D, 9) == [0.0, 1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0, 6.0]
    assert pooled(layers.AdaptiveAveragePooling1D, 1) == [3.0]
    image = np.arange(35, dtype="float32").reshape(1, 5, 7, 1)
    np.testing.assert_array_equal(
        layers.AdaptiveMaxPooling2D(3)(image).numpy()[0, :, :, 0], [[9, 11, 13], [23, 25, 27], [30, 32, 34]]
    )


def test_adaptive_pooling_gives_a_fixed_size_whatever_the_input_size():
    inputs = layers.Input((None, None, 2))
    model = models.Model(inputs, layers.AdaptiveAveragePooling2D((2, 2))(inputs))
    assert tuple(model.output.shape) == (None, 2, 2, 2)
    for h, w in ((4, 4), (7, 3), (2, 9)):
        assert model.predict(np.ones((1, h, w, 2), "float32"), verbose=0).shape == (1, 2, 2, 2)


# -- dropout variants: seeded, statistics while training, identity at inference -----------------------
def test_spatial_dropout_1d_drops_whole_channels_of_each_sequence():
    config.set_random_seed(3)
    y = layers.SpatialDropout1D(0.5)(np.ones((16, 5, 6), "float32"), training=True).numpy()
    assert np.all(y.min(axis=1) == y.max(axis=1))  # each channel all 0 or all 2 over the steps
    assert set(np.unique(y)) == {0.0, 2.0}
    with pytest.raises(ValueError, match=r"SpatialDropout1D.*expected rank 3"):
        layers.SpatialDropout1D(0.5)(np.ones((2, 3), "float32"))


def test_gaussian_dropout_has_mean_one_and_the_dropout_variance():
    config.set_random_seed(1)
    y = layers.GaussianDropout(0.2)(np.ones((20000, 5), "float32"), training=True).numpy()
    assert abs(y.mean() - 1.0) < 0.01
    assert abs(y.std() - np.sqrt(0.2 / 0.8)) < 0.01


def test_alpha_dropout_sets_dropped_units_to_the_selu_saturation_and_keeps_mean_and_variance():
    rate = 0.3
    alpha = -1.0507009873554805 * 1.6732632423543772
    a = ((1 - rate) * (1 + rate * alpha**2)) ** -0.5
    b = -a * alpha * rate
    y = layers.AlphaDropout(rate, seed=4)(np.full((2000, 1), 2.0, "float32"), training=True).numpy().ravel()
    np.testing.assert_allclose(np.unique(y), sorted([a * alpha + b, a * 2.0 + b]), rtol=1e-6)
    assert abs(np.mean(y < 0) - rate) < 0.04  # the dropped fraction
    standard = np.random.default_rng(0).standard_normal((50000, 2)).astype("float32")
    z = layers.AlphaDropout(rate, seed=0)(standard, training=True).numpy()
    assert abs(z.mean()) < 0.02 and abs(z.std() - 1.0) < 0.02


@pytest.mark.parametrize(
    "layer",
    [lambda: layers.SpatialDropout1D(0.5, seed=7), lambda: layers.GaussianDropout(0.5, seed=7),
     lambda: layers.AlphaDropout(0.5, seed=7)],
    ids=["SpatialDropout1D", "GaussianDropout", "AlphaDropout"],
)  # fmt: skip
def test_dropouts_are_identity_at_inference_and_repeat_with_their_seed(layer):
    x = np.random.default_rng(0).standard_normal((4, 3, 2)).astype("float32")
    np.testing.assert_array_equal(layer()(x).numpy(), x)
    np.testing.assert_array_equal(layer()(x, training=False).numpy(), x)
    np.testing.assert_array_equal(layer()(x, training=True).numpy(), layer()(x, training=True).numpy())
    config.set_random_seed(2)
    unseeded = type(layer())(0.5)
    first = unseeded(x, training=True).numpy()
    config.set_random_seed(2)
    np.testing.assert_array_equal(type(layer())(0.5)(x, training=True).numpy(), first)


# -- ActivityRegularization -------------------------------------------------------------------------------
def test_activity_regularization_adds_its_penalty_per_sample_to_the_training_loss():
    x = np.array([[1.0, -2.0], [3.0, 0.5]], "float32")
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    (penalty,) = layer.losses
    np.testing.assert_allclose(float(penalty.numpy()), (0.1 * 6.5 + 0.2 * 14.25) / 2, rtol=1e-6)
    model = models.Sequential([layers.Input((2,)), layers.ActivityRegularization(l2=1.0)])
    model.compile(loss="mse")
    # the outputs equal the targets, so the loss is the penalty alone: sum(x^2) / batch
    np.testing.assert_allclose(model.evaluate(x, x, verbose=0), 14.25 / 2, rtol=1e-6)
    assert "activity_regularizer" not in layer.get_config()


# -- merges: Minimum and Dot ----------------------------------------------------------------------------
def test_minimum_and_its_functional_form():
    a, b = layers.Input((3,)), layers.Input((3,))
    model = models.Model([a, b], [layers.minimum([a, b]), layers.Minimum()([a, b])])
    x, y = np.array([[1.0, 5.0, -2.0]], "float32"), np.array([[3.0, 1.0, -1.0]], "float32")
    for out in model.predict([x, y], verbose=0):
        np.testing.assert_array_equal(out, [[1.0, 1.0, -2.0]])
    with pytest.raises(ShapeError, match=r"Minimum '.*' needs inputs of the same shape"):
        layers.Minimum()([x, np.ones((1, 4), "float32")])
    rng = np.random.default_rng(1)
    with config.floatx_scope("float64"):
        layer = layers.Minimum()
        check_gradients(lambda p, q: layer([p, q]), [rng.normal(size=(2, 3)), rng.normal(size=(2, 3))], mode="full")


def test_masked_merges_take_only_held_entries_and_pass_gradients_to_them():
    # masks (N, steps) on inputs (N, steps, features): an entry an input does not hold never wins
    x = np.array([[[1.0], [5.0], [2.0]]], "float32")
    y = np.array([[[7.0], [-4.0], [3.0]]], "float32")
    masks = [np.array([[True, False, False]]), np.array([[False, True, False]])]
    assert layers.Minimum()([x, y], mask=masks).numpy().ravel().tolist() == [1.0, -4.0, 2.0]
    assert layers.Maximum()([x, y], mask=masks).numpy().ravel().tolist() == [1.0, -4.0, 2.0]
    assert layers.Multiply()([x, y], mask=masks).numpy().ravel().tolist() == [1.0, -4.0, 0.0]
    assert layers.Add()([x, y], mask=masks).numpy().ravel().tolist() == [8.0, 1.0, 5.0]
    assert layers.Minimum().compute_mask([x, y], masks).tolist() == [[True, True, False]]
    assert layers.Minimum().compute_mask([x, y], [masks[0], None]) is None
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 3, 2)), rng.normal(size=(2, 3, 2))
    held = [rng.random((2, 3)) < 0.6, rng.random((2, 3)) < 0.6]
    with config.floatx_scope("float64"):
        for layer in (layers.Minimum(), layers.Maximum(), layers.Multiply()):
            check_gradients(lambda p, q, layer=layer: layer([p, q], mask=held), [a, b], mode="full")


@pytest.mark.parametrize(
    ("shape_a", "shape_b", "axes", "subscripts"),
    [
        ((2, 3), (2, 3), 1, "nk,nk->n"),
        ((2, 4, 3), (2, 5, 3), 2, "nik,njk->nij"),
        ((2, 4, 3), (2, 4, 5), 1, "nki,nkj->nij"),
        ((2, 4, 3), (2, 3), (2, 1), "nik,nk->ni"),
        ((2, 3, 4, 5), (2, 5, 4), (3, 1), "nabk,nkc->nabc"),
        ((2, 3, 4), (2, 3, 4), (-2, -2), "nki,nkj->nij"),
    ],
)
def test_dot_is_the_per_sample_tensor_contraction(shape_a, shape_b, axes, subscripts):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=shape_a), rng.normal(size=shape_b)
    expected = np.einsum(subscripts, a, b)
    expected = expected[:, None] if expected.ndim == 1 else expected
    layer = layers.Dot(axes=axes)
    np.testing.assert_allclose(layer([a.astype("float32"), b.astype("float32")]).numpy(), expected, rtol=1e-5)
    assert layer.compute_output_shape([(None, *shape_a[1:]), (None, *shape_b[1:])]) == (None, *expected.shape[1:])
    with config.floatx_scope("float64"):
        layer64 = layers.Dot(axes=axes, normalize=True)
        check_gradients(lambda p, q: layer64([p, q]), [a, b], mode="full")


def test_dot_normalize_gives_the_cosine_similarity():
    a = np.array([[3.0, 4.0], [1.0, 0.0]], "float32")
    b = np.array([[6.0, 8.0], [0.0, 2.0]], "float32")
    np.testing.assert_allclose(layers.dot([a, b], axes=1, normalize=True).numpy(), [[1.0], [0.0]], atol=1e-6)


def test_dot_says_what_is_wrong():
    x = np.ones((2, 3), "float32")
    with pytest.raises(
        ValueError, match=r"Dot '.*': `axes` must be an int or a list/tuple of 2 ints; received axes='x'"
    ):
        layers.Dot(axes="x")
    with pytest.raises(ValueError, match=r"Dot '.*' takes a list of exactly 2 inputs.*received 3"):
        layers.Dot(axes=1)([x, x, x])
    with pytest.raises(ShapeError, match=r"contracted axes must have the same size; input 0 has 3 on axis 1"):
        layers.Dot(axes=1)([x, np.ones((2, 4), "float32")])
    with pytest.raises(ShapeError, match=r"must name a non-batch axis"):
        layers.Dot(axes=0)([x, x])


# -- normalization ------------------------------------------------------------------------------------
def test_unit_normalization_gives_unit_norms_and_keeps_tiny_vectors_finite():
    x = np.random.default_rng(3).normal(size=(4, 2, 3)).astype("float32")
    y = layers.UnitNormalization(axis=[1, 2])(x).numpy()
    np.testing.assert_allclose(np.sqrt((y**2).sum(axis=(1, 2))), 1.0, rtol=1e-6)
    # below a norm of 1e-12 the vector is divided by 1e-12 (Keras's floor), zeros stay zeros
    tiny = layers.UnitNormalization()(np.array([[1e-14, 1e-14, 1e-14], [0.0, 0.0, 0.0]], "float32")).numpy()
    np.testing.assert_allclose(tiny, [[0.01, 0.01, 0.01], [0.0, 0.0, 0.0]], rtol=1e-5)


def test_group_normalization_normalizes_each_group_of_each_sample():
    rng = np.random.default_rng(4)
    x = rng.normal(3.0, 2.0, size=(3, 5, 6)).astype("float32")
    layer = layers.GroupNormalization(groups=2, epsilon=1e-6)
    layer(x)
    layer.set_weights([np.full(6, 2.0, "float32"), np.full(6, 1.0, "float32")])  # gamma, beta
    grouped = ((layer(x).numpy() - 1.0) / 2.0).reshape(3, 5, 2, 3)
    np.testing.assert_allclose(grouped.mean(axis=(1, 3)), 0.0, atol=1e-5)
    np.testing.assert_allclose(grouped.std(axis=(1, 3)), 1.0, rtol=1e-4)
    # groups=1 is a LayerNormalization over every non-batch axis
    whole = layers.GroupNormalization(groups=1)(x).numpy()
    np.testing.assert_allclose(whole, layers.LayerNormalization(axis=[1, 2], center=False)(x).numpy(), atol=1e-5)


def test_normalization_layers_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"groups=4 must divide the 6 channels on axis -1"):
        layers.GroupNormalization(groups=4)(np.ones((1, 2, 6), "float32"))
    with pytest.raises(ValueError, match=r"groups=8 must divide the 6 channels"):
        layers.GroupNormalization(groups=8)(np.ones((1, 6), "float32"))
    with pytest.raises(ValueError, match=r"`groups` must be a positive int, or -1.*received groups=0"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(TypeError, match=r"GroupNormalization '.*': `axis` must be one int; received axis=\[1\]"):
        layers.GroupNormalization(axis=[1])
    with pytest.raises(TypeError, match=r"UnitNormalization '.*': `axis` must be an int or a list of ints"):
        layers.UnitNormalization(axis="last")
    with pytest.raises(ValueError, match=r"UnitNormalization '.*': axis=0 must name non-batch axes"):
        layers.UnitNormalization(axis=0)(np.ones((2, 3), "float32"))


def test_other_bad_arguments_say_what_is_wrong():
    with pytest.raises(
        ValueError, match=r"AdaptiveAveragePooling2D '.*': `output_size` must be an int or a tuple of 2"
    ):
        layers.AdaptiveAveragePooling2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"AdaptiveMaxPooling1D '.*': `output_size` must be a positive int"):
        layers.AdaptiveMaxPooling1D(0)
    with pytest.raises(ValueError, match=r"only data_format='channels_last'"):
        layers.AdaptiveMaxPooling2D(2, data_format="channels_first")
    for cls in (layers.AlphaDropout, layers.GaussianDropout, layers.SpatialDropout1D):
        with pytest.raises(ValueError, match=rf"{cls.__name__} '.*': `rate` .* \[0, 1\); received rate=1"):
            cls(1)
    with pytest.raises(ValueError, match=r"ActivityRegularization: `l2` must be a number >= 0; received l2=-1"):
        layers.ActivityRegularization(l2=-1)
    with pytest.raises(TypeError, match=r"ActivityRegularization: its penalty is given by `l1` and `l2`"):
        layers.ActivityRegularization(l1=0.1, activity_regularizer="l2")


# -- Wrapper and layers.serialize / deserialize -------------------------------------------------------------
class _Twice(layers.Wrapper):
    """A user's wrapper: applies its layer twice."""

    def call(self, inputs):
        return self.layer(self.layer(inputs))


def test_a_wrapper_subclass_owns_its_layer_and_round_trips_its_config():
    wrapper = _Twice(layers.Dense(3, name="inner"))
    y = wrapper(np.ones((2, 3), "float32"))
    assert y.shape == (2, 3) and [w.name for w in wrapper.weights] == ["kernel", "bias"]
    assert isinstance(layers.TimeDistributed(layers.Dense(2)), layers.Wrapper)
    config_dict = wrapper.get_config()
    assert config_dict["layer"]["class_name"] == "Dense" and config_dict["layer"]["config"]["name"] == "inner"
    clone = _Twice.from_config(config_dict)
    clone(np.ones((2, 3), "float32"))
    clone.set_weights(wrapper.get_weights())
    np.testing.assert_allclose(clone(np.ones((2, 3), "float32")).numpy(), y.numpy())
    with pytest.raises(TypeError, match=r"_Twice '.*': `layer` must be a Layer instance; received int"):
        _Twice(3)


def test_layers_serialize_and_deserialize_round_trip_built_layers_and_custom_objects():
    dense = layers.Dense(3, activation="relu", name="d")
    dense(np.ones((1, 4), "float32"))
    envelope = layers.serialize(dense)
    assert envelope["class_name"] == "Dense" and envelope["module"] == "keras.layers"
    assert envelope["build_config"] == {"input_shape": [1, 4]}
    copy = layers.deserialize(envelope)
    assert copy.built and copy.get_config() == dense.get_config()

    class Scale(layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, inputs):
            return inputs * self.factor

    saved = layers.serialize(Scale(3.0))
    with pytest.raises(FileFormatError, match=r"custom_objects=\{'Scale': Scale\}"):
        layers.deserialize(saved)
    assert layers.deserialize(saved, custom_objects={"Scale": Scale}).factor == 3.0
    with pytest.raises(TypeError, match=r"layers.serialize takes a Layer"):
        layers.serialize("dense")
    with pytest.raises(TypeError, match=r"layers.deserialize takes a layer's envelope"):
        layers.deserialize("Dense")
