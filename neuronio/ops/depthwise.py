"""Depthwise 2-D convolution, channels-last.  x: (N, H, W, C), kernel: (KH, KW, C, M) -> y: (N, OH, OW, C*M).

Each input channel c is convolved with its own M filters kernel[:, :, c, :]; output channel
c*M + m holds filter m of channel c (Keras's and TensorFlow's order). No channel mixing, so
there is no GEMM: each of the KH*KW kernel taps is one broadcast multiply-add over a strided
slab of the padded input (the loop runs over the taps only, STYLE C10), forward and backward.
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops._windows import conv_output_size, normalize_padding, normalize_pair, pad_hw, resolve_padding, unpad_hw


class DepthwiseConv2DOp(Function):
    """y[n, i, j, c, m] = sum over (a, b) of xp[n, i*SH + a*DH, j*SW + b*DW, c] * kernel[a, b, c, m];
    then (C, M) is flattened to C*M. xp is x zero-padded by `pads`; D is the dilation.

        dkernel[a, b, c, m] = sum over (n, i, j) of xp[n, i*SH + a*DH, j*SW + b*DW, c] * dy[n, i, j, c, m]
        dxp[n, i*SH + a*DH, j*SW + b*DW, c] += sum over m of dy[n, i, j, c, m] * kernel[a, b, c, m]
    """

    def __init__(self, strides: tuple[int, int], pads, dilation: tuple[int, int] = (1, 1)):
        self.strides = strides
        self.pads = pads
        self.dilation = dilation

    def _slab(self, xp, a: int, b: int, oh: int, ow: int):
        """Tap (a, b) of every window: rows a*DH, a*DH + SH, ... (a dilated tap sits DH rows further)."""
        (sh, sw), (dh, dw) = self.strides, self.dilation
        return (slice(None), slice(a * dh, a * dh + sh * oh, sh), slice(b * dw, b * dw + sw * ow, sw))

    def forward(self, x, kernel):
        kh, kw, c, m = kernel.shape
        (dh, dw) = self.dilation
        xp = pad_hw(x, self.pads)  # (N, HP, WP, C)
        oh = (xp.shape[1] - (kh - 1) * dh - 1) // self.strides[0] + 1
        ow = (xp.shape[2] - (kw - 1) * dw - 1) // self.strides[1] + 1
        y = np.zeros((x.shape[0], oh, ow, c, m), dtype=np.result_type(x, kernel))
        for a in range(kh):
            for b in range(kw):
                y += xp[self._slab(xp, a, b, oh, ow)][..., None] * kernel[a, b]  # (N, OH, OW, C, M)
        self.save_for_backward(xp, kernel, x.dtype)
        return y.reshape(x.shape[0], oh, ow, c * m)

    def backward(self, dy):
        xp, kernel, x_dtype = self.saved
        kh, kw, c, m = kernel.shape
        n, oh, ow, _ = dy.shape
        dy5 = dy.reshape(n, oh, ow, c, m)
        dx = dkernel = None
        if self.needs_input_grad[1]:
            dkernel = np.empty_like(kernel)
            for a in range(kh):
                for b in range(kw):
                    slab = xp[self._slab(xp, a, b, oh, ow)].reshape(-1, c)  # (N*OH*OW, C)
                    dkernel[a, b] = np.einsum("pc,pcm->cm", slab, dy5.reshape(-1, c, m))
        if self.needs_input_grad[0]:
            dxp = np.zeros(xp.shape, dtype=dy.dtype)
            for a in range(kh):
                for b in range(kw):
                    dxp[self._slab(dxp, a, b, oh, ow)] += np.einsum("nijcm,cm->nijc", dy5, kernel[a, b])
            dx = unpad_hw(dxp, self.pads).astype(x_dtype, copy=False)
        return dx, dkernel


def depthwise_conv2d(x, kernel, strides=1, padding: str = "valid", dilation_rate=1) -> Tensor:
    """Depthwise convolution: every input channel convolved with its own filters, no mixing.

    Args:
        x: (batch, H, W, C).
        kernel: (KH, KW, C, depth_multiplier).
        strides: int or (SH, SW).  padding: "valid" or "same" (as conv2d).
        dilation_rate: int or (DH, DW), the spacing of the kernel's taps (as conv2d).

    Returns:
        (batch, OH, OW, C * depth_multiplier); channel c*M + m is filter m of input channel c.

    >>> import numpy as np
    >>> depthwise_conv2d(np.ones((1, 4, 4, 3), "float32"), np.ones((3, 3, 3, 2), "float32")).shape
    (1, 2, 2, 6)
    """
    x, kernel = as_tensor(x), as_tensor(kernel)
    strides = normalize_pair("strides", strides, owner="depthwise_conv2d")
    padding = normalize_padding(padding, owner="depthwise_conv2d")
    dilation = normalize_pair("dilation_rate", dilation_rate, owner="depthwise_conv2d")
    if x.ndim != 4 or kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ShapeError(
            f"depthwise_conv2d expects x of shape (batch, H, W, C) and kernel of shape (KH, KW, C, "
            f"depth_multiplier) with C = x.shape[-1]; received x.shape={x.shape} and kernel.shape={kernel.shape}."
        )
    kh, kw = kernel.shape[:2]
    for size, k, s, d in zip(x.shape[1:3], (kh, kw), strides, dilation, strict=True):
        if conv_output_size(size, k, s, padding, d) <= 0:
            raise ShapeError(
                f"depthwise_conv2d: a {kh}x{kw} kernel does not fit an input of spatial size {x.shape[1]}x{x.shape[2]} "
                f"with padding='{padding}' and dilation_rate={dilation}; use padding='same', a smaller kernel or "
                f"a smaller dilation_rate."
            )
    pads = resolve_padding(padding, x.shape[1:3], (kh, kw), strides, dilation)
    return DepthwiseConv2DOp(strides, pads, dilation).apply(x, kernel)
