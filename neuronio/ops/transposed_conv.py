"""Transposed 2-D convolution, channels-last.  x: (N, H, W, C), kernel: (KH, KW, F, C) -> y: (N, OH, OW, F).

The transposed convolution is the adjoint of conv2d with respect to its input: every input pixel
scatters `x[n, i, j, :] @ kernel[a, b].T` onto the output at (i*SH + a, j*SW + b). Forward is
therefore conv2d's input gradient (one GEMM per kernel tap, added onto a strided slab of the
"full" output of size ((H - 1)*SH + KH, (W - 1)*SW + KW)), and backward is conv2d's forward (a
strided window view of dy and one GEMM). The kernel layout is Keras's: (KH, KW, filters, in_channels).

The full output is then cropped (or extended with zeros) to the requested size (`transpose_crop`).
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops._windows import normalize_padding, normalize_pair, window_view


def transpose_crop(size: int, kernel: int, stride: int, padding: str, output_padding: int | None):
    """(start, length): the output keeps rows start .. start + length - 1 of the full output.

    The length is Keras's `deconv_output_length`: without output_padding, size * stride for
    'same' and (size - 1) * stride + max(kernel, stride) for 'valid'; with it,
    (size - 1) * stride + kernel - 2 * pad + output_padding, pad = kernel // 2 for 'same', else 0.
    The start is the forward convolution's 'same' padding: half of what the full output has
    beyond the length, rounded down (the odd extra is cropped at the end), as Keras does.
    """
    full = (size - 1) * stride + kernel
    if output_padding is None:
        length = size * stride if padding == "same" else (size - 1) * stride + max(kernel, stride)
    else:
        pad = kernel // 2 if padding == "same" else 0
        length = full - 2 * pad + output_padding
    return max(full - length, 0) // 2, length


class Conv2DTransposeOp(Function):
    """full[n, i*SH + a*DH, j*SW + b*DW, f] = sum over (i, j, c) of x[n, i, j, c] * kernel[a, b, f, c];
    y = full[:, top : top + OH, left : left + OW] (zeros beyond the full output).

    With dfull = dy placed back into the full output's frame and `cols` its im2col matrix
    (one row per input pixel, windows of KH x KW x F):
        dx = cols @ kernel as (KH*KW*F, C),   dkernel = cols^T @ x as (N*H*W, C).
    """

    def __init__(self, strides: tuple[int, int], crops, dilation: tuple[int, int] = (1, 1)):
        self.strides = strides  # (SH, SW)
        self.crops = crops  # ((top, OH), (left, OW))
        self.dilation = dilation  # (DH, DW): tap (a, b) lands a*DH rows, b*DW columns further

    def forward(self, x, kernel):
        (sh, sw), (dh, dw) = self.strides, self.dilation
        n, h, w, c = x.shape
        kh, kw, f, _ = kernel.shape
        full_shape = (n, (h - 1) * sh + (kh - 1) * dh + 1, (w - 1) * sw + (kw - 1) * dw + 1, f)
        x2 = x.reshape(-1, c)  # (N*H*W, C)
        full = np.zeros(full_shape, dtype=np.result_type(x, kernel))
        for a in range(kh):
            for b in range(kw):
                tap = x2 @ kernel[a, b].T  # (N*H*W, F)
                full[:, a * dh : a * dh + sh * h : sh, b * dw : b * dw + sw * w : sw, :] += tap.reshape(n, h, w, f)
        self.save_for_backward(x, kernel, full_shape)
        return _crop(full, self.crops)  # (N, OH, OW, F)

    def backward(self, dy):
        x, kernel, full_shape = self.saved
        kh, kw, f, c = kernel.shape
        dfull = _uncrop(dy, self.crops, full_shape)  # (N, FH, FW, F)
        windows = window_view(dfull, (kh, kw), self.strides, self.dilation)  # (N, H, W, KH, KW, F): a view
        cols = windows.reshape(-1, kh * kw * f)  # the one copy: (N*H*W, KH*KW*F)
        dx = dkernel = None
        if self.needs_input_grad[0]:
            dx = (cols @ kernel.reshape(-1, c)).reshape(x.shape).astype(x.dtype, copy=False)
        if self.needs_input_grad[1]:
            dkernel = (cols.T @ x.reshape(-1, c)).reshape(kernel.shape).astype(kernel.dtype, copy=False)
        return dx, dkernel


def _crop(full: np.ndarray, crops) -> np.ndarray:
    """full[:, top : top + OH, left : left + OW], zero-filled where that runs past full's end."""
    (top, oh), (left, ow) = crops
    n, fh, fw, f = full.shape
    out = np.zeros((n, oh, ow, f), dtype=full.dtype)
    rows, cols = min(oh, fh - top), min(ow, fw - left)
    out[:, :rows, :cols] = full[:, top : top + rows, left : left + cols]
    return out


def _uncrop(dy: np.ndarray, crops, full_shape: tuple) -> np.ndarray:
    """The adjoint of _crop: dy written into a zero array of the full output's shape."""
    (top, oh), (left, ow) = crops
    dfull = np.zeros(full_shape, dtype=dy.dtype)
    rows, cols = min(oh, full_shape[1] - top), min(ow, full_shape[2] - left)
    dfull[:, top : top + rows, left : left + cols] = dy[:, :rows, :cols]
    return dfull


def conv2d_transpose(x, kernel, strides=1, padding: str = "valid", output_padding=None, dilation_rate=1) -> Tensor:
    """Transposed convolution ("deconvolution"), the adjoint of conv2d; Keras's `ops.conv_transpose`.

    Args:
        x: (batch, H, W, in_channels).
        kernel: (KH, KW, filters, in_channels), Keras's Conv2DTranspose layout.
        strides: int or (SH, SW): the upsampling factor.
        padding: "valid" (OH = (H - 1)*SH + max(KH, SH)) or "same" (OH = H*SH).
        output_padding: None, an int or (ph, pw): extra rows/columns at the end, each < stride.
        dilation_rate: int or (DH, DW): the spacing of the kernel's taps (Keras allows it with
            strides 1 only); the kernel then spans (K - 1) * D + 1 in the sizes above.

    >>> import numpy as np
    >>> conv2d_transpose(np.ones((1, 3, 3, 2), "float32"), np.ones((3, 3, 4, 2), "float32"), 2, "same").shape
    (1, 6, 6, 4)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_pair("strides", strides, owner="conv2d_transpose")
    padding = normalize_padding(padding, owner="conv2d_transpose")
    if x.ndim != 4 or kernel.ndim != 4 or kernel.shape[3] != x.shape[3]:
        raise ShapeError(
            f"conv2d_transpose expects x of shape (batch, H, W, C) and kernel of shape (KH, KW, filters, C) "
            f"with C = x.shape[-1]; received x.shape={x.shape} and kernel.shape={kernel.shape}."
        )
    dilation = normalize_pair("dilation_rate", dilation_rate, owner="conv2d_transpose")
    pads = normalize_output_padding(output_padding, strides)
    spans = [(kernel.shape[i] - 1) * dilation[i] + 1 for i in range(2)]
    crops = tuple(transpose_crop(x.shape[1 + i], spans[i], strides[i], padding, pads[i]) for i in range(2))
    return Conv2DTransposeOp(strides, crops, dilation).apply(x, kernel)


def normalize_output_padding(output_padding, strides) -> tuple:
    """(ph, pw) from None, an int or a pair; each must be in [0, stride)."""
    if output_padding is None:
        return (None, None)
    pair = (output_padding, output_padding) if isinstance(output_padding, int) else tuple(output_padding)
    if len(pair) != 2 or any(not isinstance(p, int) or not 0 <= p < s for p, s in zip(pair, strides)):
        raise ValueError(
            f"conv2d_transpose: output_padding must be None, an int or a pair of ints, each in "
            f"[0, stride); received output_padding={output_padding!r} with strides={strides}."
        )
    return pair
