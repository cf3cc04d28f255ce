"""Embedding (integer ids -> dense vectors) and Masking: the two layers that start a mask.

A mask is a (batch, timesteps) boolean array saying which steps are real; the models hand it to
every later layer whose `call` takes `mask` (the recurrent layers skip the padded steps).
"""

import numpy as np

from neuronio import initializers
from neuronio._legacy import warn_legacy
from neuronio.autodiff.tensor import Tensor, array_of, as_array
from neuronio.layers.arguments import check_positive_int
from neuronio.layers.layer import Layer, registry
from neuronio.layers.rnn_cells import initializer
from neuronio.ops.elementwise import multiply
from neuronio.ops.embedding import embedding_lookup


@registry.register("Embedding")
class Embedding(Layer):
    """Turns integer ids into dense vectors: `outputs = embeddings[inputs]`.

    Args:
        input_dim: vocabulary size (ids lie in [0, input_dim)).
        output_dim: size of each vector.
        embeddings_initializer: Keras's default "uniform" (-0.05, 0.05).
        mask_zero: treat id 0 as padding and emit a mask (then id 0 must not be a real word).
        weights: optional initial table, [array of shape (input_dim, output_dim)].

    Input shape: (batch, ...) ids.  Output shape: (batch, ..., output_dim).

    >>> Embedding(10, 4)(np.array([[1, 2, 3]])).shape
    (1, 3, 4)
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        activity_regularizer=None,
        **kwargs,
    ):
        if "input_length" in kwargs:
            length = kwargs.pop("input_length")
            warn_legacy(
                f"Embedding: `input_length={length}` is Keras 2's; Keras 3 ignores it. Give the "
                f"sequence length with Input(shape=({length},)) instead."
            )
        super().__init__(**kwargs)
        for key, value in (
            ("embeddings_regularizer", embeddings_regularizer),
            ("embeddings_constraint", embeddings_constraint),
            ("activity_regularizer", activity_regularizer),
        ):
            if value is not None:
                raise ValueError(f"Embedding '{self.name}': `{key}` is not supported by neuronio; received {value!r}.")
        self.input_dim = check_positive_int(f"Embedding '{self.name}'", "input_dim", input_dim)
        self.output_dim = check_positive_int(f"Embedding '{self.name}'", "output_dim", output_dim)
        self.embeddings_initializer = initializer(embeddings_initializer)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def _to_tensor(self, x) -> Tensor:
        # Ids stay integers (a float32 cast would round ids above 2**24).
        array = as_array(x)
        return Tensor(array) if array.dtype.kind in "iu" else super()._to_tensor(array)

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            shape=(self.input_dim, self.output_dim), initializer=self.embeddings_initializer, name="embeddings"
        )
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs):
        return embedding_lookup(self.embeddings, inputs)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return np.asarray(array_of(inputs)) != 0

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": None,
            "activity_regularizer": None,
            "embeddings_constraint": None,
            "mask_zero": self.mask_zero,
        }


@registry.register("Masking")
class Masking(Layer):
    """Masks timesteps whose features all equal `mask_value` (outputs there are zeros).

    >>> Masking()(np.array([[[1.0], [0.0]]], "float32")).numpy().ravel()
    array([1., 0.], dtype=float32)
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def compute_mask(self, inputs, mask=None):
        return np.any(np.asarray(array_of(inputs)) != self.mask_value, axis=-1)

    def call(self, inputs):
        keep = self.compute_mask(inputs)[..., None].astype(inputs.dtype)  # (N, T, 1)
        return multiply(inputs, keep)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
