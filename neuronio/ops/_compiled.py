"""numba's implementation of ops behind the kernel seam (the optional `fast` extra).

A training step of the decks' CNNs spends its FLOPs in GEMMs, which OpenBLAS runs well, but a
third of its time in NumPy copies and scatters around them: the im2col copy (a strided 6-D view
reshaped, one thread, a few floats per run for a 1-channel input), col2im, max-pooling's per-tap
masks, ReLU's boolean temporaries. Each of these is one loop over the batch here, compiled by numba
and run on every core, touching each byte once.

The replacements registered at the end (conv2d, max_pool2d, batch_norm, relu) compute what the
ops' NumPy references compute and leave the same saved state (see each op's docstring), in the same
order and dtype, except where stated: col2im sums a cell's window gradients per window instead of
per tap, max-pooling's gradient sums overlapping windows in window order, and batch-norm's sums run
in fixed blocks of rows (float64, as the reference). tests/ops/test_kernels.py runs every
implementation against the reference. Kernels compile on first use and are cached on disk by numba.

Conventions: arrays are C-contiguous, channels-last; loops run over the batch in parallel
(`prange`), with the channel loop innermost so that it vectorises. Only `channel_sums` reduces
across the batch, in fixed blocks added in a fixed order, so no result depends on the thread count.

Threads: each kernel is compiled twice from the same source, parallel and serial. Launching a
parallel kernel costs tens of microseconds, more than the whole work of a single image or of a bias
vector's Adam update, so work under PARALLEL_FROM elements runs the serial build. This picks the
thread count, never the implementation: both builds compute bitwise the same values (each output is
written by one iteration; the sums run in fixed blocks), as tests/ops/test_kernels.py checks.
"""

import threading
import types

import numpy as np

from neuronio import config
from neuronio.ops import _kernels

_LOCK = threading.Lock()
_NAMESPACE = None  # the compiled kernels once built
PARALLEL_FROM = 1 << 16  # elements of work from which a kernel runs on every core (see above)


def compiled():
    """The compiled kernels, `.parallel` and `.serial`; ImportError without numba (the `fast` extra)."""
    global _NAMESPACE
    if _NAMESPACE is None:
        with _LOCK:
            if _NAMESPACE is None:
                _NAMESPACE = _build()
    return _NAMESPACE


def threads_for(size: int):
    """The build of the kernels to run on `size` elements of work: serial below PARALLEL_FROM."""
    k = compiled()
    return k.parallel if size >= PARALLEL_FROM else k.serial


class _Kernels:
    """The compiled functions; parallel ones wrapped so that one thread runs one at a time.

    numba's workqueue threading layer (config.process_settings) aborts the process if two Python
    threads launch parallel kernels at once (the lab serves requests from threads); the lock makes
    that impossible, at ~0.1 us a call. Serial kernels release the GIL and need no lock.
    """

    def __init__(self, functions: dict, parallel: bool):
        for name, function in functions.items():
            setattr(self, name, _serialised(function) if parallel else function)


class _Builds:
    def __init__(self, parallel: _Kernels, serial: _Kernels):
        self.parallel, self.serial = parallel, serial


def compile_both(numba, functions: dict) -> _Builds:
    """A parallel and a serial build of each function (the serial one under another name, so that
    numba's disk cache keeps the two apart: it keys its files by the function's qualified name)."""
    parallel = numba.njit(parallel=True, cache=True, nogil=True)
    serial = numba.njit(cache=True, nogil=True)
    return _Builds(
        _Kernels({name: parallel(f) for name, f in functions.items()}, parallel=True),
        _Kernels({name: serial(_renamed(f, "_serial")) for name, f in functions.items()}, parallel=False),
    )


def _renamed(function, suffix: str):
    copy = types.FunctionType(
        function.__code__, function.__globals__, function.__name__ + suffix, function.__defaults__, function.__closure__
    )
    copy.__qualname__ = function.__qualname__ + suffix
    copy.__doc__ = function.__doc__
    return copy


def _serialised(function):
    def call(*args):
        with _LOCK_CALLS:
            return function(*args)

    call.__name__ = function.__name__
    return call


_LOCK_CALLS = threading.Lock()


def _build():
    try:
        import numba
    except ImportError as exc:
        raise ImportError(f"numba is not installed ({exc}); pip install 'neuronio[fast]'") from exc
    layer = config.numba_threading_layer()  # a process setting: see config.process_settings
    if layer is not None:
        numba.config.THREADING_LAYER = layer
    prange = numba.prange

    def jit(function):  # collected here, compiled twice below (compile_both)
        return function

    @jit
    def im2col(xp, kh, kw, sh, sw, dh, dw, cols):
        """cols[(s, i, j), (a, b, c)] = xp[s, i*sh + a*dh, j*sw + b*dw, c]; columns past KH*KW*C are set to 1.

        cols is (N*OH*OW, KH*KW*C [+ 1]): a last column of ones carries the bias through the GEMM.
        """
        n, _, _, c = xp.shape
        rows = cols.shape[0] // n  # OH * OW
        ow = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
        for s in prange(n):
            for r in range(rows):
                i, j = r // ow, r % ow
                row = s * rows + r
                for a in range(kh):
                    for b in range(kw):
                        first = (a * kw + b) * c
                        for ch in range(c):
                            cols[row, first + ch] = xp[s, i * sh + a * dh, j * sw + b * dw, ch]
                for col in range(kh * kw * c, cols.shape[1]):
                    cols[row, col] = 1.0

    @jit
    def im2col_1channel(xp, kh, kw, sh, sw, dh, dw, cols):
        """im2col for C = 1, with xp as (N, HP, WP): the tap loop is innermost instead of the channel."""
        n = xp.shape[0]
        rows = cols.shape[0] // n
        ow = (xp.shape[2] - (kw - 1) * dw - 1) // sw + 1
        for s in prange(n):
            for r in range(rows):
                i, j = r // ow, r % ow
                row = s * rows + r
                for a in range(kh):
                    for b in range(kw):
                        cols[row, a * kw + b] = xp[s, i * sh + a * dh, j * sw + b * dw]
                for col in range(kh * kw, cols.shape[1]):
                    cols[row, col] = 1.0

    @jit
    def col2im(dcols, kh, kw, sh, sw, dh, dw, dxp):
        """dxp[s, i*sh + a*dh, j*sw + b*dw, c] = sum of dcols[(s, i, j), (a, b, c)] over the windows holding it."""
        n, _, _, c = dxp.shape
        rows = dcols.shape[0] // n
        ow = (dxp.shape[2] - (kw - 1) * dw - 1) // sw + 1
        for s in prange(n):
            dxp[s] = 0.0
            for r in range(rows):
                i, j = r // ow, r % ow
                row = s * rows + r
                for a in range(kh):
                    for b in range(kw):
                        first = (a * kw + b) * c
                        for ch in range(c):
                            dxp[s, i * sh + a * dh, j * sw + b * dw, ch] += dcols[row, first + ch]

    @jit
    def max_pool(xp, kh, kw, sh, sw, y, winner):
        """y = the largest value per window; winner = its tap a*KW + b, the first in window order."""
        n, oh, ow, c = y.shape
        for s in prange(n):
            for i in range(oh):
                for j in range(ow):
                    for ch in range(c):
                        y[s, i, j, ch] = xp[s, i * sh, j * sw, ch]
                        winner[s, i, j, ch] = 0
                    for a in range(kh):
                        for b in range(kw):
                            for ch in range(c):
                                v = xp[s, i * sh + a, j * sw + b, ch]
                                if v > y[s, i, j, ch]:
                                    y[s, i, j, ch] = v
                                    winner[s, i, j, ch] = a * kw + b

    @jit
    def max_pool_backward(dy, winner, kh, kw, sh, sw, dxp):
        """dxp = dy routed to each window's winner (summed where windows overlap), 0 elsewhere."""
        n, oh, ow, c = dy.shape
        for s in prange(n):
            dxp[s] = 0.0
            for i in range(oh):
                for j in range(ow):
                    for a in range(kh):
                        for b in range(kw):
                            tap = a * kw + b
                            for ch in range(c):
                                if winner[s, i, j, ch] == tap:
                                    dxp[s, i * sh + a, j * sw + b, ch] += dy[s, i, j, ch]

    # The elementwise kernels take flat (1-D) arrays: the callers pass reshape(-1) views. (Reshaping
    # inside a parallel kernel silently wrote to a copy in numba 0.68: Adam updated nothing.)
    @jit
    def relu(x, y):
        """y = max(x, 0) (NaN stays NaN, as np.maximum keeps it)."""
        zero = x.dtype.type(0)
        for k in prange(x.size):
            y[k] = zero if x[k] <= zero else x[k]

    @jit
    def relu_backward(dy, y, dx):
        """dx = dy where y > 0, else 0."""
        zero = dy.dtype.type(0)
        for k in prange(dy.size):
            dx[k] = dy[k] if y[k] > zero else zero

    @jit
    def channel_sums(a, b, shift, chunks, out):
        """Per column of the (M, C) arrays a and b: out[0] += sum of (a - shift), out[1] += sum of
        (a - shift) * (b - shift).

        With b = a and shift = one row of a, these are the shifted sums whose mean and variance do
        not lose digits to a large mean (the variance is their second sum / M minus the first's
        square). The rows are split into `chunks` fixed blocks, each summed in float64 on whichever
        thread takes it, and the blocks' sums are added in block order: the result does not depend
        on the thread count.
        """
        m, c = a.shape
        step = (m + chunks - 1) // chunks
        parts = np.zeros((chunks, 2, c))
        for p in prange(chunks):
            for r in range(p * step, min(m, (p + 1) * step)):
                for ch in range(c):
                    u = np.float64(a[r, ch]) - shift[ch]
                    parts[p, 0, ch] += u
                    parts[p, 1, ch] += u * (np.float64(b[r, ch]) - shift[ch])
        for p in range(chunks):
            for ch in range(c):
                out[0, ch] += parts[p, 0, ch]
                out[1, ch] += parts[p, 1, ch]

    @jit
    def batch_norm(x, mean, inv_std, gamma, beta, xhat, y):
        """xhat = (x - mean) * inv_std and y = xhat * gamma + beta, per column of the (M, C) x."""
        m, c = x.shape
        for r in prange(m):
            for ch in range(c):
                h = (x[r, ch] - mean[ch]) * inv_std[ch]
                xhat[r, ch] = h
                y[r, ch] = h * gamma[ch] + beta[ch]

    @jit
    def batch_norm_backward(dy, xhat, scale, dbeta_m, dgamma_m, dx):
        """dx = scale * (dy - dbeta / m - xhat * dgamma / m), per column of the (M, C) dy."""
        m, c = dy.shape
        for r in prange(m):
            for ch in range(c):
                dx[r, ch] = scale[ch] * (dy[r, ch] - dbeta_m[ch] - xhat[r, ch] * dgamma_m[ch])

    return compile_both(
        numba,
        {
            "channel_sums": channel_sums,
            "batch_norm": batch_norm,
            "batch_norm_backward": batch_norm_backward,
            "im2col": im2col,
            "im2col_1channel": im2col_1channel,
            "col2im": col2im,
            "max_pool": max_pool,
            "max_pool_backward": max_pool_backward,
            "relu": relu,
            "relu_backward": relu_backward,
        },
    )


# -- the replacements, registered with the seam ---------------------------------------------------
def _conv2d():
    """conv2d: the reference's im2col + GEMM with the copy compiled; the input gradient as one GEMM
    for every window's gradient, then a compiled col2im that sums them per window (not per tap)."""
    compiled()  # ImportError without numba
    from neuronio.ops._windows import unpad_hw
    from neuronio.ops.conv import weight_matrix

    def im2col(op, xp, kernel, ones):
        kh, kw, c, _ = kernel.shape
        n, oh, ow = op.output_hw(xp, kernel)
        cols = np.empty((n * oh * ow, kh * kw * c + ones), dtype=xp.dtype)
        k = threads_for(cols.size)
        if c == 1:
            k.im2col_1channel(xp.reshape(xp.shape[:3]), kh, kw, *op.strides, *op.dilation, cols)
        else:
            k.im2col(xp, kh, kw, *op.strides, *op.dilation, cols)
        return cols

    def forward(op, x, kernel, bias):
        xp = op.padded(x)
        n, oh, ow = op.output_hw(xp, kernel)
        cols = im2col(op, xp, kernel, bias is not None)
        y = cols @ weight_matrix(kernel, bias)
        op.save_for_backward(x, kernel, cols)
        return op.activate(y.reshape(n, oh, ow, kernel.shape[-1]))

    def backward(op, dy):
        x, kernel, _ = op.saved
        dkernel, dbias = op.kernel_gradients(dy, lambda: im2col(op, op.padded(x), kernel, False))
        dx = None
        if op.needs_input_grad[0]:
            f = kernel.shape[-1]
            dcols = dy.reshape(-1, f) @ kernel.reshape(-1, f).T  # (N*OH*OW, KH*KW*C)
            dxp = np.empty(op.padded_shape(x), dtype=dcols.dtype)
            threads_for(dcols.size).col2im(dcols, kernel.shape[0], kernel.shape[1], *op.strides, *op.dilation, dxp)
            dx = unpad_hw(dxp, op.pads).astype(x.dtype, copy=False)
        return op.gradients(dx, dkernel, dbias)

    return _kernels.Replacement(forward, backward, {"im2col": im2col})


def _max_pool2d():
    """max_pool2d: one pass keeping each window's winning tap; backward routes dy to it."""
    compiled()  # ImportError without numba
    from neuronio.ops._windows import pad_hw, unpad_hw

    def forward(op, x):
        (kh, kw), (sh, sw) = op.pool_size, op.strides
        xp = np.ascontiguousarray(pad_hw(x, op.pads, value=-np.inf))
        shape = (xp.shape[0], (xp.shape[1] - kh) // sh + 1, (xp.shape[2] - kw) // sw + 1, xp.shape[3])
        y = np.empty(shape, dtype=x.dtype)
        winner = np.empty(shape, dtype=op.winner_dtype())
        threads_for(xp.size).max_pool(xp, kh, kw, sh, sw, y, winner)
        op.save_for_backward(winner, xp.shape)
        return y

    def backward(op, dy):
        winner, xp_shape = op.saved
        dxp = np.empty(xp_shape, dtype=dy.dtype)
        threads_for(dxp.size).max_pool_backward(np.ascontiguousarray(dy), winner, *op.pool_size, *op.strides, dxp)
        return unpad_hw(dxp, op.pads)

    return _kernels.Replacement(forward, backward)


CHUNKS = 64  # batch norm's fixed blocks of rows: the sums do not depend on the thread count


def _batch_norm():
    """batch_norm: two passes each way (shifted float64 sums in fixed blocks, then the map)."""
    compiled()  # ImportError without numba

    def forward(op, x, gamma, beta):
        c = x.shape[-1]
        x2 = np.ascontiguousarray(x).reshape(-1, c)  # (M, C)
        m = x2.shape[0]
        k = threads_for(x2.size)
        shift = x2[0].astype(np.float64)  # any sample near the mean keeps the sums' digits
        sums = np.zeros((2, c))
        k.channel_sums(x2, x2, shift, CHUNKS, sums)
        offset = sums[0] / m
        mean = (shift + offset).astype(x.dtype)
        var = np.maximum(sums[1] / m - offset * offset, 0.0).astype(x.dtype)
        inv_std = (1.0 / np.sqrt(var + x.dtype.type(op.epsilon))).astype(x.dtype)
        xhat, y = np.empty_like(x2), np.empty_like(x2)
        k.batch_norm(x2, mean, inv_std, _flat(gamma, x.dtype), _flat(beta, x.dtype), xhat, y)
        op.mean, op.var = mean, var
        op.save_for_backward(xhat.reshape(x.shape), gamma, inv_std.reshape((1,) * (x.ndim - 1) + (c,)))
        return y.reshape(x.shape)

    def backward(op, dy):
        xhat, gamma, inv_std = op.saved
        m, c = op.count(dy), dy.shape[-1]
        dy2, xhat2 = np.ascontiguousarray(dy).reshape(-1, c), xhat.reshape(-1, c)
        k = threads_for(dy2.size)
        sums = np.zeros((2, c))
        k.channel_sums(dy2, xhat2, np.zeros(c), CHUNKS, sums)
        dbeta, dgamma = sums[0].astype(dy.dtype), sums[1].astype(dy.dtype)
        dx = None
        if op.needs_input_grad[0]:
            dx = np.empty_like(dy2)
            k.batch_norm_backward(dy2, xhat2, _flat(gamma * inv_std, dy.dtype), dbeta / m, dgamma / m, dx)
            dx = dx.reshape(dy.shape)
        return dx, dgamma.reshape(gamma.shape), dbeta.reshape(gamma.shape)

    return _kernels.Replacement(forward, backward)


def _flat(a, dtype):
    """A per-channel parameter (any broadcast shape) as a contiguous (C,) array of `dtype`."""
    return np.ascontiguousarray(np.asarray(a, dtype=dtype).reshape(-1))


def _relu():
    """relu: one pass each way, no temporaries (NaN stays NaN, as np.maximum keeps it)."""
    compiled()  # ImportError without numba

    def forward(op, x):
        x = np.ascontiguousarray(x)
        y = np.empty_like(x)
        threads_for(x.size).relu(x.reshape(-1), y.reshape(-1))
        op.save_for_backward(y)
        return y

    def backward(op, dy):
        (y,) = op.saved
        dx = np.empty_like(y)
        threads_for(dx.size).relu_backward(np.ascontiguousarray(dy).reshape(-1), y.reshape(-1), dx.reshape(-1))
        return dx

    return _kernels.Replacement(forward, backward)


_kernels.register("conv2d", "numba", _conv2d)
_kernels.register("max_pool2d", "numba", _max_pool2d)
_kernels.register("batch_norm", "numba", _batch_norm)
_kernels.register("relu", "numba", _relu)
