"""Serialization & saving guide: whole-model .keras files, custom layers registered with
register_keras_serializable, custom_objects and custom_object_scope, get_config/from_config,
and weights-only files."""

import os
import tempfile

import keras
import numpy as np
from keras import layers, ops


@keras.saving.register_keras_serializable(package="ProgramsGuide")
class CustomLayer(keras.layers.Layer):
    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="ProgramsGuide", name="custom_fn")
def custom_fn(x):
    return x**2


class AutoConfigLayer(keras.layers.Layer):  # no get_config: Keras builds it from __init__'s arguments
    def __init__(self, units=4, activation_name="relu", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation_name = activation_name

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")

    def call(self, x):
        return ops.relu(ops.matmul(x, self.w))


tmp = tempfile.mkdtemp()
inputs = keras.Input(shape=(6,))
x = CustomLayer(0.5)(inputs)
x = AutoConfigLayer(5, name="auto")(x)
x = keras.layers.Activation(custom_fn)(x)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
data = np.random.default_rng(0).random((16, 6)).astype("float32")
model.fit(data, data[:, :1], epochs=1, verbose=0)
expected = model.predict(data, verbose=0)

assert AutoConfigLayer(3, name="a").get_config()["units"] == 3
assert keras.saving.get_registered_name(CustomLayer) == "ProgramsGuide>CustomLayer"
assert keras.saving.get_registered_object("ProgramsGuide>custom_fn") is custom_fn
assert keras.saving.serialize_keras_object(custom_fn)["config"] == "ProgramsGuide>custom_fn"

path = os.path.join(tmp, "model.keras")
model.save(path)
try:
    keras.models.load_model(path)
    raise AssertionError("an unregistered custom layer loaded without custom_objects")
except (TypeError, ValueError):
    pass
reconstructed = keras.models.load_model(path, custom_objects={"AutoConfigLayer": AutoConfigLayer})
np.testing.assert_allclose(reconstructed.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)
with keras.saving.custom_object_scope({"AutoConfigLayer": AutoConfigLayer}):
    again = keras.models.load_model(path)
assert isinstance(again.get_layer("auto"), AutoConfigLayer) and again.get_layer("auto").units == 5
assert again.layers[3].activation is custom_fn

config = model.get_config()
clone = keras.Model.from_config(config, custom_objects={"AutoConfigLayer": AutoConfigLayer})
clone.set_weights(model.get_weights())
np.testing.assert_allclose(clone.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)

weights_path = os.path.join(tmp, "model.weights.h5")
model.save_weights(weights_path)
clone.set_weights([np.zeros_like(w) for w in clone.get_weights()])
clone.load_weights(weights_path)
np.testing.assert_allclose(clone.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)
