"""Custom objects across engines: a layer and a loss registered under the same package/name in
neuronio and in real Keras 3 (torch backend) save in one and load in the other, with Keras's
automatic get_config; an unregistered one loads with custom_objects=; the envelopes match."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch, scale_layer_class

keras = keras_on_torch()

import neuronio as nn  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]
RTOL, ATOL = 1e-5, 1e-6


def make_loss(lib):
    def sq_loss(y_true, y_pred):
        return lib.ops.mean(lib.ops.square(y_true - y_pred), axis=-1)

    return sq_loss


def make_activation(lib):
    def soft_square(x):
        return lib.ops.square(x) * 0.5

    return soft_square


k_act = keras.saving.register_keras_serializable(package="Interop")(make_activation(keras))
n_act = nn.saving.register_keras_serializable(package="Interop")(make_activation(nn))
KScale = keras.saving.register_keras_serializable(package="Interop")(scale_layer_class(keras))
NScale = nn.saving.register_keras_serializable(package="Interop")(scale_layer_class(nn))
k_loss = keras.saving.register_keras_serializable(package="Interop")(make_loss(keras))
n_loss = nn.saving.register_keras_serializable(package="Interop")(make_loss(nn))
# Unregistered in both: found only through custom_objects.
KPlain = scale_layer_class(keras)
NPlain = scale_layer_class(nn)
KPlain.__name__ = NPlain.__name__ = "PlainScale"


def build(lib, layer):
    activation = k_act if lib is keras else n_act
    model = lib.Sequential([lib.Input((3,)), layer, lib.layers.Dense(2, activation=activation, name="head")])
    model.compile(optimizer="adam", loss=k_loss if lib is keras else n_loss)
    model.fit(np.ones((8, 3), "float32"), np.full((8, 2), 0.5, "float32"), epochs=2, verbose=0)
    return model


X = np.linspace(-1, 1, 12, dtype="float32").reshape(4, 3)


def test_config_envelope_matches_keras():
    k = keras.saving.serialize_keras_object(KScale(3.0, name="s"))
    n = nn.saving.serialize_keras_object(NScale(3.0, name="s"))
    assert n == k
    assert nn.saving.serialize_keras_object(n_loss) == keras.saving.serialize_keras_object(k_loss)
    k_dense = keras.layers.Dense(2, activation=k_act).get_config()["activation"]
    assert nn.layers.Dense(2, activation=n_act).get_config()["activation"] == k_dense


def test_neuronio_file_with_a_registered_layer_and_loss_loads_in_keras(tmp_path):
    model = build(nn, NScale(3.0, name="scale"))
    model.save(tmp_path / "n.keras")
    loaded = keras.saving.load_model(tmp_path / "n.keras")
    assert type(loaded.layers[0]) is KScale and loaded.layers[0].factor == 3.0
    assert loaded.layers[1].activation is k_act
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=RTOL, atol=ATOL)


def test_keras_file_with_a_registered_layer_and_loss_loads_in_neuronio(tmp_path):
    model = build(keras, KScale(0.5, name="scale"))
    model.save(tmp_path / "k.keras")
    loaded = nn.saving.load_model(tmp_path / "k.keras")
    assert type(loaded.layers[0]) is NScale and loaded.layers[0].factor == 0.5
    assert loaded.loss is n_loss and loaded.layers[1].activation is n_act
    np.testing.assert_allclose(loaded.predict(X, verbose=0), model.predict(X, verbose=0), rtol=RTOL, atol=ATOL)


def test_unregistered_layer_crosses_with_custom_objects(tmp_path):
    k_model = build(keras, KPlain(1.5, name="plain"))
    k_model.save(tmp_path / "k.keras")
    loaded = nn.saving.load_model(tmp_path / "k.keras", custom_objects={"PlainScale": NPlain})
    np.testing.assert_allclose(loaded.predict(X, verbose=0), k_model.predict(X, verbose=0), rtol=RTOL, atol=ATOL)
    n_model = build(nn, NPlain(1.5, name="plain"))
    n_model.save(tmp_path / "n.keras")
    back = keras.saving.load_model(tmp_path / "n.keras", custom_objects={"PlainScale": KPlain})
    np.testing.assert_allclose(back.predict(X, verbose=0), n_model.predict(X, verbose=0), rtol=RTOL, atol=ATOL)


def make_loss_class(lib):
    class ScaledSquare(lib.losses.Loss):
        def __init__(self, factor=2.0, name="scaled_square", **kwargs):
            super().__init__(name=name, **kwargs)
            self.factor = factor

        def call(self, y_true, y_pred):
            return self.factor * lib.ops.mean(lib.ops.square(y_true - y_pred), axis=-1)

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    return ScaledSquare


KLoss = keras.saving.register_keras_serializable(package="Interop")(make_loss_class(keras))
NLoss = nn.saving.register_keras_serializable(package="Interop")(make_loss_class(nn))


@pytest.mark.parametrize("direction", ["neuronio->keras", "keras->neuronio"])
def test_a_registered_loss_class_crosses_in_the_compile_config(tmp_path, direction):
    source, target, target_cls = (nn, keras, KLoss) if direction == "neuronio->keras" else (keras, nn, NLoss)
    model = source.Sequential([source.Input((3,)), source.layers.Dense(2)])
    model.compile(optimizer="adam", loss=(NLoss if source is nn else KLoss)(3.0))
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = target.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.loss) is target_cls and loaded.loss.factor == 3.0
    y = np.zeros((4, 2), "float32")
    np.testing.assert_allclose(loaded.evaluate(X, y, verbose=0), model.evaluate(X, y, verbose=0), rtol=RTOL, atol=ATOL)
