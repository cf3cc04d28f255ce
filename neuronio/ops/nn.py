"""Keras's `ops.nn` functions that activation.py, conv.py, pooling.py and loss.py do not already
hold: the newer activations, the cross-entropies in Keras's (target, output) form, moments and
the normalizations, N-D conv/pool entry points (1-D and 2-D, channels-last), depthwise,
separable and transposed convolution, depth/space rearrangements and attention.

`neuronio.ops.nn` is also a namespace, as `keras.ops.nn` is: every nn function is reachable here.
Elementwise activations are rows of (f, df) run by math.UnaryOp; the rest are compositions of
differentiable ops, so their gradients are those ops'. Layouts are channels-last only.
"""

import numpy as np

from neuronio import config
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_array, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.activation import (  # noqa: F401 - re-exported: ops.nn is a namespace
    _sigmoid,
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
)
from neuronio.ops.conv import conv2d
from neuronio.ops.creation import multi_hot, one_hot  # noqa: F401 - re-exported
from neuronio.ops.elementwise import clip, divide, log, maximum, multiply, square, subtract
from neuronio.ops.indexing import ScatterOp, _run, split
from neuronio.ops.loss import sigmoid_cross_entropy_with_logits
from neuronio.ops.math import UnaryOp, log10, rsqrt
from neuronio.ops.pooling import avg_pool2d, max_pool2d
from neuronio.ops.products import einsum
from neuronio.ops.reduction import max as _max
from neuronio.ops.reduction import mean, sum, var  # noqa: A004
from neuronio.ops.shape import getitem, normalize_axes, normalize_axis, pad, reshape, stack, transpose
from neuronio.ops.statistics import norm

swish = silu


def _act(name: str, f, df, x) -> Tensor:
    x = as_tensor(x)
    x = x if x.dtype.kind == "f" else Tensor(x.data.astype(config.floatx()))
    return UnaryOp(name, {name: (f, df)}).apply(x)


# -- activations: y = f(x), dx = dy * df(x, y) --------------------------------------------------
def celu(x, alpha=1.0) -> Tensor:
    """max(0, x) + alpha (exp(min(0, x) / alpha) - 1);  df = 1 for x > 0, exp(x / alpha) else."""
    a = float(alpha)
    return _act(
        "celu",
        lambda v: np.where(v > 0, v, a * np.expm1(np.minimum(v, 0) / a)),
        lambda v, y: np.where(v > 0, 1.0, np.exp(np.minimum(v, 0) / a)),
        x,
    )


def hard_shrink(x, threshold=0.5) -> Tensor:
    """x where |x| > threshold, else 0;  df = 1 where |x| > threshold."""
    t = float(threshold)
    return _act("hard_shrink", lambda v: np.where(np.abs(v) > t, v, 0.0), lambda v, y: (np.abs(v) > t) * 1.0, x)


def soft_shrink(x, threshold=0.5) -> Tensor:
    """x - threshold above it, x + threshold below -threshold, 0 between;  df = 1 outside."""
    t = float(threshold)
    return _act(
        "soft_shrink",
        lambda v: np.where(v > t, v - t, np.where(v < -t, v + t, 0.0)),
        lambda v, y: (np.abs(v) > t) * 1.0,
        x,
    )


def hard_silu(x) -> Tensor:
    """x * relu6(x + 3) / 6;  df = 0 up to -3, 1 from 3, (2x + 3) / 6 between (at the kinks
    the outer piece's slope, as torch's hardswish and so Keras on torch)."""
    return _act(
        "hard_silu",
        lambda v: v * np.clip(v + 3.0, 0.0, 6.0) / 6.0,
        lambda v, y: np.where(v <= -3, 0.0, np.where(v >= 3, 1.0, (2.0 * v + 3.0) / 6.0)),
        x,
    )


hard_swish = hard_silu


def hard_tanh(x) -> Tensor:
    """clip(x, -1, 1);  df = 1 inside (-1, 1)."""
    return _act("hard_tanh", lambda v: np.clip(v, -1.0, 1.0), lambda v, y: (np.abs(v) < 1) * 1.0, x)


def log_sigmoid(x) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), without overflow;  df = sigmoid(-x)."""
    return _act(
        "log_sigmoid", lambda v: -(np.maximum(-v, 0) + np.log1p(np.exp(-np.abs(v)))), lambda v, y: _sigmoid(-v), x
    )


def sparse_plus(x) -> Tensor:
    """0 for x <= -1, (x + 1)^2 / 4 for |x| < 1, x for x >= 1;  df = 0, (x + 1) / 2, 1."""
    return _act(
        "sparse_plus",
        lambda v: np.where(v <= -1, 0.0, np.where(v >= 1, v, (v + 1) ** 2 / 4)),
        lambda v, y: np.where(v <= -1, 0.0, np.where(v >= 1, 1.0, (v + 1) / 2)),
        x,
    )


def sparse_sigmoid(x) -> Tensor:
    """0 for x <= -1, (x + 1) / 2 for |x| < 1, 1 for x >= 1;  df = 1/2 inside."""
    return _act("sparse_sigmoid", lambda v: np.clip((v + 1) / 2, 0.0, 1.0), lambda v, y: (np.abs(v) < 1) * 0.5, x)


def squareplus(x, b=4) -> Tensor:
    """(x + sqrt(x^2 + b)) / 2;  df = (1 + x / sqrt(x^2 + b)) / 2. With b = 0 it is relu, and at
    x = 0 df is 1/2, the mean of the one-sided slopes (Keras on torch gives NaN there)."""
    b = float(b)

    def df(v, y):
        root = np.sqrt(v * v + b)
        return np.where(root > 0, (1 + v / np.where(root > 0, root, 1.0)) / 2, 0.5)

    return _act("squareplus", lambda v: (v + np.sqrt(v * v + b)) / 2, df, x)


def tanh_shrink(x) -> Tensor:
    """x - tanh(x);  df = tanh(x)^2."""
    return _act("tanh_shrink", lambda v: v - np.tanh(v), lambda v, y: np.tanh(v) ** 2, x)


def threshold(x, threshold, default_value) -> Tensor:
    """x where x > threshold, else default_value;  df = 1 where x > threshold."""
    t, d = float(threshold), float(default_value)
    return _act("threshold", lambda v: np.where(v > t, v, d), lambda v, y: (v > t) * 1.0, x)


def glu(x, axis=-1) -> Tensor:
    """a * sigmoid(b), with a and b the two halves of x along `axis`."""
    x = as_tensor(x)
    size = x.shape[normalize_axis("glu", axis, x.ndim, x.shape)]
    if size % 2:
        raise ShapeError(
            f"glu halves its input along axis {axis}, which must have an even size; received shape {x.shape}. "
            f"Give the layer before it an even number of units."
        )
    a, b = split(x, 2, axis=axis)
    return multiply(a, sigmoid(b))


class SparsemaxOp(Function):
    """y = the Euclidean projection of x onto the simplex along `axis` (Martins & Astudillo 2016);
    dx = s * (dy - sum(dy * s) / sum(s)), s = (y > 0)."""

    def __init__(self, axis: int):
        self.axis = axis

    def forward(self, x):
        z = np.moveaxis(x, self.axis, -1)
        zs = -np.sort(-z, axis=-1)  # descending
        k = np.arange(1, z.shape[-1] + 1, dtype=x.dtype)
        cumulative = np.cumsum(zs, axis=-1)
        support = 1 + k * zs > cumulative
        k_z = support.sum(axis=-1, keepdims=True)
        tau = (np.take_along_axis(cumulative, k_z - 1, axis=-1) - 1) / k_z
        y = np.moveaxis(np.maximum(z - tau, 0), -1, self.axis).astype(x.dtype, copy=False)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        s = (y > 0).astype(dy.dtype)
        mean_dy = np.sum(dy * s, axis=self.axis, keepdims=True) / np.sum(s, axis=self.axis, keepdims=True)
        return s * (dy - mean_dy)


def sparsemax(x, axis=-1) -> Tensor:
    """Sparsemax: like softmax, a distribution along `axis`, but with exact zeros."""
    x = as_tensor(x)
    return SparsemaxOp(normalize_axis("sparsemax", axis, x.ndim, x.shape)).apply(x)


# -- losses in Keras's (target, output) form: per-entry or per-row values, not means ----------
def binary_crossentropy(target, output, from_logits=False) -> Tensor:
    """Elementwise -(t log p + (1 - t) log(1 - p)); p = sigmoid(output) or clip(output, eps, 1 - eps)."""
    output = as_tensor(output)
    target = as_tensor(target)
    target = target if target.dtype == output.dtype else Tensor(target.data.astype(output.dtype))
    if from_logits:
        return sigmoid_cross_entropy_with_logits(target, output)
    eps = config.epsilon()
    p = clip(output, eps, 1.0 - eps)
    return -(multiply(target, log(p)) + multiply(1.0 - target, log(1.0 - p)))


def categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    """-sum(t * log p) along `axis`; p = softmax(output), or output / sum(output) clipped to
    [eps, 1 - eps] (Keras's rule for probabilities)."""
    output = as_tensor(output)
    target = as_tensor(target)
    target = target if target.dtype == output.dtype else Tensor(target.data.astype(output.dtype))
    if target.shape != output.shape:
        raise ShapeError(
            f"categorical_crossentropy: target and output must have one shape; received "
            f"{target.shape} and {output.shape}."
        )
    if from_logits:
        log_p = log_softmax(output, axis=axis)
    else:
        eps = config.epsilon()
        log_p = log(clip(divide(output, sum(output, axis=axis, keepdims=True)), eps, 1.0 - eps))
    return -sum(multiply(target, log_p), axis=axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1) -> Tensor:
    """categorical_crossentropy with integer class indices as target."""
    output = as_tensor(output)
    labels = as_array(target.data if isinstance(target, Tensor) else target)
    if labels.ndim == output.ndim and labels.shape[axis] == 1:
        labels = np.squeeze(labels, axis)
    ax = normalize_axis("sparse_categorical_crossentropy", axis, output.ndim, output.shape)
    hot = one_hot(labels.astype(np.int64), output.shape[ax], axis=ax, dtype=output.dtype)
    return categorical_crossentropy(hot, output, from_logits=from_logits, axis=ax)


# -- statistics and normalization ---------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False) -> tuple:
    """(mean, variance) of x over `axes` (biased variance, as Keras)."""
    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)


def normalize(x, axis=-1, order=2, epsilon=None) -> Tensor:
    """x / max(norm(x, order, axis), epsilon): unit-norm vectors along `axis`."""
    eps = config.epsilon() if epsilon is None else float(epsilon)
    return divide(x, maximum(norm(x, ord=order, axis=axis, keepdims=True), eps))


def _along(v, x: Tensor, axis: int) -> Tensor:
    v = as_tensor(v)
    v = v if v.dtype == x.dtype else Tensor(v.data.astype(x.dtype))
    if v.ndim == 1 and x.ndim > 1:
        shape = [1] * x.ndim
        shape[axis] = v.shape[0]
        v = reshape(v, tuple(shape))
    return v


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3) -> Tensor:
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, statistics given along `axis`."""
    x = as_tensor(x)
    axis = normalize_axis("batch_normalization", axis, x.ndim, x.shape)
    y = multiply(subtract(x, _along(mean, x, axis)), rsqrt(_along(variance, x, axis) + float(epsilon)))
    if scale is not None:
        y = multiply(y, _along(scale, x, axis))
    if offset is not None:
        y = y + _along(offset, x, axis)
    return y


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs) -> Tensor:
    """(x - mean) / sqrt(var + epsilon) * gamma + beta over `axis` (rms_scaling=True in kwargs,
    Keras's older spelling: x / rms * gamma)."""
    rms_scaling = bool(kwargs.pop("rms_scaling", False))
    if kwargs:
        raise TypeError(f"layer_normalization: unexpected arguments {sorted(kwargs)}.")
    x = as_tensor(x)
    eps = 1e-3 if epsilon is None else float(epsilon)
    axes = normalize_axes("layer_normalization", axis, x.ndim, x.shape)
    if rms_scaling:
        y = multiply(x, rsqrt(mean(square(x), axis=axes, keepdims=True) + eps))
    else:
        centered = subtract(x, mean(x, axis=axes, keepdims=True))
        y = multiply(centered, rsqrt(var(x, axis=axes, keepdims=True) + eps))
    if gamma is not None:
        y = multiply(y, gamma)
    if beta is not None and not rms_scaling:
        y = y + beta
    return y


def rms_normalization(x, scale=1, axis=-1, epsilon=None) -> Tensor:
    """x / sqrt(mean(x^2) + epsilon) * scale over `axis`."""
    x = as_tensor(x)
    eps = config.epsilon() if epsilon is None else float(epsilon)
    y = multiply(x, rsqrt(mean(square(x), axis=axis, keepdims=True) + eps))
    return y if scale is None else multiply(y, scale)


def psnr(x1, x2, max_val) -> Tensor:
    """Peak signal-to-noise ratio 20 log10(max_val) - 10 log10(mse(x1, x2))."""
    return 20.0 * float(np.log10(max_val)) - 10.0 * log10(mean(square(subtract(x1, x2))))


# -- convolution and pooling (1-D through the 2-D ops) -------------------------------------------
def _channels_last(who: str, data_format):
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{who}: only data_format='channels_last' is implemented; received {data_format!r}. "
            f"Transpose channels-first data with ops.transpose first."
        )


def _tuple(value, n: int) -> tuple:
    return (int(value),) * n if np.ndim(value) == 0 else tuple(int(v) for v in value)


def _as_2d(who: str, x: Tensor, n_spatial: int):
    if n_spatial == 1:
        return reshape(x, (x.shape[0], 1, *x.shape[1:]))
    if n_spatial == 2:
        return x
    raise NotImplementedError(f"{who}: {n_spatial}-D inputs are not implemented; neuronio has 1-D and 2-D.")


def _dilate_kernel(kernel: Tensor, rate: tuple) -> Tensor:
    """The kernel with rate - 1 zeros between taps (the atrous kernel), differentiable."""
    if all(r == 1 for r in rate):
        return kernel
    kh, kw = kernel.shape[:2]
    shape = ((kh - 1) * rate[0] + 1, (kw - 1) * rate[1] + 1, *kernel.shape[2:])
    rows, cols = np.meshgrid(np.arange(kh) * rate[0], np.arange(kw) * rate[1], indexing="ij")
    return _run(ScatterOp((rows, cols), shape), kernel)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1) -> Tensor:
    """N-D convolution (1-D or 2-D), channels-last: inputs (N, *spatial, C), kernel (*k, C, F)."""
    _channels_last("conv", data_format)
    x, kernel = as_tensor(inputs), as_tensor(kernel)
    n = x.ndim - 2
    if kernel.ndim != n + 2:
        raise ShapeError(f"conv: a {n}-D input {x.shape} needs a kernel of rank {n + 2}; received {kernel.shape}.")
    k2 = reshape(kernel, (1, *kernel.shape)) if n == 1 else kernel
    rate = (1, *_tuple(dilation_rate, 1)) if n == 1 else _tuple(dilation_rate, 2)
    stride = (1, *_tuple(strides, 1)) if n == 1 else _tuple(strides, 2)
    y = conv2d(_as_2d("conv", x, n), _dilate_kernel(k2, rate), strides=stride, padding=padding)
    return reshape(y, (y.shape[0], *y.shape[2:])) if n == 1 else y


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1) -> Tensor:
    """Each input channel convolved with its own M filters: kernel (*k, C, M) -> C * M channels.

    Computed as one conv with a block-diagonal kernel (*k, C, C * M): exact, differentiable,
    C times the arithmetic of a dedicated kernel (fine for the sizes ops are called on).
    """
    kernel = as_tensor(kernel)
    c, m = kernel.shape[-2:]
    spatial = kernel.shape[:-2]
    grids = np.meshgrid(*[np.arange(s) for s in spatial], np.arange(c), np.arange(m), indexing="ij")
    index = (*grids[:-1], grids[-2] * m + grids[-1])
    block = _run(ScatterOp(tuple(index), (*spatial, c, c * m)), kernel)
    return conv(inputs, block, strides, padding, data_format, dilation_rate)


def separable_conv(
    inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None, dilation_rate=1
) -> Tensor:
    """depthwise_conv, then a 1x1 conv with pointwise_kernel (*1, C * M, F)."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(
    inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None, dilation_rate=1
) -> Tensor:
    """The adjoint of conv (Keras's Conv2DTranspose): kernel (*k, F_out, C_in).

    Composed as: zeros inserted between inputs (stride), full padding, a conv with the flipped
    kernel, then the crop Keras's 'same' takes (the extra row/column comes off the bottom/right).
    """
    _channels_last("conv_transpose", data_format)
    x, kernel = as_tensor(inputs), as_tensor(kernel)
    n = x.ndim - 2
    x2 = _as_2d("conv_transpose", x, n)
    k2 = reshape(kernel, (1, *kernel.shape)) if n == 1 else kernel
    stride = (1, *_tuple(strides, 1)) if n == 1 else _tuple(strides, 2)
    rate = (1, *_tuple(dilation_rate, 1)) if n == 1 else _tuple(dilation_rate, 2)
    k2 = _dilate_kernel(k2, rate)
    kh, kw = k2.shape[:2]
    batch, h, w, c = x2.shape
    dilated_shape = (batch, (h - 1) * stride[0] + 1, (w - 1) * stride[1] + 1, c)
    b, r, q, ch = np.meshgrid(
        np.arange(batch), np.arange(h) * stride[0], np.arange(w) * stride[1], np.arange(c), indexing="ij"
    )
    dilated = _run(ScatterOp((b, r, q, ch), dilated_shape), x2)
    flipped = transpose(getitem(k2, (slice(None, None, -1), slice(None, None, -1))), (0, 1, 3, 2))
    full = conv2d(pad(dilated, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0))), flipped)
    out_pad = (
        (0, 0) if output_padding is None else ((0, *_tuple(output_padding, 1)) if n == 1 else _tuple(output_padding, 2))
    )
    crops = []
    for size, k, s, extra, _full_size in zip((h, w), (kh, kw), stride, out_pad, full.shape[1:3], strict=True):
        target = (size * s if padding == "same" else (size - 1) * s + k) + extra
        before = (k - s) // 2 if padding == "same" else 0
        before = max(before, 0)
        crops.append((before, target))
    ends = [before + target for before, target in crops]
    if any(end > fs for end, fs in zip(ends, full.shape[1:3], strict=True)):  # k < s: pad, not crop
        full = pad(full, ((0, 0), (0, max(0, ends[0] - full.shape[1])), (0, max(0, ends[1] - full.shape[2])), (0, 0)))
    y = getitem(full, (slice(None), slice(crops[0][0], ends[0]), slice(crops[1][0], ends[1])))
    return reshape(y, (y.shape[0], *y.shape[2:])) if n == 1 else y


def _pool(who, fn, inputs, pool_size, strides, padding, data_format) -> Tensor:
    _channels_last(who, data_format)
    x = as_tensor(inputs)
    n = x.ndim - 2
    size = (1, *_tuple(pool_size, 1)) if n == 1 else _tuple(pool_size, 2)
    stride = None if strides is None else ((1, *_tuple(strides, 1)) if n == 1 else _tuple(strides, 2))
    y = fn(_as_2d(who, x, n), size, stride, padding)
    return reshape(y, (y.shape[0], *y.shape[2:])) if n == 1 else y


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """Max pooling over 1-D or 2-D windows, channels-last."""
    return _pool("max_pool", max_pool2d, inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """Average pooling over 1-D or 2-D windows, channels-last (padded cells not counted)."""
    return _pool("average_pool", avg_pool2d, inputs, pool_size, strides, padding, data_format)


def _adaptive(reduce, inputs, output_size, data_format) -> Tensor:
    _channels_last("adaptive pool", data_format)
    x = as_tensor(inputs)
    n = x.ndim - 2
    sizes = _tuple(output_size, n)
    for axis, out in zip(range(1, n + 1), sizes, strict=True):
        length = x.shape[axis]
        lead = (slice(None),) * axis
        # PyTorch's bins: [floor(i L / out), ceil((i + 1) L / out)), a loop over output cells only.
        cells = [
            reduce(getitem(x, (*lead, slice(i * length // out, -(-(i + 1) * length // out)))), axis) for i in range(out)
        ]
        x = stack(cells, axis=axis)
    return x


def adaptive_average_pool(inputs, output_size, data_format=None) -> Tensor:
    """Average pooling to a fixed output size (PyTorch's adaptive bins), channels-last."""
    return _adaptive(lambda t, a: mean(t, axis=a), inputs, output_size, data_format)


def adaptive_max_pool(inputs, output_size, data_format=None) -> Tensor:
    """Max pooling to a fixed output size (PyTorch's adaptive bins), channels-last."""
    return _adaptive(lambda t, a: _max(t, axis=a), inputs, output_size, data_format)


def depth_to_space(x, block_size, data_format="channels_last") -> Tensor:
    """(N, H, W, C * b^2) -> (N, H b, W b, C): channels moved into b x b spatial blocks."""
    _channels_last("depth_to_space", data_format)
    x = as_tensor(x)
    n, h, w, c = x.shape
    b = int(block_size)
    y = transpose(reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
    return reshape(y, (n, h * b, w * b, c // (b * b)))


def space_to_depth(x, block_size, data_format="channels_last") -> Tensor:
    """(N, H b, W b, C) -> (N, H, W, C * b^2): the inverse of depth_to_space."""
    _channels_last("space_to_depth", data_format)
    x = as_tensor(x)
    n, h, w, c = x.shape
    b = int(block_size)
    y = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
    return reshape(y, (n, h // b, w // b, b * b * c))


def extract_sequences(x, sequence_length, sequence_stride) -> Tensor:
    """Frames of `sequence_length` entries every `sequence_stride` along the last axis."""
    x = as_tensor(x)
    n_frames = 1 + (x.shape[-1] - int(sequence_length)) // int(sequence_stride)
    index = np.arange(n_frames)[:, None] * int(sequence_stride) + np.arange(int(sequence_length))
    return getitem(x, (Ellipsis, index))


def dot_product_attention(
    query,
    key,
    value,
    bias=None,
    mask=None,
    scale=None,
    is_causal=False,
    flash_attention=None,
    attn_logits_soft_cap=None,
) -> Tensor:
    """softmax(q k^T * scale + bias, masked) v, with (B, T, N, H) query and (B, S, N, H) key/value.

    flash_attention is accepted and ignored (the result is the same); attn_logits_soft_cap c
    squashes the logits to c * tanh(logits / c) before masking, as Keras does.
    """
    q, k, v = as_tensor(query), as_tensor(key), as_tensor(value)
    scale = 1.0 / float(np.sqrt(q.shape[-1])) if scale is None else float(scale)
    logits = einsum("btnh,bsnh->bnts", q, k) * scale
    if attn_logits_soft_cap is not None:
        from neuronio.ops.activation import tanh

        cap = float(attn_logits_soft_cap)
        logits = tanh(logits * (1.0 / cap)) * cap
    if bias is not None:
        logits = logits + bias
    allowed = np.ones(logits.shape, dtype=bool)
    if mask is not None:
        allowed &= np.asarray(as_array(mask.data if isinstance(mask, Tensor) else mask), dtype=bool)
    if is_causal:
        allowed &= np.tri(logits.shape[-2], logits.shape[-1], dtype=bool)
    if not allowed.all():
        logits = logits + np.where(allowed, 0.0, np.finfo(logits.dtype).min / 2).astype(logits.dtype)
    return einsum("bnts,bsnh->btnh", softmax(logits, axis=-1), v)


# -- im2col in Keras's (PyTorch's) channels-first layout -----------------------------------------
def _patch_index(c: int, h: int, w: int, kernel_size, dilation, padding, stride):
    """Index arrays (C, KH, KW, OH, OW) into the padded (C, H + 2 PH, W + 2 PW) planes."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_tuple(v, 2) for v in (kernel_size, dilation, padding, stride))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    ci = np.arange(c)[:, None, None, None, None]
    ri = (np.arange(kh) * dh)[None, :, None, None, None] + (np.arange(oh) * sh)[None, None, None, :, None]
    qi = (np.arange(kw) * dw)[None, None, :, None, None] + (np.arange(ow) * sw)[None, None, None, None, :]
    return (ci, ri, qi), (kh, kw, oh, ow), (ph, pw)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding blocks of a channels-first (N, C, H, W) batch as (N, C * KH * KW, OH * OW) (im2col)."""
    x = as_tensor(x)
    if x.ndim != 4:
        raise ShapeError(f"unfold expects (N, C, H, W) (channels-first, as Keras's unfold); received {x.shape}.")
    n, c, h, w = x.shape
    (ci, ri, qi), (kh, kw, oh, ow), (ph, pw) = _patch_index(c, h, w, kernel_size, dilation, padding, stride)
    xp = pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    patches = getitem(xp, (slice(None), ci, ri, qi))  # (N, C, KH, KW, OH, OW)
    return reshape(patches, (n, c * kh * kw, oh * ow))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """The adjoint of unfold: (N, C * KH * KW, L) blocks summed back into (N, C, H, W)."""
    x = as_tensor(x)
    h, w = _tuple(output_size, 2)
    kh, kw = _tuple(kernel_size, 2)
    n, ckk = x.shape[:2]
    c = ckk // (kh * kw)
    (ci, ri, qi), (kh, kw, oh, ow), (ph, pw) = _patch_index(c, h, w, kernel_size, dilation, padding, stride)
    blocks = reshape(x, (n, c, kh, kw, oh, ow))
    ni = np.arange(n)[:, None, None, None, None, None]
    summed = _run(ScatterOp((ni, ci[None], ri[None], qi[None]), (n, c, h + 2 * ph, w + 2 * pw)), blocks)
    return getitem(summed, (slice(None), slice(None), slice(ph, ph + h), slice(pw, pw + w)))
