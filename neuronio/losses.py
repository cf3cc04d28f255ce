"""Losses with Keras 3's names, arguments, formulas and reductions; class and function forms.

A loss function takes `(y_true, y_pred)` and returns one loss per sample (the last axis is
averaged or summed away); a `Loss` object also applies `sample_weight` and reduces to a scalar:

    >>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], dtype="float32")
    >>> y_pred = np.array([[0.1, 0.9], [0.6, 0.4]], dtype="float32")
    >>> mean_squared_error(y_true, y_pred).numpy()
    array([0.01, 0.16], dtype=float32)
    >>> round(float(MeanSquaredError()(y_true, y_pred)), 6)
    0.085

Cross-entropy on probabilities follows Keras exactly: predictions are rescaled to sum to 1 along
`axis` (categorical), clipped to [epsilon, 1 - epsilon] with `config.epsilon()` = 1e-7, then
logged. When `y_pred` was made, under a recording GradientTape, by `ops.softmax` (or
`ops.sigmoid`) over the loss's axis, the loss is computed from that op's input with the fused,
stable from-logits op instead, as Keras does on its TensorFlow backend (`_keras_logits`): the
value is the same up to rounding unless a probability is below epsilon (where clipping would cap
the loss at -log(1e-7) = 16.1), and the gradient is the exact `softmax(x) - y_true`.

Labels (`y_true`) never receive a gradient. Only `y_pred` does.
"""

import inspect
import warnings

import numpy as np

from neuronio import config, ops
from neuronio._registry import Registry
from neuronio.autodiff.tensor import Tensor, as_array, as_tensor
from neuronio.errors import FileFormatError, ShapeError
from neuronio.ops.activation import SigmoidOp, SoftmaxOp

registry = Registry("loss")

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# -- helpers shared by the function forms ---------------------------------------------------------
def _prediction(y_pred) -> Tensor:
    """y_pred as a float Tensor (integer arrays become floatx)."""
    y_pred = as_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = Tensor(y_pred.data.astype(config.floatx()))
    return y_pred


def _labels(y_true) -> np.ndarray:
    """y_true as a plain array: labels are constants, so a Tensor's graph is cut here."""
    return y_true.data if isinstance(y_true, Tensor) else as_array(y_true)


def _match_ranks(y_true: np.ndarray, y_pred: Tensor) -> tuple[np.ndarray, Tensor]:
    """Keras's squeeze_or_expand_to_same_rank: fix a rank difference of one size-1 last axis.

    (N,) labels against (N, 1) predictions become (N, 1); (N, T, 1) predictions against (N, T)
    labels become (N, T).
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = ops.reshape(y_pred, (*y_pred.shape, 1))
        else:
            y_true = y_true.reshape(y_true.shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = y_true.reshape(*y_true.shape, 1)
        else:
            y_pred = ops.reshape(y_pred, y_pred.shape[:-1])
    return y_true, y_pred


def _dense_pair(who: str, y_true, y_pred, class_hint: bool = False) -> tuple[np.ndarray, Tensor]:
    """Labels and predictions of one shape, labels cast to the predictions' float dtype.

    class_hint: on a mismatch that looks like integer class ids, suggest the sparse loss.
    """
    y_pred = _prediction(y_pred)
    y_true, y_pred = _match_ranks(_labels(y_true), y_pred)
    if y_true.shape != y_pred.shape:
        hint = ""
        looks_sparse = y_pred.ndim >= 1 and y_pred.shape[-1] > 1 and y_true.shape == y_pred.shape[:-1]
        if class_hint and looks_sparse:
            hint = (
                f" y_true looks like integer class ids for {y_pred.shape[-1]} classes: use "
                f"sparse_categorical_crossentropy, or one-hot encode them first "
                f"(neuronio.utils.to_categorical(y, {y_pred.shape[-1]}))."
            )
        raise ShapeError(
            f"{who}: y_true and y_pred must have the same shape, but received "
            f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}.{hint}"
        )
    return y_true.astype(y_pred.dtype, copy=False), y_pred


def _check_axis(who: str, axis, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"{who}: `axis` must be an int in [{-ndim}, {ndim}); received axis={axis!r}.")
    return int(axis) % ndim


def _check_smoothing(who: str, label_smoothing) -> float:
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: `label_smoothing` must be in [0, 1]; received label_smoothing={label_smoothing}.")
    return float(label_smoothing)


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


# -- function forms -------------------------------------------------------------------------------
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
    if k == 1:
        warnings.warn(
            f"In {who}, expected y_pred.shape to be (batch_size, num_classes) with num_classes > 1; "
            f"received y_pred.shape={y_pred.shape}. Consider binary_crossentropy for 2 classes.",
            UserWarning,
            stacklevel=2,
        )
    smoothing = _check_smoothing(who, label_smoothing)
    if smoothing:
        y_true = y_true * (1 - smoothing) + smoothing / k
    if from_logits:
        _warn_logits_of_softmax(who, y_pred, SoftmaxOp, axis)
        return _softmax_cross_entropy(y_true, y_pred, axis)
    logits = _logits_behind(y_pred, SoftmaxOp, axis)
    if logits is not None:
        return _softmax_cross_entropy(y_true, logits, axis)
    normalized = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    return ops.negative(ops.sum(ops.multiply(y_true, _clipped_log(normalized)), axis=axis))


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


def _safe_sqrt(x: Tensor) -> Tensor:
    """sqrt(x) with gradient 0 (not inf or nan) where x == 0, i.e. at a perfect fit."""
    positive = x.data > 0
    return ops.where(positive, ops.sqrt(ops.where(positive, x, 1.0)), 0.0)


# -- reduction ------------------------------------------------------------------------------------
def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: expected one of {', '.join(map(repr, REDUCTIONS))}; "
            f"received reduction={reduction!r}."
        )
    return reduction


def apply_mask(sample_weight, mask, reduction="sum_over_batch_size", dtype="float32"):
    """Keras's apply_mask: a boolean mask over the losses (ignored labels, padded timesteps) as
    sample weights. Under a mean, valid entries weigh total/valid and masked ones 0, so the mean
    runs over the valid entries only; the mask multiplies any sample_weight given (a (N,) weight
    spreads over the mask's other axes).
    """
    if mask is None:
        return sample_weight
    mask = np.asarray(mask, dtype=bool)
    weights = mask.astype(dtype)
    if reduction in ("mean", "sum_over_batch_size") and mask.any():
        weights *= mask.size / mask.sum()
    if sample_weight is None:
        return weights
    given = np.asarray(_labels(sample_weight), dtype=weights.dtype)
    if given.ndim == weights.ndim + 1 and given.shape[-1] == 1:
        given = given.reshape(weights.shape)  # (N, 1) weights for (N,) losses
    given = given.reshape(given.shape + (1,) * (weights.ndim - given.ndim))  # (N,) -> (N, 1, ...)
    return given * weights


def reduce_weighted_values(values: Tensor, sample_weight=None, reduction="sum_over_batch_size") -> Tensor:
    """Weight per-sample losses and reduce them, as Keras's `reduce_weighted_values`.

    "sum": sum(w * loss); "sum_over_batch_size" and "mean": that sum / number of losses;
    "mean_with_sample_weight": that sum / sum(w); "none"/None: w * loss, unreduced.
    """
    reduction = standardize_reduction(reduction)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(_labels(sample_weight), dtype=values.dtype)
        weights, values = _match_ranks(weights, values)
        try:
            np.broadcast_shapes(weights.shape, values.shape)
        except ValueError:
            raise ShapeError(
                f"sample_weight of shape {weights.shape} does not fit the per-sample losses of shape "
                f"{values.shape}: give one weight per sample."
            ) from None
        values = ops.multiply(values, weights)
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    divisor = float(values.size)
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = float(np.sum(weights))
    # Keras divides "no nan": an empty or all-zero-weight batch has loss 0.
    return ops.divide(total, divisor) if divisor else ops.multiply(total, 0.0)


# -- classes --------------------------------------------------------------------------------------
class Loss:
    """Base class: `call` gives per-sample losses; `__call__` weights and reduces them.

    Args:
        name: name of the instance (the class's snake_case name by default).
        reduction: "sum_over_batch_size" (mean over all losses), "sum", "mean",
            "mean_with_sample_weight" (sum / sum of weights), or "none"/None (no reduction).
    """

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        self.name = name or config.snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        """The reduced loss: a scalar Tensor, or per-sample losses for reduction "none"."""
        return reduce_weighted_values(self.call(y_true, _prediction(y_pred)), sample_weight, self.reduction)

    def call(self, y_true, y_pred) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


@registry.register("LossFunctionWrapper")
class LossFunctionWrapper(Loss):
    """A Loss from a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        if isinstance(fn, (str, dict)):
            fn = get(fn)
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper needs a callable fn; received {fn!r}.")
        super().__init__(name=name or config.snake_case(getattr(fn, "__name__", "loss")), reduction=reduction)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}


class _Wrapped(LossFunctionWrapper):
    """A Keras loss class: one loss function plus its keyword arguments (no `fn` in the config)."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}


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


@registry.register("CategoricalCrossentropy")
class CategoricalCrossentropy(_Wrapped):
    """Cross-entropy for one-hot labels; see `categorical_crossentropy`."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):  # fmt: skip
        _check_smoothing(type(self).__name__, label_smoothing)
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


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
class BinaryCrossentropy(_Wrapped):
    """Cross-entropy for 0/1 labels, averaged over the last axis; see `binary_crossentropy`."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):  # fmt: skip
        _check_smoothing(type(self).__name__, label_smoothing)
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits, self.label_smoothing, self.axis = from_logits, label_smoothing, axis


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


# Keras's function names and its aliases (keras/losses/__init__.py: ALL_OBJECTS_DICT).
registry.add("mean_squared_error", mean_squared_error, "mse", "MSE")
registry.add("mean_absolute_error", mean_absolute_error, "mae", "MAE")
registry.add("mean_squared_logarithmic_error", mean_squared_logarithmic_error, "msle", "MSLE")
registry.add("categorical_crossentropy", categorical_crossentropy)
registry.add("sparse_categorical_crossentropy", sparse_categorical_crossentropy)
registry.add("binary_crossentropy", binary_crossentropy, "bce", "BCE")
# The Keras 2 module attributes the decks' code may use (keras.losses.mse, ...).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
msle = MSLE = mean_squared_logarithmic_error

# Classes Keras ships; others are neuronio's own and are saved with registered_name "neuronio>...".
_KERAS_CLASSES = {
    "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "MeanSquaredLogarithmicError",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy",
}  # fmt: skip


# -- lookup and serialization ---------------------------------------------------------------------
def get(identifier):
    """A loss from a name, a config dict, a Loss class or instance, or a function.

    Names resolve as in Keras: snake_case names ("categorical_crossentropy", "mse") give the
    function, class names ("CategoricalCrossentropy") an instance. neuronio's root losses
    ("rmse", "rmsle", ...) always give the class, because their root is taken after the batch
    average. None gives None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    obj = registry.lookup(identifier) if isinstance(identifier, str) else identifier
    if inspect.isclass(obj) and issubclass(obj, Loss):
        return obj()
    if callable(obj):
        return obj
    raise TypeError(f"Cannot interpret {identifier!r} as a loss: give a name, a Loss, or a function (y_true, y_pred).")


def resolve(identifier, y_true_shape, y_pred_shape) -> Loss:
    """The Loss object `compile(loss=identifier)` trains with (Keras's compile_utils.get_loss).

    "crossentropy"/"ce" pick binary, sparse or categorical cross-entropy from the shapes
    (binary when y_pred's last axis is 1; sparse when y_true has lower rank, or a last axis of 1
    against several classes). Functions are wrapped in a LossFunctionWrapper named after the
    string the user wrote.
    """
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _binary_or_sparse(tuple(y_true_shape), tuple(y_pred_shape))
        fn = (
            binary_crossentropy
            if is_binary
            else sparse_categorical_crossentropy
            if is_sparse
            else categorical_crossentropy
        )
    else:
        fn = get(identifier)
    if isinstance(fn, Loss):
        return fn
    name = identifier if isinstance(identifier, str) else None
    return LossFunctionWrapper(fn, name=name)


def _binary_or_sparse(y_true_shape: tuple, y_pred_shape: tuple) -> tuple[bool, bool]:
    """Keras's is_binary_or_sparse_categorical, shared with metrics' "accuracy" resolution.

    One difference: predictions of shape (N,) (one score per sample) count as binary. Keras 3
    reads their last axis, N, as classes and takes an argmax across the batch.
    """
    true_last = y_true_shape[-1] if y_true_shape else 1
    pred_last = y_pred_shape[-1] if y_pred_shape else 1
    is_binary = pred_last == 1 or len(y_pred_shape) <= 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (true_last == 1 and pred_last > 1)
    return is_binary, is_sparse


def serialize(loss) -> dict:
    """Keras's envelope: {"module", "class_name", "config", "registered_name"}.

    A loss function is saved as Keras saves one: class_name "function", config its name.
    """
    if inspect.isfunction(loss):
        name = registry.name_of(loss)
        if name is None:
            raise TypeError(f"Cannot serialize the loss function {loss!r}: only registered losses can be saved.")
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    name = registry.name_of(loss)
    if name is None or not isinstance(loss, Loss):
        raise TypeError(f"Cannot serialize loss {loss!r}: it is not a registered Loss or loss function.")
    keras_class = name in _KERAS_CLASSES
    return {
        "module": "keras.losses" if keras_class else "neuronio.losses",
        "class_name": name,
        "config": loss.get_config(),
        "registered_name": None if keras_class else f"neuronio>{name}",
    }


def deserialize(config_dict):
    """The inverse of serialize; also accepts a plain name. Resolves only through the registry."""
    if isinstance(config_dict, str):
        return get(config_dict)
    if not isinstance(config_dict, dict) or "class_name" not in config_dict:
        raise FileFormatError(
            f"A serialized loss must be a name or a dict with 'class_name'; received {config_dict!r}."
        )
    class_name = config_dict["class_name"]
    if class_name == "function":
        return registry.lookup(config_dict.get("config"))
    if class_name == "__lambda__":
        raise FileFormatError("Refusing to load a lambda loss: it would run code from the file. Use a named loss.")
    cls = registry.lookup(class_name)
    if not (inspect.isclass(cls) and issubclass(cls, Loss)):
        return cls
    return cls.from_config(dict(config_dict.get("config") or {}))


__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "Loss",
    "LossFunctionWrapper",
    "MAE",
    "MSE",
    "MSLE",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "RootMeanSquaredLogarithmicError",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "deserialize",
    "get",
    "mae",
    "mean_absolute_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "reduce_weighted_values",
    "registry",
    "resolve",
    "root_mean_squared_error",
    "root_mean_squared_logarithmic_error",
    "serialize",
    "sparse_categorical_crossentropy",
]
