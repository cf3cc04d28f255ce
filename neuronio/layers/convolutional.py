"""Conv2D and ZeroPadding2D (channels-last)."""

from neuronio import activations, config, regularizers
from neuronio.layers import legacy
from neuronio.layers.arguments import (
    check_channels_last,
    check_one,
    check_positive_int,
    check_window_fits,
    normalize_padding_pairs,
)
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.layers.weight_options import add_kernel_and_bias, kernel_bias_config, set_kernel_bias_options
from neuronio.ops import conv2d, pad
from neuronio.ops._windows import conv_output_size, normalize_padding, normalize_pair


@registry.register("Conv2D")
class Conv2D(Layer):
    """2-D convolution over images: `outputs = activation(conv2d(inputs, kernel) + bias)`.

    Args:
        filters: number of output channels F.
        kernel_size: int or (KH, KW).
        strides: int or (SH, SW).
        padding: "valid" (no padding) or "same" (output size ceil(H / SH)).
        dilation_rate: int or (DH, DW), the spacing of the kernel's taps (an atrous convolution);
            as in Keras, not together with strides above 1.
        activation, use_bias, kernel_initializer, bias_initializer: as in Dense.
        kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint,
        bias_constraint: as in Dense.

    Input shape:  (batch, H, W, C)
    Output shape: (batch, OH, OW, filters), OH = (H - KH) // SH + 1 for "valid".
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        groups=1,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        if kwargs.keys() & {"init", "border_mode", "subsample", "dim_ordering"}:
            legacy.translate("Conv2D", kwargs)
            kernel_initializer = kwargs.pop("kernel_initializer", kernel_initializer)
            padding = kwargs.pop("padding", padding)
            strides = kwargs.pop("strides", strides)
        super().__init__(**kwargs)
        owner = f"Conv2D '{self.name}'"
        self.filters = check_positive_int(owner, "filters", filters)
        self.kernel_size = normalize_pair("kernel_size", kernel_size, owner)
        self.strides = normalize_pair("strides", strides, owner)
        self.padding = normalize_padding(padding, owner)
        check_channels_last(owner, data_format)
        self.dilation_rate = normalize_pair("dilation_rate", dilation_rate, owner)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: `strides > 1` not supported in conjunction with `dilation_rate > 1` (as in Keras); "
                f"received strides={strides!r} and dilation_rate={dilation_rate!r}. Use one of the two."
            )
        check_one(owner, "groups", groups)
        self.activation = activations.get(activation)
        set_kernel_bias_options(self, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer, kernel_constraint, bias_constraint)  # fmt: skip
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"Conv2D '{self.name}': the channel axis must be known; received {input_shape}.")
        add_kernel_and_bias(self, (*self.kernel_size, channels, self.filters), self.filters)  # (KH, KW, C, F)
        self.input_spec = InputSpec(ndim=4, axes={-1: channels})

    def call(self, inputs):
        # The bias is added inside the convolution, onto its GEMM's output (one pass fewer than `x + bias`),
        # and a default relu too (activations.fusable decides): oneDNN applies it as the outputs are written.
        fused = activations.fusable(self.activation, op_takes=("relu",))
        x = conv2d(
            inputs,
            self.kernel,
            strides=self.strides,
            padding=self.padding,
            bias=self.bias,
            dilation_rate=self.dilation_rate,
            activation=fused,
        )
        return x if fused else self.activation(x)  # (N, OH, OW, F)

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        oh = conv_output_size(h, self.kernel_size[0], self.strides[0], self.padding, self.dilation_rate[0])
        ow = conv_output_size(w, self.kernel_size[1], self.strides[1], self.padding, self.dilation_rate[1])
        check_window_fits(self, input_shape, self.kernel_size, oh, ow)
        return (n, oh, ow, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": config.image_data_format(),
            "dilation_rate": list(self.dilation_rate),
            "groups": 1,
            "activation": activations.serialize(self.activation),
            **kernel_bias_config(self),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),  # Keras writes it, even None
        }


@registry.register("ZeroPadding2D")
class ZeroPadding2D(Layer):
    """Adds rows and columns of zeros around images.

    Args:
        padding: int, (rows, cols) for symmetric padding, or ((top, bottom), (left, right)).

    Input shape:  (batch, H, W, C)
    Output shape: (batch, H + top + bottom, W + left + right, C)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(f"ZeroPadding2D '{self.name}'", data_format)
        self.padding = normalize_padding_pairs(padding, f"ZeroPadding2D '{self.name}'")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        (top, bottom), (left, right) = self.padding
        return pad(inputs, ((0, 0), (top, bottom), (left, right), (0, 0)))

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        (top, bottom), (left, right) = self.padding
        return (n, None if h is None else h + top + bottom, None if w is None else w + left + right, c)

    def get_config(self):
        return {
            **super().get_config(),
            "padding": [list(p) for p in self.padding],
            "data_format": config.image_data_format(),
        }


# Keras 1 kept its convolution here; the decks import it from keras.layers.convolutional.
def Convolution2D(nb_filter, nb_row=None, nb_col=None, **kwargs):  # noqa: N802 - the Keras 1 name
    """Keras 1's Convolution2D(nb_filter, nb_row, nb_col, ...): a Conv2D of nb_filter filters of
    nb_row x nb_col, with init/border_mode/subsample read as kernel_initializer/padding/strides."""
    if nb_row is not None and nb_col is not None and "kernel_size" not in kwargs:
        legacy.warn_legacy(
            f"Convolution2D({nb_filter}, {nb_row}, {nb_col}) is the Keras 1 spelling of "
            f"Conv2D({nb_filter}, ({nb_row}, {nb_col})): {nb_filter} filters of {nb_row}x{nb_col}, stride 1. "
            f"(Keras 3 would read it as kernel {nb_row} and stride {nb_col}.)"
        )
        kwargs["kernel_size"] = (nb_row, nb_col)
    elif nb_row is not None:
        kwargs["kernel_size"] = nb_row
        if nb_col is not None:
            kwargs["strides"] = nb_col
    legacy.translate("Convolution2D", kwargs)
    return Conv2D(nb_filter, **kwargs)
