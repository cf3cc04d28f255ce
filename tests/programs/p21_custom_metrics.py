"""Custom metrics: a Metric subclass with add_variable/update_state/result/reset_state used in
compile, alongside built-in metric objects, and its values in history and evaluate."""

import keras
import numpy as np
from keras import layers, ops


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, ops.reshape(sample_weight, (-1, 1)))
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives

    def reset_state(self):
        self.true_positives.assign(0.0)


rng = np.random.default_rng(0)
x = rng.random((40, 6), dtype="float32")
y = rng.integers(0, 3, (40, 1))
model = keras.Sequential([keras.Input((6,)), layers.Dense(3, activation="softmax")])
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[CategoricalTruePositives(), keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
history = model.fit(x, y, batch_size=40, epochs=2, verbose=0)
assert set(history.history) == {"loss", "categorical_true_positives", "acc"}, history.history
predicted = model.predict(x, verbose=0).argmax(axis=1)
logs = model.evaluate(x, y, batch_size=40, verbose=0, return_dict=True)
assert logs["categorical_true_positives"] == float((predicted == y[:, 0]).sum())  # reset between runs
np.testing.assert_allclose(logs["acc"], (predicted == y[:, 0]).mean(), rtol=1e-6)

metric = CategoricalTruePositives()
metric.update_state(np.array([[0], [1]]), np.array([[0.9, 0.1, 0.0], [0.8, 0.1, 0.1]]))
assert float(metric.result()) == 1.0
metric.reset_state()
assert float(metric.result()) == 0.0
