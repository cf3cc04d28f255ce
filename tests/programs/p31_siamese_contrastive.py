"""A Siamese network for image similarity (keras.io, contrastive loss / metric learning): one
shared embedding tower applied to both images of a pair, embeddings L2-normalised with
UnitNormalization, compared by cosine similarity through Dot(normalize=True), and trained with a
contrastive loss written with keras.ops."""

import keras
import numpy as np
from keras import layers, ops

rng = np.random.default_rng(0)
# Four "digit" prototypes; samples are noisy copies. A pair is labelled 1 when both come from the
# same prototype (the keras.io example's convention for "similar").
prototypes = rng.normal(size=(4, 6, 6, 1)).astype("float32")


def make_pairs(n):
    a_cls = rng.integers(0, 4, n)
    same = rng.random(n) < 0.5
    b_cls = np.where(same, a_cls, (a_cls + rng.integers(1, 4, n)) % 4)
    noise = lambda: rng.normal(0, 0.3, (n, 6, 6, 1)).astype("float32")  # noqa: E731
    return prototypes[a_cls] + noise(), prototypes[b_cls] + noise(), same.astype("float32")


x1, x2, labels = make_pairs(128)

embedding_network = keras.Sequential(
    [
        keras.Input((6, 6, 1)),
        layers.Conv2D(4, 3, activation="tanh"),
        layers.AveragePooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.BatchNormalization(),
        layers.Dense(8),
        layers.UnitNormalization(),
    ],
    name="embedding",
)

input_1 = keras.Input((6, 6, 1))
input_2 = keras.Input((6, 6, 1))
tower_1 = embedding_network(input_1)
tower_2 = embedding_network(input_2)
cosine = layers.Dot(axes=1, normalize=True)([tower_1, tower_2])
output_layer = layers.Dense(1, activation="sigmoid")(cosine)
siamese = keras.Model(inputs=[input_1, input_2], outputs=output_layer)


def loss(margin=1):
    def contrastive_loss(y_true, y_pred):
        square_pred = ops.square(y_pred)
        margin_square = ops.square(ops.maximum(margin - (y_pred), 0))
        return ops.mean((1 - y_true) * square_pred + (y_true) * margin_square)

    return contrastive_loss


siamese.compile(loss=loss(margin=1), optimizer=keras.optimizers.RMSprop(0.01), metrics=["accuracy"])
history = siamese.fit([x1, x2], labels, validation_split=0.25, batch_size=16, epochs=3, verbose=0)
assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
assert history.history["loss"][-1] < history.history["loss"][0]

# The tower is shared: one set of weights, and each embedding has unit length.
assert len(siamese.layers) == 5 and siamese.layers[2] is embedding_network
embeddings = embedding_network.predict(x1[:8], verbose=0)
np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, rtol=1e-5)

# Cosine similarity by Dot(normalize=True): exact on hand-made vectors.
a = np.array([[3.0, 4.0], [1.0, 0.0]], "float32")
b = np.array([[6.0, 8.0], [0.0, 2.0]], "float32")
np.testing.assert_allclose(ops.convert_to_numpy(layers.Dot(axes=1, normalize=True)([a, b])), [[1.0], [0.0]], atol=1e-6)
np.testing.assert_allclose(ops.convert_to_numpy(layers.UnitNormalization()(a)), a / np.array([[5.0], [1.0]]), rtol=1e-6)

# The contrastive loss by its formula: a similar pair at distance d costs (1 - d)^2, a dissimilar one d^2.
value = loss(margin=1)(ops.convert_to_tensor([1.0, 0.0]), ops.convert_to_tensor([0.25, 0.5]))
np.testing.assert_allclose(float(ops.convert_to_numpy(value)), (0.75**2 + 0.5**2) / 2, rtol=1e-6)
