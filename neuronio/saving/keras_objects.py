"""`serialize_keras_object` / `deserialize_keras_object`: any object <-> Keras 3's envelope.

    {"module": "keras.losses", "class_name": "Huber", "config": {...}, "registered_name": null}

Plain values (None, numbers, strings) stay as they are; lists and dicts are converted item by
item; functions are saved by name ({"class_name": "function", "config": "relu"}). Reading resolves
an envelope through the user's custom objects (the call's `custom_objects`, the active
`custom_object_scope`, `register_keras_serializable`), then through neuronio's registries by the
module it names (keras.<kind>, or neuronio.<kind> for neuronio's own classes). Nothing a file
names is imported; a lambda follows the one lambda policy (neuronio/_lambdas.py).
"""

import inspect

from neuronio import _lambdas, activations, constraints, initializers, losses, metrics, ops, optimizers, regularizers
from neuronio import config as config_module
from neuronio.errors import FileFormatError
from neuronio.layers.layer import Layer
from neuronio.saving import object_registration
from neuronio.saving.serialization import deserialize_layer, serialize_layer, to_keras_envelope

# (base class, serialize, deserialize, the Keras module its envelopes name)
_KINDS = (
    (losses.Loss, losses.serialize, losses.deserialize, "keras.losses"),
    (metrics.Metric, metrics.serialize, metrics.deserialize, "keras.metrics"),
    (optimizers.Optimizer, optimizers.serialize, optimizers.deserialize, "keras.optimizers"),
    (initializers.Initializer, initializers.serialize, initializers.deserialize, "keras.initializers"),
    (regularizers.Regularizer, regularizers.serialize, regularizers.deserialize, "keras.regularizers"),
    (constraints.Constraint, constraints.serialize, constraints.deserialize, "keras.constraints"),
)
_LAYER_MODULES = ("keras", "keras.layers", "keras.models", "keras.src.models.functional", "neuronio.layers")


def serialize_keras_object(obj):
    """The Keras 3 envelope of a layer, model, loss, metric, optimizer, initializer, regularizer,
    constraint, function or registered custom object (plain values are returned as they are)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, Layer):
        return to_keras_envelope(serialize_layer(obj))
    for base, serialize, _, _ in _KINDS:
        if isinstance(obj, base):
            return object_registration.or_custom(serialize)(obj)
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        if obj in object_registration._GLOBAL_CUSTOM_NAMES:
            return object_registration.serialize_custom(obj)
        for registry in (activations.registry, losses.registry, metrics.registry):
            name = registry.name_of(obj)
            if name is not None:
                return object_registration.function_envelope(name)
    if _lambdas.is_lambda(obj):
        return _lambdas.envelope(obj)  # loading it is the one lambda policy's to allow (neuronio/_lambdas.py)
    return object_registration.serialize_custom(obj)


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object a Keras 3 envelope describes, built only from neuronio's classes and the
    user's custom objects. A stored lambda loads only with `safe_mode=False` (or after
    `neuronio.config.enable_unsafe_deserialization()`), as in Keras: neuronio/_lambdas.py."""
    if kwargs:
        raise TypeError(f"deserialize_keras_object got unexpected keyword arguments: {sorted(kwargs)}.")
    with config_module.safe_mode_scope(safe_mode), object_registration.custom_object_scope(custom_objects):
        return _deserialize(config)


def _deserialize(config):
    if config is None or isinstance(config, (bool, int, float, str)):
        return config
    if isinstance(config, (list, tuple)):
        return [_deserialize(item) for item in config]
    if not isinstance(config, dict):
        raise TypeError(f"deserialize_keras_object: cannot read {type(config).__name__} {config!r}.")
    if "class_name" not in config:
        return {key: _deserialize(value) for key, value in config.items()}
    class_name = config["class_name"]
    if class_name == "__lambda__":
        return _lambdas.load(config.get("config"), "a lambda", ops)
    module = config.get("module")
    if class_name == "function":
        custom = object_registration.deserialize_custom(config)
        if custom is not None:
            return custom
        for registry in (activations.registry, losses.registry, metrics.registry):
            if config.get("config") in registry:
                return registry.lookup(config["config"])
        raise FileFormatError(
            f"Unknown function {config.get('config')!r}: register it with "
            f"@neuronio.saving.register_keras_serializable() or pass it in custom_objects."
        )
    if module in _LAYER_MODULES:
        return deserialize_layer(config)
    for _, _, deserialize, kind_module in _KINDS:
        if module in (kind_module, kind_module.replace("keras.", "neuronio.", 1)):
            return object_registration.custom_or(deserialize)(config)
    custom = object_registration.get_registered_object(config.get("registered_name")) or (
        object_registration.get_registered_object(class_name)
    )
    if inspect.isclass(custom) and issubclass(custom, Layer):
        return deserialize_layer(config)
    if custom is not None:
        return object_registration.deserialize_custom(config)
    raise FileFormatError(
        f"Unknown object {class_name!r} (registered_name={config.get('registered_name')!r}, "
        f"module={module!r}): neuronio builds only its own classes and the user's custom objects. "
        f"Register the class with @neuronio.saving.register_keras_serializable() or pass "
        f"custom_objects={{{class_name!r}: {class_name}}}."
    )
