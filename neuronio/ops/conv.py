"""2-D convolution, channels-last.  x: (N, H, W, C), kernel: (KH, KW, C, F) -> y: (N, OH, OW, F).

Forward is im2col: a strided window view of the padded input (no copy), one reshape copy into
the (N*OH*OW, KH*KW*C) matrix `cols`, and one GEMM with the (KH*KW*C, F) kernel. Backward is
two GEMMs and col2im, a loop over the KH*KW kernel taps (STYLE C3, C10).
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops._windows import normalize_padding, normalize_pair, pad_hw, resolve_padding, unpad_hw, window_view


class Conv2DOp(Function):
    """y[n, i, j, f] = sum over (a, b, c) of xp[n, i*SH + a, j*SW + b, c] * kernel[a, b, c, f].

    xp is x zero-padded by `pads`. With cols the im2col matrix and dy2 = dy as (N*OH*OW, F):
        dkernel = cols^T @ dy2,   dcols = dy2 @ kernel^T,   dx = col2im(dcols) without the padding.
    """

    def __init__(self, strides: tuple[int, int], pads):
        self.strides = strides  # (SH, SW)
        self.pads = pads  # ((top, bottom), (left, right))

    def forward(self, x, kernel):
        kh, kw, c, f = kernel.shape
        xp = pad_hw(x, self.pads)  # (N, H + top + bottom, W + left + right, C)
        windows = window_view(xp, (kh, kw), self.strides)  # (N, OH, OW, KH, KW, C): a view
        n, oh, ow = windows.shape[:3]
        cols = windows.reshape(n * oh * ow, kh * kw * c)  # the one copy: the im2col matrix
        y = cols @ kernel.reshape(kh * kw * c, f)  # the one GEMM: (N*OH*OW, F)
        self.save_for_backward(cols, kernel, xp.shape, x.dtype)
        return y.reshape(n, oh, ow, f)

    def backward(self, dy):
        cols, kernel, xp_shape, x_dtype = self.saved
        kh, kw, c, f = kernel.shape
        dy2 = dy.reshape(-1, f)  # (N*OH*OW, F)
        dkernel = None
        if self.needs_input_grad[1]:
            dkernel = (cols.T @ dy2).reshape(kernel.shape).astype(kernel.dtype, copy=False)
        dx = None
        # The first layer's input (the images) needs no gradient: skip the second GEMM and col2im.
        if self.needs_input_grad[0]:
            dcols = dy2 @ kernel.reshape(-1, f).T  # (N*OH*OW, KH*KW*C)
            dcols = dcols.reshape(*dy.shape[:3], kh, kw, c)  # (N, OH, OW, KH, KW, C)
            dxp = col2im(dcols, xp_shape, self.strides)  # (N, H + pad, W + pad, C)
            dx = unpad_hw(dxp, self.pads).astype(x_dtype, copy=False)
        return dx, dkernel


def col2im(dcols: np.ndarray, xp_shape: tuple, strides: tuple[int, int]) -> np.ndarray:
    """Scatter-add window gradients back onto the padded input: the adjoint of `window_view`.

    dcols: (N, OH, OW, KH, KW, C) -> (N, HP, WP, C) with HP, WP = xp_shape[1:3].

    Loops over the KH*KW kernel taps only (25 for 5x5); each `+=` moves a whole (N, OH, OW, C)
    slab. np.add.at would be about 10x slower here (STYLE B2: 99-138 ms against 8.5-11.7 ms).
    """
    sh, sw = strides
    _, oh, ow, kh, kw, _ = dcols.shape
    dxp = np.zeros(xp_shape, dtype=dcols.dtype)
    for a in range(kh):
        for b in range(kw):
            dxp[:, a : a + sh * oh : sh, b : b + sw * ow : sw, :] += dcols[:, :, :, a, b, :]
    return dxp


def conv2d(x, kernel, strides: int | tuple[int, int] = 1, padding: str = "valid") -> Tensor:
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
    return Conv2DOp(strides, pads).apply(x, kernel)
