"""Flatten and Reshape: change the shape of each sample, keep the batch axis."""

import math

from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import reshape


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
