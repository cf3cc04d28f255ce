"""A small image classifier with the normalisation and regularisation layers of Keras 3's layer
guides: a SpectralNormalization-wrapped Conv2D (as in GAN discriminators), GroupNormalization,
GaussianDropout, AdaptiveAveragePooling2D, a Minimum merge; then trained with a MultiOptimizer
that gives the feature extractor and the head different optimizers (here: a frozen-rate SGD for
the extractor, Adam for the head). Each layer's math is checked on fixed numbers."""

import keras
import numpy as np
from keras import layers

rng = np.random.default_rng(0)
images = rng.normal(size=(48, 8, 8, 3)).astype("float32")
labels = (images[:, :4].mean(axis=(1, 2, 3)) > images[:, 4:].mean(axis=(1, 2, 3))).astype("int32")

inputs = keras.Input((8, 8, 3))
x = layers.SpectralNormalization(layers.Conv2D(8, 3, padding="same", name="encoder_conv"), name="encoder_sn")(inputs)
x = layers.GroupNormalization(groups=2, name="encoder_gn")(x)
x = layers.Activation("relu")(x)
x = layers.GaussianDropout(0.1)(x)
pooled = layers.AdaptiveAveragePooling2D((2, 2))(x)
assert pooled.shape == (None, 2, 2, 8)
a = layers.Flatten()(pooled)
b = layers.Flatten()(layers.AdaptiveMaxPooling2D((2, 2))(x))
x = layers.Minimum()([a, b])
outputs = layers.Dense(2, activation="softmax", name="head")(x)
model = keras.Model(inputs, outputs)

encoder_paths = [v.path for v in model.trainable_variables if "encoder" in v.path]
assert len(encoder_paths) == 4, [v.path for v in model.trainable_variables]  # conv kernel + bias, gamma, beta

optimizer = keras.optimizers.MultiOptimizer(
    lambda variable: keras.optimizers.SGD(0.0) if "encoder" in variable.path else keras.optimizers.Adam(0.01)
)
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
before = {v.path: keras.ops.convert_to_numpy(v).copy() for v in model.trainable_variables}
history = model.fit(images, labels, batch_size=16, epochs=3, verbose=0)
assert set(history.history) == {"loss", "accuracy"}
after = {v.path: keras.ops.convert_to_numpy(v) for v in model.trainable_variables}
for path in before:
    moved = not np.allclose(before[path], after[path])
    if "head" in path:
        assert moved, path  # Adam trained the head
    elif "encoder_gn" in path:
        assert not moved, path  # SGD with rate 0 left the group norm alone
assert len(optimizer.optimizers) >= 2

# SpectralNormalization: in training the wrapped kernel is divided by its largest singular
# value (estimated by power iteration), so after several steps it is close to 1.
sn_kernel = keras.ops.convert_to_numpy(model.get_layer("encoder_sn").layer.kernel)
sigma = np.linalg.svd(sn_kernel.reshape(-1, sn_kernel.shape[-1]), compute_uv=False)[0]
assert abs(sigma - 1.0) < 0.1, sigma

# GroupNormalization: each sample's channels split into groups, normalised over (H, W, group).
gn = layers.GroupNormalization(groups=2, epsilon=1e-3)
sample = rng.normal(size=(2, 3, 3, 4)).astype("float32")
got = keras.ops.convert_to_numpy(gn(sample))
grouped = sample.reshape(2, 3, 3, 2, 2)
mean = grouped.mean(axis=(1, 2, 4), keepdims=True)
var = grouped.var(axis=(1, 2, 4), keepdims=True)
np.testing.assert_allclose(got, ((grouped - mean) / np.sqrt(var + 1e-3)).reshape(2, 3, 3, 4), rtol=1e-4, atol=1e-5)

# Adaptive pooling of 6 -> 3 averages non-overlapping pairs; 5 -> 2 uses Keras's bins [0, 3) and [2, 5).
row = np.arange(6, dtype="float32").reshape(1, 6, 1)
np.testing.assert_allclose(
    keras.ops.convert_to_numpy(layers.AdaptiveAveragePooling1D(3)(row))[0, :, 0], [0.5, 2.5, 4.5]
)
row5 = np.arange(5, dtype="float32").reshape(1, 5, 1)
np.testing.assert_allclose(keras.ops.convert_to_numpy(layers.AdaptiveMaxPooling1D(2)(row5))[0, :, 0], [2.0, 4.0])

# GaussianDropout is the identity at inference; Minimum is elementwise.
np.testing.assert_array_equal(keras.ops.convert_to_numpy(layers.GaussianDropout(0.5)(sample, training=False)), sample)
np.testing.assert_array_equal(keras.ops.convert_to_numpy(layers.Minimum()([np.array([[1.0, 5.0]]), np.array([[3.0, 2.0]])])),
                              [[1.0, 2.0]])  # fmt: skip
