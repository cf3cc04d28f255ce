"""The user's own layers, losses and functions in configs and `.keras` files: registered, passed
as custom_objects or in a scope, with Keras 3's automatic get_config; anything else is refused."""

import numpy as np
import pytest

import neuronio as nn
from neuronio import ops
from neuronio.errors import FileFormatError
from neuronio.saving import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)
from tests.helpers import scale_layer_class

Scale = register_keras_serializable(package="TestCO")(scale_layer_class(nn))


@register_keras_serializable(package="TestCO", name="sq_loss")
def squared_loss(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class Unregistered(nn.layers.Layer):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, x):
        return x + float(self.units)


def test_registration_names():
    assert get_registered_name(Scale) == "TestCO>Scale"
    assert get_registered_name(squared_loss) == "TestCO>sq_loss"
    assert get_registered_name(Unregistered) == "Unregistered"
    assert get_custom_objects()["TestCO>Scale"] is Scale
    assert get_registered_object("TestCO>sq_loss") is squared_loss
    assert get_registered_object("Unregistered") is None
    assert get_registered_object("Unregistered", custom_objects={"Unregistered": Unregistered}) is Unregistered
    assert nn.utils.register_keras_serializable is register_keras_serializable


def test_registering_a_class_without_get_config_fails():
    with pytest.raises(ValueError, match=r"Cannot register class Plain: it has no get_config\(\)"):

        @register_keras_serializable()
        class Plain:
            pass


def test_automatic_get_config_from_constructor_arguments():
    # As Keras 3: name, the arguments (defaults included), then trainable and dtype.
    assert Scale(3.0, name="s").get_config() == {"name": "s", "factor": 3.0, "trainable": True, "dtype": "float32"}
    assert Unregistered(name="u").get_config() == {"name": "u", "units": 3, "trainable": True, "dtype": "float32"}

    class NoName(nn.layers.Layer):  # no `name` or `**kwargs`: Keras drops name (it cannot go back)
        def __init__(self, k, options=None, **kw):
            super().__init__(**kw)

    assert NoName(2, options={"a": [1, 2]}).get_config() == {
        "k": 2,
        "options": {"a": [1, 2]},
        "trainable": True,
        "dtype": "float32",
    }


def test_automatic_get_config_refuses_what_it_cannot_write():
    class HoldsArray(nn.layers.Layer):
        def __init__(self, table, **kwargs):
            super().__init__(**kwargs)

    class Variadic(nn.layers.Layer):
        def __init__(self, *sizes, **kwargs):
            super().__init__(**kwargs)

    with pytest.raises(NotImplementedError, match=r"HoldsArray was created with argument values that are not plain"):
        HoldsArray(np.zeros(3)).get_config()
    with pytest.raises(NotImplementedError, match=r"Variadic was created with positional-only or variadic"):
        Variadic(1, 2).get_config()
    assert Variadic().get_config()["trainable"] is True  # empty *args are fine, as in Keras


def test_an_overridden_get_config_is_used_as_written():
    class Own(nn.layers.Layer):
        def __init__(self, a=1, **kwargs):
            super().__init__(**kwargs)
            self.a = a

        def get_config(self):
            return {**super().get_config(), "a": self.a * 10}

    assert Own(2, name="o").get_config() == {"name": "o", "trainable": True, "dtype": "float32", "a": 20}


def test_serialize_keras_object_envelopes():
    assert serialize_keras_object(Scale(3.0, name="s")) == {
        "module": "tests.helpers",
        "class_name": "Scale",
        "config": {
            "name": "s",
            "factor": 3.0,
            "trainable": True,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": "float32"},
                "registered_name": None,
            },
        },
        "registered_name": "TestCO>Scale",
    }
    assert serialize_keras_object(squared_loss) == {
        "module": "builtins",
        "class_name": "function",
        "config": "TestCO>sq_loss",
        "registered_name": "function",
    }
    assert serialize_keras_object(nn.activations.relu)["config"] == "relu"
    assert serialize_keras_object([1, "a", None]) == [1, "a", None]
    assert serialize_keras_object(nn.losses.MeanSquaredError())["module"] == "keras.losses"


def test_deserialize_keras_object_round_trips():
    layer = deserialize_keras_object(serialize_keras_object(Scale(4.0, name="s4")))
    assert type(layer) is Scale and layer.factor == 4.0 and layer.name == "s4"
    assert deserialize_keras_object(serialize_keras_object(squared_loss)) is squared_loss
    loss = deserialize_keras_object(serialize_keras_object(nn.losses.CategoricalCrossentropy(label_smoothing=0.1)))
    assert isinstance(loss, nn.losses.CategoricalCrossentropy) and loss.get_config()["label_smoothing"] == 0.1
    dense = deserialize_keras_object(serialize_keras_object(nn.layers.Dense(3, name="d")))
    assert isinstance(dense, nn.layers.Dense) and dense.units == 3


def test_unregistered_class_needs_custom_objects_or_a_scope():
    envelope = serialize_keras_object(Unregistered(5, name="u"))
    assert envelope["registered_name"] == "Unregistered"
    with pytest.raises(
        FileFormatError, match=r"Unknown object 'Unregistered'.*custom_objects=\{'Unregistered': Unregistered\}"
    ):
        deserialize_keras_object(envelope)
    layer = deserialize_keras_object(envelope, custom_objects={"Unregistered": Unregistered})
    assert type(layer) is Unregistered and layer.units == 5
    with custom_object_scope({"Unregistered": Unregistered}):
        assert type(deserialize_keras_object(envelope)) is Unregistered
    with CustomObjectScope({"Unregistered": Unregistered}):
        pass
    with pytest.raises(FileFormatError):  # the scope ended
        deserialize_keras_object(envelope)


def test_lambda_envelopes_are_refused():
    with pytest.raises(FileFormatError, match="Refusing to load a lambda"):
        deserialize_keras_object({"module": "builtins", "class_name": "__lambda__", "config": {"code": "x"}})


def test_a_lambda_follows_the_one_lambda_policy():
    # The same policy as a Lambda layer or a lambda loss (neuronio/_lambdas.py): saved as Keras
    # saves it, refused in safe mode, loaded when the user opts out of it.
    envelope = serialize_keras_object(lambda x, k=3: x * k)
    assert envelope["class_name"] == "__lambda__" and set(envelope["config"]) == {"value"}
    with pytest.raises(FileFormatError, match=r"Refusing to load a lambda.*safe_mode=False"):
        deserialize_keras_object(envelope)
    assert deserialize_keras_object(envelope, safe_mode=False)(2) == 6


def model_with_custom_parts(layer):
    nn.utils.set_random_seed(1)
    model = nn.Sequential([nn.Input((3,)), layer, nn.layers.Dense(2)])
    model.compile("adam", loss=squared_loss)
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    return model


def test_keras_file_round_trip_of_a_registered_layer_and_loss(tmp_path):
    model = model_with_custom_parts(Scale(3.0))
    x = np.arange(6, dtype="float32").reshape(2, 3)
    model.save(tmp_path / "m.keras")
    loaded = nn.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.layers[0]) is Scale and loaded.layers[0].factor == 3.0
    assert loaded.loss is squared_loss
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_keras_file_with_an_unregistered_layer_needs_custom_objects(tmp_path):
    model = model_with_custom_parts(Unregistered(2))
    model.save(tmp_path / "u.keras")
    with pytest.raises(FileFormatError, match=r"unknown layer class 'Unregistered'.*register_keras_serializable"):
        nn.saving.load_model(tmp_path / "u.keras")
    loaded = nn.saving.load_model(tmp_path / "u.keras", custom_objects={"Unregistered": Unregistered})
    assert type(loaded.layers[0]) is Unregistered and loaded.layers[0].units == 2
    config = model.get_config()
    rebuilt = nn.Sequential.from_config(config, custom_objects={"Unregistered": Unregistered})
    assert type(rebuilt.layers[0]) is Unregistered


def test_a_custom_object_that_is_not_a_layer_is_refused_as_one(tmp_path):
    model = model_with_custom_parts(Unregistered(2))
    model.save(tmp_path / "u.keras")
    with pytest.raises(FileFormatError, match=r"registered as 'Unregistered' is <function .*not a Layer class"):
        nn.saving.load_model(tmp_path / "u.keras", custom_objects={"Unregistered": squared_loss})


def test_registered_activation_functions_in_layer_configs(tmp_path):
    dense = nn.layers.Dense(2, activation=square_activation)
    assert dense.get_config()["activation"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "TestCO>square_act",
        "registered_name": "function",
    }
    rebuilt = nn.layers.Dense.from_config(dense.get_config())
    assert rebuilt.activation is square_activation
    assert nn.activations.get("TestCO>square_act") is square_activation
    with custom_object_scope({"halve": halve}):
        assert nn.activations.get("halve") is halve
    with pytest.raises(ValueError, match=r"Unknown activation 'halve'"):
        nn.activations.get("halve")
    with pytest.raises(ValueError, match=r"not a registered activation.*register_keras_serializable"):
        nn.layers.Dense(2, activation=halve).get_config()


@register_keras_serializable(package="TestCO", name="square_act")
def square_activation(x):
    return ops.square(x)


def halve(x):
    return x * 0.5


@register_keras_serializable(package="TestCO")
class Subclassed(nn.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = nn.layers.Dense(units)

    def call(self, x):
        return self.dense(x)

    def get_config(self):
        return {"units": self.units}


def test_a_registered_subclassed_model_round_trips_with_its_own_get_config(tmp_path):
    model = Subclassed(units=3)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    model(x)
    model.save(tmp_path / "s.keras")
    loaded = nn.models.load_model(tmp_path / "s.keras")
    assert type(loaded) is Subclassed and loaded.units == 3
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


class FunctionalSubclass(nn.Model):
    def __init__(self, **kwargs):
        inputs = nn.Input((3,))
        super().__init__(inputs, nn.layers.Dense(2)(inputs), **kwargs)


def test_functional_subclasses_are_refused_in_keras_files_with_a_reason(tmp_path):
    model = FunctionalSubclass()
    with pytest.raises(TypeError, match=r"Cannot save model .* of class FunctionalSubclass .* subclasses Functional"):
        model.save(tmp_path / "s.keras")
    assert not (tmp_path / "s.keras").exists()


def test_adding_to_get_custom_objects_registers_by_that_name():
    envelope = serialize_keras_object(Unregistered(7, name="g"))
    get_custom_objects()["Unregistered"] = Unregistered
    try:
        layer = deserialize_keras_object(envelope)
        assert type(layer) is Unregistered and layer.units == 7
    finally:
        del get_custom_objects()["Unregistered"]
    with pytest.raises(FileFormatError, match="Unknown object 'Unregistered'"):
        deserialize_keras_object(envelope)
