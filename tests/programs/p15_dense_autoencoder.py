"""A dense autoencoder with an encoder and a decoder that are models of their own, trained on
x -> x, then the encoder used alone (the functional API guide's autoencoder, flattened)."""

import keras
import numpy as np
from keras import layers

rng = np.random.default_rng(0)
codes = rng.normal(size=(128, 3)).astype("float32")
mixing = rng.normal(size=(3, 24)).astype("float32")
x = np.tanh(codes @ mixing).astype("float32")  # 24 features on a 3-dimensional manifold

encoder_input = keras.Input(shape=(24,), name="features")
h = layers.Dense(12, activation="relu")(encoder_input)
encoder_output = layers.Dense(3, name="code")(h)
encoder = keras.Model(encoder_input, encoder_output, name="encoder")
decoder_input = keras.Input(shape=(3,), name="encoded")
h = layers.Dense(12, activation="relu")(decoder_input)
decoder_output = layers.Dense(24, activation="tanh")(h)
decoder = keras.Model(decoder_input, decoder_output, name="decoder")
autoencoder_input = keras.Input(shape=(24,))
autoencoder = keras.Model(autoencoder_input, decoder(encoder(autoencoder_input)), name="autoencoder")
assert [lyr.name for lyr in autoencoder.layers[1:]] == ["encoder", "decoder"]

autoencoder.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
baseline = float(np.mean(x**2))
history = autoencoder.fit(x, x, epochs=10, batch_size=64, verbose=0)
assert history.history["loss"][-1] < 0.5 * baseline, (history.history["loss"][-1], baseline)
assert encoder.predict(x[:5], verbose=0).shape == (5, 3)
reconstruction = decoder.predict(encoder.predict(x[:5], verbose=0), verbose=0)
np.testing.assert_allclose(reconstruction, autoencoder.predict(x[:5], verbose=0), rtol=1e-5, atol=1e-6)
