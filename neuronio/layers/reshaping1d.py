"""Layers that move values along the steps axis of sequences, or change a sample's axes:
UpSampling1D, ZeroPadding1D, Cropping1D, RepeatVector and Permute."""

import numpy as np

from neuronio import config
from neuronio.layers.arguments import check_channels_last, check_positive_int
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import getitem, pad, reshape, stack, transpose


def _pair(owner: str, name: str, value) -> tuple[int, int]:
    """An int n (n, n) or a pair of non-negative ints as (before, after)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (value, value)
    ok = isinstance(value, (tuple, list)) and len(value) == 2
    ok = ok and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0 for v in value)
    if not ok:
        raise ValueError(
            f"{owner}: `{name}` must be a non-negative int or a pair (before, after) of them; "
            f"received {name}={value!r}."
        )
    return int(value[0]), int(value[1])


@registry.register("UpSampling1D")
class UpSampling1D(Layer):
    """Repeats each step `size` times: (batch, steps, C) -> (batch, steps * size, C)."""

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = check_positive_int(f"UpSampling1D '{self.name}'", "size", size)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        n, steps, c = inputs.shape
        repeated = stack([inputs] * self.size, axis=2)  # (N, L, size, C): copies side by side
        return reshape(repeated, (n, steps * self.size, c))  # (N, L * size, C), each step size times in a row

    def compute_output_shape(self, input_shape):
        n, steps, c = input_shape
        return (n, None if steps is None else steps * self.size, c)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


@registry.register("ZeroPadding1D")
class ZeroPadding1D(Layer):
    """Adds zero steps before and after each sequence.

    Args:
        padding: int (the same before and after) or (before, after).
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"ZeroPadding1D '{self.name}'"
        check_channels_last(owner, data_format, "NLC", "(0, 2, 1)")
        self.padding = _pair(owner, "padding", padding)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        return pad(inputs, ((0, 0), self.padding, (0, 0)))  # (N, before + L + after, C)

    def compute_output_shape(self, input_shape):
        n, steps, c = input_shape
        return (n, None if steps is None else steps + sum(self.padding), c)

    def get_config(self):
        return {**super().get_config(), "padding": list(self.padding), "data_format": config.image_data_format()}


@registry.register("Cropping1D")
class Cropping1D(Layer):
    """Removes steps at the start and end of each sequence.

    Args:
        cropping: int (the same at both ends) or (start, end).
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pair(f"Cropping1D '{self.name}'", "cropping", cropping)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        start, end = self.cropping
        self._check_steps(inputs.shape)
        return getitem(inputs, (slice(None), slice(start, inputs.shape[1] - end)))  # (N, L - start - end, C)

    def _check_steps(self, shape):
        if shape[1] is not None and shape[1] <= sum(self.cropping):
            raise ValueError(
                f"Cropping1D '{self.name}': cropping={self.cropping} removes all {shape[1]} steps of inputs of "
                f"shape {tuple(shape)}; crop fewer steps."
            )

    def compute_output_shape(self, input_shape):
        self._check_steps(input_shape)
        n, steps, c = input_shape
        return (n, None if steps is None else steps - sum(self.cropping), c)

    def get_config(self):
        return {**super().get_config(), "cropping": list(self.cropping)}


@registry.register("RepeatVector")
class RepeatVector(Layer):
    """Repeats each vector n times: (batch, D) -> (batch, n, D), e.g. to feed an encoder's
    summary to every step of a decoder."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = check_positive_int(f"RepeatVector '{self.name}'", "n", n)
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return stack([inputs] * self.n, axis=1)  # (N, n, D)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


@registry.register("Permute")
class Permute(Layer):
    """Permutes the axes of each sample: `dims` is a permutation of 1..rank-1 (the batch axis,
    0, stays first). Permute((2, 1)) turns (batch, steps, C) into (batch, C, steps)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            permutation = tuple(int(d) for d in dims)
        except (TypeError, ValueError):
            permutation = ()
        if not permutation or sorted(permutation) != list(range(1, len(permutation) + 1)):
            raise ValueError(
                f"Permute '{self.name}': `dims` must be a permutation of 1, 2, ..., rank - 1 (axis 0, the batch, "
                f"is not included); received dims={dims!r}."
            )
        self.dims = permutation
        self.input_spec = InputSpec(ndim=len(dims) + 1)

    def call(self, inputs):
        return transpose(inputs, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}
