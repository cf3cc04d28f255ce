"""Activation functions at the op level, each one class with its formula and derivative together.

Names and arguments follow Keras 3 (`keras.ops` / `keras.activations`). Where the derivative is a
function of the output (sigmoid, tanh, softmax, elu for x < 0), forward saves the output and
backward reuses it (STYLE C10.4). Every kink has one written gradient convention (STYLE C3); the
reference tests check each one against PyTorch where PyTorch has the op. softmax and log_softmax,
which normalise across an axis, live in softmax.py (importable from here too); the exact GELU's
erf in _erf.py.
"""

import math

import numpy as np

from neuronio.autodiff.broadcast import sum_to_shape
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops import _kernels
from neuronio.ops._erf import erf as _erf
from neuronio.ops.softmax import LogSoftmaxOp, SoftmaxOp, log_softmax, softmax  # noqa: F401 (their home before)

# Keras 3 / Klambauer et al. 2017 constants.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
# Hendrycks & Gimpel's tanh approximation of GELU (Keras's approximate=True).
_GELU_CUBIC = 0.044715
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# -- helpers -----------------------------------------------------------------------------------
def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) = exp(min(x, 0)) / (1 + exp(-|x|)), without overflow.

    With z = exp(-|x|) <= 1, the numerator exp(min(x, 0)) is 1 for x >= 0 and z for x < 0,
    i.e. max(z, x >= 0): no second exp and no np.where.
    """
    z = np.exp(-np.abs(x))
    return np.maximum(z, x >= 0) / (1.0 + z)


def _select(mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a where mask, else b, as a * mask + b * ~mask (exact: the other term is always 0).

    np.where branches per element: on a random sign pattern it takes 3.8 ms for 1M float32
    entries against 0.7 ms for this (NumPy 2.4, 2 cores). a and b must be finite.
    """
    return a * mask + b * ~mask


# -- ops ---------------------------------------------------------------------------------------
class ReluOp(Function):
    """y = max(x, 0);  dx = dy where x > 0, else 0.

    Kink: the gradient at x = 0 is 0, as in TensorFlow, Keras and PyTorch (the deck's table
    writes 1 for x >= 0; any value in [0, 1] is a subgradient).
    """

    def forward(self, x):
        fast = _kernels.forward("relu", x.dtype)  # numba's one pass on every core (the `fast` extra)
        if fast is not None:
            return fast(self, x)
        y = np.maximum(x, 0.0)
        self.save_for_backward(y)  # the saved state of every implementation: y
        return y

    def backward(self, dy):
        fast = _kernels.backward("relu", dy.dtype)
        if fast is not None:
            return fast(self, dy)
        (y,) = self.saved
        return dy * (y > 0)  # y > 0 exactly where x > 0


class Relu6Op(Function):
    """y = min(max(x, 0), 6);  dx = dy where 0 < x < 6, else 0 (0 at both kinks, as TF and PyTorch)."""

    def forward(self, x):
        y = np.minimum(np.maximum(x, 0.0), 6.0)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * ((y > 0) & (y < 6))


class LeakyReluOp(Function):
    """y = x if x > 0 else negative_slope * x;  dx = dy if x > 0 else negative_slope * dy.

    Kink: the gradient at 0 is negative_slope, as in TensorFlow and PyTorch.
    """

    def __init__(self, negative_slope: float):
        self.negative_slope = negative_slope

    def forward(self, x):
        positive = x > 0
        self.save_for_backward(positive)
        return _select(positive, x, x * self.negative_slope)

    def backward(self, dy):
        (positive,) = self.saved
        return _select(positive, dy, dy * self.negative_slope)


class PReluOp(Function):
    """y = x if x > 0 else alpha * x, alpha learnable and broadcast against x;
    dx = dy if x > 0 else alpha * dy;  dalpha = dy * min(x, 0), summed to alpha's shape.

    Kink: dx at 0 is alpha, as in PyTorch and leaky_relu (Keras's PReLU layer, written as
    relu(x) - alpha * relu(-x), gives 0 there); dalpha at 0 is 0 either way.
    """

    def forward(self, x, alpha):
        positive = x > 0
        self.save_for_backward(x, alpha, positive)
        return _select(positive, x, alpha * x)

    def backward(self, dy):
        x, alpha, positive = self.saved
        dx = _select(positive, dy, dy * alpha) if self.needs_input_grad[0] else None
        dalpha = sum_to_shape(dy * np.minimum(x, 0.0), alpha.shape) if self.needs_input_grad[1] else None
        return dx, dalpha


class EluOp(Function):
    """y = x if x >= 0 else alpha * (exp(x) - 1);  dx = dy if x >= 0 else dy * (y + alpha).

    y + alpha = alpha * exp(x): the deck's "f(x) + alpha" for x < 0, reusing the output.
    Kink: the gradient at 0 is 1, as in the deck's table and TensorFlow (PyTorch gives alpha;
    the two agree for the default alpha = 1).
    """

    def __init__(self, alpha: float):
        self.alpha = alpha

    def forward(self, x):
        negative = x < 0
        y = _select(negative, self.alpha * np.expm1(np.minimum(x, 0.0)), x)  # min: no overflow in exp
        self.save_for_backward(negative, y)
        return y

    def backward(self, dy):
        negative, y = self.saved
        return _select(negative, dy * (y + self.alpha), dy)


class SeluOp(Function):
    """y = scale * elu(x, alpha) with Keras's constants;  dx = scale * dy if x >= 0 else dy * (y + scale * alpha).

    Kink: the gradient at 0 is scale, as elu's is 1 (TensorFlow's rule; PyTorch gives scale * alpha).
    """

    def forward(self, x):
        negative = x < 0
        y = _select(negative, (SELU_SCALE * SELU_ALPHA) * np.expm1(np.minimum(x, 0.0)), SELU_SCALE * x)
        self.save_for_backward(negative, y)
        return y

    def backward(self, dy):
        negative, y = self.saved
        return _select(negative, dy * (y + SELU_SCALE * SELU_ALPHA), dy * SELU_SCALE)


class SigmoidOp(Function):
    """y = 1 / (1 + exp(-x));  dx = dy * y * (1 - y)."""

    def forward(self, x):
        y = _sigmoid(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * y * (1.0 - y)


class HardSigmoidOp(Function):
    """y = relu6(x + 3) / 6 (Keras 3);  dx = dy / 6 where -3 < x < 3, else 0 (0 at both kinks)."""

    def forward(self, x):
        inside = (x > -3.0) & (x < 3.0)
        self.save_for_backward(inside)
        return np.minimum(np.maximum(x + 3.0, 0.0), 6.0) / 6.0

    def backward(self, dy):
        (inside,) = self.saved
        return dy * inside / 6.0


class TanhOp(Function):
    """y = tanh(x);  dx = dy * (1 - y**2)."""

    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * (1.0 - y * y)


class ArctanOp(Function):
    """y = arctan(x);  dx = dy / (x**2 + 1)."""

    def forward(self, x):
        self.save_for_backward(x)
        return np.arctan(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy / (x * x + 1.0)


class SoftplusOp(Function):
    """y = log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)) (no overflow);  dx = dy * sigmoid(x)."""

    def forward(self, x):
        z = np.exp(-np.abs(x))  # in (0, 1]
        sig = np.maximum(z, x >= 0) / (1.0 + z)  # sigmoid(x) from the same z (see _sigmoid)
        self.save_for_backward(sig)
        return np.maximum(x, 0.0) + np.log1p(z)

    def backward(self, dy):
        (sig,) = self.saved
        return dy * sig


class SoftsignOp(Function):
    """y = x / (1 + |x|);  dx = dy / (1 + |x|)**2."""

    def forward(self, x):
        d = 1.0 + np.abs(x)
        self.save_for_backward(d)
        return x / d

    def backward(self, dy):
        (d,) = self.saved
        return dy / (d * d)


class SiluOp(Function):
    """y = x * sigmoid(x) (swish);  dx = dy * s * (1 + x * (1 - s)), s = sigmoid(x)."""

    def forward(self, x):
        s = _sigmoid(x)
        self.save_for_backward(x, s)
        return x * s

    def backward(self, dy):
        x, s = self.saved
        return dy * s * (1.0 + x * (1.0 - s))


class GeluOp(Function):
    """Exact:  y = x * Phi(x), Phi(x) = (1 + erf(x / sqrt(2))) / 2;  dx = dy * (Phi(x) + x * phi(x)),
    phi(x) = exp(-x**2 / 2) / sqrt(2 pi).

    Approximate (tanh form):  y = x (1 + t) / 2, t = tanh(u), u = sqrt(2/pi) (x + 0.044715 x**3);
    dx = dy * ((1 + t) / 2 + x (1 - t**2) sqrt(2/pi) (1 + 3 * 0.044715 x**2) / 2).
    """

    def __init__(self, approximate: bool):
        self.approximate = approximate

    def forward(self, x):
        if self.approximate:
            t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_CUBIC * x * x * x))
            self.save_for_backward(x, t)
            return 0.5 * x * (1.0 + t)
        cdf = 0.5 * (1.0 + _erf(x * _INV_SQRT_2))
        self.save_for_backward(x, cdf)
        return x * cdf

    def backward(self, dy):
        if self.approximate:
            x, t = self.saved
            du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_CUBIC * x * x)
            return dy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)
        x, cdf = self.saved
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
        return dy * (cdf + x * pdf)


class BinaryStepOp(Function):
    """y = 1 if x >= 0 else 0;  dx = 0 everywhere (the deck's table; at 0 the step has no
    derivative, and we give 0 there too). Nothing flows back through a step."""

    def forward(self, x):
        return (x >= 0).astype(x.dtype)

    def backward(self, dy):
        return np.zeros_like(dy)


# -- public functions --------------------------------------------------------------------------
def _number(op: str, name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{op}: {name} must be a number; received {name}={value!r}.")
    return float(value)


def relu(x) -> Tensor:
    """max(x, 0).

    >>> relu(np.array([-1.0, 0.0, 2.0], "float32")).numpy()
    array([0., 0., 2.], dtype=float32)
    """
    return ReluOp().apply(x)


def relu6(x) -> Tensor:
    """min(max(x, 0), 6)."""
    return Relu6Op().apply(x)


def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, negative_slope * x otherwise (Keras 3's default slope is 0.2).

    >>> leaky_relu(np.array([-1.0, 2.0], "float32")).numpy()
    array([-0.2,  2. ], dtype=float32)
    """
    return LeakyReluOp(_number("leaky_relu", "negative_slope", negative_slope)).apply(x)


def prelu(x, alpha) -> Tensor:
    """x for x > 0, alpha * x otherwise, with a learnable `alpha` that broadcasts against x.

    Args:
        x: tensor.
        alpha: tensor (usually a Variable) whose shape broadcasts to x's shape, e.g. x.shape[1:]
            or (1, 1, C) for one slope per channel.
    """
    x, alpha = as_tensor(x), as_tensor(alpha)
    try:
        fits = np.broadcast_shapes(x.shape, alpha.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"prelu: alpha of shape {alpha.shape} must broadcast to x's shape {x.shape} "
            f"(trailing axes equal or 1, and no more axes than x)."
        )
    return PReluOp().apply(x, alpha)


def elu(x, alpha: float = 1.0) -> Tensor:
    """x for x >= 0, alpha * (exp(x) - 1) otherwise."""
    return EluOp(_number("elu", "alpha", alpha)).apply(x)


def selu(x) -> Tensor:
    """scale * elu(x, alpha) with alpha = 1.67326324..., scale = 1.05070098... (Keras's constants)."""
    return SeluOp().apply(x)


def sigmoid(x) -> Tensor:
    """1 / (1 + exp(-x)), without overflow for large |x|.

    >>> sigmoid(np.array([0.0], "float32")).numpy()
    array([0.5], dtype=float32)
    """
    return SigmoidOp().apply(x)


def hard_sigmoid(x) -> Tensor:
    """relu6(x + 3) / 6: 0 below -3, 1 above 3, x / 6 + 1/2 between (Keras 3's definition)."""
    return HardSigmoidOp().apply(x)


def tanh(x) -> Tensor:
    """Hyperbolic tangent."""
    return TanhOp().apply(x)


def arctan(x) -> Tensor:
    """Inverse tangent, in (-pi/2, pi/2)."""
    return ArctanOp().apply(x)


def softplus(x) -> Tensor:
    """log(1 + exp(x)), without overflow."""
    return SoftplusOp().apply(x)


def softsign(x) -> Tensor:
    """x / (1 + |x|)."""
    return SoftsignOp().apply(x)


def silu(x) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return SiluOp().apply(x)


def gelu(x, approximate: bool = True) -> Tensor:
    """x * Phi(x), Phi the standard normal CDF: the tanh form by default (as keras.ops.gelu),
    the exact erf form with approximate=False (the default of activations.gelu).

    >>> gelu(np.array([1.0], "float32"), approximate=False).numpy()
    array([0.8413447], dtype=float32)
    """
    if not isinstance(approximate, (bool, np.bool_)):
        raise TypeError(f"gelu: approximate must be True or False; received approximate={approximate!r}.")
    return GeluOp(bool(approximate)).apply(x)


def binary_step(x) -> Tensor:
    """1 for x >= 0, 0 otherwise; its gradient is 0 everywhere (the deck's activation table)."""
    return BinaryStepOp().apply(x)
