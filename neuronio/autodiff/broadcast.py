"""The adjoint of broadcasting, shared by every binary op (STYLE rule 2)."""

import numpy as np


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing NumPy broadcasting.

    Broadcasting (a) prepends axes and (b) stretches size-1 axes; its adjoint sums over both.

    >>> sum_to_shape(np.ones((2, 3, 4)), (3, 1)).tolist()
    [[8.0], [8.0], [8.0]]
    """
    if grad.shape == tuple(shape):
        return grad
    n_prepended = grad.ndim - len(shape)
    if n_prepended:
        grad = grad.sum(axis=tuple(range(n_prepended)))  # (a) drop the prepended axes
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)  # (b) fold the stretched axes
    return grad.reshape(shape)
