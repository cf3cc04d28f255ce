"""keras.utils and keras.saving tools from Keras's guides: fetch a file with get_file (a file://
URL here, no network), images through save_img / load_img / img_to_array, training with EMA
weights and SwapEMAWeights, the architecture through to_json / model_from_json, and the saved
weights edited with KerasFileEditor."""

import hashlib
import os
import pathlib
import tempfile

import keras
import numpy as np

workdir = pathlib.Path(tempfile.mkdtemp())

# 1. get_file: downloaded once into the cache, checked against its SHA-256.
source = workdir / "notes.txt"
source.write_text("hello")
path = keras.utils.get_file(origin=source.as_uri(), file_hash=hashlib.sha256(b"hello").hexdigest(),
                            cache_dir=str(workdir / "cache"))  # fmt: skip
assert pathlib.Path(path).read_text() == "hello" and os.path.basename(path) == "notes.txt"

# 2. Images: an array saved as PNG, read back at another size.
rng = np.random.default_rng(0)
image = rng.integers(0, 256, (12, 16, 3)).astype("float32")
keras.utils.save_img(workdir / "a.png", image, scale=False)
loaded = keras.utils.img_to_array(keras.utils.load_img(workdir / "a.png"))
assert loaded.shape == (12, 16, 3) and np.array_equal(loaded, image)
small = keras.utils.img_to_array(keras.utils.load_img(workdir / "a.png", target_size=(6, 8)))
assert small.shape == (6, 8, 3)
assert keras.utils.array_to_img(loaded).size == (16, 12)

# 3. Training with an exponential moving average of the weights, evaluated with the averages.
x = rng.normal(size=(64, 4)).astype("float32")
y = (x @ np.array([1.0, -1.0, 0.5, 2.0], "float32"))[:, None]
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(keras.optimizers.Adam(0.01, use_ema=True, ema_momentum=0.9), "mse")
history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, validation_data=(x, y),
                    callbacks=[keras.callbacks.SwapEMAWeights()])  # fmt: skip
assert history.history["val_loss"][-1] < history.history["val_loss"][0]

# 4. The architecture as JSON, rebuilt with fresh weights and the same compile settings.
twin = keras.models.model_from_json(model.to_json())
assert [type(layer).__name__ for layer in twin.layers] == ["Dense", "Dense"]
assert [w.shape for w in twin.get_weights()] == [w.shape for w in model.get_weights()]

# 5. A saved model's weights edited for a smaller model: drop the optimizer state, rename nothing.
model.save(workdir / "model.keras")
editor = keras.saving.KerasFileEditor(str(workdir / "model.keras"))
assert sorted(editor.weights_dict["layers"]) == ["dense", "dense_1"]
editor.delete_object("optimizer")
editor.save(str(workdir / "edited.weights.h5"))
fresh = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
fresh.load_weights(workdir / "edited.weights.h5")
assert np.allclose(fresh.predict(x[:4], verbose=0), model.predict(x[:4], verbose=0))

# 6. A Config of hyperparameters, frozen before training.
config = keras.utils.Config(learning_rate=0.01, epochs=3)
config.freeze()
try:
    config.epochs = 4
    raise AssertionError("a frozen Config accepted a change")
except ValueError:
    pass
