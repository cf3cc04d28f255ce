"""Compiled metric log keys and weighting against real Keras 3 (torch backend): a repeated name
gets `_1`, `_2` (also for two metric objects of the same name and per output of a multi-output
model); a weighted metric whose name is taken logs as `weighted_<name>`; `metrics` ignore the
sample weights and `weighted_metrics` use them."""

import numpy as np
import pytest

import neuronio
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

X = np.random.default_rng(0).random((4, 3)).astype("float32")
Y = np.random.default_rng(1).random((4, 2)).astype("float32")
W = np.array([1.0, 0.0, 3.0, 0.5], "float32")
TOL = {"rtol": 1e-5, "atol": 1e-6}

CASES = {
    "same string twice": (lambda K: {"metrics": ["r2_score", "r2_score"]}, False),
    "three times": (lambda K: {"metrics": ["mae", "mae", "mae"]}, False),
    "alias is another name": (lambda K: {"metrics": ["mae", "mean_absolute_error"]}, False),
    "two objects one name": (
        lambda K: {"metrics": [K.metrics.MeanAbsoluteError(name="x"), K.metrics.MeanSquaredError(name="x")]},
        False,
    ),
    "weighted alone": (lambda K: {"weighted_metrics": ["mse"]}, False),
    "weighted clash": (lambda K: {"metrics": ["mae"], "weighted_metrics": ["mae"]}, False),
    "weighted clash twice": (lambda K: {"metrics": ["mae", "mae"], "weighted_metrics": ["mae", "mae"]}, False),
    "per output dict": (lambda K: {"metrics": {"a": ["mae", "mae"], "b": ["mae"]}}, True),
    "per output lists": (lambda K: {"metrics": [["mae", "mae"], ["mae"]], "weighted_metrics": [["mae"], []]}, True),
    # Keras 3: a flat list as long as the outputs gives one entry to each output (Keras 2 gave all to all).
    "flat list, one per output": (lambda K: {"metrics": ["mae", "mse"]}, True),
    "flat list of objects and lists, one per output": (
        lambda K: {"metrics": [K.metrics.MeanAbsoluteError(), ["mse", "mae"]]},
        True,
    ),
}


def _logs(K, case):
    kwargs, multi = CASES[case]
    if multi:
        inputs = K.Input((3,))
        model = K.Model(inputs, [K.layers.Dense(2, name="a")(inputs), K.layers.Dense(2, name="b")(inputs)])
        y = [Y, Y]
    else:
        model = K.Sequential([K.Input((3,)), K.layers.Dense(2, kernel_initializer="ones")])
        y = Y
    model.compile(optimizer="sgd", loss="mse", **kwargs(K))
    history = model.fit(X, y, sample_weight=W, verbose=0, validation_data=(X, y, W)).history
    return sorted(history), model.evaluate(X, y, sample_weight=W, verbose=0, return_dict=True), multi


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_metric_keys_and_values_are_keras(case):
    ours, our_values, multi = _logs(neuronio, case)
    theirs, their_values, _ = _logs(keras, case)
    assert ours == theirs
    assert sorted(our_values) == sorted(their_values)
    if not multi:  # the same initial weights: the same (weighted or unweighted) values
        for key, value in their_values.items():
            np.testing.assert_allclose(our_values[key], float(value), **TOL, err_msg=key)
