"""Regression losses: mean squared, absolute, absolute-percentage and squared-logarithmic error, Huber,
log-cosh and cosine similarity, and the decks' root forms."""

import numpy as np

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor
from neuronio.losses.base import Loss, _dense_pair, _safe_sqrt, _Wrapped, registry


def mean_squared_error(y_true, y_pred) -> Tensor:
    """loss = mean(square(y_true - y_pred), axis=-1); shape y_pred.shape[:-1]."""
    y_true, y_pred = _dense_pair("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_true, y_pred)), axis=-1)


def mean_absolute_error(y_true, y_pred) -> Tensor:
    """loss = mean(abs(y_true - y_pred), axis=-1); shape y_pred.shape[:-1]."""
    y_true, y_pred = _dense_pair("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """loss = mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1).

    As in Keras, values below epsilon (zero and negatives) count as epsilon.
    """
    y_true, y_pred = _dense_pair("mean_squared_logarithmic_error", y_true, y_pred)
    eps = config.epsilon()
    log_true = np.log(np.maximum(y_true, eps) + 1)
    log_pred = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(log_pred, log_true)), axis=-1)


def root_mean_squared_error(y_true, y_pred) -> Tensor:
    """loss = sqrt(mean(square(y_true - y_pred), axis=-1)) per sample (the deck's RMSE).

    Not in Keras. Note that the class `RootMeanSquaredError` takes the root after averaging
    over the batch, which is the deck's sqrt(1/n sum (y - y_hat)^2) over all n samples.
    """
    return _safe_sqrt(mean_squared_error(y_true, y_pred))


def root_mean_squared_logarithmic_error(y_true, y_pred) -> Tensor:
    """loss = sqrt(mean_squared_logarithmic_error) per sample (the deck's RMSLE).

    Not in Keras. The class `RootMeanSquaredLogarithmicError` takes the root after averaging over
    the batch: sqrt(1/n sum (log(p + 1) - log(a + 1))^2), the deck's formula.
    """
    return _safe_sqrt(mean_squared_logarithmic_error(y_true, y_pred))


@registry.register("MeanSquaredError")
class MeanSquaredError(_Wrapped):
    """mean(square(y_true - y_pred)) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


@registry.register("MeanAbsoluteError")
class MeanAbsoluteError(_Wrapped):
    """mean(abs(y_true - y_pred)) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


@registry.register("MeanSquaredLogarithmicError")
class MeanSquaredLogarithmicError(_Wrapped):
    """mean(square(log(y_pred + 1) - log(y_true + 1))) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


class _RootLoss(_Wrapped):
    """The square root of a reduced squared error: sqrt(sum_over_batch_size(squared errors)).

    The root is taken after the reduction, so the value is the deck's sqrt(1/n sum (...)^2) over
    the n samples of the batch, not a mean of per-sample roots. With reduction "none" each sample
    gets its own root.
    """

    def __call__(self, y_true, y_pred, sample_weight=None):
        return _safe_sqrt(super().__call__(y_true, y_pred, sample_weight))


@registry.register("RootMeanSquaredError", "root_mean_squared_error", "rmse", "RMSE")
class RootMeanSquaredError(_RootLoss):
    """sqrt(mean over the batch of mean((y_true - y_pred)^2)): the deck's RMSE (not a Keras loss)."""

    def __init__(self, reduction="sum_over_batch_size", name="root_mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


@registry.register("RootMeanSquaredLogarithmicError", "root_mean_squared_logarithmic_error", "rmsle", "RMSLE")
class RootMeanSquaredLogarithmicError(_RootLoss):
    """sqrt(mean over the batch of MSLE): the deck's RMSLE (not a Keras loss)."""

    def __init__(self, reduction="sum_over_batch_size", name="root_mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


registry.add("mean_squared_error", mean_squared_error, "mse", "MSE")
registry.add("mean_absolute_error", mean_absolute_error, "mae", "MAE")
registry.add("mean_squared_logarithmic_error", mean_squared_logarithmic_error, "msle", "MSLE")
# The Keras 2 module attributes the decks' code may use (keras.losses.mse, ...).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
msle = MSLE = mean_squared_logarithmic_error


# -- more of Keras's regression losses ------------------------------------------------------------
def mean_absolute_percentage_error(y_true, y_pred) -> Tensor:
    """loss = 100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)."""
    y_true, y_pred = _dense_pair("mean_absolute_percentage_error", y_true, y_pred)
    scale = np.maximum(np.abs(y_true), config.epsilon())  # labels are constants: plain NumPy
    return ops.multiply(ops.mean(ops.abs(ops.divide(ops.subtract(y_true, y_pred), scale)), axis=-1), 100.0)


def huber(y_true, y_pred, delta=1.0) -> Tensor:
    """loss = mean(0.5 * e^2 where |e| <= delta, else delta * |e| - 0.5 * delta^2, axis=-1), e = y_pred - y_true.

    Quadratic near the target, linear far from it: robust to outliers.
    """
    y_true, y_pred = _dense_pair("huber", y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(ops.square(error), 0.5)
    linear = ops.subtract(ops.multiply(abs_error, delta), 0.5 * delta * delta)
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred) -> Tensor:
    """loss = mean(log(cosh(y_pred - y_true)), axis=-1), computed stably as x + softplus(-2x) - log(2)."""
    y_true, y_pred = _dense_pair("log_cosh", y_true, y_pred)
    error = ops.subtract(y_pred, y_true)
    values = ops.add(error, ops.softplus(ops.multiply(error, -2.0)))
    return ops.mean(ops.subtract(values, float(np.log(2.0))), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1) -> Tensor:
    """loss = -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for the same direction.

    As in Keras, x is normalized as x * min(1 / ||x||, 1 / eps), so a zero vector stays zero.
    """
    y_true, y_pred = _dense_pair("cosine_similarity", y_true, y_pred)
    eps = config.epsilon()
    true_norm = np.sqrt(np.sum(np.square(y_true), axis=axis, keepdims=True))
    unit_true = y_true / np.maximum(true_norm, eps)
    square_sum = ops.sum(ops.square(y_pred), axis=axis, keepdims=True)
    large = square_sum.data > eps * eps  # below: the inverse norm is capped at 1 / eps (no gradient)
    inverse_norm = ops.where(large, ops.power(ops.where(large, square_sum, 1.0), -0.5), 1.0 / eps)
    return ops.negative(ops.sum(ops.multiply(ops.multiply(y_pred, inverse_norm), unit_true), axis=axis))


@registry.register("MeanAbsolutePercentageError")
class MeanAbsolutePercentageError(_Wrapped):
    """100 * mean(|y_true - y_pred| / |y_true|) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name)


@registry.register("Huber")
class Huber(_Wrapped):
    """The Huber loss per sample (see `huber`), reduced. Keras's config leaves `delta` out; neuronio
    writes it when it is not the default 1.0, so that it survives saving."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(huber, reduction=reduction, name=name, delta=float(delta))

    def get_config(self):
        delta = self._fn_kwargs["delta"]
        return {**Loss.get_config(self), **({"delta": delta} if delta != 1.0 else {})}


@registry.register("LogCosh")
class LogCosh(_Wrapped):
    """mean(log(cosh(y_pred - y_true))) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(log_cosh, reduction=reduction, name=name)


@registry.register("CosineSimilarity")
class CosineSimilarity(_Wrapped):
    """-cos(y_true, y_pred) per sample along `axis`, reduced (Keras leaves `axis` out of the config;
    neuronio writes it when it is not -1)."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(cosine_similarity, reduction=reduction, name=name, axis=axis)

    def get_config(self):
        axis = self._fn_kwargs["axis"]
        return {**Loss.get_config(self), **({"axis": axis} if axis != -1 else {})}


registry.add("mean_absolute_percentage_error", mean_absolute_percentage_error, "mape", "MAPE")
registry.add("huber", huber)
registry.add("log_cosh", log_cosh)
registry.add("cosine_similarity", cosine_similarity)
mape = MAPE = mean_absolute_percentage_error
