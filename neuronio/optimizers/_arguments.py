"""The argument checks and conversions every optimizer shares: numbers in range, Keras 1/2
spellings (`lr=`, `decay=`), learning-rate callables, and the weights left without a gradient."""

import inspect
import math
import warnings

import numpy as np

from neuronio._legacy import renamed, warn_legacy
from neuronio.optimizers import schedules


def _legacy_arguments(who: str, learning_rate, kwargs: dict):
    """Map Keras 1/2 arguments, each with a warning naming today's spelling: `lr` -> `learning_rate`;
    `decay=d` -> learning_rate=InverseTimeDecay(lr, decay_steps=1, decay_rate=d)."""
    if "lr" in kwargs:
        # Optimizer.__new__ has refused lr= together with learning_rate=.
        learning_rate = renamed(who, "lr", "learning_rate", kwargs.pop("lr"))
    decay = kwargs.pop("decay", None)
    if decay:  # Keras 2 configs carry decay=0.0: nothing to do then
        decay = float(_check_number(who, "decay", decay, low=0.0))
        if callable(learning_rate):
            raise ValueError(
                f"{who}: `decay={decay}` (Keras 2's per-step decay) cannot be combined with a learning-rate "
                f"schedule ({learning_rate!r}); put the decay in the schedule instead."
            )
        # Keras 2 (optimizer_v2._decayed_lr): lr / (1 + decay * iterations); Keras 3 dropped `decay`.
        warn_legacy(
            f"{who}: `decay={decay}` is Keras 2's per-step decay, lr / (1 + decay * iterations); today's "
            f"spelling is learning_rate=keras.optimizers.schedules.InverseTimeDecay({learning_rate!r}, "
            f"decay_steps=1, decay_rate={decay}), which neuronio uses now."
        )
        learning_rate = schedules.InverseTimeDecay(learning_rate, decay_steps=1, decay_rate=decay)
    return learning_rate


def _filter_empty_gradients(grads, variables):
    kept = [(g, v) for g, v in zip(grads, variables, strict=True) if g is not None]
    if not kept:
        raise ValueError(
            f"No gradients provided for any variable ({', '.join(v.path for v in variables)}). "
            f"Check that the loss depends on them, e.g. that the model was called inside the tape."
        )
    if len(kept) < len(grads):
        missing = [v.path for g, v in zip(grads, variables, strict=True) if g is None]
        warnings.warn(
            f"Gradients do not exist for variables {missing} when minimizing the loss; they are left unchanged.",
            stacklevel=3,
        )
    return [g for g, _ in kept], [v for _, v in kept]


def _takes_an_argument(function) -> bool:
    """Whether a learning-rate callable takes the step (a schedule) or nothing (Keras calls both)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )
    return any(p.kind in positional for p in parameters)


def _check_number(who: str, name: str, value, low=None, high=None, high_open=False):
    """A real number (not a bool) within [low, high] (or [low, high) with high_open); returns it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: `{name}` must be a number; received {name}={value!r}.")
    too_low = low is not None and value < low
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high or not math.isfinite(value):
        if high is None:
            expected = "a finite number" if low is None else f"a finite number >= {low}"
        elif low is None:
            expected = f"a number {'<' if high_open else '<='} {high}"
        else:
            expected = f"a number in [{low}, {high}{')' if high_open else ']'}"
        raise ValueError(f"{who}: `{name}` must be {expected}; received {name}={value!r}.")
    return value
