"""neuronio.ops: differentiable array functions, the eager layer under every neuronio layer.

Every function takes Tensors, arrays or numbers and returns a Tensor; inside an open
`GradientTape` the result remembers how it was made, so gradients need no hand-written code.

Shape letters used throughout: N batch; H, W spatial size; C input channels; F filters (output
channels); KH, KW kernel size; SH, SW strides; OH, OW output size; D input features; U units;
K classes.
"""

from neuronio.ops.elementwise import (
    abs,
    add,
    cast,
    clip,
    divide,
    exp,
    log,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    sqrt,
    square,
    subtract,
    where,
)
from neuronio.ops.linalg import dot, matmul

__all__ = [
    "abs",
    "add",
    "cast",
    "clip",
    "divide",
    "dot",
    "exp",
    "log",
    "matmul",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "power",
    "sqrt",
    "square",
    "subtract",
    "where",
]
