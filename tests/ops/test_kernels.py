"""Every kernel implementation registered with the seam against NumPy's reference, on the same inputs.

For each op an implementation replaces (neuronio/ops/_kernels.py), the same arrays go through the
reference (config.set_kernels("numpy")) and through the implementation (config.set_kernels(name)),
small and realistic shapes, float32 and float64. Where both compute the same sums in the same order
the results must be identical (numba's forward convolution, pooling, ReLU, Adam, the kernel and
bias gradients); where an implementation sums in another order (numba's col2im, oneDNN's direct
convolution, batch norm's blocks) they must agree to rounding: a relative tolerance of the largest
magnitude, named per dtype below. An implementation that does not accept a dtype (oneDNN: float32
only) must leave it to the next one in the priority list, and that is tested too.
"""

import threading

import numpy as np
import pytest

from neuronio import config
from neuronio.autodiff import GradientTape, Variable
from neuronio.ops import _kernels
from neuronio.ops.activation import ReluOp
from neuronio.ops.conv import Conv2DOp
from neuronio.ops.normalization import BatchNormOp
from neuronio.ops.pooling import MaxPool2DOp
from neuronio.optimizers import Adam

# A sum of a few hundred products rounded in another order: float32 and float64 rounding, with margin.
REORDERED = {np.float32: 2e-5, np.float64: 1e-12}


def implementations(op: str) -> list:
    """The names of the implementations that registered `op` (whether or not they load here)."""
    return sorted(_kernels.registered(op)[op]) or [pytest.param(None, marks=pytest.mark.skip(f"no kernel for {op}"))]


def using(name, dtype, op, fn):
    """fn() with only implementation `name` (and NumPy's reference behind it); skip where it cannot run."""
    previous = config.kernels()
    config.set_kernels(name)
    try:
        if name != "numpy":
            implementation = _kernels.registered(op)[op][name]
            if implementation.get() is None:
                pytest.skip(f"{name} does not load here: {implementation.error}")
            if np.dtype(dtype).name not in implementation.dtypes:
                assert _kernels.choose(op, np.dtype(dtype)) is None  # falls back to the reference
                pytest.skip(f"{name} does {', '.join(implementation.dtypes)} only; {np.dtype(dtype)} falls back")
            assert _kernels.choose(op, np.dtype(dtype)) is implementation
        return fn()
    finally:
        config.set_kernels(previous)


def close(got, want, dtype, what=""):
    assert got.dtype == want.dtype and got.shape == want.shape, what
    np.testing.assert_allclose(got, want, rtol=0, atol=REORDERED[dtype] * max(np.abs(want).max(), 1e-30), err_msg=what)


CONV_CASES = [
    # (N, H, W, C, KH, KW, F, strides, pads, bias, dtype, dilation)
    (16, 28, 28, 1, 5, 5, 32, (1, 1), ((0, 0), (0, 0)), True, np.float32, (1, 1)),  # the seed CNN's first layer
    (16, 12, 12, 32, 5, 5, 64, (1, 1), ((0, 0), (0, 0)), True, np.float32, (1, 1)),  # its second
    (8, 16, 16, 32, 3, 3, 32, (1, 1), ((1, 1), (1, 1)), True, np.float32, (1, 1)),  # a CIFAR 3x3 'same' layer
    (3, 9, 8, 3, 3, 3, 5, (2, 1), ((1, 1), (0, 1)), False, np.float32, (1, 1)),  # 'same'-style padding, strides
    (2, 7, 7, 4, 3, 2, 3, (1, 2), ((1, 2), (1, 0)), True, np.float64, (1, 1)),  # float64, as gradient checks run
    (2, 12, 12, 8, 5, 5, 16, (1, 1), ((0, 0), (0, 0)), True, np.float64, (1, 1)),  # a realistic float64 one
    (3, 11, 10, 3, 3, 2, 4, (1, 2), ((2, 2), (1, 2)), True, np.float32, (2, 3)),  # dilated taps
    (4, 1, 30, 1, 1, 3, 4, (1, 1), ((0, 0), (4, 0)), False, np.float32, (1, 2)),  # conv1d's causal height-1 view
    (2, 10, 10, 3, 3, 3, 4, (3, 3), ((0, 0), (0, 0)), True, np.float32, (1, 1)),  # a stride that skips the last row
]


@pytest.mark.parametrize("name", implementations("conv2d"))
@pytest.mark.parametrize(
    "case", CONV_CASES, ids=lambda c: f"{c[1]}x{c[2]}x{c[3]}-k{c[4]}{c[5]}-f{c[6]}-s{c[7]}-d{c[11]}-{c[10].__name__}"
)
def test_conv2d_matches_the_reference(name, case):
    n, h, w, c, kh, kw, f, strides, pads, has_bias, dtype, dilation = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    kernel = rng.standard_normal((kh, kw, c, f)).astype(dtype)
    bias = rng.standard_normal(f).astype(dtype) if has_bias else None

    def run():
        op = Conv2DOp(strides, pads, has_bias=has_bias, dilation=dilation)
        op.needs_input_grad = (True, True, True) if has_bias else (True, True)
        y = op.forward(*((x, kernel, bias) if has_bias else (x, kernel)))
        saved_x, saved_kernel, cols = op.saved  # the documented saved state
        assert saved_x is x and saved_kernel is kernel
        assert cols is None or cols.shape[0] == y.size // f
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
        return (y, *op.backward(dy))

    want = using("numpy", dtype, "conv2d", run)
    got = using(name, dtype, "conv2d", run)
    for what, a, b in zip(("y", "dx", "dkernel", "dbias"), got, want):
        close(a, b, dtype, what)


@pytest.mark.parametrize("name", implementations("conv2d"))
@pytest.mark.parametrize("needs", [(False, True, True), (True, False, True), (True, True, False), (False, False, True)])
def test_conv2d_computes_exactly_the_gradients_asked_for(name, needs):
    """The first layer needs no dx (None, its work skipped), a frozen kernel no dkernel: the reference's values where needed."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 9, 9, 3)).astype(np.float32)
    kernel, bias = rng.standard_normal((3, 3, 3, 8)).astype(np.float32), rng.standard_normal(8).astype(np.float32)

    def run():
        op = Conv2DOp((1, 1), ((1, 1), (1, 1)), has_bias=True)
        op.needs_input_grad = needs
        y = op.forward(x, kernel, bias)
        return op.backward(np.random.default_rng(3).standard_normal(y.shape).astype(np.float32))

    want = using("numpy", np.float32, "conv2d", run)
    got = using(name, np.float32, "conv2d", run)
    assert (got[0] is None) == (not needs[0]) == (want[0] is None)  # no input-gradient work for the first layer
    for what, needed, a, b in zip(("dx", "dkernel", "dbias"), needs, got, want):
        if needed:
            close(a, b, np.float32, what)


@pytest.mark.parametrize("name", implementations("conv2d"))
def test_conv2d_of_float32_images_and_a_float64_kernel_matches_the_reference(name):
    """The seam chooses by the images' dtype; a float64 kernel must be read as float64, not as raw float32."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, 6, 2)).astype(np.float32)
    kernel = rng.standard_normal((3, 3, 2, 4))  # float64

    def run():
        op = Conv2DOp((1, 1), ((0, 0), (0, 0)))
        op.needs_input_grad = (True, True)
        y = op.forward(x, kernel)
        dx, dkernel = op.backward(np.ones(y.shape, np.float32))
        return y.astype(np.float64), dx, dkernel

    want = using("numpy", np.float32, "conv2d", run)
    got = using(name, np.float32, "conv2d", run)
    assert got[1].dtype == np.float32 and got[2].dtype == np.float64
    for what, a, b in zip(("y", "dx", "dkernel"), got, want):
        np.testing.assert_allclose(a, b, rtol=0, atol=REORDERED[np.float32] * np.abs(b).max(), err_msg=what)


@pytest.mark.parametrize("name", implementations("conv2d"))
@pytest.mark.parametrize("case", [CONV_CASES[1], CONV_CASES[2], CONV_CASES[5]], ids=["5x5", "same-3x3", "float64"])
def test_conv2d_with_the_relu_fused_matches_the_reference(name, case):
    """activation="relu": every implementation returns max(y, 0) (oneDNN as a post-op) and keeps it
    as `output`; backward masks dy by it before the implementation's own backward."""
    n, h, w, c, kh, kw, f, strides, pads, has_bias, dtype, dilation = case
    rng = np.random.default_rng(5)
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    kernel, bias = rng.standard_normal((kh, kw, c, f)).astype(dtype), rng.standard_normal(f).astype(dtype)

    def run():
        op = Conv2DOp(strides, pads, has_bias=True, dilation=dilation, activation="relu")
        op.needs_input_grad = (True, True, True)
        y = op.forward(x, kernel, bias)
        assert op.output is y and (y >= 0).all() and (y == 0).any()
        dy = np.random.default_rng(6).standard_normal(y.shape).astype(dtype)
        result = (y, *op.backward(dy))
        assert op.output is None  # released by backward
        return result

    want = using("numpy", dtype, "conv2d", run)
    got = using(name, dtype, "conv2d", run)
    for what, a, b in zip(("y", "dx", "dkernel", "dbias"), got, want):
        close(a, b, dtype, what)


def test_an_implementation_without_float64_leaves_it_to_the_next():
    """oneDNN registers float32 only: float64 convolutions go to numba (or NumPy) behind it."""
    onednn = _kernels.registered("conv2d")["conv2d"].get("onednn")
    if onednn is None:
        pytest.skip("no oneDNN implementation registered")
    assert onednn.dtypes == ("float32",)
    previous = config.kernels()
    try:
        config.set_kernels(["onednn", "numba"])
        chosen = _kernels.choose("conv2d", np.dtype("float64"))
        numba = _kernels.registered("conv2d")["conv2d"]["numba"]
        assert (chosen.name if chosen else "numpy") == ("numba" if numba.get() is not None else "numpy")
    finally:
        config.set_kernels(previous)


POOL_CASES = [
    # (shape, pool, strides, pads, dtype): tiling, overlapping windows, 'same' padding (-inf never wins)
    ((8, 24, 24, 32), (2, 2), (2, 2), ((0, 0), (0, 0)), np.float32),
    ((3, 9, 9, 5), (3, 3), (2, 2), ((0, 0), (0, 0)), np.float32),
    ((2, 7, 6, 3), (2, 2), (2, 2), ((0, 1), (0, 0)), np.float32),
    ((2, 7, 6, 3), (3, 2), (1, 2), ((1, 1), (0, 0)), np.float64),
]


@pytest.mark.parametrize("name", implementations("max_pool2d"))
@pytest.mark.parametrize("shape, pool, strides, pads, dtype", POOL_CASES)
def test_max_pool_matches_the_reference(name, shape, pool, strides, pads, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    x[0, :4, :4, :] = 1.0  # ties: the first maximum in window order takes the gradient everywhere

    def run():
        op = MaxPool2DOp(pool, strides, pads)
        y = op.forward(x)
        winner, xp_shape = op.saved  # the documented saved state: the winning tap per window
        assert winner.shape == y.shape and winner.dtype == np.uint8
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(dtype)
        return y, winner, op.backward(dy)

    (y0, w0, dx0), (y1, w1, dx1) = using("numpy", dtype, "max_pool2d", run), using(name, dtype, "max_pool2d", run)
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_array_equal(w1, w0)
    if strides[0] >= pool[0] and strides[1] >= pool[1]:  # disjoint windows: one term per cell
        np.testing.assert_array_equal(dx1, dx0)
    else:  # overlapping windows add up to a few terms per cell, in another order
        close(dx1, dx0, dtype)


@pytest.mark.parametrize("name", ["numpy", *implementations("max_pool2d")])
def test_max_pool_backward_of_ones_counts_each_window_once(name):
    """Overlapping 3x3 windows, stride 2, on a constant image: every window's first cell wins."""

    def run():
        op = MaxPool2DOp((3, 3), (2, 2), ((0, 0), (0, 0)))
        op.forward(np.zeros((1, 5, 5, 1), np.float32))
        return op.backward(np.ones((1, 2, 2, 1), np.float32))[0, :, :, 0]

    expected = np.zeros((5, 5), np.float32)
    expected[[0, 0, 2, 2], [0, 2, 0, 2]] = 1.0
    np.testing.assert_array_equal(using(name, np.float32, "max_pool2d", run), expected)


@pytest.mark.parametrize("name", implementations("relu"))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_matches_the_reference_and_keeps_nan(name, dtype):
    x = np.random.default_rng(0).standard_normal((64, 9, 9, 8)).astype(dtype)
    x.reshape(-1)[:3] = [0.0, -0.0, np.nan]
    dy = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)

    def run():
        op = ReluOp()
        return op.forward(x), op.backward(dy)

    (y0, dx0), (y1, dx1) = using("numpy", dtype, "relu", run), using(name, dtype, "relu", run)
    np.testing.assert_array_equal(y1, y0)  # NaN == NaN here: both keep it
    assert np.isnan(y1.reshape(-1)[2])
    np.testing.assert_array_equal(dx1, dx0)


@pytest.mark.parametrize("name", implementations("adam"))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_update_is_bitwise_the_reference(name, dtype):
    """Three steps of Adam on a 100,000-weight variable: identical weights and slots."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((250, 400)).astype(dtype)
    grads = [rng.standard_normal((250, 400)).astype(dtype) for _ in range(3)]

    def run():
        w = Variable(start.copy(), dtype=dtype)
        optimizer = Adam(learning_rate=0.01)
        for g in grads:
            optimizer.apply_gradients([(g, w)])
        return w.numpy(), optimizer._momentums[0].numpy(), optimizer._velocities[0].numpy()

    for a, b in zip(using(name, dtype, "adam", run), using("numpy", dtype, "adam", run)):
        np.testing.assert_array_equal(a, b)


BATCH_NORM_CASES = [
    # (shape, mean of x, dtype): a convolution's output, a dense layer's, and a mean 1,000 times
    # the spread (where a one-pass variance without a shift would lose every digit in float32)
    ((16, 14, 14, 80), 0.0, np.float32),
    ((128, 256), 0.5, np.float32),
    ((8, 7, 7, 24), 1000.0, np.float32),
    ((4, 5, 5, 6), 3.0, np.float64),
]


@pytest.mark.parametrize("name", implementations("batch_norm"))
@pytest.mark.parametrize("shape, mean, dtype", BATCH_NORM_CASES, ids=lambda v: str(v))
def test_batch_norm_matches_the_reference(name, shape, mean, dtype):
    """Every implementation sums in float64 (in another order), so they agree to x's rounding: 1e-5
    of each output's largest magnitude in float32 (a few ulps of var, times |xhat| up to ~4), 1e-12
    in float64; and no further than the reference from the same op computed in float64."""
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
        xhat, _, inv_std = op.saved  # the documented saved state
        assert xhat.shape == shape and inv_std.shape == gamma.shape and inv_std.dtype == as_type
        return (y, op.mean, op.var, *op.backward(dy.astype(as_type)))

    want, got = using("numpy", dtype, "batch_norm", run), using(name, dtype, "batch_norm", run)
    exact = using("numpy", np.float64, "batch_norm", lambda: run(np.float64))
    tolerance = 2e-5 if dtype == np.float32 else 1e-12
    for what, a, b, e in zip(("y", "mean", "var", "dx", "dgamma", "dbeta"), got, want, exact):
        assert a.dtype == b.dtype == dtype and a.shape == b.shape == e.shape, what
        scale = np.abs(e).max()
        assert np.abs(a - b).max() <= tolerance * scale, what
        # float32 x ~1000 leaves every implementation's xhat ~1e-5 off exact: no further than the reference
        assert np.abs(a - e).max() <= tolerance * scale + np.abs(b - e).max(), what


def test_batch_norm_sums_do_not_depend_on_the_thread_count():
    numba = pytest.importorskip("numba")
    x = np.random.default_rng(0).standard_normal((64, 10, 10, 16)).astype(np.float32)
    gamma, beta = np.ones(16, np.float32), np.zeros(16, np.float32)
    results = []
    previous = numba.get_num_threads()

    def run():
        op = BatchNormOp((0, 1, 2), 1e-3)
        return op.forward(x, gamma, beta), op.mean, op.var

    try:
        for threads in (1, previous):
            numba.set_num_threads(threads)
            results.append(using("numba", np.float32, "batch_norm", run))
    finally:
        numba.set_num_threads(previous)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", implementations("conv2d"))
def test_kernels_are_safe_to_call_from_several_threads(name):
    """The lab serves requests from threads: concurrent convolutions all get their own right answer."""
    rng = np.random.default_rng(0)
    kernel = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    inputs = [rng.standard_normal((4, 10, 10, 2)).astype(np.float32) for _ in range(8)]
    expected = [
        using("numpy", np.float32, "conv2d", lambda x=x: Conv2DOp((1, 1), ((0, 0), (0, 0))).forward(x, kernel))
        for x in inputs
    ]
    results = [None] * len(inputs)

    def work(i):
        for _ in range(20):
            results[i] = Conv2DOp((1, 1), ((0, 0), (0, 0))).forward(inputs[i], kernel)

    def run():
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    using(name, np.float32, "conv2d", run)
    for got, want in zip(results, expected):
        close(got, want, np.float32)


def test_the_priority_list_comes_from_the_environment_and_bad_names_fail_loudly(monkeypatch):
    import subprocess
    import sys

    code = "from neuronio import config; print(','.join(config.kernels()))"

    def kernels_with(env):
        full = {
            k: v
            for k, v in __import__("os").environ.items()
            if k not in ("NEURONIO_KERNELS", "NEURONIO_COMPILED_KERNELS")
        }
        return subprocess.run([sys.executable, "-c", code], env={**full, **env}, capture_output=True, text=True)

    assert kernels_with({"NEURONIO_KERNELS": "numba"}).stdout.strip() == "numba,numpy"
    assert kernels_with({"NEURONIO_KERNELS": "onednn, numba"}).stdout.strip() == "onednn,numba,numpy"
    assert kernels_with({"NEURONIO_COMPILED_KERNELS": "0"}).stdout.strip() == "numpy"  # the older switch
    assert kernels_with({}).stdout.strip() == "onednn,numba,numpy"
    bad = kernels_with({"NEURONIO_KERNELS": "cuda"})
    assert bad.returncode != 0 and "NEURONIO_KERNELS" in bad.stderr and "cuda" in bad.stderr
    previous = config.kernels()
    with pytest.raises(ValueError, match=r"set_kernels: unknown kernel implementation.*'mkl'.*numpy, numba, onednn"):
        config.set_kernels(["mkl"])
    assert config.kernels() == previous  # a refused setting changes nothing


def test_onednn_runs_its_optimised_kernels_not_its_reference_ones():
    """oneDNN falls back to slow 'ref:' loops for layouts its JIT kernels do not take: the seed CNN's
    and the CIFAR CNN's convolutions (NHWC, HWIO weights reordered) must get JIT/BRGEMM kernels."""
    onednn = _kernels.registered("conv2d")["conv2d"].get("onednn")
    if onednn is None or onednn.get() is None:
        pytest.skip(f"oneDNN unavailable: {onednn.error if onednn else 'not registered'}")
    shapes = [((4, 28, 28, 1), (5, 5, 1, 32), "valid"), ((4, 12, 12, 32), (5, 5, 32, 64), "valid")]
    shapes.append(((4, 32, 32, 3), (3, 3, 3, 32), "same"))
    shapes.append(((4, 32, 32, 32), (3, 3, 32, 32), "valid"))  # the CIFAR CNN's second, with the ReLU fused
    from neuronio import ops

    previous = config.kernels()
    config.set_kernels("onednn")
    try:
        for x_shape, k_shape, padding in shapes:
            x, kernel = Variable(np.ones(x_shape, np.float32)), Variable(np.ones(k_shape, np.float32))
            with GradientTape() as tape:
                y = ops.conv2d(x, kernel, padding=padding, activation="relu" if k_shape[2] == 32 else None)  # as expected
            tape.gradient(y, [x, kernel])  # makes the backward primitives
    finally:
        config.set_kernels(previous)
    cache = onednn.loaded.extra["cache"]
    expected = [(x, k, "relu" if k[2] == 32 else None) for x, k, _ in shapes]
    names = [entry.kernels for key, entry in cache.items() if (key[0], key[1], key[-1]) in expected]
    assert len(names) == len(shapes)
    for kernels in names:
        assert set(kernels) == {"forward", "backward data", "backward weights"}, kernels
        assert not any(name.startswith("ref") for name in kernels.values()), kernels


def test_a_missing_onednn_library_is_reported_and_conv2d_falls_back():
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "NEURONIO_KERNELS": "onednn", "NEURONIO_ONEDNN_LIBRARY": "/nonexistent/libdnnl.so.3"}
    out = subprocess.run([sys.executable, "-m", "neuronio", "info", "--json"], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    conv = next(row for row in json.loads(out.stdout)["ops"] if row["op"] == "conv2d")
    assert conv["float32"] == "numpy"  # the priority list names onednn only; NumPy's reference behind it
    assert "OSError" in conv["registered"]["onednn"] and "/nonexistent/libdnnl.so.3" in conv["registered"]["onednn"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numba_serial_and_parallel_builds_compute_bitwise_the_same(monkeypatch, dtype):
    """numba's kernels run serially under PARALLEL_FROM elements (a single image, a bias): that picks
    the thread count only, so every op's values and gradients must be identical either way."""
    compiled = pytest.importorskip("neuronio.ops._compiled")
    if not _kernels.available("conv2d", "numba"):
        pytest.skip("numba unavailable")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 11, 11, 3)).astype(dtype)
    kernel = rng.standard_normal((3, 3, 3, 5)).astype(dtype)
    bias = rng.standard_normal(5).astype(dtype)
    gamma, beta = np.full((1, 1, 1, 5), 1.5, dtype), np.full((1, 1, 1, 5), 0.25, dtype)
    start = rng.standard_normal((7, 5)).astype(dtype)
    grads = [rng.standard_normal((7, 5)).astype(dtype) for _ in range(2)]

    def run():
        conv = Conv2DOp((1, 1), ((1, 1), (1, 1)), has_bias=True)
        conv.needs_input_grad = (True, True, True)
        y = conv.forward(x, kernel, bias)
        relu = ReluOp()
        r = relu.forward(y)
        pool = MaxPool2DOp((3, 3), (2, 2), ((0, 0), (0, 0)))
        p = pool.forward(r)
        norm = BatchNormOp((0, 1, 2), 1e-3)
        norm.needs_input_grad = (True, True, True)
        z = norm.forward(p, gamma, beta)
        dz = np.ones_like(z) * np.arange(z.size, dtype=dtype).reshape(z.shape) / z.size
        dp, dgamma, dbeta = norm.backward(dz)
        dx, dkernel, dbias = conv.backward(relu.backward(pool.backward(dp)))
        w = Variable(start.copy(), dtype=dtype)
        optimizer = Adam(learning_rate=0.01)
        for g in grads:
            optimizer.apply_gradients([(g, w)])
        return z, dgamma, dbeta, dx, dkernel, dbias, w.numpy()

    results = []
    for threshold in (0, 1 << 62):  # everything parallel, then everything serial
        monkeypatch.setattr(compiled, "PARALLEL_FROM", threshold)
        results.append(using("numba", dtype, "conv2d", run))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
