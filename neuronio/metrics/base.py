"""The Metric base class, Mean, Sum and MeanMetricWrapper, and the array helpers every metric shares.

Metrics never record on a GradientTape: they read `Tensor.data` and work on plain arrays.
"""

import inspect

import numpy as np

from neuronio import _lambdas, config, initializers, losses, ops
from neuronio._registry import Registry, function_envelope
from neuronio.autodiff.tape import no_grad
from neuronio.autodiff.tensor import Tensor, Variable
from neuronio.errors import FileFormatError, ShapeError
from neuronio.losses.base import match_ranks as _match_ranks  # one rank rule for losses and metrics

registry = Registry("metric")

# Metric functions by name, for MeanMetricWrapper configs and serialized functions; each module
# adds its function forms with `function_form`.
_FUNCTIONS: dict = {}


def function_form(*functions) -> None:
    """Make metric functions resolvable by name (MeanMetricWrapper configs, serialized functions)."""
    for fn in functions:
        _FUNCTIONS[fn.__name__] = fn


def _array(x) -> np.ndarray:
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def _same_shape(who: str, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true, y_pred = _match_ranks(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"{who}: y_true and y_pred must have the same shape, but received y_true.shape={y_true.shape} "
            f"and y_pred.shape={y_pred.shape}."
        )
    return y_true, y_pred


def _floats(matches: np.ndarray) -> np.ndarray:
    return matches.astype(config.floatx())


# -- stateful metrics -----------------------------------------------------------------------------
class Metric:
    """Base class: `update_state` accumulates, `result` reads, `reset_state` clears.

    Calling a metric updates it with one batch and returns the result so far. A subclass keeps
    its state in variables made by `add_variable` (or `add_weight`), as in Keras 3:

        >>> class Positives(Metric):
        ...     def __init__(self, name="positives", **kwargs):
        ...         super().__init__(name=name, **kwargs)
        ...         self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.seen.assign_add(float(np.sum(np.asarray(y_pred) > 0.5)))
        ...     def result(self):
        ...         return self.seen
        >>> m = Positives()
        >>> m.update_state([1, 0], [0.9, 0.7]); float(m.result())
        2.0
        >>> m.reset_state(); float(m.result())
        0.0
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or config.snake_case(type(self).__name__)
        self.dtype = np.dtype(dtype).name if dtype is not None else config.floatx()
        self._variables: list[Variable] = []

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum", name=None) -> Variable:
        """A state variable of this metric (Keras's signature), zeroed by the default `reset_state`.

        `aggregation` is accepted for Keras compatibility (it matters only for distributed training).
        """
        shape = tuple(int(d) for d in ((shape,) if isinstance(shape, int) else shape or ()))
        dtype = np.dtype(dtype or self.dtype).name
        value = initializers.get(initializer or "zeros")(shape, dtype=dtype)
        variable = Variable(value, name=name or f"variable_{len(self._variables)}", trainable=False, dtype=dtype)
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, name=None, shape=(), initializer=None, dtype=None, aggregation="sum") -> Variable:
        """Keras's older spelling of `add_variable` (name first)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, aggregation=aggregation, name=name)

    @property
    def variables(self) -> list[Variable]:
        return list(self._variables)

    def update_state(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state.")

    def result(self) -> float:
        raise NotImplementedError(f"{type(self).__name__} must implement result.")

    def reset_state(self) -> None:
        """Set every variable to zeros, as Keras's default does (override for other state)."""
        for variable in self._variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    def __call__(self, *args, **kwargs) -> float:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def _samplewise(values: np.ndarray, sample_weight, reduce=np.mean) -> tuple[np.ndarray, np.ndarray | None]:
    """Keras's reduce_to_samplewise_values: one weighted value (and weight) per sample, the extra
    axes reduced by `reduce` (a mean for Mean, a sum for Sum)."""
    values = values.astype(np.float64)
    weights = None
    if sample_weight is not None:
        weights = _array(sample_weight).astype(np.float64)
        values, weights = _match_ranks(values, weights)
        weight_ndim = weights.ndim
        if values.ndim > weight_ndim:
            values = reduce(values, axis=tuple(range(weight_ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise ShapeError(
                f"sample_weight of shape {weights.shape} does not fit the values of shape {values.shape}: "
                f"give one weight per sample."
            ) from None
        values = values * weights
        if weight_ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


@registry.register("Mean", "mean")
class Mean(Metric):
    """The (weighted) running mean of the values given: total / count.

    Values of shape (N, ...) are first averaged per sample, so `count` grows by N per batch (or by
    the sum of the sample weights). The trainer uses one for the loss.
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0  # float64 accumulators: many float32 batches lose no precision
        self.count = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values, weights = _samplewise(_array(values), sample_weight)
        self.total += float(np.sum(values))
        if weights is not None:
            self.count += float(np.sum(weights))
        else:
            self.count += values.shape[0] if values.ndim >= 1 else 1

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0


@registry.register("Sum", "sum")
class Sum(Metric):
    """The (weighted) running sum of the values given."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = 0.0

    def update_state(self, values, sample_weight=None) -> None:
        values, _ = _samplewise(_array(values), sample_weight, reduce=np.sum)  # Keras sums every entry
        self.total += float(np.sum(values))

    def result(self) -> float:
        return self.total

    def reset_state(self) -> None:
        self.total = 0.0


@registry.register("MeanMetricWrapper")
class MeanMetricWrapper(Mean):
    """The running per-sample mean of `fn(y_true, y_pred, **kwargs)`.

    `fn` may return an array or a Tensor (a loss function); it runs without recording.
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        if isinstance(fn, (str, dict)):
            fn = _function(fn)
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper needs a callable fn; received {fn!r}.")
        super().__init__(name=name or config.snake_case(getattr(fn, "__name__", "mean_metric_wrapper")), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": _serialize_function(self._fn), **self._fn_kwargs}


class _Wrapped(MeanMetricWrapper):
    """A Keras metric class: a function plus keyword arguments; the config holds no `fn`."""

    def get_config(self):
        return {**Metric.get_config(self), **self._fn_kwargs}


def _function(identifier):
    """A metric or loss function from its name or serialized form (for MeanMetricWrapper)."""
    if isinstance(identifier, dict):
        if identifier.get("class_name") == "__lambda__":
            return _lambdas.load(identifier.get("config"), "a lambda metric function", ops)
        identifier = identifier.get("config")
    if identifier in _FUNCTIONS:
        return _FUNCTIONS[identifier]
    fn = losses.get(identifier)
    if not inspect.isfunction(fn):
        raise FileFormatError(f"Unknown metric function {identifier!r}. Valid names: {', '.join(sorted(_FUNCTIONS))}.")
    return fn


def _serialize_function(fn) -> dict:
    if _lambdas.is_lambda(fn):
        return _lambdas.envelope(fn)
    name = getattr(fn, "__name__", None)
    if _FUNCTIONS.get(name) is not fn and losses.registry.name_of(fn) is None:
        raise TypeError(
            f"Cannot serialize the metric function {fn!r}: only neuronio's metric and loss functions can be saved."
        )
    return function_envelope(name)
