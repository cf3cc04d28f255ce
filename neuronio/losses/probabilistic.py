"""Losses between distributions and for counts (Kullback-Leibler divergence, Poisson), and the hinge
family for labels in {-1, 1} (or {0, 1}, converted) and one-hot labels (categorical hinge)."""

import numpy as np

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor
from neuronio.losses.base import _dense_pair, _Wrapped, registry


def kl_divergence(y_true, y_pred) -> Tensor:
    """loss = sum(t * log(t / p), axis=-1) with t, p = y_true, y_pred clipped to [eps, 1]."""
    y_true, y_pred = _dense_pair("kl_divergence", y_true, y_pred)
    eps = config.epsilon()
    t = np.clip(y_true, eps, 1.0)
    return ops.sum(ops.multiply(t, ops.subtract(np.log(t), ops.log(ops.clip(y_pred, eps, 1.0)))), axis=-1)


def poisson(y_true, y_pred) -> Tensor:
    """loss = mean(y_pred - y_true * log(y_pred + eps), axis=-1): y_pred is a predicted rate (count)."""
    y_true, y_pred = _dense_pair("poisson", y_true, y_pred)
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred, config.epsilon())))), axis=-1)


def _hinge_labels(y_true: np.ndarray) -> np.ndarray:
    """Keras's convert_binary_labels_to_hinge: labels all in {0, 1} become {-1, 1}; others stay."""
    if np.all((y_true == 0) | (y_true == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def _margins(who: str, y_true, y_pred) -> Tensor:
    """max(1 - y_true * y_pred, 0) with hinge labels."""
    y_true, y_pred = _dense_pair(who, y_true, y_pred)
    return ops.maximum(ops.subtract(1.0, ops.multiply(_hinge_labels(y_true), y_pred)), 0.0)


def hinge(y_true, y_pred) -> Tensor:
    """loss = mean(max(1 - y_true * y_pred, 0), axis=-1), labels -1/1 (0/1 converted)."""
    return ops.mean(_margins("hinge", y_true, y_pred), axis=-1)


def squared_hinge(y_true, y_pred) -> Tensor:
    """loss = mean(max(1 - y_true * y_pred, 0)^2, axis=-1), labels -1/1 (0/1 converted)."""
    return ops.mean(ops.square(_margins("squared_hinge", y_true, y_pred)), axis=-1)


def categorical_hinge(y_true, y_pred) -> Tensor:
    """loss = max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis,
    one-hot y_true: the best wrong score must trail the right one by a margin of 1."""
    y_true, y_pred = _dense_pair("categorical_hinge", y_true, y_pred, class_hint=True)
    positive = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    negative = ops.max(ops.multiply(1.0 - y_true, y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(negative, positive), 1.0), 0.0)


@registry.register("KLDivergence")
class KLDivergence(_Wrapped):
    """sum(y_true * log(y_true / y_pred)) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction=reduction, name=name)


@registry.register("Poisson")
class Poisson(_Wrapped):
    """mean(y_pred - y_true * log(y_pred)) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(poisson, reduction=reduction, name=name)


@registry.register("Hinge")
class Hinge(_Wrapped):
    """mean(max(1 - y_true * y_pred, 0)) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(hinge, reduction=reduction, name=name)


@registry.register("SquaredHinge")
class SquaredHinge(_Wrapped):
    """mean(max(1 - y_true * y_pred, 0)^2) per sample, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(squared_hinge, reduction=reduction, name=name)


@registry.register("CategoricalHinge")
class CategoricalHinge(_Wrapped):
    """The categorical hinge per sample (see `categorical_hinge`), reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(categorical_hinge, reduction=reduction, name=name)


registry.add("kl_divergence", kl_divergence, "kld", "KLD")
registry.add("poisson", poisson)
registry.add("hinge", hinge)
registry.add("squared_hinge", squared_hinge)
registry.add("categorical_hinge", categorical_hinge)
kld = KLD = kl_divergence
