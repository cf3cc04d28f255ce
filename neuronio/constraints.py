"""Weight constraints with Keras 3's names and defaults: projections applied to a weight after
each optimizer update (`Dense(..., kernel_constraint=MaxNorm(2))`).

A constraint maps a weight's value to its projected value; the optimizer assigns the result back
(see optimizers/optimizer.py). They work on NumPy arrays: nothing differentiates through them.

    >>> import numpy as np
    >>> NonNeg()(np.array([-1.0, 2.0], dtype="float32"))
    array([0., 2.], dtype=float32)
"""

import numpy as np

from neuronio import config
from neuronio._registry import Registry, from_envelope, resolve, to_envelope
from neuronio.autodiff.tensor import Tensor

registry = Registry("constraint")


def _array(w) -> np.ndarray:
    return np.asarray(w.data if isinstance(w, Tensor) else w)


def _axis(who: str, axis):
    if isinstance(axis, (list, tuple)) and all(isinstance(a, int) for a in axis):
        return list(axis)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"{who}: `axis` must be an int or a list of ints; received axis={axis!r}.")
    return int(axis)


def _number(who: str, name: str, value, low=0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or value < low:
        raise ValueError(f"{who}: `{name}` must be a number >= {low}; received {name}={value!r}.")
    return value


def _norms(w: np.ndarray, axis) -> np.ndarray:
    """The L2 norm of each slice along `axis`, kept broadcastable against w."""
    return np.sqrt(np.sum(np.square(w), axis=tuple(axis) if isinstance(axis, list) else axis, keepdims=True))


class Constraint:
    """Base class: `__call__(w)` returns the projected weight (unchanged by default)."""

    def __call__(self, w):
        return _array(w)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)


@registry.register("MaxNorm", "max_norm")
class MaxNorm(Constraint):
    """Rescale each slice along `axis` whose L2 norm exceeds `max_value` down to that norm.

    For a Dense kernel (input_dim, units), axis=0 constrains each unit's incoming weights; for a
    Conv2D kernel (KH, KW, C, F) use axis=[0, 1, 2].
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = _number("MaxNorm", "max_value", max_value)
        self.axis = _axis("MaxNorm", axis)

    def __call__(self, w):
        w = _array(w)
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return (w * (desired / (config.epsilon() + norms))).astype(w.dtype)

    def get_config(self) -> dict:
        return {"max_value": self.max_value, "axis": self.axis}


@registry.register("NonNeg", "non_neg")
class NonNeg(Constraint):
    """Negative entries become 0."""

    def __call__(self, w):
        w = _array(w)
        return np.maximum(w, 0).astype(w.dtype)


@registry.register("UnitNorm", "unit_norm")
class UnitNorm(Constraint):
    """Each slice along `axis` divided by its L2 norm (plus epsilon)."""

    def __init__(self, axis=0):
        self.axis = _axis("UnitNorm", axis)

    def __call__(self, w):
        w = _array(w)
        return (w / (config.epsilon() + _norms(w, self.axis))).astype(w.dtype)

    def get_config(self) -> dict:
        return {"axis": self.axis}


@registry.register("MinMaxNorm", "min_max_norm")
class MinMaxNorm(Constraint):
    """Move each slice's L2 norm into [min_value, max_value]: the new norm is
    `rate * clip(norm, min_value, max_value) + (1 - rate) * norm` (rate=1 projects at once)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = _number("MinMaxNorm", "min_value", min_value)
        self.max_value = _number("MinMaxNorm", "max_value", max_value)
        if self.max_value < self.min_value:
            raise ValueError(
                f"MinMaxNorm: needs min_value <= max_value; received min_value={min_value}, max_value={max_value}."
            )
        self.rate = _number("MinMaxNorm", "rate", rate)
        self.axis = _axis("MinMaxNorm", axis)

    def __call__(self, w):
        w = _array(w)
        norms = _norms(w, self.axis)
        desired = self.rate * np.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return (w * (desired / (config.epsilon() + norms))).astype(w.dtype)

    def get_config(self) -> dict:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# Keras's lowercase module attributes are the classes themselves.
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm


def serialize(constraint) -> dict | None:
    """Keras's envelope: {"module": "keras.constraints", "class_name", "config", "registered_name"}."""
    return to_envelope(registry, constraint, "constraints")


def deserialize(config_dict: dict) -> Constraint:
    """The inverse of serialize; the class is resolved through the registry only."""
    return from_envelope(registry, config_dict)


def get(identifier) -> Constraint | None:
    """A Constraint from None, a name, a config dict, an instance or a callable."""
    return resolve(
        registry,
        Constraint,
        identifier,
        "a name ('max_norm', 'non_neg', 'unit_norm', 'min_max_norm') or a Constraint such as MaxNorm(2)",
    )


__all__ = [
    "Constraint",
    "MaxNorm",
    "MinMaxNorm",
    "NonNeg",
    "UnitNorm",
    "deserialize",
    "get",
    "max_norm",
    "min_max_norm",
    "non_neg",
    "serialize",
    "unit_norm",
]
