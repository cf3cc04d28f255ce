"""The metrics given to `compile`, held as one metric named "compile_metrics" (as Keras 3 lists
them in `model.metrics`): resolved from the data's shapes on the first batch, so that "accuracy"
becomes binary, categorical or sparse accuracy; `result()` is a dict of every metric's value."""

import numpy as np

from neuronio import metrics
from neuronio.autodiff.tensor import Tensor, mask_of
from neuronio.losses import apply_mask


def as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def as_targets(y, n_outputs: int) -> list:
    """The targets as one entry per output (a single output's y is the array itself)."""
    if n_outputs == 1:
        return [y[0]] if isinstance(y, (list, tuple)) and len(y) == 1 else [y]
    return list(y)


def data_of(value):
    return value.data if isinstance(value, Tensor) else value


class CompileMetrics:
    """Every compiled metric of every output; a metric itself (update_state/result/reset_state).

    Args:
        spec: compile's `metrics` (a list for all outputs, a dict or a list of lists per output).
        per_output: a function spreading `spec` over the outputs (the trainer's rule).
        output_names: the model's output names (prefixes of the metric names when several).
    """

    name = "compile_metrics"

    def __init__(self, spec, per_output, output_names):
        self._spec = spec
        self._per_output = per_output
        self._output_names = output_names
        self._metrics = None  # per output: list of Metric, once built

    @property
    def built(self) -> bool:
        return self._metrics is not None

    @property
    def metrics(self) -> list:
        return [m for per_output in self._metrics or [] for m in per_output]

    def build(self, ys: list, y_preds: list) -> None:
        n = len(y_preds)
        specs = self._per_output(self._spec, n, "metrics")
        self._metrics = []
        for i, (spec, y, y_pred) in enumerate(zip(specs, ys, y_preds)):
            resolved = []
            for s in [] if spec is None else as_list(spec):
                metric = metrics.resolve(s, np.shape(y), np.shape(y_pred))
                if n > 1:
                    metric.name = f"{self._output_names[i]}_{metric.name}"
                resolved.append(metric)
            self._metrics.append(resolved)

    def update_state(self, y, y_pred, sample_weight=None) -> None:
        masks = [mask_of(p) for p in as_list(y_pred)]  # padded timesteps count for nothing (Keras)
        y_preds = [data_of(p) for p in as_list(y_pred)]
        ys = [data_of(t) for t in as_targets(y, len(y_preds))]
        if len(ys) != len(y_preds):
            raise ValueError(f"The model has {len(y_preds)} output(s) but {len(ys)} target array(s) were given.")
        if not self.built:
            self.build(ys, y_preds)
        for per_metric, target, prediction, mask in zip(self._metrics, ys, y_preds, masks):
            weights = apply_mask(sample_weight, mask, "sum", prediction.dtype)
            for metric in per_metric:
                metric.update_state(target, prediction, sample_weight=weights)

    def result(self) -> dict:
        return {m.name: log_value(m.result()) for m in self.metrics}

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def __repr__(self) -> str:
        return f"<CompileMetrics {[m.name for m in self.metrics]}>"


def log_value(value):
    """A metric's result as logs hold it: a float, or an array for per-class results (F1Score), as Keras."""
    array = np.asarray(data_of(value))
    return float(array) if array.ndim == 0 else array
