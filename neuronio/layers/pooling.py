"""Max and average pooling over windows, and their global forms."""

from neuronio import config
from neuronio.layers.arguments import check_channels_last, check_window_fits
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import avg_pool2d, max, max_pool2d, mean
from neuronio.ops._windows import conv_output_size, normalize_padding, normalize_pair


class _Pooling2D(Layer):
    """Shared arguments and shape arithmetic of MaxPooling2D and AveragePooling2D."""

    _pool = None  # the op: max_pool2d or avg_pool2d

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        self.pool_size = normalize_pair("pool_size", pool_size, owner)
        self.strides = self.pool_size if strides is None else normalize_pair("strides", strides, owner)
        self.padding = normalize_padding(padding, owner)
        check_channels_last(owner, data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return type(self)._pool(inputs, self.pool_size, strides=self.strides, padding=self.padding)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        oh = conv_output_size(h, self.pool_size[0], self.strides[0], self.padding)
        ow = conv_output_size(w, self.pool_size[1], self.strides[1], self.padding)
        check_window_fits(self, input_shape, self.pool_size, oh, ow)
        return (n, oh, ow, c)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": list(self.pool_size),
            "strides": list(self.strides),
            "padding": self.padding,
            "data_format": config.image_data_format(),
        }


@registry.register("MaxPooling2D", "MaxPool2D")
class MaxPooling2D(_Pooling2D):
    """The largest value in each pool_size window, moved by `strides` (default: pool_size).

    Input shape:  (batch, H, W, C)
    Output shape: (batch, OH, OW, C), OH = (H - pool) // stride + 1 for "valid".
    """

    _pool = staticmethod(max_pool2d)


@registry.register("AveragePooling2D", "AvgPool2D")
class AveragePooling2D(_Pooling2D):
    """The mean of each window; with padding="same", padded cells are not counted.

    Input shape:  (batch, H, W, C)
    Output shape: (batch, OH, OW, C)
    """

    _pool = staticmethod(avg_pool2d)


class _GlobalPooling2D(Layer):
    _reduce = None

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        check_channels_last(f"{type(self).__name__} '{self.name}'", data_format)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        return type(self)._reduce(inputs, axis=(1, 2), keepdims=self.keepdims)

    def compute_output_shape(self, input_shape):
        n, _, _, c = input_shape
        return (n, 1, 1, c) if self.keepdims else (n, c)

    def get_config(self):
        return {**super().get_config(), "data_format": config.image_data_format(), "keepdims": self.keepdims}


@registry.register("GlobalAveragePooling2D", "GlobalAvgPool2D")
class GlobalAveragePooling2D(_GlobalPooling2D):
    """The mean of each channel over all positions: (batch, H, W, C) -> (batch, C)."""

    _reduce = staticmethod(mean)


@registry.register("GlobalMaxPooling2D", "GlobalMaxPool2D")
class GlobalMaxPooling2D(_GlobalPooling2D):
    """The largest value of each channel over all positions: (batch, H, W, C) -> (batch, C)."""

    _reduce = staticmethod(max)
