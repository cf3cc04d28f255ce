"""BatchNormalization, LayerNormalization and LocalResponseNormalization (AlexNet's NORM layers)."""

import math

import numpy as np

from neuronio import initializers, ops
from neuronio.layers.layer import Layer, registry
from neuronio.layers.weight_options import add_gamma_and_beta, gamma_beta_config, set_gamma_beta_options
from neuronio.ops import add, multiply, subtract
from neuronio.ops.normalization import batch_norm_train, layer_norm, local_response_normalization


@registry.register("BatchNormalization")
class BatchNormalization(Layer):
    """Normalizes each channel to zero mean and unit variance, then scales and shifts it.

    Training: the batch's own mean and (biased) variance are used, and the moving averages are
    updated in place: moving = moving * momentum + batch * (1 - momentum).
    Inference: the moving averages are used. A frozen layer (`trainable = False`) always runs in
    inference mode, as in Keras: fine-tuning a model around it leaves its statistics alone.

    Args:
        axis: the channel axis (default -1, channels-last).
        momentum: 0.99; epsilon: 1e-3 (Keras's defaults).
        center, scale: learn beta and gamma.

    Weights, in Keras's order: gamma, beta (trainable), moving_mean, moving_variance.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(axis, int):
            raise ValueError(f"BatchNormalization '{self.name}': `axis` must be one int; received axis={axis!r}.")
        if not 0 <= momentum < 1 or not 0 < epsilon < math.inf:  # NaN fails every comparison: refused
            raise ValueError(
                f"BatchNormalization '{self.name}': needs 0 <= momentum < 1 and a finite epsilon > 0; "
                f"received momentum={momentum}, epsilon={epsilon}."
            )
        self.axis, self.momentum, self.epsilon = axis, float(momentum), float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        set_gamma_beta_options(self, gamma_initializer, beta_initializer, gamma_regularizer, beta_regularizer,
                               gamma_constraint, beta_constraint)  # fmt: skip

    def build(self, input_shape):
        rank = len(input_shape)
        axis = self.axis % rank
        channels = input_shape[axis]
        shape = (channels,)
        add_gamma_and_beta(self, shape, self.scale, self.center)
        self.moving_mean = self.add_weight(
            shape=shape, initializer=self.moving_mean_initializer, trainable=False, name="moving_mean"
        )
        self.moving_variance = self.add_weight(
            shape=shape, initializer=self.moving_variance_initializer, trainable=False, name="moving_variance"
        )
        self._reduction_axes = tuple(a for a in range(rank) if a != axis)
        self._broadcast = tuple(channels if a == axis else 1 for a in range(rank))  # (1, ..., C, ..., 1)

    def _param(self, variable, fill):
        if variable is None:
            return np.full(self._broadcast, fill, dtype=self.dtype)
        return variable.reshape(self._broadcast)

    def call(self, inputs, training=False):
        gamma, beta = self._param(self.gamma, 1.0), self._param(self.beta, 0.0)
        if training and self.trainable:
            outputs, op = batch_norm_train(inputs, gamma, beta, self._reduction_axes, self.epsilon)
            keep = self.momentum
            self.moving_mean.data *= keep
            self.moving_mean.data += (1.0 - keep) * op.mean
            self.moving_variance.data *= keep
            self.moving_variance.data += (1.0 - keep) * op.var
            return outputs
        # Inference: y = (x - moving_mean) * gamma / sqrt(moving_variance + eps) + beta.
        inv_std = (1.0 / np.sqrt(self.moving_variance.data + self.epsilon)).reshape(self._broadcast)
        centered = subtract(inputs, self.moving_mean.data.reshape(self._broadcast))
        return add(multiply(centered, multiply(gamma, inv_std.astype(self.dtype))), beta)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            **gamma_beta_config(self),
        }


@registry.register("LocalResponseNormalization")
class LocalResponseNormalization(Layer):
    """AlexNet's "NORM" layer: each activation divided by the energy of its neighbouring channels.

        y_c = x_c / (bias + alpha * sum_{j = c - r}^{c + r} x_j^2) ** beta

    Defaults are the values of Krizhevsky et al. (2012): n = 5 channels (depth_radius 2), k = 2,
    alpha = 1e-4, beta = 0.75; alpha multiplies the plain sum, as in the paper and TensorFlow.
    No weights. Input shape: (batch, ..., C).  Output shape: the same.
    """

    def __init__(self, depth_radius=2, bias=2.0, alpha=1e-4, beta=0.75, **kwargs):
        super().__init__(**kwargs)
        if isinstance(depth_radius, bool) or not isinstance(depth_radius, int) or depth_radius < 0:
            raise ValueError(
                f"LocalResponseNormalization '{self.name}': `depth_radius` must be an int >= 0; "
                f"received depth_radius={depth_radius!r}."
            )
        self.depth_radius, self.bias, self.alpha, self.beta = depth_radius, float(bias), float(alpha), float(beta)

    def call(self, inputs):
        return local_response_normalization(inputs, self.depth_radius, self.bias, self.alpha, self.beta)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "depth_radius": self.depth_radius,
            "bias": self.bias,
            "alpha": self.alpha,
            "beta": self.beta,
        }


@registry.register("LayerNormalization")
class LayerNormalization(Layer):
    """Normalizes each sample over its feature axes (not over the batch), then scales and shifts.

        y = gamma * (x - mean) / sqrt(var + epsilon) + beta,  mean and var over `axis`, per sample

    The same in training and inference. rms_scaling=True (deprecated in Keras) computes what
    Keras computes, y = gamma * x / sqrt(var + eps) (not centred, no beta; the variance, not the
    mean square, despite the name), so that such models load with their behaviour.

    Args:
        axis: int or list of ints, the axes to normalize (default -1, the features).
        epsilon: 1e-3; center, scale: learn beta and gamma (Keras's defaults).

    Weights, in Keras's order: gamma, beta, each of the shape of the normalized axes.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, **kwargs):  # fmt: skip
        super().__init__(**kwargs)
        axes = [axis] if isinstance(axis, int) else list(axis) if isinstance(axis, (list, tuple)) else None
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise ValueError(
                f"LayerNormalization '{self.name}': `axis` must be an int or a list of ints; received axis={axis!r}."
            )
        if epsilon <= 0:
            raise ValueError(f"LayerNormalization '{self.name}': `epsilon` must be > 0; received epsilon={epsilon}.")
        self.axis, self.epsilon = axes, float(epsilon)
        self._axis_given = axis  # the config holds it as given until build, then as a list (as Keras)
        self.center, self.scale, self.rms_scaling = bool(center), bool(scale), bool(rms_scaling)
        set_gamma_beta_options(self, gamma_initializer, beta_initializer, gamma_regularizer, beta_regularizer,
                               gamma_constraint, beta_constraint)  # fmt: skip

    def build(self, input_shape):
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis) or 0 in [a % rank for a in self.axis]:
            raise ValueError(
                f"LayerNormalization '{self.name}': axis={self.axis} must name feature axes of inputs of rank "
                f"{rank} (not the batch axis 0); received input shape {tuple(input_shape)}."
            )
        self._axes = tuple(sorted(a % rank for a in self.axis))
        shape = tuple(input_shape[a] for a in self._axes)
        self._broadcast = tuple(input_shape[a] if a in self._axes else 1 for a in range(rank))  # (1, ..., D)
        add_gamma_and_beta(self, shape, self.scale or self.rms_scaling, self.center and not self.rms_scaling)

    def _param(self, variable, fill):
        if variable is None:
            return np.full(self._broadcast, fill, dtype=self.dtype)
        return variable.reshape(self._broadcast)

    def call(self, inputs):
        gamma = self._param(self.gamma, 1.0)
        if self.rms_scaling:
            variance = ops.var(inputs, axis=self._axes, keepdims=True)
            return multiply(multiply(inputs, ops.power(add(variance, self.epsilon), -0.5)), gamma)
        return layer_norm(inputs, gamma, self._param(self.beta, 0.0), self._axes, self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": list(self.axis) if self.built else _jsonable_axis(self._axis_given),
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **gamma_beta_config(self),
        }


def _jsonable_axis(axis):
    return list(axis) if isinstance(axis, (list, tuple)) else axis
