"""Activation layers, including those with parameters (PReLU, APL, Maxout) or randomness (RReLU)."""

import math

import numpy as np

from neuronio import activations, config, initializers
from neuronio.layers.arguments import check_positive_int
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.layers.weight_options import (
    kernel_bias_config,
    set_kernel_bias_options,
    set_weight_options,
    weight_options,
    weight_options_config,
)
from neuronio.ops import matmul, max, multiply, prelu, relu, reshape, sum, where


class _Elementwise(Layer):
    """An activation layer: same output shape as input, no weights unless a subclass adds some."""

    def compute_output_shape(self, input_shape):
        return input_shape


@registry.register("ReLU")
class ReLU(_Elementwise):
    """max(x, 0), with Keras 3's options: a slope below `threshold`, a cap at `max_value`."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        # Written as "not >= 0" so that NaN (which compares False with everything) is refused too.
        if (max_value is not None and not max_value >= 0) or not 0 <= negative_slope < math.inf:
            raise ValueError(
                f"ReLU '{self.name}': max_value must be >= 0 and negative_slope a finite number >= 0; received "
                f"max_value={max_value}, negative_slope={negative_slope}."
            )
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)

    def call(self, inputs):
        return activations.relu(
            inputs, negative_slope=self.negative_slope, max_value=self.max_value, threshold=self.threshold
        )

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


@registry.register("LeakyReLU")
class LeakyReLU(_Elementwise):
    """x for x >= 0, negative_slope * x below (the layer's default slope is 0.3, as Keras)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2 spelling, still accepted by Keras 3
            from neuronio.layers.legacy import renamed

            negative_slope = renamed("LeakyReLU", "alpha", "negative_slope", kwargs.pop("alpha"))
        super().__init__(**kwargs)
        if not 0 <= negative_slope < math.inf:  # NaN fails every comparison, so it is refused too
            raise ValueError(
                f"LeakyReLU '{self.name}': negative_slope must be a finite number >= 0; received {negative_slope}."
            )
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


@registry.register("ELU")
class ELU(_Elementwise):
    """x for x > 0, alpha * (exp(x) - 1) below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


@registry.register("Softmax")
class Softmax(_Elementwise):
    """exp(x) / sum(exp(x)) along `axis`: turns scores into probabilities that sum to 1."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return activations.softmax(inputs, axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def _param_shape(input_shape, shared_axes) -> tuple:
    """One parameter per unit of a sample; axes in `shared_axes` share one (size 1)."""
    shape = list(input_shape[1:])
    for axis in shared_axes:
        shape[axis - 1] = 1
    return tuple(shape)


def _normalize_shared_axes(shared_axes) -> tuple:
    if shared_axes is None:
        return ()
    return tuple(shared_axes) if isinstance(shared_axes, (list, tuple)) else (shared_axes,)


@registry.register("PReLU")
class PReLU(_Elementwise):
    """x for x >= 0, alpha * x below, with alpha learned (one per unit, or shared along axes).

    Args:
        alpha_initializer: initial slopes (Keras's default: zeros, i.e. start as ReLU).
        shared_axes: axes sharing one slope, e.g. [1, 2] for one slope per channel of an image.
    """

    def __init__(
        self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        set_weight_options(self, "alpha", alpha_regularizer, alpha_constraint)
        self.shared_axes = _normalize_shared_axes(shared_axes)

    def build(self, input_shape):
        self.alpha = self.add_weight(
            shape=_param_shape(input_shape, self.shared_axes),
            initializer=self.alpha_initializer,
            name="alpha",
            **weight_options(self, "alpha"),
        )
        self.input_spec = InputSpec(ndim=len(input_shape))

    def call(self, inputs):
        return prelu(inputs, self.alpha)

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            **weight_options_config(self, "alpha"),
            "shared_axes": list(self.shared_axes) or None,
        }


@registry.register("RReLU")
class RReLU(_Elementwise):
    """Randomized leaky ReLU (Xu et al. 2015): max(x, a x) with a drawn per element while training.

    Training: a ~ Uniform(lower, upper), a new draw at every call. Inference: a = (lower + upper) / 2.
    The defaults are the range the decks' table gives, "alpha = random(0.1, 0.5)".
    """

    def __init__(self, lower=0.1, upper=0.5, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= lower <= upper < 1:
            raise ValueError(
                f"RReLU '{self.name}': needs 0 <= lower <= upper < 1; received lower={lower}, upper={upper}."
            )
        self.lower, self.upper, self.seed = float(lower), float(upper), seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def call(self, inputs, training=False):
        if training:
            rng = self._rng or config.rng()
            slope = rng.uniform(self.lower, self.upper, size=inputs.shape).astype(inputs.dtype)
        else:
            slope = np.asarray((self.lower + self.upper) / 2, dtype=inputs.dtype)
        return where(inputs.data >= 0, inputs, multiply(inputs, slope))

    def get_config(self):
        return {**super().get_config(), "lower": self.lower, "upper": self.upper, "seed": self.seed}


@registry.register("APL")
class APL(_Elementwise):
    """Adaptive piecewise linear unit (Agostinelli et al. 2014), learned per unit:

        y = max(x, 0) + sum_{s=1}^{S} a_s * max(0, -x + b_s)

    Args:
        num_hinges: S, the number of learned hinges.
        a_initializer: initial hinge slopes (zeros: start as ReLU).
        b_initializer: initial hinge positions (uniform on [-1, 1], so hinges start apart).
        shared_axes: axes sharing parameters, e.g. [1, 2] for one set per image channel.
    Weights: a and b, each of shape (S, *unit shape).
    """

    def __init__(self, num_hinges=2, a_initializer="zeros", b_initializer=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.num_hinges = check_positive_int(f"APL '{self.name}'", "num_hinges", num_hinges)
        self.a_initializer = initializers.get(a_initializer)
        self.b_initializer = initializers.get(b_initializer or initializers.RandomUniform(-1.0, 1.0))
        self.shared_axes = _normalize_shared_axes(shared_axes)

    def build(self, input_shape):
        shape = (self.num_hinges, *_param_shape(input_shape, self.shared_axes))
        self.a = self.add_weight(shape=shape, initializer=self.a_initializer, name="a")
        self.b = self.add_weight(shape=shape, initializer=self.b_initializer, name="b")
        self.input_spec = InputSpec(ndim=len(input_shape))

    def call(self, inputs):
        x = reshape(inputs, (1, *inputs.shape))  # (1, N, ...) against (S, 1, ...)
        a = reshape(self.a, (self.num_hinges, 1, *self.a.shape[1:]))
        b = reshape(self.b, (self.num_hinges, 1, *self.b.shape[1:]))
        hinges = multiply(a, relu(b - x))  # (S, N, ...)
        return relu(inputs) + sum(hinges, axis=0)

    def get_config(self):
        return {
            **super().get_config(),
            "num_hinges": self.num_hinges,
            "a_initializer": initializers.serialize(self.a_initializer),
            "b_initializer": initializers.serialize(self.b_initializer),
            "shared_axes": list(self.shared_axes) or None,
        }


@registry.register("Maxout")
class Maxout(Layer):
    """Maxout units (Goodfellow et al. 2013): each of `units` outputs is the largest of
    `num_pieces` linear functions of the input, y_u = max_k (x @ W_k + b_k)_u (the decks'
    max(W1 x + b1, W2 x + b2) for num_pieces=2).

    Input shape: (batch, ..., D).  Output shape: (batch, ..., units).
    Weights: kernel (D, units * num_pieces) and bias (units * num_pieces,), pieces innermost.
    """

    def __init__(
        self,
        units,
        num_pieces=2,
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
        owner = f"Maxout '{self.name}'"
        self.units = check_positive_int(owner, "units", units)
        self.num_pieces = check_positive_int(owner, "num_pieces", num_pieces)
        set_kernel_bias_options(self, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer, kernel_constraint, bias_constraint)  # fmt: skip
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        width = self.units * self.num_pieces
        self.kernel = self.add_weight(
            shape=(input_shape[-1], width),
            initializer=self.kernel_initializer,
            name="kernel",
            **weight_options(self, "kernel"),
        )
        self.bias = (
            self.add_weight(
                shape=(width,), initializer=self.bias_initializer, name="bias", **weight_options(self, "bias")
            )
            if self.use_bias
            else None
        )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_shape[-1]})

    def call(self, inputs):
        z = matmul(inputs, self.kernel)  # (..., U * K)
        if self.bias is not None:
            z = z + self.bias
        z = reshape(z, (*z.shape[:-1], self.units, self.num_pieces))  # (..., U, K)
        return max(z, axis=-1)  # (..., U)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_pieces": self.num_pieces,
            **kernel_bias_config(self),
        }
