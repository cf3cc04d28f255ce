"""neuronio.utils: to_categorical, set_random_seed, the decks' ASCII table, plot_model,
pad_sequences, timeseries_dataset_from_array, and the names a custom `train_step` uses (PyDataset,
unpack_x_y_sample_weight, pack_x_y_sample_weight)."""

import numpy as np

from neuronio import config
from neuronio.models.streams import PyDataset, pack_x_y_sample_weight, unpack_x_y_sample_weight
from neuronio.saving.keras_objects import deserialize_keras_object, serialize_keras_object
from neuronio.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from neuronio.utils import np_utils
from neuronio.utils.np_utils import normalize, to_categorical
from neuronio.utils.plot_model import plot_model
from neuronio.utils.sequence_utils import pad_sequences
from neuronio.utils.timeseries import TimeseriesDataset, timeseries_dataset_from_array


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


# Keras 3 keeps Keras 2's `Sequence` as another name of PyDataset.
Sequence = PyDataset

__all__ = [
    "CustomObjectScope",
    "PyDataset",
    "Sequence",
    "TimeseriesDataset",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "normalize",
    "np_utils",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_model",
    "register_keras_serializable",
    "sequential_ascii",
    "serialize_keras_object",
    "set_random_seed",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]
