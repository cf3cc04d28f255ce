"""Feeding fit() from Python: a keras.utils.PyDataset, an endless generator with steps_per_epoch,
and a generator yielding (x, y, sample_weight) - batch by batch, never materialised."""

import math

import keras
import numpy as np
from keras import layers


class CIFAR10ishDataset(keras.utils.PyDataset):
    def __init__(self, x_set, y_set, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x_set, y_set
        self.batch_size = batch_size
        self.seen = []

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        self.seen.append(idx)
        low = idx * self.batch_size
        high = min(low + self.batch_size, len(self.x))
        return self.x[low:high], self.y[low:high]


rng = np.random.default_rng(0)
x = rng.random((50, 6), dtype="float32")
y = (x.sum(axis=1, keepdims=True) > 3).astype("float32")
model = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"), layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

dataset = CIFAR10ishDataset(x, y, batch_size=16)
history = model.fit(dataset, epochs=2, verbose=0)
assert len(history.history["loss"]) == 2
assert sorted(set(dataset.seen)) == [0, 1, 2, 3]
assert model.predict(dataset, verbose=0).shape == (50, 1)
assert len(model.evaluate(dataset, verbose=0)) == 2


def endless():
    while True:
        idx = rng.integers(0, 50, 10)
        yield x[idx], y[idx]


history = model.fit(endless(), steps_per_epoch=3, epochs=2, verbose=0)
assert len(history.history["loss"]) == 2
assert int(model.optimizer.iterations) == 8 + 6


def weighted():
    for start in range(0, 50, 25):
        yield x[start : start + 25], y[start : start + 25], np.ones(25, dtype="float32")


history = model.fit(weighted(), epochs=1, verbose=0)
assert np.isfinite(history.history["loss"][0])
