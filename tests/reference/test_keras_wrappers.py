"""neuronio.wrappers against keras.wrappers: the same model function, starting weights and data give
the same classes, outputs, predictions and scores."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
pytest.importorskip("sklearn")

import neuronio  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RTOL = 1e-4


def _builder(lib, activation):
    def build(X, y):
        rng = np.random.default_rng(0)
        model = lib.Sequential([lib.Input((X.shape[1],)), lib.layers.Dense(y.shape[1], activation=activation)])
        model.set_weights([rng.normal(size=(X.shape[1], y.shape[1])).astype("float32"), np.zeros(y.shape[1], "float32")])
        model.compile(lib.optimizers.SGD(0.1), "categorical_crossentropy" if activation else "mse")
        return model

    return build


@pytest.mark.parametrize("labels", [np.array(["b", "a", "c"]), np.array([3, 1, 2])])
def test_classifier_equals_keras(labels):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 4)).astype("float32")
    y = labels[rng.integers(0, 3, 12)]
    fit = {"epochs": 3, "batch_size": 4, "shuffle": False, "verbose": 0}
    ours = neuronio.wrappers.SKLearnClassifier(_builder(neuronio, "softmax"), fit_kwargs=fit).fit(X, y)
    theirs = keras.wrappers.SKLearnClassifier(_builder(keras, "softmax"), fit_kwargs=fit).fit(X, y)
    assert ours.classes_.tolist() == theirs.classes_.tolist()
    np.testing.assert_allclose(ours.decision_function(X), theirs.decision_function(X), rtol=RTOL, atol=1e-6)
    assert ours.predict(X).tolist() == theirs.predict(X).tolist()
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y))


def test_regressor_equals_keras():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(12, 3)).astype("float32")
    y = X @ np.array([1.0, 2.0, -1.0], "float32")
    fit = {"epochs": 3, "batch_size": 4, "shuffle": False, "verbose": 0}
    ours = neuronio.wrappers.SKLearnRegressor(_builder(neuronio, None), fit_kwargs=fit).fit(X, y)
    theirs = keras.wrappers.SKLearnRegressor(_builder(keras, None), fit_kwargs=fit).fit(X, y)
    assert ours.predict(X).shape == theirs.predict(X).shape == (12,)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=RTOL, atol=1e-5)
    assert ours.score(X, y) == pytest.approx(theirs.score(X, y), rel=RTOL)
