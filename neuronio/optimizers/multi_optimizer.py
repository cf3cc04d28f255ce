"""MultiOptimizer and OptimizerMap: different update rules for different weights, as Keras 3.

    opt = MultiOptimizer(OptimizerMap(SGD(0.1), {"encoder/.*": Adam(1e-3)}))

Each weight goes, once, to the optimizer its path selects; MultiOptimizer's `apply` hands every
inner optimizer its own weights and gradients, so each keeps its own step count, learning rate,
clipping and slots. `.keras` files hold, as Keras writes them, all variables in order under
optimizer/vars (the MultiOptimizer's iteration and learning_rate, then each inner optimizer's
variables) and each inner optimizer's again under optimizer/optimizers/<its name>/vars.
"""

import re
from collections.abc import MutableMapping

from neuronio.optimizers.optimizer import Optimizer, registry
from neuronio.optimizers.serialization import deserialize, serialize


def _deserialize(config_dict):
    """An optimizer from its envelope (an Optimizer given as is is kept)."""
    return deserialize(config_dict) if isinstance(config_dict, dict) else config_dict


def _refuse_nested(who: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise ValueError(
            f"{who} must be an Optimizer instance; received {optimizer!r}. Give e.g. neuronio.optimizers.Adam()."
        )
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError(
            f"{who}: a MultiOptimizer cannot hold another MultiOptimizer; map the weights to plain optimizers."
        )


@registry.register("OptimizerMap", "optimizer_map")
class OptimizerMap(MutableMapping):
    """Variable paths (exact, or regular expressions matched whole with re.fullmatch) to optimizers;
    paths nothing matches go to `default_optimizer`. A path matched by two patterns is an error.

    Args:
        default_optimizer: the Optimizer of every unmatched weight.
        optimizer_map: a dict {path or pattern: Optimizer}; more with `optimizer_map[key] = opt`.

    >>> from neuronio import optimizers
    >>> m = OptimizerMap(optimizers.RMSprop(), {"encoder/.*": optimizers.SGD(name="sgd")})
    >>> m["encoder/dense/kernel"].name, type(m["decoder/dense/kernel"]).__name__
    ('sgd', 'RMSprop')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                f"OptimizerMap: default_optimizer must be an Optimizer instance; received {default_optimizer!r}."
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                f"OptimizerMap: optimizer_map must be a dict {{variable path or pattern: Optimizer}}; "
                f"received {type(optimizer_map).__name__}."
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"OptimizerMap: variable '{key}' matches several patterns ({', '.join(matches)}); "
                f"make them exclusive so that each variable has one optimizer."
            )
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"OptimizerMap: '{key}' is already mapped (to {self._optimizer_map[key].name}); "
                f"delete it first (del optimizer_map[{key!r}]) to remap it."
            )
        if not isinstance(key, str):
            raise ValueError(f"OptimizerMap: keys are variable paths or patterns (strings); received {key!r}.")
        _refuse_nested(f"OptimizerMap['{key}']", optimizer)
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable) -> Optimizer:
        """The optimizer of `variable`, by its path."""
        return self[variable.path]

    def get_config(self) -> dict:
        return {
            "default_optimizer": serialize(self._default_optimizer),
            "optimizer_map": {key: serialize(opt) for key, opt in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(cls, config_dict: dict, custom_objects=None):
        mapping = config_dict.get("optimizer_map") or {}
        return cls(_deserialize(config_dict["default_optimizer"]), {k: _deserialize(v) for k, v in mapping.items()})


@registry.register("MultiOptimizer", "multi_optimizer")
class MultiOptimizer(Optimizer):
    """Keras 3's MultiOptimizer: each weight updated by the optimizer `optimizer_map` gives it.

    Args:
        optimizer_map: an OptimizerMap, or a callable variable -> Optimizer (which cannot be saved).
        loss_scale_factor: set on every inner optimizer (replacing theirs), as Keras does.
        name: "multi_optimizer", "multi_optimizer_1", ... if omitted.

    `learning_rate` is refused (each inner optimizer has its own: see `.optimizers`);
    `iterations` counts the MultiOptimizer's own steps.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise TypeError(
                f"MultiOptimizer: optimizer_map must be an OptimizerMap or a callable variable -> Optimizer; "
                f"received {type(optimizer_map).__name__}."
            )
        self._inner_optimizers: list[Optimizer] = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        if isinstance(optimizer_map, OptimizerMap):
            for optimizer in [*optimizer_map.values(), optimizer_map.default_optimizer]:
                self._adopt(optimizer)
        self._owner: dict[int, int] = {}  # id(weight) -> index of its optimizer in .optimizers

    def _adopt(self, optimizer) -> None:
        if not any(optimizer is known for known in self._inner_optimizers):
            optimizer.loss_scale_factor = self.loss_scale_factor
            self._inner_optimizers.append(optimizer)

    @property
    def optimizers(self) -> list[Optimizer]:
        """The inner optimizers, in the order their variables are saved."""
        return list(self._inner_optimizers)

    @property
    def learning_rate(self):
        raise AttributeError(
            "A MultiOptimizer has no single learning rate; read or set it on its inner optimizers "
            "(`for opt in optimizer.optimizers: opt.learning_rate`)."
        )

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            f"A MultiOptimizer has no single learning rate to set (received {value!r}); set it on its "
            f"inner optimizers (`optimizer.optimizers[i].learning_rate = ...`)."
        )

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def variables(self):
        """Its own iteration and learning_rate, then each inner optimizer's variables: the list that
        save_own_variables, load_own_variables and set_weights (the base class's) go through."""
        return [*self._variables, *(v for optimizer in self._inner_optimizers for v in optimizer.variables)]

    def build(self, var_list) -> None:
        if self.built:
            return
        var_list = list(var_list)
        groups: dict[int, list] = {}
        for variable in var_list:
            optimizer = self._optimizer_map(variable)
            _refuse_nested(f"MultiOptimizer: the optimizer of '{variable.path}'", optimizer)
            self._adopt(optimizer)
            index = next(i for i, known in enumerate(self._inner_optimizers) if known is optimizer)
            self._owner[id(variable)] = index
            groups.setdefault(index, []).append(variable)
        for index, variables in groups.items():
            self._inner_optimizers[index].build(variables)
        super().build(var_list)

    def apply(self, grads, trainable_variables=None) -> None:
        grads = list(grads)
        if not grads:
            return
        variables = self._resolve_variables(grads, trainable_variables)
        dispatched: dict[int, tuple[list, list]] = {}
        for gradient, variable in zip(grads, variables, strict=True):
            sub_grads, sub_vars = dispatched.setdefault(self._owner[id(variable)], ([], []))
            sub_grads.append(gradient)
            sub_vars.append(variable)
        for index, (sub_grads, sub_vars) in sorted(dispatched.items()):
            self._inner_optimizers[index].apply(sub_grads, sub_vars)
        self._iterations.data += 1

    def finalize_variable_values(self, var_list) -> None:
        """Each inner optimizer finalizes its own weights (their EMA, if they keep one)."""
        groups: dict[int, list] = {}
        for variable in var_list:
            groups.setdefault(self._owner[id(variable)], []).append(variable)
        for index, variables in groups.items():
            self._inner_optimizers[index].finalize_variable_values(variables)

    def get_config(self) -> dict:
        if not isinstance(self._optimizer_map, OptimizerMap):
            raise TypeError(
                f"MultiOptimizer '{self.name}' maps variables with a function ({self._optimizer_map!r}), "
                f"which cannot be saved. Use an OptimizerMap(default_optimizer, {{pattern: optimizer}}) instead."
            )
        return {
            "optimizer_map": serialize(self._optimizer_map),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config_dict: dict, custom_objects=None):
        config_dict = dict(config_dict)
        config_dict["optimizer_map"] = _deserialize(config_dict["optimizer_map"])
        return cls(**config_dict)

    def __repr__(self) -> str:
        inner = ", ".join(f"{type(o).__name__} '{o.name}'" for o in self._inner_optimizers)
        return f"<MultiOptimizer name='{self.name}' optimizers=[{inner}] iterations={int(self._iterations.data)}>"
