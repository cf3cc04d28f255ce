"""`layers.serialize(layer)` and `layers.deserialize(config, custom_objects=None)`, Keras's pair.

The envelope schema and the rules for loading (registries only, custom objects, the lambda policy)
belong to neuronio.saving, one floor up (STYLE C1: layers never import saving). Saving hands its
two functions down with `use_codec` when it is imported, and `import neuronio` always imports it.
"""

from neuronio.layers.layer import Layer

_codec = {}  # "serialize" / "deserialize" -> neuronio.saving's serialize/deserialize_keras_object


def use_codec(serialize_object, deserialize_object) -> None:
    """Called once by neuronio.saving: the functions that turn objects into Keras envelopes and back."""
    _codec["serialize"], _codec["deserialize"] = serialize_object, deserialize_object


def _get(name: str):
    if name not in _codec:
        raise RuntimeError(
            f"layers.{name} needs neuronio.saving, which has not been imported; `import neuronio` (or "
            f"neuronio.saving) first."
        )
    return _codec[name]


def serialize(layer) -> dict:
    """The layer's Keras 3 envelope: {"module", "class_name", "config", "registered_name"} and, once
    built, {"build_config": {"input_shape": ...}}, the dict `deserialize` (and Keras) reads back."""
    if not isinstance(layer, Layer):
        raise TypeError(f"layers.serialize takes a Layer (or a model); received {type(layer).__name__} {layer!r}.")
    return _get("serialize")(layer)


def deserialize(config, custom_objects=None):
    """The layer (or model) a Keras envelope describes, built if the envelope has a build_config.

    Args:
        config: a dict as `serialize` (or Keras's `keras.layers.serialize`) returns it.
        custom_objects: {name: class} for the user's own layers, as in Keras.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(
            f"layers.deserialize takes a layer's envelope (a dict with 'class_name' and 'config', as "
            f"layers.serialize returns); received {config!r}."
        )
    layer = _get("deserialize")(config, custom_objects=custom_objects)
    if not isinstance(layer, Layer):
        raise TypeError(
            f"layers.deserialize: the envelope describes {type(layer).__name__} {layer!r}, not a layer; use "
            f"saving.deserialize_keras_object for other objects."
        )
    return layer
