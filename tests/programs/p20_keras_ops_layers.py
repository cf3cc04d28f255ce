"""Backend-agnostic layers written with keras.ops and keras.random (the Keras 3 "custom layers
with ops" idiom): a token-and-position style block, an attention score, a noise layer seeded by a
SeedGenerator."""

import keras
import numpy as np
from keras import layers, ops


class SimpleAttention(keras.layers.Layer):
    def build(self, input_shape):
        dim = input_shape[-1]
        self.q = self.add_weight(shape=(dim, dim), initializer="glorot_uniform", name="q")
        self.k = self.add_weight(shape=(dim, dim), initializer="glorot_uniform", name="k")

    def call(self, x):
        queries = ops.matmul(x, self.q)
        keys = ops.matmul(x, self.k)
        scores = ops.einsum("bqd,bkd->bqk", queries, keys) / ops.sqrt(ops.cast(ops.shape(x)[-1], "float32"))
        weights = ops.softmax(scores, axis=-1)
        return ops.einsum("bqk,bkd->bqd", weights, x)


class NoisyPositions(keras.layers.Layer):
    def __init__(self, stddev=0.1, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x, training=False):
        positions = ops.arange(0, ops.shape(x)[1], dtype="float32")
        x = x + ops.expand_dims(ops.expand_dims(positions, 0), -1) * 0.01
        if training:
            x = x + keras.random.normal(ops.shape(x), stddev=self.stddev, seed=self.seed_generator)
        return x


inputs = keras.Input(shape=(5, 4))
x = NoisyPositions()(inputs)
x = SimpleAttention()(x)
x = layers.GlobalAveragePooling1D()(x)
outputs = layers.Dense(2, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
rng = np.random.default_rng(0)
data = rng.random((32, 5, 4), dtype="float32")
labels = rng.integers(0, 2, 32)
model.fit(data, labels, epochs=1, batch_size=16, verbose=0)
probabilities = model.predict(data[:3], verbose=0)
np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)

ones = ops.ones((2, 3))
np.testing.assert_allclose(ops.convert_to_numpy(ops.cumsum(ones, axis=1)), [[1, 2, 3], [1, 2, 3]])
values, indices = ops.top_k(ops.convert_to_tensor([[1.0, 5.0, 3.0]]), k=2)
np.testing.assert_array_equal(ops.convert_to_numpy(indices), [[1, 2]])
np.testing.assert_allclose(ops.convert_to_numpy(ops.one_hot(ops.convert_to_tensor([0, 2]), 3)), [[1, 0, 0], [0, 0, 1]])
