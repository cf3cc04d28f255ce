"""Subclassed models through `.keras` files against real Keras 3 (torch backend): the same class,
registered under the same name in both, saved by one and loaded by the other, with the same
weights layout (attribute paths), predictions, compile state and optimizer step count."""

import json
import zipfile

import numpy as np
import pytest

import neuronio
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch, subclassed_model_class
from tests.saving.test_subclassed_models import NET_WEIGHT_GROUPS, Net, weight_groups

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

KerasNet = keras.saving.register_keras_serializable(package="TestSubclassed")(subclassed_model_class(keras))

X = np.random.default_rng(0).random((6, 4)).astype("float32")
Y = np.random.default_rng(1).random((6, 1)).astype("float32")
TOL = {"rtol": 1e-5, "atol": 1e-6}


def _trained(cls, **kwargs):
    model = cls(**kwargs)
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, Y, batch_size=3, epochs=1, verbose=0, shuffle=False)
    return model


def _predict(model):
    return np.asarray(keras.ops.convert_to_numpy(model.predict(X, verbose=0)))


def test_keras_writes_the_weights_layout_neuronio_writes(tmp_path):
    _trained(KerasNet).save(tmp_path / "k.keras")
    _trained(Net).save(tmp_path / "n.keras")
    with zipfile.ZipFile(tmp_path / "k.keras") as zk, zipfile.ZipFile(tmp_path / "n.keras") as zn:
        assert weight_groups(zk.read("model.weights.h5")) == NET_WEIGHT_GROUPS
        assert weight_groups(zn.read("model.weights.h5")) == NET_WEIGHT_GROUPS
        theirs, ours = json.loads(zk.read("config.json")), json.loads(zn.read("config.json"))
    for key in ("module", "class_name", "registered_name", "build_config"):
        assert ours[key] == theirs[key], key
    assert ours["config"].keys() == theirs["config"].keys()


def test_keras_loads_a_subclassed_model_saved_by_neuronio(tmp_path):
    model = _trained(Net, width=5)
    model.save(tmp_path / "n.keras")
    loaded = keras.models.load_model(tmp_path / "n.keras")
    assert type(loaded) is KerasNet and loaded.width == 5
    np.testing.assert_allclose(_predict(loaded), model.predict(X, verbose=0), **TOL)
    assert int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)) == 2


def test_neuronio_loads_a_subclassed_model_saved_by_keras(tmp_path):
    # Keras 3.15 writes the constructor's defaults, not the values given, in the automatic config
    # of a Model subclass, so a non-default width would not load in Keras either: default here.
    model = _trained(KerasNet)
    model.save(tmp_path / "k.keras")
    loaded = neuronio.models.load_model(tmp_path / "k.keras")
    assert type(loaded) is Net and loaded.width == 3
    np.testing.assert_allclose(loaded.predict(X, verbose=0), _predict(model), **TOL)
    assert int(loaded.optimizer.iterations.numpy()) == 2
    for ours, theirs in zip(loaded.optimizer.variables, model.optimizer.variables):
        np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), **TOL)


def _with_get_config(lib):
    class Classifier(lib.Model):
        def __init__(self, hidden, classes=3, **kwargs):
            super().__init__(**kwargs)
            self.hidden, self.classes = hidden, classes
            self.dense = lib.layers.Dense(hidden, activation="relu")
            self.out = lib.layers.Dense(classes, activation="softmax")

        def call(self, x):
            return self.out(self.dense(x))

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden, "classes": self.classes}

    return Classifier


@pytest.mark.parametrize("writer", ["keras", "neuronio"])
def test_a_model_with_its_own_get_config_crosses_both_ways(tmp_path, writer):
    """The serialization guide's pattern: get_config returns the constructor's arguments."""
    classes = {"keras": _with_get_config(keras), "neuronio": _with_get_config(neuronio)}
    objects = {"Classifier": None}
    model = classes[writer](hidden=5, classes=2)
    model(X)
    model.save(tmp_path / "c.keras")
    reader = neuronio if writer == "keras" else keras
    objects["Classifier"] = classes["neuronio" if writer == "keras" else "keras"]
    loaded = reader.models.load_model(tmp_path / "c.keras", custom_objects=objects)
    assert loaded.hidden == 5 and loaded.classes == 2
    np.testing.assert_allclose(_predict(loaded), _predict(model), **TOL)


def _block_class(lib):
    class Block(lib.layers.Layer):  # sublayers in a private attribute and in a list
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self._inner = lib.layers.Dense(units)
            self.stack = [lib.layers.Dense(units), lib.layers.Dense(units)]

        def call(self, x):
            return self.stack[1](self.stack[0](self._inner(x)))

    return Block


BLOCKS = {"keras": _block_class(keras), "neuronio": _block_class(neuronio)}
BLOCK_GROUPS = {
    "vars": 0,
    "layers/input_layer/vars": 0,
    "layers/block/vars": 0,
    "layers/block/stack/dense/vars": 2,
    "layers/block/stack/dense_1/vars": 2,
    "layers/block/_inner/vars": 2,
}


@pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer 'block':UserWarning")  # Keras, loading
@pytest.mark.parametrize("writer", ["keras", "neuronio"])
def test_a_custom_layers_sublayers_are_keyed_as_keras_keys_them(tmp_path, writer):
    """Private attributes after public ones, lists as containers numbered by class name."""
    lib = keras if writer == "keras" else neuronio
    inputs = lib.Input((4,))
    model = lib.Model(inputs, BLOCKS[writer]()(inputs))
    model.save(tmp_path / "b.keras")
    with zipfile.ZipFile(tmp_path / "b.keras") as zf:
        assert weight_groups(zf.read("model.weights.h5")) == BLOCK_GROUPS
    reader = neuronio if writer == "keras" else keras
    loaded = reader.models.load_model(
        tmp_path / "b.keras", custom_objects={"Block": BLOCKS["neuronio" if writer == "keras" else "keras"]}
    )
    np.testing.assert_allclose(_predict(loaded), _predict(model), **TOL)
