"""Numerical gradient checks by central differences, public so that students can use them.

Two checks, both in float64 (STYLE B3):
- `full`: every entry of every input is perturbed; exact but costs two forward passes per entry,
  so use it on tiny inputs (up to a few hundred entries);
- `direction`: the inputs are perturbed together along one random direction d and the slope
  (L(x + eps d) - L(x - eps d)) / 2 eps is compared with <grad, d>; two forward passes in all.

A non-scalar output y is reduced to L = sum(y * w) with a fixed random w, so every output entry
takes part.
"""

import numpy as np

from neuronio import config
from neuronio.autodiff.tape import GradientTape, no_grad
from neuronio.autodiff.tensor import Tensor, Variable, same_object_index

# Central differences in float64 have truncation error O(eps^2) and rounding error
# O(1e-16 / eps); eps = 1e-6 balances them near 1e-10 for smooth functions of O(1) values.
EPS = 1e-6
# An analytic gradient is accepted when |analytic - numeric| <= ATOL + RTOL * |numeric|.
ATOL = 1e-6
RTOL = 1e-5


class GradientCheckError(AssertionError):
    """The analytic gradient disagrees with the numerical one."""


def check_gradients(fn, inputs, params=(), mode="full", eps=EPS, atol=ATOL, rtol=RTOL, seed=0):
    """Compare the tape's gradients of `fn` with central differences; return the largest error.

    Args:
        fn: callable taking Tensors (one per input) and returning a Tensor.
        inputs: arrays (converted to float64 Tensors) or float64 Tensors.
        params: float64 Variables `fn` uses (e.g. a layer's weights); checked too.
        mode: "full" or "direction".

    Returns:
        The largest absolute difference |analytic - numeric| over everything checked.

    Raises:
        GradientCheckError: when some difference exceeds atol + rtol * |numeric|.
    """
    if mode not in ("full", "direction"):
        raise ValueError(f"mode must be 'full' or 'direction'; received mode={mode!r}.")
    rng = np.random.default_rng(seed)
    with config.floatx_scope("float64"):
        tensors = [x if isinstance(x, Tensor) else Tensor(np.array(x, dtype="float64")) for x in inputs]
        for t in list(tensors) + list(params):
            if t.dtype != np.float64:
                raise TypeError(f"Gradient checks need float64 values; received {t.dtype}.")
        targets = tensors + list(params)
        with GradientTape() as tape:
            for t in tensors:
                tape.watch(t)
            y = fn(*tensors)
        w = rng.standard_normal(y.shape)
        analytic = tape.gradient(y, targets, output_gradients=w, unconnected_gradients="zero")
        analytic = [g.data for g in analytic]

        def loss() -> float:
            with no_grad():
                return float(np.sum(fn(*tensors).data * w))

        if mode == "full":
            numeric = [_numeric_full(loss, t, eps) for t in targets]
            worst = 0.0
            for t, a, n in zip(targets, analytic, numeric):
                worst = max(worst, _compare(a, n, atol, rtol, _who(t, tensors)))
            return worst
        directions = [rng.standard_normal(t.shape) for t in targets]
        for t, d in zip(targets, directions):
            t.data += eps * d
        plus = loss()
        for t, d in zip(targets, directions):
            t.data -= 2 * eps * d
        minus = loss()
        for t, d in zip(targets, directions):
            t.data += eps * d
        numeric_slope = (plus - minus) / (2 * eps)
        analytic_slope = float(sum(np.sum(a * d) for a, d in zip(analytic, directions)))
        return _compare(np.array(analytic_slope), np.array(numeric_slope), atol, rtol, "direction")


def _numeric_full(loss, t: Tensor, eps: float) -> np.ndarray:
    grad = np.zeros(t.shape)
    flat = t.data.reshape(-1)  # a view: perturbing it perturbs t
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        plus = loss()
        flat[i] = saved - eps
        minus = loss()
        flat[i] = saved
        grad.reshape(-1)[i] = (plus - minus) / (2 * eps)
    return grad


def _who(t, tensors) -> str:
    if isinstance(t, Variable):
        return f"parameter '{t.path}'"
    i = same_object_index(tensors, t)  # the inputs come first in targets
    return f"input {i if i >= 0 else '?'}"


def _compare(analytic, numeric, atol, rtol, who) -> float:
    error = np.abs(analytic - numeric)
    bad = error > atol + rtol * np.abs(numeric)
    if bad.any():
        i = np.unravel_index(np.argmax(error - rtol * np.abs(numeric)), error.shape)
        raise GradientCheckError(
            f"Gradient of {who} is wrong at index {tuple(map(int, i))}: analytic "
            f"{analytic[i]:.8g}, numeric {numeric[i]:.8g} (|diff| {error[i]:.3g} > "
            f"atol {atol} + rtol {rtol} * |numeric|); {int(bad.sum())} of {bad.size} entries fail."
        )
    return float(error.max()) if error.size else 0.0
