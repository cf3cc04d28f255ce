"""clone_model of a compiled model against real Keras 3 (torch backend): Keras compiles the copy
from the original's get_compile_config() (a new optimizer with the same settings, the same loss and
metrics) for Sequential, functional (also with clone_function/input_tensors/call_function) and
subclassed models; an uncompiled model gives an uncompiled copy."""

import numpy as np
import pytest

import neuronio
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

X = np.random.default_rng(0).random((4, 3)).astype("float32")
Y = np.random.default_rng(1).random((4, 2)).astype("float32")


def _models(K):
    seq = K.Sequential([K.Input((3,)), K.layers.Dense(2, name="hidden")])
    inputs = K.Input((3,))
    func = K.Model(inputs, K.layers.Dense(2)(inputs))

    class Sub(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = K.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    sub = Sub()
    sub(X)
    return {"seq": seq, "func": func, "sub": sub}


CLONE_ARGS = {
    "plain": lambda K: {},
    "clone_function": lambda K: {"clone_function": lambda layer: type(layer).from_config(layer.get_config())},
    "input_tensors": lambda K: {"input_tensors": K.Input((3,))},
    "call_function": lambda K: {"call_function": lambda layer, *args, **kwargs: layer(*args, **kwargs)},
}


def _clone_summary(K, kind, args):
    model = _models(K)[kind]
    optimizer = K.optimizers.SGD(learning_rate=0.3, momentum=0.5)
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae", K.metrics.MeanSquaredError(name="q")])
    copy = K.models.clone_model(model, **CLONE_ARGS[args](K))
    config = copy.get_compile_config()
    history = copy.fit(X, Y, epochs=1, verbose=0).history
    return {
        "compiled": copy.compiled,
        "same_optimizer": copy.optimizer is optimizer,
        "optimizer": type(copy.optimizer).__name__,
        "lr": round(float(np.asarray(copy.optimizer.learning_rate)), 6),
        "momentum": copy.optimizer.get_config()["momentum"],
        "loss": config["loss"],
        "metrics": [m if isinstance(m, str) else m["config"]["name"] for m in config["metrics"]],
        "logs": sorted(history),
    }


@pytest.mark.parametrize(
    "kind,args",
    [
        ("seq", "plain"),
        ("seq", "clone_function"),
        ("func", "plain"),
        ("func", "clone_function"),
        ("func", "input_tensors"),
        ("func", "call_function"),
        ("sub", "plain"),
    ],
)
def test_a_compiled_model_clones_compiled_as_in_keras(kind, args):
    ours = _clone_summary(neuronio, kind, args)
    assert ours == _clone_summary(keras, kind, args)
    assert ours["compiled"] and not ours["same_optimizer"]


def test_an_uncompiled_model_clones_uncompiled_as_in_keras():
    for K in (neuronio, keras):
        assert K.models.clone_model(_models(K)["seq"]).compiled is False


def test_call_function_is_refused_for_a_sequential_as_in_keras():
    for K in (neuronio, keras):
        with pytest.raises(ValueError, match="call_function"):
            K.models.clone_model(_models(K)["seq"], call_function=lambda layer, *a, **k: layer(*a, **k))
