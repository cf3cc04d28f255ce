import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Tensor, Variable
from neuronio.errors import DTypeError, ShapeError
from tests.helpers import OpCase, check_op


def _positive(shape):
    return lambda rng: (rng.uniform(0.5, 2.0, shape),)


def _two(shape_a, shape_b, low=-2.0, high=2.0):
    return lambda rng: (rng.uniform(low, high, shape_a), rng.uniform(low, high, shape_b))


def _separated(rng):
    # maximum/minimum: keep |a - b| >= 0.1 so no tie sits within the finite-difference step.
    a = rng.uniform(-2, 2, (3, 4))
    b = a + rng.choice([-1, 1], size=(3, 4)) * rng.uniform(0.1, 1.0, (3, 4))
    return a, b


CASES = [
    OpCase("add", ops.add, _two((3, 2), (2,)), np.add, binary=True),
    OpCase("subtract", ops.subtract, _two((3, 2), (3, 1)), np.subtract, binary=True),
    OpCase("multiply", ops.multiply, _two((4, 3, 2), (3, 2)), np.multiply, binary=True),
    OpCase("divide", ops.divide, _two((3, 2), (2,), 0.5, 2.0), np.divide, binary=True),
    OpCase("maximum", ops.maximum, _separated, np.maximum),
    OpCase("minimum", ops.minimum, _separated, np.minimum),
    OpCase("negative", ops.negative, lambda rng: (rng.normal(size=(3, 4)),), np.negative),
    OpCase("power", lambda x: ops.power(x, 3), _positive((3, 4)), lambda x: x**3),
    OpCase("power_fractional", lambda x: ops.power(x, 0.5), _positive((5,)), np.sqrt),
    OpCase("exp", ops.exp, lambda rng: (rng.uniform(-2, 2, (3, 4)),), np.exp),
    OpCase("log", ops.log, _positive((3, 4)), np.log),
    OpCase("sqrt", ops.sqrt, _positive((3, 4)), np.sqrt),
    OpCase("square", ops.square, lambda rng: (rng.normal(size=(3, 4)),), np.square),
    OpCase("abs", ops.abs, lambda rng: (rng.choice([-1, 1], (3, 4)) * rng.uniform(0.1, 2, (3, 4)),), np.abs),
    OpCase(
        "clip",
        lambda x: ops.clip(x, -1.0, 1.0),
        lambda rng: (rng.choice([-1.5, -0.5, 0.5, 1.5], (3, 4)) + rng.uniform(-0.2, 0.2, (3, 4)),),
        lambda x: np.clip(x, -1, 1),
    ),
    OpCase(
        "where",
        lambda a, b: ops.where(np.array([True, False, True]), a, b),
        _two((2, 3), (3,)),
        lambda a, b: np.where([True, False, True], a, b),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_cast_roundtrip_gradient_has_input_dtype():
    x = Variable(np.ones(3, np.float32))
    with GradientTape() as tape:
        y = ops.cast(x, "float64") * 2.0
    assert y.dtype == np.float64
    (dx,) = tape.gradient(y, [x])
    assert dx.dtype == np.float32
    np.testing.assert_array_equal(dx.numpy(), [2, 2, 2])


def test_python_and_numpy_scalars_keep_float32():
    x = Tensor(np.ones(3, np.float32))
    assert (x * 0.5).dtype == np.float32
    assert (x * np.float64(0.5)).dtype == np.float32
    assert (2 - x).dtype == np.float32
    assert (np.float64(1.0) / x).dtype == np.float32


def test_ties_of_maximum_go_to_first_argument():
    a = Variable(np.array([1.0, 2.0], np.float32))
    b = Variable(np.array([1.0, 3.0], np.float32))
    with GradientTape() as tape:
        y = ops.maximum(a, b)
    da, db = tape.gradient(y, [a, b])
    np.testing.assert_array_equal(da.numpy(), [1, 0])
    np.testing.assert_array_equal(db.numpy(), [0, 1])


def test_shapes_that_do_not_broadcast_are_named():
    with pytest.raises(ShapeError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        ops.add(np.ones((2, 3), np.float32), np.ones(4, np.float32))


def test_integer_tensor_input_is_refused_with_a_cast_hint():
    with pytest.raises(DTypeError, match=r"SigmoidOp expects floating-point inputs.*int64.*astype"):
        ops.sigmoid(Tensor(np.arange(3)))


def test_exp_log_sqrt_of_integers_are_floatx_as_in_keras():
    assert ops.exp(Tensor(np.arange(3))).dtype == np.float32
    assert ops.sqrt(Tensor(np.array([4]))).numpy().tolist() == [2.0]


def test_power_takes_a_tensor_exponent_as_keras_does():
    # keras.ops.power(x1, x2) broadcasts a tensor exponent; its gradient is checked in test_math.py.
    y = ops.power(np.array([2.0, 3.0], np.float32), Tensor(np.array([3.0, 2.0], np.float32)))
    assert y.numpy().tolist() == [8.0, 9.0]


def test_clip_refuses_inverted_bounds():
    with pytest.raises(ValueError, match=r"x_min <= x_max; received x_min=1.0, x_max=0.0"):
        ops.clip(np.ones(2, np.float32), 1.0, 0.0)
