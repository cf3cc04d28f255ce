"""ConvLSTM1D, ConvLSTM2D and SpectralNormalization against real Keras 3 (torch backend): the same
weights and inputs give the same outputs (with masks and final states; in training, the same
normalized kernel and u), one SGD step changes the weights identically, `.keras` files cross in
both directions, configs are Keras's, and summary() prints Keras's table."""

import json

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, assert_one_sgd_step_matches, keras_on_torch, same_random_weights

keras = keras_on_torch()

import neuronio  # noqa: E402
from neuronio.saving.serialization import to_keras_config  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

# float32 rounding: the engines sum the convolutions in different orders, over a few steps.
RTOL, ATOL = 1e-5, 1e-5

# (layer class, constructor arguments, one sample's input shape)
CONV_LSTM = [
    ("ConvLSTM1D", {"filters": 3, "kernel_size": 3}, (4, 6, 2)),
    ("ConvLSTM1D", {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "go_backwards": True,
                    "return_sequences": True}, (3, 5, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True}, (3, 4, 5, 2)),
    ("ConvLSTM2D", {"filters": 2, "kernel_size": (2, 3), "dilation_rate": 2, "use_bias": False,
                    "activation": "relu", "recurrent_activation": "hard_sigmoid"}, (3, 5, 6, 1)),
]  # fmt: skip
SPECTRAL = [
    ("SpectralNormalization", {"layer": ("Dense", {"units": 3})}, (4,)),
    (
        "SpectralNormalization",
        {"layer": ("Conv2D", {"filters": 2, "kernel_size": 3}), "power_iterations": 3},
        (5, 5, 2),
    ),
]
LAYERS = CONV_LSTM + SPECTRAL
MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 1, 1, 1]], bool)


def _ids(cases):
    return [f"{c[0]}-{i}" for i, c in enumerate(cases)]


def _layer(api, name, kwargs):
    if "layer" in kwargs:
        inner, inner_kwargs = kwargs["layer"]
        kwargs = {**kwargs, "layer": getattr(api.layers, inner)(**inner_kwargs)}
    return getattr(api.layers, name)(**kwargs)


def _model(api, name, kwargs, shape):
    return api.models.Sequential([api.layers.Input(shape), _layer(api, name, kwargs)])


def _same_weights(ours, theirs, rng):
    same_random_weights(ours, theirs, rng, scale=0.5)  # small: keeps the gates away from saturation


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_weights_forward_and_parameter_count_match_keras(rng, name, kwargs, shape):
    ours, theirs = _model(neuronio, name, kwargs, shape), _model(keras, name, kwargs, shape)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]
    assert [w.trainable for w in ours.weights] == [w.trainable for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    assert ours.output_shape == theirs.output_shape
    _same_weights(ours, theirs, rng)
    x = rng.standard_normal((3, *shape)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("name", "kwargs", "shape"), CONV_LSTM, ids=_ids(CONV_LSTM))
@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
def test_sequences_and_final_states_with_masks_match_keras(rng, name, kwargs, shape, masked):
    kwargs = {**kwargs, "return_sequences": True, "return_state": True}
    ours, theirs = _layer(neuronio, name, kwargs), _layer(keras, name, kwargs)
    x = rng.standard_normal((3, *shape)).astype("float32")
    ours(x)
    theirs(x)
    values = [0.5 * rng.standard_normal(tuple(w.shape)).astype("float32") for w in theirs.weights]
    ours.set_weights(values)
    theirs.set_weights(values)
    mask = MASK[:, : shape[0]] if masked else None
    for a, b in zip(ours(x, mask=mask), theirs(x, mask=mask), strict=True):
        np.testing.assert_allclose(a.numpy(), np.asarray(b.detach()), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("name", "kwargs", "shape"), SPECTRAL, ids=_ids(SPECTRAL))
def test_a_training_call_normalizes_like_keras(rng, name, kwargs, shape):
    ours, theirs = _model(neuronio, name, kwargs, shape), _model(keras, name, kwargs, shape)
    _same_weights(ours, theirs, rng)
    x = rng.standard_normal((3, *shape)).astype("float32")
    for _ in range(2):  # twice: the second call starts from the stored u
        got, expected = ours(x, training=True).numpy(), np.asarray(theirs(x, training=True).detach())
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-6)


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_one_sgd_step_matches_keras(rng, name, kwargs, shape):
    ours, theirs = _model(neuronio, name, kwargs, shape), _model(keras, name, kwargs, shape)
    _same_weights(ours, theirs, rng)
    assert_one_sgd_step_matches(ours, theirs, (neuronio, keras), rng, shape, RTOL, ATOL)


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_saved_layer_crosses_between_engines(tmp_path, rng, name, kwargs, shape, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    model = _model(source, name, kwargs, shape)
    model.set_weights([0.5 * rng.standard_normal(tuple(w.shape)).astype("float32") for w in model.weights])
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[-1]).__name__ == name
    for a, b in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    x = rng.standard_normal((2, *shape)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_configs_are_keras_configs(name, kwargs, shape):
    ours, theirs = _layer(neuronio, name, {**kwargs}), _layer(keras, name, {**kwargs})
    ours.name = theirs.name = "layer"
    if "layer" in kwargs:  # build both, so that the nested layer's config carries its build_config
        ours(np.zeros((1, *shape), "float32"))
        theirs(np.zeros((1, *shape), "float32"))
        ours.layer.name = theirs.layer.name = "inner"
    written = json.loads(json.dumps(to_keras_config(name, ours.get_config())))
    expected = json.loads(json.dumps(theirs.get_config()))
    _drop_new_initializer_keys(expected)
    _drop_new_initializer_keys(written)
    if "layer" in kwargs:
        written["layer"].pop("build_config", None)
        expected["layer"].pop("build_config", None)
        expected["layer"]["config"].pop("quantization_config", None)
    assert written == expected


def _drop_new_initializer_keys(config_dict):
    """Keras >= 3.13's initializer keys `input_axes`/`output_axes`, which Keras 3.8 cannot read."""
    for value in config_dict.values():
        if isinstance(value, dict):
            inner = value.get("config")
            if isinstance(inner, dict):
                inner.pop("input_axes", None)
                inner.pop("output_axes", None)
                _drop_new_initializer_keys(inner)


def test_summary_shows_keras_rows():  # the 1-D convolution variants too
    def build(api):
        L = api.layers
        return api.models.Sequential([
            L.Input((3, 6, 6, 1)), L.ConvLSTM2D(4, 3, padding="same", return_sequences=True),
            L.ConvLSTM2D(2, 3), L.Flatten(), L.SpectralNormalization(L.Dense(3)),
            L.Reshape((3, 1, 1)), L.ConvLSTM1D(2, 1), L.Conv1DTranspose(4, 3, strides=2, padding="same"),
            L.SeparableConv1D(3, 2, dilation_rate=2, padding="same"), L.DepthwiseConv1D(2, depth_multiplier=2),
        ])  # fmt: skip

    keras.backend.clear_session()  # Keras numbers names across its session: start both at "sequential"
    ours, theirs = build(neuronio), build(keras)
    ours_text, theirs_text = [], []
    ours.summary(print_fn=ours_text.append)
    theirs.summary(print_fn=lambda line, **kwargs: theirs_text.append(line))
    assert "\n".join(ours_text).strip() == "\n".join(theirs_text).strip()
