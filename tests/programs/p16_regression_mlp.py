"""Regression with an MLP (the basic regression tutorial's shape): features standardised with
NumPy, MSE loss, MAE metric, validation_split, EarlyStopping with restore_best_weights."""

import keras
import numpy as np
from keras import layers

rng = np.random.default_rng(0)
features = rng.normal(loc=50.0, scale=10.0, size=(160, 5)).astype("float32")
true_w = np.array([0.5, -1.0, 0.25, 0.0, 2.0], dtype="float32")
target = (features - 50.0) @ true_w / 10.0 + 3.0 + 0.05 * rng.normal(size=160).astype("float32")
mean, std = features.mean(axis=0), features.std(axis=0)
normalized = (features - mean) / std

model = keras.Sequential(
    [keras.Input((5,)), layers.Dense(16, activation="relu"), layers.Dense(16, activation="relu"), layers.Dense(1)]
)
model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(0.01), metrics=["mae"])
stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
history = model.fit(normalized, target, validation_split=0.2, epochs=25, batch_size=64, verbose=0, callbacks=[stop])
assert min(history.history["val_loss"]) < 1.0, min(history.history["val_loss"])  # the target's variance is 5.3
val_x, val_y = normalized[-32:], target[-32:]
restored = model.evaluate(val_x, val_y, verbose=0, return_dict=True)
np.testing.assert_allclose(restored["loss"], min(history.history["val_loss"]), rtol=1e-4)
predictions = model.predict(normalized[:4], verbose=0).flatten()
assert predictions.shape == (4,)
