"""Dropout and its variants (spatial, Gaussian, alpha) and GaussianNoise: random changes while
training, identity at inference; ActivityRegularization: a penalty on the activations."""

import numpy as np

from neuronio import config, regularizers
from neuronio.layers.arguments import check_channels_last
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import add, dropout, multiply


def check_rate(layer: Layer, rate) -> float:
    """`rate` (the fraction dropped) as a float in [0, 1), or a ValueError naming the layer."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': `rate` is the fraction of inputs to drop and must be in "
            f"[0, 1); received rate={rate!r}."
        )
    return float(rate)


def seeded_rng(seed) -> np.random.Generator | None:
    """The layer's own generator for an explicit `seed`; None means `set_random_seed`'s one."""
    return None if seed is None else np.random.default_rng(seed)


@registry.register("Dropout")
class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 while training and scales the rest by 1 / (1 - rate).

    At inference (training=False, e.g. in predict and evaluate) it returns its input unchanged.

    Args:
        rate: fraction of the inputs to drop, in [0, 1) (Keras's meaning, not a keep probability).
        noise_shape: shape of the mask, broadcast over the input (e.g. (None, 1, 1, C) drops
            whole channels); None entries take the input's size.
        seed: a seed for this layer's own generator; otherwise the generator of
            `set_random_seed` is used.
    """

    supports_masking = True  # passes a mask on unchanged, as in Keras

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(self, rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = seeded_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        noise_shape = None
        if self.noise_shape is not None:
            noise_shape = tuple(d if d is not None else s for d, s in zip(self.noise_shape, inputs.shape))
        return dropout(inputs, self.rate, noise_shape=noise_shape, rng=self._rng)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
            "seed": self.seed,
        }


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: while training, each channel of each sample is zeroed with
    probability `rate` (and the rest scaled by 1 / (1 - rate)), the same at every step or pixel;
    identity at inference. Neighbouring steps and pixels are strongly correlated, so dropping
    single values regularizes little; dropping maps does (Tompson et al., 2015)."""

    _ndim = None  # 3 for sequences (batch, steps, C), 4 for images (batch, H, W, C)

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.input_spec = InputSpec(ndim=self._ndim)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        noise_shape = (inputs.shape[0], *[1] * (self._ndim - 2), inputs.shape[-1])  # (N, 1, ..., C)
        return dropout(inputs, self.rate, noise_shape=noise_shape, rng=self._rng)

    def get_config(self):
        # Keras's spatial dropouts take no `trainable` and write their dtype as a plain string.
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


@registry.register("SpatialDropout1D")
class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of a sequence while training: (batch, steps, C), the mask (batch, 1, C).

    >>> y = SpatialDropout1D(0.5, seed=0)(np.ones((1, 3, 4), "float32"), training=True).numpy()
    >>> bool((y == y[:, :1]).all())  # each channel all 0 or all 2 over the steps
    True
    """

    _ndim = 3


@registry.register("SpatialDropout2D")
class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of an image while training: (batch, H, W, C), the mask (batch, 1, 1, C)."""

    _ndim = 4

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        check_channels_last(f"SpatialDropout2D '{self.name}'", data_format)

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last"}


@registry.register("GaussianNoise")
class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` while training; identity at inference.

    Args:
        stddev: the noise's standard deviation (>= 0).
        seed: a seed for this layer's own generator; otherwise `set_random_seed`'s generator.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or stddev < 0:
            raise ValueError(
                f"GaussianNoise '{self.name}': `stddev` must be a number >= 0; received stddev={stddev!r}."
            )
        self.stddev = float(stddev)
        self.seed = seed
        self._rng = seeded_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.stddev == 0:
            return inputs
        rng = self._rng or config.rng()
        noise = rng.normal(0.0, self.stddev, size=inputs.shape).astype(inputs.dtype)
        return add(inputs, noise)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


@registry.register("GaussianDropout")
class GaussianDropout(Layer):
    """Multiplies each input by Gaussian noise of mean 1 while training; identity at inference.

        y = x * e,  e ~ N(1, rate / (1 - rate)),  so E[y] = x and the variance matches Dropout(rate)'s

    Args:
        rate: in [0, 1), the drop probability of the Dropout it stands in for (Srivastava et al., 2014).
        seed: a seed for this layer's own generator; otherwise `set_random_seed`'s generator.
    """

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = check_rate(self, rate)
        self.seed = seed
        self._rng = seeded_rng(seed)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        stddev = np.sqrt(self.rate / (1.0 - self.rate))
        noise = (self._rng or config.rng()).normal(1.0, stddev, size=inputs.shape).astype(inputs.dtype)
        return multiply(inputs, noise)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


# SELU's saturation value, -scale * alpha (Klambauer et al., 2017): what a dropped unit is set to.
_SELU_SATURATION = -1.0507009873554805 * 1.6732632423543772


@registry.register("AlphaDropout")
class AlphaDropout(Dropout):
    """Dropout for self-normalizing (SELU) networks: keeps the inputs' mean and variance.

    While training, a fraction `rate` of the inputs is set to SELU's saturation value
    alpha' = -scale * alpha (not 0), then an affine map restores zero mean and unit variance:

        y = a * (x * keep + alpha' * (1 - keep)) + b,  keep ~ Bernoulli(1 - rate),
        a = ((1 - rate) * (1 + rate * alpha'^2)) ** -0.5,  b = -a * alpha' * rate

    Identity at inference.

    Args:
        rate: fraction of the inputs to drop, in [0, 1).
        noise_shape: shape of the keep mask, broadcast over the input (None entries: the input's).
        seed: a seed for this layer's own generator; otherwise `set_random_seed`'s generator.
    """

    # Dropout's arguments, checks and config; only the noise differs.

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if d is None else d for d, s in zip(self.noise_shape, inputs.shape))
        keep = ((self._rng or config.rng()).random(shape, dtype=np.float32) >= self.rate).astype(inputs.dtype)
        a = ((1.0 - self.rate) * (1.0 + self.rate * _SELU_SATURATION**2)) ** -0.5
        b = -a * _SELU_SATURATION * self.rate
        # y = x * (a keep) + (a alpha' (1 - keep) + b): an affine map of x with constant arrays.
        scale = (a * keep).astype(inputs.dtype)
        shift = (a * _SELU_SATURATION * (1.0 - keep) + b).astype(inputs.dtype)
        return add(multiply(inputs, scale), shift)


@registry.register("ActivityRegularization")
class ActivityRegularization(Layer):
    """Passes its input through unchanged and adds l1 * sum(|x|) + l2 * sum(x^2), divided by the
    batch size, to the model's losses (Keras's activity regularization as a layer of its own).

    Args:
        l1, l2: the penalties' factors (>= 0).

    >>> layer = ActivityRegularization(l1=0.5)
    >>> _ = layer(np.array([[1.0, -3.0]], "float32"))
    >>> float(layer.losses[0].numpy())
    2.0
    """

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        for name, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
                raise ValueError(f"ActivityRegularization: `{name}` must be a number >= 0; received {name}={value!r}.")
        if kwargs.pop("activity_regularizer", None) is not None:
            raise TypeError(
                "ActivityRegularization: its penalty is given by `l1` and `l2`; it takes no `activity_regularizer` "
                "(use another layer's activity_regularizer= for a different penalty)."
            )
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1, self.l2 = float(l1), float(l2)

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config_dict = super().get_config()
        config_dict.pop("activity_regularizer", None)
        return {**config_dict, "l1": self.l1, "l2": self.l2}
