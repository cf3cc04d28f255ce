"""Converters for Keras 3's vision and 1-D layers: the separable and depthwise convolutions,
Conv1D and the 1-D poolings, Rescaling, Cropping2D, nearest UpSampling2D, LayerNormalization,
Subtract, and the training-only noise layers (identities at inference)."""

import numpy as np

from neuronio.layers import (
    AveragePooling1D,
    Conv1D,
    Cropping2D,
    DepthwiseConv2D,
    GaussianNoise,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    LayerNormalization,
    MaxPooling1D,
    Rescaling,
    SeparableConv2D,
    SpatialDropout2D,
    Subtract,
    UpSampling2D,
)
from neuronio.ops._windows import same_padding
from neuronio.saving.onnx.converters import _pads, apply_activation, converts, identity_at_inference, weight
from neuronio.saving.onnx.graph import ExportError, Value

converts(GaussianNoise, SpatialDropout2D)(identity_at_inference)


@converts(Subtract)
def subtract(g, layer, xs):
    a, b = g.same_layout(xs)
    return Value(g.node("Sub", [a.name, b.name], layer.name), a.shape, a.layout)


@converts(Rescaling)
def rescaling(g, layer, x):
    x = g.as_logical(x)
    scaled = g.node("Mul", [x.name, g.constant(f"{layer.name}_scale", np.float32(layer.scale))], f"{layer.name}_m")
    return Value(
        g.node("Add", [scaled, g.constant(f"{layer.name}_offset", np.float32(layer.offset))], layer.name), x.shape
    )


@converts(Cropping2D)
def cropping2d(g, layer, x):
    x = g.as_logical(x)
    (top, bottom), (left, right) = layer.cropping
    h, w = x.shape[1], x.shape[2]
    starts = g.constant(f"{layer.name}_starts", [top, left])
    ends = g.constant(f"{layer.name}_ends", [h - bottom, w - right])
    return Value(g.node("Slice", [x.name, starts, ends, g.constant("axes_hw", [1, 2])], layer.name), x.shape)


@converts(UpSampling2D)
def upsampling2d(g, layer, x):
    if layer.interpolation != "nearest":
        raise ExportError(
            f"'{layer.name}': UpSampling2D(interpolation='{layer.interpolation}') is exported as 'nearest' only."
        )
    x = g.as_nchw(x)
    scales = g.constant(f"{layer.name}_scales", np.array([1, 1, *layer.size], dtype=np.float32))
    out = g.node("Resize", [x.name, "", scales], layer.name, mode="nearest", nearest_mode="floor",
                 coordinate_transformation_mode="asymmetric")  # fmt: skip
    return Value(out, x.shape, "nchw")


@converts(LayerNormalization)
def layer_normalization(g, layer, x):
    if layer.rms_scaling:
        raise ExportError(f"'{layer.name}': LayerNormalization(rms_scaling=True) has no ONNX export here.")
    x = g.as_logical(x)
    mean = g.node("ReduceMean", [x.name], f"{layer.name}_mean", axes=list(layer._axes), keepdims=1)
    centred = g.node("Sub", [x.name, mean], f"{layer.name}_centred")
    variance = g.node("ReduceMean", [g.node("Mul", [centred, centred], f"{layer.name}_sq")], f"{layer.name}_var",
                      axes=list(layer._axes), keepdims=1)  # fmt: skip
    eps = g.constant(f"{layer.name}_eps", np.float32(layer.epsilon))
    y = g.node("Div", [centred, g.node("Sqrt", [g.node("Add", [variance, eps], f"{layer.name}_ve")], f"{layer.name}_sd")],
               f"{layer.name}_norm")  # fmt: skip
    broadcast = layer._broadcast[1:]
    if layer.gamma is not None:
        y = g.node(
            "Mul", [y, g.constant(f"{layer.name}_gamma", weight(layer.gamma).reshape(broadcast))], f"{layer.name}_g"
        )
    if layer.beta is not None:
        y = g.node(
            "Add", [y, g.constant(f"{layer.name}_beta", weight(layer.beta).reshape(broadcast))], f"{layer.name}_b"
        )
    return Value(g.node("Identity", [y], layer.name), x.shape)


def _depthwise(g, layer, x, kernel, hint):
    """A depthwise convolution as ONNX's grouped Conv: output channel c*M + m is input channel c
    convolved with kernel[:, :, c, m], as Keras orders them."""
    kh, kw, c, m = kernel.shape
    w = kernel.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
    dh, dw = layer.dilation_rate
    pads = _pads(layer, x.shape[1:3], ((kh - 1) * dh + 1, (kw - 1) * dw + 1), tuple(layer.strides))
    return g.node("Conv", [x.name, g.constant(f"{hint}_kernel", w)], hint, kernel_shape=[kh, kw],
                  strides=list(layer.strides), pads=pads, dilations=[dh, dw], group=c)  # fmt: skip


@converts(DepthwiseConv2D)
def depthwise_conv2d(g, layer, x):
    x = g.as_nchw(x)
    out = _depthwise(g, layer, x, weight(layer.kernel), f"{layer.name}_dw")
    if layer.bias is not None:
        bias = weight(layer.bias).reshape(1, -1, 1, 1)
        out = g.node("Add", [out, g.constant(f"{layer.name}_bias", bias)], f"{layer.name}_b")
    return apply_activation(g, layer.activation, Value(out, x.shape, "nchw"), f"{layer.name}_act")


@converts(SeparableConv2D)
def separable_conv2d(g, layer, x):
    x = g.as_nchw(x)
    depthwise = _depthwise(g, layer, x, weight(layer.depthwise_kernel), f"{layer.name}_dw")
    pointwise = weight(layer.pointwise_kernel).transpose(3, 2, 0, 1)  # (1, 1, C*M, F) -> (F, C*M, 1, 1)
    inputs = [depthwise, g.constant(f"{layer.name}_pw", pointwise)]
    if layer.bias is not None:
        inputs.append(g.constant(f"{layer.name}_bias", weight(layer.bias)))
    out = g.node("Conv", inputs, layer.name, kernel_shape=[1, 1])
    return apply_activation(g, layer.activation, Value(out, x.shape, "nchw"), f"{layer.name}_act")


def _channels_first_1d(g, x, hint):
    return g.node("Transpose", [g.as_logical(x).name], f"{hint}_ncl", perm=[0, 2, 1])  # (N, T, C) -> (N, C, T)


def _channels_last_1d(g, y, hint):
    return g.node("Transpose", [y], hint, perm=[0, 2, 1])


def _pads_1d(padding, steps, span, stride):
    if padding == "causal":
        return [span - 1, 0]
    if padding == "same":
        return list(same_padding(steps, span, stride))
    return [0, 0]


@converts(Conv1D)
def conv1d(g, layer, x):
    kernel = weight(layer.kernel)  # (K, C / groups, F)
    span = (kernel.shape[0] - 1) * layer.dilation_rate + 1
    inputs = [_channels_first_1d(g, x, layer.name), g.constant(f"{layer.name}_kernel", kernel.transpose(2, 1, 0))]
    if layer.bias is not None:
        inputs.append(g.constant(f"{layer.name}_bias", weight(layer.bias)))
    out = g.node("Conv", inputs, f"{layer.name}_conv", kernel_shape=[kernel.shape[0]], strides=[layer.strides],
                 dilations=[layer.dilation_rate], pads=_pads_1d(layer.padding, x.shape[1], span, layer.strides),
                 group=layer.groups)  # fmt: skip
    return apply_activation(
        g, layer.activation, Value(_channels_last_1d(g, out, layer.name), x.shape), f"{layer.name}_act"
    )


@converts(MaxPooling1D, AveragePooling1D)
def pool1d(g, layer, x):
    before, after = _pads_1d(layer.padding, x.shape[1], layer.pool_size, layer.strides)
    attributes = {"kernel_shape": [layer.pool_size], "strides": [layer.strides], "pads": [before, after]}
    if isinstance(layer, AveragePooling1D):
        attributes["count_include_pad"] = 0
    op = "MaxPool" if isinstance(layer, MaxPooling1D) else "AveragePool"
    out = g.node(op, [_channels_first_1d(g, x, layer.name)], f"{layer.name}_pool", **attributes)
    return Value(_channels_last_1d(g, out, layer.name), x.shape)


@converts(GlobalAveragePooling1D, GlobalMaxPooling1D)
def global_pool1d(g, layer, x):
    x = g.as_logical(x)
    op = "ReduceMean" if isinstance(layer, GlobalAveragePooling1D) else "ReduceMax"
    return Value(g.node(op, [x.name], layer.name, axes=[1], keepdims=int(layer.keepdims)), x.shape)
