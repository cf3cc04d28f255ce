"""Tensors made from shapes and numbers (ones, arange, eye, one_hot, ...), conversions, and the
matrix-structure ops (tril, triu, diag, diagonal, trace).

Created tensors are constants. Dtypes follow Keras 3: floats default to `config.floatx()`,
integer ranges and indices are int32. tril, triu, diag, diagonal and trace are differentiable:
they only select entries, so their gradients put dy back where the entries came from.
"""

import numpy as np

from neuronio import config
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_array, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.elementwise import multiply
from neuronio.ops.reduction import sum as _sum
from neuronio.ops.shape import getitem, normalize_axis, reshape, transpose


def _dtype(dtype, default=None) -> np.dtype:
    return np.dtype(dtype if dtype is not None else (default or config.floatx()))


def _shape(shape) -> tuple:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)


def _value(x) -> np.ndarray:
    return as_array(x.data if isinstance(x, Tensor) else x)


# -- from shapes and numbers -------------------------------------------------------------------
def zeros(shape, dtype=None) -> Tensor:
    """A constant tensor of zeros (floatx unless `dtype` says otherwise)."""
    return Tensor(np.zeros(_shape(shape), _dtype(dtype)))


def ones(shape, dtype=None) -> Tensor:
    """A constant tensor of ones."""
    return Tensor(np.ones(_shape(shape), _dtype(dtype)))


def empty(shape, dtype=None) -> Tensor:
    """A tensor of `shape`; neuronio fills it with zeros (an uninitialised array could hold NaN)."""
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None) -> Tensor:
    """A constant tensor of `fill_value` (floatx by default, as Keras)."""
    return Tensor(np.full(_shape(shape), _value(fill_value), _dtype(dtype)))


def _like_dtype(x, dtype):
    return np.dtype(dtype) if dtype is not None else _value(x).dtype


def zeros_like(x, dtype=None) -> Tensor:
    """Zeros of x's shape and dtype."""
    return Tensor(np.zeros(np.shape(_value(x)), _like_dtype(x, dtype)))


def ones_like(x, dtype=None) -> Tensor:
    """Ones of x's shape and dtype."""
    return Tensor(np.ones(np.shape(_value(x)), _like_dtype(x, dtype)))


def empty_like(x, dtype=None) -> Tensor:
    """A tensor of x's shape and dtype (zeros, see `empty`)."""
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None) -> Tensor:
    """`fill_value` in x's shape and dtype."""
    return Tensor(np.full(np.shape(_value(x)), _value(fill_value), _like_dtype(x, dtype)))


def arange(start, stop=None, step=None, dtype=None) -> Tensor:
    """Evenly spaced values in [start, stop): int32 for int arguments, floatx otherwise (Keras).

    >>> arange(3).numpy()
    array([0, 1, 2], dtype=int32)
    """
    if step == 0:
        raise ValueError("arange: step must not be 0.")
    bounds = [v for v in (start, stop, step) if v is not None]
    is_int = all(isinstance(v, (int, np.integer)) for v in bounds)
    default = "int32" if is_int else config.floatx()
    return Tensor(np.arange(start, stop, 1 if step is None else step).astype(_dtype(dtype, default)))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from start to stop (NumPy's linspace; floatx)."""
    y, step = np.linspace(_value(start), _value(stop), int(num), endpoint=endpoint, retstep=True, axis=axis)
    y = Tensor(y.astype(_dtype(dtype)))
    return (y, step) if retstep else y


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0) -> Tensor:
    """base ** linspace(start, stop, num)."""
    y = np.logspace(_value(start), _value(stop), int(num), endpoint=endpoint, base=base, axis=axis)
    return Tensor(y.astype(_dtype(dtype)))


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0) -> Tensor:
    """A geometric progression from start to stop."""
    y = np.geomspace(_value(start), _value(stop), int(num), endpoint=endpoint, axis=axis)
    return Tensor(y.astype(_dtype(dtype)))


def eye(N, M=None, k=0, dtype=None) -> Tensor:  # noqa: N803 - Keras's argument names
    """An N x M matrix with ones on the k-th diagonal."""
    return Tensor(np.eye(int(N), None if M is None else int(M), int(k), dtype=_dtype(dtype)))


def identity(n, dtype=None) -> Tensor:
    """The n x n identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None) -> Tensor:  # noqa: N803 - Keras's argument names
    """Ones at and below the k-th diagonal of an N x M matrix."""
    return Tensor(np.tri(int(N), None if M is None else int(M), int(k), dtype=_dtype(dtype)))


def vander(x, N=None, increasing=False) -> Tensor:  # noqa: N803 - Keras's argument names
    """The Vandermonde matrix of a 1-D x: columns x^(N-1), ..., x^0 (reversed if increasing);
    differentiable, as a stack of powers."""
    from neuronio.ops.elementwise import power
    from neuronio.ops.shape import stack

    x = as_tensor(x)
    x = x if x.dtype.kind == "f" else Tensor(x.data.astype(config.floatx()))
    n = x.shape[0] if N is None else int(N)
    exponents = range(n) if increasing else range(n - 1, -1, -1)
    return stack([power(x, float(k)) if k else multiply(x, 0.0) + 1.0 for k in exponents], axis=1)


def _window(fn, name):
    def window(x) -> Tensor:
        return Tensor(fn(int(_value(x))).astype(config.floatx()))

    window.__name__ = window.__qualname__ = name
    window.__doc__ = f"NumPy's {name} window of length x (floatx)."
    return window


bartlett, blackman = _window(np.bartlett, "bartlett"), _window(np.blackman, "blackman")
hamming, hanning = _window(np.hamming, "hamming"), _window(np.hanning, "hanning")


def kaiser(x, beta) -> Tensor:
    """NumPy's Kaiser window of length x with shape parameter beta (floatx)."""
    return Tensor(np.kaiser(int(_value(x)), float(beta)).astype(config.floatx()))


def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False) -> Tensor:
    """Integer labels as one-hot vectors along a new `axis`; labels outside [0, num_classes) give 0s.

    >>> one_hot([1, 0], 3).numpy().tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    if sparse:
        raise ValueError("one_hot: sparse=True is not supported (neuronio has dense tensors only).")
    labels = _value(x).astype(np.int64)
    y = (labels[..., None] == np.arange(int(num_classes))).astype(_dtype(dtype))  # (..., K)
    return Tensor(np.moveaxis(y, -1, axis) if axis != -1 else y)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs) -> Tensor:
    """A (batch of) label list(s) as one vector with 1 at each listed class (Keras's multi_hot)."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if num_classes is None:
        raise ValueError("multi_hot: give num_classes, the length of each output vector.")
    hot = one_hot(inputs, num_classes, axis=-1, dtype=dtype, sparse=sparse).data
    y = hot.max(axis=-2) if hot.ndim > 1 else hot  # a rank-1 input is a single example
    return Tensor(np.moveaxis(y, -1, axis) if axis != -1 else y)


# -- conversion and inspection -----------------------------------------------------------------
def convert_to_tensor(x, dtype=None, sparse=None, ragged=None) -> Tensor:
    """x as a Tensor; Python ints become int32 and floats floatx, as Keras converts them."""
    if isinstance(x, Tensor):
        return x if dtype is None or x.dtype == np.dtype(dtype) else Tensor(x.data.astype(dtype))
    if isinstance(x, np.ndarray):
        return Tensor(as_array(x, dtype=dtype))
    values = np.asarray(x)
    if dtype is None:
        dtype = {"i": "int32", "f": config.floatx()}.get(values.dtype.kind)
    return Tensor(as_array(values, dtype=dtype))


array = convert_to_tensor


def convert_to_numpy(x) -> np.ndarray:
    """x as a NumPy array."""
    return np.asarray(x.data if isinstance(x, Tensor) else x)


def copy(x) -> Tensor:
    """A copy of x; gradients flow through it (dx = dy), as through Keras's copy."""
    x = as_tensor(x)
    if x.dtype.kind != "f":
        return Tensor(x.data.copy())
    from neuronio.ops.math import UnaryOp

    return UnaryOp("copy").apply(x)


def is_tensor(x) -> bool:
    """Whether x is a neuronio Tensor (or Variable)."""
    return isinstance(x, Tensor)


def shape(x) -> tuple:
    """x's shape as a tuple of ints (None for unknown axes of a symbolic tensor)."""
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def ndim(x) -> int:
    """x's number of axes."""
    return len(shape(x))


def size(x) -> int:
    """x's number of entries."""
    return int(np.prod(shape(x)))


def dtype(x) -> str:
    """x's dtype as Keras names it ('float32', 'int32', 'bool', ...)."""
    return np.dtype(getattr(x, "dtype", None) or np.asarray(x).dtype).name


def stop_gradient(variable) -> Tensor:
    """The same values, cut from the graph: no gradient flows back through the result."""
    return Tensor(_value(variable))


# -- matrix structure (differentiable) ---------------------------------------------------------
def _tri_mask(x: Tensor, k: int, lower: bool) -> np.ndarray:
    if x.ndim < 2:
        raise ShapeError(f"{'tril' if lower else 'triu'} expects a tensor of rank >= 2; received shape {x.shape}.")
    n, m = x.shape[-2:]
    below = np.tri(n, m, int(k), dtype=bool)
    return below if lower else ~np.tri(n, m, int(k) - 1, dtype=bool)


def tril(x, k=0) -> Tensor:
    """x with entries above the k-th diagonal zeroed (over the last two axes); dx = dy * mask."""
    x = as_tensor(x)
    mask = _tri_mask(x, k, lower=True)
    return multiply(x, mask.astype(x.dtype)) if x.dtype.kind == "f" else Tensor(x.data * mask)


def triu(x, k=0) -> Tensor:
    """x with entries below the k-th diagonal zeroed (over the last two axes); dx = dy * mask."""
    x = as_tensor(x)
    mask = _tri_mask(x, k, lower=False)
    return multiply(x, mask.astype(x.dtype)) if x.dtype.kind == "f" else Tensor(x.data * mask)


def diagonal(x, offset=0, axis1=0, axis2=1) -> Tensor:
    """The `offset` diagonal of the (axis1, axis2) planes, as a last axis (NumPy's diagonal).

    Built from transpose and getitem, so its gradient is theirs: dy scattered onto the diagonal.
    """
    x = as_tensor(x)
    a1, a2 = normalize_axis("diagonal", axis1, x.ndim, x.shape), normalize_axis("diagonal", axis2, x.ndim, x.shape)
    rest = [i for i in range(x.ndim) if i not in (a1, a2)]
    moved = transpose(x, (*rest, a1, a2))  # (..., n, m)
    n, m = moved.shape[-2:]
    rows = np.arange(max(0, -offset), max(0, min(n, m - offset)))
    return getitem(moved, (Ellipsis, rows, rows + offset))


def trace(x, offset=0, axis1=0, axis2=1) -> Tensor:
    """Sum of the `offset` diagonal of the (axis1, axis2) planes."""
    return _sum(diagonal(x, offset, axis1, axis2), axis=-1)


class DiagOp(Function):
    """1-D x: y = the matrix with x on diagonal k, dx = dy's diagonal k.
    2-D x: y = x's diagonal k, dx = dy placed on diagonal k of zeros."""

    def __init__(self, k: int):
        self.k = k

    def forward(self, x):
        self.save_for_backward(x.shape)
        return np.diag(x, self.k).copy()

    def backward(self, dy):
        (x_shape,) = self.saved
        if len(x_shape) == 1:
            return np.diag(dy, self.k).copy()
        dx = np.zeros(x_shape, dtype=dy.dtype)
        rows = np.arange(len(dy)) + max(0, -self.k)
        dx[rows, rows + self.k] = dy
        return dx


def diag(x, k=0) -> Tensor:
    """A 1-D x placed on diagonal k of a square matrix, or a 2-D x's diagonal k."""
    x = as_tensor(x)
    if x.ndim not in (1, 2):
        raise ShapeError(f"diag expects a 1-D or 2-D tensor; received shape {x.shape}.")
    return DiagOp(int(k)).apply(x) if x.dtype.kind == "f" else Tensor(np.diag(x.data, int(k)).copy())


def diagflat(x, k=0) -> Tensor:
    """x flattened and placed on diagonal k of a square matrix."""
    x = as_tensor(x)
    return diag(reshape(x, (-1,)), k)


def meshgrid(*x, indexing="xy") -> list:
    """Coordinate grids from 1-D coordinate vectors (NumPy's meshgrid); constants."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij'; received indexing={indexing!r}.")
    return [Tensor(np.array(g)) for g in np.meshgrid(*[_value(v) for v in x], indexing=indexing)]


def saturate_cast(x, dtype) -> Tensor:
    """x cast to `dtype`, values first clipped to the dtype's range (no wrap-around); a constant."""
    values = _value(x)
    dtype = np.dtype(dtype)
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype)
    return Tensor(np.clip(values, info.min, info.max).astype(dtype))


def view(x, dtype=None) -> Tensor:
    """x's bytes reinterpreted as `dtype` (NumPy's view); a constant."""
    values = _value(x)
    return Tensor(values.view(dtype) if dtype is not None else values.copy())
