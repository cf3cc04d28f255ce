"""Searches, counts and segment reductions: nonzero, count_nonzero, searchsorted, digitize,
bincount, unique, isin, unravel_index, histogram (constant integer results), and segment_sum,
segment_max, segment_min, segment_prod (differentiable in the data).
"""

import numpy as np

from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.ops.indexing import (
    ScatterOp,
    _run,
    _value,
    nonzero,  # noqa: F401 - beside where(condition), which returns it
)
from neuronio.ops.shape import getitem


# -- searches and counts (constants) ------------------------------------------------------------
def count_nonzero(x, axis=None) -> Tensor:
    """How many entries of x are not zero along `axis`; int32."""
    return Tensor(np.asarray(np.count_nonzero(_value(x), axis=axis)).astype(np.int32))


def searchsorted(sorted_sequence, values, side="left") -> Tensor:
    """Where `values` would be inserted in a sorted 1-D sequence to keep it sorted."""
    return Tensor(np.searchsorted(_value(sorted_sequence), _value(values), side=side).astype(np.int32))


def digitize(x, bins) -> Tensor:
    """The bin index of each entry of x (NumPy's digitize)."""
    return Tensor(np.digitize(_value(x), _value(bins)).astype(np.int32))


def bincount(x, weights=None, minlength=0, sparse=False) -> Tensor:
    """How often each non-negative int occurs in x (weighted sums with `weights`)."""
    values = _value(x).astype(np.intp)
    w = None if weights is None else _value(weights)
    if values.ndim == 2:  # Keras counts each row separately
        length = max(int(minlength), int(values.max()) + 1 if values.size else 0)
        rows = [
            np.bincount(r, None if w is None else wr, length)
            for r, wr in zip(values, w if w is not None else values, strict=True)
        ]
        return Tensor(np.stack(rows).astype(np.int32 if w is None else w.dtype))
    counts = np.bincount(values, w, int(minlength))
    return Tensor(counts.astype(np.int32 if w is None else w.dtype))


def unique(
    x,
    sorted=True,
    return_index=False,
    return_inverse=False,
    return_counts=False,
    axis=None,
    size=None,  # noqa: A002
    fill_value=None,
):
    """The distinct entries of x, sorted (NumPy's unique, eager only)."""
    out = np.unique(
        _value(x), return_index=return_index, return_inverse=return_inverse, return_counts=return_counts, axis=axis
    )
    if isinstance(out, tuple):
        return tuple(Tensor(np.asarray(o)) for o in out)
    return Tensor(out)


def isin(x1, x2, assume_unique=False, invert=False) -> Tensor:
    """Whether each entry of x1 occurs in x2."""
    return Tensor(np.isin(_value(x1), _value(x2), assume_unique=assume_unique, invert=invert))


def unravel_index(indices, shape) -> tuple:
    """Flat indices as coordinate tuples in an array of `shape`."""
    return tuple(Tensor(np.asarray(i)) for i in np.unravel_index(_value(indices).astype(np.intp), shape))


def histogram(x, bins=10, range=None) -> tuple:  # noqa: A002 - NumPy's argument name
    """Counts of x's entries in `bins` equal bins, and the bin edges."""
    counts, edges = np.histogram(_value(x), bins=bins, range=range)
    return Tensor(counts.astype(np.int32)), Tensor(
        edges.astype(_value(x).dtype if _value(x).dtype.kind == "f" else np.float32)
    )


# -- segments ---------------------------------------------------------------------------------
def _segments(segment_ids, num_segments) -> tuple[np.ndarray, int]:
    ids = _value(segment_ids).astype(np.intp)
    return ids, int(num_segments) if num_segments is not None else int(ids.max()) + 1 if ids.size else 0


def segment_sum(data, segment_ids, num_segments=None, sorted=False) -> Tensor:  # noqa: A002
    """out[s] = sum of data[i] over i with segment_ids[i] == s (rows with no entry are 0)."""
    data = as_tensor(data)
    ids, n = _segments(segment_ids, num_segments)
    return _run(ScatterOp((ids,), (n, *data.shape[1:])), data)


def _segment_reduce(reduce, empty: float, data, segment_ids, num_segments) -> Tensor:
    from neuronio.ops.creation import full

    data = as_tensor(data)
    ids, n = _segments(segment_ids, num_segments)
    # A loop over segments (a static, usually small number), each a differentiable reduction.
    rows = [
        reduce(getitem(data, np.flatnonzero(ids == s)), 0)
        if (ids == s).any()
        else full(data.shape[1:], empty, data.dtype)
        for s in range(n)
    ]
    from neuronio.ops.shape import stack

    return stack(rows, axis=0)


def segment_max(data, segment_ids, num_segments=None, sorted=False) -> Tensor:  # noqa: A002
    """out[s] = max of data[i] over segment s (the dtype's lowest value where s is empty)."""
    from neuronio.ops.reduction import max as _max

    low = float(np.finfo(np.float32).min)
    return _segment_reduce(lambda t, a: _max(t, axis=a), low, data, segment_ids, num_segments)


def segment_min(data, segment_ids, num_segments=None, sorted=False) -> Tensor:  # noqa: A002
    """out[s] = min of data[i] over segment s (the dtype's highest value where s is empty)."""
    from neuronio.ops.reduction import min as _min

    high = float(np.finfo(np.float32).max)
    return _segment_reduce(lambda t, a: _min(t, axis=a), high, data, segment_ids, num_segments)


def segment_prod(data, segment_ids, num_segments=None, sorted=False) -> Tensor:  # noqa: A002
    """out[s] = product of data[i] over segment s (1 where s is empty)."""
    from neuronio.ops.statistics import prod

    return _segment_reduce(lambda t, a: prod(t, axis=a), 1.0, data, segment_ids, num_segments)
