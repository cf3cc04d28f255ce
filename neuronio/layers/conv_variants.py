"""Conv2DTranspose, DepthwiseConv2D and SeparableConv2D (channels-last), with Keras 3's arguments,
defaults, weight names and weight order.

The classes are written for any spatial rank up to 2 (`rank`): their 1-D forms (Conv1DTranspose,
DepthwiseConv1D, SeparableConv1D in conv_variants1d.py) set `rank = 1`, keep Keras's 1-D weight
shapes, and run the same 2-D ops on a height-1 view (`_lift` / `_drop`), as conv1d does.
"""

from neuronio import activations, config, initializers, regularizers
from neuronio.layers.arguments import check_channels_last, check_positive_int, check_window_fits
from neuronio.layers.input_spec import InputSpec, check_input
from neuronio.layers.layer import Layer, registry
from neuronio.layers.weight_options import (
    add_kernel_and_bias,
    set_weight_options,
    weight_options,
    weight_options_config,
)
from neuronio.ops import add, conv2d, reshape
from neuronio.ops._windows import conv_output_size, normalize_padding, normalize_pair, normalize_single
from neuronio.ops.depthwise import depthwise_conv2d
from neuronio.ops.transposed_conv import conv2d_transpose, normalize_output_padding, transpose_crop

# The channels-last layout of each rank, and the transpose that brings channels-first data to it.
_LAYOUTS = {1: ("NLC", "(0, 2, 1)"), 2: ("NHWC", "(0, 2, 3, 1)")}


class _WindowLayer(Layer):
    """What the three share: kernel_size, strides, padding, activation, bias, channels-last checks.

    `rank` is the number of spatial axes (2: images (N, H, W, C); 1: sequences (N, L, C)).
    kernel_size and strides are `rank`-tuples; the weights keep Keras's shapes for that rank."""

    rank = 2

    def __init__(self, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, weights,
                 **kwargs):  # fmt: skip
        """`weights`: {weight: (regularizer, constraint)}, the `<weight>_regularizer=` and
        `<weight>_constraint=` arguments of the layer (kernel, depthwise, pointwise, bias)."""
        super().__init__(**kwargs)
        for weight, (regularizer, constraint) in weights.items():
            set_weight_options(self, weight, regularizer, constraint)
        self._option_weights = tuple(weights)
        owner = f"{type(self).__name__} '{self.name}'"
        self.kernel_size = self._tuple("kernel_size", kernel_size, owner)
        self.strides = self._tuple("strides", strides, owner)
        self.padding = normalize_padding(padding, owner)
        check_channels_last(owner, data_format, *_LAYOUTS[self.rank])
        self.dilation_rate = self._tuple("dilation_rate", dilation_rate, owner)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _tuple(self, name: str, value, owner: str) -> tuple:
        if self.rank == 1:
            return (normalize_single(name, value, owner),)
        return normalize_pair(name, value, owner)

    # -- the 1-D forms run the 2-D ops on a height-1 view -------------------------------------------
    def _lift(self, x):
        """Sequences (N, L, C) -> (N, 1, L, C): a view."""
        return x if self.rank == 2 else reshape(x, (x.shape[0], 1, *x.shape[1:]))

    def _lift_kernel(self, kernel):
        """A 1-D kernel (K, ...) -> (1, K, ...): a view."""
        return kernel if self.rank == 2 else reshape(kernel, (1, *kernel.shape))

    def _drop(self, y):
        """(N, 1, OL, F) -> (N, OL, F)."""
        return y if self.rank == 2 else reshape(y, (y.shape[0], *y.shape[2:]))

    @property
    def _strides2(self) -> tuple:
        return (1,) * (2 - self.rank) + self.strides

    @property
    def _dilation2(self) -> tuple:
        return (1,) * (2 - self.rank) + self.dilation_rate

    def _channels(self, input_shape) -> int:
        check_input(self.input_spec, input_shape, self, 0)  # the rank, before the shape is read
        if input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the channel axis must be known; received {input_shape}."
            )
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={-1: input_shape[-1]})
        self.compute_output_shape(input_shape)  # a window that does not fit fails here, naming the layer
        return input_shape[-1]

    def _finish(self, x):
        if self.bias is not None:
            x = add(x, self.bias)
        return self.activation(x)

    def _window_output_shape(self, input_shape, channels_out):
        sizes = [
            conv_output_size(size, k, s, self.padding, d)
            for size, k, s, d in zip(input_shape[1:-1], self.kernel_size, self.strides, self.dilation_rate, strict=True)
        ]
        pad = [1] * (2 - self.rank)
        spans = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate, strict=True)]  # dilated
        check_window_fits(self, input_shape, (*pad, *spans), *pad, *sizes)
        return (input_shape[0], *sizes, channels_out)

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_size": list(self.kernel_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": config.image_data_format(),
            "dilation_rate": list(self.dilation_rate),
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            **weight_options_config(self, *self._option_weights),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),  # Keras writes it, even None
        }


@registry.register("Conv2DTranspose")
class Conv2DTranspose(_WindowLayer):
    """Transposed convolution ("deconvolution"): upsamples by `strides`, e.g. in decoders and GANs.

    Args:
        filters: output channels F.  kernel_size, strides: int or pair.
        padding: "valid" (OH = (H - 1)*SH + max(KH, SH)) or "same" (OH = H*SH).
        output_padding: None, an int or a pair: extra rows/columns at the end (each < stride).
        dilation_rate: int or pair, the spacing of the kernel's taps (with strides 1 only, as Keras).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as in Conv2D.

    Weights: kernel of shape (KH, KW, filters, in_channels) (Keras's layout), bias (filters,).
    Input shape: (batch, H, W, C).  Output shape: (batch, OH, OW, filters).
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, **kwargs):  # fmt: skip
        weights = {"kernel": (kernel_regularizer, kernel_constraint), "bias": (bias_regularizer, bias_constraint)}
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, weights,
                         **kwargs)  # fmt: skip
        owner = f"{type(self).__name__} '{self.name}'"
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"{owner}: `strides > 1` not supported in conjunction with `dilation_rate > 1` (as in Keras); "
                f"received strides={strides!r} and dilation_rate={dilation_rate!r}. Use one of the two."
            )
        self.filters = check_positive_int(owner, "filters", filters)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = self._output_padding(output_padding, owner)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def _output_padding(self, value, owner: str) -> tuple:
        """A `rank`-tuple of ints, each in [0, stride)."""
        if self.rank == 2:
            try:
                return normalize_output_padding(value, self.strides)
            except ValueError as exc:
                raise ValueError(f"{owner}: {exc}") from None
        single = value[0] if isinstance(value, (tuple, list)) and len(value) == 1 else value
        if isinstance(single, bool) or not isinstance(single, int) or not 0 <= single < self.strides[0]:
            raise ValueError(
                f"{owner}: `output_padding` must be None, an int or a tuple of 1 int, in [0, stride); received "
                f"output_padding={value!r} with strides={self.strides[0]}."
            )
        return (single,)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        shape = (*self.kernel_size, self.filters, channels)  # (KH, KW, F, C): Keras's order
        add_kernel_and_bias(self, shape, self.filters)

    def call(self, inputs):
        pads = None if self.output_padding is None else (0,) * (2 - self.rank) + self.output_padding
        kernel = self._lift_kernel(self.kernel)
        x = conv2d_transpose(self._lift(inputs), kernel, self._strides2, self.padding, pads, self._dilation2)
        return self._finish(self._drop(x))  # (N, OH, OW, F)

    def compute_output_shape(self, input_shape):
        pads = self.output_padding or (None,) * self.rank
        spans = [(k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate, strict=True)]
        sizes = [
            None if size is None else transpose_crop(size, k, s, self.padding, p)[1]
            for size, k, s, p in zip(input_shape[1:-1], spans, self.strides, pads, strict=True)
        ]
        return (input_shape[0], *sizes, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "output_padding": None if self.output_padding is None else list(self.output_padding),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


@registry.register("DepthwiseConv2D")
class DepthwiseConv2D(_WindowLayer):
    """Convolves every input channel with its own `depth_multiplier` filters (no channel mixing).

    `dilation_rate` (int or pair) spaces the kernel's taps, as in Conv2D (also SeparableConv2D's).

    Weights: kernel (KH, KW, C, depth_multiplier), bias (C * depth_multiplier,).
    Input shape: (batch, H, W, C).  Output shape: (batch, OH, OW, C * depth_multiplier);
    OH as in Conv2D.
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):  # fmt: skip
        weights = {
            "depthwise": (depthwise_regularizer, depthwise_constraint),
            "bias": (bias_regularizer, bias_constraint),
        }
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, weights,
                         **kwargs)  # fmt: skip
        self.depth_multiplier = check_positive_int(
            f"{type(self).__name__} '{self.name}'", "depth_multiplier", depth_multiplier
        )
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        shape = (*self.kernel_size, channels, self.depth_multiplier)
        self.kernel = self.add_weight(
            shape=shape, initializer=self.depthwise_initializer, name="kernel", **weight_options(self, "depthwise")
        )
        self.bias = None
        if self.use_bias:
            units = channels * self.depth_multiplier
            self.bias = self.add_weight(
                shape=(units,), initializer=self.bias_initializer, name="bias", **weight_options(self, "bias")
            )

    def call(self, inputs):
        kernel = self._lift_kernel(self.kernel)
        x = depthwise_conv2d(self._lift(inputs), kernel, self._strides2, self.padding, self._dilation2)
        return self._finish(self._drop(x))

    def compute_output_shape(self, input_shape):
        channels = None if input_shape[-1] is None else input_shape[-1] * self.depth_multiplier
        return self._window_output_shape(input_shape, channels)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }


@registry.register("SeparableConv2D")
class SeparableConv2D(_WindowLayer):
    """A depthwise convolution followed by a 1x1 ("pointwise") convolution to `filters` channels.

    Weights, in Keras's order: depthwise_kernel (KH, KW, C, depth_multiplier), pointwise_kernel
    (1, 1, C * depth_multiplier, filters), bias (filters,).
    Input shape: (batch, H, W, C).  Output shape: (batch, OH, OW, filters); OH as in Conv2D.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):  # fmt: skip
        weights = {
            "depthwise": (depthwise_regularizer, depthwise_constraint),
            "pointwise": (pointwise_regularizer, pointwise_constraint),
            "bias": (bias_regularizer, bias_constraint),
        }
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias, weights,
                         **kwargs)  # fmt: skip
        owner = f"{type(self).__name__} '{self.name}'"
        self.filters = check_positive_int(owner, "filters", filters)
        self.depth_multiplier = check_positive_int(owner, "depth_multiplier", depth_multiplier)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        depth = channels * self.depth_multiplier
        self.depthwise_kernel = self.add_weight(
            shape=(*self.kernel_size, channels, self.depth_multiplier),
            initializer=self.depthwise_initializer,
            name="depthwise_kernel",
            **weight_options(self, "depthwise"),
        )
        self.pointwise_kernel = self.add_weight(
            shape=(*(1,) * self.rank, depth, self.filters),
            initializer=self.pointwise_initializer,
            name="pointwise_kernel",
            **weight_options(self, "pointwise"),
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer, name="bias", **weight_options(self, "bias")
            )

    def call(self, inputs):
        kernel = self._lift_kernel(self.depthwise_kernel)
        x = depthwise_conv2d(self._lift(inputs), kernel, self._strides2, self.padding, self._dilation2)
        x = conv2d(x, self._lift_kernel(self.pointwise_kernel), bias=self.bias)  # (N, OH, OW, F)
        return self.activation(self._drop(x))

    def compute_output_shape(self, input_shape):
        return self._window_output_shape(input_shape, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
        }
