"""The built-in callbacks a training script uses: ModelCheckpoint (weights only, every epoch with
the epoch in the file name), CSVLogger, LearningRateScheduler, TerminateOnNaN, BackupAndRestore,
LambdaCallback, and History."""

import csv
import os
import tempfile

import keras
import numpy as np
from keras import layers

tmp = tempfile.mkdtemp()
rng = np.random.default_rng(0)
x = rng.random((48, 4), dtype="float32")
y = x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32")
model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")

epochs_seen = []
callbacks = [
    keras.callbacks.ModelCheckpoint(os.path.join(tmp, "ckpt_{epoch:02d}.weights.h5"), save_weights_only=True),
    keras.callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5**epoch),  # before CSVLogger: logs the rate
    keras.callbacks.CSVLogger(os.path.join(tmp, "log.csv")),
    keras.callbacks.TerminateOnNaN(),
    keras.callbacks.BackupAndRestore(os.path.join(tmp, "backup")),
    keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: epochs_seen.append(epoch)),
]
history = model.fit(x, y, batch_size=16, epochs=3, callbacks=callbacks, verbose=0)
assert epochs_seen == [0, 1, 2]
assert sorted(f for f in os.listdir(tmp) if f.startswith("ckpt")) == [
    "ckpt_01.weights.h5",
    "ckpt_02.weights.h5",
    "ckpt_03.weights.h5",
]
with open(os.path.join(tmp, "log.csv")) as f:
    rows = list(csv.DictReader(f))
assert [row["epoch"] for row in rows] == ["0", "1", "2"]
np.testing.assert_allclose([float(r["loss"]) for r in rows], history.history["loss"], rtol=1e-6)
np.testing.assert_allclose([float(r["learning_rate"]) for r in rows], [0.1, 0.05, 0.025], rtol=1e-6)
assert history.epoch == [0, 1, 2]

model.load_weights(os.path.join(tmp, "ckpt_01.weights.h5"))
assert model.predict(x[:1], verbose=0).shape == (1, 1)
