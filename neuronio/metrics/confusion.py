"""Metrics counted from a confusion matrix at decision thresholds: Precision, Recall, AUC and the
four counts themselves (TruePositives, FalsePositives, TrueNegatives, FalseNegatives).

Every prediction (each entry of y_pred, flattened) counts as positive at threshold t when
y_pred > t, against the label y_true != 0. The counts per threshold are Keras's variables
(true_positives, false_positives, true_negatives, false_negatives), summed with sample weights
over batches. They are counted in one pass, whatever the number of thresholds: each prediction
falls into the bucket of thresholds below it (np.searchsorted), and the counts at every
threshold are cumulative sums of the weighted bucket histograms.
"""

import numpy as np

from neuronio import config
from neuronio.metrics.base import Metric, _array, _match_ranks, registry

NEG_INF = -1e10  # Keras's stand-in for predictions outside the top k


def _confusion_counts(thresholds, y_true, y_pred, sample_weight, top_k=None, class_id=None):
    """{"tp", "fp", "tn", "fn"}: weighted counts per threshold (float64 arrays of len(thresholds))."""
    y_true, y_pred = _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64)
    y_pred, y_true = _match_ranks(y_pred, y_true)
    weights = np.ones_like(y_pred)
    if sample_weight is not None:
        weights = _array(sample_weight).astype(np.float64)
        weights = weights.reshape(weights.shape + (1,) * max(y_pred.ndim - weights.ndim, 0))
        weights = np.broadcast_to(weights, y_pred.shape)
    if top_k is not None:
        rank = np.argsort(np.argsort(-y_pred, axis=-1, kind="stable"), axis=-1, kind="stable")  # 0 = largest
        y_pred = np.where(rank < top_k, y_pred, NEG_INF)  # ties: the first index ranks higher, as Keras's top_k
    if class_id is not None:
        if y_pred.ndim < 2:
            raise ValueError(
                f"class_id={class_id} needs predictions of shape (num_samples, num_classes); "
                f"received shape {y_pred.shape}."
            )
        y_true, y_pred, weights = y_true[..., class_id], y_pred[..., class_id], weights[..., class_id]
    labels = (y_true != 0).ravel()
    buckets = np.searchsorted(thresholds, y_pred.ravel(), side="left")  # = number of thresholds below
    weights = weights.ravel()
    size = len(thresholds) + 1
    positives = np.bincount(buckets, weights=weights * labels, minlength=size)
    negatives = np.bincount(buckets, weights=weights * ~labels, minlength=size)
    tp = positives[::-1].cumsum()[::-1][1:]  # predictions above threshold i: buckets i + 1 ...
    fp = negatives[::-1].cumsum()[::-1][1:]
    return {"tp": tp, "fp": fp, "fn": positives.sum() - tp, "tn": negatives.sum() - fp}


def _parse_thresholds(owner: str, thresholds, default: float) -> np.ndarray:
    """The thresholds as a float64 array (default: [default]); each must be in [0, 1]."""
    values = [default] if thresholds is None else np.atleast_1d(np.asarray(thresholds, np.float64)).tolist()
    if any(not 0.0 <= t <= 1.0 for t in values if t != NEG_INF):
        raise ValueError(f"{owner}: every threshold must be in [0, 1]; received thresholds={thresholds!r}.")
    return np.asarray(values)


def _jsonable(thresholds):
    return thresholds.tolist() if isinstance(thresholds, np.ndarray) else thresholds


def _divide_no_nan(a, b):
    return np.divide(a, b, out=np.zeros(np.broadcast_shapes(np.shape(a), np.shape(b))), where=b != 0)


class _ThresholdMetric(Metric):
    """Precision and Recall: counts at one or several thresholds (0.5 by default)."""

    _counts: tuple = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        self.thresholds = _parse_thresholds(type(self).__name__, thresholds, 0.5 if top_k is None else NEG_INF)
        size = len(self.thresholds)
        self._state = {key: self.add_variable(shape=(size,), name=_NAMES[key]) for key in self._counts}

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        counts = _confusion_counts(self.thresholds, y_true, y_pred, sample_weight, self.top_k, self.class_id)
        for key, variable in self._state.items():
            variable.assign_add(counts[key].astype(variable.dtype))

    def _result(self, numerator, denominator):
        values = _divide_no_nan(numerator.data.astype(np.float64), denominator.astype(np.float64))
        return float(values[0]) if len(self.thresholds) == 1 else values.astype(self.dtype)

    def get_config(self):
        thresholds = _jsonable(self.init_thresholds)
        return {**super().get_config(), "thresholds": thresholds, "top_k": self.top_k, "class_id": self.class_id}


_NAMES = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives", "fn": "false_negatives"}


@registry.register("Precision", "precision")
class Precision(_ThresholdMetric):
    """true_positives / (true_positives + false_positives): how many predicted positives are right.

    Args:
        thresholds: a float or a list in [0, 1] (default 0.5); with a list, `result()` is an array.
        top_k: count only each sample's k highest predictions as candidates.
        class_id: count only this class (column) of y_pred.
    """

    _counts = ("tp", "fp")

    def result(self):
        tp, fp = self._state["tp"], self._state["fp"]
        return self._result(tp, tp.data + fp.data)


@registry.register("Recall", "recall")
class Recall(_ThresholdMetric):
    """true_positives / (true_positives + false_negatives): how many real positives are found.

    Arguments as Precision.
    """

    _counts = ("tp", "fn")

    def result(self):
        tp, fn = self._state["tp"], self._state["fn"]
        return self._result(tp, tp.data + fn.data)


CURVES = ("ROC", "PR", "PRGAIN")
SUMMATIONS = ("interpolation", "minoring", "majoring")


@registry.register("AUC", "auc")
class AUC(Metric):
    """The area under the ROC (or precision-recall) curve, as Keras approximates it: confusion
    counts at `num_thresholds` thresholds evenly spaced in [0, 1] (200 by default; the end points
    just outside), then a Riemann sum over them.

    Args:
        num_thresholds: 200; curve: "ROC", "PR" or "PRGAIN".
        summation_method: "interpolation" (trapezoids; for PR, Davis and Goadrich's interpolation),
            "minoring" or "majoring".
        thresholds: explicit thresholds in (0, 1) instead of num_thresholds.
        from_logits: apply a sigmoid to y_pred first.
    Multi-label AUC (multi_label=True) and label_weights are not implemented.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):  # fmt: skip
        super().__init__(name=name, dtype=dtype)
        who = f"AUC '{self.name}'"
        if multi_label or num_labels is not None or label_weights is not None:
            raise ValueError(f"{who}: multi_label, num_labels and label_weights are not implemented in neuronio.")
        self.curve = _choice(who, "curve", curve, CURVES, upper=True)
        self.summation_method = _choice(who, "summation_method", summation_method, SUMMATIONS, upper=False)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or num_thresholds <= 1:
                raise ValueError(f"{who}: `num_thresholds` must be an int > 1; received {num_thresholds!r}.")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        eps = config.epsilon()
        self.thresholds = np.asarray([0.0 - eps, *inner, 1.0 + eps])
        self.num_thresholds = len(self.thresholds)
        self.from_logits = bool(from_logits)
        self._state = {key: self.add_variable(shape=(self.num_thresholds,), name=_NAMES[key]) for key in _NAMES}

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_pred = _array(y_pred).astype(np.float64)
        if self.from_logits:
            y_pred = 1.0 / (1.0 + np.exp(-y_pred))
        counts = _confusion_counts(self.thresholds, y_true, y_pred, sample_weight)
        for key, variable in self._state.items():
            variable.assign_add(counts[key].astype(variable.dtype))

    def result(self) -> float:
        tp, fp, tn, fn = (self._state[k].data.astype(np.float64) for k in ("tp", "fp", "tn", "fn"))
        if self.curve == "PR" and self.summation_method == "interpolation":
            return float(_interpolated_pr_auc(tp, fp, fn))
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, _divide_no_nan(tp, tp + fp)
        else:  # PRGAIN: Flach and Kull's gains, with Keras's fixes where they diverge
            scale = _divide_no_nan(tp + fn, tn + fp)
            x = np.where(tp == 0, 0.0, np.maximum(1.0 - scale * _divide_no_nan(fn, tp), 0.0))
            y = np.where(tp == 0, 1.0, 1.0 - scale * _divide_no_nan(fp, tp))
        pairs = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:])}
        heights = pairs.get(self.summation_method, np.maximum(y[:-1], y[1:]))
        return float(np.sum((x[:-1] - x[1:]) * heights))

    def get_config(self):
        config_dict = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": False,
            "num_labels": None,
            "label_weights": None,
            "from_logits": self.from_logits,
        }
        if self._init_from_thresholds:
            config_dict["thresholds"] = self.thresholds[1:-1].tolist()
        return config_dict


def _interpolated_pr_auc(tp, fp, fn) -> float:
    """Davis and Goadrich (2006): precision interpolated between thresholds as TP varies linearly
    with the number of predicted positives P, integrated exactly over recall."""
    dtp = tp[:-1] - tp[1:]
    p = tp + fp
    dp = p[:-1] - p[1:]
    slope = _divide_no_nan(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * p[1:]
    both = (p[:-1] > 0) & (p[1:] > 0)
    ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
    increments = _divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    return float(np.sum(increments))


def _choice(who: str, key: str, value, valid: tuple, upper: bool) -> str:
    text = value.upper() if isinstance(value, str) and upper else value.lower() if isinstance(value, str) else value
    if text not in valid:
        raise ValueError(f"{who}: `{key}` must be one of {', '.join(valid)}; received {key}={value!r}.")
    return text


class _ConfusionCount(Metric):
    """One cell of the confusion matrix, summed with sample weights, at one or several thresholds."""

    _count = ""

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = _parse_thresholds(type(self).__name__, thresholds, 0.5)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        counts = _confusion_counts(self.thresholds, y_true, y_pred, sample_weight)
        self.accumulator.assign_add(counts[self._count].astype(self.accumulator.dtype))

    def result(self):
        values = self.accumulator.data
        return float(values[0]) if len(self.thresholds) == 1 else values.copy()

    def get_config(self):
        return {**super().get_config(), "thresholds": _jsonable(self.init_thresholds)}


@registry.register("TruePositives", "true_positives")
class TruePositives(_ConfusionCount):
    """The (weighted) number of positives predicted positive (y_pred > threshold, 0.5 by default)."""

    _count = "tp"


@registry.register("FalsePositives", "false_positives")
class FalsePositives(_ConfusionCount):
    """The (weighted) number of negatives predicted positive."""

    _count = "fp"


@registry.register("TrueNegatives", "true_negatives")
class TrueNegatives(_ConfusionCount):
    """The (weighted) number of negatives predicted negative."""

    _count = "tn"


@registry.register("FalseNegatives", "false_negatives")
class FalseNegatives(_ConfusionCount):
    """The (weighted) number of positives predicted negative."""

    _count = "fn"
