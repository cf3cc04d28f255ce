"""Adaptive pooling: max or average pooling to a fixed output size, whatever the input's size.

Output cell i of an axis of length L pooled to `out` cells covers the input cells
[floor(i * L / out), ceil((i + 1) * L / out)), PyTorch's bins and Keras 3's: the bins cover every
cell, neighbouring bins overlap by at most one cell, and out > L repeats cells.
"""

from neuronio import config
from neuronio.layers.arguments import check_channels_last, check_positive_int
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import adaptive_average_pool, adaptive_max_pool


class _AdaptivePooling(Layer):
    """Shared arguments, shapes and config of the four adaptive pooling layers."""

    _rank = None  # spatial axes: 1 (batch, steps, C) or 2 (batch, H, W, C)
    _pool = None  # the op: adaptive_average_pool or adaptive_max_pool

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        sizes = (output_size,) * self._rank if isinstance(output_size, int) else output_size
        if not isinstance(sizes, (list, tuple)) or len(sizes) != self._rank:
            raise ValueError(
                f"{owner}: `output_size` must be an int or a tuple of {self._rank} ints; "
                f"received output_size={output_size!r}."
            )
        self.output_size = tuple(check_positive_int(owner, "output_size", s) for s in sizes)
        layout, order = ("NLC", "(0, 2, 1)") if self._rank == 1 else ("NHWC", "(0, 2, 3, 1)")
        check_channels_last(owner, data_format, layout, order)
        self.input_spec = InputSpec(ndim=self._rank + 2)

    def call(self, inputs):
        return type(self)._pool(inputs, self.output_size)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *self.output_size, input_shape[-1])

    def get_config(self):
        return {
            **super().get_config(),
            "output_size": list(self.output_size),
            "data_format": config.image_data_format(),
        }


@registry.register("AdaptiveAveragePooling1D")
class AdaptiveAveragePooling1D(_AdaptivePooling):
    """The mean of each of `output_size` bins of steps: (batch, steps, C) -> (batch, output_size, C).

    >>> import numpy as np
    >>> AdaptiveAveragePooling1D(2)(np.arange(7, dtype="float32").reshape(1, 7, 1)).numpy().ravel().tolist()
    [1.5, 4.5]
    """

    _rank = 1
    _pool = staticmethod(adaptive_average_pool)


@registry.register("AdaptiveMaxPooling1D")
class AdaptiveMaxPooling1D(_AdaptivePooling):
    """The largest value of each of `output_size` bins of steps: (batch, steps, C) -> (batch, output_size, C)."""

    _rank = 1
    _pool = staticmethod(adaptive_max_pool)


@registry.register("AdaptiveAveragePooling2D")
class AdaptiveAveragePooling2D(_AdaptivePooling):
    """The mean of each of (OH, OW) bins of pixels: (batch, H, W, C) -> (batch, OH, OW, C).

    Args:
        output_size: OH = OW = an int, or (OH, OW).
    """

    _rank = 2
    _pool = staticmethod(adaptive_average_pool)


@registry.register("AdaptiveMaxPooling2D")
class AdaptiveMaxPooling2D(_AdaptivePooling):
    """The largest value of each of (OH, OW) bins of pixels: (batch, H, W, C) -> (batch, OH, OW, C)."""

    _rank = 2
    _pool = staticmethod(adaptive_max_pool)
