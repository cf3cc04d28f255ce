"""Careless arguments to fit/evaluate/train_on_batch: a clear error naming the argument and the value.

Each case below was silent (epochs=-1, negative weights, BCE on class ids) or a raw Python error
(TypeError from range(), ZeroDivisionError from `% 0`, IndexError from class weights) before.
Error types follow Keras 3 where Keras raises; `test_keras_raises_the_same_type` checks that
against real Keras, and `test_keras_is_silent_where_we_raise` records where Keras says nothing.
"""

import numpy as np
import pytest

from neuronio import layers, losses, models
from neuronio.errors import NumericsError
from tests.helpers import keras_on_torch

N = 8


def _data(rng):
    x = rng.random((N, 3)).astype("float32")
    y_binary = rng.integers(0, 2, (N, 1)).astype("float32")
    y_class = np.arange(N) % 3
    return x, y_binary, y_class


def _model(kind):
    units, activation, loss = {
        "binary": (1, "sigmoid", "binary_crossentropy"),
        "sparse": (3, "softmax", "sparse_categorical_crossentropy"),
    }[kind]
    model = models.Sequential([layers.Input((3,)), layers.Dense(units, activation=activation)])
    model.compile("sgd", loss)
    return model


# (id, model kind, method, keyword arguments, error type, message regex)
CASES = [
    ("epochs negative", "binary", "fit", {"epochs": -1}, ValueError, r"fit: epochs must be >= 0 .*epochs=-1"),
    ("epochs float", "binary", "fit", {"epochs": 2.5}, TypeError, r"epochs must be an int; received epochs=2\.5 \(float\)"),
    ("epochs str", "binary", "fit", {"epochs": "3"}, TypeError, r"epochs must be an int; received epochs='3' \(str\)"),
    ("epochs None", "binary", "fit", {"epochs": None}, TypeError, r"epochs must be an int; received epochs=None"),
    ("epochs bool", "binary", "fit", {"epochs": True}, TypeError, r"epochs must be an int; received epochs=True"),
    ("initial_epoch float", "binary", "fit", {"epochs": 3, "initial_epoch": 1.5}, TypeError, r"initial_epoch=1\.5"),
    ("initial_epoch negative", "binary", "fit", {"initial_epoch": -1}, ValueError, r"initial_epoch must be >= 0"),
    ("initial_epoch past epochs", "binary", "fit", {"epochs": 2, "initial_epoch": 5}, ValueError,
     r"initial_epoch=5 is past epochs=2.*epochs=7"),
    ("steps_per_epoch negative", "binary", "fit", {"steps_per_epoch": -1}, ValueError,
     r"steps_per_epoch must be >= 1 \(or None.*received steps_per_epoch=-1"),
    ("steps_per_epoch zero", "binary", "fit", {"steps_per_epoch": 0}, ValueError, r"steps_per_epoch=0"),
    ("steps_per_epoch float", "binary", "fit", {"steps_per_epoch": 2.5}, TypeError, r"steps_per_epoch=2\.5"),
    ("validation_steps negative", "binary", "fit", {"validation_split": 0.25, "validation_steps": -1}, ValueError,
     r"validation_steps must be >= 1"),
    ("validation_freq zero", "binary", "fit", {"validation_split": 0.25, "validation_freq": 0}, ValueError,
     r"validation_freq must be >= 1 .*received validation_freq=0"),
    ("validation_freq negative", "binary", "fit", {"validation_split": 0.25, "validation_freq": -1}, ValueError,
     r"validation_freq=-1"),
    ("validation_freq float", "binary", "fit", {"validation_split": 0.25, "validation_freq": 1.5}, ValueError,
     r"validation_freq must be an int .* or a list of epochs; received validation_freq=1\.5"),
    ("validation_freq list with 0", "binary", "fit", {"validation_split": 0.25, "validation_freq": [0, 2]},
     ValueError, r"1-based epochs .*received 0 in validation_freq=\[0, 2\]"),
    ("sample_weight negative", "binary", "fit", {"sample_weight": -np.ones(N)}, ValueError,
     r"fit: sample_weight must be >= 0, but received -1 at flat index 0"),
    ("sample_weight NaN", "binary", "fit", {"sample_weight": np.r_[np.ones(N - 1), np.nan]}, NumericsError,
     r"sample_weight holds NaN or infinity \(first at flat index 7\)"),
    ("validation sample_weight negative", "binary", "fit", {"validation_data": "negative weights"}, ValueError,
     r"the sample_weight in validation_data must be >= 0"),
    ("class_weight negative key", "sparse", "fit", {"class_weight": {-1: 2.0, 0: 1.0}}, ValueError,
     r"class_weight keys must be class ids \(ints >= 0\); received the key -1"),
    ("class_weight negative weight", "sparse", "fit", {"class_weight": {0: -1.0}}, ValueError,
     r"class_weight\[0\] must be a finite number >= 0; received -1\.0"),
    ("class_weight list", "sparse", "fit", {"class_weight": [1.0, 2.0, 3.0]}, TypeError,
     r"class_weight must be a dict .*received list"),
    ("class_weight on negative labels", "sparse", "fit", {"class_weight": {0: 2.0}, "y": -np.ones(N, int)},
     ValueError, r"class_weight needs class ids >= 0 in y, but y holds the label -1"),
    ("y None", "sparse", "fit", {"y": None}, ValueError, r"fit: y is None.*model\.fit\(x, y\)"),
    ("evaluate y None", "sparse", "evaluate", {"y": None}, ValueError, r"evaluate: y is None"),
    ("evaluate steps negative", "binary", "evaluate", {"steps": -1}, ValueError, r"evaluate: steps must be >= 1"),
    ("evaluate negative sample_weight", "binary", "evaluate", {"sample_weight": -np.ones(N)}, ValueError,
     r"evaluate: sample_weight must be >= 0"),
    ("train_on_batch y None", "sparse", "train_on_batch", {"y": None}, ValueError, r"train_on_batch: y is None"),
    ("train_on_batch class_weight", "sparse", "train_on_batch", {"class_weight": {"a": 1.0}}, ValueError,
     r"train_on_batch: class_weight keys .*received the key 'a'"),
    ("test_on_batch negative sample_weight", "binary", "test_on_batch", {"sample_weight": -np.ones(N)},
     ValueError, r"test_on_batch: sample_weight must be >= 0"),
]  # fmt: skip


def _call(model, method, kwargs, x, y):
    kwargs = dict(kwargs)
    y = kwargs.pop("y", y)
    if kwargs.get("validation_data") == "negative weights":
        kwargs["validation_data"] = (x, y, -np.ones(len(x)))
    if method in ("fit", "evaluate"):
        kwargs["verbose"] = 0
    return getattr(model, method)(x, y, **kwargs)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_argument_is_a_clear_error(rng, case):
    _, kind, method, kwargs, error, message = case
    x, y_binary, y_class = _data(rng)
    model = _model(kind)
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises(error, match=message):
        _call(model, method, kwargs, x, y_binary if kind == "binary" else y_class)
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)  # refused before any update


def test_binary_crossentropy_refuses_labels_outside_0_1(rng):
    """Class ids 0-9 under binary_crossentropy gave a loss of -1.27 and training climbed it.

    Keras is silent on its TensorFlow backend; on torch it raises torch's RuntimeError from inside
    the loss. neuronio raises ValueError (a fault in the arguments) naming the range received.
    """
    x, _, _ = _data(rng)
    model = _model("binary")
    with pytest.raises(ValueError, match=r"binary_crossentropy expects labels in \[0, 1\].*from 0 to 7"):
        model.evaluate(x, np.arange(N, dtype="float32")[:, None], verbose=0)
    with pytest.raises(ValueError, match=r"from -1 to 1"):
        losses.binary_crossentropy(np.array([[-1.0], [1.0]]), np.array([[0.5], [0.5]]), from_logits=True)
    # Soft labels anywhere in [0, 1], the ends included, are fine.
    value = losses.binary_crossentropy(np.array([[0.0], [0.3], [1.0]]), np.array([[0.5], [0.5], [0.5]]))
    np.testing.assert_allclose(value.numpy(), np.log(2.0) * np.ones(3), rtol=1e-6)


def test_validation_freq_as_int_or_list_of_epochs(rng):
    x, y, _ = _data(rng)
    every_second = _model("binary").fit(x, y, epochs=4, validation_split=0.25, validation_freq=2, verbose=0)
    assert len(every_second.history["loss"]) == 4 and len(every_second.history["val_loss"]) == 2
    listed = _model("binary").fit(x, y, epochs=4, validation_split=0.25, validation_freq=[1, 4], verbose=0)
    assert len(listed.history["val_loss"]) == 2


def test_zero_epochs_and_zero_weights_stay_allowed(rng):
    """Keras accepts epochs=0 (nothing to do), zero weights (ignore a sample), NumPy ints and whole
    float class ids in class_weight; so do we."""
    x, y, _ = _data(rng)
    model = _model("binary")
    assert model.fit(x, y, epochs=0, verbose=0).history == {}
    weights = np.r_[np.zeros(N // 2), np.ones(N // 2)]
    assert np.isfinite(model.fit(x, y, sample_weight=weights, verbose=0).history["loss"][0])
    assert np.isfinite(model.fit(x, y, epochs=np.int64(2), initial_epoch=np.int64(1), verbose=0).history["loss"][0])
    sparse = _model("sparse")
    labels = np.arange(N) % 3
    assert np.isfinite(sparse.fit(x, labels, class_weight={0.0: 2.0, np.int64(1): 1.0}, verbose=0).history["loss"][0])
    with pytest.raises(ValueError, match=r"received the key 0\.5"):
        sparse.fit(x, labels, class_weight={0.5: 2.0}, verbose=0)


# -- the same calls on real Keras -----------------------------------------------------------------
def _keras_model(keras, kind):
    units, activation, loss = {
        "binary": (1, "sigmoid", "binary_crossentropy"),
        "sparse": (3, "softmax", "sparse_categorical_crossentropy"),
    }[kind]
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation=activation)])
    model.compile("sgd", loss)
    return model


KERAS_RAISES = ["epochs float", "epochs str", "epochs None", "initial_epoch float", "steps_per_epoch negative",
                "steps_per_epoch float", "validation_steps negative", "validation_freq float", "y None",
                "evaluate y None", "evaluate steps negative"]  # fmt: skip
KERAS_SILENT = ["epochs negative", "initial_epoch negative", "initial_epoch past epochs", "steps_per_epoch zero",
                "validation_freq negative", "sample_weight negative", "sample_weight NaN",
                "validation sample_weight negative", "class_weight negative key", "class_weight negative weight",
                "evaluate negative sample_weight"]  # fmt: skip


def _case(name):
    return next(c for c in CASES if c[0] == name)


@pytest.mark.keras
@pytest.mark.parametrize("name", KERAS_RAISES)
def test_keras_raises_the_same_type(rng, name):
    keras = keras_on_torch()
    _, kind, method, kwargs, error, _ = _case(name)
    x, y_binary, y_class = _data(rng)
    with pytest.raises(error):
        _call(_keras_model(keras, kind), method, kwargs, x, y_binary if kind == "binary" else y_class)


@pytest.mark.keras
@pytest.mark.parametrize("name", KERAS_SILENT)
def test_keras_is_silent_where_we_raise(rng, name):
    """Keras 3.15 accepts these and trains nothing, or climbs the loss; neuronio raises instead
    (the neuronio side is test_bad_argument_is_a_clear_error). validation_freq=0 is not here:
    Keras raises ZeroDivisionError for it by accident, and neuronio ValueError."""
    keras = keras_on_torch()
    _, kind, method, kwargs, _, _ = _case(name)
    x, y_binary, y_class = _data(rng)
    _call(_keras_model(keras, kind), method, kwargs, x, y_binary if kind == "binary" else y_class)
