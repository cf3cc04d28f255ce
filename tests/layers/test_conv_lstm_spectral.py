"""ConvLSTM1D, ConvLSTM2D and SpectralNormalization: check_layer (shapes, weights, symbolic call,
config round trip, float64 gradient checks through time), the cell's equations against LSTM,
masks, states, dropout, the spectral norm the wrapper reaches, and bad arguments."""

import numpy as np
import pytest

from neuronio import config, layers
from neuronio.autodiff import Tensor, check_gradients
from tests.helpers import check_layer

CELL = ("kernel", "recurrent_kernel", "bias")
DENSE = {"class_name": "Dense", "config": {"units": 3}}  # a fresh Dense for every construction
CASES = [
    # (class, kwargs, input shape, output shape, n trainable, n non-trainable, weight names)
    (layers.ConvLSTM1D, {"filters": 2, "kernel_size": 2}, (2, 3, 4, 2), (2, 3, 2), 3, 0, CELL),
    (layers.ConvLSTM1D, {"filters": 2, "kernel_size": 3, "padding": "same", "strides": 2, "go_backwards": True,
                         "return_sequences": True}, (1, 3, 5, 1), (1, 3, 3, 2), 3, 0, CELL),
    (layers.ConvLSTM2D, {"filters": 2, "kernel_size": 2, "padding": "same", "return_sequences": True},
     (1, 3, 3, 3, 1), (1, 3, 3, 3, 2), 3, 0, CELL),
    (layers.ConvLSTM2D, {"filters": 1, "kernel_size": (2, 1), "dilation_rate": 2, "use_bias": False},
     (2, 2, 4, 2, 2), (2, 2, 2, 1), 2, 0, CELL[:2]),
    (layers.SpectralNormalization, {"layer": DENSE}, (2, 4), (2, 3), 2, 1, ("kernel", "vector_u", "bias")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_layer(case):
    cls, kwargs, in_shape, out_shape, n_train, n_frozen, names = case
    # SpectralNormalization rescales its kernel variable on every training call, so central
    # differences of a training call are not differences of one function; its gradient (the
    # wrapped layer's, at the normalized kernel) is checked below and against Keras.
    check_layer(
        cls, kwargs, in_shape, out_shape, n_train, n_frozen, names, check_grad=cls is not layers.SpectralNormalization
    )


def test_conv_lstm_with_a_1x1_kernel_on_one_position_is_an_lstm(rng):
    """With kernel_size 1 and maps of length 1, both convolutions are matrix products: the
    ConvLSTM cell must then compute exactly Keras's LSTM equations (gates i, f, c, o)."""
    x = rng.standard_normal((3, 5, 1, 4)).astype("float32")
    conv = layers.ConvLSTM1D(3, 1, return_sequences=True, return_state=True)
    lstm = layers.LSTM(3, return_sequences=True, return_state=True)
    conv(x)
    lstm(x[:, :, 0])
    values = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in lstm.weights]
    lstm.set_weights(values)
    conv.set_weights([v.reshape(w.shape) for v, w in zip(values, conv.weights, strict=True)])
    for a, b in zip(conv(x), lstm(x[:, :, 0]), strict=True):
        np.testing.assert_allclose(
            a.numpy()[:, ..., 0, :] if a.ndim > 2 else a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6
        )


def test_gradients_through_time_with_a_mask_and_the_final_states():
    rng = np.random.default_rng(3)
    with config.floatx_scope("float64"):
        layer = layers.ConvLSTM1D(2, 2, padding="same", return_state=True, go_backwards=True)
        x = rng.standard_normal((2, 4, 3, 1))
        mask = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], bool)
        layer(x)

        def fn(t):
            out, h, c = layer(t, mask=mask)
            return out * 1.5 + h + c * c

        check_gradients(fn, [Tensor(x)], params=layer.trainable_weights, mode="full")


def test_a_masked_step_keeps_the_states_and_the_output():
    rng = np.random.default_rng(4)
    layer = layers.ConvLSTM2D(2, 3, padding="same", return_sequences=True, return_state=True)
    x = rng.standard_normal((1, 3, 4, 4, 1)).astype("float32")
    out, h, c = layer(x, mask=np.array([[1, 1, 0]], bool))
    np.testing.assert_array_equal(out.numpy()[:, 2], out.numpy()[:, 1])
    _, h2, c2 = layer(x[:, :2])
    np.testing.assert_allclose(h.numpy(), h2.numpy(), rtol=1e-6)
    np.testing.assert_allclose(c.numpy(), c2.numpy(), rtol=1e-6)


def test_stateful_carries_the_feature_maps_until_reset():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 4, 5, 1)).astype("float32")
    layer = layers.ConvLSTM1D(2, 3, stateful=True)
    whole = layers.ConvLSTM1D(2, 3)
    layer(x[:, :2])
    whole(x)
    whole.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(x[:, 2:]).numpy(), whole(x).numpy(), rtol=1e-5, atol=1e-6)
    assert layer.states[0].shape == (2, 3, 2)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, 2:]).numpy(), whole(x[:, 2:]).numpy(), rtol=1e-5, atol=1e-6)
    initial = [np.zeros((2, 3, 2), "float32")] * 2
    np.testing.assert_allclose(whole(x, initial_state=initial).numpy(), whole(x).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"initial_state must be 2 array\(s\) of shapes \[\(2, 3, 2\)"):
        whole(x, initial_state=[np.zeros((2, 2), "float32")] * 2)


def test_dropout_only_in_training_and_seeded():
    x = np.ones((2, 3, 5, 2), "float32")
    layer = layers.ConvLSTM1D(2, 2, dropout=0.5, recurrent_dropout=0.5, seed=1)
    inference = layer(x).numpy()
    np.testing.assert_array_equal(layer(x).numpy(), inference)
    assert not np.allclose(layer(x, training=True).numpy(), inference)
    twin = layers.ConvLSTM1D(2, 2, dropout=0.5, recurrent_dropout=0.5, seed=1)
    twin(x)
    twin.set_weights(layer.get_weights())
    fresh = layers.ConvLSTM1D(2, 2, dropout=0.5, recurrent_dropout=0.5, seed=1)
    fresh(x)
    fresh.set_weights(layer.get_weights())
    np.testing.assert_array_equal(twin(x, training=True).numpy(), fresh(x, training=True).numpy())


def test_the_forget_gate_bias_starts_at_one():
    layer = layers.ConvLSTM2D(3, 2)
    layer(np.ones((1, 2, 3, 3, 1), "float32"))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    assert (layer.filters, layer.kernel_size, layer.unit_forget_bias) == (3, (2, 2), True)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: layers.ConvLSTM2D(2, 3, strides=2, dilation_rate=2), ValueError, r"strides > 1.*dilation_rate > 1"),
        (lambda: layers.ConvLSTM1D(2, 3, data_format="channels_first"), ValueError, r"channels_last.*NTLC"),
        (lambda: layers.ConvLSTM2D(2, 3, padding="causal"), ValueError, r"padding.*'valid' or 'same'"),
        (lambda: layers.ConvLSTM1D(2, 3, dropout=1.5), ValueError, r"dropout.*\[0, 1\).*1\.5"),
        (lambda: layers.ConvLSTM1D(0, 3), ValueError, r"filters.*positive int"),
        (lambda: layers.SpectralNormalization(layers.Dense(2), power_iterations=0), ValueError,
         r"power_iterations.*greater than zero"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_with_the_reason(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r"does not fit steps of spatial shape \(2,\)"):
        layers.ConvLSTM1D(2, 3)(np.ones((1, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match=r"ndim=5|expected ndim|rank"):
        layers.ConvLSTM2D(2, 3)(np.ones((1, 2, 5, 1), "float32"))
    with pytest.raises(ValueError, match=r"no attribute 'kernel' nor 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten())(np.ones((1, 2, 2), "float32"))


def test_spectral_normalization_brings_the_top_singular_value_to_one():
    rng = np.random.default_rng(6)
    layer = layers.SpectralNormalization(layers.Conv2D(4, 3), power_iterations=30)
    x = rng.standard_normal((2, 5, 5, 3)).astype("float32")
    layer(x)
    before = layer.kernel.numpy().copy()
    np.testing.assert_array_equal(layer(x).numpy(), layer.layer(x).numpy())  # inference: unchanged
    np.testing.assert_array_equal(layer.kernel.numpy(), before)
    y = layer(x, training=True).numpy()
    sigma = np.linalg.norm(before.reshape(-1, 4), 2)
    np.testing.assert_allclose(layer.kernel.numpy(), before / sigma, rtol=1e-4)
    assert abs(np.linalg.norm(layer.kernel.numpy().reshape(-1, 4), 2) - 1.0) < 1e-4
    np.testing.assert_allclose(y, layer.layer(x).numpy(), rtol=1e-6)  # the output uses the new kernel
    u = layer.vector_u.numpy()
    np.testing.assert_allclose(np.linalg.norm(u), 1.0, rtol=1e-5)


def test_spectral_normalization_leaves_a_zero_kernel_and_the_gradient_skips_sigma():
    dense = layers.Dense(2, kernel_initializer="zeros", bias_initializer="ones")
    layer = layers.SpectralNormalization(dense)
    y = layer(np.ones((1, 3), "float32"), training=True)
    np.testing.assert_array_equal(y.numpy(), [[1.0, 1.0]])
    np.testing.assert_array_equal(layer.kernel.numpy(), np.zeros((3, 2)))
    with config.floatx_scope("float64"):
        wrapped = layers.SpectralNormalization(layers.Dense(2))
        x = np.random.default_rng(7).standard_normal((3, 4))
        wrapped(x, training=True)  # normalize once; inference then runs the wrapped layer on it
        check_gradients(lambda t: wrapped(t), [Tensor(x)], params=wrapped.trainable_weights, mode="full")


def test_conv_lstm_regularizers_and_constraints_reach_the_cell_weights():
    layer = layers.ConvLSTM1D(2, 2, kernel_regularizer="l2", recurrent_constraint="non_neg", bias_regularizer="l1")
    layer(np.ones((1, 2, 3, 1), "float32"))
    kernel, bias = layer.cell.kernel.numpy(), layer.cell.bias.numpy()
    penalties = [float(np.asarray(getattr(p, "data", p))) for p in layer.losses]
    np.testing.assert_allclose(
        sorted(penalties), sorted([0.01 * np.sum(kernel**2), 0.01 * np.sum(np.abs(bias))]), rtol=1e-5
    )
    assert layer.cell.recurrent_kernel.constraint is not None
    config_dict = layer.get_config()
    assert config_dict["kernel_regularizer"]["class_name"] == "L2"
    assert config_dict["recurrent_constraint"]["class_name"] == "NonNeg"
    assert layers.ConvLSTM1D.from_config(config_dict).get_config() == config_dict
