"""Max and average pooling over steps, and their global forms (channels-last sequences)."""

import numpy as np

from neuronio import config
from neuronio.autodiff.tensor import Tensor, as_array
from neuronio.errors import ShapeError
from neuronio.layers.arguments import check_channels_last
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import avg_pool1d, divide, max, max_pool1d, mean, multiply, sum
from neuronio.ops._windows import conv_output_size, normalize_padding, normalize_single


class _Pooling1D(Layer):
    """Shared arguments and shape arithmetic of MaxPooling1D and AveragePooling1D."""

    _pool = None  # the op: max_pool1d or avg_pool1d

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        self.pool_size = normalize_single("pool_size", pool_size, owner)
        self.strides = self.pool_size if strides is None else normalize_single("strides", strides, owner)
        self.padding = normalize_padding(padding, owner)
        check_channels_last(owner, data_format, "NLC", "(0, 2, 1)")
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return type(self)._pool(inputs, self.pool_size, strides=self.strides, padding=self.padding)

    def compute_output_shape(self, input_shape):
        n, steps, c = input_shape
        out = conv_output_size(steps, self.pool_size, self.strides, self.padding)
        if out is not None and out <= 0:
            raise ShapeError(
                f"Layer '{self.name}' ({type(self).__name__}): a pool of {self.pool_size} steps does not fit "
                f"inputs of shape {tuple(input_shape)} with padding='{self.padding}'; the output would be "
                f"empty. Use padding='same' or a smaller pool_size."
            )
        return (n, out, c)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": [self.pool_size],
            "strides": [self.strides],
            "padding": self.padding,
            "data_format": config.image_data_format(),
        }


@registry.register("MaxPooling1D", "MaxPool1D")
class MaxPooling1D(_Pooling1D):
    """The largest value in each window of `pool_size` steps, moved by `strides` (default: pool_size).

    Input shape:  (batch, steps, C)
    Output shape: (batch, out_steps, C), out_steps = (steps - pool) // stride + 1 for "valid".
    """

    _pool = staticmethod(max_pool1d)


@registry.register("AveragePooling1D", "AvgPool1D")
class AveragePooling1D(_Pooling1D):
    """The mean of each window of steps; with padding="same", padded steps are not counted.

    Keras 3 requires `pool_size` here (MaxPooling1D defaults it to 2); neuronio keeps 2 as the
    default for both.
    """

    _pool = staticmethod(avg_pool1d)


class _GlobalPooling1D(Layer):
    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(f"{type(self).__name__} '{self.name}'", data_format, "NLC", "(0, 2, 1)")
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        n, _, c = input_shape
        return (n, 1, c) if self.keepdims else (n, c)

    def get_config(self):
        return {**super().get_config(), "data_format": config.image_data_format(), "keepdims": self.keepdims}


@registry.register("GlobalAveragePooling1D", "GlobalAvgPool1D")
class GlobalAveragePooling1D(_GlobalPooling1D):
    """The mean of each channel over the steps: (batch, steps, C) -> (batch, C).

    With a mask (batch, steps) (from Embedding(mask_zero=True) or Masking), the mean is over the
    unmasked steps only, as in Keras: sum(x * mask) / sum(mask) (a sample with every step masked
    gives NaN there, as Keras's does).
    """

    def call(self, inputs, mask=None):
        if mask is None:
            return mean(inputs, axis=1, keepdims=self.keepdims)
        weights = Tensor(np.asarray(as_array(mask), dtype=inputs.dtype)[:, :, None])  # (N, L, 1): 1 = a real step
        total = sum(multiply(inputs, weights), axis=1, keepdims=self.keepdims)  # (N, C) or (N, 1, C)
        return divide(total, sum(weights, axis=1, keepdims=self.keepdims))


@registry.register("GlobalMaxPooling1D", "GlobalMaxPool1D")
class GlobalMaxPooling1D(_GlobalPooling1D):
    """The largest value of each channel over the steps: (batch, steps, C) -> (batch, C)."""

    def call(self, inputs):
        return max(inputs, axis=1, keepdims=self.keepdims)
