"""Making new layers and models via subclassing (the guide): add_weight, build on first call,
non-trainable weights, nested layers tracked, add_loss, the training argument, a Model subclass."""

import keras
import numpy as np
from keras import ops


class Linear(keras.layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class ComputeSum(keras.layers.Layer):
    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(initializer="zeros", shape=(input_dim,), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


x = np.ones((2, 2), dtype="float32")
linear_layer = Linear(4)
y = linear_layer(x)
assert tuple(y.shape) == (2, 4) and len(linear_layer.weights) == 2

my_sum = ComputeSum(2)
my_sum(x)
y = my_sum(x)
np.testing.assert_allclose(np.array(my_sum.total.numpy()), [4.0, 4.0])
assert len(my_sum.weights) == 1 and len(my_sum.non_trainable_weights) == 1 and my_sum.trainable_weights == []


class MLPBlock(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = ops.relu(self.linear_1(inputs))
        x = ops.relu(self.linear_2(x))
        return self.linear_3(x)


mlp = MLPBlock()
y = mlp(np.ones(shape=(3, 64), dtype="float32"))
assert len(mlp.weights) == 6 and len(mlp.trainable_weights) == 6


class ActivityRegularizationLayer(keras.layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(inputs))
        return inputs


class OuterLayer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.activity_reg = ActivityRegularizationLayer(1e-2)

    def call(self, inputs):
        return self.activity_reg(inputs)


layer = OuterLayer()
assert len(layer.losses) == 0
_ = layer(np.zeros((1, 1), dtype="float32"))
assert len(layer.losses) == 1  # the value of the latest call only
_ = layer(np.ones((1, 1), dtype="float32"))
assert len(layer.losses) == 1
np.testing.assert_allclose(float(np.array(layer.losses[0])), 0.01, rtol=1e-6)


class CustomDropout(keras.layers.Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs, training=None):
        if training:
            return inputs * 0.0
        return inputs


class MLP(keras.Model):
    def __init__(self):
        super().__init__()
        self.block = MLPBlock()
        self.dropout = CustomDropout(0.5)

    def call(self, inputs, training=None):
        return self.dropout(self.block(inputs), training=training)


model = MLP()
data = np.random.default_rng(0).random((16, 8)).astype("float32")
model.compile(optimizer="adam", loss="mse")
model.fit(data, data[:, :1], epochs=1, batch_size=8, verbose=0)
assert len(model.trainable_weights) == 6
prediction = model.predict(data, verbose=0)
assert np.abs(prediction).sum() > 0  # predict runs with training=False
assert float(ops.sum(ops.abs(model(data, training=True)))) == 0.0  # training=True reaches the layer
