"""The 1-D and sequence layers against real Keras 3 (torch backend): the same weights give the
same outputs, one optimizer step gives the same weights, and `.keras` files cross both ways.
Skipped cleanly when keras is not installed (the `keras` extra)."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

import neuronio  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

# float32 rounding: the engines sum in different orders (im2col GEMM against torch's convolution).
RTOL, ATOL = 1e-5, 1e-6

# (name, layer factory taking the API, one sample's input shape)
LAYERS = [
    ("Conv1D", lambda api: api.layers.Conv1D(3, 3, activation="relu"), (9, 2)),
    ("Conv1D", lambda api: api.layers.Conv1D(4, 2, padding="causal", dilation_rate=3), (10, 3)),
    ("Conv1D", lambda api: api.layers.Conv1D(2, 4, strides=3, padding="same", use_bias=False), (11, 2)),
    ("Conv1D", lambda api: api.layers.Conv1D(3, 3, strides=2, padding="causal"), (10, 2)),
    ("Conv1D", lambda api: api.layers.Conv1D(4, 3, padding="same", dilation_rate=2, groups=2), (9, 4)),
    ("Conv2D", lambda api: api.layers.Conv2D(3, 3, dilation_rate=2, padding="same"), (7, 6, 2)),
    ("Conv2D", lambda api: api.layers.Conv2D(2, (2, 3), dilation_rate=(3, 1), activation="relu"), (8, 6, 2)),
    ("MaxPooling1D", lambda api: api.layers.MaxPooling1D(), (7, 3)),
    ("MaxPooling1D", lambda api: api.layers.MaxPooling1D(3, strides=2, padding="same"), (8, 2)),
    ("AveragePooling1D", lambda api: api.layers.AveragePooling1D(2), (7, 3)),
    # Symmetric 'same' padding only: see test_same_average_pooling_with_uneven_padding_counts_real_steps.
    ("AveragePooling1D", lambda api: api.layers.AveragePooling1D(3, strides=1, padding="same"), (8, 2)),
    ("GlobalAveragePooling1D", lambda api: api.layers.GlobalAveragePooling1D(), (6, 3)),
    ("GlobalAveragePooling1D", lambda api: api.layers.GlobalAveragePooling1D(keepdims=True), (6, 3)),
    ("GlobalMaxPooling1D", lambda api: api.layers.GlobalMaxPooling1D(), (6, 3)),
    ("UpSampling1D", lambda api: api.layers.UpSampling1D(3), (4, 2)),
    ("ZeroPadding1D", lambda api: api.layers.ZeroPadding1D((2, 1)), (4, 2)),
    ("Cropping1D", lambda api: api.layers.Cropping1D((1, 2)), (6, 2)),
    ("RepeatVector", lambda api: api.layers.RepeatVector(3), (4,)),
    ("Permute", lambda api: api.layers.Permute((2, 1)), (4, 3)),
    ("Permute", lambda api: api.layers.Permute((3, 1, 2)), (2, 3, 4)),
    ("TimeDistributed", lambda api: api.layers.TimeDistributed(api.layers.Dense(3, activation="tanh")), (5, 4)),
    ("TimeDistributed", lambda api: api.layers.TimeDistributed(api.layers.Conv1D(2, 2)), (3, 5, 2)),
]
WITH_WEIGHTS = [case for case in LAYERS if case[0] in ("Conv1D", "Conv2D", "TimeDistributed")]


def _ids(cases):
    return [f"{c[0]}-{i}" for i, c in enumerate(cases)]


def _model(api, factory, shape):
    return api.models.Sequential([api.layers.Input(shape), factory(api)])


def _same_weights(source, target, rng):
    values = [rng.standard_normal(tuple(w.shape)).astype("float32") for w in source.weights]
    source.set_weights(values)
    target.set_weights(values)


def _close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("name", "factory", "shape"), LAYERS, ids=_ids(LAYERS))
def test_forward_values_equal_keras(rng, name, factory, shape):
    ours, theirs = _model(neuronio, factory, shape), _model(keras, factory, shape)
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    shape_in = (None, *shape)
    assert tuple(ours.layers[-1].compute_output_shape(shape_in)) == tuple(
        theirs.layers[-1].compute_output_shape(shape_in)
    )
    _same_weights(ours, theirs, rng)
    x = rng.standard_normal((4, *shape)).astype("float32")
    _close(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


@pytest.mark.parametrize(("name", "factory", "shape"), WITH_WEIGHTS, ids=_ids(WITH_WEIGHTS))
def test_one_adam_step_equals_keras(rng, name, factory, shape):
    ours, theirs = _model(neuronio, factory, shape), _model(keras, factory, shape)
    _same_weights(ours, theirs, rng)
    x = rng.standard_normal((6, *shape)).astype("float32")
    y = rng.standard_normal((6, *ours.output_shape[1:])).astype("float32")
    for model, api in ((ours, neuronio), (theirs, keras)):
        model.compile(optimizer=api.optimizers.Adam(0.01), loss="mse")
    _close(ours.train_on_batch(x, y), theirs.train_on_batch(x, y))
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        _close(a, b)


@pytest.mark.parametrize(("name", "factory", "shape"), LAYERS, ids=_ids(LAYERS))
@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_keras_files_cross_both_ways(tmp_path, rng, name, factory, shape, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    model = _model(source, factory, shape)
    values = [rng.standard_normal(tuple(w.shape)).astype("float32") for w in model.weights]
    model.set_weights(values)
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[-1]).__name__ == name
    assert loaded.layers[-1].get_config().keys() >= {"name", "trainable"}
    x = rng.standard_normal((3, *shape)).astype("float32")
    _close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(loaded.get_weights(), values, strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_masked_global_average_equals_keras(rng):
    x = rng.standard_normal((3, 5, 2)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    ours = neuronio.layers.GlobalAveragePooling1D()(x, mask=mask).numpy()
    theirs = keras.layers.GlobalAveragePooling1D()(x, mask=mask)
    _close(ours, keras.ops.convert_to_numpy(theirs))


def test_same_average_pooling_with_uneven_padding_counts_real_steps():
    """Where 'same' pads one side more than the other, Keras's torch backend pads by repeating the
    edge value (torch has no uneven padding), so the edge value counts twice: [1..8] pooled by 3
    at stride 2 ends in (7 + 8 + 8) / 3. Keras's TensorFlow and JAX backends, and neuronio (here
    and in its 2-D pooling), average the real steps only: (7 + 8) / 2."""
    x = np.arange(1, 9, dtype="float32").reshape(1, 8, 1)
    ours = neuronio.layers.AveragePooling1D(3, strides=2, padding="same")(x).numpy()[0, :, 0]
    np.testing.assert_allclose(ours, [2.0, 4.0, 6.0, 7.5])


def _sequence_model(api):
    L = api.layers
    layers = [
        L.Conv1D(8, 3, padding="causal", dilation_rate=2, name="conv1d"),
        L.MaxPooling1D(name="max_pooling1d"),
        L.TimeDistributed(L.Dense(4, name="dense"), name="time_distributed"),
        L.UpSampling1D(2, name="up_sampling1d"),
        L.ZeroPadding1D(1, name="zero_padding1d"),
        L.Cropping1D((1, 2), name="cropping1d"),
        L.AveragePooling1D(2, name="average_pooling1d"),
        L.Permute((2, 1), name="permute"),
        L.GlobalMaxPooling1D(name="global_max_pooling1d"),
        L.RepeatVector(3, name="repeat_vector"),
        L.GlobalAveragePooling1D(name="global_average_pooling1d"),
    ]
    return api.models.Sequential([L.Input((20, 3)), *layers], name="sequence_model")


def test_summary_is_keras_summary(capsys):
    """Row for row the table Keras prints: names, output shapes, parameter counts and totals."""
    _sequence_model(keras).summary()
    theirs = capsys.readouterr().out
    _sequence_model(neuronio).summary()
    ours = capsys.readouterr().out
    assert "Total params: 116 (464.00 B)" in ours
    assert ours == theirs
