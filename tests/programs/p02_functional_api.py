"""The functional API guide: a graph of layers, training, shared layers, models as layers."""

import keras
import numpy as np
from keras import layers

inputs = keras.Input(shape=(784,))
x = layers.Dense(64, activation="relu")(inputs)
x = layers.Dense(64, activation="relu")(x)
outputs = layers.Dense(10)(x)
model = keras.Model(inputs=inputs, outputs=outputs, name="mnist_model")
assert model.name == "mnist_model" and len(model.layers) == 4

rng = np.random.default_rng(0)
x_train = rng.random((128, 784), dtype="float32")
y_train = rng.integers(0, 10, 128)
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.RMSprop(),
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=2, validation_split=0.2, verbose=0)
assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
assert len(history.history["loss"]) == 2
test_scores = model.evaluate(x_train[:64], y_train[:64], verbose=0)
assert len(test_scores) == 2

# All models are callable, just like layers: an autoencoder from an encoder and a decoder.
encoder_input = keras.Input(shape=(16,), name="original")
encoded = layers.Dense(4, activation="relu")(encoder_input)
encoder = keras.Model(encoder_input, encoded, name="encoder")
decoder_input = keras.Input(shape=(4,), name="encoded")
decoded = layers.Dense(16, activation="sigmoid")(decoder_input)
decoder = keras.Model(decoder_input, decoded, name="decoder")
autoencoder_input = keras.Input(shape=(16,), name="img")
autoencoder = keras.Model(autoencoder_input, decoder(encoder(autoencoder_input)), name="autoencoder")
assert tuple(autoencoder(np.ones((2, 16), "float32")).shape) == (2, 16)

# A shared layer: one Dense applied to two inputs uses one set of weights.
shared = layers.Dense(8)
a, b = keras.Input((5,)), keras.Input((5,))
merged = layers.Concatenate()([shared(a), shared(b)])
siamese = keras.Model([a, b], merged)
assert len(siamese.trainable_weights) == 2
out = siamese.predict([np.ones((1, 5), "float32"), np.ones((1, 5), "float32")], verbose=0)
np.testing.assert_allclose(out[:, :8], out[:, 8:])

# Extract and reuse nodes: every layer's output as a feature extractor.
features_list = [layer.output for layer in model.layers[1:]]
feat_extraction_model = keras.Model(inputs=model.input, outputs=features_list)
features = feat_extraction_model(x_train[:2])
assert [tuple(f.shape) for f in features] == [(2, 64), (2, 64), (2, 10)]
