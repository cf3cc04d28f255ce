"""trainable reaching every sublayer, the frozen-BatchNormalization rule, clone_model, and the
regularizers / constraints / add_loss machinery of the Layer base."""

import numpy as np
import pytest

import neuronio as keras
from neuronio import constraints, layers, regularizers


def test_trainable_reaches_every_nested_layer_and_back():
    inner = keras.Sequential([layers.Dense(2), layers.BatchNormalization()])
    outer = keras.Sequential([keras.Input((3,)), inner, layers.Dense(1)])
    outer.trainable = False
    assert not inner.trainable and not inner.layers[0].trainable
    assert len(outer.trainable_weights) == 0 and len(outer.non_trainable_weights) == 8
    outer.trainable = True
    assert inner.layers[1].trainable
    assert len(outer.trainable_weights) == 6 and len(outer.non_trainable_weights) == 2
    inner.layers[0].trainable = False
    assert [w.name for w in outer.non_trainable_weights] == ["kernel", "bias", "moving_mean", "moving_variance"]


def test_a_frozen_batch_normalization_runs_in_inference_mode():
    bn = layers.BatchNormalization()
    x = np.arange(12, dtype="float32").reshape(4, 3)
    bn(x)
    bn.trainable = False
    out = bn(x, training=True).data
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-6)  # moving stats: mean 0, var 1
    np.testing.assert_array_equal(bn.moving_mean.data, 0.0)


def test_frozen_weights_do_not_move_in_fit():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.layers[0].trainable = False
    frozen = model.layers[0].kernel.data.copy()
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    np.testing.assert_array_equal(model.layers[0].kernel.data, frozen)


def test_clone_model_gives_new_weights_and_the_same_config():
    inputs = keras.Input((3,), name="x")
    shared = layers.Dense(2, name="shared", kernel_regularizer="l2")
    model = keras.Model(inputs, layers.Add()([shared(inputs), shared(inputs)]), name="twice")
    copy = keras.models.clone_model(model)
    assert copy.get_config() == model.get_config()
    assert all(a is not b for a, b in zip(copy.weights, model.weights))
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    assert keras.models.clone_model(seq, clone_function=lambda layer: layer).layers[0] is seq.layers[0]
    assert keras.models.clone_model(seq).layers[0] is not seq.layers[0]


def test_regularizer_values_defaults_and_configs():
    w = np.array([[1.0, -2.0], [3.0, 0.0]], "float32")
    assert float(regularizers.L1()(w)) == pytest.approx(0.06)
    assert float(regularizers.L2(0.5)(w)) == pytest.approx(7.0)
    assert float(regularizers.L1L2(l1=0.1, l2=0.1)(w)) == pytest.approx(0.6 + 1.4)
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert regularizers.get("l2").get_config() == {"l2": 0.01}
    # rows (1, -2) and (3, 0): cosine -3 / (sqrt(5) * 3); factor/2 * |cos| * 2 entries / 1 pair
    expected = 0.01 * 0.5 * 2 * 3 / (np.sqrt(5) * 3)
    assert float(regularizers.OrthogonalRegularizer()(w)) == pytest.approx(expected, rel=1e-5)
    envelope = regularizers.serialize(regularizers.L2(0.3))
    assert envelope == {
        "module": "keras.regularizers",
        "class_name": "L2",
        "config": {"l2": 0.3},
        "registered_name": None,
    }
    assert regularizers.deserialize(envelope).l2 == 0.3
    with pytest.raises(ValueError, match=r"`l2` must be a finite number >= 0"):
        regularizers.L2(-1)


def test_constraint_projections():
    w = np.array([[3.0, -1.0], [4.0, 0.0]], "float32")
    np.testing.assert_allclose(constraints.MaxNorm(2)(w), [[1.2, -1.0], [1.6, 0.0]], rtol=1e-6)
    np.testing.assert_array_equal(constraints.NonNeg()(w), [[3.0, 0.0], [4.0, 0.0]])
    np.testing.assert_allclose(np.linalg.norm(constraints.UnitNorm()(w), axis=0), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(constraints.MinMaxNorm(2.0, 3.0)(w)[:, 1], [-2.0, 0.0], rtol=1e-6)
    assert constraints.serialize(constraints.MaxNorm(3, axis=[0, 1]))["config"] == {"max_value": 3, "axis": [0, 1]}
    assert constraints.get("non_neg").get_config() == {}


def test_a_constraint_is_applied_after_each_update():
    model = keras.Sequential(
        [keras.Input((2,)), layers.Dense(1, kernel_initializer="ones", kernel_constraint=constraints.NonNeg())]
    )
    model.compile(keras.optimizers.SGD(10.0), "mse")
    model.fit(np.ones((2, 2)), np.full((2, 1), -5.0), verbose=0)
    assert (model.layers[0].kernel.data >= 0).all()


def test_losses_are_collected_recursively_and_reset_every_call():
    dense = layers.Dense(2, kernel_initializer="ones", activity_regularizer=regularizers.L1(0.1))
    model = keras.Sequential([keras.Input((3,)), dense])
    model(np.ones((4, 3), "float32"))
    # activity: 0.1 * sum|out| / batch = 0.1 * 24 / 4
    assert [float(v) for v in model.losses] == [pytest.approx(0.6)]
    model(np.ones((4, 3), "float32"))
    assert len(model.losses) == 1
    assert dense.get_config()["activity_regularizer"]["class_name"] == "L1"


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape"),
    [
        (layers.Dense, {"units": 2, "kernel_regularizer": "l1", "bias_constraint": "non_neg"}, (4, 3)),
        (layers.Conv2D, {"filters": 2, "kernel_size": 2, "activity_regularizer": "l2"}, (1, 4, 4, 3)),
        (layers.BatchNormalization, {"gamma_regularizer": "l2", "beta_constraint": "max_norm"}, (4, 3)),
        (layers.PReLU, {"alpha_regularizer": "l1", "alpha_constraint": "non_neg"}, (4, 3)),
        (layers.Maxout, {"units": 2, "kernel_regularizer": "l2", "kernel_constraint": "unit_norm"}, (4, 3)),
    ],
)
def test_regularized_layers_round_trip_their_config(cls, kwargs, shape):
    layer = cls(**kwargs)
    layer(np.ones(shape, "float32"))
    again = cls.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    again(np.ones(shape, "float32"))
    assert len(again.losses) == len(layer.losses) == 1


def test_add_loss_on_a_symbolic_tensor_is_refused_as_in_keras():
    inputs = keras.Input((3,))
    outputs = layers.Dense(1)(inputs)
    model = keras.Model(inputs, outputs)
    with pytest.raises(
        NotImplementedError, match=r"add_loss on a symbolic tensor .* override the model's compute_loss"
    ):
        model.add_loss(outputs)


class _PenaltyWhenTraining(layers.Layer):
    """Adds `value` (a float, so the values are exact) to its losses, only in training mode."""

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def call(self, inputs, training=False):
        if training:
            self.add_loss(self.value)
        return inputs


def test_losses_hold_the_latest_call_only_with_or_without_layers_holding_any():
    x = np.ones((2, 3), "float32")
    first, second = _PenaltyWhenTraining(1.0), _PenaltyWhenTraining(2.0)
    model = keras.Sequential([keras.Input((3,)), first, second])
    model(x, training=True)
    model(x, training=True)
    assert model.losses == [1.0, 2.0]  # the latest call's, not the two calls' four
    model(x, training=False)  # adds nothing: the inference call clears what training left
    assert model.losses == [] and first.losses == [] and second.losses == []
    # A layer called on its own keeps its loss until a call reaching it clears it; another model's
    # call (not reaching it) leaves it alone.
    first(x, training=True)
    keras.Sequential([keras.Input((3,)), layers.Dense(1)])(x)
    assert first.losses == [1.0]
    model(x, training=False)
    assert first.losses == []


def test_a_layer_holding_losses_is_not_kept_alive_by_the_bookkeeping():
    import gc
    import weakref

    layer = _PenaltyWhenTraining(1.0)
    layer(np.ones((1, 2), "float32"), training=True)
    assert layer.losses == [1.0]
    ref = weakref.ref(layer)
    del layer
    gc.collect()
    assert ref() is None
