"""2-D convolution, channels-last.  x: (N, H, W, C), kernel: (KH, KW, C, F) -> y: (N, OH, OW, F).

Forward is im2col: a strided window view of the padded input (no copy), one copy into the
(N*OH*OW, KH*KW*C) matrix `cols`, and one GEMM with the (KH*KW*C, F) kernel. With a bias, cols
gets a last column of ones and the kernel matrix the bias as its last row, so that the GEMM adds
the bias and, in backward, the kernel's GEMM sums dy into the bias gradient: no separate pass over
the (N*OH*OW, F) output either way (for the seed CNN's first layer, 0.8 against 1.8 ms forward and
2.1 against 3.3 ms for both gradients). Backward's input gradient is one small GEMM per kernel tap
accumulated onto the input's gradient (see `_input_gradient`).

Faster implementations replace forward and backward whole through the kernel seam
(neuronio/ops/_kernels.py): numba's compiled im2col and col2im (neuronio/ops/_compiled.py), oneDNN's
direct convolution (neuronio/ops/_onednn.py). The GEMMs are OpenBLAS's either way.
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops import _kernels
from neuronio.ops._windows import (
    normalize_padding,
    normalize_pair,
    normalize_single,
    pad_hw,
    resolve_padding,
    unpad_hw,
    window_view,
)
from neuronio.ops.shape import reshape


class Conv2DOp(Function):
    """y[n, i, j, f] = sum over (a, b, c) of xp[n, i*SH + a*DH, j*SW + b*DW, c] * kernel[a, b, c, f] + bias[f].

    xp is x zero-padded by `pads`. With cols the im2col matrix and dy2 = dy as (N*OH*OW, F):
        dkernel = cols^T @ dy2,   dbias = sum of dy2 over rows = ones^T @ dy2,
        dx = the adjoint of the window view applied to dy2 @ kernel^T, without the padding.

    With activation="relu" (a Conv2D layer's default relu, fused: activations.fusable) the op's
    output is max(y, 0) and backward first masks dy by that output > 0, which every
    implementation shares (`activate`, `activation_gradient`); oneDNN applies the ReLU inside its
    primitive as a post-op, the others in place on the fresh output.

    Saved state (every implementation leaves the same): (x, kernel, cols), with x the unpadded
    input and cols the (N*OH*OW, KH*KW*C [+ 1]) im2col matrix of the padded input when forward
    formed it, else None (backward forms it for the kernel's gradient when it needs one); and
    `output`, the activated output when the ReLU is fused, else None.
    """

    output = None

    def __init__(
        self,
        strides: tuple[int, int],
        pads,
        has_bias: bool = False,
        dilation: tuple[int, int] = (1, 1),
        activation: str | None = None,
    ):
        self.strides = strides  # (SH, SW)
        self.pads = pads  # ((top, bottom), (left, right))
        self.has_bias = has_bias
        self.dilation = dilation  # (DH, DW): the spacing of the kernel's taps (1: adjacent)
        self.activation = activation  # None or "relu"

    def forward(self, x, kernel, bias=None):
        fast = _kernels.forward("conv2d", x.dtype)
        if fast is not None:
            return fast(self, x, kernel, bias)
        kh, kw, c, f = kernel.shape
        xp = self.padded(x)  # (N, H + top + bottom, W + left + right, C)
        n, oh, ow = self.output_hw(xp, kernel)
        cols = _im2col(xp, (kh, kw), self.strides, self.dilation, ones=bias is not None)  # the one copy
        y = cols @ weight_matrix(kernel, bias)  # the one GEMM: (N*OH*OW, F), bias included
        self.save_for_backward(x, kernel, cols)
        return self.activate(y.reshape(n, oh, ow, f))

    def backward(self, dy):
        dy = self.activation_gradient(dy)
        fast = _kernels.backward("conv2d", dy.dtype)
        if fast is not None:
            return fast(self, dy)
        x, kernel, _ = self.saved
        dkernel, dbias = self.kernel_gradients(
            dy, lambda: _im2col(self.padded(x), kernel.shape[:2], self.strides, self.dilation)
        )
        dx = None
        # The first layer's input (the images) needs no gradient: skip its GEMMs entirely.
        if self.needs_input_grad[0]:
            dxp = _input_gradient(dy, kernel, self.padded_shape(x), self.strides, self.dilation)  # (N, HP, WP, C)
            dx = unpad_hw(dxp, self.pads).astype(x.dtype, copy=False)
        return self.gradients(dx, dkernel, dbias)

    # -- pieces every implementation shares -------------------------------------------------------
    def activate(self, y: np.ndarray, applied: bool = False) -> np.ndarray:
        """y with the fused activation applied in place (unless the kernel `applied` it), kept as
        `output` for backward's mask."""
        if self.activation == "relu":
            if not applied:
                np.maximum(y, 0, out=y)  # NaN stays NaN, as ReluOp's np.maximum keeps it
            self.output = y
        return y

    def activation_gradient(self, dy: np.ndarray) -> np.ndarray:
        """The gradient reaching the convolution's own output: dy where the ReLU's output > 0."""
        if self.activation != "relu":
            return dy
        output, self.output = self.output, None  # released: backward runs once
        return dy * (output > 0)

    def padded(self, x: np.ndarray) -> np.ndarray:
        """x zero-padded by `pads`, C-contiguous."""
        return np.ascontiguousarray(pad_hw(x, self.pads))

    def padded_shape(self, x: np.ndarray) -> tuple:
        (top, bottom), (left, right) = self.pads
        return (x.shape[0], x.shape[1] + top + bottom, x.shape[2] + left + right, x.shape[3])

    def output_hw(self, xp: np.ndarray, kernel: np.ndarray) -> tuple[int, int, int]:
        """(N, OH, OW) for the padded input xp."""
        (kh, kw), (sh, sw), (dh, dw) = kernel.shape[:2], self.strides, self.dilation
        return xp.shape[0], (xp.shape[1] - (kh - 1) * dh - 1) // sh + 1, (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1

    def kernel_gradients(self, dy: np.ndarray, make_cols) -> tuple:
        """(dkernel, dbias) from the saved cols (or `make_cols()` when forward saved None); None
        for what needs no gradient. One GEMM: dy2^T @ cols, whose last column is dbias with a bias."""
        _, kernel, cols = self.saved
        f = kernel.shape[-1]
        k = kernel.size // f  # KH*KW*C, the window's length
        if not (self.needs_input_grad[1] or (self.has_bias and self.needs_input_grad[2])):
            return None, None
        if cols is None:
            cols = make_cols()  # (N*OH*OW, KH*KW*C): no ones column, so the bias sums dy itself
        dy2 = dy.reshape(-1, f)  # (N*OH*OW, F)
        # dy2^T @ cols rather than cols^T @ dy2: the same product, but BLAS runs the tall,
        # thin first layer (cols of 25 columns) 1.8x faster this way (benchmarks/conv_strategies.py).
        dweights = dy2.T @ cols  # (F, KH*KW*C [+ 1]); the last column is dbias when cols has the ones
        dkernel = dweights[:, :k].T.reshape(kernel.shape).astype(kernel.dtype, copy=False)
        dbias = None
        if self.has_bias:
            dbias = dweights[:, k].copy() if cols.shape[1] > k else dy2.sum(axis=0)
        return dkernel, dbias

    def gradients(self, dx, dkernel, dbias) -> tuple:
        """backward's result: (dx, dkernel[, dbias])."""
        return (dx, dkernel, dbias) if self.has_bias else (dx, dkernel)


def weight_matrix(kernel: np.ndarray, bias) -> np.ndarray:
    """The (KH*KW*C [+ 1], F) GEMM operand: the kernel's rows, then the bias as a last row if any."""
    kh, kw, c, f = kernel.shape
    weights = kernel.reshape(kh * kw * c, f)
    if bias is None:
        return weights
    return np.concatenate([weights, bias.reshape(1, f).astype(weights.dtype, copy=False)])


def _im2col(xp: np.ndarray, size: tuple, strides: tuple, dilation: tuple, ones: bool = False) -> np.ndarray:
    """The (N*OH*OW, KH*KW*C) matrix of windows of xp, with a last column of ones if `ones`."""
    windows = window_view(xp, tuple(size), strides, dilation)  # (N, OH, OW, KH, KW, C): a view
    n, oh, ow, kh, kw, c = windows.shape
    k = kh * kw * c
    cols = np.empty((n * oh * ow, k + ones), dtype=xp.dtype)
    cols[:, :k].reshape(windows.shape)[...] = windows  # a view of cols: the one copy
    if ones:
        cols[:, k] = 1.0
    return cols


def _input_gradient(dy: np.ndarray, kernel: np.ndarray, xp_shape: tuple, strides: tuple, dilation: tuple) -> np.ndarray:
    """dxp[n, i*SH + a*DH, j*SW + b*DW, c] += sum over f of dy[n, i, j, f] * kernel[a, b, c, f], for every tap (a, b).

    One (N*OH*OW, F) @ (F, C) GEMM per kernel tap, each added onto the shifted slab of the padded
    input's gradient. This is col2im folded into the GEMM: it never forms the (N*OH*OW, KH*KW*C)
    matrix of window gradients, and each `+=` reads a contiguous block instead of one C-wide
    strip per window, which measured 1.8x faster than GEMM-then-col2im on the seed CNN's second
    layer (7.7 against 13.8 ms; benchmarks/conv_strategies.py). The loop runs over the KH*KW taps
    only (STYLE C10).
    """
    sh, sw = strides
    dh, dw = dilation
    n, oh, ow, f = dy.shape
    kh, kw, c, _ = kernel.shape
    dy2 = dy.reshape(-1, f)  # (N*OH*OW, F)
    kernel_t = np.ascontiguousarray(kernel.transpose(0, 1, 3, 2))  # (KH, KW, F, C)
    dxp = np.zeros(xp_shape, dtype=dy.dtype)  # (N, HP, WP, C)
    tap = np.empty((n * oh * ow, c), dtype=dy.dtype)  # one tap's contribution, reused
    for a in range(kh):
        for b in range(kw):
            np.matmul(dy2, kernel_t[a, b], out=tap)  # (N*OH*OW, C)
            top, left = a * dh, b * dw  # where tap (a, b) of the first window sits
            dxp[:, top : top + sh * oh : sh, left : left + sw * ow : sw, :] += tap.reshape(n, oh, ow, c)
    return dxp


def conv2d(
    x, kernel, strides: int | tuple[int, int] = 1, padding: str = "valid", bias=None, dilation_rate=1, activation=None
) -> Tensor:
    """2-D convolution (cross-correlation, as Keras and TensorFlow define it), channels-last.

    Args:
        x: images of shape (batch, height, width, in_channels).
        kernel: filters of shape (kernel_h, kernel_w, in_channels, filters).
        strides: int or (sh, sw).
        padding: "valid" (no padding) or "same" (zero padding so that out = ceil(in / stride);
            an odd total puts the extra row/column at the bottom/right, as Keras and TF do).
        bias: optional (filters,) added to every output position.
        dilation_rate: int or (dh, dw): the kernel's taps are dh rows and dw columns apart (an
            atrous convolution), so a k-tap kernel spans (k - 1) * d + 1 cells.
        activation: None, or "relu" to apply max(., 0) inside the op (Conv2D's fused relu).

    Returns:
        Tensor of shape (batch, out_h, out_w, filters), out_h = (H - span_h) // SH + 1 for "valid".

    >>> import numpy as np
    >>> conv2d(np.ones((1, 5, 5, 1), "float32"), np.ones((3, 3, 1, 2), "float32")).shape
    (1, 3, 3, 2)
    >>> conv2d(np.ones((1, 5, 5, 1), "float32"), np.ones((3, 3, 1, 2), "float32"), dilation_rate=2).shape
    (1, 1, 1, 2)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_pair("strides", strides, owner="conv2d")
    dilation = normalize_pair("dilation_rate", dilation_rate, owner="conv2d")
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
    span_h, span_w = (kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1
    if padding == "valid" and (span_h > x.shape[1] or span_w > x.shape[2]):
        dilated = "" if dilation == (1, 1) else f" (spanning {span_h}x{span_w} with dilation_rate={dilation})"
        raise ShapeError(
            f"conv2d: a {kh}x{kw} kernel{dilated} does not fit an input of spatial size {x.shape[1]}x{x.shape[2]} "
            f"with padding='valid' (x.shape={x.shape}); use padding='same' or a smaller kernel."
        )
    pads = resolve_padding(padding, x.shape[1:3], (kh, kw), strides, dilation)
    if activation not in (None, "relu"):
        raise ValueError(f"conv2d fuses activation None or 'relu'; received activation={activation!r}.")
    return _apply(x, kernel, bias, strides, pads, dilation, "conv2d", activation)


def _apply(
    x: Tensor, kernel: Tensor, bias, strides: tuple, pads, dilation: tuple, who: str, activation=None
) -> Tensor:
    """Conv2DOp on (N, H, W, C) x and (KH, KW, C, F) kernel, with the bias checked if there is one."""
    if bias is None:
        return Conv2DOp(strides, pads, dilation=dilation, activation=activation).apply(x, kernel)
    bias = as_tensor(bias)
    if bias.shape != (kernel.shape[3],):
        raise ShapeError(
            f"{who} expects bias of shape (filters,) = ({kernel.shape[3]},); received bias.shape={bias.shape}."
        )
    return Conv2DOp(strides, pads, has_bias=True, dilation=dilation, activation=activation).apply(x, kernel, bias)


def conv1d(x, kernel, strides: int = 1, padding: str = "valid", bias=None, dilation_rate: int = 1) -> Tensor:
    """1-D convolution over sequences (Keras's Conv1D), channels-last: conv2d on a height-1 view.

    Args:
        x: sequences of shape (batch, steps, in_channels).
        kernel: filters of shape (kernel_size, in_channels, filters).
        strides: int, the step between windows.
        padding: "valid", "same" (out = ceil(steps / stride), the odd extra at the end) or "causal"
            (all (kernel_size - 1) * dilation_rate zeros before the first step, so y[t] sees only
            x[..t]: out = ceil(steps / stride)).
        bias: optional (filters,).
        dilation_rate: int, the spacing of the kernel's taps.

    Returns:
        Tensor of shape (batch, out_steps, filters).

    >>> import numpy as np
    >>> x = np.arange(5, dtype="float32").reshape(1, 5, 1)
    >>> conv1d(x, np.ones((2, 1, 1), "float32"), padding="causal")[0, :, 0].numpy()
    array([0., 1., 3., 5., 7.], dtype=float32)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    stride = normalize_single("strides", strides, owner="conv1d")
    dilation = normalize_single("dilation_rate", dilation_rate, owner="conv1d")
    padding = normalize_padding(padding, owner="conv1d", allowed=("valid", "same", "causal"))
    if x.ndim != 3:
        hint = " For a single sequence add a batch axis, e.g. x[None]." if x.ndim == 2 else ""
        raise ShapeError(f"conv1d expects x of rank 3, (batch, steps, channels); received x.shape={x.shape}.{hint}")
    if kernel.ndim != 3 or kernel.shape[1] != x.shape[2]:
        raise ShapeError(
            f"conv1d expects kernel of shape (kernel_size, in_channels, filters) with in_channels = "
            f"x.shape[-1] = {x.shape[2]}; received kernel.shape={kernel.shape} for x.shape={x.shape}."
        )
    k, steps = kernel.shape[0], x.shape[1]
    span = (k - 1) * dilation + 1
    if padding == "valid" and span > steps:
        raise ShapeError(
            f"conv1d: a kernel spanning {span} steps (kernel_size={k}, dilation_rate={dilation}) does not fit "
            f"sequences of {steps} steps with padding='valid' (x.shape={x.shape}); use padding='same' or "
            f"'causal', or a smaller kernel."
        )
    if padding == "causal":
        pads = ((0, 0), (span - 1, 0))
    else:
        pads = ((0, 0), resolve_padding(padding, (1, steps), (1, k), (1, stride), (1, dilation))[1])
    n, c, f = x.shape[0], x.shape[2], kernel.shape[2]
    x4 = reshape(x, (n, 1, steps, c))  # (N, 1, L, C): a view, the height-1 image
    kernel4 = reshape(kernel, (1, k, c, f))  # (1, K, C, F)
    y = _apply(x4, kernel4, bias, (1, stride), pads, (1, dilation), "conv1d")  # (N, 1, OL, F)
    return reshape(y, (n, y.shape[2], f))  # (N, OL, F)
