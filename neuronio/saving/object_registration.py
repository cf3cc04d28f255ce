"""The user's own classes and functions, by the names Keras 3 saves them under.

    @neuronio.saving.register_keras_serializable(package="Demo")
    class Scale(neuronio.layers.Layer): ...       # saved as registered_name "Demo>Scale"

Three places hold custom objects, searched in this order when a config is read: the
`custom_objects=` dict given to the call (`load_model`, `from_config`, `deserialize_keras_object`),
the innermost `custom_object_scope`, and the global dict of `register_keras_serializable`
(`get_custom_objects()`). These are the only classes a file may name beyond neuronio's own
registries, and only because the user put them there: loading still imports nothing and
evaluates nothing a file says.
"""

import inspect

from neuronio import _custom_objects, _registry
from neuronio._custom_objects import GLOBAL_CUSTOM_NAMES as _GLOBAL_CUSTOM_NAMES
from neuronio._custom_objects import GLOBAL_CUSTOM_OBJECTS as _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator: register a class or function as "package>name" (name: its `__name__`).

    A class must have a `get_config` method. Registering the same name again replaces the
    earlier object, as in Keras.
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"register_keras_serializable: package must be a string without '>'; received {package!r}.")

    def decorator(obj):
        object_name = name if name is not None else getattr(obj, "__name__", None)
        if not isinstance(object_name, str) or not object_name:
            raise ValueError(f"register_keras_serializable: cannot find a name for {obj!r}; pass name='...'.")
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register class {obj.__name__}: it has no get_config() method, so it cannot "
                f"be saved. Subclass a neuronio Layer/Loss/Metric, or define get_config()."
            )
        registered_name = f"{package}>{object_name}"
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = registered_name
        return obj

    return decorator


def get_custom_objects() -> dict:
    """The global dict of registered objects; adding to it registers (as in Keras)."""
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_name(obj) -> str:
    """The name `obj` was registered under, or its plain `__name__`."""
    registered = _custom_objects.registered_name(obj)
    return registered if registered is not None else obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object `name` stands for in the call's custom_objects, the active scopes, the global
    registrations, then `module_objects`; None when none of them has it."""
    return _custom_objects.lookup(name, custom_objects, module_objects)


def is_custom(name) -> bool:
    """Whether any custom-object source (call, scope or global) knows `name`."""
    return get_registered_object(name) is not None


class CustomObjectScope:
    """`with CustomObjectScope({"Scale": Scale}):` makes those names loadable inside the block."""

    def __init__(self, custom_objects=None):
        if custom_objects is not None and not isinstance(custom_objects, dict):
            raise TypeError(
                f"custom_objects must be a dict mapping names to classes or functions; received "
                f"{type(custom_objects).__name__}."
            )
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self):
        _custom_objects.scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc_info):
        _custom_objects.scope_stack().pop()
        return False


custom_object_scope = CustomObjectScope


# -- the envelopes of the user's objects ------------------------------------------------------------
def custom_envelope(cls, config_dict) -> dict:
    """Keras's envelope of an instance of a user's class: its module, and the name it was
    registered under (its plain class name if it was not registered)."""
    module = cls.__module__
    return {
        "module": None if module == "__main__" else module,
        "class_name": cls.__name__,
        "config": config_dict,
        "registered_name": get_registered_name(cls),
    }


def function_envelope(name: str) -> dict:
    """Keras's envelope of a function, saved by name."""
    return _registry.function_envelope(name)


def serialize_custom(obj) -> dict:
    """The envelope of a user's function (by its registered name) or of an instance of a user's
    class (with its `get_config()`)."""
    if inspect.isfunction(obj):
        return function_envelope(get_registered_name(obj))
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r}: it is not a registered function and has no get_config(). "
            f"Register it with @neuronio.saving.register_keras_serializable() and give it a get_config()."
        )
    return custom_envelope(type(obj), obj.get_config())


def deserialize_custom(envelope):
    """The user's object an envelope (or a plain name) stands for, built with `from_config`;
    None when no custom-object source knows it. Nothing else is ever built."""
    if isinstance(envelope, str):
        return get_registered_object(envelope)
    if not isinstance(envelope, dict):
        return None
    class_name, config_dict = envelope.get("class_name"), envelope.get("config")
    if class_name == "function":
        return get_registered_object(config_dict)
    for name in (envelope.get("registered_name"), class_name):
        obj = get_registered_object(name)
        if obj is not None:
            if inspect.isclass(obj):
                return obj.from_config(dict(config_dict or {}))
            return obj
    return None


def or_custom(serialize):
    """`serialize` for neuronio's own objects, falling back to the user's envelope."""

    def serialize_any(obj):
        try:
            return serialize(obj)
        except (TypeError, ValueError):
            return serialize_custom(obj)

    return serialize_any


def custom_or(deserialize):
    """`deserialize`, preceded by the user's custom objects (as Keras looks them up first)."""

    def deserialize_any(envelope):
        obj = deserialize_custom(envelope)
        return obj if obj is not None else deserialize(envelope)

    return deserialize_any
