"""Regression metrics (mean squared, absolute and squared-logarithmic error, root mean squared error,
R2Score) and the running means of the cross-entropy losses."""

import warnings

import numpy as np

from neuronio import config, losses
from neuronio.errors import ShapeError
from neuronio.metrics.base import Mean, Metric, _array, _match_ranks, _same_shape, _Wrapped, function_form, registry


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

function_form(mean_squared_error, mean_absolute_error, mean_squared_logarithmic_error)


def _cosine_similarity(y_true, y_pred, axis=-1):
    """+cos(y_true, y_pred) along axis (the loss of that name is its negative)."""
    return -losses.cosine_similarity(y_true, y_pred, axis=axis).data


@registry.register("MeanAbsolutePercentageError", "mean_absolute_percentage_error", "mape", "MAPE")
class MeanAbsolutePercentageError(_Wrapped):
    """The running mean of 100 * mean(|y_true - y_pred| / |y_true|) per sample."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(losses.mean_absolute_percentage_error, name=name, dtype=dtype)


@registry.register("LogCoshError", "log_cosh_error", "logcosh")
class LogCoshError(_Wrapped):
    """The running mean of mean(log(cosh(y_pred - y_true))) per sample."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(losses.log_cosh, name=name, dtype=dtype)


@registry.register("CosineSimilarity", "cosine_similarity")
class CosineSimilarity(_Wrapped):
    """The running mean of cos(y_true, y_pred) along `axis` (1 for the same direction)."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(_cosine_similarity, name=name, dtype=dtype, axis=axis)

    def get_config(self):
        axis = self._fn_kwargs["axis"]
        return {**Metric.get_config(self), **({"axis": axis} if axis != -1 else {})}


AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


@registry.register("R2Score", "r2_score")
class R2Score(Metric):
    """The coefficient of determination per output column, 1 - SS_res / SS_tot, then aggregated.

    Over all batches so far, for column j with weights w (1 by default):
    SS_res = sum(w * (y_true - y_pred)^2) and SS_tot = sum(w * (y_true - mean_w(y_true))^2). A
    column whose labels are constant (SS_tot = 0) scores 0. Inputs have shape (batch, outputs).

    >>> m = R2Score()
    >>> m.update_state([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]])   # SS_res 1, SS_tot 2
    >>> m.result()
    0.5

    Args:
        class_aggregation: "uniform_average" (the mean over columns), "variance_weighted_average"
            (weighted by each column's SS_tot) or None (one score per column, an array).
        num_regressors: p > 0 gives the adjusted score 1 - (1 - R2) (n - 1) / (n - p - 1), where
            n counts every entry seen (batch x outputs, as Keras counts it); with n - 1 <= p a
            warning says so and the plain score is returned.
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        who = f"R2Score '{self.name}'"
        if class_aggregation not in AGGREGATIONS:
            raise ValueError(
                f"{who}: `class_aggregation` must be one of {AGGREGATIONS}; received "
                f"class_aggregation={class_aggregation!r}."
            )
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, (int, np.integer)) or num_regressors < 0:
            raise ValueError(
                f"{who}: `num_regressors` must be an int >= 0; received num_regressors={num_regressors!r}."
            )
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        self.num_samples = self.add_variable(shape=(), name="num_samples")
        self._sums = None  # squared_sum, sum, residual, count per column: built on the first batch

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _same_shape(self.name, _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64))
        if y_true.ndim != 2:
            raise ShapeError(
                f"R2Score '{self.name}' expects 2-D inputs (batch_size, outputs); received y_true.shape={y_true.shape} "
                f"and y_pred.shape={y_pred.shape}. Reshape single outputs to (batch_size, 1)."
            )
        if self._sums is None:
            names = ("squared_sum", "sum", "residual", "count")
            self._sums = [self.add_variable(shape=(y_true.shape[1],), name=n) for n in names]
        weights = np.ones_like(y_true) if sample_weight is None else _array(sample_weight).astype(np.float64)
        weights = np.broadcast_to(weights[:, None] if weights.ndim == 1 else weights, y_true.shape)
        increments = (y_true * y_true * weights, y_true * weights, np.square(y_true - y_pred) * weights, weights)
        for variable, increment in zip(self._sums, increments, strict=True):
            variable.assign_add(np.sum(increment, axis=0).astype(variable.dtype))
        self.num_samples.assign_add(np.asarray(y_true.size, dtype=self.num_samples.dtype))

    def result(self):
        if self._sums is None:
            return 0.0
        squared_sum, total, residual, count = (v.data.astype(np.float64) for v in self._sums)
        with np.errstate(divide="ignore", invalid="ignore"):
            ss_tot = squared_sum - total * (total / count)
            scores = 1.0 - residual / ss_tot
        scores = np.where(np.isinf(scores), 0.0, scores)
        if self.class_aggregation == "uniform_average":
            scores = np.mean(scores)
        elif self.class_aggregation == "variance_weighted_average":
            scores = np.sum(ss_tot * scores) / np.sum(ss_tot)
        n, p = float(self.num_samples.data), self.num_regressors
        if p and p >= n - 1:
            reason = "more regressors than data points" if p > n - 1 else "a division by zero"
            warnings.warn(f"R2Score '{self.name}': the adjusted score meets {reason} "
                          f"(num_regressors={p}, {n:g} values seen); returning the plain R2 score.", stacklevel=2)  # fmt: skip
        elif p:
            scores = 1.0 - (1.0 - scores) * (n - 1.0) / (n - p - 1.0)
        return float(scores) if np.ndim(scores) == 0 else scores.astype(self.dtype)

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}  # fmt: skip
