"""neuronio.optimizers: Keras 3's update rules, defaults and names, each in its own file.

optimizers.get("adam")            # by name, case-insensitively, as Keras
optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
optimizer.apply_gradients(zip(grads, model.trainable_variables))
"""

from neuronio._registry import envelope, parts
from neuronio.errors import UnknownNameError
from neuronio.optimizers import schedules
from neuronio.optimizers.adadelta import Adadelta
from neuronio.optimizers.adafactor import Adafactor
from neuronio.optimizers.adagrad import Adagrad
from neuronio.optimizers.adam import Adam
from neuronio.optimizers.adamax import Adamax
from neuronio.optimizers.adamw import AdamW
from neuronio.optimizers.ftrl import Ftrl
from neuronio.optimizers.lamb import Lamb
from neuronio.optimizers.lion import Lion
from neuronio.optimizers.muon import Muon
from neuronio.optimizers.nadam import Nadam
from neuronio.optimizers.optimizer import Optimizer, registry
from neuronio.optimizers.rmsprop import RMSprop
from neuronio.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from neuronio.optimizers.sgd import SGD

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lamb",
    "Lion",
    "Muon",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "registry",
    "schedules",
    "serialize",
]


def _lookup(name):
    """The class named `name`, ignoring case as Keras does ("adam", "Adam", "ADAM")."""
    if name in registry:
        return registry.lookup(name)
    by_lower = {key.lower(): key for key in registry.names()}
    if isinstance(name, str) and name.lower() in by_lower:
        return registry.lookup(by_lower[name.lower()])
    raise UnknownNameError(registry.unknown_message(name))


def get(identifier) -> Optimizer | None:
    """An Optimizer from a name ("adam"), a config dict, or an Optimizer (returned as is); None gives None.

    >>> get("adam").get_config()["beta_2"]
    0.999
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        raise TypeError(
            f"Expected an optimizer instance, but received the class {identifier.__name__}; "
            f"call it: {identifier.__name__}()."
        )
    raise TypeError(
        f"Cannot interpret {identifier!r} as an optimizer: give a name such as 'adam', "
        f"a config dict, or an Optimizer instance."
    )


def serialize(optimizer: Optimizer) -> dict:
    """Keras's envelope: {"module": "keras.optimizers", "class_name", "config", "registered_name": None}."""
    name = registry.name_of(optimizer)
    if name is None:
        raise TypeError(f"Cannot serialize {optimizer!r}: it is not an instance of a registered optimizer.")
    return envelope("optimizers", name, optimizer.get_config())


def deserialize(config_dict: dict) -> Optimizer:
    """The inverse of serialize. The class is found by `class_name` only: a file saved by Keras on
    the torch backend names a backend-specific module, so `module` is not consulted."""
    name, inner = parts(config_dict, "optimizer")
    return _lookup(name).from_config(inner)
