"""The speed work's correctness guard: a fixed-seed training run gives the same numbers before and
after every optimisation.

The deck models train for a few epochs on fixed synthetic images with `set_random_seed(0)`; the
final training loss and the held-out accuracy were recorded once and must not move. An optimisation
that changes the arithmetic (a new convolution strategy, fused kernels, a different summation order)
fails here unless it keeps the result; a deliberate change of the numbers updates the goldens in the
same commit, saying why.

Tolerance: the loss is compared to 1e-4 relative. Float32 summation-order differences between BLAS
kernels move single results by ~1e-7 relative; a dozen optimiser steps amplify that to ~1e-6, far
under 1e-4, while any change of an op's maths (a wrong gradient, a missed bias, a different
initialiser draw) moves the loss at the 1e-2 level. The accuracy is a count of images and is exact.
"""

import numpy as np
import pytest

from neuronio.applications.decks import DECK_MODELS
from neuronio.utils import set_random_seed, to_categorical

# model -> (final training loss, correct out of 256 held-out images), measured at the commit that
# added this test; the same with one BLAS thread or two.
GOLDEN = {
    "mlp": (2.194117, 78),
    "cnn": (2.162050, 176),
    "lenet": (2.551885, 47),
}
LOSS_RTOL = 1e-4


def _images(n: int, seed: int):
    """Ten noisy 28x28 class templates (4x4-pixel random blocks) under heavy noise, so two epochs
    leave many mistakes (25 to 70% right) and a change in the arithmetic shows in the count."""
    templates = np.random.default_rng(1234).random((10, 7, 7)).repeat(4, axis=1).repeat(4, axis=2)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = templates[labels] + rng.normal(0.0, 1.0, (n, 28, 28))
    return np.clip(x, 0.0, 1.0).astype(np.float32)[..., None], labels


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_fixed_seed_training_gives_the_recorded_numbers(name):
    builder, optimizer, flat = DECK_MODELS[name]
    (x, y), (x_test, y_test) = _images(768, seed=0), _images(256, seed=1)
    if flat:
        x, x_test = x.reshape(len(x), -1), x_test.reshape(len(x_test), -1)
    set_random_seed(0)
    model = builder(input_shape=x.shape[1:])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, to_categorical(y, 10), batch_size=128, epochs=2, verbose=0)
    loss = history.history["loss"][-1]
    correct = int((model.predict(x_test, batch_size=256, verbose=0).argmax(axis=1) == y_test).sum())
    golden_loss, golden_correct = GOLDEN[name]
    assert correct == golden_correct
    assert loss == pytest.approx(golden_loss, rel=LOSS_RTOL)
