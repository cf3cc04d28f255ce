"""Flatten, Reshape, UpSampling2D and Cropping2D: change the shape of each sample, keep the batch axis."""

import math

from neuronio.errors import ShapeError
from neuronio.layers.arguments import check_channels_last, normalize_padding_pairs
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import getitem, reshape
from neuronio.ops._windows import normalize_pair
from neuronio.ops.resize import INTERPOLATIONS, resize


@registry.register("Flatten")
class Flatten(Layer):
    """Flattens each sample to one axis: (batch, d1, d2, ...) -> (batch, d1 * d2 * ...)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = InputSpec(min_ndim=1)

    def call(self, inputs):
        return reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last"}


@registry.register("Reshape")
class Reshape(Layer):
    """Reshapes each sample to `target_shape` (no batch axis; one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(d == 0 or d < -1 for d in target_shape):
            raise ValueError(
                f"Reshape '{self.name}': `target_shape` takes positive sizes and at most one -1; "
                f"received target_shape={target_shape}."
            )
        self.target_shape = target_shape

    def _resolved(self, sample_shape):
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if size % known:
                raise ValueError(self._mismatch(sample_shape))
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(self._mismatch(sample_shape))
        return self.target_shape

    def _mismatch(self, sample_shape):
        return (
            f"Reshape '{self.name}': cannot reshape samples of shape {tuple(sample_shape)} "
            f"({math.prod(sample_shape)} values) to target_shape={self.target_shape}."
        )

    def call(self, inputs):
        return reshape(inputs, (inputs.shape[0], *self._resolved(inputs.shape[1:])))

    def compute_output_shape(self, input_shape):
        if None in input_shape[1:]:
            return (input_shape[0], *(None if d == -1 else d for d in self.target_shape))
        return (input_shape[0], *self._resolved(input_shape[1:]))

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@registry.register("UpSampling2D")
class UpSampling2D(Layer):
    """Enlarges images by whole factors: each pixel repeated size[0] x size[1] times ("nearest"),
    or bilinear interpolation between pixel centres ("bilinear", as Keras's resize).

    Input shape: (batch, H, W, C).  Output shape: (batch, H * size[0], W * size[1], C).
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        owner = f"UpSampling2D '{self.name}'"
        check_channels_last(owner, data_format)
        self.size = normalize_pair("size", size, owner)
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"{owner}: `interpolation` must be one of {', '.join(INTERPOLATIONS)}; received {interpolation!r}."
            )
        self.interpolation = interpolation
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        _, h, w, _ = inputs.shape
        return resize(inputs, (h * self.size[0], w * self.size[1]), self.interpolation)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        return (n, None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def get_config(self):
        return {
            **super().get_config(),
            "size": list(self.size),
            "data_format": "channels_last",
            "interpolation": self.interpolation,
        }


@registry.register("Cropping2D")
class Cropping2D(Layer):
    """Removes rows and columns at the image borders.

    Args:
        cropping: int, (rows, cols) cropped symmetrically, or ((top, bottom), (left, right)).

    Input shape: (batch, H, W, C).  Output shape: (batch, H - top - bottom, W - left - right, C).
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"Cropping2D '{self.name}'"
        check_channels_last(owner, data_format)
        self.cropping = normalize_padding_pairs(cropping, owner, "cropping")
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        (top, bottom), (left, right) = self.cropping
        self.compute_output_shape(inputs.shape)  # the error names the layer
        return getitem(
            inputs, (slice(None), slice(top, inputs.shape[1] - bottom), slice(left, inputs.shape[2] - right))
        )

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        (top, bottom), (left, right) = self.cropping
        out_h = None if h is None else h - top - bottom
        out_w = None if w is None else w - left - right
        if (out_h is not None and out_h <= 0) or (out_w is not None and out_w <= 0):
            raise ShapeError(
                f"Cropping2D '{self.name}': cropping={[list(p) for p in self.cropping]} leaves nothing of "
                f"inputs of shape {tuple(input_shape)}; crop less."
            )
        return (n, out_h, out_w, c)

    def get_config(self):
        return {**super().get_config(), "cropping": [list(p) for p in self.cropping], "data_format": "channels_last"}
