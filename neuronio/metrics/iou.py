"""Intersection over union from a running confusion matrix: IoU (chosen classes), MeanIoU (every
class), BinaryIoU (thresholded scores) and the one-hot forms OneHotIoU and OneHotMeanIoU, with
Keras 3's arguments, defaults and class hierarchy.

For class c, with the weighted confusion matrix `cm` (rows: true class, columns: predicted),

    iou_c = cm[c, c] / (sum(cm[c, :]) + sum(cm[:, c]) - cm[c, c])  =  TP / (TP + FP + FN)

and the result is the mean of iou_c over the target classes whose denominator is not zero
(a class absent from labels and predictions alike is left out, not counted as 0 or 1).

As in Keras, the matrix is int32 by default, so float sample weights are truncated (a warning
says so): pass dtype="float32" for fractional weights.
"""

import warnings

import numpy as np

from neuronio import config
from neuronio.metrics.base import Metric, _array, registry


class _IoUBase(Metric):
    """The confusion matrix `total_confusion_matrix` of shape (num_classes, num_classes)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):  # fmt: skip
        super().__init__(name=name, dtype=dtype or "int32")
        _check_count(type(self).__name__, self.name, num_classes)
        self.num_classes, self.ignore_class, self.axis = int(num_classes), ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        shape = (self.num_classes, self.num_classes)
        self.total_cm = self.add_variable(shape=shape, name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        """Add a batch: labels and predictions are class ids, or scores reduced by argmax along
        `axis` where sparse_y_true / sparse_y_pred is False. Ids outside [0, num_classes) and
        `ignore_class` labels are not counted."""
        y_true, y_pred = _array(y_true), _array(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        y_true, y_pred = y_true.reshape(-1).astype(np.int64), y_pred.reshape(-1).astype(np.int64)
        if sample_weight is None:
            weights = np.ones(y_true.shape)
        else:
            weights = _array(sample_weight)
            if weights.dtype.kind == "f" and np.dtype(self.dtype).kind == "i":
                warnings.warn(
                    f"{type(self).__name__} '{self.name}': float sample weights are cast to its dtype {self.dtype} "
                    f"(truncated, as in Keras); use dtype='float32' for fractional weights.",
                    UserWarning,
                    stacklevel=2,
                )
            weights = np.broadcast_to(weights.astype(self.dtype).reshape(-1), y_true.shape)
        n = self.num_classes
        valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        counts = np.bincount(y_true[valid] * n + y_pred[valid], weights=weights[valid], minlength=n * n)
        self.total_cm.assign_add(counts.reshape(n, n).astype(self.dtype))

    def _mean_iou(self, class_ids) -> float:
        """The mean IoU over `class_ids`, leaving out classes with a zero denominator."""
        cm = self.total_cm.data.astype(np.float64)
        tp = np.diag(cm)
        denominator = (cm.sum(axis=0) + cm.sum(axis=1) - tp)[class_ids]
        tp = tp[class_ids]
        valid = denominator > 0
        return float(np.sum(tp[valid] / denominator[valid]) / valid.sum()) if valid.any() else 0.0


@registry.register("IoU", "io_u", "iou")
class IoU(_IoUBase):
    """The mean IoU over the classes `target_class_ids` (one id gives that class's IoU).

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])   # class 0: TP 1, FP 1, FN 1
    >>> round(m.result(), 6)
    0.333333

    Args:
        num_classes: the number of classes (the matrix is num_classes x num_classes).
        target_class_ids: the classes to average over, each in [0, num_classes).
        ignore_class: a label whose samples/pixels are not counted (e.g. a "void" class).
        sparse_y_true, sparse_y_pred: class ids (True) or scores to take the argmax of along `axis`.
    """

    # Constructor arguments a subclass fixes (MeanIoU's targets, the one-hot labels): not in its config.
    _fixed: tuple = ()

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):  # fmt: skip
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)  # fmt: skip
        ids = [int(i) for i in np.atleast_1d(target_class_ids)]
        if not ids or min(ids) < 0 or max(ids) >= self.num_classes:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': every target class id must be in [0, {self.num_classes}) "
                f"(num_classes={self.num_classes}); received target_class_ids={target_class_ids!r}."
            )
        self.target_class_ids = ids

    def result(self) -> float:
        return self._mean_iou(self.target_class_ids)

    def get_config(self):
        config_dict = {
            "num_classes": self.num_classes,
            **super().get_config(),
            "ignore_class": self.ignore_class,
            "target_class_ids": self.target_class_ids,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
        return {key: value for key, value in config_dict.items() if key not in self._fixed}


@registry.register("MeanIoU", "mean_io_u", "mean_iou")
class MeanIoU(IoU):
    """The mean IoU over every class that occurs (in labels or predictions).

    Arguments as IoU, without target_class_ids (all classes are targets).
    """

    _fixed = ("target_class_ids",)

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):  # fmt: skip
        _check_count(type(self).__name__, name or config.snake_case(type(self).__name__), num_classes)
        super().__init__(num_classes, list(range(num_classes)), name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred,
                         axis=axis)  # fmt: skip


@registry.register("BinaryIoU", "binary_io_u", "binary_iou")
class BinaryIoU(IoU):
    """IoU of a two-class task from scores: y_pred >= threshold predicts class 1, else class 0.

    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])   # predicted 0, 0, 1, 1
    >>> round(m.result(), 6)
    0.333333

    Args:
        target_class_ids: [0], [1] or [0, 1] (the mean of both IoUs, the default).
        threshold: the score from which a prediction is class 1.
    Labels are class ids 0 and 1 (other values are cast to the metric's int dtype first).
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_pred = (_array(y_pred).astype(np.float32) >= self.threshold).astype(np.int64)
        super().update_state(_array(y_true).astype(self.dtype), y_pred, sample_weight)

    def get_config(self):
        return {**Metric.get_config(self), "target_class_ids": self.target_class_ids, "threshold": self.threshold}


@registry.register("OneHotIoU", "one_hot_io_u", "one_hot_iou")
class OneHotIoU(IoU):
    """IoU with one-hot labels (argmax along `axis`); predictions are scores unless sparse_y_pred.

    Arguments as IoU; labels are always one-hot (there is no sparse_y_true).
    """

    _fixed = ("sparse_y_true",)

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):  # fmt: skip
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)  # fmt: skip


@registry.register("OneHotMeanIoU", "one_hot_mean_io_u", "one_hot_mean_iou")
class OneHotMeanIoU(MeanIoU):
    """MeanIoU with one-hot labels (argmax along `axis`); predictions are scores unless sparse_y_pred."""

    _fixed = ("target_class_ids", "sparse_y_true")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)  # fmt: skip


def _check_count(who: str, name: str, num_classes) -> None:
    """num_classes is a positive int (MeanIoU checks it before building range(num_classes))."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"{who} '{name}': `num_classes` must be a positive int; received {num_classes!r}.")
