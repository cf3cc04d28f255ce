"""Metric learning for similarity search (keras.io, "image similarity search with metric
learning"): an embedding network ending in UnitNormalization, trained directly on class labels
with Keras 3's Circle loss (pairs of the same class pulled together, others pushed apart), with
the Lamb optimizer; then nearest-neighbour retrieval by cosine similarity. The Tversky loss of the
segmentation guides is checked beside it."""

import keras
import numpy as np
from keras import layers, ops

num_classes = 4
rng = np.random.default_rng(0)
centres = rng.normal(size=(num_classes, 6, 6, 1)).astype("float32")
labels = np.repeat(np.arange(num_classes), 16)
images = centres[labels] + rng.normal(0, 0.4, (len(labels), 6, 6, 1)).astype("float32")

inputs = keras.Input(shape=(6, 6, 1))
x = layers.Conv2D(filters=8, kernel_size=3, activation="relu")(inputs)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dense(units=8, activation=None)(x)
embeddings = layers.UnitNormalization()(x)
model = keras.Model(inputs, embeddings)
model.compile(optimizer=keras.optimizers.Lamb(0.02), loss=keras.losses.Circle(gamma=16.0, margin=0.25))

before = model.evaluate(images, labels, batch_size=32, verbose=0)
history = model.fit(images, labels, batch_size=32, epochs=3, shuffle=True, verbose=0)
assert list(history.history) == ["loss"]
assert history.history["loss"][-1] < before

# Retrieval: cosine similarity is a dot product of unit embeddings; the nearest neighbour of
# each query (itself excluded) is mostly of its own class.
vectors = model.predict(images, verbose=0)
np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
gram = np.einsum("ae,be->ab", vectors, vectors)
np.fill_diagonal(gram, -np.inf)
nearest = np.argmax(gram, axis=1)
assert (labels[nearest] == labels).mean() > 0.5

# The Circle loss on embeddings already perfectly separated beats the loss on mixed ones.
circle = keras.losses.Circle(gamma=16.0, margin=0.25)
separated = np.eye(2, dtype="float32")[[0, 0, 1, 1]]
mixed = np.eye(2, dtype="float32")[[0, 1, 0, 1]]
pair_labels = np.array([0, 0, 1, 1])
assert float(ops.convert_to_numpy(circle(pair_labels, separated))) < float(
    ops.convert_to_numpy(circle(pair_labels, mixed))
)

# Tversky: 1 - TP / (TP + alpha FP + beta FN); alpha = beta = 0.5 is the Dice loss.
y_true = np.array([[1.0, 1.0, 0.0, 0.0]], "float32")
y_pred = np.array([[1.0, 0.5, 0.5, 0.0]], "float32")
tp, fp, fn = 1.5, 0.5, 0.5
tversky = keras.losses.Tversky(alpha=0.7, beta=0.3)
np.testing.assert_allclose(
    float(ops.convert_to_numpy(tversky(y_true, y_pred))), 1 - tp / (tp + 0.7 * fp + 0.3 * fn), rtol=1e-6
)
np.testing.assert_allclose(
    float(ops.convert_to_numpy(keras.losses.Tversky()(y_true, y_pred))),
    float(ops.convert_to_numpy(keras.losses.Dice()(y_true, y_pred))),
    rtol=1e-6,
)
