"""Matrix products: the GEMM every Dense and Conv2D layer ends in."""

import numpy as np

from neuronio.autodiff.broadcast import sum_to_shape
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError


class MatMulOp(Function):
    """y = a @ b (batched over leading axes, NumPy rules);  da = dy @ b^T,  db = a^T @ dy.

    1-D operands are promoted to matrices for the gradient, (K,) -> (1, K) on the left and
    (K,) -> (K, 1) on the right, and the promoted axis is removed again.
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, dy):
        a, b = self.saved
        a2 = a[None, :] if a.ndim == 1 else a  # (..., M, K)
        b2 = b[:, None] if b.ndim == 1 else b  # (..., K, P)
        dy2 = dy
        if a.ndim == 1:
            dy2 = np.expand_dims(dy2, -2)  # (..., 1, P)
        if b.ndim == 1:
            dy2 = np.expand_dims(dy2, -1)  # (..., M, 1)
        da = db = None
        if self.needs_input_grad[0]:
            da = dy2 @ np.swapaxes(b2, -1, -2)  # (..., M, K)
            da = sum_to_shape(da, a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            db = np.swapaxes(a2, -1, -2) @ dy2  # (..., K, P)
            db = sum_to_shape(db, b2.shape).reshape(b.shape)
        return da, db


class LinearOp(Function):
    """y = x @ kernel + bias, Dense's product and bias in one op (as Conv2DOp carries its bias),
    optionally with its activation fused: "relu", y = max(z, 0), or "softmax" over the last axis,
    y = exp(z - max(z)) / sum(exp(z - max(z))), z = x @ kernel + bias.

    x: (..., D), kernel: (D, U), bias: (U,). With g the gradient reaching z (dy where y > 0 for
    relu; y * (dy - sum(dy * y)) over the last axis for softmax; dy without activation), g2 = g as
    (M, U) and x2 = x as (M, D):
        dx = g @ kernel^T,   dkernel = x2^T @ g2,   dbias = the sum of g2 over its M rows.
    One op instead of matmul, add and the activation: the bias and the activation are applied in
    place on the product's fresh array (no second and third (M, U) array), and a layer's call runs
    one op's bookkeeping instead of three. Saved state: (x, kernel, y with an activation else None);
    relu's y > 0 exactly where z > 0, the mask its gradient needs; softmax's gradient needs y.
    """

    def __init__(self, activation: str | None = None):
        self.activation = activation  # None, "relu" or "softmax"

    def forward(self, x, kernel, bias):
        y = x @ kernel
        if y.dtype == bias.dtype:
            y += bias  # in place: y is the product's fresh array
        else:  # mixed dtypes promote as `x @ kernel + bias` would
            y = y + bias
        if self.activation == "relu":
            np.maximum(y, _zero(y.dtype), out=y)  # NaN stays NaN, as ReluOp's np.maximum keeps it
        elif self.activation == "softmax":  # SoftmaxOp's steps, in place (the ufuncs' reduce is what
            # max and sum run, without their Python wrappers: a single image's (1, 10) is all overhead)
            y -= np.maximum.reduce(y, axis=-1, keepdims=True)
            np.exp(y, out=y)
            y /= np.add.reduce(y, axis=-1, keepdims=True)
        self.save_for_backward(x, kernel, None if self.activation is None else y)
        return y

    def backward(self, dy):
        x, kernel, y = self.saved
        if self.activation == "relu":
            dy = dy * (y > 0)
        elif self.activation == "softmax":
            dy = y * (dy - np.sum(dy * y, axis=-1, keepdims=True))
        dy2 = dy.reshape(-1, dy.shape[-1])  # (M, U)
        dx = dkernel = dbias = None
        if self.needs_input_grad[0]:
            dx = (dy @ kernel.T).astype(x.dtype, copy=False)
        if self.needs_input_grad[1]:
            dkernel = (x.reshape(-1, x.shape[-1]).T @ dy2).astype(kernel.dtype, copy=False)
        if self.needs_input_grad[2]:
            dbias = dy2.sum(axis=0)
        return dx, dkernel, dbias


_ZEROS: dict = {}  # dtype -> a 0-d zero of it: np.maximum(y, 0) converts the Python 0 on every call


def _zero(dtype) -> np.ndarray:
    zero = _ZEROS.get(dtype)
    if zero is None:
        zero = _ZEROS[dtype] = np.zeros((), dtype)
        zero.flags.writeable = False
    return zero


def linear(x, kernel, bias, activation: str | None = None):
    """x @ kernel + bias for x of shape (..., D), kernel (D, U) and bias (U,): Dense's op; with
    activation="relu" or "softmax" (over the last axis) that activation too, in the same op.

    >>> import numpy as np
    >>> linear(np.ones((2, 3), "float32"), np.ones((3, 4), "float32"), np.arange(4, dtype="float32")).numpy()[0]
    array([3., 4., 5., 6.], dtype=float32)
    >>> linear(np.ones((1, 2), "float32"), -np.ones((2, 2), "float32"), np.array([1, 3], "float32"), "relu").numpy()
    array([[0., 1.]], dtype=float32)
    """
    # Tensors (a Dense layer's case) are taken as they are without a call each; Tensor.shape is a
    # property, so the shapes are read once: Dense runs this on every call.
    x = x if isinstance(x, Tensor) else as_tensor(x)
    kernel = kernel if isinstance(kernel, Tensor) else as_tensor(kernel)
    bias = bias if isinstance(bias, Tensor) else as_tensor(bias)
    x_shape, kernel_shape, bias_shape = x.data.shape, kernel.data.shape, bias.data.shape
    if not x_shape or len(kernel_shape) != 2 or bias_shape != kernel_shape[1:] or x_shape[-1] != kernel_shape[0]:
        raise ShapeError(
            f"linear expects x of shape (..., D), kernel (D, U) and bias (U,); received x.shape={x_shape}, "
            f"kernel.shape={kernel_shape}, bias.shape={bias_shape}."
        )
    if activation not in (None, "relu", "softmax"):
        raise ValueError(f"linear fuses activation None, 'relu' or 'softmax'; received activation={activation!r}.")
    return LinearOp(activation).apply(x, kernel, bias)


def matmul(x1, x2):
    """Matrix product x @ y with NumPy's rules (batched over leading axes).

    Args:
        x1: (..., M, K) or (K,).
        x2: (..., K, P) or (K,).

    Returns:
        Tensor of shape (..., M, P) (axes of 1-D operands removed).

    >>> import numpy as np
    >>> matmul(np.ones((2, 3), "float32"), np.ones((3, 4), "float32")).shape
    (2, 4)
    """
    x, y = as_tensor(x1), as_tensor(x2)
    if x.ndim == 0 or y.ndim == 0:
        raise ShapeError(
            f"matmul needs operands of rank >= 1; received shapes {x.shape} and {y.shape}. "
            f"Use multiply for a scalar product."
        )
    k_left = x.shape[-1]
    k_right = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if k_left != k_right:
        raise ShapeError(
            f"matmul: the last axis of x ({k_left}) must equal the "
            f"{'first' if y.ndim == 1 else 'second-to-last'} axis of y ({k_right}); "
            f"received x.shape={x.shape} and y.shape={y.shape}."
        )
    return MatMulOp().apply(x, y)


def dot(x1, x2):
    """Alias of matmul (Keras's `ops.dot` for the shapes the decks use)."""
    return matmul(x1, x2)
