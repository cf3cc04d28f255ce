"""2-D convolution, channels-last.  x: (N, H, W, C), kernel: (KH, KW, C, F) -> y: (N, OH, OW, F).

Forward is im2col: a strided window view of the padded input (no copy), one copy into the
(N*OH*OW, KH*KW*C) matrix `cols`, and one GEMM with the (KH*KW*C, F) kernel. With a bias, cols
gets a last column of ones and the kernel matrix the bias as its last row, so that the GEMM adds
the bias and, in backward, the kernel's GEMM sums dy into the bias gradient: no separate pass over
the (N*OH*OW, F) output either way (for the seed CNN's first layer, 0.8 against 1.8 ms forward and
2.1 against 3.3 ms for both gradients). Backward's input gradient is one small GEMM per kernel tap
accumulated onto the input's gradient (see `_input_gradient`).

With the `fast` extra (numba) the im2col copy and, for the input gradient, col2im after one GEMM
are compiled loops over the batch on every core (neuronio/ops/_compiled.py); the GEMMs are
OpenBLAS's either way.
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops import _compiled
from neuronio.ops._windows import normalize_padding, normalize_pair, pad_hw, resolve_padding, unpad_hw, window_view


class Conv2DOp(Function):
    """y[n, i, j, f] = sum over (a, b, c) of xp[n, i*SH + a, j*SW + b, c] * kernel[a, b, c, f] + bias[f].

    xp is x zero-padded by `pads`. With cols the im2col matrix and dy2 = dy as (N*OH*OW, F):
        dkernel = cols^T @ dy2,   dbias = sum of dy2 over rows = ones^T @ dy2,
        dx = the adjoint of the window view applied to dy2 @ kernel^T, without the padding.
    """

    def __init__(self, strides: tuple[int, int], pads, has_bias: bool = False):
        self.strides = strides  # (SH, SW)
        self.pads = pads  # ((top, bottom), (left, right))
        self.has_bias = has_bias

    def forward(self, x, kernel, bias=None):
        kh, kw, c, f = kernel.shape
        xp = pad_hw(x, self.pads)  # (N, H + top + bottom, W + left + right, C)
        windows = window_view(xp, (kh, kw), self.strides)  # (N, OH, OW, KH, KW, C): a view
        n, oh, ow = windows.shape[:3]
        weights = kernel.reshape(kh * kw * c, f)
        if bias is not None:
            weights = np.concatenate([weights, bias.reshape(1, f).astype(weights.dtype, copy=False)])
        cols = _im2col(xp, windows, self.strides, ones=bias is not None)  # the one copy: (N*OH*OW, K [+ 1])
        y = cols @ weights  # the one GEMM: (N*OH*OW, F), bias included
        self.save_for_backward(cols, kernel, xp.shape, x.dtype)
        return y.reshape(n, oh, ow, f)

    def backward(self, dy):
        cols, kernel, xp_shape, x_dtype = self.saved
        f = kernel.shape[-1]
        k = kernel.size // f  # KH*KW*C, the window's length
        dy2 = dy.reshape(-1, f)  # (N*OH*OW, F)
        dkernel = dbias = dx = None
        if self.needs_input_grad[1] or (self.has_bias and self.needs_input_grad[2]):
            # dy2^T @ cols rather than cols^T @ dy2: the same product, but BLAS runs the tall,
            # thin first layer (cols of 25 columns) 1.8x faster this way (benchmarks/conv_strategies.py).
            dweights = dy2.T @ cols  # (F, KH*KW*C [+ 1]); the last column is dbias when there is a bias
            dkernel = dweights[:, :k].T.reshape(kernel.shape).astype(kernel.dtype, copy=False)
            if self.has_bias:
                dbias = dweights[:, k].copy()
        # The first layer's input (the images) needs no gradient: skip its GEMMs entirely.
        if self.needs_input_grad[0]:
            compiled = _compiled.kernels(dy2.shape[0] * k)  # the size of dcols below
            if compiled is None:
                dxp = _input_gradient(dy, kernel, xp_shape, self.strides)  # (N, H + pad, W + pad, C)
            else:
                # One GEMM for every window's gradient, then the compiled col2im sums them in place.
                dcols = dy2 @ kernel.reshape(-1, f).T  # (N*OH*OW, KH*KW*C)
                dxp = np.empty(xp_shape, dtype=dcols.dtype)
                compiled.col2im(dcols, kernel.shape[0], kernel.shape[1], *self.strides, dxp)
            dx = unpad_hw(dxp, self.pads).astype(x_dtype, copy=False)
        return (dx, dkernel, dbias) if self.has_bias else (dx, dkernel)


def _im2col(xp: np.ndarray, windows: np.ndarray, strides: tuple[int, int], ones: bool = False) -> np.ndarray:
    """The (N*OH*OW, KH*KW*C) matrix of windows, with a last column of ones if `ones`.

    NumPy copies the window view into it; the compiled loop (the `fast` extra) fills it on every core.
    """
    n, oh, ow, kh, kw, c = windows.shape
    k = kh * kw * c
    cols = np.empty((n * oh * ow, k + ones), dtype=xp.dtype)
    compiled = _compiled.kernels(cols.size)
    if compiled is None:
        cols[:, :k].reshape(windows.shape)[...] = windows  # a view of cols: the one copy
        if ones:
            cols[:, k] = 1.0
        return cols
    xp = np.ascontiguousarray(xp)
    if c == 1:
        compiled.im2col_1channel(xp.reshape(xp.shape[:3]), kh, kw, *strides, cols)
    else:
        compiled.im2col(xp, kh, kw, *strides, cols)
    return cols


def _input_gradient(dy: np.ndarray, kernel: np.ndarray, xp_shape: tuple, strides: tuple[int, int]) -> np.ndarray:
    """dxp[n, i*SH + a, j*SW + b, c] += sum over f of dy[n, i, j, f] * kernel[a, b, c, f], for every tap (a, b).

    One (N*OH*OW, F) @ (F, C) GEMM per kernel tap, each added onto the shifted slab of the padded
    input's gradient. This is col2im folded into the GEMM: it never forms the (N*OH*OW, KH*KW*C)
    matrix of window gradients, and each `+=` reads a contiguous block instead of one C-wide
    strip per window, which measured 1.8x faster than GEMM-then-col2im on the seed CNN's second
    layer (7.7 against 13.8 ms; benchmarks/conv_strategies.py). The loop runs over the KH*KW taps
    only (STYLE C10).
    """
    sh, sw = strides
    n, oh, ow, f = dy.shape
    kh, kw, c, _ = kernel.shape
    dy2 = dy.reshape(-1, f)  # (N*OH*OW, F)
    kernel_t = np.ascontiguousarray(kernel.transpose(0, 1, 3, 2))  # (KH, KW, F, C)
    dxp = np.zeros(xp_shape, dtype=dy.dtype)  # (N, HP, WP, C)
    tap = np.empty((n * oh * ow, c), dtype=dy.dtype)  # one tap's contribution, reused
    for a in range(kh):
        for b in range(kw):
            np.matmul(dy2, kernel_t[a, b], out=tap)  # (N*OH*OW, C)
            dxp[:, a : a + sh * oh : sh, b : b + sw * ow : sw, :] += tap.reshape(n, oh, ow, c)
    return dxp


def conv2d(x, kernel, strides: int | tuple[int, int] = 1, padding: str = "valid", bias=None) -> Tensor:
    """2-D convolution (cross-correlation, as Keras and TensorFlow define it), channels-last.

    Args:
        x: images of shape (batch, height, width, in_channels).
        kernel: filters of shape (kernel_h, kernel_w, in_channels, filters).
        strides: int or (sh, sw).
        padding: "valid" (no padding) or "same" (zero padding so that out = ceil(in / stride);
            an odd total puts the extra row/column at the bottom/right, as Keras and TF do).

    Returns:
        Tensor of shape (batch, out_h, out_w, filters), out_h = (H - KH) // SH + 1 for "valid".

    >>> import numpy as np
    >>> conv2d(np.ones((1, 5, 5, 1), "float32"), np.ones((3, 3, 1, 2), "float32")).shape
    (1, 3, 3, 2)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_pair("strides", strides, owner="conv2d")
    padding = normalize_padding(padding, owner="conv2d")
    if x.ndim != 4:
        hint = " For a single image add a batch axis, e.g. x[None]." if x.ndim == 3 else ""
        raise ShapeError(
            f"conv2d expects x of rank 4, (batch, height, width, channels); received x.shape={x.shape}.{hint}"
        )
    if kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ShapeError(
            f"conv2d expects kernel of shape (kernel_h, kernel_w, in_channels, filters) with in_channels = "
            f"x.shape[-1] = {x.shape[3]}; received kernel.shape={kernel.shape} for x.shape={x.shape}. "
            f"Kernels are channels-last (KH, KW, C, F), not PyTorch's (F, C, KH, KW)."
        )
    kh, kw = kernel.shape[:2]
    if padding == "valid" and (kh > x.shape[1] or kw > x.shape[2]):
        raise ShapeError(
            f"conv2d: a {kh}x{kw} kernel does not fit an input of spatial size {x.shape[1]}x{x.shape[2]} "
            f"with padding='valid' (x.shape={x.shape}); use padding='same' or a smaller kernel."
        )
    pads = resolve_padding(padding, x.shape[1:3], (kh, kw), strides)
    if bias is None:
        return Conv2DOp(strides, pads).apply(x, kernel)
    bias = as_tensor(bias)
    if bias.shape != (kernel.shape[3],):
        raise ShapeError(
            f"conv2d expects bias of shape (filters,) = ({kernel.shape[3]},); received bias.shape={bias.shape}."
        )
    return Conv2DOp(strides, pads, has_bias=True).apply(x, kernel, bias)
