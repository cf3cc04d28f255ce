"""Shape arithmetic for sliding windows (convolution and pooling), written once."""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from neuronio.errors import ShapeError


def normalize_pair(name: str, value, owner: str = "") -> tuple[int, int]:
    """An int or a pair of positive ints as a (height, width) tuple."""
    who = f"{owner}: " if owner else ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        pair = tuple(value)
    else:
        raise ValueError(f"{who}`{name}` must be an int or a tuple of 2 ints; received {name}={value!r}.")
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in pair):
        raise ValueError(f"{who}`{name}` must hold positive ints; received {name}={value!r}.")
    return int(pair[0]), int(pair[1])


def normalize_single(name: str, value, owner: str = "") -> int:
    """An int or a 1-tuple of a positive int (Keras's 1-D `kernel_size`, `strides`, ...) as an int."""
    who = f"{owner}: " if owner else ""
    single = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
    if not isinstance(single, (int, np.integer)) or isinstance(single, bool) or single <= 0:
        raise ValueError(f"{who}`{name}` must be a positive int or a tuple of 1 int; received {name}={value!r}.")
    return int(single)


def normalize_padding(padding, owner: str = "", allowed: tuple = ("valid", "same")) -> str:
    """'valid' or 'same' (or another of `allowed`, such as Conv1D's 'causal'), case-insensitive."""
    value = padding.lower() if isinstance(padding, str) else padding
    if value not in allowed:
        who = f"{owner}: " if owner else ""
        names = " or ".join(f"'{a}'" for a in allowed) if len(allowed) < 3 else ", ".join(f"'{a}'" for a in allowed)
        raise ValueError(f"{who}`padding` must be {names}; received padding={padding!r}.")
    return value


def conv_output_size(size: int | None, kernel: int, stride: int, padding: str, dilation: int = 1):
    """Output length along one axis, as Keras computes it.

    'valid': floor((size - kernel) / stride) + 1, the deck's (N - F) / S + 1, with the kernel's
    dilated span (kernel - 1) * dilation + 1 in place of kernel;
    'same' and 'causal' (all the padding before the sequence): ceil(size / stride).
    """
    if size is None:
        return None
    if padding in ("same", "causal"):
        return -(-size // stride)
    effective = (kernel - 1) * dilation + 1
    return (size - effective) // stride + 1 if size >= effective else 0


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) zero padding for 'same'; the odd extra goes after, as TensorFlow does.

    A dilated kernel spans (kernel - 1) * dilation + 1 cells, and it is that span that is padded for.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def resolve_padding(padding: str, spatial: tuple, kernel: tuple, strides: tuple, dilation: tuple = (1, 1)):
    """((top, bottom), (left, right)) for an (H, W) input."""
    if padding == "valid":
        return (0, 0), (0, 0)
    return (
        same_padding(spatial[0], kernel[0], strides[0], dilation[0]),
        same_padding(spatial[1], kernel[1], strides[1], dilation[1]),
    )


def pad_hw(x: np.ndarray, pads, value: float = 0.0) -> np.ndarray:
    """Pad the H and W axes of an (N, H, W, C) array; returns x itself when there is no padding."""
    (top, bottom), (left, right) = pads
    if top == bottom == left == right == 0:
        return x
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def unpad_hw(x: np.ndarray, pads) -> np.ndarray:
    """The inverse of pad_hw (a view)."""
    (top, bottom), (left, right) = pads
    return x[:, top : x.shape[1] - bottom, left : x.shape[2] - right, :]


def window_view(x: np.ndarray, window: tuple, strides: tuple, dilation: tuple = (1, 1)) -> np.ndarray:
    """A read-only strided view (N, OH, OW, KH, KW, C) of every window of an (N, H, W, C) array.

    Tap (a, b) of window (i, j) is x[:, i*SH + a*DH, j*SW + b*DW, :]: with a dilation above 1
    the taps are spread out (an atrous window). No data is copied; reshaping the view to a
    matrix is the one copy im2col makes.
    """
    n, h, w, c = x.shape
    kh, kw = window
    sh, sw = strides
    dh, dw = dilation
    oh = (h - (kh - 1) * dh - 1) // sh + 1
    ow = (w - (kw - 1) * dw - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise ShapeError(
            f"A {kh}x{kw} window does not fit an input of spatial size {h}x{w}; use padding='same' or a smaller window."
        )
    s_n, s_h, s_w, s_c = x.strides
    return as_strided(
        x,
        shape=(n, oh, ow, kh, kw, c),
        strides=(s_n, s_h * sh, s_w * sw, s_h * dh, s_w * dw, s_c),
        writeable=False,
    )
