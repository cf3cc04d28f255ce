"""Python's operators on Tensors, each one op: t + u is ops.add(t, u), t @ w is ops.matmul(t, w).

They live here, beside the ops they call, and are attached to `Tensor` when neuronio.ops is
imported (its __init__ imports this module): autodiff, the floor below, knows nothing of
the math built on it, so the two never import each other.
"""

from neuronio.autodiff.tensor import Tensor
from neuronio.ops.elementwise import add, divide, multiply, negative, power, subtract
from neuronio.ops.linalg import matmul
from neuronio.ops.reduction import mean, sum  # noqa: A004 (the op is named as NumPy's)
from neuronio.ops.shape import getitem, reshape, transpose


def _reshape(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return reshape(self, shape)


OPERATORS = {
    "__add__": lambda self, other: add(self, other),
    "__radd__": lambda self, other: add(other, self),
    "__sub__": lambda self, other: subtract(self, other),
    "__rsub__": lambda self, other: subtract(other, self),
    "__mul__": lambda self, other: multiply(self, other),
    "__rmul__": lambda self, other: multiply(other, self),
    "__truediv__": lambda self, other: divide(self, other),
    "__rtruediv__": lambda self, other: divide(other, self),
    "__pow__": lambda self, exponent: power(self, exponent),
    "__neg__": lambda self: negative(self),
    "__matmul__": lambda self, other: matmul(self, other),
    "__rmatmul__": lambda self, other: matmul(other, self),
    "__getitem__": lambda self, index: getitem(self, index),
    "T": property(lambda self: transpose(self)),
    "reshape": _reshape,
    "sum": lambda self, axis=None, keepdims=False: sum(self, axis=axis, keepdims=keepdims),
    "mean": lambda self, axis=None, keepdims=False: mean(self, axis=axis, keepdims=keepdims),
}

for _name, _method in OPERATORS.items():
    setattr(Tensor, _name, _method)
