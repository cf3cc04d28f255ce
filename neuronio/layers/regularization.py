"""Dropout: zero a random fraction of inputs while training, pass everything at inference."""

import numpy as np

from neuronio.layers.layer import Layer, registry
from neuronio.ops import dropout


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
