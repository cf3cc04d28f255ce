"""Learning-rate schedules: the rate as a function of the optimizer's step, Keras 3's formulas.

    schedule = schedules.CosineDecay(0.001, decay_steps=10_000, warmup_target=0.01, warmup_steps=500)
    optimizer = optimizers.Adam(learning_rate=schedule)      # evaluated at `optimizer.iterations`

The step is the number of updates made before the current one (0 for the first), as Keras passes
`optimizer.iterations`. A schedule also takes an array of steps and returns an array, which is
handy for plotting one: `schedule(np.arange(10_000))`. Formulas are computed in float64; the
optimizer rounds the rate to float32 as Keras does.

Saved inside the optimizer's config in Keras's envelope
`{"module": "keras.optimizers.schedules", "class_name": ..., "config": ..., "registered_name": None}`;
OneCycle, which Keras lacks, under `"registered_name": "neuronio>OneCycle"`.
"""

import math

import numpy as np

from neuronio._registry import Registry, envelope, parts
from neuronio.autodiff.tensor import array_of
from neuronio.errors import UnknownNameError

registry = Registry("learning rate schedule")


class LearningRateSchedule:
    """Base class: subclasses write `__call__(step)` and `get_config()`; `from_config` is `cls(**config)`.

    Register a subclass with `@schedules.registry.register("Name")` so that optimizers using it can be saved.
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({arguments})"


class _RateDecay(LearningRateSchedule):
    """ExponentialDecay's and InverseTimeDecay's shared arguments and their progress
    step / decay_steps, floored if `staircase`; each subclass applies its own formula to it."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(type(self).__name__, "decay_steps", decay_steps)
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        p = _steps(step) / self.decay_steps
        return np.floor(p) if self.staircase else p

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@registry.register("ExponentialDecay")
class ExponentialDecay(_RateDecay):
    """lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps), the exponent floored if `staircase`.

    >>> ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)(20)
    0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return _out(self.initial_learning_rate * np.power(float(self.decay_rate), self._progress(step)))


@registry.register("PiecewiseConstantDecay")
class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
    values[-1] after boundaries[-1].

    >>> PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])(150)
    0.5
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                f"PiecewiseConstantDecay: `values` needs one more entry than `boundaries`; received "
                f"boundaries={boundaries} ({len(boundaries)} entries) and values={values} ({len(values)} entries)."
            )
        if list(boundaries) != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay: `boundaries` must increase; received boundaries={boundaries}.")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        index = np.searchsorted(np.asarray(self.boundaries, dtype=np.float64), _steps(step), side="left")
        return _out(np.asarray(self.values, dtype=np.float64)[index])

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@registry.register("PolynomialDecay")
class PolynomialDecay(LearningRateSchedule):
    """lr(step) = (initial - end) * (1 - s / decay_steps) ** power + end, with s = min(step, decay_steps);
    with `cycle`, decay_steps is stretched to the first multiple of itself at or above the step."""

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(type(self).__name__, "decay_steps", decay_steps)
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = _steps(step)
        decay_steps = np.full_like(step, float(self.decay_steps))
        if self.cycle:
            decay_steps = decay_steps * np.where(step == 0, 1.0, np.ceil(step / self.decay_steps))
        else:
            step = np.minimum(step, decay_steps)
        fraction = 1 - step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return _out(span * np.power(fraction, float(self.power)) + self.end_learning_rate)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


@registry.register("InverseTimeDecay")
class InverseTimeDecay(_RateDecay):
    """lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps), the ratio floored if `staircase`.

    InverseTimeDecay(lr, decay_steps=1, decay_rate=d) is Keras 2's `decay=d` argument: lr / (1 + d * iterations).

    >>> InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return _out(self.initial_learning_rate / (1 + self.decay_rate * self._progress(step)))


@registry.register("CosineDecay")
class CosineDecay(LearningRateSchedule):
    """Cosine decay (Loshchilov & Hutter's SGDR without restarts), after an optional linear warmup.

    Without `warmup_target`:   lr(step) = initial * decayed(min(step, decay_steps))
    With it, W = warmup_steps: lr(step) = initial + (warmup_target - initial) * step / W   for step < W,
                               lr(step) = warmup_target * decayed(min(step, W + decay_steps) - W) after;
    decayed(s) = (1 - alpha) * (1 + cos(pi * s / decay_steps)) / 2 + alpha, so the rate ends at alpha times its peak.

    >>> CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)(5)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(type(self).__name__, "decay_steps", decay_steps)
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decayed(self, step, peak):
        cosine = 0.5 * (1.0 + np.cos(math.pi * step / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = _steps(step)
        if self.warmup_target is None:
            return _out(self._decayed(np.minimum(step, self.decay_steps), self.initial_learning_rate))
        warmup = float(self.warmup_steps)
        step = np.minimum(step, self.decay_steps + warmup)
        with np.errstate(divide="ignore", invalid="ignore"):  # warmup_steps = 0: the warmup branch is never taken
            rising = self.initial_learning_rate + (self.warmup_target - self.initial_learning_rate) * step / warmup
        return _out(np.where(step < warmup, rising, self._decayed(step - warmup, self.warmup_target)))

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@registry.register("OneCycle")
class OneCycle(LearningRateSchedule):
    """Smith's one-cycle policy (Smith & Topin 2018), with PyTorch's OneCycleLR formula and defaults.

    The rate rises from max / div_factor to `max_learning_rate` over the first pct_start of
    `total_steps`, then falls to max / (div_factor * final_div_factor) at the last step:

        up   = max(pct_start * total_steps - 1, 0)  (the step where the peak is reached)
        lr(step) = anneal(max / div_factor, max, step / up)                        for step <= up
        lr(step) = anneal(max, max / div_factor / final_div_factor,
                          (step - up) / (total_steps - 1 - up))                    after,
        anneal(a, b, t) = b + (a - b) * (1 + cos(pi * t)) / 2     ("cos"),   a + (b - a) * t  ("linear");

    steps past total_steps - 1 keep the final rate. Pair it with a momentum that moves the other
    way if you like; this schedule sets only the rate.

    Args:
        max_learning_rate: the peak rate.
        total_steps: the number of optimizer steps of the whole run (epochs * batches per epoch).
        pct_start: the fraction of the steps spent rising.
        div_factor: the starting rate is max_learning_rate / div_factor.
        final_div_factor: the final rate is the starting rate / final_div_factor.
        anneal_strategy: "cos" or "linear", for both phases.

    >>> OneCycle(0.1, total_steps=100)(29)  # the peak: pct_start * total_steps - 1
    0.1
    """

    def __init__(
        self,
        max_learning_rate,
        total_steps,
        pct_start=0.3,
        div_factor=25.0,
        final_div_factor=1e4,
        anneal_strategy="cos",
        name="OneCycle",
    ):
        who = type(self).__name__
        self.max_learning_rate = max_learning_rate
        self.total_steps = int(_positive(who, "total_steps", total_steps))
        if not 0 < pct_start < 1:
            raise ValueError(
                f"{who}: `pct_start` is a fraction of the steps, in (0, 1); received pct_start={pct_start}."
            )
        if self.total_steps < 2:
            raise ValueError(
                f"{who}: a cycle needs total_steps >= 2 (one up, one down); received total_steps={total_steps}."
            )
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{who}: unknown anneal_strategy={anneal_strategy!r}. Valid values: cos, linear.")
        self.pct_start = pct_start
        self.div_factor = _positive(who, "div_factor", div_factor)
        self.final_div_factor = _positive(who, "final_div_factor", final_div_factor)
        self.anneal_strategy = anneal_strategy
        self.name = name

    def _anneal(self, start, end, fraction):
        if self.anneal_strategy == "linear":
            return start + (end - start) * fraction
        return end + (start - end) * 0.5 * (1.0 + np.cos(math.pi * fraction))

    def __call__(self, step):
        step = np.minimum(_steps(step), self.total_steps - 1)
        start = self.max_learning_rate / self.div_factor
        final = start / self.final_div_factor
        up = max(self.pct_start * self.total_steps - 1, 0.0)  # below 0 for very short runs: start at the peak
        rising = self._anneal(start, self.max_learning_rate, step / up if up > 0 else np.ones_like(step))
        falling = self._anneal(self.max_learning_rate, final, (step - up) / (self.total_steps - 1 - up))
        return _out(np.where(step <= up, rising, falling))

    def get_config(self):
        return {
            "max_learning_rate": self.max_learning_rate,
            "total_steps": self.total_steps,
            "pct_start": self.pct_start,
            "div_factor": self.div_factor,
            "final_div_factor": self.final_div_factor,
            "anneal_strategy": self.anneal_strategy,
            "name": self.name,
        }


# -- saving -------------------------------------------------------------------------------------------
def serialize(schedule: LearningRateSchedule) -> dict:
    """Keras's envelope of a registered schedule."""
    class_name = registry.name_of(schedule) if isinstance(schedule, LearningRateSchedule) else None
    if class_name is None:
        raise TypeError(
            f"Cannot serialize the learning rate {schedule!r}: it is not a registered schedule. Subclass "
            f"neuronio.optimizers.schedules.LearningRateSchedule and register it with "
            f"@schedules.registry.register('Name'), or use a float."
        )
    return envelope("optimizers.schedules", class_name, schedule.get_config())


def deserialize(config_dict: dict) -> LearningRateSchedule:
    """The inverse of serialize; the class is found in the registry by name, never imported."""
    name, inner = parts(config_dict, "learning rate schedule")
    if name not in registry:
        raise UnknownNameError(registry.unknown_message(name))
    return registry.lookup(name).from_config(inner)


# -- helpers --------------------------------------------------------------------------------------------
def _steps(step) -> np.ndarray:
    """The step(s) as float64 (an int, a NumPy scalar or array, or a Variable such as `iterations`)."""
    return np.asarray(array_of(step), dtype=np.float64)


def _out(value):
    """A Python float for one step, an array for an array of steps."""
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


def _positive(who: str, key: str, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not value > 0:
        raise ValueError(f"{who}: `{key}` must be > 0; received {key}={value!r}.")
    return value
