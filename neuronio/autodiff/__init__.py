"""The automatic-differentiation engine: Tensor, Variable, Function, GradientTape, gradcheck."""

from neuronio.autodiff.function import Function
from neuronio.autodiff.gradcheck import GradientCheckError, check_gradients
from neuronio.autodiff.tape import GradientTape, is_recording, no_grad
from neuronio.autodiff.tensor import Tensor, Variable, as_array, as_tensor, constant

__all__ = [
    "Function",
    "GradientCheckError",
    "GradientTape",
    "Tensor",
    "Variable",
    "as_array",
    "as_tensor",
    "check_gradients",
    "constant",
    "is_recording",
    "no_grad",
]
