"""Next-frame video prediction with convolutional LSTMs (keras.io, moving MNIST): frames in, the
next frame out, shifted-by-one targets, ConvLSTM2D layers with BatchNormalization, and a Conv2D on
the last state producing the predicted frame (Conv3D in the original)."""

import keras
import numpy as np
from keras import layers

# Toy moving-MNIST: a 2x2 square moving one pixel right per frame on an 8x8 canvas.
rng = np.random.default_rng(0)
n, frames, size = 32, 5, 8
videos = np.zeros((n, frames, size, size, 1), "float32")
for i in range(n):
    r, c = rng.integers(0, size - 1), rng.integers(0, size - frames - 1)
    for t in range(frames):
        videos[i, t, r : r + 2, c + t : c + t + 2, 0] = 1.0


def create_shifted_frames(data):
    x = data[:, 0 : data.shape[1] - 1, :, :]
    y = data[:, data.shape[1] - 1, :, :]  # the frame after the input frames
    return x, y


x_train, y_train = create_shifted_frames(videos[:24])
x_val, y_val = create_shifted_frames(videos[24:])
assert x_train.shape == (24, 4, 8, 8, 1) and y_train.shape == (24, 8, 8, 1)

inp = layers.Input(shape=(None, *x_train.shape[2:]))
x = layers.ConvLSTM2D(filters=8, kernel_size=(3, 3), padding="same", return_sequences=True, activation="relu")(inp)
x = layers.BatchNormalization()(x)
x = layers.ConvLSTM2D(filters=8, kernel_size=(1, 1), padding="same", return_sequences=False, activation="relu")(x)
x = layers.Conv2D(filters=1, kernel_size=(3, 3), activation="sigmoid", padding="same")(x)
model = keras.models.Model(inp, x)
model.compile(loss=keras.losses.binary_crossentropy, optimizer=keras.optimizers.Adam(learning_rate=0.01))

convlstm = model.layers[1]
assert type(convlstm).__name__ == "ConvLSTM2D"
# One kernel for the four gates over the input, one over the state, a bias: Keras's order.
assert [tuple(w.shape) for w in convlstm.get_weights()] == [(3, 3, 1, 32), (3, 3, 8, 32), (32,)]

early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", patience=10)
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=5)
history = model.fit(x_train, y_train, batch_size=8, epochs=3, validation_data=(x_val, y_val),
                    callbacks=[early_stopping, reduce_lr], verbose=0)  # fmt: skip
assert set(history.history) >= {"loss", "val_loss"}
assert history.history["loss"][-1] < history.history["loss"][0]

# Variable-length input: the time axis is None, so any number of frames predicts one frame.
assert model.predict(videos[:2, :2], verbose=0).shape == (2, 8, 8, 1)
new_prediction = model.predict(x_val[:1], verbose=0)
assert new_prediction.shape == (1, 8, 8, 1)
assert new_prediction.min() >= 0.0 and new_prediction.max() <= 1.0
