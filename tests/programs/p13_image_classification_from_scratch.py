"""Image classification from scratch (keras.io), on small synthetic images: data augmentation
layers, Rescaling, a residual Xception-style network with SeparableConv2D and layers.add."""

import keras
import numpy as np
from keras import layers

data_augmentation_layers = [layers.RandomFlip("horizontal"), layers.RandomRotation(0.1)]


def data_augmentation(images):
    for layer in data_augmentation_layers:
        images = layer(images)
    return images


def make_model(input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(8, 3, strides=2, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    previous_block_activation = x
    for size in [8, 16]:
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous_block_activation)
        x = layers.add([x, residual])
        previous_block_activation = x
    x = layers.SeparableConv2D(16, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    units = 1 if num_classes == 2 else num_classes
    x = layers.Dropout(0.25)(x)
    outputs = layers.Dense(units, activation=None)(x)
    return keras.Model(inputs, outputs)


rng = np.random.default_rng(0)
images = (rng.random((32, 16, 16, 3)) * 255).astype("float32")
labels = rng.integers(0, 2, (32, 1)).astype("float32")
augmented = data_augmentation(images)
assert tuple(augmented.shape) == (32, 16, 16, 3)
model = make_model(input_shape=(16, 16, 3), num_classes=2)
model.compile(
    optimizer=keras.optimizers.Adam(3e-4),
    loss=keras.losses.BinaryCrossentropy(from_logits=True),
    metrics=[keras.metrics.BinaryAccuracy(name="acc")],
)
history = model.fit(images, labels, epochs=1, batch_size=16, verbose=0, validation_split=0.25)
assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
score = float(keras.ops.sigmoid(model.predict(images[:1], verbose=0)[0][0]))
assert 0.0 < score < 1.0
