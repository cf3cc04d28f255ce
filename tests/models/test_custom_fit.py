"""Customizing fit the Keras 3 way: train_step(data) with a GradientTape, compute_loss and
compute_metrics as the hooks the default steps call, compile() without a loss, functional
subclassing, model.input/.output and Keras's input-rank adjustment."""

import numpy as np
import pytest

import neuronio as keras
from neuronio import layers
from neuronio.errors import ShapeError
from neuronio.models import Functional
from neuronio.utils import pack_x_y_sample_weight, set_random_seed, unpack_x_y_sample_weight


def _data(rng, n=16):
    x = rng.standard_normal((n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


class TapeModel(keras.Model):
    """keras.io's custom train_step (the TensorFlow guide's tape idiom), on a subclassed model."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(1)
        self.seen = []

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        self.seen.append(type(data).__name__)
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_custom_train_step_with_a_tape_trains_and_logs_compiled_metrics():
    rng = np.random.default_rng(0)
    x, y = _data(rng)
    set_random_seed(0)
    model = TapeModel()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=8, epochs=5, verbose=0)
    assert model.seen[0] == "tuple"  # (x, y) as Keras packs it
    assert sorted(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics"]


def test_data_reaches_the_step_as_keras_packs_it():
    received = []

    class Probe(keras.Sequential):
        def train_step(self, data):
            received.append(data)
            return super().train_step(data)

    model = Probe([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 3), "float32"), np.ones((4, 1), "float32")
    model.fit(x, y, sample_weight=np.ones(4), batch_size=4, verbose=0)
    model.fit(x, y, batch_size=4, verbose=0)
    assert [len(d) for d in received] == [3, 2]


def test_unpack_and_pack_follow_keras():
    assert unpack_x_y_sample_weight(1) == (1, None, None)
    assert unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert unpack_x_y_sample_weight([1, 2]) == (1, 2, None)
    assert unpack_x_y_sample_weight((1, 2, 3)) == (1, 2, 3)
    with pytest.raises(ValueError, match=r"Data is expected to be in format `x`, `\(x,\)`"):
        unpack_x_y_sample_weight((1, 2, 3, 4))
    assert pack_x_y_sample_weight(1) == 1
    assert pack_x_y_sample_weight((1, 2)) == ((1, 2),)
    assert pack_x_y_sample_weight(1, None, 3) == 1
    assert pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)


class Distiller(keras.Model):
    """The distillation guide's shape: compute_loss is overridden to train on the teacher."""

    def __init__(self, student, teacher):
        super().__init__()
        self.student, self.teacher = student, teacher
        self.calls = 0

    def call(self, x):
        return self.student(x)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        self.calls += 1
        target = self.teacher(x, training=False)
        return keras.ops.mean(keras.ops.square(y_pred - target.data))


def test_an_overridden_compute_loss_is_what_fit_trains_on():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 3)).astype("float32")
    teacher = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_initializer="ones")])
    student = keras.Sequential([keras.Input((3,)), layers.Dense(1, kernel_initializer="zeros")])
    labels = np.full((32, 1), -50.0, "float32")  # far from the teacher: training on them would be visible
    teacher.trainable = False
    model = Distiller(student, teacher)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, labels, batch_size=8, epochs=20, verbose=0)
    assert model.calls == 80
    np.testing.assert_allclose(student.layers[0].kernel.data, np.ones((3, 1)), atol=0.05)


def test_compute_metrics_override_changes_the_logs():
    class Counting(keras.Sequential):
        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            logs = super().compute_metrics(x, y, y_pred, sample_weight)
            return {**logs, "batch_rows": float(len(x))}

    model = Counting([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((6, 3)), np.ones((6, 1)), batch_size=4, verbose=0)
    assert history.history["batch_rows"] == [2.0]  # the last step's logs (keys differ from metrics)


def test_compile_without_a_loss_trains_on_add_loss_and_fails_when_nothing_supplies_one():
    class L1Activity(layers.Layer):
        def call(self, inputs):
            self.add_loss(keras.ops.sum(keras.ops.abs(inputs)) * 0.1)
            return inputs

    model = keras.Sequential([keras.Input((3,)), layers.Dense(2, kernel_initializer="ones"), L1Activity()])
    model.compile(optimizer="sgd")
    before = model.evaluate(np.ones((4, 3)), verbose=0)
    model.fit(np.ones((4, 3)), epochs=3, verbose=0)
    assert model.evaluate(np.ones((4, 3)), verbose=0) < before
    plain = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    plain.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"No loss to compute\. Provide a `loss` argument in `compile\(\)`\."):
        plain.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)


def test_regularization_penalties_join_the_training_loss():
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    model = keras.Sequential(
        [keras.Input((3,)), layers.Dense(1, kernel_initializer="ones", kernel_regularizer=keras.regularizers.L2(0.5))]
    )
    model.compile("sgd", "mse")
    # mse = 3**2 = 9, L2 = 0.5 * 3 = 1.5
    assert model.evaluate(x, y, verbose=0) == pytest.approx(10.5)


def test_optimizer_apply_inside_a_custom_step():
    class Manual(keras.Sequential):
        def train_step(self, data):
            x, y = data
            with keras.GradientTape() as tape:
                loss = self.compute_loss(y=y, y_pred=self(x, training=True))
            self.optimizer.apply(tape.gradient(loss, self.trainable_weights), self.trainable_weights)
            return {"loss": loss}

    model = Manual([keras.Input((1,)), layers.Dense(1, kernel_initializer="zeros", use_bias=False)])
    model.compile(keras.optimizers.SGD(0.5), "mse")
    model.fit(np.ones((2, 1)), np.ones((2, 1)), batch_size=2, verbose=0)
    # d/dw mean((w - 1)^2) at w=0 is -2, so w = 0 - 0.5 * -2 = 1
    np.testing.assert_allclose(model.layers[0].kernel.data, [[1.0]])


def test_a_subclass_built_from_inputs_and_outputs_is_functional():
    class Classifier(keras.Model):
        def __init__(self, units, **kwargs):
            inputs = keras.Input((4,), name="pixels")
            outputs = layers.Dense(units, activation="softmax")(inputs)
            super().__init__(inputs=inputs, outputs=outputs, **kwargs)

    model = Classifier(3, name="clf")
    assert isinstance(model, Functional) and type(model).__name__ == "Classifier"
    assert [layer.name for layer in model.layers][0] == "pixels" and len(model.layers) == 2
    assert model.count_params() == 15
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 3)


def test_input_and_output_follow_the_constructor_structure():
    inputs = keras.Input((3,))
    a, b = layers.Dense(2)(inputs), layers.Dense(1)(inputs)
    single = keras.Model(inputs, a)
    assert single.input is inputs and single.output is a
    assert single.inputs == [inputs] and single.outputs == [a]
    listed = keras.Model([inputs], [a, b])
    assert listed.input == [inputs] and listed.output == [a, b]
    with pytest.raises(AttributeError, match="has no defined inputs yet"):
        keras.Sequential([layers.Dense(1)]).inputs  # noqa: B018


def test_input_rank_adjustment_as_keras():
    inputs = keras.Input((4, 1))
    model = keras.Model(inputs, layers.Flatten()(inputs))
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 4)  # a trailing 1 added
    flat = keras.Input((4,))
    dense = keras.Model(flat, layers.Dense(1)(flat))
    assert dense.predict(np.ones((2, 4, 1)), verbose=0).shape == (2, 1)  # a trailing 1 dropped
    with pytest.raises(
        ShapeError,
        match=r"Invalid input shape .* expected shape \(None, 4\) \(rank 2\), but received shape \(2, 4, 2\)",
    ):
        dense.predict(np.ones((2, 4, 2)), verbose=0)
    seq = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(2, 3), layers.Flatten(), layers.Dense(2)])
    assert seq.predict(np.zeros((3, 28, 28), "float32"), verbose=0).shape == (3, 2)


class LowLevel(keras.Model):
    """keras.io's "going lower-level" example: no compiled loss, own trackers listed in `metrics`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
        self.loss_fn = keras.losses.MeanSquaredError()

    def train_step(self, data):
        x, y = data
        with keras.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
        self.optimizer.apply(tape.gradient(loss, self.trainable_weights), self.trainable_weights)
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        self.loss_tracker.update_state(self.loss_fn(y, y_pred))
        self.mae_metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_metric]


def test_the_lower_level_guide_program_runs_with_its_own_trackers():
    rng = np.random.default_rng(2)
    x, y = _data(rng, 32)
    inputs = keras.Input((3,))
    model = LowLevel(inputs, layers.Dense(1)(inputs))
    model.compile(optimizer=keras.optimizers.Adam(0.05))
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < history.history["loss"][0]
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    # reset_metrics at the start of evaluate reached the user's trackers: these are this pass's values
    y_pred = model.predict(x, verbose=0)
    assert logs["mae"] == pytest.approx(float(np.mean(np.abs(y_pred - y))), rel=1e-5)


def test_tracked_attribute_metrics_join_model_metrics():
    class Tracked(keras.Sequential):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.extra = keras.metrics.Mean(name="extra")

    model = Tracked([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    assert [m.name for m in model.metrics] == ["loss", "compile_metrics", "extra"]


def test_a_compute_loss_override_without_training_is_called_as_keras_calls_it():
    class Old(keras.Sequential):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):  # Keras < 3.3
            return super().compute_loss(x, y, y_pred, sample_weight) * 2.0

    model = Old([keras.Input((1,)), layers.Dense(1, kernel_initializer="zeros", use_bias=False)])
    model.compile("sgd", "mse")
    assert model.evaluate(np.ones((2, 1)), np.ones((2, 1)), verbose=0) == pytest.approx(2.0)
