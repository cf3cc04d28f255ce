"""Metrics with Keras 3's names, formulas and running-mean semantics, computed on NumPy arrays.

A metric is stateful: `update_state(y_true, y_pred, sample_weight=None)` adds a batch,
`result()` returns the value so far, `reset_state()` starts over. Every mean is per sample, so a
short last batch counts by its size:

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [0], [1]], [[0.9], [0.2], [0.3]])   # 2 of 3 right
    >>> m.update_state([[0]], [[0.4]])                           # 1 of 1 right
    >>> m.result()
    0.75

Metrics never record on a GradientTape: they read `Tensor.data` and work on plain arrays.
"accuracy"/"acc" in `compile` mean binary, categorical or sparse categorical accuracy depending on
the label and prediction shapes; `resolve` makes that choice, as Keras 3's compile does.
"""

import inspect

import numpy as np

from neuronio import config, losses
from neuronio._registry import Registry
from neuronio.autodiff.tape import no_grad
from neuronio.autodiff.tensor import Tensor
from neuronio.errors import FileFormatError, ShapeError

registry = Registry("metric")


def _array(x) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _match_ranks(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keras's squeeze_or_expand_to_same_rank on arrays: (N,) against (N, 1) becomes (N, 1)."""
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = y_pred[:, None]
        else:
            y_true = y_true[..., 0]
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = y_true[:, None]
        else:
            y_pred = y_pred[..., 0]
    return y_true, y_pred


def _same_shape(who: str, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _match_ranks(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"{who}: y_true and y_pred must have the same shape, but received y_true.shape={y_true.shape} "
            f"and y_pred.shape={y_pred.shape}."
        )
    return y_true, y_pred


def _floats(matches: np.ndarray) -> np.ndarray:
    return matches.astype(config.floatx())


# -- function forms: one value per sample (the last axis reduced) --------------------------------
def accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where y_pred equals y_true exactly, else 0.0 (Keras's `Accuracy`)."""
    y_true, y_pred = _match_ranks(_array(y_true), _array(y_pred))
    return _floats(y_true == y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5) -> np.ndarray:
    """1.0 where (y_pred > threshold) equals y_true, per entry."""
    y_true, y_pred = _same_shape("binary_accuracy", _array(y_true), _array(y_pred))
    return _floats(y_true == (y_pred > threshold).astype(y_true.dtype))


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where argmax(y_true) == argmax(y_pred) over the last axis (ties: the first index)."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"categorical_accuracy expects one-hot y_true of y_pred's shape {y_pred.shape}; received "
            f"y_true.shape={y_true.shape}. For integer labels use sparse_categorical_accuracy."
        )
    return _floats(np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1))


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where the integer label y_true == argmax(y_pred) over the last axis."""
    y_true, y_pred = _sparse_pair("sparse_categorical_accuracy", y_true, y_pred)
    return _floats(y_true == np.argmax(y_pred, axis=-1))


def top_k_categorical_accuracy(y_true, y_pred, k=5) -> np.ndarray:
    """1.0 where the class argmax(y_true) is among the k largest scores of y_pred."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"top_k_categorical_accuracy expects one-hot y_true of y_pred's shape {y_pred.shape}; received "
            f"y_true.shape={y_true.shape}. For integer labels use sparse_top_k_categorical_accuracy."
        )
    return _in_top_k(np.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5) -> np.ndarray:
    """1.0 where the integer label y_true is among the k largest scores of y_pred."""
    y_true, y_pred = _sparse_pair("sparse_top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(y_true.astype(np.int64), y_pred, k)


def mean_squared_error(y_true, y_pred) -> np.ndarray:
    """mean(square(y_true - y_pred), axis=-1)."""
    y_true, y_pred = _same_shape("mean_squared_error", _array(y_true), _array(y_pred))
    return np.mean(np.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred) -> np.ndarray:
    """mean(abs(y_true - y_pred), axis=-1)."""
    y_true, y_pred = _same_shape("mean_absolute_error", _array(y_true), _array(y_pred))
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred) -> np.ndarray:
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)."""
    y_true, y_pred = _same_shape("mean_squared_logarithmic_error", _array(y_true), _array(y_pred))
    eps = config.epsilon()
    return np.mean(np.square(np.log(np.maximum(y_pred, eps) + 1) - np.log(np.maximum(y_true, eps) + 1)), axis=-1)


def _sparse_pair(who: str, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels of shape y_pred.shape[:-1] (a trailing axis of size 1 is dropped)."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1:] == (1,):
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        hint = " These look like one-hot labels: use categorical_accuracy." if y_true.shape == y_pred.shape else ""
        raise ShapeError(
            f"{who} expects integer labels of shape {y_pred.shape[:-1]} for y_pred of shape {y_pred.shape}; "
            f"received y_true.shape={y_true.shape}.{hint}"
        )
    return y_true, y_pred


def _in_top_k(labels: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Whether scores[label] >= the k-th largest score: ties at the boundary count as in (Keras).

    With k >= the number of classes every label is in the top k.
    """
    n_classes = scores.shape[-1]
    if k >= n_classes:
        return _floats(np.ones(labels.shape, dtype=bool))
    kth_largest = np.partition(scores, n_classes - k, axis=-1)[..., n_classes - k]  # (...,)
    target = np.take_along_axis(scores, labels[..., None].astype(np.int64), axis=-1)[..., 0]
    return _floats(target >= kth_largest)


# -- stateful metrics -----------------------------------------------------------------------------
class Metric:
    """Base class: `update_state` accumulates, `result` reads, `reset_state` clears.

    Calling a metric updates it with one batch and returns the result so far.
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or config.snake_case(type(self).__name__)
        self.dtype = dtype or config.floatx()

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state.")

    def result(self) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement result.")

    def reset_state(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement reset_state.")

    def __call__(self, *args, **kwargs) -> float:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _samplewise(values: np.ndarray, sample_weight) -> tuple[np.ndarray, np.ndarray | None]:
    """Keras's reduce_to_samplewise_values with a mean: one weighted value (and weight) per sample."""
    values = values.astype(np.float64)
    weights = None
    if sample_weight is not None:
        weights = _array(sample_weight).astype(np.float64)
        values, weights = _match_ranks(values, weights)
        weight_ndim = weights.ndim
        if values.ndim > weight_ndim:
            values = values.mean(axis=tuple(range(weight_ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ShapeError(
                f"sample_weight of shape {weights.shape} does not fit the values of shape {values.shape}: "
                f"give one weight per sample."
            ) from None
        values = values * weights
        if weight_ndim > 1:
            weights = weights.mean(axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = values.mean(axis=tuple(range(1, values.ndim)))
    return values, weights


@registry.register("Mean", "mean")
class Mean(Metric):
    """The (weighted) running mean of the values given: total / count.

    Values of shape (N, ...) are first averaged per sample, so `count` grows by N per batch (or by
    the sum of the sample weights). The trainer uses one for the loss.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0  # float64 accumulators: many float32 batches lose no precision
        self.count = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values, weights = _samplewise(_array(values), sample_weight)
        self.total += float(np.sum(values))
        if weights is not None:
            self.count += float(np.sum(weights))
        else:
            self.count += values.shape[0] if values.ndim >= 1 else 1

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0


@registry.register("Sum", "sum")
class Sum(Metric):
    """The (weighted) running sum of the values given."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = _samplewise(_array(values), sample_weight)
        self.total += float(np.sum(values))

    def result(self) -> float:
        return self.total

    def reset_state(self) -> None:
        self.total = 0.0


@registry.register("MeanMetricWrapper")
class MeanMetricWrapper(Mean):
    """The running per-sample mean of `fn(y_true, y_pred, **kwargs)`.

    `fn` may return an array or a Tensor (a loss function); it runs without recording.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, (str, dict)):
            fn = _function(fn)
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper needs a callable fn; received {fn!r}.")
        super().__init__(name=name or config.snake_case(getattr(fn, "__name__", "mean_metric_wrapper")), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": _serialize_function(self._fn), **self._fn_kwargs}


class _Wrapped(MeanMetricWrapper):
    """A Keras metric class: a function plus keyword arguments; the config holds no `fn`."""

    def get_config(self):
        return {**Metric.get_config(self), **self._fn_kwargs}


@registry.register("Accuracy", "accuracy")
class Accuracy(_Wrapped):
    """How often y_pred equals y_true exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


@registry.register("CategoricalAccuracy", "categorical_accuracy")
class CategoricalAccuracy(_Wrapped):
    """How often argmax(y_pred) is the class of the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@registry.register("SparseCategoricalAccuracy", "sparse_categorical_accuracy")
class SparseCategoricalAccuracy(_Wrapped):
    """How often argmax(y_pred) is the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


@registry.register("MeanSquaredError", "mean_squared_error", "mse", "MSE")
class MeanSquaredError(_Wrapped):
    """The running mean of mean((y_true - y_pred)^2) per sample."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


@registry.register("MeanAbsoluteError", "mean_absolute_error", "mae", "MAE")
class MeanAbsoluteError(_Wrapped):
    """The running mean of mean(|y_true - y_pred|) per sample."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


@registry.register("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error", "msle", "MSLE")
class MeanSquaredLogarithmicError(_Wrapped):
    """The running mean of mean((log(y_pred + 1) - log(y_true + 1))^2) per sample."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


@registry.register("BinaryAccuracy", "binary_accuracy")
class BinaryAccuracy(_Wrapped):
    """How often (y_pred > threshold) matches the 0/1 label."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


@registry.register("TopKCategoricalAccuracy", "top_k_categorical_accuracy")
class TopKCategoricalAccuracy(_Wrapped):
    """How often the one-hot label's class is among the k highest scores."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {**Metric.get_config(self), "k": self.k}


@registry.register("SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(_Wrapped):
    """How often the integer label is among the k highest scores."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {**Metric.get_config(self), "k": self.k}


@registry.register("RootMeanSquaredError", "root_mean_squared_error", "rmse", "RMSE")
class RootMeanSquaredError(Mean):
    """sqrt(running mean of (y_true - y_pred)^2): the root of the mean, not a mean of roots."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _same_shape(self.name, _array(y_true), _array(y_pred))
        super().update_state(np.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> float:
        return float(np.sqrt(super().result()))


@registry.register("BinaryCrossentropy", "binary_crossentropy", "bce", "BCE")
class BinaryCrossentropy(_Wrapped):
    """The running mean of `losses.binary_crossentropy`."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0):
        kwargs = {"from_logits": from_logits, "label_smoothing": label_smoothing}
        super().__init__(losses.binary_crossentropy, name=name, dtype=dtype, **kwargs)


@registry.register("CategoricalCrossentropy", "categorical_crossentropy")
class CategoricalCrossentropy(_Wrapped):
    """The running mean of `losses.categorical_crossentropy`."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0, axis=-1):
        kwargs = {"from_logits": from_logits, "label_smoothing": label_smoothing, "axis": axis}
        super().__init__(losses.categorical_crossentropy, name=name, dtype=dtype, **kwargs)


@registry.register("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(_Wrapped):
    """The running mean of `losses.sparse_categorical_crossentropy`; ignored samples are not counted."""

    def __init__(
        self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, ignore_class=None, axis=-1
    ):
        kwargs = {"from_logits": from_logits, "ignore_class": ignore_class, "axis": axis}
        super().__init__(losses.sparse_categorical_crossentropy, name=name, dtype=dtype, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        ignore_class = self._fn_kwargs["ignore_class"]
        if ignore_class is not None:
            # Keras masks ignored samples: they leave the count as well as the total.
            valid = (_array(y_true) != ignore_class).astype(np.float64)
            if valid.ndim == np.ndim(_array(y_pred)):
                valid = valid[..., 0]
            if sample_weight is not None:
                weights, valid = _match_ranks(_array(sample_weight), valid)
                valid = weights * valid
            sample_weight = valid
        super().update_state(y_true, y_pred, sample_weight=sample_weight)


# The Keras 2 module attributes the decks' code may use (keras.metrics.mse, ...).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
msle = MSLE = mean_squared_logarithmic_error

# Metric functions by name, for MeanMetricWrapper configs and serialized functions.
_FUNCTIONS = {
    f.__name__: f
    for f in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        mean_squared_error,
        mean_absolute_error,
        mean_squared_logarithmic_error,
    )
}
_KERAS_CLASSES = {
    "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
    "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "MeanSquaredError",
    "MeanAbsoluteError", "MeanSquaredLogarithmicError", "RootMeanSquaredError", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
}  # fmt: skip


# -- lookup, "accuracy" resolution, serialization -------------------------------------------------
def get(identifier):
    """A Metric from a name ("mse", "binary_accuracy", "CategoricalAccuracy"), a config dict, a
    Metric class or instance, or a function (returned as is). None gives None.

    "acc" (and "accuracy" in compile) depend on the data's shapes: use `resolve` for them.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() == "acc":
            raise ValueError(
                "The metric 'acc' means binary, categorical or sparse categorical accuracy depending on the "
                "labels' and predictions' shapes: call metrics.resolve('acc', y_true_shape, y_pred_shape), or "
                "name the metric (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy)."
            )
        identifier = registry.lookup(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Cannot interpret {identifier!r} as a metric: give a name, a Metric, or a function.")


def resolve(identifier, y_true_shape, y_pred_shape) -> Metric:
    """The Metric that `compile(metrics=[identifier])` tracks, as Keras 3's compile_utils.get_metric.

    "accuracy"/"acc" (any case) become, from the shapes alone:
      - BinaryAccuracy (threshold 0.5) when y_pred's last axis is 1;
      - else SparseCategoricalAccuracy when y_true has lower rank than y_pred, or a last axis of 1
        against several classes;
      - else CategoricalAccuracy.
    Keras 3 ignores the loss here (Keras 2.2 looked at it): binary_crossentropy over several
    sigmoid outputs still gives CategoricalAccuracy. A string's metric is named exactly as
    written (the log key: "acc", "mse"); a function is wrapped and named after it.
    """
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        is_binary, is_sparse = losses._binary_or_sparse(tuple(y_true_shape), tuple(y_pred_shape))
        cls = BinaryAccuracy if is_binary else SparseCategoricalAccuracy if is_sparse else CategoricalAccuracy
        return cls(name=identifier)
    metric = get(identifier)
    if metric is None:
        raise ValueError("Expected a metric; received None.")
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def _function(identifier):
    """A metric or loss function from its name or serialized form (for MeanMetricWrapper)."""
    if isinstance(identifier, dict):
        identifier = identifier.get("config")
    if identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]
    fn = losses.get(identifier)
    if not inspect.isfunction(fn):
        raise FileFormatError(f"Unknown metric function {identifier!r}. Valid names: {', '.join(sorted(_FUNCTIONS))}.")
    return fn


def _serialize_function(fn) -> dict:
    name = getattr(fn, "__name__", None)
    if _FUNCTIONS.get(name) is not fn and losses.registry.name_of(fn) is None:
        raise TypeError(
            f"Cannot serialize the metric function {fn!r}: only neuronio's metric and loss functions can be saved."
        )
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def serialize(metric) -> dict:
    """Keras's envelope: {"module", "class_name", "config", "registered_name"}."""
    if inspect.isfunction(metric):
        return _serialize_function(metric)
    name = registry.name_of(metric)
    if name is None or not isinstance(metric, Metric):
        raise TypeError(f"Cannot serialize metric {metric!r}: it is not a registered Metric or metric function.")
    keras_class = name in _KERAS_CLASSES
    return {
        "module": "keras.metrics" if keras_class else "neuronio.metrics",
        "class_name": name,
        "config": metric.get_config(),
        "registered_name": None if keras_class else f"neuronio>{name}",
    }


def deserialize(config_dict):
    """The inverse of serialize; also accepts a name. Resolves only through the registry."""
    if isinstance(config_dict, str):
        return get(config_dict)
    if not isinstance(config_dict, dict) or "class_name" not in config_dict:
        raise FileFormatError(
            f"A serialized metric must be a name or a dict with 'class_name'; received {config_dict!r}."
        )
    if config_dict["class_name"] == "function":
        return _function(config_dict)
    if config_dict["class_name"] == "__lambda__":
        raise FileFormatError("Refusing to load a lambda metric: it would run code from the file. Use a named metric.")
    cls = registry.lookup(config_dict["class_name"])
    return cls.from_config(dict(config_dict.get("config") or {}))


__all__ = [
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "MAE",
    "MSE",
    "MSLE",
    "Mean",
    "MeanAbsoluteError",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "Sum",
    "TopKCategoricalAccuracy",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "deserialize",
    "get",
    "mae",
    "mean_absolute_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "registry",
    "resolve",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]
