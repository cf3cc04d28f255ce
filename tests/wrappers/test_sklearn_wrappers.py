"""neuronio.wrappers: scikit-learn estimators around neuronio models (Keras's keras.wrappers).
Compared with real Keras in tests/reference/test_keras_wrappers.py."""

import sys

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import neuronio  # noqa: E402
from neuronio import layers, models, utils, wrappers  # noqa: E402


def dynamic_model(X, y, loss="categorical_crossentropy", hidden=8, activation="softmax"):
    inputs = layers.Input((X.shape[1],))
    x = layers.Dense(hidden, activation="relu")(inputs)
    outputs = layers.Dense(y.shape[1] if y.ndim > 1 else 1, activation=activation)(x)
    model = models.Model(inputs, outputs)
    model.compile(neuronio.optimizers.Adam(0.05), loss)
    return model


def _blobs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.array(["cat", "dog", "eel"]), n // 3)
    centres = {"cat": (-3, 0), "dog": (3, 0), "eel": (0, 4)}
    X = np.array([centres[c] for c in y]) + rng.normal(scale=0.5, size=(n, 2))
    return X.astype("float32"), y


def test_classifier_learns_string_labels_and_is_an_sklearn_estimator():
    utils.set_random_seed(0)
    X, y = _blobs()
    est = wrappers.SKLearnClassifier(dynamic_model, model_kwargs={"hidden": 16}, fit_kwargs={"epochs": 30, "verbose": 0})
    assert est.fit(X, y) is est
    assert est.classes_.tolist() == ["cat", "dog", "eel"] and est.n_features_in_ == 2
    assert est.predict(X[:3]).tolist() == ["cat", "cat", "cat"] and est.score(X, y) > 0.9
    assert est.decision_function(X[:4]).shape == (4, 3)
    assert len(est.history_.history["loss"]) == 30
    assert sklearn.base.is_classifier(est) and set(est.get_params()) == {"fit_kwargs", "model", "model_kwargs", "warm_start"}
    twin = clone(est)
    assert twin.model is dynamic_model and not hasattr(twin, "model_")
    scores = cross_val_score(wrappers.SKLearnClassifier(dynamic_model, fit_kwargs={"epochs": 20, "verbose": 0}), X, y, cv=2)
    assert scores.shape == (2,) and scores.min() > 0.6


def test_regressor_takes_a_compiled_model_and_clones_it():
    utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 3)).astype("float32")
    y = X @ np.array([1.0, -2.0, 0.5], "float32")
    given = models.Sequential([layers.Input((3,)), layers.Dense(1)])
    given.compile(neuronio.optimizers.SGD(0.1), "mse")
    before = [w.copy() for w in given.get_weights()]
    est = wrappers.SKLearnRegressor(given, fit_kwargs={"epochs": 40, "verbose": 0})
    pipe = make_pipeline(StandardScaler(), est).fit(X, y)
    assert est.model_ is not given and all(np.array_equal(a, b) for a, b in zip(before, given.get_weights()))
    assert pipe.predict(X).shape == (64,) and pipe.score(X, y) > 0.95
    warm = wrappers.SKLearnRegressor(given, warm_start=True, fit_kwargs={"epochs": 1, "verbose": 0}).fit(X, y)
    first = warm.model_
    warm.fit(X, y)
    assert warm.model_ is first  # warm_start keeps training the same model


def test_transformer_gives_the_model_outputs():
    X, y = _blobs()
    est = wrappers.SKLearnTransformer(dynamic_model, fit_kwargs={"epochs": 2, "verbose": 0})
    out = est.fit(X, np.eye(3)[np.searchsorted(["cat", "dog", "eel"], y)]).transform(X)
    np.testing.assert_allclose(out, est.model_.predict(X, verbose=0))
    assert out.shape == (60, 3)


def test_bad_use_fails_clearly():
    X, y = _blobs()
    with pytest.raises(ValueError, match="Only binary and multiclass target types are supported. Target type: continuous"):
        wrappers.SKLearnClassifier(dynamic_model).fit(X, X[:, 0])
    with pytest.raises(ValueError, match="only one class"):
        wrappers.SKLearnClassifier(dynamic_model).fit(X, np.zeros(len(X)))
    with pytest.raises(sklearn.exceptions.NotFittedError):
        wrappers.SKLearnClassifier(dynamic_model).predict(X)
    uncompiled = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    with pytest.raises(RuntimeError, match="needs to be compiled"):
        wrappers.SKLearnRegressor(uncompiled).fit(X, X[:, 0])
    est = wrappers.SKLearnRegressor(dynamic_model, model_kwargs={"loss": "mse", "activation": None},
                                    fit_kwargs={"verbose": 0}).fit(X, X[:, 0])  # fmt: skip
    with pytest.raises(ValueError, match="X has 3 features, but SKLearnRegressor is expecting 2"):
        est.predict(np.zeros((1, 3)))


def test_without_sklearn_the_error_names_the_extra(monkeypatch):
    import importlib

    import neuronio.wrappers.sklearn_wrapper as module

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.base", None)
    try:
        reloaded = importlib.reload(module)
        with pytest.raises(ImportError, match=r"neuronio\[sklearn\]"):
            reloaded.SKLearnClassifier(dynamic_model)
    finally:
        monkeypatch.undo()
        importlib.reload(module)
