"""Fused normalization ops: batch normalization (training mode) and local response normalization."""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import as_tensor
from neuronio.errors import ShapeError
from neuronio.ops import _kernels


class BatchNormOp(Function):
    """Batch normalization with statistics of the batch itself (training mode).

    Over the reduced axes R (all but the channel axis), with m = number of reduced entries:
        mean = sum_R x / m,  var = sum_R (x - mean)^2 / m   (biased, as Keras)
        xhat = (x - mean) / sqrt(var + eps),  y = gamma * xhat + beta
    Backward (the standard closed form, one pass over the batch):
        dbeta = sum_R dy,  dgamma = sum_R dy * xhat
        dx = gamma / sqrt(var + eps) * (dy - dbeta / m - xhat * dgamma / m)
    After apply, `self.mean` and `self.var` hold the batch statistics (for the moving averages).

    Summation (every implementation): the per-channel sums (mean, variance, dbeta, dgamma)
    accumulate in float64 and are rounded once to x's dtype; the order of the terms differs
    (NumPy's pairwise sums here; numba's fixed blocks of rows), so implementations agree to
    rounding. Saved state (every implementation leaves the same): (xhat, gamma, inv_std), xhat of
    x's shape, inv_std of the statistics' shape (1, ..., C) in x's dtype.
    """

    def __init__(self, axes: tuple, epsilon: float):
        self.axes = axes
        self.epsilon = epsilon

    def channels_last(self, x, gamma) -> bool:
        """Whether this normalises the last axis of a channels-last array (what kernels handle)."""
        return self.axes == tuple(range(x.ndim - 1)) and gamma.size == x.shape[-1]

    def forward(self, x, gamma, beta):
        fast = _kernels.forward("batch_norm", x.dtype) if self.channels_last(x, gamma) else None
        if fast is not None:
            return fast(self, x, gamma, beta)
        mean = x.mean(axis=self.axes, keepdims=True, dtype=np.float64).astype(x.dtype)  # (1, ..., C)
        centered = x - mean
        var = np.square(centered).mean(axis=self.axes, keepdims=True, dtype=np.float64).astype(x.dtype)
        inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.epsilon))
        xhat = centered  # reuse the buffer
        xhat *= inv_std
        self.mean, self.var = mean.reshape(-1), var.reshape(-1)
        self.save_for_backward(xhat, gamma, inv_std)
        return xhat * gamma + beta

    def backward(self, dy):
        xhat, gamma, inv_std = self.saved
        fast = _kernels.backward("batch_norm", dy.dtype) if self.channels_last(dy, gamma) else None
        if fast is not None:
            return fast(self, dy)
        m = self.count(dy)
        dbeta = dy.sum(axis=self.axes, keepdims=True, dtype=np.float64).astype(dy.dtype)  # (1, ..., C)
        dgamma = (dy * xhat).sum(axis=self.axes, keepdims=True, dtype=np.float64).astype(dy.dtype)
        dx = None
        if self.needs_input_grad[0]:
            dx = (gamma * inv_std) * (dy - dbeta / m - xhat * (dgamma / m))
        return dx, dgamma.reshape(gamma.shape), dbeta.reshape(gamma.shape)

    def count(self, dy) -> int:
        """m, the number of entries each channel's statistics reduce (a Python int keeps float32)."""
        return int(np.prod([dy.shape[a] for a in self.axes]))


def batch_norm_train(x, gamma, beta, axes: tuple, epsilon: float = 1e-3):
    """Normalize x with its own batch statistics over `axes`, then scale by gamma and shift by beta.

    gamma and beta have the shape of x with the reduced axes set to 1 (or broadcast to it).
    Returns the Tensor and the op (whose `mean` and `var` are the batch statistics).
    """
    x, gamma, beta = as_tensor(x), as_tensor(gamma), as_tensor(beta)
    op = BatchNormOp(tuple(axes), float(epsilon))
    return op.apply(x, gamma, beta), op


def _channel_window_sum(a: np.ndarray, radius: int) -> np.ndarray:
    """s[..., c] = sum of a[..., c - radius : c + radius + 1] (zeros beyond the ends).

    A difference of cumulative sums: O(C) per position whatever the radius. The window is
    symmetric, so this map is its own adjoint (used by the backward pass too).
    """
    c = a.shape[-1]
    cumulative = np.zeros((*a.shape[:-1], c + 1), dtype=a.dtype)
    np.cumsum(a, axis=-1, out=cumulative[..., 1:])
    upper = np.minimum(np.arange(c) + radius + 1, c)  # exclusive window ends
    lower = np.maximum(np.arange(c) - radius, 0)
    return cumulative[..., upper] - cumulative[..., lower]


class LocalResponseNormOp(Function):
    """AlexNet's local response normalization across channels (TensorFlow's definition):

    d = bias + alpha * sum_{j = c - r}^{c + r} x_j^2,   y_c = x_c * d_c^(-beta)
    dx_c = dy_c * d_c^(-beta) - 2 alpha beta x_c * sum_{j near c} dy_j x_j d_j^(-beta - 1)
    """

    def __init__(self, depth_radius: int, bias: float, alpha: float, beta: float):
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, bias, alpha, beta

    def forward(self, x):
        d = self.bias + self.alpha * _channel_window_sum(np.square(x), self.depth_radius)
        scale = d**-self.beta  # d^(-beta)
        self.save_for_backward(x, d, scale)
        return x * scale

    def backward(self, dy):
        x, d, scale = self.saved
        inner = _channel_window_sum(dy * x * scale / d, self.depth_radius)
        return dy * scale - (2 * self.alpha * self.beta) * x * inner


def local_response_normalization(x, depth_radius: int = 5, bias: float = 1.0, alpha: float = 1.0, beta: float = 0.5):
    """TensorFlow's tf.nn.local_response_normalization over the last axis (same defaults)."""
    x = as_tensor(x)
    if x.ndim < 1:
        raise ShapeError(f"local_response_normalization needs an input with a channel axis; received shape {x.shape}.")
    return LocalResponseNormOp(int(depth_radius), float(bias), float(alpha), float(beta)).apply(x)


class LayerNormOp(Function):
    """Layer normalization: each sample normalized over `axes` (its features), then scaled and shifted.

    With mean and (biased) variance over the normalized axes A, m entries each:
        xhat = (x - mean) / sqrt(var + eps),  y = gamma * xhat + beta
    gamma and beta have x's shape with every other axis set to 1, so their gradients sum over
    the other axes O (the batch):
        dbeta = sum_O dy,  dgamma = sum_O dy * xhat
        g = dy * gamma,    dx = (g - mean_A g - xhat * mean_A (g * xhat)) / sqrt(var + eps)
    """

    def __init__(self, axes: tuple, epsilon: float):
        self.axes = axes
        self.epsilon = epsilon

    def forward(self, x, gamma, beta):
        mean = x.mean(axis=self.axes, keepdims=True)  # (N, 1, ..., 1) for the last axes
        centered = x - mean
        var = np.square(centered).mean(axis=self.axes, keepdims=True)
        inv_std = 1.0 / np.sqrt(var + x.dtype.type(self.epsilon))
        xhat = centered * inv_std
        self.save_for_backward(xhat, gamma, inv_std)
        return xhat * gamma + beta

    def backward(self, dy):
        xhat, gamma, inv_std = self.saved
        others = tuple(a for a in range(dy.ndim) if a not in self.axes)  # the batch axes
        dbeta = dy.sum(axis=others, keepdims=True).reshape(gamma.shape)
        dgamma = (dy * xhat).sum(axis=others, keepdims=True).reshape(gamma.shape)
        dx = None
        if self.needs_input_grad[0]:
            g = dy * gamma
            mean_g = g.mean(axis=self.axes, keepdims=True)
            mean_gx = (g * xhat).mean(axis=self.axes, keepdims=True)
            dx = (g - mean_g - xhat * mean_gx) * inv_std
        return dx, dgamma, dbeta


def layer_norm(x, gamma, beta, axes, epsilon: float = 1e-3):
    """Normalize every sample of x over `axes`, then scale by gamma and shift by beta.

    gamma and beta have x's shape with the axes outside `axes` set to 1 (e.g. (1, C) for x of
    shape (N, C) normalized over its last axis).
    """
    x, gamma, beta = as_tensor(x), as_tensor(gamma), as_tensor(beta)
    axes = tuple(sorted(int(a) % x.ndim for a in axes))
    return LayerNormOp(axes, float(epsilon)).apply(x, gamma, beta)
