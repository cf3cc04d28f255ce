"""The ops under the vision layers of Keras's guides: transposed and depthwise convolution, resize,
layer normalization. Each through check_op: forward against a naive loop, dtypes, and a float64
gradient check (full Jacobian on tiny shapes)."""

import numpy as np
import pytest

from neuronio.errors import ShapeError
from neuronio.layers.preprocessing import resize as numpy_bilinear_resize
from neuronio.ops.depthwise import depthwise_conv2d
from neuronio.ops.normalization import layer_norm
from neuronio.ops.resize import resize
from neuronio.ops.transposed_conv import conv2d_transpose, transpose_crop
from tests.helpers import OpCase, check_op


def naive_conv_transpose(x, kernel, strides, padding, output_padding=None):
    """Each input pixel scatters x[n, i, j] @ kernel[a, b].T to (i*s + a, j*s + b); then crop (tests only)."""
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    kh, kw, f, _ = kernel.shape
    n, h, w, _ = x.shape
    full = np.zeros((n, (h - 1) * sh + kh, (w - 1) * sw + kw, f))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    full[:, i * sh + a, j * sw + b] += x[:, i, j] @ kernel[a, b].T
    pads = (None, None) if output_padding is None else (output_padding,) * 2
    (top, oh), (left, ow) = (
        transpose_crop(s, k, st, padding, p) for s, k, st, p in zip((h, w), (kh, kw), (sh, sw), pads)
    )
    out = np.zeros((n, oh, ow, f))
    window = full[:, top : top + oh, left : left + ow]
    out[:, : window.shape[1], : window.shape[2]] = window
    return out


def dilate(kernel, dilation):
    """The kernel with dilation - 1 zero rows/columns between its taps: a dilated kernel's undilated twin."""
    (dh, dw), (kh, kw) = dilation, kernel.shape[:2]
    out = np.zeros(((kh - 1) * dh + 1, (kw - 1) * dw + 1, *kernel.shape[2:]))
    out[::dh, ::dw] = kernel
    return out


def naive_depthwise(x, kernel, strides=1, padding="valid"):
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    kh, kw, c, m = kernel.shape
    n, h, w, _ = x.shape
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        ph, pw = max((oh - 1) * sh + kh - h, 0), max((ow - 1) * sw + kw - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    y = np.zeros((n, oh, ow, c * m))
    for i in range(oh):
        for j in range(ow):
            for ch in range(c):
                patch = x[:, i * sh : i * sh + kh, j * sw : j * sw + kw, ch]  # (N, KH, KW)
                for k in range(m):
                    y[:, i, j, ch * m + k] = (patch * kernel[:, :, ch, k]).sum(axis=(1, 2))
    return y


def naive_nearest(x, size):
    h, w = x.shape[1:3]
    rows = np.minimum(np.floor((np.arange(size[0]) + 0.5) * h / size[0]).astype(int), h - 1)
    cols = np.minimum(np.floor((np.arange(size[1]) + 0.5) * w / size[1]).astype(int), w - 1)
    return x[:, rows][:, :, cols]


def naive_layer_norm(x, gamma, beta, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _normal(*shapes):
    return lambda rng: tuple(rng.standard_normal(s) for s in shapes)


CASES = [
    OpCase(
        "conv_transpose_same_s2_k3",
        lambda x, k: conv2d_transpose(x, k, 2, "same"),
        _normal((2, 3, 3, 2), (3, 3, 3, 2)),
        lambda x, k: naive_conv_transpose(x, k, 2, "same"),
    ),
    OpCase(
        "conv_transpose_valid_s2_k3",
        lambda x, k: conv2d_transpose(x, k, 2, "valid"),
        _normal((1, 3, 2, 2), (3, 3, 2, 2)),
        lambda x, k: naive_conv_transpose(x, k, 2, "valid"),
    ),
    OpCase(
        "conv_transpose_valid_stride_above_kernel",
        lambda x, k: conv2d_transpose(x, k, 3, "valid"),
        _normal((1, 2, 3, 2), (2, 2, 2, 2)),
        lambda x, k: naive_conv_transpose(x, k, 3, "valid"),
    ),
    OpCase(
        "conv_transpose_same_even_kernel_output_padding",
        lambda x, k: conv2d_transpose(x, k, 2, "same", output_padding=1),
        _normal((1, 3, 3, 1), (4, 4, 2, 1)),
        lambda x, k: naive_conv_transpose(x, k, 2, "same", 1),
    ),
    OpCase(
        "conv_transpose_dilated_same",
        lambda x, k: conv2d_transpose(x, k, 1, "same", dilation_rate=(2, 3)),
        _normal((1, 3, 4, 2), (2, 2, 2, 2)),
        lambda x, k: naive_conv_transpose(x, dilate(k, (2, 3)), 1, "same"),
    ),
    OpCase(
        "conv_transpose_dilated_valid",
        lambda x, k: conv2d_transpose(x, k, dilation_rate=2),
        _normal((2, 2, 3, 1), (3, 2, 2, 1)),
        lambda x, k: naive_conv_transpose(x, dilate(k, (2, 2)), 1, "valid"),
    ),
    OpCase(
        "depthwise_valid_multiplier2",
        lambda x, k: depthwise_conv2d(x, k),
        _normal((2, 4, 5, 2), (3, 2, 2, 2)),
        lambda x, k: naive_depthwise(x, k),
    ),
    OpCase(
        "depthwise_same_stride2",
        lambda x, k: depthwise_conv2d(x, k, 2, "same"),
        _normal((1, 5, 5, 3), (3, 3, 3, 1)),
        lambda x, k: naive_depthwise(x, k, 2, "same"),
    ),
    OpCase(
        "depthwise_same_dilated",
        lambda x, k: depthwise_conv2d(x, k, 1, "same", dilation_rate=(2, 1)),
        _normal((1, 5, 4, 2), (3, 2, 2, 2)),
        lambda x, k: naive_depthwise(x, dilate(k, (2, 1)), 1, "same"),
    ),
    OpCase(
        "depthwise_valid_dilated_stride2",
        lambda x, k: depthwise_conv2d(x, k, 2, dilation_rate=2),
        _normal((1, 6, 7, 2), (2, 2, 2, 1)),
        lambda x, k: naive_depthwise(x, dilate(k, (2, 2)), 2),
    ),
    OpCase(
        "resize_bilinear_up",
        lambda x: resize(x, (5, 7), "bilinear"),
        _normal((2, 3, 4, 2)),
        lambda x: numpy_bilinear_resize(x, 5, 7),
    ),
    OpCase(
        "resize_bilinear_down",
        lambda x: resize(x, (2, 3), "bilinear"),
        _normal((1, 5, 7, 2)),
        lambda x: numpy_bilinear_resize(x, 2, 3),
    ),
    OpCase(
        "resize_nearest",
        lambda x: resize(x, (5, 3), "nearest"),
        _normal((2, 3, 4, 2)),
        lambda x: naive_nearest(x, (5, 3)),
    ),
    OpCase(
        "layer_norm_last_axis",
        lambda x, g, b: layer_norm(x, g, b, (1,), 1e-3),
        _normal((4, 5), (1, 5), (1, 5)),
        lambda x, g, b: naive_layer_norm(x, g, b, (1,), 1e-3),
    ),
    OpCase(
        "layer_norm_three_axes",
        lambda x, g, b: layer_norm(x, g, b, (1, 2, 3), 1e-3),
        _normal((2, 3, 2, 3), (1, 3, 2, 3), (1, 3, 2, 3)),
        lambda x, g, b: naive_layer_norm(x, g, b, (1, 2, 3), 1e-3),
    ),
]

GRADIENT_TOLERANCE = 1e-6


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_vision_op(case):
    assert check_op(case) < GRADIENT_TOLERANCE


def test_conv_transpose_output_sizes_follow_keras_formula():
    # deconv_output_length: 'same' -> H*s; 'valid' -> (H-1)*s + max(K, s); with output_padding p,
    # (H-1)*s + K - 2*(K//2 for 'same') + p.
    assert transpose_crop(5, 3, 2, "same", None) == (0, 10)
    assert transpose_crop(5, 3, 2, "valid", None) == (0, 11)
    assert transpose_crop(5, 2, 3, "valid", None) == (0, 15)
    assert transpose_crop(3, 5, 2, "same", None) == (1, 6)
    assert transpose_crop(3, 4, 2, "same", 1) == (1, 5)


def test_conv_transpose_is_the_adjoint_of_conv2d():
    # <conv2d(y, k), x> == <y, conv2d_transpose(x, k)> for matching shapes: the definition.
    from neuronio import ops

    rng = np.random.default_rng(3)
    y = rng.standard_normal((2, 8, 8, 3))
    kernel = rng.standard_normal((3, 3, 3, 4))  # conv2d: (KH, KW, C=3, F=4)
    x = rng.standard_normal((2, 4, 4, 4))
    forward = ops.conv2d(y, kernel, strides=2, padding="same").numpy()
    transposed = conv2d_transpose(x, kernel, 2, "same").numpy()  # kernel read as (KH, KW, F=3, C=4)
    np.testing.assert_allclose(np.sum(forward * x), np.sum(y * transposed), rtol=1e-10)


def test_bad_shapes_and_arguments_are_named():
    x = np.zeros((1, 3, 3, 2))
    with pytest.raises(ShapeError, match=r"kernel of shape \(KH, KW, filters, C\).*kernel.shape=\(3, 3, 2, 5\)"):
        conv2d_transpose(x, np.zeros((3, 3, 2, 5)))
    with pytest.raises(ValueError, match=r"output_padding.*\[0, stride\).*output_padding=2"):
        conv2d_transpose(x, np.zeros((3, 3, 4, 2)), strides=2, output_padding=2)
    with pytest.raises(ShapeError, match=r"depth_multiplier.*kernel.shape=\(3, 3, 3, 1\)"):
        depthwise_conv2d(x, np.zeros((3, 3, 3, 1)))
    with pytest.raises(ShapeError, match=r"4x4 kernel does not fit.*3x3"):
        depthwise_conv2d(x, np.zeros((4, 4, 2, 1)))
    with pytest.raises(ValueError, match=r"interpolation must be one of.*'bicubic'"):
        resize(x, (4, 4), "bicubic")
