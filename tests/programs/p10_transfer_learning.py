"""Transfer learning & fine-tuning: trainable reaches nested layers, BatchNormalization stays in
inference mode when frozen, recompiling after unfreezing, and the weights that move."""

import keras
import numpy as np
from keras import layers

layer = layers.Dense(3)
layer.build((None, 4))
assert len(layer.weights) == 2 and len(layer.trainable_weights) == 2 and len(layer.non_trainable_weights) == 0
layer.trainable = False
assert len(layer.trainable_weights) == 0 and len(layer.non_trainable_weights) == 2

inner_model = keras.Sequential(
    [keras.Input(shape=(3,)), layers.Dense(3, activation="relu"), layers.Dense(3, activation="relu")]
)
model = keras.Sequential([keras.Input(shape=(3,)), inner_model, layers.Dense(3, activation="sigmoid")])
model.trainable = False
assert inner_model.trainable is False
assert inner_model.layers[0].trainable is False  # trainable propagates recursively

base_model = keras.Sequential(
    [
        keras.Input(shape=(8, 8, 3)),
        layers.Conv2D(4, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.GlobalAveragePooling2D(),
    ],
    name="base",
)
base_model.trainable = False
inputs = keras.Input(shape=(8, 8, 3))
x = base_model(inputs, training=False)
x = layers.Dropout(0.2)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
assert len(model.trainable_weights) == 2

rng = np.random.default_rng(0)
images = rng.random((32, 8, 8, 3), dtype="float32")
labels = rng.integers(0, 2, (32, 1)).astype("float32")
model.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
base_before = [w.copy() for w in base_model.get_weights()]
model.fit(images, labels, epochs=1, batch_size=16, verbose=0)
for before, after in zip(base_before, base_model.get_weights()):
    np.testing.assert_array_equal(before, after)  # frozen: BN statistics included

# Fine-tuning: unfreeze, recompile with a low learning rate, train end to end.
base_model.trainable = True
assert all(lyr.trainable for lyr in base_model.layers)
model.compile(
    optimizer=keras.optimizers.Adam(1e-5),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy()],
)
assert len(model.trainable_weights) == 6
model.fit(images, labels, epochs=1, batch_size=16, verbose=0)
conv_kernel_before = base_before[0]
assert not np.array_equal(conv_kernel_before, base_model.get_weights()[0])
