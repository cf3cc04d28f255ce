"""clone_model of a compiled model gives a compiled copy: a new optimizer from the original's
settings (fresh state), the same loss and metrics; the original is untouched."""

import numpy as np
import pytest

import neuronio as keras
from neuronio import layers

X = np.random.default_rng(0).random((4, 3)).astype("float32")
Y = np.random.default_rng(1).random((4, 2)).astype("float32")


def test_the_clone_of_a_trained_compiled_model_has_a_fresh_optimizer_with_the_same_settings():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05, beta_1=0.8), loss="mae", metrics=["mse"])
    model.fit(X, Y, epochs=2, verbose=0)
    copy = keras.models.clone_model(model)
    assert copy.compiled and copy.optimizer is not model.optimizer
    assert int(np.asarray(copy.optimizer.iterations)) == 0
    assert int(np.asarray(model.optimizer.iterations)) == 2
    assert copy.optimizer.get_config()["beta_1"] == pytest.approx(0.8)
    assert float(np.asarray(copy.optimizer.learning_rate)) == pytest.approx(0.05)
    assert set(copy.fit(X, Y, epochs=1, verbose=0).history) == {"loss", "mse"}


def test_a_nested_compiled_model_is_cloned_recursively_and_the_copy_keeps_the_outer_compile_state():
    inner = keras.Sequential([keras.Input((3,)), layers.Dense(2)], name="inner")
    inputs = keras.Input((3,))
    outer = keras.Model(inputs, inner(inputs))
    outer.compile(optimizer="sgd", loss="mse")
    copy = keras.models.clone_model(outer, recursive=True, call_function=lambda layer, *a, **k: layer(*a, **k))
    assert copy.compiled and copy.get_compile_config()["loss"] == "mse"
    assert copy.layers[1] is not inner


def test_a_compile_state_that_cannot_be_rebuilt_fails_with_the_fix():
    def own_loss(y, p):
        return keras.ops.mean(keras.ops.square(y - p))

    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="sgd", loss=own_loss)
    with pytest.raises(ValueError, match=r"clone_model: the copy of the compiled model .*register_keras_serializable"):
        keras.models.clone_model(model)
    registered = keras.saving.register_keras_serializable(package="TestClone")(own_loss)
    model.compile(optimizer="sgd", loss=registered)
    assert keras.models.clone_model(model).fit(X, Y, epochs=1, verbose=0).history["loss"]
