"""Embedding lookup: rows of a table gathered by integer ids, with a scatter-add gradient."""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, array_of, as_tensor
from neuronio.errors import ShapeError


class EmbeddingOp(Function):
    """y = table[ids] (ids any shape, y = ids.shape + (D,));  d_table[v] = sum of dy where ids == v.

    The scatter-add sorts the ids once and sums each run of equal ids with `np.add.reduceat`
    (vectorized; `np.add.at` is the slow way to write the same thing).
    """

    def __init__(self, ids: np.ndarray):
        self.ids = ids  # integer array, not differentiated

    def forward(self, table):
        self.save_for_backward(table.shape)
        return table[self.ids]  # (*ids.shape, D)

    def backward(self, dy):
        (table_shape,) = self.saved
        flat_ids = self.ids.reshape(-1)
        rows = dy.reshape(-1, table_shape[1])  # (n, D)
        grad = np.zeros(table_shape, dtype=dy.dtype)
        if flat_ids.size == 0:
            return grad
        order = np.argsort(flat_ids, kind="stable")
        sorted_ids = flat_ids[order]
        starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])  # first of each run
        grad[sorted_ids[starts]] = np.add.reduceat(rows[order], starts, axis=0)
        return grad


def embedding_lookup(table, ids) -> Tensor:
    """Rows of `table` (V, D) at integer `ids` (any shape): output ids.shape + (D,).

    >>> embedding_lookup(np.eye(3, dtype="float32"), np.array([2, 0])).numpy()
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    table = as_tensor(table)
    ids = np.asarray(array_of(ids))
    if ids.dtype.kind == "f":
        if not np.all(ids == np.round(ids)):
            raise ValueError("embedding_lookup: ids must be whole numbers; received non-integer values.")
        ids = ids.astype(np.int64)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"embedding_lookup: ids must be integers; received dtype {ids.dtype}.")
    if table.ndim != 2:
        raise ShapeError(f"embedding_lookup: the table must be (vocabulary, dim); received shape {table.shape}.")
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise ValueError(
            f"embedding_lookup: ids must lie in [0, {table.shape[0]}) (input_dim={table.shape[0]}); received "
            f"values from {int(ids.min())} to {int(ids.max())}. Raise input_dim or map rare ids to an "
            f"out-of-vocabulary index."
        )
    return EmbeddingOp(ids).apply(table)
