"""Weight and activity regularizers with Keras 3's names, defaults and formulas.

A regularizer is called on a weight (or a layer's output) and returns a scalar Tensor penalty,
built from differentiable ops so that the training loss carries its gradient:

    >>> import numpy as np
    >>> float(L2(0.5)(np.array([1.0, 2.0], dtype="float32")))
    2.5

Layers take them as `kernel_regularizer=`, `bias_regularizer=` and `activity_regularizer=`;
`Layer.losses` collects the penalties and `fit` adds them to the loss (see layers/layer.py).
"""

import numpy as np

from neuronio import ops
from neuronio._registry import Registry, from_envelope, resolve, to_envelope
from neuronio.autodiff.tensor import Tensor

registry = Registry("regularizer")


def _factor(who: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{who}: `{name}` must be a number; received {name}={value!r}.")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{who}: `{name}` must be a finite number >= 0; received {name}={value!r}.")
    return float(value)


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


class Regularizer:
    """Base class: `__call__(x)` returns a scalar penalty; `get_config` its arguments."""

    def __call__(self, x):
        return ops.sum(_tensor(x)) * 0.0

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)


@registry.register("L1", "l1")
class L1(Regularizer):
    """`l1 * sum(|x|)`. Keras keeps `l1` as a float32 (so its config reads 0.009999999776482582)."""

    def __init__(self, l1=0.01):
        self.l1 = float(np.float32(_factor("L1", "l1", l1)))

    def __call__(self, x):
        return ops.sum(ops.abs(_tensor(x))) * self.l1

    def get_config(self) -> dict:
        return {"l1": self.l1}


@registry.register("L2", "l2")
class L2(Regularizer):
    """`l2 * sum(x ** 2)`."""

    def __init__(self, l2=0.01):
        self.l2 = _factor("L2", "l2", l2)

    def __call__(self, x):
        return ops.sum(ops.square(_tensor(x))) * self.l2

    def get_config(self) -> dict:
        return {"l2": self.l2}


@registry.register("L1L2", "l1l2")
class L1L2(Regularizer):
    """`l1 * sum(|x|) + l2 * sum(x ** 2)`; both factors default to 0, as in Keras."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor("L1L2", "l1", l1)
        self.l2 = _factor("L1L2", "l2", l2)

    def __call__(self, x):
        x = _tensor(x)
        penalty = ops.sum(x) * 0.0
        if self.l1:
            penalty = penalty + ops.sum(ops.abs(x)) * self.l1
        if self.l2:
            penalty = penalty + ops.sum(ops.square(x)) * self.l2
        return penalty

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


@registry.register("OrthogonalRegularizer", "orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (mode="rows") or columns (mode="columns") of a 2-D weight towards being
    orthonormal: `factor / 2 * sum(|offdiag(V V^T)|) / (n (n - 1) / 2)`, the mean absolute cosine
    between distinct rows of V halved, with V = x for "rows", x^T for "columns", n its row count."""

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = float(np.float32(_factor("OrthogonalRegularizer", "factor", factor)))
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer: `mode` must be 'rows' or 'columns'; received mode={mode!r}.")
        self.mode = mode

    def __call__(self, x):
        x = _tensor(x)
        if x.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer applies to 2-D weights (a Dense kernel); received a weight of shape {x.shape}."
            )
        v = x if self.mode == "rows" else ops.transpose(x)  # (n, d)
        norms = ops.sqrt(ops.maximum(ops.sum(ops.square(v), axis=1, keepdims=True), 1e-12))
        v = v / norms  # unit rows
        product = ops.matmul(v, ops.transpose(v))  # (n, n)
        n = v.shape[0]
        off_diagonal = product * (1.0 - np.eye(n, dtype=product.dtype))
        pairs = n * (n - 1) / 2.0
        return ops.sum(ops.abs(off_diagonal)) * (self.factor * 0.5 / pairs)

    def get_config(self) -> dict:
        return {"factor": self.factor, "mode": self.mode}


# Keras's lowercase module attributes are the classes themselves (keras.regularizers.l2(0.01)).
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer


def serialize(regularizer) -> dict | None:
    """Keras's envelope: {"module": "keras.regularizers", "class_name", "config", "registered_name"}."""
    return to_envelope(registry, regularizer, "regularizers")


def deserialize(config_dict: dict) -> Regularizer:
    """The inverse of serialize; the class is resolved through the registry only."""
    return from_envelope(registry, config_dict)


def get(identifier) -> Regularizer | None:
    """A Regularizer from None, a name, a config dict, an instance or a callable."""
    return resolve(
        registry,
        Regularizer,
        identifier,
        "a name ('l1', 'l2', 'l1l2', 'orthogonal_regularizer') or a Regularizer such as L2(0.01)",
    )


__all__ = [
    "L1",
    "L1L2",
    "L2",
    "OrthogonalRegularizer",
    "Regularizer",
    "deserialize",
    "get",
    "l1",
    "l1_l2",
    "l2",
    "orthogonal_regularizer",
    "serialize",
]
