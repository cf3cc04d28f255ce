"""neuronio.utils: to_categorical, set_random_seed, the decks' ASCII table, plot_model,
pad_sequences, timeseries_dataset_from_array, and the names a custom `train_step` uses (PyDataset,
unpack_x_y_sample_weight, pack_x_y_sample_weight); images (load_img, save_img, img_to_array,
array_to_img, image_dataset_from_directory), get_file, split_dataset, Config, Progbar, and the
keras.backend / keras.config names Keras repeats here."""

import numpy as np

from neuronio import config
from neuronio.backend import is_keras_tensor, standardize_dtype
from neuronio.callbacks.progbar import Progbar
from neuronio.config import (
    clear_session,
    disable_interactive_logging,
    enable_interactive_logging,
    is_interactive_logging_enabled,
)
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
from neuronio.utils.config_utils import Config
from neuronio.utils.dataset_split import split_dataset
from neuronio.utils.file_utils import get_file
from neuronio.utils.graph_utils import get_source_inputs, model_to_dot
from neuronio.utils.image_dataset import image_dataset_from_directory
from neuronio.utils.image_utils import array_to_img, img_to_array, load_img, save_img
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
    "Config",
    "CustomObjectScope",
    "Progbar",
    "PyDataset",
    "Sequence",
    "TimeseriesDataset",
    "array_to_img",
    "clear_session",
    "custom_object_scope",
    "deserialize_keras_object",
    "disable_interactive_logging",
    "enable_interactive_logging",
    "get_custom_objects",
    "get_file",
    "get_registered_name",
    "get_registered_object",
    "get_source_inputs",
    "image_dataset_from_directory",
    "img_to_array",
    "is_interactive_logging_enabled",
    "is_keras_tensor",
    "load_img",
    "model_to_dot",
    "normalize",
    "np_utils",
    "pack_x_y_sample_weight",
    "pad_sequences",
    "plot_model",
    "register_keras_serializable",
    "save_img",
    "sequential_ascii",
    "serialize_keras_object",
    "set_random_seed",
    "split_dataset",
    "standardize_dtype",
    "timeseries_dataset_from_array",
    "to_categorical",
    "unpack_x_y_sample_weight",
]
