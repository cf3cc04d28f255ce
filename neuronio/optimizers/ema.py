"""The exponential moving average of the weights (`use_ema=True` on any optimizer), as Keras 3:

    after each step's updates (before constraints), for every weight w the optimizer was built on:
        average = w                                          on the first step
        average = ema_momentum * average + (1 - ema_momentum) * w   after it
    every `ema_overwrite_frequency` steps (if set): w = average
    at the end of `fit` (`finalize_variable_values`): w = average

The averages are slots named '<weight path>_average', created before the rule's own slots (the
order `.keras` files keep).
"""

import numpy as np


def check_arguments(who: str, ema_momentum, ema_overwrite_frequency) -> None:
    """Keras's checks on the EMA arguments, made only when use_ema is set (as Keras does)."""
    if isinstance(ema_momentum, bool) or not isinstance(ema_momentum, (int, float, np.integer, np.floating)):
        raise TypeError(f"{who}: `ema_momentum` must be a number in [0, 1]; received ema_momentum={ema_momentum!r}.")
    if not 0 <= ema_momentum <= 1:
        raise ValueError(f"{who}: `ema_momentum` must be in [0, 1]; received ema_momentum={ema_momentum}.")
    frequency = ema_overwrite_frequency
    if frequency is not None and (
        isinstance(frequency, bool) or not isinstance(frequency, (int, np.integer)) or frequency < 1
    ):
        raise ValueError(
            f"{who}: `ema_overwrite_frequency` must be an integer >= 1 (overwrite the weights with their "
            f"average every that many steps) or None; received ema_overwrite_frequency={frequency!r}."
        )


def update(averages, variables, first_step: bool, ema_momentum: float) -> None:
    """Take each weight into its running average (the average starts at the weight itself)."""
    for average, variable in zip(averages, variables, strict=True):
        momentum = 0.0 if first_step else ema_momentum
        average.data[...] = momentum * average.data + (1 - momentum) * variable.data


def overwrite(averages, variables, who: str) -> None:
    """Set each weight to its average."""
    if len(variables) != len(averages):
        raise ValueError(
            f"{who} keeps the moving averages of {len(averages)} weights but was asked to write them into "
            f"{len(variables)}; pass the variables the optimizer was built on (model.trainable_weights)."
        )
    for average, variable in zip(averages, variables, strict=True):
        variable.assign(average.data)


def swap(averages, variables) -> None:
    """Exchange every weight with its average, in place (callbacks.SwapEMAWeights)."""
    for average, variable in zip(averages, variables, strict=True):
        kept = variable.data.copy()
        variable.data[...] = average.data
        average.data[...] = kept
