"""Reductions: sum, mean, max, min, var, std, logsumexp (differentiable), argmax, argmin (not).

Each takes `axis` (None for every axis, an int, or a tuple of ints) and `keepdims`, as NumPy and
Keras do. A backward spreads dy back over the reduced axes: it first restores them as size-1
axes (`_kept_shape`), then broadcasts.
"""

import math

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.shape import normalize_axes, normalize_axis


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    """`shape` with the reduced axes kept as size 1: the keepdims=True result shape."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(dy: np.ndarray, shape: tuple, axes: tuple) -> np.ndarray:
    """dy copied along the reduced axes (the adjoint of summing over them), as a fresh array.

    A fresh array rather than a broadcast view: a read-only stride-0 gradient would surprise
    whoever later updates it in place (gradient clipping, accumulation).
    """
    dx = np.empty(shape, dtype=dy.dtype)
    dx[...] = dy.reshape(_kept_shape(shape, axes))
    return dx


class SumOp(Function):
    """y = sum of x over `axes`;  dx = dy copied along the reduced axes."""

    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.save_for_backward(x.shape)
        # np.asarray: a full reduction returns a NumPy scalar, and Tensor.data is always an array.
        return np.asarray(np.sum(x, axis=self.axes, keepdims=self.keepdims))

    def backward(self, dy):
        (x_shape,) = self.saved
        return _spread(dy, x_shape, self.axes)


class MeanOp(Function):
    """y = sum of x over `axes` / n (n = number of entries reduced);  dx = dy / n, copied along them."""

    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.save_for_backward(x.shape)
        return np.asarray(np.mean(x, axis=self.axes, keepdims=self.keepdims))

    def backward(self, dy):
        (x_shape,) = self.saved
        n = math.prod(x_shape[a] for a in self.axes)
        return _spread(dy / n, x_shape, self.axes)


class MaxOp(Function):
    """y = max of x over `axes`;  dx = dy at ONE maximum of each reduced slice, 0 elsewhere.

    Ties (STYLE C3): the gradient goes to the first maximum in C order over the reduced axes,
    the entry np.argmax picks, so the rule is deterministic and dx sums to dy, as in max-pooling.
    Splitting dy among tied entries (autograd; PyTorch's full x.max()) is another valid
    subgradient; we keep one winner so that max and max-pooling agree.
    """

    _pick = staticmethod(np.argmax)

    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        kept = tuple(i for i in range(x.ndim) if i not in self.axes)
        perm = kept + self.axes
        moved = np.transpose(x, perm)  # (kept..., reduced...)
        n_reduced = math.prod(x.shape[a] for a in self.axes)
        rows = moved.reshape(*moved.shape[: len(kept)], n_reduced)  # (kept..., R)
        winner = self._pick(rows, axis=-1)  # (kept...): first in C order
        y = np.take_along_axis(rows, winner[..., None], axis=-1)  # (kept..., 1)
        self.save_for_backward(x.shape, moved.shape, perm, winner)
        return y.reshape(_kept_shape(x.shape, self.axes) if self.keepdims else winner.shape)

    def backward(self, dy):
        x_shape, moved_shape, perm, winner = self.saved
        drows = np.zeros((*winner.shape, math.prod(moved_shape[winner.ndim :])), dtype=dy.dtype)
        np.put_along_axis(drows, winner[..., None], dy.reshape(*winner.shape, 1), axis=-1)
        return np.transpose(drows.reshape(moved_shape), np.argsort(perm))  # back to x's axis order


class MinOp(MaxOp):
    """y = min of x over `axes`;  dx = dy at ONE minimum of each reduced slice (the first in C
    order, np.argmin's choice; see MaxOp), 0 elsewhere."""

    _pick = staticmethod(np.argmin)


class VarOp(Function):
    """y = mean((x - mean(x))**2) over `axes` (biased, NumPy's default);  dx = dy * 2 (x - mean(x)) / n.

    The term from mean(x)'s own dependence on x vanishes, because the centred values sum to 0.
    """

    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        centered = x - np.mean(x, axis=self.axes, keepdims=True)
        self.save_for_backward(centered)
        return np.asarray(np.mean(np.square(centered), axis=self.axes, keepdims=self.keepdims))

    def backward(self, dy):
        (centered,) = self.saved
        n = math.prod(centered.shape[a] for a in self.axes)
        return dy.reshape(_kept_shape(centered.shape, self.axes)) * centered * (2.0 / n)


class StdOp(Function):
    """y = sqrt(var(x)) over `axes`;  dx = dy * (x - mean(x)) / (n * y).

    Kink (STYLE C3): where a slice is constant, y = 0 and the formula is 0/0; we return 0 there
    (PyTorch returns NaN), the same choice as abs at 0.
    """

    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        centered = x - np.mean(x, axis=self.axes, keepdims=True)
        y = np.sqrt(np.mean(np.square(centered), axis=self.axes, keepdims=True))  # kept shape
        self.save_for_backward(centered, y)
        return y if self.keepdims else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, dy):
        centered, y = self.saved
        n = math.prod(centered.shape[a] for a in self.axes)
        dy = dy.reshape(y.shape)
        scale = np.divide(dy, n * y, out=np.zeros_like(dy), where=y > 0)  # kept shape
        return centered * scale


class LogSumExpOp(Function):
    """y = m + log(sum(exp(x - m))) over `axes`, m = max(x) (no overflow);  dx = dy * softmax(x).

    softmax(x) = exp(x - m) / sum(exp(x - m)): forward already has both parts, so it keeps them.
    """

    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        m = np.max(x, axis=self.axes, keepdims=True)  # kept shape
        e = np.exp(x - m)  # x's shape, entries in (0, 1]
        s = np.sum(e, axis=self.axes, keepdims=True)  # kept shape, >= 1
        self.save_for_backward(e, s)
        y = m + np.log(s)
        return y if self.keepdims else y.reshape([n for i, n in enumerate(y.shape) if i not in self.axes])

    def backward(self, dy):
        e, s = self.saved
        return e * (dy.reshape(s.shape) / s)


# -- public functions --------------------------------------------------------------------------
def _reduce(op_cls, name: str, x, axis, keepdims: bool, need_entries: bool = False) -> Tensor:
    x = as_tensor(x)
    axes = normalize_axes(name, axis, x.ndim, x.shape)
    if need_entries and math.prod(x.shape[a] for a in axes) == 0:
        raise ShapeError(f"{name}: cannot reduce over axis={axis} of a tensor of shape {x.shape}: it has no entries.")
    op = op_cls(axes, bool(keepdims))
    if x.dtype.kind != "f":
        # Keras: sum/max/min of integers stay integers (no gradient); mean/var/std are floats.
        if op_cls in (SumOp, MaxOp, MinOp):
            y = op.forward(x.data)
            op.saved = ()
            return Tensor(np.asarray(y).astype(x.dtype if x.dtype.kind != "b" else np.int32))
        from neuronio import config

        x = Tensor(x.data.astype(config.floatx()))
    return op.apply(x)


def sum(x, axis=None, keepdims: bool = False) -> Tensor:  # noqa: A001 - the Keras/NumPy name
    """Sum over `axis` (None: every axis; an int; a tuple of ints).

    >>> sum(np.ones((2, 3), "float32"), axis=1).numpy()
    array([3., 3.], dtype=float32)
    """
    return _reduce(SumOp, "sum", x, axis, keepdims)


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over `axis`.

    >>> mean(np.array([[1.0, 2.0], [3.0, 5.0]], "float32"), axis=0).numpy()
    array([2. , 3.5], dtype=float32)
    """
    return _reduce(MeanOp, "mean", x, axis, keepdims)


def max(x, axis=None, keepdims: bool = False, initial=None) -> Tensor:  # noqa: A001 - the Keras/NumPy name
    """Largest entry over `axis`; the gradient goes to the first maximum of each slice.

    >>> max(np.array([[1.0, 4.0], [3.0, 2.0]], "float32"), axis=1).numpy()
    array([4., 3.], dtype=float32)
    """
    if initial is not None:  # NumPy's floor under the result (Keras's `initial`)
        from neuronio.ops.elementwise import maximum

        return maximum(_reduce(MaxOp, "max", x, axis, keepdims, need_entries=True), initial)
    return _reduce(MaxOp, "max", x, axis, keepdims, need_entries=True)


def min(x, axis=None, keepdims: bool = False, initial=None) -> Tensor:  # noqa: A001 - the Keras/NumPy name
    """Smallest entry over `axis`; the gradient goes to the first minimum of each slice."""
    if initial is not None:  # NumPy's ceiling over the result (Keras's `initial`)
        from neuronio.ops.elementwise import minimum

        return minimum(_reduce(MinOp, "min", x, axis, keepdims, need_entries=True), initial)
    return _reduce(MinOp, "min", x, axis, keepdims, need_entries=True)


def var(x, axis=None, keepdims: bool = False) -> Tensor:
    """Biased variance mean((x - mean(x))**2) over `axis`, as NumPy's default and Keras compute it.

    >>> var(np.array([1.0, 2.0, 3.0, 4.0], "float32")).numpy()
    array(1.25, dtype=float32)
    """
    return _reduce(VarOp, "var", x, axis, keepdims)


def std(x, axis=None, keepdims: bool = False) -> Tensor:
    """Biased standard deviation sqrt(var(x)) over `axis`; its gradient is 0 on constant slices."""
    return _reduce(StdOp, "std", x, axis, keepdims)


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """log(sum(exp(x))) over `axis`, computed without overflow.

    >>> logsumexp(np.array([1000.0, 1000.0], "float32")).numpy()
    array(1000.6932, dtype=float32)
    """
    return _reduce(LogSumExpOp, "logsumexp", x, axis, keepdims, need_entries=True)


def _arg(pick, name: str, x, axis, keepdims: bool) -> Tensor:
    x = as_tensor(x)
    if axis is not None:
        axis = normalize_axis(name, axis, x.ndim, x.shape)
    if (x.size if axis is None else x.shape[axis]) == 0:
        raise ShapeError(f"{name}: cannot search axis={axis} of a tensor of shape {x.shape}: it has no entries.")
    return Tensor(pick(x.data, axis=axis, keepdims=bool(keepdims)))


def argmax(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the largest entry along `axis` (None: of the flattened tensor); ties give the first.

    An integer Tensor with no link to the graph: an index has no gradient.

    >>> argmax(np.array([[1.0, 4.0], [3.0, 2.0]], "float32"), axis=1).numpy()
    array([1, 0])
    """
    return _arg(np.argmax, "argmax", x, axis, keepdims)


def argmin(x, axis=None, keepdims: bool = False) -> Tensor:
    """Index of the smallest entry along `axis` (None: of the flattened tensor); ties give the first."""
    return _arg(np.argmin, "argmin", x, axis, keepdims)
