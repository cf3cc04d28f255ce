"""Conv1DTranspose, DepthwiseConv1D and SeparableConv1D: the 2-D layers of conv_variants.py at
`rank = 1`, with Keras 3's 1-D signatures (int strides and dilation_rate), weight shapes and
configs. They compute on a height-1 view of the sequence with the same 2-D ops, as conv1d does."""

from neuronio.layers.conv_variants import Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from neuronio.layers.layer import registry


def _arguments(local_names: dict) -> dict:
    """A 1-D constructor's arguments, passed on by name to the 2-D constructor."""
    kwargs = local_names.pop("kwargs")
    return {**{k: v for k, v in local_names.items() if k not in ("self", "__class__")}, **kwargs}


@registry.register("Conv1DTranspose", "Convolution1DTranspose")
class Conv1DTranspose(Conv2DTranspose):
    """Transposed 1-D convolution: upsamples sequences by `strides` (decoders, WaveNet-style vocoders).

    Args as Conv2DTranspose's, for one axis: kernel_size, strides and output_padding are ints
    (or 1-tuples); padding is "valid" (out = (L - 1)*S + max(K, S)) or "same" (out = L*S).

    Weights: kernel (K, filters, in_channels) (Keras's layout), bias (filters,).
    Input shape: (batch, L, C).  Output shape: (batch, out, filters).

    >>> import numpy as np
    >>> Conv1DTranspose(4, 3, strides=2, padding="same")(np.ones((2, 5, 3), "float32")).shape
    (2, 10, 4)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):  # fmt: skip
        super().__init__(**_arguments(locals()))


@registry.register("DepthwiseConv1D")
class DepthwiseConv1D(DepthwiseConv2D):
    """Convolves every input channel of a sequence with its own `depth_multiplier` filters.

    Weights: kernel (K, C, depth_multiplier), bias (C * depth_multiplier,).
    Input shape: (batch, L, C).  Output shape: (batch, out, C * depth_multiplier); out as in Conv1D.

    >>> import numpy as np
    >>> DepthwiseConv1D(3, depth_multiplier=2)(np.ones((2, 5, 3), "float32")).shape
    (2, 3, 6)
    """

    rank = 1

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):  # fmt: skip
        super().__init__(**_arguments(locals()))


@registry.register("SeparableConv1D", "SeparableConvolution1D")
class SeparableConv1D(SeparableConv2D):
    """A depthwise 1-D convolution followed by a pointwise (kernel size 1) one to `filters` channels.

    Weights, in Keras's order: depthwise_kernel (K, C, depth_multiplier), pointwise_kernel
    (1, C * depth_multiplier, filters), bias (filters,).
    Input shape: (batch, L, C).  Output shape: (batch, out, filters); out as in Conv1D.

    >>> import numpy as np
    >>> SeparableConv1D(4, 3, padding="same")(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    rank = 1

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):  # fmt: skip
        super().__init__(**_arguments(locals()))
