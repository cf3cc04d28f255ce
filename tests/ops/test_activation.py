import math

import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Variable
from neuronio.errors import ShapeError
from neuronio.ops.activation import SELU_ALPHA, SELU_SCALE, _erf
from tests.helpers import OpCase, away_from, check_op

# Cody's erf against the C library's (math.erf): both are correctly rounded to within a few
# units in the last place; 2 ulp of 1.0 is 4.4e-16.
ERF_ATOL = 4.5e-16
# A float32 erf carries float32 rounding: about 1 ulp of 1.0 (1.2e-7), with margin.
ERF32_ATOL = 3e-7

_np_erf = np.vectorize(math.erf)  # a Python loop: fine for a test reference, banned in ops


def _uniform(low, high, shape, kinks=()):
    return lambda rng: (away_from(rng.uniform(low, high, shape), kinks),)


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def _np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def _prelu_inputs(x_shape, alpha_shape):
    return lambda rng: (away_from(rng.normal(size=x_shape), (0.0,)), rng.uniform(0.05, 0.5, alpha_shape))


def _np_prelu(x, alpha):
    return np.where(x > 0, x, alpha * x)


CASES = [
    OpCase("relu", ops.relu, _uniform(-2, 2, (3, 4), (0.0,)), lambda x: np.maximum(x, 0)),
    OpCase("relu_large", ops.relu, _uniform(-2, 2, (64, 20), (0.0,)), lambda x: np.maximum(x, 0)),
    OpCase("relu6", ops.relu6, _uniform(-2, 8, (4, 5), (0.0, 6.0)), lambda x: np.clip(x, 0, 6)),
    OpCase("leaky_relu", ops.leaky_relu, _uniform(-2, 2, (3, 4), (0.0,)), lambda x: np.where(x > 0, x, 0.2 * x)),
    OpCase(
        "leaky_relu_slope",
        lambda x: ops.leaky_relu(x, negative_slope=0.01),
        _uniform(-2, 2, (3, 4), (0.0,)),
        lambda x: np.where(x > 0, x, 0.01 * x),
    ),
    OpCase("prelu", ops.prelu, _prelu_inputs((3, 4), (4,)), _np_prelu),
    OpCase("prelu_shared_axes", ops.prelu, _prelu_inputs((2, 3, 3, 2), (1, 1, 2)), _np_prelu),
    OpCase("prelu_scalar_alpha", ops.prelu, _prelu_inputs((3, 4), ()), _np_prelu),
    OpCase("elu", ops.elu, _uniform(-3, 2, (3, 4), (0.0,)), _np_elu),
    OpCase("elu_alpha", lambda x: ops.elu(x, alpha=0.5), _uniform(-3, 2, (3, 4), (0.0,)), lambda x: _np_elu(x, 0.5)),
    OpCase("selu", ops.selu, _uniform(-3, 2, (3, 4), (0.0,)), lambda x: SELU_SCALE * _np_elu(x, SELU_ALPHA)),
    OpCase("sigmoid", ops.sigmoid, _uniform(-8, 8, (3, 5)), _np_sigmoid),
    OpCase(
        "hard_sigmoid", ops.hard_sigmoid, _uniform(-5, 5, (4, 5), (-3.0, 3.0)), lambda x: np.clip(x / 6 + 0.5, 0, 1)
    ),
    OpCase("tanh", ops.tanh, _uniform(-3, 3, (3, 4)), np.tanh),
    OpCase("arctan", ops.arctan, _uniform(-4, 4, (3, 4)), np.arctan),
    OpCase("softplus", ops.softplus, _uniform(-20, 20, (4, 5)), lambda x: np.log1p(np.exp(x))),
    OpCase("softsign", ops.softsign, _uniform(-4, 4, (3, 4)), lambda x: x / (1 + np.abs(x))),
    OpCase("silu", ops.silu, _uniform(-6, 6, (3, 4)), lambda x: x * _np_sigmoid(x)),
    OpCase(
        "gelu",
        lambda x: ops.gelu(x, approximate=False),
        _uniform(-5, 5, (4, 5)),
        lambda x: 0.5 * x * (1 + _np_erf(x / np.sqrt(2))),
    ),
    OpCase(
        "gelu_large",
        lambda x: ops.gelu(x, approximate=False),
        _uniform(-6, 6, (32, 16)),
        lambda x: 0.5 * x * (1 + _np_erf(x / np.sqrt(2))),
    ),
    OpCase("gelu_approximate", lambda x: ops.gelu(x, approximate=True), _uniform(-5, 5, (4, 5)), _np_gelu_tanh),
    OpCase("binary_step", ops.binary_step, _uniform(-2, 2, (3, 4), (0.0,)), lambda x: (x >= 0).astype(float)),
    OpCase("softmax", ops.softmax, _uniform(-3, 3, (3, 5)), _np_softmax),
    OpCase("softmax_axis0", lambda x: ops.softmax(x, axis=0), _uniform(-3, 3, (4, 3)), lambda x: _np_softmax(x, 0)),
    OpCase(
        "softmax_tuple",
        lambda x: ops.softmax(x, axis=(1, 2)),
        _uniform(-3, 3, (2, 3, 2)),
        lambda x: _np_softmax(x, (1, 2)),
    ),
    OpCase("softmax_large", ops.softmax, _uniform(-5, 5, (32, 10)), _np_softmax),
    OpCase("log_softmax", ops.log_softmax, _uniform(-3, 3, (3, 5)), lambda x: np.log(_np_softmax(x))),
    OpCase(
        "log_softmax_axis0",
        lambda x: ops.log_softmax(x, axis=0),
        _uniform(-3, 3, (4, 3)),
        lambda x: np.log(_np_softmax(x, 0)),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


# -- erf ---------------------------------------------------------------------------------------
def test_erf_matches_math_erf_on_a_grid_in_float64():
    # Dense over every interval of Cody's approximation and their borders (0.46875, 4).
    x = np.concatenate([np.linspace(-7, 7, 14001), [0.46875, -0.46875, 4.0, -4.0, 0.0, 27.0, -40.0, 1e-300]])
    got = _erf(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, _np_erf(x), rtol=0, atol=ERF_ATOL)


def test_erf_keeps_float32():
    x = np.linspace(-5, 5, 1001).astype(np.float32)
    got = _erf(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, _np_erf(x.astype(np.float64)), rtol=0, atol=ERF32_ATOL)


def test_gelu_is_exact_by_default():
    x = np.array([-1.0, 1.0], np.float64)
    np.testing.assert_allclose(
        ops.gelu(x, approximate=False).numpy(), x * 0.5 * (1 + _np_erf(x / np.sqrt(2))), rtol=1e-15
    )
    assert abs(ops.gelu(x, approximate=False).numpy()[1] - ops.gelu(x, approximate=True).numpy()[1]) > 1e-5


# -- kinks: one written convention each (ops/activation.py docstrings) -----------------------------
def _grad(fn, values, *args):
    x = Variable(np.array(values, np.float64))
    with GradientTape() as tape:
        y = fn(x, *args)
    return tape.gradient(y, x).numpy()


@pytest.mark.parametrize(
    "fn, points, expected",
    [
        (ops.relu, [0.0], [0.0]),
        (ops.relu6, [0.0, 6.0], [0.0, 0.0]),
        (ops.leaky_relu, [0.0], [0.2]),
        (ops.hard_sigmoid, [-3.0, 3.0], [0.0, 0.0]),
        (ops.elu, [0.0], [1.0]),
        (lambda x: ops.elu(x, alpha=0.5), [0.0], [1.0]),
        (ops.selu, [0.0], [SELU_SCALE]),
        (ops.binary_step, [-1.0, 0.0, 1.0], [0.0, 0.0, 0.0]),
    ],
    ids=["relu", "relu6", "leaky_relu", "hard_sigmoid", "elu", "elu_alpha", "selu", "binary_step"],
)
def test_gradient_at_kinks(fn, points, expected):
    np.testing.assert_array_equal(_grad(fn, points), expected)


def test_prelu_gradient_at_zero_is_alpha_for_x_and_zero_for_alpha():
    x = Variable(np.zeros(2, np.float32))
    alpha = Variable(np.array([0.25, 0.5], np.float32))
    with GradientTape() as tape:
        y = ops.prelu(x, alpha)
    dx, dalpha = tape.gradient(y, [x, alpha])
    np.testing.assert_array_equal(dx.numpy(), [0.25, 0.5])
    np.testing.assert_array_equal(dalpha.numpy(), [0.0, 0.0])


# -- numerical stability -------------------------------------------------------------------------
def test_extreme_inputs_give_no_overflow_and_the_limits():
    x = np.array([-1000.0, 1000.0], np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow to 0 is the right answer
        np.testing.assert_array_equal(ops.sigmoid(x).numpy(), [0, 1])
        np.testing.assert_array_equal(ops.softplus(x).numpy(), [0, 1000])
        np.testing.assert_array_equal(ops.elu(x).numpy(), [-1, 1000])
        np.testing.assert_array_equal(ops.softmax(x).numpy(), [0, 1])
        np.testing.assert_array_equal(ops.log_softmax(x).numpy(), [-2000, 0])
        np.testing.assert_array_equal(ops.silu(x).numpy(), [0, 1000])
        np.testing.assert_array_equal(ops.gelu(x).numpy(), [0, 1000])


def test_softmax_rows_sum_to_one_and_shift_does_not_matter():
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    y = ops.softmax(x).numpy()
    np.testing.assert_allclose(y.sum(axis=-1), 1, rtol=1e-6)
    np.testing.assert_allclose(ops.softmax(x + 100).numpy(), y, rtol=1e-5)


# -- errors --------------------------------------------------------------------------------------
def test_prelu_alpha_must_broadcast_to_x():
    with pytest.raises(ShapeError, match=r"alpha of shape \(3,\) must broadcast to x's shape \(2, 4\)"):
        ops.prelu(np.ones((2, 4), np.float32), np.ones(3, np.float32))
    with pytest.raises(ShapeError, match=r"alpha of shape \(1, 2, 4\) must broadcast to x's shape \(2, 4\)"):
        ops.prelu(np.ones((2, 4), np.float32), np.ones((1, 2, 4), np.float32))


def test_numeric_arguments_are_checked():
    x = np.ones(2, np.float32)
    with pytest.raises(TypeError, match=r"leaky_relu: negative_slope must be a number; received negative_slope='0.1'"):
        ops.leaky_relu(x, negative_slope="0.1")
    with pytest.raises(TypeError, match=r"elu: alpha must be a number; received alpha=None"):
        ops.elu(x, alpha=None)
    with pytest.raises(TypeError, match=r"gelu: approximate must be True or False; received approximate='tanh'"):
        ops.gelu(x, approximate="tanh")


def test_softmax_axis_out_of_range():
    with pytest.raises(ShapeError, match=r"softmax: axis 2 is out of range for a tensor of rank 2 \(shape \(2, 3\)\)"):
        ops.softmax(np.ones((2, 3), np.float32), axis=2)
