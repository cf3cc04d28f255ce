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
        spec: compile's `metrics` (a list for all outputs, a dict or a list of lists per output),
            updated without the sample weights (padded timesteps still count for nothing), as Keras.
        per_output: a function spreading a spec over the outputs (the trainer's rule).
        output_names: the model's output names (prefixes of the metric names when several).
        weighted_spec: compile's `weighted_metrics`, spread alike, updated with the sample weights.
    """

    name = "compile_metrics"

    def __init__(self, spec, per_output, output_names, weighted_spec=None):
        self._spec = spec
        self._weighted_spec = weighted_spec
        self._per_output = per_output
        self._output_names = output_names
        self._metrics = None  # per output: list of Metric, once built
        self._weighted = None  # per output: list of Metric (weighted_metrics), once built
        self._keys = None  # the log key of each metric of `self.metrics`, in order

    @property
    def built(self) -> bool:
        return self._metrics is not None

    @property
    def metrics(self) -> list:
        groups = (self._metrics or []) + (self._weighted or [])
        return [m for per_output in groups for m in per_output]

    def keys(self) -> list[str]:
        """The log key of each metric, in `metrics` order (unique: see `_log_keys`)."""
        return list(self._keys or [])

    def build(self, ys: list, y_preds: list) -> None:
        self._metrics = self._resolve(self._spec, ys, y_preds, "metrics")
        self._weighted = self._resolve(self._weighted_spec, ys, y_preds, "weighted_metrics")
        self._keys = self._log_keys()

    def _resolve(self, spec, ys, y_preds, what) -> list:
        n = len(y_preds)
        specs = [None] * n if spec is None else self._per_output(spec, n, what)
        resolved = []
        for i, (per_output, y, y_pred) in enumerate(zip(specs, ys, y_preds)):
            group = []
            for s in [] if per_output is None else as_list(per_output):
                metric = metrics.resolve(s, np.shape(y), np.shape(y_pred))
                metric._compile_prefix = f"{self._output_names[i]}_" if n > 1 else ""
                metric._compile_base_name = metric.name
                if n > 1:
                    metric.name = f"{self._output_names[i]}_{metric.name}"
                group.append(metric)
            resolved.append(group)
        return resolved

    def _log_keys(self) -> list[str]:
        """Keras 3's rule: a name met again gets `_1`, `_2`, ... (counted per name); a weighted
        metric whose name is taken becomes `weighted_<name>` (then counted the same way)."""
        counts, keys = {}, []

        def unique(key):
            if key not in counts:
                counts[key] = 1
                return key
            counts[key] += 1
            return f"{key}_{counts[key] - 1}"

        for group in self._metrics:
            keys += [unique(m.name) for m in group]
        for group in self._weighted:
            for m in group:
                key = m.name if m.name not in counts else f"{m._compile_prefix}weighted_{m._compile_base_name}"
                keys.append(unique(key))
        return keys

    def update_state(self, y, y_pred, sample_weight=None) -> None:
        masks = [mask_of(p) for p in as_list(y_pred)]  # padded timesteps count for nothing (Keras)
        y_preds = [data_of(p) for p in as_list(y_pred)]
        ys = [data_of(t) for t in as_targets(y, len(y_preds))]
        if len(ys) != len(y_preds):
            raise ValueError(f"The model has {len(y_preds)} output(s) but {len(ys)} target array(s) were given.")
        if not self.built:
            self.build(ys, y_preds)
        for group, weight in ((self._metrics, None), (self._weighted, sample_weight)):
            for per_metric, target, prediction, mask in zip(group, ys, y_preds, masks):
                weights = apply_mask(weight, mask, "sum", prediction.dtype)
                for metric in per_metric:
                    metric.update_state(target, prediction, sample_weight=weights)

    def result(self) -> dict:
        return {key: log_value(m.result()) for key, m in zip(self.keys(), self.metrics)}

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def __repr__(self) -> str:
        return f"<CompileMetrics {self.keys() if self.built else []}>"


def log_value(value):
    """A metric's result as logs hold it: a float, or an array for per-class results (F1Score), as Keras."""
    array = np.asarray(data_of(value))
    return float(array) if array.ndim == 0 else array
