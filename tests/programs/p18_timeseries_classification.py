"""Timeseries classification from scratch (keras.io): a fully convolutional 1D network with
BatchNormalization, ReLU and GlobalAveragePooling1D, sparse labels, ModelCheckpoint and
ReduceLROnPlateau callbacks."""

import os
import tempfile

import keras
import numpy as np

rng = np.random.default_rng(0)
n, length = 64, 40
t = np.linspace(0, 4 * np.pi, length)
y_train = rng.integers(0, 2, n)
x_train = np.stack([np.sin(t * (1 + label)) for label in y_train]) + 0.2 * rng.normal(size=(n, length))
x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1)).astype("float32")
num_classes = len(np.unique(y_train))


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)
    conv1 = keras.layers.Conv1D(filters=8, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)
    conv2 = keras.layers.Conv1D(filters=8, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)
    gap = keras.layers.GlobalAveragePooling1D()(conv2)
    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])
path = os.path.join(tempfile.mkdtemp(), "best_model.keras")
callbacks = [
    keras.callbacks.ModelCheckpoint(path, save_best_only=True, monitor="val_loss"),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.0001),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, verbose=0),
]
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=4, callbacks=callbacks, validation_split=0.25, verbose=0)
assert os.path.exists(path)
best = keras.models.load_model(path)
test_loss, test_acc = best.evaluate(x_train[-16:], y_train[-16:], verbose=0)
np.testing.assert_allclose(test_loss, min(history.history["val_loss"]), rtol=1e-4)
assert "learning_rate" in history.history  # ReduceLROnPlateau logs the rate
