"""`.keras` files in both directions with real Keras 3 (torch backend): a model saved by neuronio
opens in `keras.models.load_model` and predicts the same numbers, a model saved by Keras opens in
neuronio and predicts the same numbers, and the optimizer state crosses over so that training
continues identically. Skipped cleanly when keras is not installed (the `keras` extra)."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

import neuronio  # noqa: E402
from neuronio.models import load_model  # noqa: E402

pytestmark = [
    pytest.mark.keras,
    KERAS_ARRAY_COPY_WARNING,
]

# float32 rounding: the two engines sum in different orders (GEMM blocking, conv as im2col).
RTOL, ATOL = 1e-5, 1e-6

# (layer class, constructor arguments, one sample's input shape); the same call in both engines.
LAYERS = [
    ("Dense", {"units": 5, "activation": "relu"}, (6,)),
    ("Dense", {"units": 3, "use_bias": False}, (2, 6)),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"}, (7, 7, 3)),
    ("Conv2D", {"filters": 2, "kernel_size": (3, 2), "strides": (2, 1), "use_bias": False}, (6, 7, 3)),
    ("MaxPooling2D", {"pool_size": 2}, (6, 6, 3)),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (7, 7, 2)),
    ("AveragePooling2D", {"pool_size": 2, "padding": "same"}, (5, 5, 3)),
    ("GlobalAveragePooling2D", {}, (4, 4, 3)),
    ("GlobalMaxPooling2D", {"keepdims": True}, (4, 4, 3)),
    ("Flatten", {}, (3, 4, 2)),
    ("Reshape", {"target_shape": (4, 6)}, (24,)),
    ("Dropout", {"rate": 0.3}, (6,)),
    ("Activation", {"activation": "elu"}, (6,)),
    ("BatchNormalization", {"momentum": 0.9, "epsilon": 0.01}, (4, 4, 3)),
    ("ZeroPadding2D", {"padding": ((1, 2), (0, 1))}, (3, 3, 2)),
    ("ReLU", {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}, (6,)),
    ("LeakyReLU", {"negative_slope": 0.2}, (6,)),
    ("PReLU", {"shared_axes": [1, 2]}, (4, 4, 3)),
    ("ELU", {"alpha": 0.7}, (6,)),
    ("Softmax", {"axis": -1}, (2, 5)),
]
MERGES = [("Add", {}), ("Concatenate", {"axis": -1}), ("Multiply", {})]


def _random_weights(model, rng):
    """Non-trivial values for every weight (variances positive, so BatchNormalization is defined)."""
    values = []
    for w in model.weights:
        value = rng.standard_normal(tuple(w.shape)).astype("float32")
        values.append(np.abs(value) + 0.5 if "variance" in w.name else value)
    model.set_weights(values)


def _inputs(shapes, rng, n=4):
    return [rng.standard_normal((n, *s)).astype("float32") for s in shapes]


def _single_layer_model(api, name, kwargs, shape):
    return api.models.Sequential([api.layers.Input(shape), getattr(api.layers, name)(**kwargs)])


def _merge_model(api, name, kwargs):
    a, b = api.layers.Input((5,)), api.layers.Input((5,))
    merged = getattr(api.layers, name)(**kwargs)([api.layers.Dense(5)(a), b])
    return api.models.Model([a, b], [merged, api.layers.Dense(2, activation="sigmoid")(merged)])


def _assert_same_outputs(a, b):
    a = a if isinstance(a, list) else [a]
    b = b if isinstance(b, list) else [b]
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=RTOL, atol=ATOL)


def _ids(cases):
    return [f"{c[0]}-{i}" for i, c in enumerate(cases)]


# -- layers, both directions ----------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_neuronio_layer_opens_in_keras(tmp_path, rng, name, kwargs, shape):
    model = _single_layer_model(neuronio, name, kwargs, shape)
    _random_weights(model, rng)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[-1]).__name__ == name
    x = _inputs([shape], rng)[0]
    _assert_same_outputs(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_keras_layer_opens_in_neuronio(tmp_path, rng, name, kwargs, shape):
    model = _single_layer_model(keras, name, kwargs, shape)
    _random_weights(model, rng)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert type(loaded.layers[-1]).__name__ == name
    x = _inputs([shape], rng)[0]
    _assert_same_outputs(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize(("name", "kwargs"), MERGES, ids=[m[0] for m in MERGES])
@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_merge_layers_in_functional_models(tmp_path, rng, name, kwargs, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    model = _merge_model(source, name, kwargs)
    _random_weights(model, rng)
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    x = _inputs([(5,), (5,)], rng)
    _assert_same_outputs(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# -- whole models, trained, with their optimizer state ------------------------------------------------------
def _cnn(api, dropout=0.25):
    """The decks' shape of model. Dropout draws different masks in the two engines, so the
    training comparisons leave it out (dropout=0)."""
    layers = api.layers
    return api.models.Sequential(
        [
            layers.Input((8, 8, 2)),
            layers.Conv2D(3, 3, padding="same", activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(6, activation="tanh"),
            layers.Dropout(dropout),
            layers.Dense(3, activation="softmax"),
        ]
    )


def _two_in_two_out(api):
    """Shared layer, merges and a nested Sequential, two outputs with two losses."""
    layers = api.layers
    a, b = layers.Input((4,), name="a"), layers.Input((4,), name="b")
    shared = layers.Dense(3, name="fc_shared")
    x = layers.Add()([shared(a), shared(b)])
    inner = api.models.Sequential([layers.Input((3,)), layers.Dense(2, name="inner_d")], name="inner")
    y2 = layers.Dense(1, activation="sigmoid", name="out2")(layers.Concatenate()([x, layers.Multiply()([a, b])]))
    return api.models.Model([a, b], [inner(x), y2])


OPTIMIZERS = [
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True}),
    ("Adam", {"learning_rate": 0.01}),
    ("Adamax", {"learning_rate": 0.01}),
    ("Nadam", {"learning_rate": 0.01}),
    ("Adagrad", {"learning_rate": 0.05}),
    ("Adadelta", {"learning_rate": 1.0}),
]


def _compile_cnn(model, api, optimizer_name, optimizer_kwargs):
    model.compile(
        optimizer=getattr(api.optimizers, optimizer_name)(**optimizer_kwargs),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )


def _variables(optimizer):
    return [
        np.asarray(v.data if hasattr(v, "data") and isinstance(v.data, np.ndarray) else v) for v in optimizer.variables
    ]


@pytest.mark.parametrize(("optimizer_name", "optimizer_kwargs"), OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_training_continues_across_engines(tmp_path, rng, optimizer_name, optimizer_kwargs, direction):
    """Train 2 steps in one engine, save, load in the other: the optimizer state arrives whole, and
    one more step in each engine gives the same weights."""
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    x = rng.standard_normal((16, 8, 8, 2)).astype("float32")
    y = rng.integers(0, 3, 16)
    model = _cnn(source, dropout=0.0)
    _random_weights(model, rng)
    _compile_cnn(model, source, optimizer_name, optimizer_kwargs)
    for _ in range(2):
        model.train_on_batch(x, y)
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer).__name__ == optimizer_name
    saved_state, loaded_state = _variables(model.optimizer), _variables(loaded.optimizer)
    assert len(saved_state) == len(loaded_state)
    assert int(loaded_state[0]) == 2  # iterations
    for got, expected in zip(loaded_state, saved_state, strict=True):
        np.testing.assert_array_equal(got, expected)
    _assert_same_outputs(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loss_source = model.train_on_batch(x, y)
    loss_target = loaded.train_on_batch(x, y)
    np.testing.assert_allclose(loss_target, loss_source, rtol=RTOL, atol=ATOL)
    _assert_same_outputs(loaded.get_weights(), model.get_weights())


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_multi_input_multi_output_model_trains_on_after_crossing(tmp_path, rng, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    xs = _inputs([(4,), (4,)], rng, n=8)
    ys = [rng.standard_normal((8, 2)).astype("float32"), rng.integers(0, 2, (8, 1)).astype("float32")]
    model = _two_in_two_out(source)
    _random_weights(model, rng)
    model.compile(
        optimizer=source.optimizers.Adam(0.01), loss=["mse", "binary_crossentropy"], metrics=[["mae"], ["accuracy"]]
    )
    model.train_on_batch(xs, ys)
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    _assert_same_outputs(loaded.predict(xs, verbose=0), model.predict(xs, verbose=0))
    model.train_on_batch(xs, ys)
    loaded.train_on_batch(xs, ys)
    _assert_same_outputs(loaded.get_weights(), model.get_weights())


def test_keras_reads_neuronio_weights_files_and_back(tmp_path, rng):
    ours, theirs = _cnn(neuronio), _cnn(keras)
    _random_weights(ours, rng)
    ours.save_weights(tmp_path / "n.weights.h5")
    theirs.load_weights(tmp_path / "n.weights.h5")
    x = _inputs([(8, 8, 2)], rng)[0]
    _assert_same_outputs(theirs.predict(x, verbose=0), ours.predict(x, verbose=0))
    _random_weights(theirs, rng)
    theirs.save_weights(tmp_path / "k.weights.h5")
    ours.load_weights(tmp_path / "k.weights.h5")
    _assert_same_outputs(ours.predict(x, verbose=0), theirs.predict(x, verbose=0))


def test_neuronio_only_layers_are_refused_by_keras_and_named(tmp_path):
    model = neuronio.models.Sequential([neuronio.layers.Input((4,)), neuronio.layers.Maxout(2)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(Exception, match="Maxout"):
        keras.models.load_model(tmp_path / "m.keras")
