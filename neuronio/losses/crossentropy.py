"""Cross-entropy losses: categorical, sparse categorical and binary, on probabilities or logits.

Cross-entropy on probabilities follows Keras exactly: predictions are rescaled to sum to 1 along
`axis` (categorical), clipped to [epsilon, 1 - epsilon] with `config.epsilon()` = 1e-7, then
logged. When `y_pred` was made, under a recording GradientTape, by `ops.softmax` (or
`ops.sigmoid`) over the loss's axis, the loss is computed from that op's input with the fused,
stable from-logits op instead, as Keras does on its TensorFlow backend (`_keras_logits`): the
value is the same up to rounding unless a probability is below epsilon (where clipping would cap
the loss at -log(1e-7) = 16.1), and the gradient is the exact `softmax(x) - y_true`.
"""

import warnings

import numpy as np

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor
from neuronio.errors import ShapeError
from neuronio.losses.base import (
    Loss,
    _check_axis,
    _check_smoothing,
    _dense_pair,
    _labels,
    _prediction,
    _Wrapped,
    apply_mask,
    registry,
)
from neuronio.ops.activation import SigmoidOp, SoftmaxOp


def _logits_behind(y_pred: Tensor, op_class: type, axis: int | None):
    """The input of the softmax/sigmoid op that produced y_pred, if the tape recorded one.

    A recorded op keeps its inputs (`node.inputs`); outside a tape nothing is recorded and the
    probability path is used. A softmax must be over the loss's axis alone.
    """
    node = y_pred.node
    if not isinstance(node, op_class) or len(node.inputs) != 1:
        return None
    if op_class is SoftmaxOp and node.axes != (axis,):
        return None
    return node.inputs[0]


def _clipped_log(probabilities: Tensor) -> Tensor:
    """log(clip(p, eps, 1 - eps)): Keras's guard against log(0) on probabilities."""
    eps = config.epsilon()
    return ops.log(ops.clip(probabilities, eps, 1.0 - eps))


def _warn_logits_of_softmax(who: str, y_pred: Tensor, op_class: type, axis) -> None:
    if _logits_behind(y_pred, op_class, axis) is not None:
        activation = "softmax" if op_class is SoftmaxOp else "sigmoid"
        warnings.warn(
            f"{who} received from_logits=True, but y_pred was produced by a {activation} "
            f"and so holds probabilities, not logits. Was this intended? Either drop the final "
            f"activation or use from_logits=False.",
            UserWarning,
            stacklevel=3,
        )


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1) -> Tensor:
    """loss = -sum(y_true * log(p), axis) with one-hot (or soft) labels y_true.

    p = softmax(y_pred) when from_logits, else clip(y_pred / sum(y_pred, axis), eps, 1 - eps).
    label_smoothing s replaces y_true by y_true * (1 - s) + s / K for K classes.
    """
    who = "categorical_crossentropy"
    y_pred = _prediction(y_pred)
    labels = _labels(y_true)
    axis = _check_axis(who, axis, max(y_pred.ndim, 1))
    k = y_pred.shape[axis]
    if (
        labels.shape != y_pred.shape
        and k > 1
        and labels.shape in (_without(y_pred.shape, axis), _with_one(y_pred.shape, axis))
    ):
        raise ShapeError(
            f"{who} expects one-hot labels of the same shape as y_pred {y_pred.shape}, but received "
            f"y_true.shape={labels.shape}, which looks like integer class ids. Use "
            f"sparse_categorical_crossentropy for integer labels, or one-hot encode them with "
            f"neuronio.utils.to_categorical(y, {k})."
        )
    y_true, y_pred = _dense_pair(who, labels, y_pred)
    y_true = smoothed_class_labels(who, y_true, y_pred.shape, k, label_smoothing, "binary_crossentropy")
    if from_logits:
        _warn_logits_of_softmax(who, y_pred, SoftmaxOp, axis)
        return _softmax_cross_entropy(y_true, y_pred, axis)
    logits = _logits_behind(y_pred, SoftmaxOp, axis)
    if logits is not None:
        return _softmax_cross_entropy(y_true, logits, axis)
    normalized = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    return ops.negative(ops.sum(ops.multiply(y_true, _clipped_log(normalized)), axis=axis))


def smoothed_class_labels(who, y_true, pred_shape, k, label_smoothing, binary_loss) -> np.ndarray:
    """One-hot labels for K = k classes, smoothed: y_true (1 - s) + s / K; a warning, as Keras
    gives, when there is a single class (`binary_loss` is the loss to use instead)."""
    if k == 1:
        warnings.warn(
            f"In {who}, expected y_pred.shape to be (batch_size, num_classes) with num_classes > 1; "
            f"received y_pred.shape={pred_shape}. Consider {binary_loss} for 2 classes.",
            UserWarning,
            stacklevel=3,
        )
    smoothing = _check_smoothing(who, label_smoothing)
    return y_true * (1 - smoothing) + smoothing / k if smoothing else y_true


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1) -> Tensor:
    """loss = -log(p[y_true]) with integer class ids y_true in [0, K).

    y_true has y_pred's shape without the class axis (or with it of size 1). p is as in
    categorical_crossentropy. Samples whose label equals `ignore_class` get loss 0 (and a
    `Loss` object leaves them out of the average).
    """
    who = "sparse_categorical_crossentropy"
    y_pred = _prediction(y_pred)
    axis = _check_axis(who, axis, max(y_pred.ndim, 1))
    labels, valid = _sparse_labels(who, _labels(y_true), y_pred.shape, axis, ignore_class)
    k = y_pred.shape[axis]
    if from_logits:
        _warn_logits_of_softmax(who, y_pred, SoftmaxOp, axis)
        logits = y_pred
    else:
        logits = _logits_behind(y_pred, SoftmaxOp, axis)
    if logits is not None and axis == y_pred.ndim - 1:
        losses = ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    else:
        one_hot = np.moveaxis(labels[..., None] == np.arange(k), -1, axis).astype(y_pred.dtype)
        if logits is not None:
            losses = _softmax_cross_entropy(one_hot, logits, axis)
        else:
            normalized = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
            losses = ops.negative(ops.sum(ops.multiply(one_hot, _clipped_log(normalized)), axis=axis))
    if valid is not None:
        losses = ops.multiply(losses, valid.astype(losses.dtype))
    return losses


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1) -> Tensor:
    """loss = mean(-(y_true * log(p) + (1 - y_true) * log(1 - p)), axis).

    p = sigmoid(y_pred) when from_logits, else clip(y_pred, eps, 1 - eps). label_smoothing s
    squeezes the labels towards 0.5: y_true * (1 - s) + 0.5 * s.
    """
    who = "binary_crossentropy"
    y_true, y_pred = _dense_pair(who, y_true, y_pred, class_hint=True)
    _check_probability_labels(who, y_true)
    axis = _check_axis(who, axis, max(y_pred.ndim, 1))
    smoothing = _check_smoothing(who, label_smoothing)
    if smoothing:
        y_true = y_true * (1 - smoothing) + 0.5 * smoothing
    if from_logits:
        _warn_logits_of_softmax(who, y_pred, SigmoidOp, None)
        logits = y_pred
    else:
        logits = _logits_behind(y_pred, SigmoidOp, None)
    if logits is not None:
        elementwise = ops.sigmoid_cross_entropy_with_logits(labels=y_true, logits=logits)
    else:
        eps = config.epsilon()
        p = ops.clip(y_pred, eps, 1.0 - eps)
        log_p, log_not_p = ops.log(p), ops.log(ops.subtract(1.0, p))
        elementwise = ops.negative(ops.add(ops.multiply(y_true, log_p), ops.multiply(1 - y_true, log_not_p)))
    return ops.mean(elementwise, axis=axis)


def _check_probability_labels(who: str, y_true: np.ndarray) -> None:
    """Binary cross-entropy needs labels in [0, 1]; outside it the loss goes negative and training
    climbs it. One min and one max over the labels (NaN was refused at fit's boundary)."""
    if y_true.size and (y_true.min() < 0 or y_true.max() > 1):
        low, high = float(y_true.min()), float(y_true.max())
        raise ValueError(
            f"{who} expects labels in [0, 1] (the probability of the positive class), but received labels "
            f"from {low:g} to {high:g}. For integer class ids 0..K-1 use sparse_categorical_crossentropy "
            f"with a softmax over K units; otherwise rescale the labels into [0, 1]."
        )


def _softmax_cross_entropy(y_true: np.ndarray, logits: Tensor, axis: int) -> Tensor:
    """-sum(y_true * log_softmax(logits), axis), fused when the class axis is last."""
    if axis == logits.ndim - 1:
        return ops.softmax_cross_entropy_with_logits(labels=y_true, logits=logits)
    return ops.negative(ops.sum(ops.multiply(y_true, ops.log_softmax(logits, axis=axis)), axis=axis))


def _sparse_labels(who, labels, pred_shape, axis, ignore_class):
    """Integer labels of shape pred_shape without `axis`, checked; plus the ignore_class mask."""
    k = pred_shape[axis]
    class_free = _without(pred_shape, axis)
    if labels.shape == _with_one(pred_shape, axis) and labels.shape != class_free:
        labels = labels.reshape(class_free)
    if labels.shape != class_free:
        if labels.shape == pred_shape:
            raise ShapeError(
                f"{who} expects integer class ids of shape {class_free}, but received y_true.shape="
                f"{labels.shape}, the shape of y_pred: these look like one-hot labels. Use "
                f"categorical_crossentropy for one-hot labels, or pass integer class ids "
                f"(e.g. y.argmax(axis=-1))."
            )
        raise ShapeError(
            f"{who}: y_true must have y_pred's shape without the class axis, {class_free}, but received "
            f"y_true.shape={labels.shape} and y_pred.shape={pred_shape}."
        )
    valid = None if ignore_class is None else labels != ignore_class
    checked = labels if valid is None else labels[valid]
    if checked.dtype.kind == "f" and checked.size and not np.array_equal(checked, np.floor(checked)):
        bad = checked[checked != np.floor(checked)][0]
        raise ValueError(
            f"{who} expects integer class ids; received the label {float(bad):g}. Use categorical_crossentropy for soft labels."
        )
    if checked.size and (checked.min() < 0 or checked.max() >= k):
        bad = checked.min() if checked.min() < 0 else checked.max()
        raise ValueError(
            f"{who}: labels must be class ids in [0, {k}) for y_pred with {k} classes, but received the "
            f"label {bad:g}. Check the number of units of the output layer, or the labels' encoding."
        )
    labels = labels.astype(np.int64)
    if valid is not None:
        labels = np.where(valid, labels, 0)
    return labels, valid


def _without(shape: tuple, axis: int) -> tuple:
    return shape[:axis] + shape[axis + 1 :]


def _with_one(shape: tuple, axis: int) -> tuple:
    return shape[:axis] + (1,) + shape[axis + 1 :]


class _Smoothed(_Wrapped):
    """A cross-entropy class with label smoothing (checked here); its arguments become attributes, as on Keras's."""

    def __init__(self, fn, reduction, name, **kwargs):
        _check_smoothing(type(self).__name__, kwargs["label_smoothing"])
        super().__init__(fn, reduction=reduction, name=name, **kwargs)
        vars(self).update(kwargs)


@registry.register("CategoricalCrossentropy")
class CategoricalCrossentropy(_Smoothed):
    """Cross-entropy for one-hot labels; see `categorical_crossentropy`."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):  # fmt: skip
        super().__init__(categorical_crossentropy, reduction, name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)  # fmt: skip


@registry.register("SparseCategoricalCrossentropy")
class SparseCategoricalCrossentropy(_Wrapped):
    """Cross-entropy for integer labels; see `sparse_categorical_crossentropy`.

    With `ignore_class`, the ignored samples are left out of the "sum_over_batch_size" average
    (Keras masks them), not counted as zeros.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size", axis=-1,
                 name="sparse_categorical_crossentropy"):  # fmt: skip
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        self.from_logits, self.ignore_class, self.axis = from_logits, ignore_class, axis

    def __call__(self, y_true, y_pred, sample_weight=None):
        if self.ignore_class is not None:
            sample_weight = self._masked_weights(y_true, _prediction(y_pred), sample_weight)
        return super().__call__(y_true, y_pred, sample_weight)

    def _masked_weights(self, y_true, y_pred: Tensor, sample_weight) -> np.ndarray:
        axis = _check_axis(self.name, self.axis, max(y_pred.ndim, 1))
        _, valid = _sparse_labels(self.name, _labels(y_true), y_pred.shape, axis, self.ignore_class)
        return apply_mask(sample_weight, valid, self.reduction, y_pred.dtype)

    def get_config(self):
        config_dict = {**Loss.get_config(self), "from_logits": self.from_logits, "ignore_class": self.ignore_class}
        if self.axis != -1:  # Keras's config leaves axis out; keep it when it is not the default
            config_dict["axis"] = self.axis
        return config_dict


@registry.register("BinaryCrossentropy")
class BinaryCrossentropy(_Smoothed):
    """Cross-entropy for 0/1 labels, averaged over the last axis; see `binary_crossentropy`."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):  # fmt: skip
        super().__init__(binary_crossentropy, reduction, name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)  # fmt: skip


registry.add("categorical_crossentropy", categorical_crossentropy)
registry.add("sparse_categorical_crossentropy", sparse_categorical_crossentropy)
registry.add("binary_crossentropy", binary_crossentropy, "bce", "BCE")
