"""Optimizer options from Keras 3's optimizer guide and API pages: an exponential moving average
of the weights (use_ema, ema_momentum), evaluation with the averaged weights (SwapEMAWeights),
gradient accumulation over several batches (gradient_accumulation_steps), and the Lion and AdamW
optimizers, checked against the update rules."""

import keras
import numpy as np

x = np.array([[1.0], [2.0]], "float32")
y = np.array([[3.0], [5.0]], "float32")


def line():
    return keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")]
    )


def flat(model):
    return np.concatenate([w.ravel() for w in model.get_weights()])


# 1. Plain SGD, step by step: the trajectory the averaged runs are checked against.
plain = line()
plain.compile(keras.optimizers.SGD(0.1), "mse")
trajectory = [flat(plain)]
for _ in range(3):
    plain.train_on_batch(x, y)
    trajectory.append(flat(plain))
np.testing.assert_allclose(trajectory[1], [1.8, 0.5], rtol=1e-6)  # w - 0.1 * dMSE/dw

# 2. use_ema: the live weights follow plain SGD; the average starts at the first step's weights,
# then moves by average = m * average + (1 - m) * weights.
averaged = line()
optimizer = keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5)
averaged.compile(optimizer, "mse")
for _ in range(3):
    averaged.train_on_batch(x, y)
np.testing.assert_allclose(flat(averaged), trajectory[3], rtol=1e-6)
expected = trajectory[1]
for weights in trajectory[2:]:
    expected = 0.5 * expected + 0.5 * weights
averages = [keras.ops.convert_to_numpy(v) for v in optimizer.variables if v.path.endswith("_average")]
np.testing.assert_allclose(np.concatenate([a.ravel() for a in averages]), expected, rtol=1e-5)

# 3. gradient_accumulation_steps=2: the first batch only accumulates; the second applies the mean.
accumulating = line()
optimizer = keras.optimizers.SGD(0.1, gradient_accumulation_steps=2)
accumulating.compile(optimizer, "mse")
accumulating.train_on_batch(x, y)
np.testing.assert_array_equal(flat(accumulating), trajectory[0])
assert int(optimizer.iterations) == 0
accumulating.train_on_batch(x, y)
np.testing.assert_allclose(flat(accumulating), trajectory[1], rtol=1e-6)
assert int(optimizer.iterations) == 1

# 4. Lion: the update is the sign of an interpolated momentum, times the learning rate.
lion = keras.optimizers.Lion(learning_rate=0.1)
w = keras.Variable(np.array([1.0, -2.0, 0.0], "float32"))
lion.apply([keras.ops.convert_to_tensor(np.array([0.5, -0.1, 0.0], "float32"))], [w])
np.testing.assert_allclose(keras.ops.convert_to_numpy(w), [0.9, -1.9, 0.0], rtol=1e-6)

# 5. fit with AdamW, the average and accumulation together; SwapEMAWeights evaluates with the
# averaged weights, and the model ends fit holding them.
rng = np.random.default_rng(0)
features = rng.normal(size=(32, 2)).astype("float32")
targets = features @ np.array([[1.0], [-2.0]], "float32")
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
optimizer = keras.optimizers.AdamW(
    0.05, weight_decay=0.004, use_ema=True, ema_momentum=0.9, gradient_accumulation_steps=2
)
model.compile(optimizer, "mse")
history = model.fit(features, targets, batch_size=8, epochs=3, validation_data=(features, targets), verbose=0,
                    callbacks=[keras.callbacks.SwapEMAWeights(swap_on_epoch=True)])  # fmt: skip
assert set(history.history) == {"loss", "val_loss"}
assert history.history["loss"][-1] < history.history["loss"][0]
averages = [keras.ops.convert_to_numpy(v) for v in optimizer.variables if v.path.endswith("_average")]
for live, average in zip(model.get_weights(), averages):
    np.testing.assert_allclose(live, average, rtol=1e-6)

# 6. Lion through fit, from the optimizer's string name.
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile(optimizer="lion", loss="mse")
assert type(model.optimizer).__name__ == "Lion" and np.isclose(float(model.optimizer.learning_rate), 0.001)
model.optimizer.learning_rate = 0.05
history = model.fit(features, targets, batch_size=8, epochs=3, verbose=0)
assert history.history["loss"][-1] < history.history["loss"][0]
