"""softmax and log_softmax over any axes: the activations that normalise across a vector, not
element by element (numerically stable forms; the fused cross-entropy is in loss.py)."""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.ops.shape import normalize_axes


class SoftmaxOp(Function):
    """y = exp(x - m) / sum(exp(x - m)) over `axes`, m = max(x) (no overflow);
    dx = y * (dy - sum(dy * y)) over the same axes."""

    def __init__(self, axes: tuple):
        self.axes = axes

    def forward(self, x):
        y = np.exp(x - x.max(axis=self.axes, keepdims=True))  # the array methods: no dispatch layer
        y /= y.sum(axis=self.axes, keepdims=True)  # in place into the fresh exp
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return y * (dy - np.sum(dy * y, axis=self.axes, keepdims=True))


class LogSoftmaxOp(Function):
    """y = x - m - log(sum(exp(x - m))) over `axes`, m = max(x);  dx = dy - exp(y) * sum(dy)."""

    def __init__(self, axes: tuple):
        self.axes = axes

    def forward(self, x):
        shifted = x - np.max(x, axis=self.axes, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=self.axes, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy - np.exp(y) * np.sum(dy, axis=self.axes, keepdims=True)  # exp(y) = softmax(x)


def softmax(x, axis=-1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (an int or a tuple), computed without overflow.

    >>> softmax(np.array([2.0, 1.0, 0.0], "float32")).numpy().round(2)
    array([0.67, 0.24, 0.09], dtype=float32)
    """
    x = as_tensor(x)
    return SoftmaxOp(normalize_axes("softmax", axis, x.ndim, x.shape)).apply(x)


def log_softmax(x, axis=-1) -> Tensor:
    """log(softmax(x)) along `axis`, as x - max - log(sum(exp(x - max))) (stable for any x)."""
    x = as_tensor(x)
    return LogSoftmaxOp(normalize_axes("log_softmax", axis, x.ndim, x.shape)).apply(x)
