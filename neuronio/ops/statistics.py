"""Reductions and scans beyond reduction.py: prod, cumsum, cumprod, any/all, average, median,
quantile/percentile, ptp, norm, diff, and the nan-ignoring forms.

prod, cumsum and cumprod are Function classes; the others are compositions of differentiable ops
(sort, take_along_axis, sum, abs, ...), so their gradients are those ops'. neuronio refuses NaN
at its boundary (as_array), so a tensor never holds one and each `nan*` function equals its
plain form: they are the same functions under Keras's names.
"""

import numpy as np

from neuronio import config
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_array, as_tensor
from neuronio.ops.elementwise import abs as _abs
from neuronio.ops.elementwise import divide, multiply, power, sqrt, square, subtract
from neuronio.ops.indexing import moveaxis, sort
from neuronio.ops.reduction import _kept_shape, argmax, argmin, max, mean, min, std, sum, var  # noqa: A004
from neuronio.ops.shape import _apply as _run
from neuronio.ops.shape import getitem, normalize_axes, normalize_axis, reshape


def _float(x) -> Tensor:
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else Tensor(x.data.astype(config.floatx()))


class ProdOp(Function):
    """y = product of x over `axes`;  dx_i = dy * (product of every other entry of the slice).

    The product of the others is exclusive-prefix times exclusive-suffix products, never y / x_i,
    so zeros in x get their exact gradient.
    """

    def __init__(self, axes: tuple, keepdims: bool):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        self.save_for_backward(x)
        return np.asarray(np.prod(x, axis=self.axes, keepdims=self.keepdims))

    def backward(self, dy):
        (x,) = self.saved
        kept = tuple(i for i in range(x.ndim) if i not in self.axes)
        moved = np.transpose(x, kept + self.axes)
        rows = moved.reshape(*moved.shape[: len(kept)], -1)  # (kept..., R)
        ones = np.ones_like(rows[..., :1])
        before = np.cumprod(np.concatenate([ones, rows[..., :-1]], axis=-1), axis=-1)
        after = np.cumprod(np.concatenate([ones, rows[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = (before * after).reshape(moved.shape)
        dx = np.transpose(others, np.argsort(kept + self.axes))
        return dx * dy.reshape(_kept_shape(x.shape, self.axes))


class CumsumOp(Function):
    """y_i = x_0 + ... + x_i along `axis`;  dx_i = dy_i + ... + dy_n (a reversed cumsum)."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        return np.cumsum(x, axis=self.axis, dtype=x.dtype)

    def backward(self, dy):
        reverse = np.flip(dy, self.axis)
        return np.flip(np.cumsum(reverse, axis=self.axis), self.axis).copy()


class CumprodOp(Function):
    """y_i = x_0 * ... * x_i along `axis`;  dx_i = sum_{j >= i} dy_j * y_j / x_i.

    The quotient y_j / x_i is computed as the product of the other factors, never divided, so
    zeros in x get their exact gradient.
    """

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        y = np.cumprod(x, axis=self.axis, dtype=x.dtype)
        self.save_for_backward(x, y)
        return y

    def backward(self, dy):
        x, _ = self.saved
        a = self.axis
        xm, dym = np.moveaxis(x, a, -1), np.moveaxis(dy, a, -1)  # (..., T)
        n = xm.shape[-1]
        # d y_j / d x_i = prod_{k <= j, k != i} x_k for j >= i: an (i, j) table per slice, built
        # with an O(T^2) loop over the scanned axis only (T is small where cumprod is used).
        dx = np.zeros_like(xm)
        for i in range(n):
            others = xm.copy()
            others[..., i] = 1.0
            partial = np.cumprod(others, axis=-1)[..., i:]  # (..., T - i)
            dx[..., i] = np.sum(dym[..., i:] * partial, axis=-1)
        return np.moveaxis(dx, -1, a)


def prod(x, axis=None, keepdims=False, dtype=None) -> Tensor:
    """Product of x's entries over `axis`."""
    x = as_tensor(x)
    axes = normalize_axes("prod", axis, x.ndim, x.shape)
    y = _run(ProdOp(axes, bool(keepdims)), x)
    return y if dtype is None else Tensor(y.data.astype(dtype))


def _scan(op_cls, name, x, axis, dtype) -> Tensor:
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    if dtype is not None and np.dtype(dtype) != x.dtype:
        x = Tensor(x.data.astype(dtype)) if x.dtype.kind != "f" or np.dtype(dtype).kind != "f" else as_tensor(x)
    return _run(op_cls(normalize_axis(name, axis, x.ndim, x.shape)), x)


def cumsum(x, axis=None, dtype=None) -> Tensor:
    """Running sum along `axis` (None: of the flattened x)."""
    return _scan(CumsumOp, "cumsum", x, axis, dtype)


def cumprod(x, axis=None, dtype=None) -> Tensor:
    """Running product along `axis` (None: of the flattened x)."""
    return _scan(CumprodOp, "cumprod", x, axis, dtype)


def amax(x, axis=None, keepdims=False) -> Tensor:
    """max (NumPy's other name)."""
    return max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims=False) -> Tensor:
    """min (NumPy's other name)."""
    return min(x, axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the Keras/NumPy name
    """Whether any entry is true (non-zero) over `axis`."""
    return Tensor(np.asarray(np.any(as_array(x.data if isinstance(x, Tensor) else x), axis=axis, keepdims=keepdims)))


def all(x, axis=None, keepdims=False) -> Tensor:  # noqa: A001 - the Keras/NumPy name
    """Whether every entry is true (non-zero) over `axis`."""
    return Tensor(np.asarray(np.all(as_array(x.data if isinstance(x, Tensor) else x), axis=axis, keepdims=keepdims)))


def average(x, axis=None, weights=None) -> Tensor:
    """Weighted mean sum(x * w) / sum(w) over `axis` (1-D weights weigh that axis)."""
    x = _float(x)
    if weights is None:
        return mean(x, axis=axis)
    w = as_tensor(weights)
    w = w if w.dtype == x.dtype else Tensor(w.data.astype(x.dtype))
    if axis is not None and w.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[normalize_axis("average", axis, x.ndim, x.shape)] = w.shape[0]
        w = reshape(w, tuple(shape))
    return divide(sum(multiply(x, w), axis=axis), sum(multiply(w, np.ones(x.shape, x.dtype)), axis=axis))


def quantile(x, q, axis=None, method="linear", keepdims=False) -> Tensor:
    """The q-th quantiles (q in [0, 1]) over `axis`, interpolating linearly between sorted entries
    (NumPy's default); differentiable through the sort."""
    if method != "linear":
        raise ValueError(f"quantile: only method='linear' is implemented; received method={method!r}.")
    x = _float(x)
    q_values = np.asarray(as_array(q.data if isinstance(q, Tensor) else q), dtype=np.float64)
    if (q_values < 0).any() or (q_values > 1).any():
        raise ValueError(f"quantile: q must be in [0, 1]; received q={q_values.tolist()}.")
    axes = normalize_axes("quantile", axis, x.ndim, x.shape)
    kept = tuple(i for i in range(x.ndim) if i not in axes)
    moved = moveaxis(x, axes, tuple(range(len(kept), x.ndim))) if axes else x
    rows = reshape(moved, (*[x.shape[i] for i in kept], -1))  # (kept..., R)
    ordered = sort(rows, axis=-1)
    n = rows.shape[-1]
    position = q_values.reshape(-1) * (n - 1)
    low = np.floor(position).astype(np.intp)
    high = np.minimum(low + 1, n - 1)
    frac = (position - low).astype(x.dtype)
    lo, hi = getitem(ordered, (Ellipsis, low)), getitem(ordered, (Ellipsis, high))  # (kept..., Q)
    y = lo + multiply(subtract(hi, lo), frac)
    y = moveaxis(y, -1, 0)  # (Q, kept...)
    if keepdims:
        y = reshape(y, (y.shape[0], *_kept_shape(x.shape, axes)))
    return reshape(y, y.shape[1:]) if q_values.ndim == 0 else y


def percentile(x, q, axis=None, method="linear", keepdims=False) -> Tensor:
    """quantile with q in percent."""
    return quantile(
        x,
        np.asarray(as_array(q.data if isinstance(q, Tensor) else q), dtype=np.float64) / 100.0,
        axis,
        method,
        keepdims,
    )


def median(x, axis=None, keepdims=False) -> Tensor:
    """The middle of the sorted entries over `axis` (the mean of the two middle ones if even)."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def ptp(x, axis=None, keepdims=False) -> Tensor:
    """max - min over `axis`."""
    return subtract(max(x, axis=axis, keepdims=keepdims), min(x, axis=axis, keepdims=keepdims))


def diff(a, n=1, axis=-1) -> Tensor:
    """The n-th discrete difference along `axis`: a[1:] - a[:-1], n times."""
    x = as_tensor(a)
    axis = normalize_axis("diff", axis, x.ndim, x.shape)
    lead = (slice(None),) * axis
    for _ in range(int(n)):
        x = getitem(x, (*lead, slice(1, None))) - getitem(x, (*lead, slice(None, -1)))
    return x


def norm(x, ord=None, axis=None, keepdims=False) -> Tensor:  # noqa: A002 - NumPy's argument name
    """Vector or matrix norm (NumPy's linalg.norm for the orders used in models).

    Vector orders: None/2 (Euclidean), 1, inf, -inf, 0 (count), any other p. Matrix orders (two
    axes, or a 2-D x with axis=None and ord given): None/'fro', 1, -1, inf, -inf. The nuclear
    and spectral norms need an SVD (out of scope, see tests/ops/test_keras_ops_coverage.py).
    """
    x = _float(x)
    if axis is None and (ord is None or x.ndim == 1):
        y = sqrt(sum(square(x))) if ord in (None, 2, "fro") else norm(reshape(x, (-1,)), ord, 0)
        return reshape(y, (1,) * x.ndim) if keepdims else y
    if axis is None:
        axis = tuple(range(x.ndim))
    axes = normalize_axes("norm", axis, x.ndim, x.shape)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    if ord is None or ord == 2:
        return sqrt(sum(square(x), axis=axes, keepdims=keepdims))
    if ord == np.inf:
        return max(_abs(x), axis=axes, keepdims=keepdims)
    if ord == -np.inf:
        return min(_abs(x), axis=axes, keepdims=keepdims)
    if ord == 0:
        return Tensor(np.asarray(np.sum(x.data != 0, axis=axes, keepdims=keepdims)).astype(x.dtype))
    if ord == 1:
        return sum(_abs(x), axis=axes, keepdims=keepdims)
    p = float(ord)
    return power(sum(power(_abs(x), p), axis=axes, keepdims=keepdims), 1.0 / p)


def _matrix_norm(x: Tensor, ord, axes: tuple, keepdims: bool) -> Tensor:  # noqa: A002
    rows, cols = axes
    if ord in (None, "fro"):
        return sqrt(sum(square(x), axis=axes, keepdims=keepdims))
    if ord in (1, -1):  # max/min column sum of |x|
        col = sum(_abs(x), axis=rows, keepdims=True)
        pick = max if ord == 1 else min
        y = pick(col, axis=cols, keepdims=True)
    elif ord in (np.inf, -np.inf):  # max/min row sum of |x|
        row = sum(_abs(x), axis=cols, keepdims=True)
        pick = max if ord == np.inf else min
        y = pick(row, axis=rows, keepdims=True)
    else:
        raise ValueError(
            f"norm: matrix order {ord!r} is not supported; use None/'fro', 1, -1, inf or -inf "
            f"(the nuclear and spectral norms need an SVD, which neuronio does not implement)."
        )
    return y if keepdims else reshape(y, tuple(n for i, n in enumerate(y.shape) if i not in axes))


# Without NaN in the engine, each nan-ignoring reduction is its plain form (see the docstring).
nansum, nanmean, nanmax, nanmin, nanprod = sum, mean, max, min, prod
nanvar, nanstd, nanargmax, nanargmin = var, std, argmax, argmin
nancumsum, nancumprod, nanmedian = cumsum, cumprod, median
nanquantile, nanpercentile = quantile, percentile
