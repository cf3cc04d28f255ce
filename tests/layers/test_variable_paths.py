"""Variable paths by Keras's name-scope rule, and a layer built by a direct `build()` call being
built (so putting it in a model does not create its weights a second time)."""

import numpy as np

import neuronio as keras
from neuronio import layers
from neuronio.optimizers import MultiOptimizer, OptimizerMap

X = np.ones((2, 3), "float32")


def _paths(obj):
    return [w.path for w in obj.weights]


def test_a_sequential_scopes_its_layers_and_a_functional_model_does_not():
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="hidden")], name="net")
    assert _paths(seq) == ["net/hidden/kernel", "net/hidden/bias"]
    assert [w.name for w in seq.weights] == ["kernel", "bias"]
    inputs = keras.Input((3,))
    func = keras.Model(inputs, layers.Dense(2, name="d")(inputs), name="f")
    assert _paths(func) == ["d/kernel", "d/bias"]
    # A model nested in another keeps the paths it was built with.
    outer_inputs = keras.Input((3,))
    outer = keras.Model(outer_inputs, seq(outer_inputs))
    assert _paths(outer) == ["net/hidden/kernel", "net/hidden/bias"]


def test_a_subclassed_models_first_call_scopes_the_sublayers_it_builds():
    class Two(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.first = layers.Dense(2, name="first")
            self.second = layers.Dense(1, name="second")

        def call(self, x):
            return self.second(self.first(x))

    model = Two(name="two")
    model(X)
    assert _paths(model) == ["two/first/kernel", "two/first/bias", "two/second/kernel", "two/second/bias"]
    model(X)  # later calls create nothing and change nothing
    assert len(model.weights) == 4


def test_an_rnn_cell_sits_in_its_layers_scope():
    layer = layers.LSTM(2, name="rnn")
    layer(np.ones((1, 2, 3), "float32"))
    assert _paths(layer) == ["rnn/lstm_cell/kernel", "rnn/lstm_cell/recurrent_kernel", "rnn/lstm_cell/bias"]


def test_a_layer_built_directly_is_built_once():
    layer = layers.Dense(2, name="pre")
    layer.build((None, 3))
    assert layer.built and _paths(layer) == ["pre/kernel", "pre/bias"]
    model = keras.Sequential([keras.Input((3,)), layer], name="s")
    assert _paths(model) == ["pre/kernel", "pre/bias"]  # built outside the model: no model scope
    assert model.predict(X, verbose=0).shape == (2, 2)
    assert layer.get_config()["name"] == "pre" and layer._build_shapes == (None, 3)


def test_slot_names_and_optimizer_map_patterns_see_the_model_scope():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, name="a"), layers.Dense(2, name="b")], name="m")
    sgd, adam = keras.optimizers.SGD(0.1), keras.optimizers.Adam(name="adam")
    model.compile(MultiOptimizer(OptimizerMap(sgd, {"m/b/.*": adam})), "mse")
    model.fit(X, np.ones((2, 2), "float32"), verbose=0)
    # only b's weights got Adam slots, named after their paths
    assert [v.path for v in adam.variables[2:]] == [
        "adam/m_b_kernel_momentum", "adam/m_b_kernel_velocity", "adam/m_b_bias_momentum", "adam/m_b_bias_velocity",
    ]  # fmt: skip
