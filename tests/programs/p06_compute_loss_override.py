"""Keras 3's engine-neutral way to customize fit(): override compute_loss. fit() must call it:
here the override adds a penalty that pulls every prediction towards 3, which plain MSE on
targets of 0 would never do."""

import keras
import numpy as np
from keras import layers, ops


class PulledModel(keras.Model):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        self.calls = getattr(self, "calls", 0) + 1
        loss = super().compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)
        return loss + 10.0 * ops.mean(ops.square(y_pred - 3.0))


inputs = keras.Input(shape=(4,))
model = PulledModel(inputs, layers.Dense(1)(inputs))
model.compile(optimizer=keras.optimizers.SGD(0.005), loss="mse")
x = np.ones((32, 4), dtype="float32")
y = np.zeros((32, 1), dtype="float32")
model.fit(x, y, batch_size=8, epochs=10, verbose=0)
assert model.calls >= 40
prediction = float(model.predict(x[:1], verbose=0)[0, 0])
assert 2.0 < prediction < 3.0, prediction  # the minimum of |p|^2 + 10 |p - 3|^2 is p = 30/11
