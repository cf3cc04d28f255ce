"""Customizing what happens in fit(): a train_step and test_step of one's own, with compiled
metrics, compute_loss, optimizer.apply and sample weights unpacked the Keras way.

Keras 3 has no engine-neutral gradient call, so the gradient lines are written for both engines
this program runs on: a GradientTape where the engine has one (neuronio), else Keras's torch
guide (zero the grads, backward, read `.value.grad`)."""

import keras
import numpy as np
from engine_gradients import apply, loss_and_gradients  # the gradient lines, per engine
from keras import layers


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        self.steps_seen = getattr(self, "steps_seen", 0) + 1
        weights = self.trainable_weights

        def forward():
            y_pred = self(x, training=True)
            self._last = y_pred
            return self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)

        loss, gradients = loss_and_gradients(forward, weights)
        apply(self.optimizer, gradients, weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, self._last, sample_weight=sample_weight)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


inputs = keras.Input(shape=(32,))
outputs = layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])

rng = np.random.default_rng(0)
x = rng.random((64, 32), dtype="float32")
y = rng.random((64, 1), dtype="float32")
history = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
assert model.steps_seen == 12
assert set(history.history) == {"loss", "mae"}, history.history
assert history.history["loss"][-1] < history.history["loss"][0]
history = model.fit(x, y, sample_weight=np.ones(64), batch_size=32, epochs=1, verbose=0)
assert model.steps_seen == 14
logs = model.evaluate(x, y, verbose=0, return_dict=True)
assert "mae" in logs
