"""The Sequential model guide: build, add/pop, weights created on build, feature extraction."""

import keras
import numpy as np
from keras import layers

model = keras.Sequential(
    [
        layers.Dense(2, activation="relu", name="layer1"),
        layers.Dense(3, activation="relu", name="layer2"),
        layers.Dense(4, name="layer3"),
    ]
)
x = np.ones((3, 3), dtype="float32")
y = model(x)
assert tuple(y.shape) == (3, 4)
assert len(model.layers) == 3 and len(model.weights) == 6

model = keras.Sequential(name="my_sequential")
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))
model.pop()
assert len(model.layers) == 2

layer = layers.Dense(3)
assert layer.weights == []  # no weights before the layer is built
layer(np.ones((1, 4), dtype="float32"))
assert len(layer.weights) == 2 and tuple(layer.kernel.shape) == (4, 3)

model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2, activation="relu")])
assert len(model.weights) == 2

initial_model = keras.Sequential(
    [
        keras.Input(shape=(64, 64, 3)),
        layers.Conv2D(4, 5, strides=2, activation="relu"),
        layers.Conv2D(4, 3, activation="relu", name="my_intermediate_layer"),
        layers.Conv2D(4, 3, activation="relu"),
    ]
)
feature_extractor = keras.Model(
    inputs=initial_model.inputs,
    outputs=initial_model.get_layer(name="my_intermediate_layer").output,
)
features = feature_extractor(np.ones((1, 64, 64, 3), dtype="float32"))
assert tuple(features.shape) == (1, 28, 28, 4)
