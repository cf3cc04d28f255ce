"""Correlation between labels and predictions along an axis: the functions pearson_correlation and
concordance_correlation (Keras's keras.metrics functions, differentiable in y_pred so they can
serve in a loss), and their running means PearsonCorrelation and ConcordanceCorrelation.

Both use the population (biased) mean and variance along `axis`, so with rows of shape
(batch, d) each sample gets one coefficient over its d values.
"""

import numpy as np

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor
from neuronio.losses.base import _dense_pair  # one label/prediction rule for losses and metric functions
from neuronio.metrics.base import _Wrapped, function_form, registry


def pearson_correlation(y_true, y_pred, axis=-1) -> Tensor:
    """mean(z(y_true) * z(y_pred), axis), with z(x) = (x - mean(x)) / std(x) along `axis`.

    1 for predictions that are an increasing affine map of the labels, -1 for a decreasing one.
    A constant slice has std 0 and gives nan, as in Keras.

    >>> round(float(pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.5]]).numpy()[0]), 4)
    0.9979
    """
    y_true, y_pred = _dense_pair("pearson_correlation", y_true, y_pred)
    true_centred = y_true - np.mean(y_true, axis=axis, keepdims=True)
    pred_centred = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    products = ops.multiply(pred_centred, true_centred)
    scales = ops.multiply(
        ops.std(pred_centred, axis=axis, keepdims=True), np.std(true_centred, axis=axis, keepdims=True)
    )
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 / 0 on a constant slice: nan, as in Keras
        return ops.mean(ops.divide(products, scales), axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1) -> Tensor:
    """Lin's concordance: 2 cov(y_true, y_pred) / (var(y_true) + var(y_pred) + (mean_t - mean_p)^2 + eps).

    1 only when predictions equal the labels; unlike Pearson's, it falls when predictions are
    shifted or scaled away from them.

    >>> round(float(concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]).numpy()[0]), 4)
    1.0
    """
    y_true, y_pred = _dense_pair("concordance_correlation", y_true, y_pred)
    true_mean = np.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    covariance = ops.multiply(ops.subtract(y_pred, pred_mean), y_true - true_mean)  # mean over axis is cov
    spread = ops.add(ops.var(y_pred, axis=axis, keepdims=True), np.var(y_true, axis=axis, keepdims=True))
    norm = ops.add(ops.add(spread, ops.square(ops.subtract(pred_mean, true_mean))), config.epsilon())
    return ops.mean(ops.divide(ops.multiply(covariance, 2.0), norm), axis=axis)


@registry.register("PearsonCorrelation", "pearson_correlation")
class PearsonCorrelation(_Wrapped):
    """The running (weighted) mean of `pearson_correlation` per sample."""

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


@registry.register("ConcordanceCorrelation", "concordance_correlation")
class ConcordanceCorrelation(_Wrapped):
    """The running (weighted) mean of `concordance_correlation` per sample."""

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis


function_form(pearson_correlation, concordance_correlation)
