"""Elementwise arithmetic with NumPy broadcasting.

Binary ops send their gradients through `sum_to_shape` (the adjoint of broadcasting). Python
numbers take the dtype of the tensor they meet, so `x * 0.5` stays float32 (STYLE C9).
"""

import numpy as np

from neuronio.autodiff.broadcast import sum_to_shape
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, array_of, as_array, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.shape import _apply


def _pair(x, y) -> tuple[Tensor, Tensor]:
    """Two operands as Tensors; a scalar that is not a Tensor adopts the other one's float dtype.

    Without this, `float32_tensor * np.float64(0.5)` would silently become float64 (STYLE B2).
    """
    if isinstance(y, Tensor) and not isinstance(x, Tensor) and _adopts(x, y):
        return Tensor(as_array(x, dtype=y.dtype)), y
    if isinstance(x, Tensor) and not isinstance(y, Tensor) and _adopts(y, x):
        return x, Tensor(as_array(y, dtype=x.dtype))
    return as_tensor(x), as_tensor(y)


def _binary(op: Function, name: str, x, y) -> Tensor:
    """Apply a broadcasting binary op after checking that the shapes broadcast."""
    x, y = _pair(x, y)
    if x.shape != y.shape:
        try:
            np.broadcast_shapes(x.shape, y.shape)
        except ValueError:
            raise ShapeError(
                f"{name}: shapes {x.shape} and {y.shape} cannot be broadcast together "
                f"(trailing axes must be equal or 1)."
            ) from None
    if x.dtype.kind != "f" or y.dtype.kind != "f":
        return _integer_binary(op, name, x, y)
    return op.apply(x, y)


# Keras's promotion for the arithmetic of integer tensors (true division always gives floats).
_FLOAT_RESULT = {"divide"}


def _integer_binary(op: Function, name: str, x: Tensor, y: Tensor) -> Tensor:
    """Integers with integers compute without a graph (no gradient), staying integers; an
    integer meeting a float becomes that float dtype, as Keras promotes (int32 + float32 ->
    float32), and the float side keeps its gradient."""
    if x.dtype.kind == "f" or y.dtype.kind == "f":
        dtype = x.dtype if x.dtype.kind == "f" else y.dtype
        x = x if x.dtype.kind == "f" else Tensor(x.data.astype(dtype))
        y = y if y.dtype.kind == "f" else Tensor(y.data.astype(dtype))
        return op.apply(x, y)
    if name in _FLOAT_RESULT:
        return op.apply(_float(x), _float(y))
    return _apply(op, x, y)


def _float(x) -> Tensor:
    """Integer and bool tensors become floatx constants: Keras's sqrt/exp/log of an int are floats."""
    x = as_tensor(x)
    if x.dtype.kind == "f":
        return x
    from neuronio import config

    return Tensor(x.data.astype(config.floatx()))


def _adopts(scalar, tensor: Tensor) -> bool:
    """Whether a Python scalar takes the tensor's dtype: any number meeting floats, an int
    meeting ints (Keras: int32 tensor + 1 stays int32; + 1.5 becomes float)."""
    if not _is_scalar(scalar):
        return False
    return tensor.dtype.kind == "f" or (tensor.dtype.kind in "iu" and isinstance(scalar, (int, np.integer)))


def _is_scalar(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


# -- binary ------------------------------------------------------------------------------------
class AddOp(Function):
    """y = a + b;  da = dy,  db = dy  (each summed back to its input's shape)."""

    def forward(self, a, b):
        self.save_for_backward(a.shape, b.shape)
        return a + b

    def backward(self, dy):
        a_shape, b_shape = self.saved
        return sum_to_shape(dy, a_shape), sum_to_shape(dy, b_shape)


class SubtractOp(Function):
    """y = a - b;  da = dy,  db = -dy."""

    def forward(self, a, b):
        self.save_for_backward(a.shape, b.shape)
        return a - b

    def backward(self, dy):
        a_shape, b_shape = self.saved
        return sum_to_shape(dy, a_shape), sum_to_shape(-dy, b_shape)


class MultiplyOp(Function):
    """y = a * b;  da = dy * b,  db = dy * a."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, dy):
        a, b = self.saved
        da = sum_to_shape(dy * b, a.shape) if self.needs_input_grad[0] else None
        db = sum_to_shape(dy * a, b.shape) if self.needs_input_grad[1] else None
        return da, db


class DivideOp(Function):
    """y = a / b;  da = dy / b,  db = -dy * a / b**2 = -dy * y / b."""

    def forward(self, a, b):
        y = a / b
        self.save_for_backward(a.shape, b, y)
        return y

    def backward(self, dy):
        a_shape, b, y = self.saved
        da = sum_to_shape(dy / b, a_shape) if self.needs_input_grad[0] else None
        db = sum_to_shape(-dy * y / b, b.shape) if self.needs_input_grad[1] else None
        return da, db


class MaximumOp(Function):
    """y = max(a, b);  the gradient goes to a where a >= b, else to b.

    Ties go to the first argument, as in TensorFlow (tinygrad and autograd split them in half).
    """

    def forward(self, a, b):
        a_wins = a >= b
        self.save_for_backward(a.shape, b.shape, a_wins)
        return np.where(a_wins, a, b)

    def backward(self, dy):
        a_shape, b_shape, a_wins = self.saved
        return sum_to_shape(dy * a_wins, a_shape), sum_to_shape(dy * ~a_wins, b_shape)


class MinimumOp(Function):
    """y = min(a, b);  the gradient goes to a where a <= b, else to b (ties to the first)."""

    def forward(self, a, b):
        a_wins = a <= b
        self.save_for_backward(a.shape, b.shape, a_wins)
        return np.where(a_wins, a, b)

    def backward(self, dy):
        a_shape, b_shape, a_wins = self.saved
        return sum_to_shape(dy * a_wins, a_shape), sum_to_shape(dy * ~a_wins, b_shape)


class WhereOp(Function):
    """y = a where condition else b;  da = dy * condition,  db = dy * ~condition."""

    def __init__(self, condition: np.ndarray):
        self.condition = condition

    def forward(self, a, b):
        self.save_for_backward(a.shape, b.shape)
        return np.where(self.condition, a, b)

    def backward(self, dy):
        a_shape, b_shape = self.saved
        zero = np.zeros((), dtype=dy.dtype)
        return (
            sum_to_shape(np.where(self.condition, dy, zero), a_shape),
            sum_to_shape(np.where(self.condition, zero, dy), b_shape),
        )


# -- unary -------------------------------------------------------------------------------------
class NegativeOp(Function):
    """y = -x;  dx = -dy."""

    def forward(self, x):
        return -x

    def backward(self, dy):
        return -dy


class PowerOp(Function):
    """y = x ** p for a constant exponent p;  dx = dy * p * x ** (p - 1)."""

    def __init__(self, exponent: float):
        self.exponent = exponent

    def forward(self, x):
        self.save_for_backward(x)
        return x ** x.dtype.type(self.exponent)

    def backward(self, dy):
        (x,) = self.saved
        p = x.dtype.type(self.exponent)
        return dy * p * x ** (p - 1)


class ExpOp(Function):
    """y = exp(x);  dx = dy * y."""

    def forward(self, x):
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * y


class LogOp(Function):
    """y = log(x);  dx = dy / x."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.log(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy / x


class SqrtOp(Function):
    """y = sqrt(x);  dx = dy / (2 y)."""

    def forward(self, x):
        y = np.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy / (2 * y)


class SquareOp(Function):
    """y = x**2;  dx = 2 x dy."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.square(x)

    def backward(self, dy):
        (x,) = self.saved
        return 2 * x * dy


class AbsOp(Function):
    """y = |x|;  dx = dy * sign(x), with the gradient 0 at x = 0 (as TensorFlow and PyTorch)."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.abs(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy * np.sign(x)


class ClipOp(Function):
    """y = min(max(x, low), high);  dx = dy inside [low, high], 0 outside (boundaries pass)."""

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high

    def forward(self, x):
        self.save_for_backward(x)
        return np.clip(x, self.low, self.high)

    def backward(self, dy):
        (x,) = self.saved
        return dy * ((x >= self.low) & (x <= self.high))


class CastOp(Function):
    """y = x as another float dtype;  dx = dy cast back to x's dtype."""

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype

    def forward(self, x):
        self.save_for_backward(x.dtype)
        return x.astype(self.dtype)

    def backward(self, dy):
        (x_dtype,) = self.saved
        return dy.astype(x_dtype)


# -- public functions --------------------------------------------------------------------------
def add(x1, x2) -> Tensor:
    """Elementwise x + y with broadcasting."""
    return _binary(AddOp(), "add", x1, x2)


def subtract(x1, x2) -> Tensor:
    """Elementwise x - y with broadcasting."""
    return _binary(SubtractOp(), "subtract", x1, x2)


def multiply(x1, x2) -> Tensor:
    """Elementwise x * y with broadcasting."""
    return _binary(MultiplyOp(), "multiply", x1, x2)


def divide(x1, x2) -> Tensor:
    """Elementwise x / y with broadcasting."""
    return _binary(DivideOp(), "divide", x1, x2)


def maximum(x1, x2) -> Tensor:
    """Elementwise max(x, y); on ties the gradient goes to x."""
    return _binary(MaximumOp(), "maximum", x1, x2)


def minimum(x1, x2) -> Tensor:
    """Elementwise min(x, y); on ties the gradient goes to x."""
    return _binary(MinimumOp(), "minimum", x1, x2)


def where(condition, x, y) -> Tensor:
    """x where `condition` is true, else y (condition: a boolean array, not differentiated)."""
    condition = np.asarray(array_of(condition), dtype=bool)
    return _binary(WhereOp(condition), "where", x, y)


def negative(x) -> Tensor:
    """Elementwise -x."""
    return _apply(NegativeOp(), as_tensor(x))  # integers stay integers, as in Keras


def power(x, exponent) -> Tensor:
    """Elementwise x ** exponent for a constant (non-tensor) exponent."""
    if isinstance(exponent, Tensor) or np.ndim(exponent) != 0:
        raise TypeError(
            f"power takes a constant scalar exponent; received {type(exponent).__name__}. "
            f"For a tensor exponent write exp(exponent * log(x))."
        )
    return PowerOp(float(exponent)).apply(x)


def exp(x) -> Tensor:
    """Elementwise e ** x."""
    return ExpOp().apply(_float(x))


def log(x) -> Tensor:
    """Elementwise natural logarithm."""
    return LogOp().apply(_float(x))


def sqrt(x) -> Tensor:
    """Elementwise square root."""
    return SqrtOp().apply(_float(x))


def square(x) -> Tensor:
    """Elementwise x ** 2."""
    return _apply(SquareOp(), as_tensor(x))  # integers stay integers, as in Keras


def abs(x) -> Tensor:  # noqa: A001 - the Keras/NumPy name
    """Elementwise |x|."""
    return _apply(AbsOp(), as_tensor(x))  # integers stay integers, as in Keras


def clip(x, x_min: float, x_max: float) -> Tensor:
    """Elementwise clip to [x_min, x_max] (Keras's argument names)."""
    if x_min > x_max:
        raise ValueError(f"clip needs x_min <= x_max; received x_min={x_min}, x_max={x_max}.")
    x = as_tensor(x)
    if x.dtype.kind != "f":  # integers clip without a graph (no gradient), as Keras keeps them ints
        return Tensor(np.clip(x.data, x_min, x_max))
    return ClipOp(float(x_min), float(x_max)).apply(x)


def cast(x, dtype) -> Tensor:
    """x converted to `dtype`. Between floats the gradient is cast back; a cast from or to an
    integer or bool type is a constant (an index or a rounded value has no gradient)."""
    x, dtype = as_tensor(x), np.dtype(dtype)
    if x.dtype.kind != "f" or dtype.kind != "f":
        return Tensor(x.data.astype(dtype))
    return CastOp(dtype).apply(x)
