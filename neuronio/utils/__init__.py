"""neuronio.utils: to_categorical, set_random_seed, the decks' ASCII table, plot_model."""

import numpy as np

from neuronio import config
from neuronio.utils import np_utils
from neuronio.utils.np_utils import normalize, to_categorical
from neuronio.utils.plot_model import plot_model


def set_random_seed(seed: int) -> None:
    """Seed everything random in neuronio (initializers, dropout, shuffling), as
    `keras.utils.set_random_seed` does: two runs with the same seed give the same weights and
    the same History. Python's and NumPy's global generators are seeded too, for user code."""
    import random

    config.set_random_seed(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)


def sequential_ascii(model, percent: str = "deck") -> str:
    """The decks' per-layer table (OPERATION, DATA DIMENSIONS, WEIGHTS(N), WEIGHTS(%)) as text;
    the shares are truncated as the deck does (percent="deck") or rounded (percent="rounded")."""
    from neuronio.models.summary import sequential_ascii as _table

    return _table(model, percent)


__all__ = ["normalize", "np_utils", "plot_model", "sequential_ascii", "set_random_seed", "to_categorical"]
