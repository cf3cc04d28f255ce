"""Per-class classification metrics: FBetaScore / F1Score (precision and recall combined) and
MeanIoU (intersection over union, averaged over classes), with Keras 3's formulas."""

import warnings

import numpy as np

from neuronio import config
from neuronio.errors import ShapeError
from neuronio.metrics.base import Metric, _array, registry

AVERAGES = (None, "micro", "macro", "weighted")


@registry.register("FBetaScore", "f_beta_score", "fbeta_score")
class FBetaScore(Metric):
    """(1 + beta^2) * precision * recall / (beta^2 * precision + recall), per class.

    y_true and y_pred have shape (batch, classes) (one-hot or multi-label). Without `threshold`
    each sample's highest score counts as its prediction; with it, every score above it does.

    Args:
        average: None (one score per class, an array), "micro" (from the summed counts),
            "macro" (the mean over classes) or "weighted" (weighted by each class's support).
        beta: the weight of recall against precision.
        threshold: a float in (0, 1], or None.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        who = f"{type(self).__name__} '{self.name}'"
        if average not in AVERAGES:
            raise ValueError(f"{who}: `average` must be one of {AVERAGES}; received average={average!r}.")
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta <= 0:
            raise ValueError(f"{who}: `beta` must be a number > 0; received beta={beta!r}.")
        if threshold is not None and (not isinstance(threshold, float) or not 0 < threshold <= 1):
            raise ValueError(f"{who}: `threshold` must be a float in (0, 1]; received threshold={threshold!r}.")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        self._counts = None  # built on the first batch, when the number of classes is known

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ShapeError(
                f"{type(self).__name__} '{self.name}' expects 2-D inputs (batch_size, num_classes); received "
                f"y_true.shape={y_true_shape} and y_pred.shape={y_pred_shape}."
            )
        names = ("true_positives", "false_positives", "false_negatives", "intermediate_weights")
        self._counts = [self.add_variable(shape=(y_pred_shape[-1],), name=n) for n in names]

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64)
        if self._counts is None:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            predicted = (y_pred >= y_pred.max(axis=-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(np.float64)
        weights = 1.0 if sample_weight is None else _array(sample_weight).astype(np.float64).reshape(-1, 1)
        values = (predicted * y_true, predicted * (1 - y_true), (1 - predicted) * y_true, y_true)
        for variable, value in zip(self._counts, values, strict=True):
            variable.assign_add(np.sum(value * weights, axis=0).astype(variable.dtype))

    def result(self):
        if self._counts is None:
            return 0.0
        eps = config.epsilon()
        tp, fp, fn, support = (v.data.astype(np.float64) for v in self._counts)
        if self.average == "micro":
            tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
        precision, recall = tp / (tp + fp + eps), tp / (tp + fn + eps)
        beta2 = self.beta**2
        score = (1 + beta2) * precision * recall / (beta2 * precision + recall + eps)
        if self.average == "weighted":
            return float(np.sum(score * support / (support.sum() + eps)))
        if self.average is not None:
            return float(np.mean(score))
        return score.astype(self.dtype)

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


@registry.register("F1Score", "f1_score")
class F1Score(FBetaScore):
    """The F-beta score with beta = 1: the harmonic mean of precision and recall (see FBetaScore)."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config_dict = super().get_config()
        del config_dict["beta"]
        return config_dict


@registry.register("MeanIoU", "mean_io_u", "mean_iou")
class MeanIoU(Metric):
    """The mean over classes of TP / (TP + FP + FN), from a running confusion matrix.

    Classes that never occur (in labels or predictions) are left out of the mean.

    Args:
        num_classes: the number of classes.
        ignore_class: a label whose pixels/samples are not counted.
        sparse_y_true, sparse_y_pred: whether labels/predictions are class ids (True) or scores
            to take the argmax of along `axis` (False).
    As in Keras, the matrix is int32 by default, so float sample weights are truncated (a warning
    says so); pass dtype="float32" for fractional weights.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):  # fmt: skip
        super().__init__(name=name or "mean_io_u", dtype=dtype or "int32")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"MeanIoU '{self.name}': `num_classes` must be a positive int; received {num_classes!r}.")
        self.num_classes, self.ignore_class, self.axis = num_classes, ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        self.total_cm = self.add_variable(shape=(num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
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
                    f"MeanIoU '{self.name}': float sample weights are cast to its dtype {self.dtype} "
                    f"(truncated, as in Keras); use dtype='float32' for fractional weights.",
                    UserWarning,
                    stacklevel=2,
                )
            weights = np.broadcast_to(weights.astype(self.dtype).reshape(-1), y_true.shape)
        valid = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        index = y_true[valid] * self.num_classes + y_pred[valid]
        counts = np.bincount(index, weights=weights[valid], minlength=self.num_classes**2)
        self.total_cm.assign_add(counts.reshape(self.num_classes, self.num_classes).astype(self.dtype))

    def result(self) -> float:
        cm = self.total_cm.data.astype(np.float64)
        tp = np.diag(cm)
        denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
        valid = denominator != 0
        return float(np.sum(tp[valid] / denominator[valid]) / valid.sum()) if valid.any() else 0.0

    def get_config(self):
        return {
            "num_classes": self.num_classes,
            **super().get_config(),
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }
