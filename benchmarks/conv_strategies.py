"""Strategies for the parts of a convolution's backward pass, timed in isolation (best of 15).

    python benchmarks/conv_strategies.py

The shapes are the seed CNN's two layers and the CIFAR-10 CNN's 32x32x32 layer at batch 128.
It compares, for the kernel gradient, cols^T @ dy against (dy^T @ cols)^T; and for the input
gradient, one GEMM for the window gradients followed by col2im (a loop over taps adding
strided C-wide strips) against one small GEMM per tap added straight onto the input gradient.
The figures behind the choices in neuronio/ops/conv.py come from this script.
"""

import time

import numpy as np


def best_ms(fn, repeats=15) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best * 1e3


def col2im(dcols, xp_shape):
    _, oh, ow, kh, kw, _ = dcols.shape
    dxp = np.zeros(xp_shape, dtype=dcols.dtype)
    for a in range(kh):
        for b in range(kw):
            dxp[:, a : a + oh, b : b + ow, :] += dcols[:, :, :, a, b, :]
    return dxp


def tap_gemms(dy2, kernel, x_shape):
    n, h, w, c = x_shape
    kh, kw, _, f = kernel.shape
    oh, ow = h - kh + 1, w - kw + 1
    kernel_t = np.ascontiguousarray(kernel.transpose(0, 1, 3, 2))
    dx = np.zeros(x_shape, dtype=dy2.dtype)
    tap = np.empty((n * oh * ow, c), dtype=dy2.dtype)
    for a in range(kh):
        for b in range(kw):
            np.matmul(dy2, kernel_t[a, b], out=tap)
            dx[:, a : a + oh, b : b + ow, :] += tap.reshape(n, oh, ow, c)
    return dx


def measure(label, n, h, c, f, k, rng) -> str:
    oh = h - k + 1
    x = rng.random((n, h, h, c), dtype=np.float32)
    kernel = rng.random((k, k, c, f), dtype=np.float32)
    kmat = kernel.reshape(-1, f)
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(1, 2))  # (N, OH, OW, C, KH, KW)
    cols = np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3)).reshape(-1, k * k * c)
    dy2 = rng.random((n * oh * oh, f), dtype=np.float32)

    def gemm_then_col2im():
        return col2im((dy2 @ kmat.T).reshape(n, oh, oh, k, k, c), x.shape)

    assert np.allclose(gemm_then_col2im(), tap_gemms(dy2, kernel, x.shape), rtol=1e-4, atol=1e-2)
    return (
        f"{label:30s}{best_ms(lambda: cols.T @ dy2):14.2f}{best_ms(lambda: (dy2.T @ cols).T):16.2f}"
        f"{best_ms(gemm_then_col2im):16.2f}{best_ms(lambda: tap_gemms(dy2, kernel, x.shape)):15.2f}"
    )


def main():
    rng = np.random.default_rng(0)
    print("layer                         dkernel cols^T@dy  (dy^T@cols)^T   dx GEMM+col2im  dx tap GEMMs   (ms)")
    print(measure("seed CNN conv1 28x28x1->32", 128, 28, 1, 32, 5, rng))
    print(measure("seed CNN conv2 12x12x32->64", 128, 12, 32, 64, 5, rng))
    print(measure("CIFAR CNN 32x32x32->32 3x3", 128, 32, 32, 32, 3, rng))
    print(measure("CIFAR CNN 15x15x64->64 3x3", 128, 15, 64, 64, 3, rng))
    print(measure("LeNet conv2 12x12x12->25", 128, 12, 12, 25, 5, rng))


if __name__ == "__main__":
    main()
