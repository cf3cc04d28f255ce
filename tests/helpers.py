"""Shared test machinery: one declarative OpCase per op, and check_layer for layers.

Every op test goes through `check_op`, so "every gradient is checked" is a property of the
harness, not of each test's diligence (Chainer's FunctionTestCase, tinygrad's helper_test_op).
"""

import dataclasses
from collections.abc import Callable

import numpy as np

from neuronio import config
from neuronio.autodiff import Tensor, check_gradients

# Forward results in float32 are compared with a float64 reference: float32 keeps about 7
# significant digits, and a reduction or product of a few hundred terms loses one or two.
FORWARD_RTOL = 1e-5
FORWARD_ATOL = 1e-5
# Above this many input entries the full-Jacobian check is too slow (STYLE B3): use a direction.
FULL_JACOBIAN_MAX_ENTRIES = 400


@dataclasses.dataclass
class OpCase:
    """One op under test.

    fn: the public op called on Tensors, e.g. `lambda x, k: ops.conv2d(x, k, strides=2)`.
    inputs: rng -> tuple of float64 arrays (sampled away from kinks and ties).
    reference: obviously-correct NumPy version taking the same arrays (float64), or None when
        the forward is asserted elsewhere.
    binary: also run the broadcast grid (for elementwise binary ops).
    """

    name: str
    fn: Callable
    inputs: Callable
    reference: Callable | None = None
    binary: bool = False
    check_grad: bool = True


# Broadcast grid (autograd's binary_ufunc_check): each shape against each other that broadcasts.
BROADCAST_SHAPES = [(), (2,), (3, 2), (1, 2), (3, 1), (4, 3, 2)]


def check_op(case: OpCase, seed: int = 0) -> float:
    """Run every check on `case`; return the largest gradient error found."""
    rng = np.random.default_rng(seed)
    arrays = case.inputs(rng)
    # 1. Forward in float32 against the float64 reference; dtype is preserved.
    y32 = case.fn(*[Tensor(a.astype(np.float32)) for a in arrays])
    assert isinstance(y32, Tensor), f"{case.name} returned {type(y32).__name__}, not a Tensor"
    assert y32.dtype == np.float32, f"{case.name}: dtype mismatch, float32 in but {y32.dtype} out"
    if case.reference is not None:
        expected = np.asarray(case.reference(*arrays))
        assert y32.shape == expected.shape, f"{case.name}: shape {y32.shape} != reference {expected.shape}"
        np.testing.assert_allclose(y32.numpy(), expected, rtol=FORWARD_RTOL, atol=FORWARD_ATOL,
                                   err_msg=f"{case.name}: forward differs from the reference")
    # 2. float64 stays float64 (the gradient-check path).
    y64 = case.fn(*[Tensor(a.astype(np.float64)) for a in arrays])
    assert y64.dtype == np.float64, f"{case.name}: float64 in but {y64.dtype} out"
    worst = 0.0
    # 3. Gradient check: full Jacobian on small inputs, a random direction on large ones.
    if case.check_grad:
        mode = "full" if sum(a.size for a in arrays) <= FULL_JACOBIAN_MAX_ENTRIES else "direction"
        worst = check_gradients(case.fn, [a.astype(np.float64) for a in arrays], mode=mode, seed=seed)
    # 4. Broadcast grid for binary ops: values and gradients for every pair of shapes.
    if case.binary:
        base = arrays
        for sa in BROADCAST_SHAPES:
            for sb in BROADCAST_SHAPES:
                try:
                    np.broadcast_shapes(sa, sb)
                except ValueError:
                    continue
                a = _like(base[0], sa, rng)
                b = _like(base[1], sb, rng)
                if case.reference is not None:
                    got = case.fn(Tensor(a), Tensor(b)).numpy()
                    np.testing.assert_allclose(got, case.reference(a, b), rtol=1e-12, atol=1e-12)
                worst = max(worst, check_gradients(case.fn, [a, b], mode="full", seed=seed))
    return worst


def _like(sample: np.ndarray, shape, rng) -> np.ndarray:
    """Values drawn from the same range as `sample`, in a new shape (float64)."""
    low, high = float(sample.min()), float(sample.max())
    return rng.uniform(low, high, size=shape) if shape else np.float64(rng.uniform(low, high)) * np.ones(())


def away_from(values: np.ndarray, points=(0.0,), margin: float = 0.05) -> np.ndarray:
    """Move entries within `margin` of a kink (e.g. relu's 0) out of that band."""
    values = np.array(values, dtype=np.float64)
    for p in points:
        near = np.abs(values - p) < margin
        values[near] = p + np.where(values[near] >= p, margin, -margin) * 2
    return values


def float64_scope():
    """Context: layers built inside create float64 weights (for gradient checks)."""
    return config.floatx_scope("float64")
