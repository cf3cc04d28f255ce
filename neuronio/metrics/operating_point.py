"""The best value of one rate where another rate reaches a target: SensitivityAtSpecificity,
SpecificityAtSensitivity, PrecisionAtRecall and RecallAtPrecision, with Keras 3's arguments.

Each keeps the four confusion counts at `num_thresholds` thresholds evenly spaced over [0, 1]
(the counting of neuronio/metrics/confusion.py: a prediction is positive at t when y_pred > t;
predictions are clipped to [0, 1] first, as Keras does), and its result is

    max over thresholds t with constrained(t) >= value of objective(t)      (0 if there is none)

where the rates are sensitivity = recall = TP / (TP + FN), specificity = TN / (TN + FP) and
precision = TP / (TP + FP), each 0 where its denominator is 0.
"""

import numbers

import numpy as np

from neuronio.metrics.base import Metric, _array, registry
from neuronio.metrics.confusion import _NAMES, _confusion_counts, _divide_no_nan


def _rates(tp, fp, tn, fn) -> dict:
    recall = _divide_no_nan(tp, tp + fn)
    return {"sensitivity": recall, "recall": recall, "specificity": _divide_no_nan(tn, tn + fp),
            "precision": _divide_no_nan(tp, tp + fp)}  # fmt: skip


class _OperatingPoint(Metric):
    """The four counts at evenly spaced thresholds, and the constrained maximum over them.

    A subclass names the argument that holds the target (`_target`, e.g. "specificity"), the rate
    it constrains (the same name) and the rate it maximizes (`_objective`).
    """

    _target = ""
    _objective = ""

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        who = f"{type(self).__name__} '{self.name}'"
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
            raise ValueError(f"{who}: `{self._target}` must be a number in [0, 1]; received {self._target}={value!r}.")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, numbers.Integral) or num_thresholds < 1:
            raise ValueError(f"{who}: `num_thresholds` must be an int > 0; received num_thresholds={num_thresholds!r}.")
        self.value, self.num_thresholds, self.class_id = value, int(num_thresholds), class_id
        setattr(self, self._target, value)  # Keras's attribute: m.specificity, m.recall, ...
        n = self.num_thresholds
        # One threshold is 0.5; several are 0, 1/(n-1), ..., 1 (the end points exactly, unlike AUC's).
        self.thresholds = np.array([0.5]) if n == 1 else np.arange(n) / (n - 1)
        self._state = {key: self.add_variable(shape=(n,), name=_NAMES[key]) for key in ("tp", "fp", "tn", "fn")}

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_pred = _array(y_pred).astype(np.float64)
        if self.num_thresholds > 1:
            y_pred = np.clip(y_pred, 0.0, 1.0)
        counts = _confusion_counts(self.thresholds, y_true, y_pred, sample_weight, class_id=self.class_id)
        for key, variable in self._state.items():
            variable.assign_add(counts[key].astype(variable.dtype))

    def result(self) -> float:
        rates = _rates(*(self._state[k].data.astype(np.float64) for k in ("tp", "fp", "tn", "fn")))
        feasible = rates[self._target] >= self.value
        return float(np.max(np.where(feasible, rates[self._objective], 0.0), initial=0.0))

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id, "num_thresholds": self.num_thresholds,
                self._target: self.value}  # fmt: skip


@registry.register("SensitivityAtSpecificity", "sensitivity_at_specificity")
class SensitivityAtSpecificity(_OperatingPoint):
    """The best sensitivity TP / (TP + FN) at a threshold where specificity TN / (TN + FP) >= `specificity`.

    >>> m = SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> m.result()
    0.5

    Args:
        specificity: the target, in [0, 1].
        num_thresholds: how many thresholds over [0, 1] to try (200).
        class_id: use only this column of (num_samples, num_classes) labels and predictions.
    """

    _target, _objective = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


@registry.register("SpecificityAtSensitivity", "specificity_at_sensitivity")
class SpecificityAtSensitivity(_OperatingPoint):
    """The best specificity at a threshold where sensitivity >= `sensitivity` (arguments as
    SensitivityAtSpecificity)."""

    _target, _objective = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


@registry.register("PrecisionAtRecall", "precision_at_recall")
class PrecisionAtRecall(_OperatingPoint):
    """The best precision TP / (TP + FP) at a threshold where recall >= `recall` (arguments as
    SensitivityAtSpecificity)."""

    _target, _objective = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)


@registry.register("RecallAtPrecision", "recall_at_precision")
class RecallAtPrecision(_OperatingPoint):
    """The best recall at a threshold where precision >= `precision`; 0 when no threshold reaches
    it (arguments as SensitivityAtSpecificity)."""

    _target, _objective = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)
