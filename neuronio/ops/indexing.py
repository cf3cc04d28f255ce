"""Selecting, reordering and repeating entries: take, sort, top_k, flip, roll, tile, repeat,
split, scatter and slice, and the sorts that return indices (argsort, top_k); where and select,
and nonzero (the coordinates where(condition) gives; ops.search re-exports it with the counts).

Most of these are getitem, transpose, reshape or concatenate with an index computed in NumPy,
so their gradient is those ops' (dy moved back to where each entry came from); that is the
clearest statement of the math. Tile, broadcast_to and the scatters have Function classes of
their own. Index results (argsort, argpartition, in_top_k) are constant integer Tensors.
"""

import numpy as np

from neuronio.autodiff.broadcast import sum_to_shape
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_array, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.elementwise import _pair
from neuronio.ops.elementwise import where as _where2
from neuronio.ops.shape import _apply as _run
from neuronio.ops.shape import concatenate, getitem, normalize_axis, reshape, transpose

_pyslice = slice  # this module defines Keras's ops.slice, which shadows the builtin below


def _value(x) -> np.ndarray:
    return as_array(x.data if isinstance(x, Tensor) else x)


def _along(ndim: int, axis: int, index) -> tuple:
    """An index tuple that applies `index` on `axis` and keeps every other axis whole."""
    return (_pyslice(None),) * axis + (index,)


# -- gathering ---------------------------------------------------------------------------------
def take(x, indices, axis=None) -> Tensor:
    """Entries of x at `indices` along `axis` (None: of the flattened x); negative indices count
    from the end."""
    x = as_tensor(x)
    idx = _value(indices).astype(np.intp)
    if axis is None:
        return getitem(reshape(x, (-1,)), idx)
    axis = normalize_axis("take", axis, x.ndim, x.shape)
    return getitem(x, _along(x.ndim, axis, idx))


def take_along_axis(x, indices, axis=None) -> Tensor:
    """x[..., indices[...], ...] matched entry by entry along `axis` (NumPy's take_along_axis)."""
    x = as_tensor(x)
    idx = _value(indices).astype(np.intp)
    if axis is None:
        return getitem(reshape(x, (-1,)), idx.reshape(-1))
    axis = normalize_axis("take_along_axis", axis, x.ndim, x.shape)
    if idx.ndim != x.ndim:
        raise ShapeError(f"take_along_axis: indices must have x's rank {x.ndim}; received shape {idx.shape}.")
    shape = np.broadcast_shapes(
        tuple(1 if i == axis else n for i, n in enumerate(x.shape)),
        tuple(1 if i == axis else n for i, n in enumerate(idx.shape)),
    )
    x = _broadcast_except(x, shape, axis)
    idx = np.broadcast_to(idx, tuple(idx.shape[axis] if i == axis else n for i, n in enumerate(shape)))
    grids = list(np.ogrid[tuple(_pyslice(n) for n in idx.shape)])
    grids[axis] = idx
    return getitem(x, tuple(grids))


def _broadcast_except(x: Tensor, shape: tuple, axis: int) -> Tensor:
    target = tuple(x.shape[axis] if i == axis else n for i, n in enumerate(shape))
    return x if target == x.shape else broadcast_to(x, target)


def argsort(x, axis=-1) -> Tensor:
    """Indices that sort x along `axis` (stable: equal entries keep their order); int32."""
    return Tensor(np.argsort(_value(x), axis=axis, kind="stable").astype(np.int32))


def sort(x, axis=-1) -> Tensor:
    """x sorted ascending along `axis`; the gradient follows each entry to its sorted place."""
    x = as_tensor(x)
    return take_along_axis(x, argsort(x, axis).data, axis=axis)


def top_k(x, k, sorted=True) -> tuple:  # noqa: A002 - Keras's argument name
    """The k largest entries along the last axis and their indices (ties: lower index first).

    Returns (values, indices); values is differentiable, indices int32.
    """
    x = as_tensor(x)
    k = int(k)
    if not 0 <= k <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [0, {x.shape[-1]}] for x.shape={x.shape}; received k={k}.")
    order = np.argsort(-x.data, axis=-1, kind="stable")[..., :k].astype(np.int32)
    return take_along_axis(x, order, axis=-1), Tensor(order)


def in_top_k(targets, predictions, k) -> Tensor:
    """Whether each target class is among the k largest predictions of its row (ties count in)."""
    predictions = _value(predictions)
    targets = _value(targets).astype(np.intp)
    target_scores = np.take_along_axis(predictions, targets[:, None], axis=-1)  # (N, 1)
    return Tensor((predictions > target_scores).sum(axis=-1) < int(k))


def argpartition(x, kth, axis=-1) -> Tensor:
    """Indices that partition x around its kth smallest entry along `axis` (NumPy's)."""
    return Tensor(np.argpartition(_value(x), kth, axis=axis).astype(np.int32))


# -- reordering ---------------------------------------------------------------------------------
def flip(x, axis=None) -> Tensor:
    """x with the order of entries reversed along `axis` (None: every axis)."""
    x = as_tensor(x)
    axes = range(x.ndim) if axis is None else [axis] if np.ndim(axis) == 0 else axis
    index = [_pyslice(None)] * x.ndim
    for a in axes:
        index[normalize_axis("flip", a, x.ndim, x.shape)] = _pyslice(None, None, -1)
    return getitem(x, tuple(index))


def fliplr(x) -> Tensor:
    """flip(x, axis=1)."""
    return flip(x, 1)


def flipud(x) -> Tensor:
    """flip(x, axis=0)."""
    return flip(x, 0)


def moveaxis(x, source, destination) -> Tensor:
    """x with axes moved from `source` to `destination` (NumPy's moveaxis)."""
    x = as_tensor(x)
    sources = [normalize_axis("moveaxis", a, x.ndim, x.shape) for a in np.atleast_1d(source)]
    destinations = [normalize_axis("moveaxis", a, x.ndim, x.shape) for a in np.atleast_1d(destination)]
    order = [i for i in range(x.ndim) if i not in sources]  # order[i]: the axis that lands at i
    for d, s in sorted(zip(destinations, sources, strict=True)):
        order.insert(d, s)
    return transpose(x, tuple(order))


def swapaxes(x, axis1, axis2) -> Tensor:
    """x with two axes exchanged."""
    x = as_tensor(x)
    order = list(range(x.ndim))
    a, b = normalize_axis("swapaxes", axis1, x.ndim, x.shape), normalize_axis("swapaxes", axis2, x.ndim, x.shape)
    order[a], order[b] = order[b], order[a]
    return transpose(x, tuple(order))


def rot90(array, k=1, axes=(0, 1)) -> Tensor:
    """x rotated by 90 degrees k times in the plane of `axes` (NumPy's rot90)."""
    x = as_tensor(array)
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, axes[0]), axes[1])
    if k == 1:
        return swapaxes(flip(x, axes[1]), axes[0], axes[1])
    return flip(swapaxes(x, axes[0], axes[1]), axes[1])


def roll(x, shift, axis=None) -> Tensor:
    """x with entries shifted cyclically by `shift` along `axis` (None: of the flattened x)."""
    x = as_tensor(x)
    if axis is None:
        return reshape(roll(reshape(x, (-1,)), shift, 0), x.shape)
    axes = [axis] if np.ndim(axis) == 0 else list(axis)
    shifts = [shift] * len(axes) if np.ndim(shift) == 0 else list(shift)
    for a, s in zip(axes, shifts, strict=True):
        a = normalize_axis("roll", a, x.ndim, x.shape)
        x = getitem(x, _along(x.ndim, a, np.roll(np.arange(x.shape[a]), int(s))))
    return x


def ravel(x) -> Tensor:
    """x flattened to one axis."""
    return reshape(x, (-1,))


# -- repeating ----------------------------------------------------------------------------------
class TileOp(Function):
    """y = x repeated reps[i] times along axis i;  dx = dy folded to (r0, n0, r1, n1, ...) and
    summed over the r axes."""

    def __init__(self, reps: tuple):
        self.reps = reps

    def forward(self, x):
        self.save_for_backward(x.shape)
        return np.tile(x, self.reps)

    def backward(self, dy):
        (x_shape,) = self.saved
        n = len(self.reps)
        full = (1,) * (n - len(x_shape)) + tuple(x_shape)  # x's shape padded to len(reps)
        folded = dy.reshape([d for pair in zip(self.reps, full, strict=True) for d in pair])
        return folded.sum(axis=tuple(range(0, 2 * n, 2))).reshape(x_shape)


def tile(x, repeats) -> Tensor:
    """x repeated `repeats` times along each axis (NumPy's tile)."""
    x = as_tensor(x)
    reps = (int(repeats),) if np.ndim(repeats) == 0 else tuple(int(r) for r in repeats)
    reps = (1,) * (x.ndim - len(reps)) + reps
    return _run(TileOp(reps), x)


def repeat(x, repeats, axis=None) -> Tensor:
    """Each entry of x repeated `repeats` times along `axis` (None: of the flattened x)."""
    x = as_tensor(x)
    if axis is None:
        x, axis = reshape(x, (-1,)), 0
    axis = normalize_axis("repeat", axis, x.ndim, x.shape)
    index = np.repeat(np.arange(x.shape[axis]), _value(repeats).astype(np.intp))
    return getitem(x, _along(x.ndim, axis, index))


class BroadcastToOp(Function):
    """y = x broadcast to `shape` (a copy);  dx = sum_to_shape(dy, x.shape)."""

    def __init__(self, shape: tuple):
        self.shape = shape

    def forward(self, x):
        self.save_for_backward(x.shape)
        return np.broadcast_to(x, self.shape).copy()

    def backward(self, dy):
        (x_shape,) = self.saved
        return sum_to_shape(dy, x_shape)


def broadcast_to(x, shape) -> Tensor:
    """x broadcast to `shape` with NumPy's rules."""
    x = as_tensor(x)
    shape = tuple(int(d) for d in shape)
    try:
        np.broadcast_shapes(x.shape, shape)
    except ValueError:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}.") from None
    return _run(BroadcastToOp(shape), x)


# -- splitting and joining ----------------------------------------------------------------------
def _split_points(n: int, indices_or_sections, even: bool, who: str) -> list:
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if even and n % sections:
            raise ShapeError(f"{who}: an axis of size {n} does not split into {sections} equal parts.")
        sizes = [n // sections + (1 if i < n % sections else 0) for i in range(sections)]
        return list(np.cumsum(sizes)[:-1])
    return [int(i) for i in indices_or_sections]


def split(x, indices_or_sections, axis=0) -> list:
    """x cut along `axis` into equal sections, or at the given indices."""
    x = as_tensor(x)
    axis = normalize_axis("split", axis, x.ndim, x.shape)
    points = [0, *_split_points(x.shape[axis], indices_or_sections, True, "split"), x.shape[axis]]
    return [getitem(x, _along(x.ndim, axis, _pyslice(a, b))) for a, b in zip(points[:-1], points[1:], strict=True)]


def array_split(x, indices_or_sections, axis=0) -> list:
    """split, allowing sections of unequal size (the first ones one longer)."""
    x = as_tensor(x)
    axis = normalize_axis("array_split", axis, x.ndim, x.shape)
    points = [0, *_split_points(x.shape[axis], indices_or_sections, False, "array_split"), x.shape[axis]]
    return [getitem(x, _along(x.ndim, axis, _pyslice(a, b))) for a, b in zip(points[:-1], points[1:], strict=True)]


def hsplit(x, indices_or_sections) -> list:
    """split along axis 1 (axis 0 for 1-D x)."""
    x = as_tensor(x)
    return split(x, indices_or_sections, axis=1 if x.ndim > 1 else 0)


def vsplit(x, indices_or_sections) -> list:
    """split along axis 0."""
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections) -> list:
    """split along axis 2."""
    return split(x, indices_or_sections, axis=2)


def unstack(x, num=None, axis=0) -> list:
    """The slices of x along `axis`, as a list."""
    x = as_tensor(x)
    axis = normalize_axis("unstack", axis, x.ndim, x.shape)
    return [getitem(x, _along(x.ndim, axis, i)) for i in range(x.shape[axis])]


def _at_least(x, ndim: int, where: str) -> Tensor:
    x = as_tensor(x)
    if x.ndim >= ndim:
        return x
    if ndim == 2:
        return reshape(x, (1, -1) if x.ndim == 1 else (1, 1))
    shape = {0: (1, 1, 1), 1: (1, x.size, 1), 2: (*x.shape, 1)}[x.ndim]
    return reshape(x, shape)


def hstack(xs) -> Tensor:
    """Join along axis 1 (axis 0 for 1-D inputs)."""
    tensors = [as_tensor(x) for x in xs]
    return concatenate(tensors, axis=0 if tensors[0].ndim == 1 else 1)


def vstack(xs) -> Tensor:
    """Join along axis 0, 1-D inputs becoming rows."""
    return concatenate([_at_least(x, 2, "vstack") for x in xs], axis=0)


def dstack(xs) -> Tensor:
    """Join along axis 2, inputs raised to 3-D first."""
    return concatenate([_at_least(x, 3, "dstack") for x in xs], axis=2)


def append(x1, x2, axis=None) -> Tensor:
    """x2 appended to x1 along `axis` (None: both flattened)."""
    if axis is None:
        return concatenate([reshape(x1, (-1,)), reshape(x2, (-1,))], axis=0)
    return concatenate([x1, x2], axis=axis)


# -- slices and scatters ------------------------------------------------------------------------
def slice(inputs, start_indices, shape) -> Tensor:  # noqa: A001 - the Keras name
    """The block of `shape` starting at `start_indices` (Keras's ops.slice)."""
    starts = [int(s) for s in _value(start_indices)]
    return getitem(inputs, tuple(_block(a, int(n)) for a, n in zip(starts, shape, strict=True)))


def _block(start: int, size: int):
    return _pyslice(start, start + size)


class ScatterUpdateOp(Function):
    """y = inputs with y[index] = updates;  dinputs = dy with zeros at index,  dupdates = dy[index]."""

    def __init__(self, index):
        self.index = index

    def forward(self, inputs, updates):
        y = inputs.copy()
        y[self.index] = updates
        return y

    def backward(self, dy):
        dinputs = dy.copy()
        dinputs[self.index] = 0
        return dinputs, np.array(dy[self.index], copy=True)


class ScatterOp(Function):
    """y = zeros(shape) with updates added at index (duplicates add);  dupdates = dy[index]."""

    def __init__(self, index, shape: tuple):
        self.index, self.shape = index, shape

    def forward(self, updates):
        y = np.zeros(self.shape, dtype=updates.dtype)
        np.add.at(y, self.index, updates)  # not a hot path: scatter is a user-level op
        return y

    def backward(self, dy):
        return np.array(dy[self.index], copy=True)


def _point_index(indices) -> tuple:
    idx = _value(indices).astype(np.intp)  # (n, k): n points, each indexing the first k axes
    return tuple(idx[..., i] for i in range(idx.shape[-1]))


def scatter(indices, values, shape) -> Tensor:
    """zeros(shape) with `values` added at `indices` (rows of coordinates); differentiable in values."""
    values = as_tensor(values)
    return _run(ScatterOp(_point_index(indices), tuple(int(d) for d in shape)), values)


def _joined(inputs, updates) -> tuple:
    inputs, updates = _pair(inputs, updates)
    if inputs.dtype.kind == "f" and updates.dtype != inputs.dtype:
        updates = Tensor(updates.data.astype(inputs.dtype)) if updates.dtype.kind != "f" else updates
    return inputs, updates


def scatter_update(inputs, indices, updates, reduction=None) -> Tensor:
    """inputs with the entries at `indices` (rows of coordinates) replaced by `updates`
    (reduction=None, Keras's default; 'add' adds them instead)."""
    if reduction == "add":
        return as_tensor(inputs) + scatter(indices, updates, as_tensor(inputs).shape)
    if reduction is not None:
        raise ValueError(f"scatter_update: reduction must be None or 'add'; received reduction={reduction!r}.")
    inputs, updates = _joined(inputs, updates)
    return _run(ScatterUpdateOp(_point_index(indices)), inputs, updates)


def slice_update(inputs, start_indices, updates) -> Tensor:
    """inputs with the block starting at `start_indices` replaced by `updates`."""
    inputs, updates = _joined(inputs, updates)
    starts = [int(s) for s in _value(start_indices)]
    index = tuple(_block(a, n) for a, n in zip(starts, updates.shape, strict=True))
    return _run(ScatterUpdateOp(index), inputs, updates)


def get_item(x, key) -> Tensor:
    """x[key] (Keras's name and argument names for getitem)."""
    return getitem(x, key)


def nonzero(x) -> tuple:
    """The coordinates of x's non-zero entries, one int32 Tensor per axis."""
    return tuple(Tensor(i.astype(np.int32)) for i in np.nonzero(_value(x)))


def where(condition, x1=None, x2=None):
    """x1 where `condition` else x2 (differentiable in both); with only a condition, the
    coordinates of its true entries (as nonzero)."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where: give both x1 and x2, or neither (for the coordinates of true entries).")
    a, b = _pair(x1, x2)
    cond = np.asarray(_value(condition), dtype=bool)
    if a.dtype.kind != "f" and b.dtype.kind != "f":
        return Tensor(np.where(cond, a.data, b.data))
    dtype = a.dtype if a.dtype.kind == "f" else b.dtype
    a = a if a.dtype.kind == "f" else Tensor(a.data.astype(dtype))
    b = b if b.dtype.kind == "f" else Tensor(b.data.astype(dtype))
    return _where2(cond, a, b)


def select(condlist, choicelist, default=0) -> Tensor:
    """The entry of the first choice whose condition holds, else `default` (NumPy's select)."""
    result = default
    for cond, choice in reversed(list(zip(condlist, choicelist, strict=True))):
        result = where(cond, choice, result)
    return as_tensor(result)
