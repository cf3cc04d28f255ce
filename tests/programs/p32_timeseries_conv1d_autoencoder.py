"""Timeseries anomaly detection with a convolutional autoencoder (keras.io): windows of a periodic
signal, a Conv1D / Conv1DTranspose autoencoder (here with a SeparableConv1D block), trained to
reconstruct normal windows; the largest training reconstruction error is the anomaly threshold."""

import keras
import numpy as np
from keras import layers

TIME_STEPS = 16
rng = np.random.default_rng(0)
signal = np.sin(np.arange(400) * 2 * np.pi / 16) + rng.normal(0, 0.05, 400)
training_mean, training_std = signal.mean(), signal.std()
normalized = (signal - training_mean) / training_std


def create_sequences(values, time_steps=TIME_STEPS):
    output = []
    for i in range(len(values) - time_steps + 1):
        output.append(values[i : (i + time_steps)])
    return np.stack(output)


x_train = create_sequences(normalized)[:, :, None].astype("float32")
assert x_train.shape == (385, 16, 1)

model = keras.Sequential(
    [
        layers.Input(shape=(x_train.shape[1], x_train.shape[2])),
        layers.Conv1D(filters=8, kernel_size=5, padding="same", strides=2, activation="relu"),
        layers.Dropout(rate=0.2),
        layers.SeparableConv1D(filters=4, kernel_size=5, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(filters=4, kernel_size=5, padding="same", strides=2, activation="relu"),
        layers.Dropout(rate=0.2),
        layers.Conv1DTranspose(filters=8, kernel_size=5, padding="same", strides=2, activation="relu"),
        layers.Conv1DTranspose(filters=1, kernel_size=5, padding="same"),
    ]
)
assert [layer.output.shape for layer in model.layers] == [(None, 8, 8), (None, 8, 8), (None, 4, 4), (None, 8, 4),
                                                           (None, 8, 4), (None, 16, 8), (None, 16, 1)]  # fmt: skip
sep = model.layers[2]
# A depthwise kernel (k, in, multiplier), a pointwise kernel (1, in * multiplier, filters), a bias.
assert [tuple(w.shape) for w in sep.get_weights()] == [(5, 8, 1), (1, 8, 4), (4,)]
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
history = model.fit(
    x_train,
    x_train,
    epochs=3,
    batch_size=64,
    validation_split=0.1,
    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, mode="min")],
    verbose=0,
)
assert history.history["loss"][-1] < history.history["loss"][0]

x_train_pred = model.predict(x_train, verbose=0)
train_mae_loss = np.mean(np.abs(x_train_pred - x_train), axis=1)
threshold = np.max(train_mae_loss)

# An anomaly: a spike injected into one window is reconstructed worse than the threshold.
anomalous = x_train[:1].copy()
anomalous[0, 5:9, 0] += 8.0
test_mae_loss = np.mean(np.abs(model.predict(anomalous, verbose=0) - anomalous), axis=1)
assert test_mae_loss[0, 0] > threshold, (test_mae_loss, threshold)
