"""Small models with hand-set weights for the picture tests (no training: fast and exact)."""

import sys

import numpy as np
import pytest

from neuronio import layers
from neuronio.models import Model, Sequential


@pytest.fixture(autouse=True)
def _close_figures():
    """Figures become pyplot's when another test imported pyplot; release them after each test."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def randomize(model, rng):
    """Every weight drawn from N(0, 0.5²), so that outputs differ from image to image."""
    model.set_weights([(0.5 * rng.standard_normal(w.shape)).astype(np.float32) for w in model.get_weights()])
    return model


@pytest.fixture
def tiny_cnn(rng):
    """(8, 8, 1) -> conv 3 filters 3x3 -> pool 2 -> flatten -> dense 4 -> softmax 3."""
    model = Sequential(
        [
            layers.Input(shape=(8, 8, 1)),
            layers.Conv2D(3, 3, activation="relu", name="conv"),
            layers.MaxPooling2D(2, name="pool"),
            layers.Flatten(name="flatten"),
            layers.Dense(4, activation="relu", name="hidden"),
            layers.Dense(3, activation="softmax", name="probs"),
        ],
        name="tiny_cnn",
    )
    return randomize(model, rng)


@pytest.fixture
def images(rng):
    return rng.random((20, 8, 8, 1)).astype(np.float32)


@pytest.fixture
def branchy(rng):
    """A functional model with a skip connection and a second input."""
    image = layers.Input(shape=(8, 8, 1), name="image")
    x = layers.Conv2D(2, 3, padding="same", activation="relu", name="c1")(image)
    y = layers.Conv2D(2, 3, padding="same", name="c2")(x)
    z = layers.Add(name="add")([x, y])
    z = layers.Flatten(name="flat")(z)
    extra = layers.Input(shape=(2,), name="extra")
    merged = layers.Concatenate(name="cat")([z, extra])
    out = layers.Dense(3, activation="softmax", name="out")(merged)
    return randomize(Model([image, extra], out, name="branchy"), rng)
