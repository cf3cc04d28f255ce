"""Keras 3's automatic config of a user's layer: a subclass that writes no get_config() is saved
with the arguments it was constructed with, when they are all plain values."""

import inspect

_PLAIN = (str, int, float, bool, type(None))
# Layer.__init__'s shape arguments that Keras's Layer.__init__ does not list (it refuses batch_size).
_NEURONIO_ONLY = ("input_shape", "batch_input_shape", "batch_size", "input_dim")


def auto_config(cls, args, kwargs):
    """(the constructor arguments by name, defaults included, or None; whether None is due to
    positional-only or *args arguments)."""
    signature = inspect.signature(cls.__init__)
    try:
        bound = signature.bind(None, *args, **kwargs)
    except TypeError:
        return None, False
    parameters = list(signature.parameters.values())[1:]
    if any(p.kind is inspect.Parameter.POSITIONAL_ONLY for p in parameters):
        return None, True
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    arguments.pop(next(iter(signature.parameters)))
    for p in parameters:
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(p.name, {}))
        elif p.kind is inspect.Parameter.VAR_POSITIONAL and arguments.pop(p.name, ()):
            return None, True
    arguments.pop("name", None)
    if cls.__init__.__qualname__ == "Layer.__init__":  # no __init__ of its own: Keras's base arguments only
        for key in _NEURONIO_ONLY:
            if arguments.get(key, 0) is None:
                del arguments[key]
    return (arguments, False) if _plain(arguments) else (None, False)


def _plain(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return isinstance(value, _PLAIN)


def init_takes_name(cls) -> bool:
    """Keras keeps `name` in an automatic config only if __init__ takes `name` or `**kwargs`."""
    parameters = inspect.signature(cls.__init__).parameters
    kwargs = parameters.get("kwargs")
    return "name" in parameters or (kwargs is not None and kwargs.kind is inspect.Parameter.VAR_KEYWORD)


def auto_config_or_raise(layer) -> dict:
    """The automatic config `layer` was constructed with (a copy), or NotImplementedError saying why
    there is none and asking for a get_config()."""
    auto = getattr(layer, "_auto_config", None)
    if auto is not None:
        return dict(auto)
    why = (
        "positional-only or variadic positional arguments (*args), which cannot be passed back by name"
        if getattr(layer, "_auto_config_error", False)
        else "argument values that are not plain str/int/float/bool/None (or lists/dicts of them)"
    )
    raise NotImplementedError(
        f"Layer {type(layer).__name__} was created with {why}, so its config cannot be generated "
        f"automatically. Override get_config() (return super().get_config() updated with your "
        f"constructor's arguments) to make it serializable."
    )
