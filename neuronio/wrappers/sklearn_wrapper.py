"""scikit-learn estimators around neuronio models, with Keras 3's arguments and behaviour.

    est = SKLearnClassifier(model=build, model_kwargs={"hidden": 16}, fit_kwargs={"epochs": 5})
    est.fit(X, y).predict(X)        # also in Pipelines, GridSearchCV, cross_val_score, clone()

`model` is a compiled Model, cloned (and compiled alike) before each fit unless `warm_start`, or a
callable `model(X=X, y=y, **model_kwargs)` returning a compiled Model. The classifier one-hot
encodes the labels (any sortable labels: ints, strings) in the order of `classes_` and predicts
the class of the largest output; the regressor and the transformer pass targets through (a 1-D
target becomes a column for training and a 1-D prediction again).

With scikit-learn installed the classes are real scikit-learn estimators (BaseEstimator and the
matching mixin: get_params/set_params, score, tags); without it, making one raises ImportError
naming the `sklearn` extra.
"""

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin

    _SKLEARN_ERROR = None
except ImportError as exc:  # the names stay importable; building an estimator says what to install
    _SKLEARN_ERROR = exc

    class BaseEstimator:
        pass

    class ClassifierMixin:
        pass

    class RegressorMixin:
        pass

    class TransformerMixin:
        pass


class SKLBase(BaseEstimator):
    """What the three estimators share: building, cloning and fitting the model.

    Args:
        model: a compiled Model, or a callable returning one (called with X=, y= and model_kwargs).
        warm_start: keep training the model of the previous fit instead of a fresh one.
        model_kwargs: keyword arguments for `model` when it is a callable.
        fit_kwargs: keyword arguments for `Model.fit`; those given to `fit` take precedence.

    Attributes (after fit): model_, history_ (the History), n_features_in_.
    """

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        if _SKLEARN_ERROR is not None:
            raise ImportError(
                f"{type(self).__name__} needs scikit-learn; install it with `pip install 'neuronio[sklearn]'` (or "
                "`pip install scikit-learn`)."
            ) from _SKLEARN_ERROR
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    def fit(self, X, y, **kwargs):
        """Build (or reuse, with warm_start) the model and train it on X, y; returns self."""
        X = self._check_X(X, reset=True)
        y = self._encode_target(np.asarray(y), reset=True)
        if len(y) != len(X):
            raise ValueError(f"{type(self).__name__}.fit: X has {len(X)} samples but y has {len(y)}.")
        model = self.model_ if self.warm_start and hasattr(self, "model_") else self._new_model(X, y)
        if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
            raise RuntimeError(
                "Given model needs to be compiled, and have a loss and an optimizer. Call model.compile(optimizer, "
                "loss) before handing it (or return it compiled from your model function)."
            )
        self.history_ = model.fit(X, y, **{**(self.fit_kwargs or {}), **kwargs})
        self.model_ = model
        return self

    def _new_model(self, X, y):
        from neuronio.models import Model, clone_model

        if isinstance(self.model, Model):
            return clone_model(self.model)  # compiled alike: a fresh optimizer with the same settings
        if not callable(self.model):
            raise TypeError(
                f"{type(self).__name__}: `model` must be a compiled neuronio Model or a callable returning one; "
                f"received {type(self.model).__name__}."
            )
        return self.model(X=X, y=y, **(self.model_kwargs or {}))

    def _check_X(self, X, reset: bool) -> np.ndarray:
        from sklearn.utils.validation import check_array

        X = check_array(X, dtype="numeric", ensure_2d=True)
        if reset:
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(self).__name__} is expecting {self.n_features_in_} features "
                "as input."
            )
        return X

    def _fitted_model(self):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "model_")
        return self.model_

    def _encode_target(self, y, reset: bool):
        """Regressor and transformer: a 1-D target becomes a column (and back in `_decode`)."""
        if reset:
            self._target_ndim = y.ndim
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _decode(self, outputs):
        outputs = np.asarray(outputs)
        if self._target_ndim == 1 and outputs.ndim == 2 and outputs.shape[1] == 1:
            return outputs[:, 0]
        return outputs

    def predict(self, X):
        """The model's predictions for X, shaped like the training targets."""
        model = self._fitted_model()
        return self._decode(model.predict(self._check_X(X, reset=False), verbose=0))


class SKLearnClassifier(ClassifierMixin, SKLBase):
    """A scikit-learn classifier around a neuronio model: labels are one-hot encoded in the order
    of `classes_` (sorted unique labels), predictions are the class of the largest output, and
    `decision_function` gives the raw outputs. Binary and multiclass targets only."""

    def _encode_target(self, y, reset: bool):
        from sklearn.utils.multiclass import type_of_target

        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Only binary and multiclass target types are supported. Target type: {kind}")
        if reset:
            self._target_ndim = y.ndim
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError("Classifier can't train when only one class is present.")
        flat = y.reshape(-1)
        index = np.searchsorted(self.classes_, flat)
        unknown = (index >= len(self.classes_)) | (self.classes_[np.minimum(index, len(self.classes_) - 1)] != flat)
        if unknown.any():
            raise ValueError(f"Found unknown labels {np.unique(flat[unknown])[:5]}; the classes are {self.classes_}.")
        return np.eye(len(self.classes_), dtype="float32")[index]  # (N, n_classes) one-hot

    def _decode(self, outputs):
        labels = self.classes_[np.argmax(np.asarray(outputs), axis=-1)]
        return labels if self._target_ndim == 1 else labels.reshape(-1, 1)

    def decision_function(self, X):
        """The model's raw outputs (N, n_classes)."""
        model = self._fitted_model()
        return model.predict(self._check_X(X, reset=False), verbose=0)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, SKLBase):
    """A scikit-learn regressor around a neuronio model; `score` is R^2."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, SKLBase):
    """A scikit-learn transformer around a neuronio model: `transform(X)` is the model's output
    (an embedding, a learned feature map), for use as a step of a Pipeline."""

    def transform(self, X):
        model = self._fitted_model()
        return np.asarray(model.predict(self._check_X(X, reset=False), verbose=0))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags
