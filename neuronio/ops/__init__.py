"""neuronio.ops: differentiable array functions, the eager layer under every neuronio layer.

Every function takes Tensors, arrays or numbers and returns a Tensor; inside an open
`GradientTape` the result remembers how it was made, so gradients need no hand-written code.

Besides the decks' ops, the module holds Keras 3's whole `keras.ops` for dense tensors under
Keras's names and argument names, one family per module (math, creation, indexing, search,
statistics, products, decompositions, nn, ctc, rearrange, control); `neuronio.ops.nn` is
Keras's `ops.nn` namespace. Called on symbolic tensors (from `Input()`), each op records a node
of a functional model instead of computing (see _symbolic.py and layers/op_node.py).

Shape letters used throughout: N batch; H, W spatial size; C input channels; F filters (output
channels); KH, KW kernel size; SH, SW strides; OH, OW output size; D input features; U units;
K classes.
"""

from neuronio.ops import _symbolic, nn
from neuronio.ops.activation import (
    arctan,
    binary_step,
    elu,
    gelu,
    hard_sigmoid,
    leaky_relu,
    log_softmax,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    tanh,
)
from neuronio.ops.conv import conv2d
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
    sqrt,
    square,
    subtract,
)
from neuronio.ops.linalg import dot, matmul
from neuronio.ops.loss import (
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
)
from neuronio.ops.normalization import batch_norm_train, local_response_normalization
from neuronio.ops.pooling import avg_pool2d, max_pool2d
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

# Keras 3's keras.ops beyond the decks' set: one module per family.
from neuronio.ops.math import (  # noqa: A004 - Keras/NumPy names shadow builtins
    allclose, angle, arccos, arccosh, arcsin, arcsinh, arctan2, arctanh, bitwise_and,
    bitwise_invert, bitwise_left_shift, bitwise_not, bitwise_or, bitwise_right_shift,
    bitwise_xor, cbrt, ceil, conj, conjugate, cos, cosh, deg2rad, divide_no_nan, equal, erf,
    erfc, erfinv, exp2, expm1, floor, floor_divide, fmax, fmin, fmod, gcd, greater,
    greater_equal, heaviside, hypot, i0, imag, isclose, isfinite, isinf, isnan, isneginf,
    isposinf, isreal, lcm, ldexp, left_shift, less, less_equal, log10, log1p, log2, logaddexp,
    logaddexp2, logical_and, logical_not, logical_or, logical_xor, mod, nan_to_num, nextafter,
    not_equal, power, rad2deg, real, reciprocal, right_shift, round, rsqrt, sign, signbit, sin,
    sinc, sinh, tan, trunc,
)
from neuronio.ops.creation import (  # noqa: A004 - Keras/NumPy names shadow builtins
    arange, array, bartlett, blackman, convert_to_numpy, convert_to_tensor, copy, diag,
    diagflat, diagonal, dtype, empty, empty_like, eye, full, full_like, geomspace, hamming,
    hanning, identity, is_tensor, kaiser, linspace, logspace, meshgrid, multi_hot, ndim,
    one_hot, ones, ones_like, saturate_cast, shape, size, stop_gradient, trace, tri, tril, triu,
    vander, view, zeros, zeros_like,
)
from neuronio.ops.indexing import (  # noqa: A004 - Keras/NumPy names shadow builtins
    append, argpartition, argsort, array_split, broadcast_to, dsplit, dstack, flip, fliplr,
    flipud, get_item, hsplit, hstack, in_top_k, moveaxis, ravel, repeat, roll, rot90, scatter,
    scatter_update, select, slice, slice_update, sort, split, swapaxes, take, take_along_axis,
    tile, top_k, unstack, vsplit, vstack, where,
)
from neuronio.ops.search import (  # noqa: A004 - Keras/NumPy names shadow builtins
    bincount, count_nonzero, digitize, histogram, isin, nonzero, searchsorted, segment_max,
    segment_min, segment_prod, segment_sum, unique, unravel_index,
)
from neuronio.ops.statistics import (  # noqa: A004 - Keras/NumPy names shadow builtins
    all, amax, amin, any, average, cumprod, cumsum, diff, median, nanargmax, nanargmin,
    nancumprod, nancumsum, nanmax, nanmean, nanmedian, nanmin, nanpercentile, nanprod,
    nanquantile, nanstd, nansum, nanvar, norm, percentile, prod, ptp, quantile,
)
from neuronio.ops.products import (  # noqa: A004 - Keras/NumPy names shadow builtins
    cdist, corrcoef, correlate, cross, det, einsum, inner, inv, kron, logdet, outer, slogdet,
    solve, solve_triangular, tensordot, trapezoid, vdot,
)
from neuronio.ops.nn import (  # noqa: A004 - Keras/NumPy names shadow builtins
    adaptive_average_pool, adaptive_max_pool, average_pool, batch_normalization,
    binary_crossentropy, categorical_crossentropy, celu, conv, conv_transpose, depth_to_space,
    depthwise_conv, dot_product_attention, extract_sequences, fold, glu, hard_shrink, hard_silu,
    hard_swish, hard_tanh, layer_normalization, log_sigmoid, max_pool, moments, normalize, psnr,
    rms_normalization, separable_conv, soft_shrink, space_to_depth,
    sparse_categorical_crossentropy, sparse_plus, sparse_sigmoid, sparsemax, squareplus, swish,
    tanh_shrink, threshold, unfold,
)
from neuronio.ops.ctc import ctc_decode, ctc_loss
from neuronio.ops.rearrange import rearrange
from neuronio.ops.decompositions import (
    cholesky, cholesky_inverse, eigh, lstsq, lu_factor, matrix_rank, pinv, qr, svd,
)
from neuronio.ops.control import (  # noqa: A004 - Keras/NumPy names shadow builtins
    associative_scan, cond, custom_gradient, fori_loop, jvp, map, scan, switch, vectorize,
    vectorized_map, while_loop,
)

# Keras's other spellings of the same functions.
absolute = fabs = abs
true_divide = divide

__all__ = [
    "abs",
    "add",
    "arctan",
    "argmax",
    "argmin",
    "avg_pool2d",
    "batch_norm_train",
    "binary_step",
    "cast",
    "clip",
    "concat",
    "concatenate",
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
__all__ += [
    "absolute", "adaptive_average_pool", "adaptive_max_pool", "all", "allclose", "amax", "amin",
    "angle", "any", "append", "arange", "arccos", "arccosh", "arcsin", "arcsinh", "arctan2",
    "arctanh", "argpartition", "argsort", "array", "array_split", "associative_scan", "average",
    "average_pool", "bartlett", "batch_normalization", "binary_crossentropy", "bincount",
    "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or",
    "bitwise_right_shift", "bitwise_xor", "blackman", "broadcast_to",
    "categorical_crossentropy", "cbrt", "cdist", "ceil", "celu", "cholesky", "cholesky_inverse",
    "cond", "conj", "conjugate", "conv", "conv_transpose", "convert_to_numpy",
    "convert_to_tensor", "copy", "corrcoef", "correlate", "cos", "cosh", "count_nonzero",
    "cross", "ctc_decode", "ctc_loss", "cumprod", "cumsum", "custom_gradient", "deg2rad",
    "depth_to_space", "depthwise_conv", "det", "diag", "diagflat", "diagonal", "diff",
    "digitize", "divide_no_nan", "dot_product_attention", "dsplit", "dstack", "dtype", "eigh",
    "einsum", "empty", "empty_like", "equal", "erf", "erfc", "erfinv", "exp2", "expm1",
    "extract_sequences", "eye", "fabs", "flip", "fliplr", "flipud", "floor", "floor_divide",
    "fmax", "fmin", "fmod", "fold", "fori_loop", "full", "full_like", "gcd", "geomspace",
    "get_item", "glu", "greater", "greater_equal", "hamming", "hanning", "hard_shrink",
    "hard_silu", "hard_swish", "hard_tanh", "heaviside", "histogram", "hsplit", "hstack",
    "hypot", "i0", "identity", "imag", "in_top_k", "inner", "inv", "is_tensor", "isclose",
    "isfinite", "isin", "isinf", "isnan", "isneginf", "isposinf", "isreal", "jvp", "kaiser",
    "kron", "layer_normalization", "lcm", "ldexp", "left_shift", "less", "less_equal",
    "linspace", "log10", "log1p", "log2", "log_sigmoid", "logaddexp", "logaddexp2", "logdet",
    "logical_and", "logical_not", "logical_or", "logical_xor", "logspace", "lstsq", "lu_factor",
    "map", "matrix_rank", "max_pool", "median", "meshgrid", "mod", "moments", "moveaxis",
    "multi_hot", "nan_to_num", "nanargmax", "nanargmin", "nancumprod", "nancumsum", "nanmax",
    "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile", "nanstd",
    "nansum", "nanvar", "ndim", "nextafter", "nonzero", "norm", "normalize", "not_equal",
    "one_hot", "ones", "ones_like", "outer", "percentile", "pinv", "prod", "psnr", "ptp", "qr",
    "quantile", "rad2deg", "ravel", "real", "rearrange", "reciprocal", "repeat", "right_shift",
    "rms_normalization", "roll", "rot90", "round", "rsqrt", "saturate_cast", "scan", "scatter",
    "scatter_update", "searchsorted", "segment_max", "segment_min", "segment_prod",
    "segment_sum", "select", "separable_conv", "shape", "sign", "signbit", "sin", "sinc",
    "sinh", "size", "slice", "slice_update", "slogdet", "soft_shrink", "solve",
    "solve_triangular", "sort", "space_to_depth", "sparse_categorical_crossentropy",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "split", "squareplus", "stop_gradient", "svd",
    "swapaxes", "swish", "switch", "take", "take_along_axis", "tan", "tanh_shrink", "tensordot",
    "threshold", "tile", "top_k", "trace", "trapezoid", "tri", "tril", "triu", "true_divide",
    "trunc", "unfold", "unique", "unravel_index", "unstack", "vander", "vdot", "vectorize",
    "vectorized_map", "view", "vsplit", "vstack", "while_loop", "zeros", "zeros_like",
]

# Every public op records a graph node when called on a symbolic tensor (see _symbolic.py).
# shape/ndim/size/dtype/is_tensor answer from the symbolic tensor itself; control flow, whose
# arguments are Python functions, refuses symbolic tensors with an error naming the way out.
_ANSWERED = {"shape", "ndim", "size", "dtype", "is_tensor", "convert_to_numpy"}
_CONTROL_FLOW = {"cond", "switch", "while_loop", "fori_loop", "scan", "map", "vectorized_map", "associative_scan",
                 "vectorize", "custom_gradient", "jvp"}
for _name in __all__:
    if _name in _CONTROL_FLOW:
        globals()[_name] = _symbolic.refuse_symbolic(_name, globals()[_name])
    elif _name not in _ANSWERED:
        globals()[_name] = _symbolic.symbolic_aware(_name, globals()[_name])
del _name
