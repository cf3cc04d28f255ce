"""Shape ops: reshape, transpose, concatenate, stack, expand_dims, squeeze, flatten, pad, getitem.

None of these changes a value, only where it sits, so each backward moves dy back to where the
value came from: the inverse reshape, the inverse permutation, a split, a slice or a scatter.
The axis checks shared by every op family (reductions and softmax too) live here, once.
"""

import math

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError


# -- axis arithmetic, shared with reduction.py and activation.py --------------------------------
def normalize_axis(op: str, axis, ndim: int, shape: tuple) -> int:
    """`axis` (negative counts from the end) as an index in 0..ndim-1, or an error naming `op`."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int; received axis={axis!r}.")
    if not -ndim <= axis < ndim:
        valid = f"valid axes are {-ndim} to {ndim - 1}" if ndim else "a scalar has no axes"
        raise ShapeError(
            f"{op}: axis {int(axis)} is out of range for a tensor of rank {ndim} (shape {shape}); {valid}."
        )
    return int(axis) % ndim


def normalize_axes(op: str, axis, ndim: int, shape: tuple) -> tuple[int, ...]:
    """None (every axis), an int or a tuple of ints, as a sorted tuple of distinct indices."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = tuple(normalize_axis(op, a, ndim, shape) for a in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"{op}: axis={tuple(axis)} names the same axis twice (shape {shape}).")
        return tuple(sorted(axes))
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints; received axis={axis!r}.")
    return (normalize_axis(op, axis, ndim, shape),)


def _apply(op: Function, *tensors: Tensor) -> Tensor:
    """Run an op. With no float input (labels, argmax results, integer arithmetic) it runs without
    a graph: Function.apply accepts floats only, and integers have no gradient anyway. The op
    family modules all use this one rule."""
    if all(t.dtype.kind != "f" for t in tensors):
        y = op.forward(*[t.data for t in tensors])
        op.saved = ()
        return Tensor(np.asarray(y))
    return op.apply(*tensors)


# -- ops ---------------------------------------------------------------------------------------
class ReshapeOp(Function):
    """y = x with a new shape (the same entries in C order);  dx = dy reshaped back."""

    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, x):
        self.save_for_backward(x.shape)
        return x.reshape(self.shape)

    def backward(self, dy):
        (x_shape,) = self.saved
        return dy.reshape(x_shape)


class TransposeOp(Function):
    """y = x with its axes permuted: y.shape[i] = x.shape[axes[i]];  dx = dy permuted back."""

    def __init__(self, axes: tuple):
        self.axes = axes

    def forward(self, x):
        return np.transpose(x, self.axes)

    def backward(self, dy):
        return np.transpose(dy, np.argsort(self.axes))  # the inverse permutation


class ConcatenateOp(Function):
    """y = [x_1, x_2, ...] joined along `axis`;  dx_i = the slice of dy that x_i filled."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, *xs):
        sizes = [x.shape[self.axis] for x in xs]
        self.save_for_backward(np.cumsum(sizes)[:-1], [x.dtype for x in xs])
        return np.concatenate(xs, axis=self.axis)

    def backward(self, dy):
        offsets, dtypes = self.saved
        parts = np.split(dy, offsets, axis=self.axis)  # views, one per input
        return tuple(part.astype(dtype, copy=False) for part, dtype in zip(parts, dtypes, strict=True))


class StackOp(Function):
    """y = x_1, x_2, ... stacked along a new axis;  dx_i = dy taken at index i of that axis."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, *xs):
        self.save_for_backward([x.dtype for x in xs])
        return np.stack(xs, axis=self.axis)

    def backward(self, dy):
        (dtypes,) = self.saved
        slabs = np.moveaxis(dy, self.axis, 0)  # (n_inputs, *input_shape), a view
        return tuple(slab.astype(dtype, copy=False) for slab, dtype in zip(slabs, dtypes, strict=True))


class PadOp(Function):
    """y = x surrounded by `value` (pads[i] = (before, after) on axis i);  dx = dy's interior."""

    def __init__(self, pads: tuple, value: float):
        self.pads = pads
        self.value = value

    def forward(self, x):
        self.save_for_backward(x.shape)
        return np.pad(x, self.pads, mode="constant", constant_values=self.value)

    def backward(self, dy):
        (x_shape,) = self.saved
        return dy[tuple(slice(before, before + n) for (before, _), n in zip(self.pads, x_shape, strict=True))]


class GetItemOp(Function):
    """y = x[index];  dx = zeros of x's shape with dy written back at `index`.

    Basic indexing (ints, slices, None, Ellipsis) selects each entry at most once, so plain
    assignment scatters dy. Integer arrays may select an entry several times (x[[0, 0]]), and
    those gradients must add up: np.add.at does that. It is slow (STYLE B2: ~10x a slice `+=`)
    and banned from hot paths; it is allowed here because fancy indexing is not one (conv and
    pooling use strided views, never getitem).
    """

    def __init__(self, index, fancy: bool):
        self.index = index
        self.fancy = fancy

    def forward(self, x):
        self.save_for_backward(x.shape)
        return np.asarray(x[self.index])  # x[0, 1] is a NumPy scalar; Tensor.data is always an array

    def backward(self, dy):
        (x_shape,) = self.saved
        dx = np.zeros(x_shape, dtype=dy.dtype)
        if self.fancy:
            np.add.at(dx, self.index, dy)
        else:
            dx[self.index] = dy
        return dx


# -- public functions --------------------------------------------------------------------------
def reshape(x, newshape) -> Tensor:
    """x with a new shape holding the same entries in C order; one entry of -1 is inferred.

    Args:
        x: tensor.
        newshape: int or tuple of ints; at most one -1.

    >>> reshape(np.arange(6, dtype="float32"), (2, -1)).shape
    (2, 3)
    """
    x = as_tensor(x)
    return _apply(ReshapeOp(_resolve_shape(newshape, x.shape)), x)


def _resolve_shape(newshape, shape: tuple) -> tuple[int, ...]:
    """`newshape` with its -1 filled in, checked against the number of entries of `shape`."""
    target = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= -1 for d in target):
        raise ValueError(f"reshape: newshape must hold ints >= 0 and at most one -1; received {newshape!r}.")
    target = tuple(int(d) for d in target)
    n_unknown = target.count(-1)
    if n_unknown > 1:
        raise ValueError(f"reshape: newshape may contain -1 only once; received {target}.")
    size = math.prod(shape)
    known = math.prod(d for d in target if d != -1)
    if n_unknown and known and size % known == 0:
        return tuple(size // known if d == -1 else d for d in target)
    if not n_unknown and known == size:
        return target
    need = f"a multiple of {known}" if n_unknown else f"{known}"
    raise ShapeError(
        f"reshape: cannot reshape a tensor of shape {shape} ({size} entries) into shape {target}, "
        f"which needs {need} entries."
    )


def transpose(x, axes=None) -> Tensor:
    """x with its axes permuted; axes=None reverses them (x.T).

    >>> transpose(np.zeros((2, 3, 4), "float32"), (2, 0, 1)).shape
    (4, 2, 3)
    """
    x = as_tensor(x)
    if axes is None:
        perm = tuple(reversed(range(x.ndim)))
    else:
        perm = tuple(normalize_axis("transpose", a, x.ndim, x.shape) for a in axes)
        if sorted(perm) != list(range(x.ndim)):
            raise ValueError(
                f"transpose: axes must be a permutation of 0..{x.ndim - 1} for a tensor of shape "
                f"{x.shape}; received axes={tuple(axes)}."
            )
    return _apply(TransposeOp(perm), x)


def concatenate(xs, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (default 0, as keras.ops); all other axes must agree.

    >>> concatenate([np.ones((2, 3), "float32"), np.ones((2, 1), "float32")], axis=-1).shape
    (2, 4)
    """
    tensors = _tensor_list("concatenate", xs)
    first = tensors[0]
    if first.ndim == 0:
        raise ShapeError("concatenate: scalars have no axis to join along; use stack instead.")
    ax = normalize_axis("concatenate", axis, first.ndim, first.shape)
    shapes = [t.shape for t in tensors]
    if any(len(s) != first.ndim or s[:ax] + s[ax + 1 :] != first.shape[:ax] + first.shape[ax + 1 :] for s in shapes):
        raise ShapeError(
            f"concatenate: all inputs must have the same shape except along axis {axis}; received shapes {shapes}."
        )
    return _apply_many(ConcatenateOp(ax), tensors)


concat = concatenate


def stack(x, axis: int = 0) -> Tensor:
    """Join tensors of one shape along a new axis.

    >>> stack([np.ones(3, "float32"), np.zeros(3, "float32")], axis=1).shape
    (3, 2)
    """
    tensors = _tensor_list("stack", x)
    shapes = [t.shape for t in tensors]
    if any(s != shapes[0] for s in shapes):
        raise ShapeError(f"stack: all inputs must have the same shape; received shapes {shapes}.")
    ax = normalize_axis("stack", axis, len(shapes[0]) + 1, shapes[0])
    return _apply_many(StackOp(ax), tensors)


def _apply_many(op: Function, tensors: list) -> Tensor:
    """Run a joining op. All-integer inputs join without a graph; ints meeting floats are promoted
    to the floats' dtype (Keras's rule), as constants."""
    floats = [t.dtype for t in tensors if t.dtype.kind == "f"]
    if floats:
        tensors = [t if t.dtype.kind == "f" else Tensor(t.data.astype(floats[0])) for t in tensors]
    return _apply(op, *tensors)


def _tensor_list(op: str, xs) -> list[Tensor]:
    if isinstance(xs, (Tensor, np.ndarray)) or not isinstance(xs, (list, tuple)) or not xs:
        raise TypeError(f"{op} expects a non-empty list of tensors; received {type(xs).__name__}.")
    return [as_tensor(x) for x in xs]


def expand_dims(x, axis) -> Tensor:
    """x with size-1 axes inserted at `axis` (an int or a tuple, positions in the result).

    >>> expand_dims(np.zeros((2, 3), "float32"), -1).shape
    (2, 3, 1)
    """
    x = as_tensor(x)
    n_new = len(axis) if isinstance(axis, (tuple, list)) else 1
    axes = normalize_axes("expand_dims", axis, x.ndim + n_new, x.shape)
    shape = list(x.shape)
    for a in axes:  # ascending, so each insertion lands at its final position
        shape.insert(a, 1)
    return _apply(ReshapeOp(tuple(shape)), x)


def squeeze(x, axis=None) -> Tensor:
    """x without size-1 axes: all of them (axis=None) or the ones named.

    >>> squeeze(np.zeros((2, 1, 3, 1), "float32")).shape
    (2, 3)
    """
    x = as_tensor(x)
    if axis is None:
        axes = tuple(i for i, n in enumerate(x.shape) if n == 1)
    else:
        axes = normalize_axes("squeeze", axis, x.ndim, x.shape)
        for a in axes:
            if x.shape[a] != 1:
                raise ShapeError(
                    f"squeeze: cannot remove axis {a} of a tensor of shape {x.shape}: its size is {x.shape[a]}, not 1."
                )
    shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
    return _apply(ReshapeOp(shape), x)


def flatten(x) -> Tensor:
    """(N, ...) -> (N, prod(...)): every axis but the batch axis folded into one, as Flatten does.

    >>> flatten(np.zeros((2, 3, 4), "float32")).shape
    (2, 12)
    """
    x = as_tensor(x)
    if x.ndim == 0:
        raise ShapeError("flatten expects a tensor with a batch axis (rank >= 1); received a scalar.")
    return _apply(ReshapeOp((x.shape[0], math.prod(x.shape[1:]))), x)


def pad(x, pad_width, mode: str = "constant", constant_values=0.0) -> Tensor:
    """x surrounded by a constant, NumPy's `pad` with mode="constant".

    Args:
        x: tensor.
        pad_width: NumPy's forms: n (every side of every axis), (before, after) (every axis),
            or ((before_1, after_1), ..., (before_N, after_N)) (one pair per axis).
        mode: only "constant" (the mode ZeroPadding2D and the decks need).
        constant_values: the fill value; None means 0, as in Keras.

    >>> pad(np.ones((2, 2), "float32"), ((1, 0), (0, 2))).shape
    (3, 4)
    """
    x = as_tensor(x)
    if mode != "constant":
        raise ValueError(
            f"pad: only mode='constant' is implemented; received mode={mode!r}. "
            f"Pad with a constant, or build other modes from getitem and concatenate."
        )
    widths = np.asarray(pad_width)
    if widths.size == 0 or widths.dtype.kind not in "iu":
        raise TypeError(f"pad: pad_width must hold ints; received pad_width={pad_width!r}.")
    try:
        widths = np.broadcast_to(widths, (x.ndim, 2))  # NumPy's own rule for the short forms
    except ValueError:
        raise ShapeError(
            f"pad: pad_width={pad_width!r} does not fit a tensor of rank {x.ndim} (shape {x.shape}); "
            f"give n, (before, after), or {x.ndim} pairs."
        ) from None
    if (widths < 0).any():
        raise ValueError(f"pad: pad widths must be >= 0; received pad_width={pad_width!r}.")
    pads = tuple((int(before), int(after)) for before, after in widths)
    value = 0.0 if constant_values is None else float(constant_values)
    return _apply(PadOp(pads, value), x)


def getitem(x, index) -> Tensor:
    """x[index] with NumPy's rules: ints, slices, None, Ellipsis, integer or boolean arrays.

    >>> getitem(np.arange(6, dtype="float32").reshape(2, 3), (slice(None), [0, 2])).shape
    (2, 2)
    """
    x = as_tensor(x)
    items = index if isinstance(index, tuple) else (index,)
    items = tuple(_index_item(item) for item in items)
    fancy = any(isinstance(item, np.ndarray) for item in items)
    op = GetItemOp(items if isinstance(index, tuple) else items[0], fancy)
    try:
        return _apply(op, x)
    except IndexError as exc:
        raise IndexError(f"getitem: index {index!r} does not fit a tensor of shape {x.shape}: {exc}.") from None


def _index_item(item):
    """One entry of an index: Tensors and lists become arrays, which must hold ints or bools."""
    if isinstance(item, Tensor):
        item = item.data
    if isinstance(item, list):
        item = np.asarray(item) if item else np.zeros(0, dtype=np.intp)  # x[[]] selects nothing
    if isinstance(item, np.ndarray) and item.dtype.kind not in "iub":
        raise IndexError(
            f"getitem: index arrays must hold integers or booleans; received dtype {item.dtype}. "
            f"Convert them first, e.g. idx.astype('int64')."
        )
    return item
