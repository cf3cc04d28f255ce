"""Keras models as scikit-learn estimators (keras.wrappers, as in Keras 3's API docs): a model
builder taking (X, y, **model_kwargs), SKLearnClassifier scored with cross_val_score and searched
with GridSearchCV over a builder argument, SKLearnRegressor in a Pipeline after a StandardScaler,
and SKLearnTransformer giving a fitted model's outputs as features. Skipped (on both engines)
without scikit-learn."""

import unittest

import keras
import numpy as np

try:
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
except ImportError:
    raise unittest.SkipTest("scikit-learn is not installed (the `sklearn` extra)") from None

from keras.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer


def dynamic_model(X, y, loss, layers=(10,)):
    # The wrapper hands over the training data, so the input and output sizes come from it.
    n_features_in = X.shape[1]
    inp = keras.Input(shape=(n_features_in,))
    hidden = inp
    for layer_size in layers:
        hidden = keras.layers.Dense(layer_size, activation="relu")(hidden)
    n_outputs = y.shape[1] if len(y.shape) > 1 else 1
    out = keras.layers.Dense(n_outputs, activation="softmax" if loss == "categorical_crossentropy" else None)(hidden)
    model = keras.Model(inp, out)
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(0.05))
    return model


rng = np.random.default_rng(0)
X = rng.normal(size=(60, 4)).astype("float32")
y = np.where(X[:, 0] + X[:, 1] > 0.5, "yes", np.where(X[:, 0] + X[:, 1] < -0.5, "no", "maybe"))

# 1. A classifier: string labels in, string labels out (one-hot encoded inside the wrapper).
est = SKLearnClassifier(
    model=dynamic_model,
    model_kwargs={"loss": "categorical_crossentropy", "layers": [8]},
    fit_kwargs={"epochs": 3, "verbose": 0},
)
est.fit(X, y)
assert sorted(est.classes_) == ["maybe", "no", "yes"]
predictions = est.predict(X[:5])
assert predictions.shape == (5,) and set(predictions) <= {"maybe", "no", "yes"}
assert isinstance(est.model_, keras.Model) and est.model_.output_shape == (None, 3)
assert 0.0 <= est.score(X, y) <= 1.0

scores = cross_val_score(est, X, y, cv=3)
assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))

# 2. A grid search over a builder argument, through the model_kwargs.
search = GridSearchCV(est, {"model_kwargs": [{"loss": "categorical_crossentropy", "layers": [4]},
                                             {"loss": "categorical_crossentropy", "layers": [8, 8]}]}, cv=2)  # fmt: skip
search.fit(X, y)
assert search.best_params_["model_kwargs"]["layers"] in ([4], [8, 8])
assert len(search.cv_results_["mean_test_score"]) == 2

# 3. A regressor in a pipeline: the scaler's output feeds the Keras model; score is R^2.
target = X @ np.array([1.0, -2.0, 0.5, 0.0], "float32") + 3.0
regressor = make_pipeline(
    StandardScaler(),
    SKLearnRegressor(
        model=dynamic_model,
        model_kwargs={"loss": "mse", "layers": [16]},
        fit_kwargs={"epochs": 5, "batch_size": 8, "verbose": 0},
    ),  # fmt: skip
)
regressor.fit(X, target)
assert regressor.predict(X[:7]).shape == (7,)
assert regressor.score(X, target) > 0.0  # better than predicting the mean

# 4. A transformer: a fitted model's outputs as new features.
transformer = SKLearnTransformer(model=dynamic_model, model_kwargs={"loss": "mse", "layers": [4]},
                                 fit_kwargs={"epochs": 2, "verbose": 0})  # fmt: skip
features = transformer.fit_transform(X, target[:, None])
assert features.shape == (60, 1)
