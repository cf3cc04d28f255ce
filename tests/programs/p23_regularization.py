"""Weight regularizers, weight constraints and layer losses: kernel_regularizer L2 and L1L2,
activity_regularizer, MaxNorm/NonNeg constraints applied after each step, and model.losses
added to the training loss."""

import keras
import numpy as np
from keras import constraints, layers, regularizers

rng = np.random.default_rng(0)
x = rng.normal(size=(64, 8)).astype("float32")
y = rng.normal(size=(64, 1)).astype("float32")

model = keras.Sequential(
    [
        keras.Input((8,)),
        layers.Dense(
            16, activation="relu", kernel_regularizer=regularizers.L2(0.01), kernel_constraint=constraints.MaxNorm(1.0)
        ),
        layers.Dense(
            8, kernel_regularizer=regularizers.L1L2(l1=1e-3, l2=1e-3), activity_regularizer=regularizers.L2(1e-3)
        ),
        layers.Dense(1, kernel_constraint=constraints.NonNeg()),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
model(x[:4])
assert len(model.losses) == 3  # two kernel penalties and one activity penalty

kernel = model.layers[0].kernel
expected_penalty = 0.01 * float(np.sum(np.square(kernel.numpy())))
np.testing.assert_allclose(float(model.layers[0].losses[0]), expected_penalty, rtol=1e-5)

history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
plain = float(np.mean(np.square(model.predict(x, verbose=0) - y)))
assert history.history["loss"][-1] > 0
norms = np.sqrt(np.sum(np.square(model.layers[0].kernel.numpy()), axis=0))
assert np.all(norms <= 1.0 + 1e-5), norms  # MaxNorm after every update
assert np.all(model.layers[2].kernel.numpy() >= 0.0)  # NonNeg
logs = model.evaluate(x, y, verbose=0, return_dict=True)
assert logs["loss"] > plain  # the penalties are in the loss
