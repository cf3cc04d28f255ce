"""Optimizer: the part every update rule shares, with Keras 3's arguments, variables and config.

A subclass writes three methods, as in Keras 3: `build(var_list)` creates its slots with
`add_optimizer_variables`, `update_step(gradient, variable, learning_rate)` updates one weight in
place, and `get_config` adds its hyperparameters. Everything else lives here, once:

    apply(grads, variables):
        1. build the slots on the first call
        2. skip weights whose gradient is None
        3. bring gradients to arrays of each weight's dtype (shapes checked before any update)
        4. undo loss scaling; clip (clipnorm, global_clipnorm or clipvalue)
        5. decoupled weight decay, w *= 1 - weight_decay * lr; then each weight's update_step
        6. with use_ema, the weights' moving averages (optimizers/ema.py); then constraints
        7. iterations += 1

`optimizer.variables` lists, in Keras's order and with Keras's names: `iteration`,
`learning_rate` (unless the rate is a schedule), then the slots in creation order. A `.keras`
file stores them by position, so this order is part of the file format.
"""

import inspect
import math
import re
import warnings

import numpy as np

from neuronio import config
from neuronio._registry import Registry
from neuronio.autodiff.tensor import Tensor, Variable, same_object_index
from neuronio.errors import ShapeError
from neuronio.optimizers import ema, schedules
from neuronio.optimizers._arguments import (  # noqa: F401  (_check_number: the rules import it from here)
    _check_number,
    _filter_empty_gradients,
    _legacy_arguments,
    _takes_an_argument,
)

# Every optimizer class, by its Keras name; `optimizers.get`, saving and loading resolve through it.
registry = Registry("optimizer")


class Optimizer:
    """Base class of the update rules (SGD, RMSprop, Adam, ..., Lion, Muon: see neuronio.optimizers).

    Args:
        learning_rate: a float, or a schedule (`neuronio.optimizers.schedules`, or any callable
            taking the step number `iterations`, or nothing) returning the rate. Settable later
            (`opt.learning_rate = 0.01`).
        weight_decay: if set, every weight shrinks by `w *= 1 - weight_decay * learning_rate`
            before its update (decoupled decay, as Keras 3).
        clipnorm: clip each gradient to this L2 norm: `g * clipnorm / max(||g||, clipnorm)`.
        clipvalue: clip each gradient entry to [-clipvalue, clipvalue].
        global_clipnorm: scale all gradients together so that their joint L2 norm is at most this.
        loss_scale_factor: gradients are divided by it before anything else (see `scale_loss`).
        use_ema: keep an exponential moving average of the weights (see optimizers/ema.py); the
            weights take it every `ema_overwrite_frequency` steps (if set) and at the end of `fit`.
        ema_momentum: the average's decay, in [0, 1].
        ema_overwrite_frequency: None, or an integer >= 1.
        gradient_accumulation_steps: if set (an integer >= 2), gradients are summed over that many
            calls and the weights updated on the last one with their mean (clipped then). The
            rules' step count (`iterations`) counts updates; a learning-rate schedule, as in Keras,
            is evaluated at the count of calls.
        name: the prefix of the optimizer's variable paths; "adam", "adam_1", ... if omitted.
        lr: Keras 1/2 spelling of `learning_rate`, accepted with a warning.
        decay: Keras 2's per-step decay, lr / (1 + decay * iterations): accepted with a warning and
            turned into today's spelling, learning_rate=schedules.InverseTimeDecay(lr, 1, decay).
    """

    def __new__(cls, *args, **kwargs):
        # `lr=` is mapped to `learning_rate` in __init__, where an explicit learning_rate equal to the
        # default looks like no learning_rate at all; only the raw call can tell "both given" apart.
        # (Every optimizer takes learning_rate as its first positional argument.)
        if "lr" in kwargs and (args or "learning_rate" in kwargs):
            given = args[0] if args else kwargs["learning_rate"]
            raise ValueError(
                f"{cls.__name__}: `lr` and `learning_rate` name the same argument; received both "
                f"(lr={kwargs['lr']}, learning_rate={given}). Keep only learning_rate={kwargs['lr']}."
            )
        return super().__new__(cls)

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        who = type(self).__name__
        learning_rate = _legacy_arguments(who, learning_rate, kwargs)
        if kwargs:
            raise ValueError(
                f"{who} got unexpected argument(s): {', '.join(sorted(kwargs))}. Valid arguments: "
                f"{', '.join(p for p in inspect.signature(type(self)).parameters if p != 'kwargs')}."
            )
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = [f"{key}={value}" for key, value in clips.items() if value is not None]
        if len(given) > 1:
            raise ValueError(
                f"{who}: only one of clipnorm, clipvalue and global_clipnorm can be set; received {', '.join(given)}."
            )
        # Stored as Python floats: a NumPy float64 scalar would turn float32 arrays into float64 ones.
        numbers = {**clips, "weight_decay": weight_decay, "loss_scale_factor": loss_scale_factor}
        numbers = {key: None if v is None else float(_check_number(who, key, v, low=0.0)) for key, v in numbers.items()}
        steps = gradient_accumulation_steps
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2):
            raise ValueError(
                f"{who}: `gradient_accumulation_steps` must be an integer >= 2 (update the weights every that many "
                f"batches, with their mean gradient) or None; received gradient_accumulation_steps={steps!r}."
            )
        if use_ema:
            ema.check_arguments(who, ema_momentum, ema_overwrite_frequency)
        self.name = name or config.unique_name(config.snake_case(who))
        self.weight_decay = numbers["weight_decay"]
        self.clipnorm = numbers["clipnorm"]
        self.clipvalue = numbers["clipvalue"]
        self.global_clipnorm = numbers["global_clipnorm"]
        self.use_ema = bool(use_ema)
        self._model_variables_moving_average: list[Variable] = []  # with use_ema: one per weight, in build order
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = numbers["loss_scale_factor"]
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables: list[Variable] = []  # what `variables` returns, in Keras's order
        self._trainable_variables: list[Variable] = []  # the weights the optimizer was built on
        self._index: dict[int, int] = {}  # id(weight) -> its position, to find its slots
        self._scratch: list[np.ndarray] = []  # one work buffer per weight (STYLE C10.5)
        self._decay_excluded_ids: set[int] = set()
        self._decay_excluded_names = None
        # Keras's "int" counter; int64 as TensorFlow stores it (it is int32 on the torch backend).
        self._iterations = self.add_variable((), initializer=0, dtype="int64", name="iteration")
        self._learning_rate = None
        self._set_learning_rate(learning_rate)

    # -- learning rate and step counter -------------------------------------------------------
    @property
    def iterations(self) -> Variable:
        """How many times `apply` has updated the weights (an int64 Variable). With
        gradient_accumulation_steps, a read-only count of updates, the calls // steps (as Keras)."""
        if self.gradient_accumulation_steps:
            return Variable(np.asarray(self._step(), np.int64), name="iteration", trainable=False)
        return self._iterations

    @property
    def learning_rate(self):
        """The rate of the next step: the `learning_rate` Variable, or a schedule's value (a float)."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        self._set_learning_rate(value)

    def _set_learning_rate(self, value):
        who = type(self).__name__
        if isinstance(value, Tensor):
            value = value.data  # e.g. opt.learning_rate = opt.learning_rate * 0.5
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if callable(value):
            # A schedule replaces the Variable, which then leaves `variables` (as in Keras).
            if isinstance(self._learning_rate, Variable):
                del self._variables[same_object_index(self._variables, self._learning_rate)]
            self._learning_rate = value
            self._schedule_takes_step = _takes_an_argument(value)
            return
        value = float(_check_number(who, "learning_rate", value))
        if isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(np.asarray(value, dtype=self._learning_rate.dtype))
        elif self._learning_rate is None:
            self._learning_rate = self.add_variable((), initializer=value, name="learning_rate")
        else:
            raise TypeError(
                f"{who} '{self.name}' was created with a learning-rate schedule, so its learning rate "
                f"cannot be set to a number ({value}). Create the optimizer with a float learning_rate instead."
            )

    def _current_learning_rate(self) -> float:
        """The rate for the step about to be taken, rounded to floatx as Keras casts it."""
        rate = self._learning_rate
        if isinstance(rate, Variable):
            return float(rate.data)
        # Keras evaluates a schedule at the count of calls, also under gradient accumulation.
        value = rate(int(self._iterations.data)) if self._schedule_takes_step else rate()
        return float(np.asarray(value, dtype=config.floatx()))

    # -- variables ------------------------------------------------------------------------------
    @property
    def variables(self) -> list[Variable]:
        """The optimizer's own state, in Keras's order: iteration, learning_rate, then the slots."""
        return list(self._variables)

    def add_variable(self, shape, initializer=0.0, dtype=None, name=None) -> Variable:
        """Create and track one optimizer Variable, filled with `initializer` (a number, 'zeros',
        'ones', or a callable(shape, dtype) returning an array). Its path is '<optimizer name>/<name>'."""
        dtype = np.dtype(dtype or config.floatx())
        if callable(initializer):
            value = np.asarray(initializer(tuple(shape), dtype), dtype=dtype)
        else:
            fill = {"zeros": 0, "ones": 1}.get(initializer, initializer)
            value = np.full(tuple(shape), fill, dtype=dtype)
        variable = Variable(value, name=name or "variable", trainable=False, dtype=dtype)
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer=0.0) -> Variable:
        """A slot shaped like `reference_variable`, named '<its path with _ for />_<name>' (Keras)."""
        slot_name = f"{reference_variable.path.replace('/', '_')}_{name or 'var'}"
        return self.add_variable(reference_variable.shape, initializer, reference_variable.dtype, slot_name)

    def add_optimizer_variables(self, trainable_variables, name, initializer=0.0):
        """One slot per weight for each name in `name`, interleaved weight by weight, as Keras
        creates them (the order `.keras` files depend on). One name gives a list; several, a tuple.
        `initializer` is one for all, or (with several names) a list of one per name."""
        names = [name] if isinstance(name, str) else list(name)
        initializers = list(initializer) if isinstance(initializer, (list, tuple)) else [initializer] * len(names)
        slots = tuple([] for _ in names)
        for variable in trainable_variables:
            for slot_list, slot_name, fill in zip(slots, names, initializers, strict=True):
                slot_list.append(self.add_variable_from_reference(variable, slot_name, fill))
        return slots[0] if isinstance(name, str) else slots

    def build(self, var_list) -> None:
        """Remember the weights and make one work buffer per weight; subclasses add their slots."""
        if self.built:
            return
        self._trainable_variables = list(var_list)
        self._index = {id(variable): i for i, variable in enumerate(self._trainable_variables)}
        self._scratch = [np.empty_like(variable.data) for variable in self._trainable_variables]
        if self.use_ema:  # before the rule's own slots, as Keras orders them
            self._model_variables_moving_average = self.add_optimizer_variables(self._trainable_variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulators = self.add_optimizer_variables(self._trainable_variables, "gradient_accumulator")
        self.built = True

    def finalize_variable_values(self, var_list) -> None:
        """At the end of `fit`: with use_ema, the weights take their moving averages (as Keras)."""
        if self.use_ema and self.built:
            ema.overwrite(self._model_variables_moving_average, list(var_list), f"{type(self).__name__} '{self.name}'")

    def _get_variable_index(self, variable) -> int:
        return self._index[id(variable)]

    # -- applying gradients -----------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars) -> Variable:
        """Keras's `apply_gradients(zip(grads, vars))`; returns `iterations`."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs, strict=True)
            self.apply(grads, variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None) -> None:
        """Update each Variable in place from its gradient (a Tensor, an array, or None to skip it).

        Without `trainable_variables`, `grads` must match the weights the optimizer was built on.
        """
        grads = list(grads)
        if not grads:
            return
        # 1. Resolve the weights, and build the slots on the first call.
        variables = self._resolve_variables(grads, trainable_variables)
        # 2. Weights without a gradient are skipped, as in Keras (a warning names them).
        grads, variables = _filter_empty_gradients(grads, variables)
        # 3. Gradients become arrays of each weight's dtype and shape: all are checked before any update.
        grads = [self._as_gradient_array(g, v) for g, v in zip(grads, variables, strict=True)]
        # 4. Undo loss scaling; with gradient accumulation, add up until the batch that updates
        # (then the mean gradient goes on); clip.
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        grads = self._accumulate(grads, variables) if self.gradient_accumulation_steps else grads
        if grads is not None:
            grads = self._clip_gradients(grads)
            # 5. Decoupled weight decay, then each weight's rule, with the rate of this step.
            learning_rate = self._current_learning_rate()
            self._apply_weight_decay(variables, learning_rate)
            self._update_steps(grads, variables, learning_rate)
        # 6. The weights' moving averages (every weight built on, as Keras); then project each
        # constrained weight back onto its constraint (Keras: after the update).
        if self.use_ema:
            step = self._step()
            ema.update(self._model_variables_moving_average, self._trainable_variables, step == 0, self.ema_momentum)
            if self.ema_overwrite_frequency and (step + 1) % self.ema_overwrite_frequency == 0:
                ema.overwrite(self._model_variables_moving_average, self._trainable_variables, f"{type(self).__name__} '{self.name}'")
        for variable in variables:
            if getattr(variable, "constraint", None) is not None:
                variable.assign(variable.constraint(variable))
        # 7. Count the step.
        self._iterations.data += 1

    def _accumulate(self, grads, variables):
        """Add the gradients to the accumulators; on every `gradient_accumulation_steps`-th call,
        return the mean gradients (and zero the accumulators), else None (no update this time)."""
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulators[self._get_variable_index(v)].data for v in variables]
        if (int(self._iterations.data) + 1) % steps != 0:
            for accumulator, gradient in zip(accumulators, grads, strict=True):
                accumulator += gradient
            return None
        means = [(gradient + accumulator) / steps for gradient, accumulator in zip(grads, accumulators, strict=True)]
        for accumulator in accumulators:
            accumulator[...] = 0
        return means

    def _step(self) -> int:
        """The number of updates made so far (Keras's `iterations`): the rules' t is this + 1."""
        return int(self._iterations.data) // (self.gradient_accumulation_steps or 1)

    def _resolve_variables(self, grads, trainable_variables) -> list[Variable]:
        who = f"{type(self).__name__} '{self.name}'"
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{who}: apply(grads) without variables needs a built optimizer; pass "
                    f"apply(grads, variables) the first time, or call build(variables)."
                )
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{who} received {len(grads)} gradients for {len(variables)} variables; "
                f"give exactly one gradient (or None) per variable."
            )
        for variable in variables:
            if not isinstance(variable, Variable):
                raise TypeError(
                    f"{who} updates neuronio Variables in place; received a "
                    f"{type(variable).__name__}. Create weights with neuronio.Variable(...)."
                )
        if not self.built:
            self.build(variables)
        unknown = [v.path for v in variables if id(v) not in self._index]
        if unknown:
            raise ValueError(
                f"{who} was built for {len(self._index)} other variables and cannot update "
                f"{unknown}. Create a new optimizer for a new set of variables."
            )
        return variables

    def _as_gradient_array(self, gradient, variable) -> np.ndarray:
        array = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
        if array.shape != variable.shape:
            raise ShapeError(
                f"{type(self).__name__} '{self.name}': the gradient of '{variable.path}' has shape "
                f"{array.shape}, but the variable has shape {variable.shape}."
            )
        return array.astype(variable.dtype, copy=False)

    def _clip_gradients(self, grads) -> list[np.ndarray]:
        """Keras's three clipping rules; each returns new arrays, never altering the caller's."""
        if self.clipnorm:
            return [g * self.clipnorm / max(float(np.sqrt(np.sum(g * g))), self.clipnorm) for g in grads]
        if self.global_clipnorm:
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
            # Keras: a NaN or infinite norm makes every gradient NaN rather than silently zero.
            scale = self.global_clipnorm / max(norm, self.global_clipnorm) if math.isfinite(norm) else math.nan
            return [g * scale for g in grads]
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exempt these Variables, or those whose name contains one of `var_names`, from weight decay."""
        if self.built:
            raise ValueError("exclude_from_weight_decay() can only be called before the optimizer is built.")
        self._decay_excluded_ids = {id(v) for v in var_list or ()}
        self._decay_excluded_names = re.compile("|".join(map(re.escape, var_names))) if var_names else None

    def _apply_weight_decay(self, variables, learning_rate: float) -> None:
        if not self.weight_decay:
            return
        factor = 1.0 - self.weight_decay * learning_rate
        for variable in variables:
            if self._decays(variable):
                variable.data *= factor

    def _decays(self, variable) -> bool:
        """Whether weight decay applies to `variable` (not exempted by exclude_from_weight_decay)."""
        return id(variable) not in self._decay_excluded_ids and not (
            self._decay_excluded_names is not None and self._decay_excluded_names.search(variable.name)
        )

    def _update_steps(self, grads, variables, learning_rate: float) -> None:
        """One update_step per weight (Nadam adds a per-step product first, as in Keras)."""
        for gradient, variable in zip(grads, variables, strict=True):
            self.update_step(gradient, variable, learning_rate)

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_step.")

    def scale_loss(self, loss):
        """Multiply the loss by `loss_scale_factor` (if set); `apply` divides the gradients back."""
        return loss if self.loss_scale_factor is None else loss * self.loss_scale_factor

    # -- state for saving -----------------------------------------------------------------------
    def save_own_variables(self, store) -> None:
        """Write `variables` as store['0'], store['1'], ... (Keras's optimizer layout in .keras files)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.data

    def load_own_variables(self, store) -> None:
        """Read what `save_own_variables` wrote; warns and skips if the counts differ, as Keras does."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            hint = " It has not been built yet: call build(variables) first." if not self.built else ""
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}': it has "
                f"{len(variables)} variables, but the saved optimizer has {len(store.keys())}.{hint}",
                stacklevel=2,
            )
            return
        for i, variable in enumerate(variables):
            variable.assign(np.asarray(store[str(i)]))

    def set_weights(self, weights) -> None:
        """Set `variables` from a list of arrays in the same order."""
        if not self.built:
            raise ValueError(f"Optimizer '{self.name}' is not built; call build(variables) before set_weights().")
        weights, variables = list(weights), self.variables
        if len(weights) != len(variables):
            raise ValueError(
                f"Optimizer '{self.name}' has {len(variables)} variables "
                f"({', '.join(v.name for v in variables)}); received {len(weights)} arrays."
            )
        for variable, value in zip(variables, weights, strict=True):
            variable.assign(np.asarray(value))

    # -- config ---------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments, with Keras's keys in Keras's order."""
        rate = self._learning_rate
        if isinstance(rate, Variable):
            learning_rate = float(rate.data)  # the float32 value, as Keras writes it (0.0010000000474974513)
        elif isinstance(rate, schedules.LearningRateSchedule):
            learning_rate = schedules.serialize(rate)  # Keras's envelope; no learning_rate variable is saved
        else:
            raise TypeError(
                f"Optimizer '{self.name}' has a learning rate given as a plain function "
                f"({rate!r}), which cannot be saved. Use a float, or a schedule object with get_config()."
            )
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config_dict: dict):
        if isinstance(config_dict.get("learning_rate"), dict):
            config_dict = {**config_dict, "learning_rate": schedules.deserialize(config_dict["learning_rate"])}
        return cls(**config_dict)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} name='{self.name}' learning_rate={self._current_learning_rate():.6g} "
            f"iterations={int(self._iterations.data)}>"
        )
