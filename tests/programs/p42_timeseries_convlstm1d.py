"""Multi-station weather forecasting (keras.io's timeseries examples, with a ConvLSTM1D): each
step is a row of stations, a ConvLSTM1D reads the sequence of rows convolving across stations,
and a Conv1D head predicts the next row. Trained with Adafactor, then a second model with Muon and
one with Ftrl, each through fit, the way the optimizer API pages show."""

import keras
import numpy as np
from keras import layers

# A travelling wave over 8 stations: the next row is the current row shifted by one station.
rng = np.random.default_rng(0)
steps, stations = 200, 8
phase = np.arange(steps)[:, None] * 0.4 + np.arange(stations)[None, :] * 0.8
series = (np.sin(phase) + rng.normal(0, 0.05, (steps, stations))).astype("float32")

window = 6
x = np.stack([series[i : i + window] for i in range(steps - window)])[..., None]  # (samples, time, stations, 1)
y = series[window:][..., None]  # the next row
assert x.shape == (194, 6, 8, 1) and y.shape == (194, 8, 1)


def build():
    inputs = keras.Input((window, stations, 1))
    h = layers.ConvLSTM1D(filters=8, kernel_size=3, padding="same", return_sequences=False)(inputs)
    outputs = layers.Conv1D(1, 3, padding="same")(h)
    return keras.Model(inputs, outputs)


model = build()
cell_weights = [tuple(w.shape) for w in model.layers[1].get_weights()]
assert cell_weights == [(3, 1, 32), (3, 8, 32), (32,)], cell_weights  # four gates: 4 * 8 filters
model.compile(optimizer=keras.optimizers.Adafactor(learning_rate=0.05), loss="mse", metrics=["mae"])
history = model.fit(x, y, batch_size=32, epochs=3, validation_split=0.2, verbose=0)
assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
assert history.history["loss"][-1] < history.history["loss"][0]
forecast = model.predict(x[-2:], verbose=0)
assert forecast.shape == (2, 8, 1)

sequences = keras.Model(model.input, layers.ConvLSTM1D(4, 3, padding="same", return_sequences=True)(model.input))
assert sequences.output_shape == (None, window, stations, 4)

for optimizer in (keras.optimizers.Muon(learning_rate=0.02), keras.optimizers.Ftrl(learning_rate=0.5)):
    other = build()
    other.compile(optimizer=optimizer, loss="mse")
    losses = other.fit(x, y, batch_size=32, epochs=3, verbose=0).history["loss"]
    assert losses[-1] < losses[0], (type(optimizer).__name__, losses)
