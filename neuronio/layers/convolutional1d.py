"""Conv1D: convolution over sequences (channels-last), with Keras 3's 'causal' padding, dilation and groups."""

from neuronio import activations, config, regularizers
from neuronio.errors import ShapeError
from neuronio.layers.arguments import check_channels_last, check_positive_int
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.layers.weight_options import add_kernel_and_bias, kernel_bias_config, set_kernel_bias_options
from neuronio.ops import concatenate, conv1d, getitem
from neuronio.ops._windows import conv_output_size, normalize_padding, normalize_single


@registry.register("Conv1D", "Convolution1D")
class Conv1D(Layer):
    """1-D convolution over steps: `outputs = activation(conv1d(inputs, kernel) + bias)`.

    Args:
        filters: number of output channels F.
        kernel_size: int (or a tuple of 1 int), K.
        strides: int, the step between windows.
        padding: "valid", "same" (out = ceil(steps / stride)) or "causal" (zeros before the
            sequence only, so that output t depends on inputs up to t: for sequence models).
        dilation_rate: int, the spacing of the kernel's taps (Keras refuses it above 1 together
            with strides above 1, and so does this layer).
        groups: split the input channels into this many groups, each convolved with its own
            filters // groups filters (kernel (K, C // groups, F), as Keras lays it out).
        activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
        bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint: as in Dense.

    Input shape:  (batch, steps, C)
    Output shape: (batch, out_steps, filters)
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
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
        super().__init__(**kwargs)
        owner = f"Conv1D '{self.name}'"
        self.filters = check_positive_int(owner, "filters", filters)
        self.kernel_size = normalize_single("kernel_size", kernel_size, owner)
        self.strides = normalize_single("strides", strides, owner)
        self.padding = normalize_padding(padding, owner, allowed=("valid", "same", "causal"))
        self.dilation_rate = normalize_single("dilation_rate", dilation_rate, owner)
        check_channels_last(owner, data_format, "NLC", "(0, 2, 1)")
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(
                f"{owner}: `strides > 1` not supported in conjunction with `dilation_rate > 1` (as in Keras); "
                f"received strides={strides!r} and dilation_rate={dilation_rate!r}. Use one of the two."
            )
        self.groups = check_positive_int(owner, "groups", groups)
        if self.filters % self.groups:
            raise ValueError(
                f"{owner}: `filters` must be divisible by `groups`; received filters={filters}, groups={groups}."
            )
        self.activation = activations.get(activation)
        set_kernel_bias_options(self, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer, kernel_constraint, bias_constraint)  # fmt: skip
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None or channels % self.groups:
            raise ValueError(
                f"Conv1D '{self.name}': the channel axis must be known and divisible by groups={self.groups}; "
                f"received input shape {tuple(input_shape)}."
            )
        add_kernel_and_bias(
            self, (self.kernel_size, channels // self.groups, self.filters), self.filters
        )  # (K, C/G, F)
        self.input_spec = InputSpec(ndim=3, axes={-1: channels})

    def call(self, inputs):
        arguments = {"strides": self.strides, "padding": self.padding, "dilation_rate": self.dilation_rate}
        if self.groups == 1:
            return self.activation(conv1d(inputs, self.kernel, bias=self.bias, **arguments))  # (N, OL, F)
        # Group g convolves input channels [g*C/G, (g+1)*C/G) with filters [g*F/G, (g+1)*F/G).
        c, f = self.kernel.shape[1], self.filters // self.groups
        parts = [
            conv1d(
                getitem(inputs, (Ellipsis, slice(g * c, (g + 1) * c))),
                getitem(self.kernel, (Ellipsis, slice(g * f, (g + 1) * f))),
                bias=None if self.bias is None else getitem(self.bias, slice(g * f, (g + 1) * f)),
                **arguments,
            )
            for g in range(self.groups)
        ]
        return self.activation(concatenate(parts, axis=-1))  # (N, OL, F)

    def compute_output_shape(self, input_shape):
        n, steps, _ = input_shape
        out = conv_output_size(steps, self.kernel_size, self.strides, self.padding, self.dilation_rate)
        if out is not None and out <= 0:
            span = (self.kernel_size - 1) * self.dilation_rate + 1
            raise ShapeError(
                f"Layer '{self.name}' (Conv1D): a kernel spanning {span} steps does not fit inputs of shape "
                f"{tuple(input_shape)} with padding='{self.padding}'; the output would be empty. Use "
                f"padding='same' or 'causal', or a smaller kernel_size or dilation_rate."
            )
        return (n, out, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": [self.kernel_size],
            "strides": [self.strides],
            "padding": self.padding,
            "data_format": config.image_data_format(),
            "dilation_rate": [self.dilation_rate],
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            **kernel_bias_config(self),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),  # Keras writes it, even None
        }
