"""Lambda layers in memory and the lowercase merge functions (layers.add, subtract, multiply,
average, maximum, concatenate) in a functional model; a saved Lambda is refused on load unless
safe_mode=False."""

import os
import tempfile

import keras
import numpy as np
from keras import layers

a = keras.Input((4,))
b = keras.Input((4,))
summed = layers.add([a, b])
diff = layers.subtract([a, b])
prod = layers.multiply([a, b])
mean = layers.average([a, b])
big = layers.maximum([a, b])
merged = layers.concatenate([summed, diff, prod, mean, big])
doubled = layers.Lambda(lambda t: t * 2.0)(merged)
model = keras.Model([a, b], doubled)
xa = np.full((2, 4), 3.0, "float32")
xb = np.full((2, 4), 1.0, "float32")
out = model.predict([xa, xb], verbose=0)
np.testing.assert_allclose(out[0], 2.0 * np.array([4] * 4 + [2] * 4 + [3] * 4 + [2] * 4 + [3] * 4, "float32"))

path = os.path.join(tempfile.mkdtemp(), "lambda.keras")
model.save(path)
try:
    keras.models.load_model(path)
    raise AssertionError("a Lambda layer loaded in safe mode")
except ValueError as error:
    assert "safe_mode" in str(error)
reloaded = keras.models.load_model(path, safe_mode=False)
np.testing.assert_allclose(reloaded.predict([xa, xb], verbose=0), out, rtol=1e-6)
