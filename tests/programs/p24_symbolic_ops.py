"""Keras 3 functional models with ops on symbolic tensors: arithmetic, slicing and keras.ops
calls while building the graph become nodes of the model."""

import keras
import numpy as np
from keras import layers, ops

inputs = keras.Input(shape=(6,))
x = layers.Dense(4)(inputs)
y = ops.relu(x) * 2.0 + 1.0
z = ops.concatenate([y, x[:, :2]], axis=-1)
outputs = layers.Dense(1)(ops.square(z))
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
data = np.random.default_rng(0).random((16, 6)).astype("float32")
model.fit(data, data[:, :1], epochs=1, verbose=0)
assert model.predict(data, verbose=0).shape == (16, 1)
