"""The numba kernels (the `fast` extra) against the NumPy path of the same ops, on the same inputs.

Both paths run in this process: `config.set_compiled_kernels(False)` sends every op down its
NumPy path. Where both compute the same sums in the same order the results must be identical
(forward convolution, pooling, ReLU, Adam, the kernel and bias gradients); the convolution's input
gradient sums the same KH*KW*F products in another order (per window instead of per tap), so it is
compared to float32 rounding: rtol 1e-5 of the largest magnitude (a sum of a few hundred terms).
"""

import threading

import numpy as np
import pytest

from neuronio import config
from neuronio.autodiff import Variable
from neuronio.ops import _compiled
from neuronio.ops.activation import ReluOp
from neuronio.ops.conv import Conv2DOp
from neuronio.ops.normalization import BatchNormOp
from neuronio.ops.pooling import MaxPool2DOp
from neuronio.optimizers import Adam

pytest.importorskip("numba", reason="the compiled kernels are the `fast` extra: pip install 'neuronio[fast]'")


@pytest.fixture
def both_paths(monkeypatch):
    """Run a function with the NumPy path, then with the compiled one; restore the switch.

    The size below which ops keep to NumPy is set to 0, so that small cases exercise the kernels.
    """
    monkeypatch.setattr(_compiled, "MIN_SIZE", 0)
    previous = config.compiled_kernels()

    def run(fn):
        results = []
        for enabled in (False, True):
            config.set_compiled_kernels(enabled)
            results.append(fn())
        return results

    yield run
    config.set_compiled_kernels(previous)


def test_switch_turns_the_kernels_off_and_on():
    previous = config.compiled_kernels()
    try:
        config.set_compiled_kernels(False)
        assert _compiled.kernels(1 << 20) is None
        config.set_compiled_kernels(True)
        assert _compiled.kernels(1 << 20) is not None and _compiled.available()
        assert _compiled.kernels(_compiled.MIN_SIZE - 1) is None  # small work stays on NumPy
    finally:
        config.set_compiled_kernels(previous)


CONV_CASES = [
    # (N, H, W, C, KH, KW, F, strides, pads, bias, dtype, dilation)
    (16, 28, 28, 1, 5, 5, 32, (1, 1), ((0, 0), (0, 0)), True, np.float32, (1, 1)),  # the seed CNN's first layer
    (16, 12, 12, 32, 5, 5, 64, (1, 1), ((0, 0), (0, 0)), True, np.float32, (1, 1)),  # its second
    (3, 9, 8, 3, 3, 3, 5, (2, 1), ((1, 1), (0, 1)), False, np.float32, (1, 1)),  # 'same'-style padding, strides
    (2, 7, 7, 4, 3, 2, 3, (1, 2), ((1, 2), (1, 0)), True, np.float64, (1, 1)),  # float64, as gradient checks run
    (3, 11, 10, 3, 3, 2, 4, (1, 2), ((2, 2), (1, 2)), True, np.float32, (2, 3)),  # dilated taps
    (4, 1, 30, 1, 1, 3, 4, (1, 1), ((0, 0), (4, 0)), False, np.float32, (1, 2)),  # conv1d's causal height-1 view
]


@pytest.mark.parametrize(
    "case", CONV_CASES, ids=lambda c: f"{c[1]}x{c[2]}x{c[3]}-k{c[4]}{c[5]}-f{c[6]}-s{c[7]}-d{c[11]}"
)
def test_conv2d_compiled_matches_numpy(both_paths, case):
    n, h, w, c, kh, kw, f, strides, pads, has_bias, dtype, dilation = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    kernel = rng.standard_normal((kh, kw, c, f)).astype(dtype)
    bias = rng.standard_normal(f).astype(dtype) if has_bias else None

    def run():
        op = Conv2DOp(strides, pads, has_bias=has_bias, dilation=dilation)
        op.needs_input_grad = (True, True, True) if has_bias else (True, True)
        inputs = (x, kernel, bias) if has_bias else (x, kernel)
        y = op.forward(*inputs)
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
        return (y, *op.backward(dy))

    (y0, dx0, *dw0), (y1, dx1, *dw1) = both_paths(run)
    np.testing.assert_array_equal(y1, y0)
    for a, b in zip(dw1, dw0):  # dkernel (and dbias)
        np.testing.assert_array_equal(a, b)
    assert dx1.dtype == dx0.dtype == dtype and dx1.shape == x.shape
    np.testing.assert_allclose(dx1, dx0, rtol=0, atol=1e-5 * np.abs(dx0).max())


POOL_CASES = [
    # (shape, pool, strides, pads): tiling, overlapping windows, 'same' padding (-inf never wins)
    ((8, 24, 24, 32), (2, 2), (2, 2), ((0, 0), (0, 0))),
    ((3, 9, 9, 5), (3, 3), (2, 2), ((0, 0), (0, 0))),
    ((2, 7, 6, 3), (2, 2), (2, 2), ((0, 1), (0, 0))),
]


@pytest.mark.parametrize("shape, pool, strides, pads", POOL_CASES)
def test_max_pool_compiled_matches_numpy(both_paths, shape, pool, strides, pads):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    x[0, :4, :4, :] = 1.0  # ties: the first maximum in window order takes the gradient on both paths

    def run():
        op = MaxPool2DOp(pool, strides, pads)
        y = op.forward(x)
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
        return y, op.backward(dy)

    (y0, dx0), (y1, dx1) = both_paths(run)
    np.testing.assert_array_equal(y1, y0)
    if strides[0] >= pool[0] and strides[1] >= pool[1]:  # disjoint windows: one term per cell
        np.testing.assert_array_equal(dx1, dx0)
    else:  # overlapping windows add up to 4 terms per cell, in another order: float32 rounding
        np.testing.assert_allclose(dx1, dx0, rtol=1e-6, atol=1e-6)


def test_max_pool_backward_of_ones_counts_each_window_once():
    """Overlapping 3x3 windows, stride 2, on a constant image: every window's first cell wins."""
    x = np.zeros((1, 5, 5, 1), np.float32)
    op = MaxPool2DOp((3, 3), (2, 2), ((0, 0), (0, 0)))
    op.forward(x)
    dx = op.backward(np.ones((1, 2, 2, 1), np.float32))[0, :, :, 0]
    expected = np.zeros((5, 5), np.float32)
    expected[[0, 0, 2, 2], [0, 2, 0, 2]] = 1.0
    np.testing.assert_array_equal(dx, expected)


def test_relu_compiled_matches_numpy_and_keeps_nan(both_paths):
    size = 70_000
    x = np.random.default_rng(0).standard_normal(size).astype(np.float32)
    x[:3] = [0.0, -0.0, np.nan]
    dy = np.random.default_rng(1).standard_normal(size).astype(np.float32)

    def run():
        op = ReluOp()
        return op.forward(x), op.backward(dy)

    (y0, dx0), (y1, dx1) = both_paths(run)
    np.testing.assert_array_equal(y1, y0)  # NaN == NaN here: both keep it
    assert np.isnan(y1[2]) and y1[0] == 0.0 and y1[1] == 0.0
    np.testing.assert_array_equal(dx1, dx0)


def test_adam_compiled_update_is_bitwise_the_numpy_one(both_paths):
    """Three steps of Adam on a 100,000-weight variable: identical weights and slots on both paths."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((250, 400)).astype(np.float32)
    grads = [rng.standard_normal((250, 400)).astype(np.float32) for _ in range(3)]

    def run():
        w = Variable(start.copy())
        optimizer = Adam(learning_rate=0.01)
        for g in grads:
            optimizer.apply_gradients([(g, w)])
        return w.numpy(), optimizer._momentums[0].numpy(), optimizer._velocities[0].numpy()

    numpy_result, compiled_result = both_paths(run)
    for a, b in zip(compiled_result, numpy_result):
        np.testing.assert_array_equal(a, b)


BATCH_NORM_CASES = [
    # (shape, mean of x, dtype): a convolution's output, a dense layer's, and a mean 1,000 times
    # the spread (where a one-pass variance without a shift would lose every digit in float32)
    ((16, 14, 14, 80), 0.0, np.float32),
    ((128, 256), 0.5, np.float32),
    ((8, 7, 7, 24), 1000.0, np.float32),
    ((4, 5, 5, 6), 3.0, np.float64),
]


@pytest.mark.parametrize("shape, mean, dtype", BATCH_NORM_CASES, ids=lambda v: str(v))
def test_batch_norm_compiled_matches_numpy(both_paths, shape, mean, dtype):
    """Both paths against the same op in float64: the compiled one is at least as close as NumPy's.

    The kernels sum in float64, NumPy pairwise in x's dtype, so they differ by rounding. Tolerance:
    2e-5 of each output's largest magnitude in float32 (a few ulps of var, times |xhat| up to ~4;
    dgamma and dbeta are sums of thousands of terms), 1e-12 in float64. With a mean 1,000 times the
    spread, NumPy's float32 mean is off by ~1e-4 and its outputs by up to 6e-4 of their scale; the
    compiled path, summing shifted values in float64, must be no further off than that.
    """
    rng = np.random.default_rng(0)
    x = (mean + rng.standard_normal(shape)).astype(dtype)
    c = shape[-1]
    gamma = rng.uniform(0.5, 2.0, (1,) * (len(shape) - 1) + (c,)).astype(dtype)
    beta = rng.standard_normal(gamma.shape).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)

    def run(as_type=dtype):
        op = BatchNormOp(tuple(range(len(shape) - 1)), 1e-3)
        op.needs_input_grad = (True, True, True)
        y = op.forward(x.astype(as_type), gamma.astype(as_type), beta.astype(as_type))
        return (y, op.mean, op.var, *op.backward(dy.astype(as_type)))

    numpy_result, compiled_result = both_paths(run)
    config.set_compiled_kernels(False)
    exact = run(np.float64)
    tolerance = 2e-5 if dtype == np.float32 else 1e-12
    names = ("y", "mean", "var", "dx", "dgamma", "dbeta")
    for name, got, by_numpy, want in zip(names, compiled_result, numpy_result, exact):
        assert got.dtype == by_numpy.dtype == dtype and got.shape == by_numpy.shape == want.shape, name
        scale = np.abs(want).max()
        numpy_error = np.abs(by_numpy - want).max()
        assert np.abs(got - want).max() <= max(tolerance * scale, numpy_error), name
    y = compiled_result[0].reshape(-1, c)
    np.testing.assert_allclose(y.mean(axis=0), beta.reshape(-1), atol=1e-3)  # the batch is normalised
    np.testing.assert_allclose(y.std(axis=0), gamma.reshape(-1) * np.sqrt(1 / (1 + 1e-3)), rtol=1e-3)


def test_batch_norm_compiled_sums_do_not_depend_on_the_thread_count(monkeypatch):
    numba = pytest.importorskip("numba")
    monkeypatch.setattr(_compiled, "MIN_SIZE", 0)
    x = np.random.default_rng(0).standard_normal((64, 10, 10, 16)).astype(np.float32)
    gamma, beta = np.ones(16, np.float32), np.zeros(16, np.float32)
    results = []
    previous = numba.get_num_threads()
    try:
        for threads in (1, previous):
            numba.set_num_threads(threads)
            op = BatchNormOp((0, 1, 2), 1e-3)
            results.append((op.forward(x, gamma, beta), op.mean, op.var))
    finally:
        numba.set_num_threads(previous)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_kernels_are_safe_to_call_from_several_threads(monkeypatch):
    """The lab serves requests from threads: concurrent convolutions all get their own right answer."""
    if not config.compiled_kernels():
        pytest.skip("compiled kernels switched off in this session")
    monkeypatch.setattr(_compiled, "MIN_SIZE", 0)  # these small convolutions too go to the kernels
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    inputs = [rng.standard_normal((4, 10, 10, 2)).astype(np.float32) for _ in range(8)]
    expected = [Conv2DOp((1, 1), ((0, 0), (0, 0))).forward(x, kernel) for x in inputs]
    results = [None] * len(inputs)

    def work(i):
        for _ in range(20):
            results[i] = Conv2DOp((1, 1), ((0, 0), (0, 0))).forward(inputs[i], kernel)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)
