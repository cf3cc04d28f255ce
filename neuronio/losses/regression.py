"""Regression losses: mean squared, absolute and squared-logarithmic error, and the decks' root forms."""

import numpy as np

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor
from neuronio.losses.base import _dense_pair, _safe_sqrt, _Wrapped, registry


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
