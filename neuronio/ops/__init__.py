"""neuronio.ops: differentiable array functions, the eager layer under every neuronio layer.

Every function takes Tensors, arrays or numbers and returns a Tensor; inside an open
`GradientTape` the result remembers how it was made, so gradients need no hand-written code.

Shape letters used throughout: N batch; H, W spatial size; C input channels; F filters (output
channels); KH, KW kernel size; SH, SW strides; OH, OW output size; D input features; U units;
K classes.
"""

from neuronio.ops import operators  # noqa: F401  (attaches + - * / ** @ [] .T .sum .mean to Tensor)
from neuronio.ops.activation import (
    arctan,
    binary_step,
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softplus,
    softsign,
    tanh,
)
from neuronio.ops.conv import conv1d, conv2d
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
from neuronio.ops.loss import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
)
from neuronio.ops.normalization import batch_norm_train, local_response_normalization
from neuronio.ops.pooling import avg_pool1d, avg_pool2d, max_pool1d, max_pool2d
from neuronio.ops.random import dropout
from neuronio.ops.reduction import argmax, argmin, logsumexp, max, mean, min, std, sum, var
from neuronio.ops.shape import (
    concat,
    concatenate,
    expand_dims,
    flatten,
    getitem,
    pad,
    reshape,
    squeeze,
    stack,
    transpose,
)
from neuronio.ops.softmax import log_softmax, softmax

__all__ = [
    "abs",
    "add",
    "arctan",
    "argmax",
    "argmin",
    "avg_pool1d",
    "avg_pool2d",
    "batch_norm_train",
    "binary_step",
    "cast",
    "clip",
    "concat",
    "concatenate",
    "conv1d",
    "conv2d",
    "divide",
    "dot",
    "dropout",
    "elu",
    "exp",
    "expand_dims",
    "flatten",
    "gelu",
    "getitem",
    "hard_sigmoid",
    "leaky_relu",
    "local_response_normalization",
    "log",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "max_pool1d",
    "max_pool2d",
    "maximum",
    "mean",
    "min",
    "minimum",
    "multiply",
    "negative",
    "pad",
    "power",
    "prelu",
    "relu",
    "relu6",
    "reshape",
    "selu",
    "sigmoid",
    "sigmoid_cross_entropy_with_logits",
    "silu",
    "softmax",
    "softmax_cross_entropy_with_logits",
    "softplus",
    "softsign",
    "sparse_softmax_cross_entropy_with_logits",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "std",
    "subtract",
    "sum",
    "tanh",
    "transpose",
    "var",
    "where",
]
