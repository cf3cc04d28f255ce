"""Regression scored the way keras.io's structured-data and timeseries examples report it: an MLP
with a Normalization layer adapted to the features, trained on MSE, with R2Score,
PearsonCorrelation and ConcordanceCorrelation metrics in the logs; each metric's value checked
against its definition."""

import keras
import numpy as np
from keras import layers

rng = np.random.default_rng(0)
features = rng.normal(loc=[10.0, -3.0, 0.5], scale=[5.0, 2.0, 0.1], size=(128, 3)).astype("float32")
targets = (features @ np.array([0.3, -1.0, 4.0], "float32") + rng.normal(0, 0.2, 128)).astype("float32")[:, None]

normalizer = layers.Normalization()
normalizer.adapt(features)
np.testing.assert_allclose(keras.ops.convert_to_numpy(normalizer.mean).ravel(), features.mean(0), rtol=1e-4)

model = keras.Sequential([keras.Input((3,)), normalizer, layers.Dense(16, activation="relu"), layers.Dense(1)])
model.compile(
    optimizer=keras.optimizers.Adam(0.02),
    loss="mse",
    # The correlations run along `axis`: axis=0 correlates over the batch (the default, -1, would
    # correlate across the single output column).
    metrics=[
        keras.metrics.R2Score(),
        keras.metrics.PearsonCorrelation(axis=0),
        keras.metrics.ConcordanceCorrelation(axis=0),
    ],
)
history = model.fit(features, targets, batch_size=32, epochs=3, validation_split=0.25, verbose=0)
names = {"loss", "r2_score", "pearson_correlation", "concordance_correlation"}
assert set(history.history) == names | {"val_" + name for name in names}, history.history
assert history.history["loss"][-1] < history.history["loss"][0]
assert history.history["r2_score"][-1] > history.history["r2_score"][0]
assert all(-1.0 <= v <= 1.0 for v in history.history["pearson_correlation"])

# The metrics by their definitions on fixed numbers.
y_true = np.array([[1.0], [2.0], [4.0], [7.0]], "float32")
y_pred = np.array([[1.5], [1.5], [5.0], [6.0]], "float32")

r2 = keras.metrics.R2Score()
r2.update_state(y_true, y_pred)
ss_res = np.sum((y_true - y_pred) ** 2)
ss_tot = np.sum((y_true - y_true.mean()) ** 2)
np.testing.assert_allclose(float(r2.result()), 1 - ss_res / ss_tot, rtol=1e-6)

# R2 adjusted for the number of regressors: 1 - (1 - R2) (n - 1) / (n - p - 1).
adjusted = keras.metrics.R2Score(num_regressors=1)
adjusted.update_state(y_true, y_pred)
np.testing.assert_allclose(float(adjusted.result()), 1 - (ss_res / ss_tot) * 3 / 2, rtol=1e-6)

pearson = keras.metrics.PearsonCorrelation(axis=0)
pearson.update_state(y_true, y_pred)
np.testing.assert_allclose(float(pearson.result()), np.corrcoef(y_true[:, 0], y_pred[:, 0])[0, 1], rtol=1e-5)

# Lin's concordance: 2 cov / (var_t + var_p + (mean_t - mean_p)^2), population moments.
concordance = keras.metrics.ConcordanceCorrelation(axis=0)
concordance.update_state(y_true, y_pred)
t, p = y_true[:, 0], y_pred[:, 0]
ccc = 2 * np.mean((t - t.mean()) * (p - p.mean())) / (t.var() + p.var() + (t.mean() - p.mean()) ** 2)
np.testing.assert_allclose(float(concordance.result()), ccc, rtol=1e-5)

# Streaming: R2Score accumulates sums over batches, so two halves give the whole's value.
streamed = keras.metrics.R2Score()
streamed.update_state(y_true[:2], y_pred[:2])
streamed.update_state(y_true[2:], y_pred[2:])
np.testing.assert_allclose(float(streamed.result()), float(r2.result()), rtol=1e-6)
streamed.reset_state()
streamed.update_state(y_true, y_true)
assert float(streamed.result()) == 1.0
