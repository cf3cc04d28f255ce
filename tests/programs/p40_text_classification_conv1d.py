"""Text classification from scratch (keras.io, IMDB sentiment) on integer token sequences: an
Embedding, SpatialDropout1D over whole embedding channels, 1-D convolutions with global max
pooling, AlphaDropout before the head, trained with the ScheduleFreeAdamW optimizer; the end-to-end
model then takes raw batches and returns probabilities. Dropout behaviour checked exactly."""

import keras
import numpy as np
from keras import layers

max_features = 50
sequence_length = 12
embedding_dim = 8

# Toy reviews: token 7 ("great") or token 9 ("awful") scattered in random text decides the label.
rng = np.random.default_rng(0)
n = 160
tokens = rng.integers(10, max_features, (n, sequence_length))
labels = rng.integers(0, 2, n)
for i in range(n):
    tokens[i, rng.integers(0, sequence_length, 2)] = 7 if labels[i] else 9

inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(max_features, embedding_dim)(inputs)
x = layers.SpatialDropout1D(0.2)(x)
x = layers.Conv1D(16, 3, padding="valid", activation="relu", strides=1)(x)
x = layers.Conv1D(16, 3, padding="valid", activation="relu", strides=1)(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(16, activation="selu", kernel_initializer="lecun_normal")(x)
x = layers.AlphaDropout(0.1)(x)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)
model = keras.Model(inputs, predictions)
model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.ScheduleFreeAdamW(0.01), metrics=["accuracy"])

history = model.fit(tokens[:128], labels[:128], validation_data=(tokens[128:], labels[128:]), batch_size=32,
                    epochs=3, verbose=0)  # fmt: skip
assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
assert history.history["loss"][-1] < history.history["loss"][0]
results = model.evaluate(tokens[128:], labels[128:], verbose=0)
assert len(results) == 2 and 0.0 <= results[1] <= 1.0

# Any sequence length works: the time axis is None.
probabilities = model.predict(tokens[:3, :8], verbose=0)
assert probabilities.shape == (3, 1) and ((probabilities > 0) & (probabilities < 1)).all()

# SpatialDropout1D drops whole channels: each (sample, channel) is all zero or all scaled by 1/(1 - rate).
embedded = np.ones((4, 10, 6), "float32")
dropped = keras.ops.convert_to_numpy(layers.SpatialDropout1D(0.5, seed=1)(embedded, training=True))
for sample in dropped:
    for channel in sample.T:
        assert np.all(channel == 0.0) or np.allclose(channel, 2.0), channel
assert 0 < np.count_nonzero(dropped[:, 0, :]) < 24
np.testing.assert_array_equal(keras.ops.convert_to_numpy(layers.SpatialDropout1D(0.5)(embedded)), embedded)

# AlphaDropout keeps the self-normalising mean and variance: at inference it is the identity,
# in training it moves dropped units to the SELU saturation value, then an affine map.
units = rng.normal(size=(2000, 8)).astype("float32")
np.testing.assert_array_equal(keras.ops.convert_to_numpy(layers.AlphaDropout(0.2)(units)), units)
noisy = keras.ops.convert_to_numpy(layers.AlphaDropout(0.2, seed=3)(units, training=True))
assert abs(noisy.mean()) < 0.1 and abs(noisy.std() - 1.0) < 0.1
alpha_p = -1.6732632423543772 * 1.0507009873554805  # -SELU scale * alpha
a = ((1 - 0.2) * (1 + 0.2 * alpha_p**2)) ** -0.5
b = -a * alpha_p * 0.2
dropped_share = np.isclose(noisy, a * alpha_p + b, atol=1e-5).mean()
assert 0.15 < dropped_share < 0.25, dropped_share
kept = ~np.isclose(noisy, a * alpha_p + b, atol=1e-5)
np.testing.assert_allclose(noisy[kept], a * units[kept] + b, rtol=1e-5, atol=1e-5)
