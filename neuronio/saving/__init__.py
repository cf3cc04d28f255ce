"""neuronio.saving: Keras 3's `.keras` archives and `.weights.h5` files, written atomically and
read without ever running code from the file; the user's own classes enter only through
`register_keras_serializable`, `custom_object_scope` or `custom_objects=`."""

from neuronio.layers import serialization as _layers_serialization
from neuronio.saving.file_editor import KerasFileEditor
from neuronio.saving.json_model import model_from_json, model_to_json
from neuronio.saving.keras_archive import atomic_write, load_model, load_weights, save_model, save_weights
from neuronio.saving.keras_objects import deserialize_keras_object, serialize_keras_object
from neuronio.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from neuronio.saving.serialization import deserialize_layer, serialize_layer

# layers.serialize / layers.deserialize are Keras's names in keras.layers; the envelope rules are here.
_layers_serialization.use_codec(serialize_keras_object, deserialize_keras_object)

__all__ = [
    "CustomObjectScope",
    "KerasFileEditor",
    "atomic_write",
    "custom_object_scope",
    "deserialize_keras_object",
    "deserialize_layer",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
    "serialize_layer",
]
