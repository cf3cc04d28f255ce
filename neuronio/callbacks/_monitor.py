"""MonitorCallback: watching one log value for improvement (EarlyStopping, ModelCheckpoint, ...)."""

import warnings

from neuronio.callbacks.callback import Callback

# Fallback when the model does not say which way a metric should go: Keras 3 reads the
# direction from the compiled metric objects; these are the Keras metric names (and the spellings
# users type for them) that go up. Anything named like a loss or an error goes down.
_HIGHER_IS_BETTER = {
    "acc",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "auc",
    "precision",
    "recall",
    "f1_score",
    "fbeta_score",
    "r2_score",
    "iou",
    "mean_iou",
    "one_hot_iou",
    "one_hot_mean_iou",
    "binary_iou",
    "pearson_correlation",
    "concordance_correlation",
    "cosine_similarity",
    "specificity_at_sensitivity",
    "sensitivity_at_specificity",
    "precision_at_recall",
    "recall_at_precision",
    "true_positives",
    "true_negatives",
}
_LOWER_IS_BETTER = {
    "mse",
    "mae",
    "mape",
    "msle",
    "rmse",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "root_mean_squared_error",
    "root_mean_squared_logarithmic_error",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "kld",
    "poisson",
    "log_cosh",
    "logcosh",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "false_positives",
    "false_negatives",
}


class MonitorCallback(Callback):
    """Base of callbacks that watch `logs[monitor]` and ask "is this value an improvement?".

    Args:
        monitor: the log key to watch ("val_loss", "val_accuracy", "loss", ...).
        mode: "min", "max", or "auto" to infer the direction from the metric's name.
        baseline: the value to beat before anything counts as best (None: the first value).
        min_delta: how much better a value must be to count as an improvement.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline=None, min_delta: float = 0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            # Keras warns and falls back rather than raising; kept, since scripts rely on it.
            warnings.warn(
                f"{type(self).__name__} mode '{mode}' is unknown, fallback to auto mode. "
                "Valid modes: 'auto', 'min', 'max'.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None  # "min" or "max" once resolved (lazily: the model's metrics exist by then)

    def _set_monitor_op(self) -> None:
        """Resolve the direction: the mode if given, else the model's metric, else the name."""
        if self.mode != "auto":
            self.monitor_op = self.mode
            return
        name = self.monitor.removeprefix("val_")
        direction = _model_metric_direction(self.model, name)
        if direction is None:
            direction = _direction_from_name(name)
        if direction is None:
            raise ValueError(
                f"{type(self).__name__} callback received monitor={self.monitor}, but cannot "
                "tell whether that metric should be maximized or minimized. Pass `mode='max'` "
                "to monitor the highest value, or `mode='min'` to monitor the lowest value."
            )
        self.monitor_op = direction

    def _is_improvement(self, current, reference) -> bool:
        """Whether `current` beats `reference` by more than `min_delta` (anything beats None)."""
        if reference is None:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.monitor_op == "min":
            return bool(current + self.min_delta < reference)
        return bool(current - self.min_delta > reference)


def _model_metric_direction(model, name: str) -> str | None:
    """'max'/'min' from the model's compiled metric called `name`, if it declares a direction."""
    metrics = list(getattr(model, "metrics", None) or ())
    while metrics:
        metric = metrics.pop(0)
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            metrics.extend(inner)  # a container of metrics (Keras's CompileMetrics)
        if getattr(metric, "name", None) != name:
            continue
        direction = getattr(metric, "_direction", None) or getattr(metric, "direction", None)
        if direction in ("up", "max"):
            return "max"
        if direction in ("down", "min"):
            return "min"
    return None


def _direction_from_name(name: str) -> str | None:
    if name == "loss" or name.endswith("_loss"):
        return "min"
    if name in _HIGHER_IS_BETTER or name.endswith("_accuracy") or name.endswith("_acc"):
        return "max"
    if name in _LOWER_IS_BETTER or name.endswith("_error") or name.endswith("crossentropy"):
        return "min"
    return None
