"""One converter per neuronio layer: the ONNX nodes that compute what the layer's `call` computes
at inference.

A converter takes the GraphBuilder, the layer and its input Values, and returns its output Value
(name and layout; export.py sets its shape from the layer's own graph, so converters need not).
Layers that ONNX cannot express (or that neuronio has no converter for) are refused by name in
export.py, before any file is written.
"""

import math

import numpy as np

from neuronio import activations
from neuronio.layers import (
    APL,
    ELU,
    Activation,
    Add,
    Average,
    AveragePooling2D,
    BatchNormalization,
    Concatenate,
    Conv2D,
    Dense,
    Dropout,
    ElasticDistortion,
    Flatten,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    LeakyReLU,
    LocalResponseNormalization,
    Maximum,
    Maxout,
    MaxPooling2D,
    Multiply,
    PReLU,
    RandomCrop,
    RandomErasing,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    ReLU,
    Reshape,
    RReLU,
    Softmax,
    ZeroPadding2D,
)
from neuronio.ops._windows import resolve_padding
from neuronio.saving.onnx.graph import ExportError, GraphBuilder, Value, nchw_axis

CONVERTERS: dict = {}


def converts(*classes):
    def register(fn):
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn

    return register


def weight(layer_weight) -> np.ndarray:
    return np.asarray(layer_weight.numpy())


# -- activations ----------------------------------------------------------------------------------
# Keras's SELU constants, written out so that ONNX's slightly different defaults are not used.
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def apply_activation(g: GraphBuilder, fn, value: Value, hint: str) -> Value:
    """The ONNX form of a neuronio activation function (by its registry name)."""
    name = activations.serialize(fn)
    if name == "linear":
        return value
    if name == "softmax" or name == "log_softmax":
        value = g.as_logical(value)
        op = "Softmax" if name == "softmax" else "LogSoftmax"
        return Value(g.node(op, [value.name], hint, axis=-1), value.shape)
    x = value.name
    simple = {
        "relu": ("Relu", {}),
        "sigmoid": ("Sigmoid", {}),
        "tanh": ("Tanh", {}),
        "arctan": ("Atan", {}),
        "softplus": ("Softplus", {}),
        "softsign": ("Softsign", {}),
        "exponential": ("Exp", {}),
        "elu": ("Elu", {"alpha": 1.0}),
        "selu": ("Selu", {"alpha": SELU_ALPHA, "gamma": SELU_SCALE}),
        "leaky_relu": ("LeakyRelu", {"alpha": 0.2}),
        "hard_sigmoid": ("HardSigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}),
    }
    if name in simple:
        op, attributes = simple[name]
        out = g.node(op, [x], hint, **attributes)
    elif name == "relu6":
        out = g.node("Clip", [x, g.constant("zero", 0.0), g.constant("six", 6.0)], hint)
    elif name in ("silu", "swish"):
        out = g.node("Mul", [x, g.node("Sigmoid", [x], f"{hint}_gate")], hint)
    elif name == "gelu":  # the exact erf form, activations.gelu's default
        phi = g.node("Erf", [g.node("Mul", [x, g.constant("inv_sqrt2", 1 / math.sqrt(2))], f"{hint}_s")], f"{hint}_erf")
        half = g.node("Mul", [x, g.constant("half", 0.5)], f"{hint}_half")
        out = g.node("Mul", [half, g.node("Add", [phi, g.constant("one", 1.0)], f"{hint}_1p")], hint)
    elif name == "binary_step":  # 1 for x >= 0
        out = g.node("Cast", [g.node("GreaterOrEqual", [x, g.constant("zero", 0.0)], f"{hint}_ge")], hint, to=1)
    elif name in NEWER_ACTIVATIONS:
        out = NEWER_ACTIVATIONS[name](g, x, hint)
    else:
        raise ExportError(f"the activation '{name}' has no ONNX form in neuronio's exporter.")
    return Value(out, value.shape, value.layout)


def _scaled(g, x, hint, factor, offset):
    """factor * x + offset."""
    scaled = g.node("Mul", [x, g.constant(f"{hint}_factor", factor)], f"{hint}_mul")
    return g.node("Add", [scaled, g.constant(f"{hint}_offset", offset)], hint)


def _clip(g, x, hint, low, high):
    return g.node("Clip", [x, g.constant(f"{hint}_low", low), g.constant(f"{hint}_high", high)], hint)


def _sparse_plus(g, x, hint):
    """(clip(x, -1, 1) + 1)**2 / 4 + relu(x - 1): 0, (x + 1)**2 / 4, x on the three pieces."""
    inner = _scaled(g, _clip(g, x, f"{hint}_c", -1.0, 1.0), f"{hint}_h", 0.5, 0.5)  # (c + 1) / 2
    tail = g.node("Relu", [g.node("Sub", [x, g.constant(f"{hint}_one", 1.0)], f"{hint}_s")], f"{hint}_r")
    return g.node("Add", [g.node("Mul", [inner, inner], f"{hint}_sq"), tail], hint)


def _squareplus(g, x, hint):
    """(x + sqrt(x**2 + 4)) / 2, activations.squareplus's default b."""
    root = g.node("Sqrt", [g.node("Add", [g.node("Mul", [x, x], f"{hint}_sq"), g.constant(f"{hint}_b", 4.0)],
                                  f"{hint}_add")], f"{hint}_sqrt")  # fmt: skip
    return _scaled(g, g.node("Add", [x, root], f"{hint}_sum"), hint, 0.5, 0.0)


# Keras 3's newer elementwise activations with their default arguments (what a name in a layer
# means): ONNX's own operator where opset 17 has one, else a composition of a few.
NEWER_ACTIVATIONS = {
    "celu": lambda g, x, hint: g.node("Celu", [x], hint, alpha=1.0),
    "hard_shrink": lambda g, x, hint: g.node("Shrink", [x], hint, lambd=0.5, bias=0.0),
    "soft_shrink": lambda g, x, hint: g.node("Shrink", [x], hint, lambd=0.5, bias=0.5),
    "hard_silu": lambda g, x, hint: g.node("HardSwish", [x], hint),
    "hard_tanh": lambda g, x, hint: _clip(g, x, hint, -1.0, 1.0),
    "log_sigmoid": lambda g, x, hint: g.node(
        "Neg", [g.node("Softplus", [g.node("Neg", [x], f"{hint}_neg")], f"{hint}_sp")], hint
    ),
    "mish": lambda g, x, hint: g.node(
        "Mul", [x, g.node("Tanh", [g.node("Softplus", [x], f"{hint}_sp")], f"{hint}_tanh")], hint
    ),
    "sparse_plus": _sparse_plus,
    "sparse_sigmoid": lambda g, x, hint: _clip(g, _scaled(g, x, f"{hint}_h", 0.5, 0.5), hint, 0.0, 1.0),
    "squareplus": _squareplus,
    "tanh_shrink": lambda g, x, hint: g.node("Sub", [x, g.node("Tanh", [x], f"{hint}_tanh")], hint),
}


# -- core -----------------------------------------------------------------------------------------
@converts(Dense)
def dense(g, layer, x):
    x = g.as_logical(x)
    w = g.constant(f"{layer.name}_kernel", weight(layer.kernel))
    if x.ndim == 2 and layer.bias is not None:
        out = g.node("Gemm", [x.name, w, g.constant(f"{layer.name}_bias", weight(layer.bias))], layer.name)
    else:
        out = g.node("MatMul", [x.name, w], layer.name)
        if layer.bias is not None:
            out = g.node("Add", [out, g.constant(f"{layer.name}_bias", weight(layer.bias))], f"{layer.name}_b")
    return apply_activation(g, layer.activation, Value(out, (*x.shape[:-1], layer.units)), f"{layer.name}_act")


@converts(Activation)
def activation(g, layer, x):
    return apply_activation(g, layer.activation, x, layer.name)


@converts(Dropout, RandomTranslation, RandomRotation, RandomZoom, RandomFlip, RandomCrop, RandomErasing)
def identity_at_inference(g, layer, x):
    return x


CONVERTERS[ElasticDistortion] = identity_at_inference


@converts(Flatten)
def flatten(g, layer, x):
    x = g.as_logical(x)  # neuronio flattens (H, W, C) in that order
    return Value(g.node("Flatten", [x.name], layer.name, axis=1), (None, int(np.prod(x.shape[1:]))))


@converts(Reshape)
def reshape(g, layer, x):
    x = g.as_logical(x)
    shape = g.constant(f"{layer.name}_shape", [0, *layer.target_shape])  # 0: keep the batch size
    return Value(g.node("Reshape", [x.name, shape], layer.name), x.shape)  # shape: set from the layer's


# -- convolution and pooling (channels-first in ONNX) ---------------------------------------------
def _pads(layer, spatial, kernel, strides):
    """ONNX's [top, left, bottom, right] from neuronio's 'same'/'valid' arithmetic."""
    (top, bottom), (left, right) = resolve_padding(layer.padding, spatial, kernel, strides)
    return [top, left, bottom, right]


@converts(Conv2D)
def conv2d(g, layer, x):
    x = g.as_nchw(x)
    kernel = weight(layer.kernel)  # (KH, KW, C, F)
    strides, dilation = tuple(layer.strides), tuple(getattr(layer, "dilation_rate", (1, 1)))
    effective = tuple(dilation[i] * (kernel.shape[i] - 1) + 1 for i in range(2))
    pads = _pads(layer, x.shape[1:3], effective, strides)
    inputs = [x.name, g.constant(f"{layer.name}_kernel", kernel.transpose(3, 2, 0, 1))]  # (F, C, KH, KW)
    if layer.bias is not None:
        inputs.append(g.constant(f"{layer.name}_bias", weight(layer.bias)))
    out = g.node(
        "Conv",
        inputs,
        layer.name,
        kernel_shape=list(kernel.shape[:2]),
        strides=list(strides),
        pads=pads,
        dilations=list(dilation),
    )
    return apply_activation(g, layer.activation, Value(out, x.shape, "nchw"), f"{layer.name}_act")


@converts(MaxPooling2D, AveragePooling2D)
def pool2d(g, layer, x):
    x = g.as_nchw(x)
    size, strides = tuple(layer.pool_size), tuple(layer.strides)
    pads = _pads(layer, x.shape[1:3], size, strides)
    attributes = {"kernel_shape": list(size), "strides": list(strides), "pads": pads}
    if isinstance(layer, AveragePooling2D):
        attributes["count_include_pad"] = 0  # Keras's 'same' averages the real cells only
    out = g.node("MaxPool" if isinstance(layer, MaxPooling2D) else "AveragePool", [x.name], layer.name, **attributes)
    return Value(out, x.shape, "nchw")


@converts(GlobalAveragePooling2D, GlobalMaxPooling2D)
def global_pool2d(g, layer, x):
    x = g.as_nchw(x)
    op = "GlobalAveragePool" if isinstance(layer, GlobalAveragePooling2D) else "GlobalMaxPool"
    out = g.node(op, [x.name], layer.name)  # (N, C, 1, 1)
    if layer.keepdims:
        return Value(out, x.shape, "nchw")
    return Value(g.node("Flatten", [out], f"{layer.name}_flat", axis=1), (None, x.shape[3]))


@converts(ZeroPadding2D)
def zero_padding2d(g, layer, x):
    x = g.as_nchw(x)
    (top, bottom), (left, right) = layer.padding
    pads = g.constant(f"{layer.name}_pads", [0, 0, top, left, 0, 0, bottom, right])
    return Value(g.node("Pad", [x.name, pads], layer.name), x.shape, "nchw")


@converts(BatchNormalization)
def batch_normalization(g, layer, x):
    axis = layer.axis % x.ndim
    mean, var = weight(layer.moving_mean), weight(layer.moving_variance)
    gamma = weight(layer.gamma) if layer.gamma is not None else np.ones_like(mean)
    beta = weight(layer.beta) if layer.beta is not None else np.zeros_like(mean)
    if x.ndim == 4 and axis == 3 or x.ndim == 2 and axis == 1:
        x = g.as_nchw(x) if x.ndim == 4 else x
        inputs = [x.name] + [
            g.constant(f"{layer.name}_{n}", a)
            for n, a in (("gamma", gamma), ("beta", beta), ("mean", mean), ("variance", var))
        ]
        out = g.node("BatchNormalization", inputs, layer.name, epsilon=layer.epsilon)
        return Value(out, x.shape, x.layout)
    # Any other axis: the same affine map, y = x * scale + shift, broadcast along `axis`.
    x = g.as_logical(x)
    broadcast = [1] * x.ndim
    broadcast[axis] = mean.shape[0]
    scale = gamma / np.sqrt(var + layer.epsilon)
    shift = beta - mean * scale
    out = g.node("Mul", [x.name, g.constant(f"{layer.name}_scale", scale.reshape(broadcast[1:]))], f"{layer.name}_m")
    out = g.node("Add", [out, g.constant(f"{layer.name}_shift", shift.reshape(broadcast[1:]))], layer.name)
    return Value(out, x.shape)


@converts(LocalResponseNormalization)
def local_response_normalization(g, layer, x):
    x = g.as_nchw(x)
    size = 2 * layer.depth_radius + 1  # ONNX divides alpha by the window size; TensorFlow's does not
    out = g.node("LRN", [x.name], layer.name, size=size, alpha=layer.alpha * size, beta=layer.beta, bias=layer.bias)
    return Value(out, x.shape, "nchw")


# -- activation layers ----------------------------------------------------------------------------
@converts(ReLU)
def relu_layer(g, layer, x):
    if layer.threshold == 0.0 and layer.negative_slope == 0.0:
        if layer.max_value is None:
            return Value(g.node("Relu", [x.name], layer.name), x.shape, x.layout)
        clip = [x.name, g.constant("zero", 0.0), g.constant(f"{layer.name}_max", layer.max_value)]
        return Value(g.node("Clip", clip, layer.name), x.shape, x.layout)
    # Keras's composition (activations.relu): x above the threshold, capped, plus the slope below it.
    t = g.constant(f"{layer.name}_threshold", layer.threshold)
    kept = g.node(
        "Where",
        [g.node("Greater", [x.name, t], f"{layer.name}_gt"), x.name, g.constant("zero", 0.0)],
        f"{layer.name}_kept",
    )
    if layer.max_value is not None:
        kept = g.node(
            "Clip",
            [kept, g.constant("zero", 0.0), g.constant(f"{layer.name}_max", layer.max_value)],
            f"{layer.name}_cap",
        )
    if layer.negative_slope != 0.0:
        below = g.node("Relu", [g.node("Sub", [t, x.name], f"{layer.name}_tx")], f"{layer.name}_below")
        slope = g.node("Mul", [below, g.constant(f"{layer.name}_slope", layer.negative_slope)], f"{layer.name}_s")
        kept = g.node("Sub", [kept, slope], layer.name)
    return Value(kept, x.shape, x.layout)


@converts(LeakyReLU)
def leaky_relu_layer(g, layer, x):
    return Value(g.node("LeakyRelu", [x.name], layer.name, alpha=layer.negative_slope), x.shape, x.layout)


@converts(ELU)
def elu_layer(g, layer, x):
    return Value(g.node("Elu", [x.name], layer.name, alpha=layer.alpha), x.shape, x.layout)


@converts(RReLU)
def rrelu_layer(g, layer, x):  # at inference the slope is the middle of [lower, upper]
    return Value(g.node("LeakyRelu", [x.name], layer.name, alpha=(layer.lower + layer.upper) / 2), x.shape, x.layout)


@converts(Softmax)
def softmax_layer(g, layer, x):
    x = g.as_logical(x)
    return Value(g.node("Softmax", [x.name], layer.name, axis=int(layer.axis)), x.shape)


@converts(PReLU)
def prelu_layer(g, layer, x):
    x = g.as_logical(x)  # alpha broadcasts against the logical (H, W, C) shape
    return Value(g.node("PRelu", [x.name, g.constant(f"{layer.name}_alpha", weight(layer.alpha))], layer.name), x.shape)


@converts(APL)
def apl_layer(g, layer, x):
    """relu(x) + sum_s a_s * relu(b_s - x), the hinges stacked on a leading axis and summed."""
    x = g.as_logical(x)
    a, b = weight(layer.a), weight(layer.b)  # (S, ...features)
    a = g.constant(f"{layer.name}_a", a.reshape(a.shape[0], 1, *a.shape[1:]))
    b = g.constant(f"{layer.name}_b", b.reshape(b.shape[0], 1, *b.shape[1:]))
    hinges = g.node(
        "Mul",
        [a, g.node("Relu", [g.node("Sub", [b, x.name], f"{layer.name}_bx")], f"{layer.name}_r")],
        f"{layer.name}_hinges",
    )
    summed = g.node("ReduceSum", [hinges, g.constant("axis0", [0])], f"{layer.name}_sum", keepdims=0)
    return Value(g.node("Add", [g.node("Relu", [x.name], f"{layer.name}_relu"), summed], layer.name), x.shape)


@converts(Maxout)
def maxout_layer(g, layer, x):
    x = g.as_logical(x)
    z = g.node("MatMul", [x.name, g.constant(f"{layer.name}_kernel", weight(layer.kernel))], f"{layer.name}_z")
    if layer.bias is not None:
        z = g.node("Add", [z, g.constant(f"{layer.name}_bias", weight(layer.bias))], f"{layer.name}_zb")
    pieces = g.node(
        "Reshape",
        [z, g.constant(f"{layer.name}_shape", [*([0] * (x.ndim - 1)), layer.units, layer.num_pieces])],
        f"{layer.name}_pieces",
    )
    out = g.node("ReduceMax", [pieces], layer.name, axes=[-1], keepdims=0)
    return Value(out, (*x.shape[:-1], layer.units))


# -- merges ---------------------------------------------------------------------------------------
@converts(Add, Multiply, Average, Maximum)
def elementwise_merge(g, layer, xs):
    xs = g.same_layout(xs)
    op = {Add: "Sum", Multiply: "Mul", Average: "Mean", Maximum: "Max"}[type(layer)]
    names = [v.name for v in xs]
    if op == "Mul":
        out = names[0]
        for i, name in enumerate(names[1:]):
            out = g.node("Mul", [out, name], layer.name if i == len(names) - 2 else f"{layer.name}_{i}")
    else:
        out = g.node(op, names, layer.name)
    return Value(out, xs[0].shape, xs[0].layout)


@converts(Concatenate)
def concatenate(g, layer, xs):
    xs = g.same_layout(xs)
    axis = layer.axis % xs[0].ndim
    stored = nchw_axis(axis) if xs[0].layout == "nchw" else axis
    return Value(g.node("Concat", [v.name for v in xs], layer.name, axis=stored), xs[0].shape, xs[0].layout)
