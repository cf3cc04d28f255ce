"""Variable paths against real Keras 3 (torch backend): a variable's path is the name scope it
was created in, its layer's name and its own name. A Sequential builds its layers in its scope
("seq/hidden/kernel"), a subclassed model's first call builds its sublayers in its scope, a layer
built on its own or on a functional model's Input has none ("d/kernel"), a layer's sublayers sit
in the layer's scope (an RNN's cell, Bidirectional's copies). Optimizer slots and EMA averages are
named from the path ("<optimizer>/<path with _>_momentum")."""

import numpy as np
import pytest

import neuronio
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

X = np.ones((2, 3), "float32")


def _sequential(K):
    return K.Sequential(
        [K.Input((3,)), K.layers.Dense(2, name="hidden"), K.layers.BatchNormalization(name="bn")], name="seq"
    )


def _functional(K):
    inputs = K.Input((3,))
    return K.Model(inputs, K.layers.Dense(2, name="d")(inputs), name="func")


def _subclassed(K):
    class Sub(K.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = K.layers.Dense(2, name="inner")
            self.blocks = [K.layers.Dense(2, name="blk")]

        def call(self, x):
            return self.blocks[0](self.inner(x))

    model = Sub(name="sub")
    model(X)
    return model


def _lone_built(K):
    layer = K.layers.Dense(2, name="lone")
    layer.build((None, 3))
    return layer


def _lone_called(K):
    layer = K.layers.Dense(2, name="lone")
    layer(X)
    return layer


def _nested(K):
    inner = K.Sequential([K.Input((3,)), K.layers.Dense(2, name="x")], name="inner_seq")
    inputs = K.Input((3,))
    return K.Model(inputs, inner(inputs), name="outer")


def _prebuilt_in_sequential(K):
    layer = K.layers.Dense(2, name="pre")
    layer.build((None, 3))
    return K.Sequential([K.Input((3,)), layer], name="s2")


def _sequential_built_later(K):
    model = K.Sequential([K.layers.Dense(2, name="late")], name="s3")
    model.build((None, 3))
    return model


def _sequential_called(K):
    model = K.Sequential([K.layers.Dense(2, name="late")], name="s4")
    model(X)
    return model


def _recurrent(K):
    return K.Sequential(
        [K.Input((2, 3)), K.layers.LSTM(2, name="lstm", return_sequences=True),
         K.layers.Bidirectional(K.layers.GRU(2, name="g"), name="bi")],
        name="s7",
    )  # fmt: skip


def _time_distributed(K):
    inputs = K.Input((2, 3))
    return K.Model(inputs, K.layers.TimeDistributed(K.layers.Dense(2, name="td_d"), name="td")(inputs))


BUILDERS = [_sequential, _functional, _subclassed, _lone_built, _lone_called, _nested, _prebuilt_in_sequential,
            _sequential_built_later, _sequential_called, _recurrent, _time_distributed]  # fmt: skip


@pytest.mark.parametrize("build", BUILDERS, ids=[b.__name__.strip("_") for b in BUILDERS])
def test_variable_paths_are_keras(build):
    ours, theirs = build(neuronio), build(keras)
    assert [w.path for w in ours.weights] == [w.path for w in theirs.weights]
    assert [w.name for w in ours.weights] == [w.name for w in theirs.weights]


@pytest.mark.parametrize("optimizer", ["adam", "sgd_ema"])
def test_optimizer_slot_names_follow_the_paths_as_in_keras(optimizer):
    paths = []
    for K in (neuronio, keras):
        model = K.Sequential([K.Input((3,)), K.layers.Dense(2, name="h")], name="s8")
        if optimizer == "adam":
            opt = K.optimizers.Adam(name="adam")
        else:
            opt = K.optimizers.SGD(momentum=0.9, use_ema=True, name="sgd")
        model.compile(opt, "mse")
        model.fit(X, np.ones((2, 2), "float32"), verbose=0)
        paths.append([v.path for v in model.optimizer.variables])
    assert paths[0] == paths[1]


def test_paths_after_fit_clone_and_load_are_keras(tmp_path):
    paths = []
    for K in (neuronio, keras):
        model = K.Sequential([K.layers.Dense(2, name="q")], name="sq")  # built by fit
        model.compile("sgd", "mse")
        model.fit(X, np.ones((2, 2), "float32"), verbose=0)
        model.save(tmp_path / f"{K.__name__}.keras")
        loaded = K.models.load_model(tmp_path / f"{K.__name__}.keras")
        paths.append([_paths_of(m) for m in (model, K.models.clone_model(model), loaded)])
    assert paths[0] == paths[1]


def _paths_of(model):
    return [w.path for w in model.weights]
