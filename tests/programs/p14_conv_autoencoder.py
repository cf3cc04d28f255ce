"""Convolutional autoencoder for image denoising (keras.io): Conv2D/MaxPooling2D encoder,
Conv2DTranspose decoder, trained on noisy copies of synthetic images."""

import keras
import numpy as np
from keras import layers

rng = np.random.default_rng(0)
clean = np.zeros((48, 16, 16, 1), dtype="float32")
for i in range(48):
    clean[i, 4:12, 2 + i % 8 : 6 + i % 8, 0] = 1.0
noisy = np.clip(clean + 0.3 * rng.normal(size=clean.shape), 0.0, 1.0).astype("float32")

input = layers.Input(shape=(16, 16, 1))
x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(input)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2D(8, (3, 3), activation="relu", padding="same")(x)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2DTranspose(8, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
autoencoder = keras.Model(input, x)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
history = autoencoder.fit(noisy, clean, epochs=3, batch_size=16, shuffle=True, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
assert autoencoder.predict(noisy[:2], verbose=0).shape == (2, 16, 16, 1)
