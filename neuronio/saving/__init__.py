"""neuronio.saving: Keras 3's `.keras` archives and `.weights.h5` files, written atomically and
read without ever running code from the file."""

from neuronio.saving.keras_archive import atomic_write, load_model, load_weights, save_model, save_weights
from neuronio.saving.serialization import deserialize_layer, serialize_layer

__all__ = [
    "atomic_write",
    "deserialize_layer",
    "load_model",
    "load_weights",
    "save_model",
    "save_weights",
    "serialize_layer",
]
