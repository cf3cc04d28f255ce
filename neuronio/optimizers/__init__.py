"""neuronio.optimizers: Keras 3's update rules, defaults and names, each in its own file.

optimizers.get("adam")            # by name, case-insensitively, as Keras
optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
optimizer.apply_gradients(zip(grads, model.trainable_variables))
"""

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
from neuronio.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from neuronio.optimizers.muon import Muon
from neuronio.optimizers.nadam import Nadam
from neuronio.optimizers.optimizer import Optimizer, registry
from neuronio.optimizers.rmsprop import RMSprop
from neuronio.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from neuronio.optimizers.serialization import deserialize, lookup_class, serialize
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
    "MultiOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "OptimizerMap",
    "RMSprop",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "registry",
    "schedules",
    "serialize",
]


def get(identifier) -> Optimizer | None:
    """An Optimizer from a name ("adam"), a config dict, or an Optimizer (returned as is); None gives None.

    >>> get("adam").get_config()["beta_2"]
    0.999
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return lookup_class(identifier)()
    if isinstance(identifier, dict):
        optimizer = deserialize(identifier)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"Cannot interpret {identifier.get('class_name')!r} as an optimizer: it is not an update rule "
                f"(an OptimizerMap goes inside MultiOptimizer(optimizer_map))."
            )
        return optimizer
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        raise TypeError(
            f"Expected an optimizer instance, but received the class {identifier.__name__}; "
            f"call it: {identifier.__name__}()."
        )
    raise TypeError(
        f"Cannot interpret {identifier!r} as an optimizer: give a name such as 'adam', "
        f"a config dict, or an Optimizer instance."
    )
