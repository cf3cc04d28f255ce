"""Test doubles for driving callbacks without a real model: a model, an optimizer and a clock."""

import os

import numpy as np


class FakeOptimizer:
    """Holds `learning_rate` as a float32 number, as Keras's (and neuronio's) Variable does."""

    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate

    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = np.float32(value)


class FakeModel:
    """The model interface callbacks use: stop_training, weights, optimizer, save, history.

    `calls` records every save as ("save" | "save_weights", path); saves write a small file.
    """

    def __init__(self, learning_rate=0.01, n_weights=2):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.full((2, 2), float(i), dtype="float32") for i in range(n_weights)]
        self.calls = []
        self.history = None

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.calls.append(("set_weights", [w.copy() for w in weights]))
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath, overwrite=True):
        self._write("save", filepath, overwrite)

    def save_weights(self, filepath, overwrite=True):
        self._write("save_weights", filepath, overwrite)

    def _write(self, kind, filepath, overwrite):
        assert overwrite is True, "ModelCheckpoint must pass overwrite=True"
        assert os.path.isdir(os.path.dirname(filepath) or "."), "parent folder must exist"
        with open(filepath, "w") as f:
            f.write(kind)
        self.calls.append((kind, filepath))


class FakeClock:
    """Stands in for the `time` module inside progbar modules: time() and monotonic() agree."""

    def __init__(self, start=1000.0):
        self.now = start

    def time(self):
        return self.now

    def monotonic(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds
