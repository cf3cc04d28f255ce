"""Cross-entropies that down-weight easy examples or noisy labels: binary and categorical focal
cross-entropy (Lin et al. 2017) and the generalized cross-entropy (Zhang & Sabuncu 2018), with
Keras 3's arguments, defaults and formulas (probabilities clipped to [eps, 1 - eps] as in the
plain cross-entropies)."""

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor
from neuronio.losses.base import (
    Loss,
    _check_axis,
    _check_smoothing,
    _dense_pair,
    _labels,
    _prediction,
    _Wrapped,
    registry,
)
from neuronio.losses.crossentropy import _check_probability_labels, _Smoothed, _sparse_labels, smoothed_class_labels


def _check_gamma(who: str, gamma) -> float:
    if gamma < 0:
        raise ValueError(f"{who}: `gamma` must be >= 0 (0 is the plain cross-entropy); received gamma={gamma}.")
    return float(gamma)


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1) -> Tensor:  # fmt: skip
    """loss = mean((1 - p_t)**gamma * bce, axis), p_t = y_true p + (1 - y_true)(1 - p).

    p = sigmoid(y_pred) when from_logits, else y_pred; bce is binary cross-entropy on p clipped to
    [eps, 1 - eps]. With apply_class_balancing, each term is also weighted by alpha (positives) or
    1 - alpha (negatives). gamma = 0 without balancing is binary_crossentropy.
    """
    who = "binary_focal_crossentropy"
    y_true, y_pred = _dense_pair(who, y_true, y_pred, class_hint=True)
    _check_probability_labels(who, y_true)
    axis = _check_axis(who, axis, max(y_pred.ndim, 1))
    gamma = _check_gamma(who, gamma)
    smoothing = _check_smoothing(who, label_smoothing)
    if smoothing:
        y_true = y_true * (1 - smoothing) + 0.5 * smoothing
    p = ops.sigmoid(y_pred) if from_logits else y_pred
    eps = config.epsilon()
    clipped = ops.clip(p, eps, 1.0 - eps)
    bce = ops.negative(ops.add(ops.multiply(y_true, ops.log(clipped)),
                               ops.multiply(1.0 - y_true, ops.log(ops.subtract(1.0, clipped)))))  # fmt: skip
    p_t = ops.add(ops.multiply(y_true, p), ops.multiply(1.0 - y_true, ops.subtract(1.0, p)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        focal = ops.multiply(focal, y_true * alpha + (1.0 - y_true) * (1.0 - alpha))
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1) -> Tensor:  # fmt: skip
    """loss = sum(alpha * (1 - p)**gamma * -y_true * log(p), axis) with one-hot (or soft) y_true.

    p = softmax(y_pred) when from_logits, else y_pred; then, as in categorical_crossentropy,
    rescaled to sum to 1 along `axis` and clipped to [eps, 1 - eps]. label_smoothing s replaces
    y_true by y_true (1 - s) + s / K.
    """
    who = "categorical_focal_crossentropy"
    y_pred = _prediction(y_pred)
    axis = _check_axis(who, axis, max(y_pred.ndim, 1))
    y_true, y_pred = _dense_pair(who, y_true, y_pred, class_hint=True)
    gamma = _check_gamma(who, gamma)
    k = y_pred.shape[axis]
    y_true = smoothed_class_labels(who, y_true, y_pred.shape, k, label_smoothing, "binary_focal_crossentropy")
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    eps = config.epsilon()
    p = ops.clip(ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True)), eps, 1.0 - eps)
    weights = ops.multiply(ops.power(ops.subtract(1.0, p), gamma), alpha)
    return ops.negative(ops.sum(ops.multiply(weights, ops.multiply(y_true, ops.log(p))), axis=axis))


def categorical_generalized_cross_entropy(y_true, y_pred, q) -> Tensor:
    """loss = (1 - p**q) / q, p the predicted probability of the true class y_true (an integer
    class id, as for sparse_categorical_crossentropy). q -> 0 gives cross-entropy, q = 1 the mean
    absolute error on the probabilities; in between it is robust to noisy labels."""
    who = "categorical_generalized_cross_entropy"
    if q == 0:
        raise ValueError(f"{who}: `q` must not be 0 (the loss divides by it); received q={q}. Use q in (0, 1).")
    y_pred = _prediction(y_pred)
    labels, _ = _sparse_labels(who, _labels(y_true), y_pred.shape, y_pred.ndim - 1, None)
    p = ops.squeeze(ops.take_along_axis(y_pred, labels[..., None], axis=-1), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(p, float(q))), float(q))


class _Focal(_Smoothed):
    """The focal classes: label smoothing checked (and arguments kept) as by the plain cross-entropies, and gamma."""

    def __init__(self, fn, reduction, name, **kwargs):
        super().__init__(fn, reduction, name, **kwargs)  # label_smoothing checked first, then gamma
        _check_gamma(type(self).__name__, kwargs["gamma"])


@registry.register("BinaryFocalCrossentropy")
class BinaryFocalCrossentropy(_Focal):
    """Focal cross-entropy for 0/1 labels; see `binary_focal_crossentropy`."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy"):  # fmt: skip
        super().__init__(
            binary_focal_crossentropy,
            reduction=reduction,
            name=name,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@registry.register("CategoricalFocalCrossentropy")
class CategoricalFocalCrossentropy(_Focal):
    """Focal cross-entropy for one-hot labels; see `categorical_focal_crossentropy`."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy"):  # fmt: skip
        super().__init__(
            categorical_focal_crossentropy,
            reduction=reduction,
            name=name,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


@registry.register("CategoricalGeneralizedCrossEntropy")
class CategoricalGeneralizedCrossEntropy(_Wrapped):
    """Generalized cross-entropy for integer labels; see `categorical_generalized_cross_entropy`."""

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy"):
        if not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: `q` must be in the interval (0, 1); received q={q}.")
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction, name=name, q=q)
        self.q = q

    def get_config(self):
        return {**Loss.get_config(self), "q": self.q}


registry.add("binary_focal_crossentropy", binary_focal_crossentropy)
registry.add("categorical_focal_crossentropy", categorical_focal_crossentropy)
registry.add("categorical_generalized_cross_entropy", categorical_generalized_cross_entropy)
