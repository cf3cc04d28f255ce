"""A model's architecture as a JSON string: `Model.to_json()` and `models.model_from_json`, as
Keras 3 writes and reads it (the envelope of `config.json`, compile state included)."""

import json

from neuronio.errors import FileFormatError
from neuronio.saving import object_registration
from neuronio.saving.model_config import deserialize_model, serialize_model


def model_to_json(model, **kwargs) -> str:
    """The model's envelope (class, config, build and compile config) as JSON; `kwargs` go to
    `json.dumps` (indent=2, ...)."""
    return json.dumps(serialize_model(model), **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new model (fresh weights) from `to_json()`'s string, Keras's or neuronio's, compiled when
    the string holds a compile config. `custom_objects` maps names to the user's own classes.
    Python code in the string (a Lambda's lambda) is refused unless unsafe deserialization is
    enabled (`config.enable_unsafe_deserialization()`), as in Keras."""
    try:
        envelope = json.loads(json_string)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"model_from_json: expected the JSON string of `model.to_json()`; it does not parse ({exc}).") from exc
    if not isinstance(envelope, dict):
        raise ValueError(f"model_from_json: expected a JSON object; received a {type(envelope).__name__}.")
    with object_registration.custom_object_scope(custom_objects):
        try:
            return deserialize_model(envelope, "model_from_json")
        except FileFormatError as exc:
            raise ValueError(str(exc)) from exc
