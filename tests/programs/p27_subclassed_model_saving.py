"""Serialization & saving guide, subclassed models: a Model subclass registered with
register_keras_serializable, saved whole to .keras (config, built weights, compile state) and
loaded back; its get_config/from_config; serialize_keras_object on it; and an unregistered
subclass loaded through custom_objects."""

import os
import tempfile

import keras
import numpy as np
from keras import layers


@keras.saving.register_keras_serializable(package="ProgramsSubclassed")
class ResidualMLP(keras.Model):
    def __init__(self, hidden_units=8, num_classes=3, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.num_classes = num_classes
        self.dropout = dropout
        self.project = layers.Dense(hidden_units)
        self.blocks = [layers.Dense(hidden_units, activation="relu") for _ in range(2)]
        self.norm = layers.LayerNormalization()
        self.drop = layers.Dropout(dropout)
        self.classifier = layers.Dense(num_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = self.project(inputs)
        for block in self.blocks:
            x = x + block(x)
        x = self.drop(self.norm(x), training=training)
        return self.classifier(x)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=self.hidden_units, num_classes=self.num_classes, dropout=self.dropout)
        return config


class Unregistered(keras.Model):  # no get_config: Keras 3 builds one from __init__'s arguments
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units)

    def call(self, x):
        return self.dense(x)


tmp = tempfile.mkdtemp()
rng = np.random.default_rng(0)
x = rng.random((32, 5)).astype("float32")
y = rng.integers(0, 3, 32)

model = ResidualMLP(hidden_units=6, name="residual_mlp")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=16, epochs=2, verbose=0)
expected = model.predict(x, verbose=0)

config = model.get_config()
assert config["hidden_units"] == 6 and config["name"] == "residual_mlp"
fresh = ResidualMLP.from_config(config)
assert fresh.hidden_units == 6 and fresh.num_classes == 3
envelope = keras.saving.serialize_keras_object(model)
assert envelope["class_name"] == "ResidualMLP" and envelope["registered_name"] == "ProgramsSubclassed>ResidualMLP"

path = os.path.join(tmp, "residual.keras")
model.save(path)
restored = keras.models.load_model(path)
assert isinstance(restored, ResidualMLP) and restored.hidden_units == 6
np.testing.assert_allclose(restored.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
assert int(keras.ops.convert_to_numpy(restored.optimizer.iterations)) == 4
logs = restored.evaluate(x, y, verbose=0, return_dict=True)
np.testing.assert_allclose(logs["loss"], model.evaluate(x, y, verbose=0, return_dict=True)["loss"], rtol=1e-5)
restored.fit(x, y, batch_size=16, epochs=1, verbose=0)  # training resumes from the restored state

other = Unregistered()
other(x)
other_path = os.path.join(tmp, "unregistered.keras")
other.save(other_path)
try:
    keras.models.load_model(other_path)
    raise AssertionError("an unregistered subclassed model loaded without custom_objects")
except (TypeError, ValueError):
    pass
loaded = keras.models.load_model(other_path, custom_objects={"Unregistered": Unregistered})
np.testing.assert_allclose(
    keras.ops.convert_to_numpy(loaded(x)), keras.ops.convert_to_numpy(other(x)), rtol=1e-6, atol=1e-6
)

weights_path = os.path.join(tmp, "residual.weights.h5")
model.save_weights(weights_path)
twin = ResidualMLP(hidden_units=6)
twin(x[:1])
twin.load_weights(weights_path)
np.testing.assert_allclose(twin.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
