"""Every layer through check_layer: shapes, weights, symbolic call, config round trip, gradients."""

import numpy as np
import pytest

from neuronio import config, layers
from neuronio.errors import ShapeError
from tests.helpers import check_layer


def _away_from_zero(rng, shape):
    # Inputs of kinked activations sit at least 0.05 from the kink, far beyond the gradcheck step.
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.05, 1.0, size=shape)


CASES = [
    # (class, kwargs, input shape, output shape, n trainable, n non-trainable, weight names, training differs)
    (layers.Dense, {"units": 4}, (3, 5), (3, 4), 2, 0, ("kernel", "bias"), False),
    (
        layers.Dense,
        {"units": 2, "activation": "tanh", "use_bias": False},
        (2, 3, 4),
        (2, 3, 2),
        1,
        0,
        ("kernel",),
        False,
    ),
    (layers.Activation, {"activation": "sigmoid"}, (2, 3), (2, 3), 0, 0, (), False),
    (layers.Conv2D, {"filters": 3, "kernel_size": 3}, (2, 6, 6, 2), (2, 4, 4, 3), 2, 0, ("kernel", "bias"), False),
    (
        layers.Conv2D,
        {"filters": 2, "kernel_size": (3, 2), "strides": 2, "padding": "same"},
        (2, 7, 5, 3),
        (2, 4, 3, 2),
        2,
        0,
        None,
        False,
    ),
    (layers.ZeroPadding2D, {"padding": ((1, 2), (0, 1))}, (2, 3, 3, 2), (2, 6, 4, 2), 0, 0, (), False),
    (layers.MaxPooling2D, {"pool_size": 2}, (2, 4, 6, 3), (2, 2, 3, 3), 0, 0, (), False),
    (layers.MaxPooling2D, {"pool_size": 3, "strides": 2}, (1, 7, 7, 2), (1, 3, 3, 2), 0, 0, (), False),
    (layers.AveragePooling2D, {"pool_size": 2, "padding": "same"}, (2, 5, 5, 2), (2, 3, 3, 2), 0, 0, (), False),
    (layers.GlobalAveragePooling2D, {}, (2, 3, 4, 5), (2, 5), 0, 0, (), False),
    (layers.GlobalMaxPooling2D, {"keepdims": True}, (2, 3, 4, 5), (2, 1, 1, 5), 0, 0, (), False),
    (layers.Flatten, {}, (2, 3, 4, 2), (2, 24), 0, 0, (), False),
    (layers.Reshape, {"target_shape": (3, -1)}, (2, 12), (2, 3, 4), 0, 0, (), False),
    (layers.Dropout, {"rate": 0.5}, (4, 10), (4, 10), 0, 0, (), True),
    (layers.BatchNormalization, {}, (6, 3), (6, 3), 2, 2, ("gamma", "beta", "moving_mean", "moving_variance"), True),
    (layers.BatchNormalization, {"momentum": 0.5}, (3, 2, 2, 3), (3, 2, 2, 3), 2, 2, None, True),
    (
        layers.LocalResponseNormalization,
        {"depth_radius": 1, "bias": 1.0, "alpha": 0.5, "beta": 0.75},
        (2, 3, 3, 5),
        (2, 3, 3, 5),
        0,
        0,
        (),
        False,
    ),
    (layers.ReLU, {"max_value": 0.8, "negative_slope": 0.1, "threshold": 0.2}, (3, 4), (3, 4), 0, 0, (), False),
    (layers.LeakyReLU, {}, (3, 4), (3, 4), 0, 0, (), False),
    (layers.ELU, {"alpha": 0.7}, (3, 4), (3, 4), 0, 0, (), False),
    (layers.Softmax, {}, (3, 4), (3, 4), 0, 0, (), False),
    (layers.PReLU, {"alpha_initializer": "random_uniform"}, (3, 4), (3, 4), 1, 0, ("alpha",), False),
    (layers.PReLU, {"shared_axes": [1, 2]}, (2, 3, 3, 2), (2, 3, 3, 2), 1, 0, ("alpha",), False),
    (layers.RReLU, {}, (4, 6), (4, 6), 0, 0, (), True),
    (layers.APL, {"num_hinges": 2, "a_initializer": "random_uniform"}, (3, 4), (3, 4), 2, 0, ("a", "b"), False),
    (layers.Maxout, {"units": 3, "num_pieces": 2}, (2, 4), (2, 3), 2, 0, ("kernel", "bias"), False),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_layer(case):
    cls, kwargs, in_shape, out_shape, n_train, n_frozen, names, differs = case
    check_layer(
        cls,
        kwargs,
        in_shape,
        out_shape,
        n_train,
        n_frozen,
        names,
        training_differs=differs,
        input_sampler=_away_from_zero,
    )


def test_merging_layers_compute_and_differentiate():
    from neuronio.autodiff import check_gradients

    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    assert np.allclose(layers.Add()([a, b]).numpy(), a + b, atol=1e-6)
    assert np.allclose(layers.Multiply()([a, b]).numpy(), a * b, atol=1e-6)
    assert np.allclose(layers.Average()([a, b]).numpy(), (a + b) / 2, atol=1e-6)
    assert layers.Concatenate()([a, b]).shape == (2, 6)
    assert layers.Concatenate(axis=0)([a, b]).shape == (4, 3)
    with config.floatx_scope("float64"):
        for layer in (layers.Add(), layers.Multiply(), layers.Concatenate()):
            check_gradients(lambda x, y, layer=layer: layer([x, y]), [a, b])


def test_merging_layers_name_mismatched_shapes():
    with pytest.raises(
        ShapeError,
        match=r"Add 'add' needs inputs of the same shape; input 0 has shape \(2, 3\) but input 1 has shape \(2, 4\)",
    ):
        layers.Add()([np.ones((2, 3)), np.ones((2, 4))])


def test_dense_names_the_layer_and_both_shapes_on_a_mismatch():
    dense = layers.Dense(10, name="dense_1")
    dense(np.ones((2, 784), np.float32))
    with pytest.raises(
        ShapeError,
        match=r"layer 'dense_1' \(Dense\) is incompatible: expected axis -1 to have size "
        r"784 \(shape \(None, ..., 784\)\), but received shape \(32, 28, 28\).*Flatten",
    ):
        dense(np.ones((32, 28, 28), np.float32))


def test_conv2d_expects_images():
    with pytest.raises(ShapeError, match=r"conv2d.*expected rank 4.*received shape \(2, 5\)"):
        layers.Conv2D(2, 3, name="conv2d")(np.ones((2, 5), np.float32))


def test_bad_constructor_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"`units` must be a positive int; received units=0"):
        layers.Dense(0)
    with pytest.raises(ValueError, match=r"`kernel_size` must hold positive ints"):
        layers.Conv2D(3, 0)
    with pytest.raises(ValueError, match=r"`padding` must be 'valid' or 'same'; received padding='full'"):
        layers.Conv2D(3, 3, padding="full")
    with pytest.raises(ValueError, match=r"fraction of inputs to drop and must be in \[0, 1\); received rate=1.5"):
        layers.Dropout(1.5)
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments passed to Dense: \{'unit': 3\}"):
        layers.Dense(4, unit=3)
    with pytest.raises(ValueError, match="Unknown activation 'rleu'. Did you mean 'relu'"):
        layers.Dense(4, activation="rleu")


def test_layer_names_follow_keras():
    assert [layers.Dense(1).name, layers.Dense(1).name, layers.Conv2D(1, 1).name] == ["dense", "dense_1", "conv2d"]
    assert layers.BatchNormalization().name == "batch_normalization"
    assert layers.MaxPooling2D().name == "max_pooling2d"


def test_batch_normalization_moving_statistics_follow_keras():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    bn = layers.BatchNormalization(momentum=0.9)
    y = bn(x, training=True).numpy()
    mean, var = x.mean(axis=0), x.var(axis=0)  # biased variance, as Keras
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-6)
    y_inf = bn(x, training=False).numpy()
    expected = (x - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(y_inf, expected, rtol=1e-5, atol=1e-5)


def test_dropout_is_identity_at_inference_and_keeps_the_expectation_in_training():
    x = np.ones((200, 100), np.float32)
    drop = layers.Dropout(0.2)
    assert np.array_equal(drop(x).numpy(), x)
    y = drop(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.8)}
    # 20,000 Bernoulli(0.8) draws: sd of the kept fraction = sqrt(0.8*0.2/20000) = 0.0028; 5 sd = 0.014.
    assert abs((y > 0).mean() - 0.8) < 0.014


def test_rrelu_slope_is_the_mean_at_inference_and_random_in_training():
    x = -np.ones((50, 40), np.float32)
    layer = layers.RReLU()
    np.testing.assert_allclose(layer(x).numpy(), -0.3)
    y = layer(x, training=True).numpy()
    assert -0.5 <= y.min() and y.max() <= -0.1 and y.std() > 0.05


def test_lrn_matches_the_alexnet_formula():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 3, 7)).astype(np.float32)
    layer = layers.LocalResponseNormalization()  # n=5 (radius 2), k=2, alpha=1e-4, beta=0.75
    expected = np.empty_like(x)
    for c in range(7):
        lo, hi = max(0, c - 2), min(7, c + 3)
        expected[..., c] = x[..., c] / (2 + 1e-4 * np.square(x[..., lo:hi]).sum(-1)) ** 0.75
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-5)


def test_maxout_takes_the_largest_piece():
    layer = layers.Maxout(units=1, num_pieces=2, use_bias=False)
    layer(np.zeros((1, 2), np.float32))
    layer.set_weights([np.array([[1.0, -1.0], [2.0, 0.5]], np.float32)])
    # pieces for x = (1, 1): 1 + 2 = 3 and -1 + 0.5 = -0.5 -> 3; for x = (-1, 0): -1 and 1 -> 1
    np.testing.assert_allclose(layer(np.array([[1.0, 1.0], [-1.0, 0.0]], np.float32)).numpy(), [[3.0], [1.0]])


def test_a_window_larger_than_the_input_is_refused_with_the_layer_named():
    from neuronio.models import Sequential

    with pytest.raises(
        ShapeError,
        match=r"Layer 'conv2d' \(Conv2D\): a 5x5 window does not fit inputs of shape "
        r"\(None, 4, 4, 1\) with padding='valid'",
    ):
        Sequential([layers.Input(shape=(4, 4, 1)), layers.Conv2D(2, 5)])
    with pytest.raises(ShapeError, match=r"'max_pooling2d' \(MaxPooling2D\): a 2x2 window does not fit"):
        Sequential([layers.Input(shape=(1, 1, 3)), layers.MaxPooling2D()])
