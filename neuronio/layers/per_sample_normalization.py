"""UnitNormalization and GroupNormalization: each sample normalized on its own (no batch statistics,
so training and inference compute the same)."""

import numpy as np

from neuronio.layers.layer import Layer, registry
from neuronio.layers.weight_options import add_gamma_and_beta, gamma_beta_config, set_gamma_beta_options
from neuronio.ops import add, maximum, mean, multiply, reshape, rsqrt, square, subtract, sum, var

# Keras's floor under the squared norm: vectors shorter than 1e-12 are divided by 1e-12, not by ~0.
_SQUARED_NORM_FLOOR = 1e-24


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@registry.register("UnitNormalization")
class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis`:  y = x / sqrt(max(sum(x^2 over axis), 1e-24)).

    Args:
        axis: an int or a list of ints, the axes summed over (never the batch axis 0).

    No weights. Input shape: any.  Output shape: the same.

    >>> import numpy as np
    >>> UnitNormalization()(np.array([[3.0, 4.0]], "float32")).numpy().tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        axes = [axis] if _is_int(axis) else list(axis) if isinstance(axis, (list, tuple)) else None
        if not axes or not all(_is_int(a) for a in axes):
            raise TypeError(
                f"UnitNormalization '{self.name}': `axis` must be an int or a list of ints; received axis={axis!r}."
            )
        self.axis = int(axis) if _is_int(axis) else [int(a) for a in axes]
        self._axes = tuple(int(a) for a in axes)

    def build(self, input_shape):
        rank = len(input_shape)
        if any(not -rank <= a < rank or a % rank == 0 for a in self._axes):
            raise ValueError(
                f"UnitNormalization '{self.name}': axis={self.axis} must name non-batch axes of inputs of rank "
                f"{rank}; received input shape {tuple(input_shape)}."
            )

    def call(self, inputs):
        squared_norm = sum(square(inputs), axis=self._axes, keepdims=True)  # (N, ..., 1 on axis, ...)
        return multiply(inputs, rsqrt(maximum(squared_norm, _SQUARED_NORM_FLOOR)))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@registry.register("GroupNormalization")
class GroupNormalization(Layer):
    """Splits the channels into `groups` and normalizes each group of each sample over its channels
    and all non-batch axes, then scales and shifts each channel (Wu and He, 2018):

        y = gamma * (x - mean_g) / sqrt(var_g + epsilon) + beta,  mean_g, var_g per sample and group

    groups=1 normalizes over the whole sample (like LayerNormalization over every axis);
    groups=-1 gives each channel its own group (instance normalization).

    Args:
        groups: how many groups; it must divide the number of channels (-1: one per channel).
        axis: the channel axis (default -1, channels-last).
        epsilon: 1e-3; center, scale: learn beta and gamma (Keras's defaults).

    Weights, in Keras's order: gamma, beta, each of shape (channels,).
    """

    supports_masking = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        if not _is_int(groups) or not (groups > 0 or groups == -1):
            raise ValueError(
                f"GroupNormalization '{self.name}': `groups` must be a positive int, or -1 for one group per "
                f"channel; received groups={groups!r}."
            )
        if not _is_int(axis):
            raise TypeError(f"GroupNormalization '{self.name}': `axis` must be one int; received axis={axis!r}.")
        if not epsilon > 0:
            raise ValueError(f"GroupNormalization '{self.name}': `epsilon` must be > 0; received epsilon={epsilon!r}.")
        self.groups, self.axis, self.epsilon = int(groups), int(axis), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        set_gamma_beta_options(self, gamma_initializer, beta_initializer, gamma_regularizer, beta_regularizer,
                               gamma_constraint, beta_constraint)  # fmt: skip

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0 or input_shape[self.axis] is None:
            raise ValueError(
                f"GroupNormalization '{self.name}': axis={self.axis} must name a channel axis of known size (not "
                f"the batch axis); received input shape {tuple(input_shape)}."
            )
        axis = self.axis % rank
        channels = input_shape[axis]
        groups = channels if self.groups == -1 else self.groups
        if groups > channels or channels % groups:
            raise ValueError(
                f"GroupNormalization '{self.name}': groups={self.groups} must divide the {channels} channels on "
                f"axis {self.axis} (and not exceed them); received input shape {tuple(input_shape)}. Choose a "
                f"divisor of {channels}."
            )
        self._axis, self._groups = axis, groups
        shape = (channels,)
        add_gamma_and_beta(self, shape, self.scale, self.center)
        self._broadcast = tuple(channels if a == axis else 1 for a in range(rank))  # (1, ..., C, ..., 1)

    def call(self, inputs):
        axis, groups = self._axis, self._groups
        shape = inputs.shape
        # (N, ..., C, ...) -> (N, ..., G, C / G, ...): the statistics are over every axis but N and G.
        grouped = reshape(inputs, (*shape[:axis], groups, shape[axis] // groups, *shape[axis + 1 :]))
        axes = tuple(a for a in range(1, grouped.ndim) if a != axis)
        centered = subtract(grouped, mean(grouped, axis=axes, keepdims=True))
        normalized = multiply(centered, rsqrt(add(var(grouped, axis=axes, keepdims=True), self.epsilon)))
        outputs = reshape(normalized, shape)
        if self.gamma is not None:
            outputs = multiply(outputs, reshape(self.gamma, self._broadcast))
        if self.beta is not None:
            outputs = add(outputs, reshape(self.beta, self._broadcast))
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **gamma_beta_config(self),
        }
