"""conv1d, max_pool1d, avg_pool1d and dilated conv2d against loops written out independently, with
full-Jacobian gradient checks on tiny shapes and random directions on larger ones."""

import math

import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Variable
from neuronio.errors import ShapeError
from tests.helpers import OpCase, check_op


def naive_conv1d(x, kernel, stride=1, padding="valid", dilation=1):
    """y[n, t, f] = sum over (a, c) of xp[n, t*stride + a*dilation, c] * kernel[a, c, f] (tests only)."""
    k, _, f = kernel.shape
    n, steps, _ = x.shape
    span = (k - 1) * dilation + 1
    if padding == "causal":
        x = np.pad(x, ((0, 0), (span - 1, 0), (0, 0)))
        out = math.ceil(steps / stride)
    elif padding == "same":
        out = math.ceil(steps / stride)
        total = max((out - 1) * stride + span - steps, 0)
        x = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
    else:
        out = (steps - span) // stride + 1
    y = np.zeros((n, out, f))
    for t in range(out):
        for a in range(k):
            y[:, t, :] += x[:, t * stride + a * dilation, :] @ kernel[a]
    return y


def naive_dilated_conv2d(x, kernel, dilation, padding="valid"):
    """Dilated conv2d at stride 1 by looping over output cells and taps (tests only)."""
    kh, kw, _, f = kernel.shape
    dh, dw = dilation
    n, h, w, _ = x.shape
    span_h, span_w = (kh - 1) * dh + 1, (kw - 1) * dw + 1
    if padding == "same":
        ph, pw = span_h - 1, span_w - 1
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
        oh, ow = h, w
    else:
        oh, ow = h - span_h + 1, w - span_w + 1
    y = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    y[:, i, j, :] += x[:, i + a * dh, j + b * dw, :] @ kernel[a, b]
    return y


def naive_pool1d(x, size, stride, padding, reduce):
    """Each window keeps only its real steps ('same' pads nothing into a max or a mean)."""
    n, steps, c = x.shape
    if padding == "same":
        out = math.ceil(steps / stride)
        before = max((out - 1) * stride + size - steps, 0) // 2
    else:
        out, before = (steps - size) // stride + 1, 0
    y = np.zeros((n, out, c))
    for t in range(out):
        start = t * stride - before
        y[:, t, :] = reduce(x[:, max(start, 0) : start + size, :], axis=1)
    return y


def _conv1d_case(name, x_shape, k_shape, stride=1, padding="valid", dilation=1, bias=False):
    if bias:
        return OpCase(
            f"conv1d_{name}",
            lambda x, k, b: ops.conv1d(x, k, strides=stride, padding=padding, dilation_rate=dilation, bias=b),
            lambda rng: (rng.standard_normal(x_shape), rng.standard_normal(k_shape), rng.standard_normal(k_shape[2])),
            lambda x, k, b: naive_conv1d(x, k, stride, padding, dilation) + b,
        )
    return OpCase(
        f"conv1d_{name}",
        lambda x, k: ops.conv1d(x, k, strides=stride, padding=padding, dilation_rate=dilation),
        lambda rng: (rng.standard_normal(x_shape), rng.standard_normal(k_shape)),
        lambda x, k: naive_conv1d(x, k, stride, padding, dilation),
    )


def _dilated_case(name, x_shape, k_shape, dilation, padding="valid"):
    return OpCase(
        f"conv2d_dilated_{name}",
        lambda x, k: ops.conv2d(x, k, padding=padding, dilation_rate=dilation),
        lambda rng: (rng.standard_normal(x_shape), rng.standard_normal(k_shape)),
        lambda x, k: naive_dilated_conv2d(x, k, dilation, padding),
    )


def _distinct(shape):
    """Distinct values 4 / size apart: no tie or change of winner within a gradient-check step."""
    return lambda rng: (rng.permutation(math.prod(shape)).reshape(shape) * (4.0 / math.prod(shape)) - 2.0,)


def _pool_case(kind, name, shape, size, stride, padding):
    pool, reduce = (ops.max_pool1d, np.max) if kind == "max" else (ops.avg_pool1d, np.mean)
    return OpCase(
        f"{kind}_pool1d_{name}",
        lambda x: pool(x, size, strides=stride, padding=padding),
        _distinct(shape),
        lambda x: naive_pool1d(x, size, stride or size, padding, reduce),
    )


POOLS = [
    ("2_valid_drops_last", (2, 7, 3), 2, None, "valid"),
    ("2_same_pads_end", (2, 7, 3), 2, None, "same"),
    ("3_stride1_same", (1, 6, 2), 3, 1, "same"),
    ("3_stride2_overlap", (2, 9, 2), 3, 2, "valid"),
    ("realistic", (4, 40, 8), 3, 2, "same"),
]

CASES = [
    _conv1d_case("valid", (2, 7, 3), (3, 3, 2)),
    _conv1d_case("same_even_kernel", (2, 6, 2), (4, 2, 3), padding="same"),
    _conv1d_case("same_stride2", (1, 9, 2), (3, 2, 2), stride=2, padding="same"),
    _conv1d_case("causal", (2, 6, 2), (3, 2, 2), padding="causal"),
    _conv1d_case("causal_dilated", (2, 9, 2), (3, 2, 2), padding="causal", dilation=2),
    _conv1d_case("causal_stride3", (1, 10, 2), (2, 2, 3), stride=3, padding="causal"),
    _conv1d_case("valid_dilated3", (2, 10, 2), (3, 2, 2), dilation=3),
    _conv1d_case("same_dilated_bias", (2, 7, 2), (3, 2, 3), padding="same", dilation=2, bias=True),
    _conv1d_case("realistic_causal_dilated_bias", (4, 50, 6), (3, 6, 8), padding="causal", dilation=4, bias=True),
    _dilated_case("valid_2x2", (2, 7, 6, 2), (3, 2, 2, 2), (2, 3)),
    _dilated_case("same_2", (1, 6, 6, 2), (3, 3, 2, 2), (2, 2), padding="same"),
    _dilated_case("realistic_same", (2, 12, 12, 3), (3, 3, 3, 4), (2, 2), padding="same"),
    *[_pool_case("max", *p) for p in POOLS],
    *[_pool_case("avg", *p) for p in POOLS],
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_causal_output_step_t_sees_only_steps_up_to_t():
    """Changing x[t0] changes no output before t0 (and, with dilation 2 and 3 taps, y[t0..t0+4] only)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 12, 2)).astype(np.float32)
    k = rng.standard_normal((3, 2, 1)).astype(np.float32)
    y = ops.conv1d(x, k, padding="causal", dilation_rate=2).numpy()
    x2 = x.copy()
    x2[0, 6] += 1.0
    changed = np.flatnonzero(np.abs(ops.conv1d(x2, k, padding="causal", dilation_rate=2).numpy() - y)[0, :, 0] > 0)
    assert y.shape == (1, 12, 1)
    np.testing.assert_array_equal(changed, [6, 8, 10])


def test_dilated_conv2d_with_strides_matches_a_strided_slice_of_the_stride1_output():
    rng = np.random.default_rng(1)
    x, k = rng.standard_normal((2, 11, 11, 2)), rng.standard_normal((3, 3, 2, 2))
    full = ops.conv2d(x, k, dilation_rate=2).numpy()
    np.testing.assert_allclose(ops.conv2d(x, k, strides=2, dilation_rate=2).numpy(), full[:, ::2, ::2], rtol=1e-12)


def test_conv1d_gradients_keep_float32():
    x = Variable(np.ones((2, 8, 3), np.float32))
    k = Variable(np.ones((3, 3, 4), np.float32))
    with GradientTape() as tape:
        y = ops.conv1d(x, k, padding="causal", dilation_rate=2)
    dx, dk = tape.gradient(y, [x, k])
    assert dx.dtype == dk.dtype == np.float32 and dx.shape == x.shape and dk.shape == k.shape


def test_conv1d_errors_name_what_was_wrong():
    x = np.ones((1, 5, 2), np.float32)
    with pytest.raises(ShapeError, match=r"conv1d expects x of rank 3.*x.shape=\(5, 2\).*x\[None\]"):
        ops.conv1d(x[0], np.ones((2, 2, 1), np.float32))
    with pytest.raises(ShapeError, match=r"in_channels = x.shape\[-1\] = 2; received kernel.shape=\(2, 3, 1\)"):
        ops.conv1d(x, np.ones((2, 3, 1), np.float32))
    with pytest.raises(ShapeError, match=r"spanning 7 steps \(kernel_size=4, dilation_rate=2\).*5 steps"):
        ops.conv1d(x, np.ones((4, 2, 1), np.float32), dilation_rate=2)
    with pytest.raises(
        ValueError, match=r"conv1d: `padding` must be 'valid', 'same', 'causal'; received padding='full'"
    ):
        ops.conv1d(x, np.ones((2, 2, 1), np.float32), padding="full")
    with pytest.raises(ValueError, match=r"conv1d: `dilation_rate` must be a positive int.*dilation_rate=0"):
        ops.conv1d(x, np.ones((2, 2, 1), np.float32), dilation_rate=0)
    with pytest.raises(ValueError, match=r"conv2d: `padding` must be 'valid' or 'same'; received padding='causal'"):
        ops.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((2, 2, 1, 1), np.float32), padding="causal")


@pytest.mark.parametrize("pool, name", [(ops.max_pool1d, "max_pool1d"), (ops.avg_pool1d, "avg_pool1d")])
def test_pool1d_errors_name_the_op(pool, name):
    with pytest.raises(ShapeError, match=rf"{name} expects x of rank 3.*x.shape=\(1, 6, 6, 1\)"):
        pool(np.ones((1, 6, 6, 1), np.float32), 2)
    with pytest.raises(ShapeError, match=rf"{name}: a pool of 3 steps does not fit sequences of 2 steps"):
        pool(np.ones((1, 2, 1), np.float32), 3)
    with pytest.raises(ValueError, match=rf"{name}: `pool_size` must be a positive int"):
        pool(np.ones((1, 4, 1), np.float32), (2, 2))
