"""Overlap losses for segmentation masks: Dice and Tversky, one minus an overlap ratio between
y_true (0/1 or soft masks) and y_pred (probabilities), summed over `axis` as in Keras 3
(axis=None: one value for the whole batch)."""

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor
from neuronio.losses.base import _dense_pair, _Wrapped, registry


def _check_overlap_axis(who: str, axis, ndim: int):
    """None, an int or a tuple of ints, each a valid axis of y_pred."""
    axes = () if axis is None else (axis,) if isinstance(axis, int) and not isinstance(axis, bool) else axis
    if not isinstance(axes, (tuple, list)) or not all(
        isinstance(a, int) and not isinstance(a, bool) and -ndim <= a < ndim for a in axes
    ):
        raise ValueError(
            f"{who}: `axis` must be None (the whole batch), an int or a tuple of ints in [{-ndim}, {ndim}); "
            f"received axis={axis!r}. For one loss per sample of images (N, H, W, C) use axis=(1, 2, 3)."
        )
    return None if axis is None else tuple(axes) if isinstance(axis, (tuple, list)) else axis


def dice(y_true, y_pred, axis=None) -> Tensor:
    """loss = 1 - 2 sum(y_true y_pred) / (sum(y_true) + sum(y_pred) + eps), sums over `axis`."""
    y_true, y_pred = _dense_pair("dice", y_true, y_pred)
    axis = _check_overlap_axis("dice", axis, max(y_pred.ndim, 1))
    intersection = ops.sum(ops.multiply(y_pred, y_true), axis=axis)
    union = ops.add(ops.sum(y_pred, axis=axis), y_true.sum(axis=axis) + config.epsilon())
    return ops.subtract(1.0, ops.divide(ops.multiply(intersection, 2.0), union))


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None) -> Tensor:
    """loss = 1 - TP / (TP + alpha * sum(y_true (1 - y_pred)) + beta * sum((1 - y_true) y_pred) + eps),
    TP = sum(y_true y_pred), sums over `axis`. As in Keras 3, alpha weighs the missed positive mass
    and beta the predicted mass outside y_true; alpha = beta = 0.5 gives the Dice loss."""
    y_true, y_pred = _dense_pair("tversky", y_true, y_pred)
    axis = _check_overlap_axis("tversky", axis, max(y_pred.ndim, 1))
    tp = ops.sum(ops.multiply(y_pred, y_true), axis=axis)
    missed = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    spilled = ops.sum(ops.multiply(y_pred, 1.0 - y_true), axis=axis)
    denominator = ops.add(ops.add(tp, ops.multiply(missed, alpha)), ops.multiply(spilled, beta))
    return ops.subtract(1.0, ops.divide(tp, ops.add(denominator, config.epsilon())))


@registry.register("Dice")
class Dice(_Wrapped):
    """The Dice loss; see `dice`."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None):
        super().__init__(dice, reduction=reduction, name=name, axis=axis)
        self.axis = axis


@registry.register("Tversky")
class Tversky(_Wrapped):
    """The Tversky loss; see `tversky`."""

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None):
        super().__init__(tversky, reduction=reduction, name=name, alpha=alpha, beta=beta, axis=axis)
        self.alpha, self.beta, self.axis = alpha, beta, axis


registry.add("dice", dice)
registry.add("tversky", tversky)
