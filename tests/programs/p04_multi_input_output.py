"""Training & evaluation guide: a model with several inputs and outputs, losses and metrics per
output by name, loss_weights, and data as dicts."""

import keras
import numpy as np
from keras import layers

image_input = keras.Input(shape=(8, 8, 3), name="img_input")
timeseries_input = keras.Input(shape=(6, 4), name="ts_input")
x1 = layers.Conv2D(3, 3)(image_input)
x1 = layers.GlobalMaxPooling2D()(x1)
x2 = layers.Conv1D(3, 3)(timeseries_input)
x2 = layers.GlobalMaxPooling1D()(x2)
x = layers.Concatenate()([x1, x2])
score_output = layers.Dense(1, name="score_output")(x)
class_output = layers.Dense(5, name="class_output")(x)
model = keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={"score_output": keras.losses.MeanSquaredError(), "class_output": keras.losses.CategoricalCrossentropy()},
    metrics={
        "score_output": [keras.metrics.MeanAbsoluteError()],
        "class_output": [keras.metrics.CategoricalAccuracy()],
    },
    loss_weights={"score_output": 2.0, "class_output": 1.0},
)
rng = np.random.default_rng(0)
img_data = rng.random((32, 8, 8, 3), dtype="float32")
ts_data = rng.random((32, 6, 4), dtype="float32")
score_targets = rng.random((32, 1), dtype="float32")
class_targets = keras.utils.to_categorical(rng.integers(0, 5, 32), 5)
history = model.fit(
    {"img_input": img_data, "ts_input": ts_data},
    {"score_output": score_targets, "class_output": class_targets},
    batch_size=16,
    epochs=1,
    verbose=0,
)
assert "score_output_mean_absolute_error" in history.history, sorted(history.history)
assert "class_output_categorical_accuracy" in history.history
assert "score_output_loss" in history.history and "class_output_loss" in history.history
logs = model.evaluate([img_data, ts_data], [score_targets, class_targets], verbose=0, return_dict=True)
np.testing.assert_allclose(logs["loss"], 2.0 * logs["score_output_loss"] + logs["class_output_loss"], rtol=1e-4)
score, classes = model.predict([img_data[:2], ts_data[:2]], verbose=0)
assert score.shape == (2, 1) and classes.shape == (2, 5)
