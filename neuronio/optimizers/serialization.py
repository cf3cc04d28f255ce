"""Optimizers by name and in Keras's envelope: one lookup for `get`, `deserialize`, `.keras`
files and the optimizers inside a MultiOptimizer's config."""

from neuronio._registry import envelope, parts
from neuronio.errors import UnknownNameError
from neuronio.optimizers.optimizer import registry


def lookup_class(name):
    """The class named `name`, ignoring case as Keras does ("adam", "Adam", "ADAM")."""
    if name in registry:
        return registry.lookup(name)
    by_lower = {key.lower(): key for key in registry.names()}
    if isinstance(name, str) and name.lower() in by_lower:
        return registry.lookup(by_lower[name.lower()])
    raise UnknownNameError(registry.unknown_message(name))


def serialize(optimizer) -> dict:
    """Keras's envelope: {"module": "keras.optimizers", "class_name", "config", "registered_name": None}."""
    name = registry.name_of(optimizer)
    if name is None:
        raise TypeError(f"Cannot serialize {optimizer!r}: it is not an instance of a registered optimizer.")
    return envelope("optimizers", name, optimizer.get_config())


def deserialize(config_dict: dict):
    """An optimizer (or OptimizerMap) from Keras's envelope. The class is found by `class_name`
    only: a file saved by Keras on the torch backend names a backend-specific module, so `module`
    is not consulted."""
    name, inner = parts(config_dict, "optimizer")
    return lookup_class(name).from_config(inner)
