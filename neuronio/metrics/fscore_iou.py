"""Per-class classification metrics: FBetaScore / F1Score (precision and recall combined), with
Keras 3's formulas. The IoU metrics are in neuronio/metrics/iou.py."""

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
