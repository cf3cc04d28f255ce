"""Compiled loops for the memory-bound work around the GEMMs (the optional `fast` extra: numba).

A training step of the decks' CNNs spends its FLOPs in GEMMs, which OpenBLAS runs well, but a
third of its time in NumPy copies and scatters around them: the im2col copy (a strided 6-D view
reshaped, one thread, a few floats per run for a 1-channel input), col2im, max-pooling's per-tap
masks, ReLU's boolean temporaries and Adam's seven passes over the weights. Each of these is one
loop over the batch here, compiled by numba and run on every core, touching each byte once.

Every kernel computes what the NumPy path in the op computes, in the same order and dtype, so the
values are identical, except where a kernel sums in another order (col2im, and max-pooling's
gradient where windows overlap): there they differ by float rounding. The tests run both paths on
the same inputs (tests/ops/test_compiled.py). Without numba, or with
`config.set_compiled_kernels(False)` (or NEURONIO_COMPILED_KERNELS=0), `kernels(size)` returns None and
the ops take their NumPy path. Kernels compile on first use and are cached on disk by numba.

Conventions: arrays are C-contiguous, channels-last; loops run over the batch in parallel
(`prange`), with the channel loop innermost so that it vectorises. Only `channel_sums` reduces
across the batch, in fixed blocks added in a fixed order, so no result depends on the thread count.
"""

import os
import threading

import numpy as np

from neuronio import config

_LOCK = threading.Lock()
_KERNELS = None  # the namespace of compiled kernels once built; False when numba is missing
# Below this many elements a kernel's dispatch to the thread pool costs more than it saves: the
# lab's single image (a 0.5 ms forward pass) stays on NumPy.
MIN_SIZE = 1 << 16


def kernels(size: int):
    """The compiled kernels for work on `size` elements, or None: NumPy's path is the one to take
    when numba is not installed, the kernels are turned off, or the work is smaller than MIN_SIZE."""
    if size < MIN_SIZE or not config.compiled_kernels() or not available():
        return None
    return _KERNELS


def available() -> bool:
    """Whether numba is installed (whatever the switch says); builds the kernels the first time."""
    global _KERNELS
    if _KERNELS is None:
        with _LOCK:
            if _KERNELS is None:
                _KERNELS = _build() or False
    return bool(_KERNELS)


class _Kernels:
    """The compiled functions, wrapped so that one thread runs a parallel kernel at a time.

    numba's workqueue threading layer (chosen in _build) aborts the process if two Python threads
    launch parallel kernels at once (the lab serves requests from threads); the lock makes that
    impossible, at ~0.1 us a call.
    """

    def __init__(self, functions: dict):
        for name, function in functions.items():
            setattr(self, name, _serialised(function))


def _serialised(function):
    def call(*args):
        with _LOCK:
            return function(*args)

    call.__name__ = function.__name__
    return call


def _build():
    try:
        import numba
    except ImportError:
        return None
    if "NUMBA_THREADING_LAYER" not in os.environ:
        # numba's own thread pool sleeps between kernels; OpenMP's threads spin for a while after
        # each one, stealing the cores from the OpenBLAS GEMM that runs next (a seed-CNN step took
        # 106 ms with them spinning against 41 ms without).
        numba.config.THREADING_LAYER = "workqueue"
    njit, prange = numba.njit, numba.prange
    jit = njit(parallel=True, cache=True, nogil=True)

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
    def adam(w, g, m, v, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon, alpha):
        """Adam's update in one pass, each operation rounded in w's dtype as the NumPy path does."""
        for k in prange(w.size):
            gk = g[k]
            mk = m[k] * beta_1 + gk * one_minus_beta_1
            vk = v[k] * beta_2 + (gk * gk) * one_minus_beta_2
            m[k] = mk
            v[k] = vk
            w[k] -= (mk / (np.sqrt(vk) + epsilon)) * alpha

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

    return _Kernels(
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
            "adam": adam,
        }
    )
