"""Dropout, SpatialDropout2D and GaussianNoise: random changes while training, identity at inference."""

import numpy as np

from neuronio import config
from neuronio.layers.arguments import check_channels_last
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import add, dropout


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
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(
                f"Dropout '{self.name}': `rate` is the fraction of inputs to drop and must be in "
                f"[0, 1); received rate={rate!r}."
            )
        self.rate = float(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)

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


@registry.register("SpatialDropout2D")
class SpatialDropout2D(Dropout):
    """Dropout of whole feature maps: while training, each channel of each image is zeroed with
    probability `rate` (and the rest scaled by 1 / (1 - rate)); identity at inference.

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    regularizes little; dropping maps does (Tompson et al., 2015).
    Input shape: (batch, H, W, C).  Output shape: the same.
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        check_channels_last(f"SpatialDropout2D '{self.name}'", data_format)
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        return dropout(inputs, self.rate, noise_shape=(inputs.shape[0], 1, 1, inputs.shape[3]), rng=self._rng)

    def get_config(self):
        # Keras's SpatialDropout2D takes no `trainable` and writes its dtype as a plain string.
        config_dict = {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}
        return {**config_dict, "data_format": "channels_last"}


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
        self._rng = None if seed is None else np.random.default_rng(seed)

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
