"""The exponential moving average of the weights an optimizer keeps with `use_ema=True` (Polyak
averaging), as Keras 3 keeps it.

After each update step, before the step counter moves on, every weight's average becomes

    average = m * average + (1 - m) * weight,   m = 0 on the very first step, else ema_momentum

so the first average is the weight itself. With `ema_overwrite_frequency=k`, every k-th step
copies the averages into the weights. At the end of `fit`, `finalize_variable_values` puts the
averages into the weights for good; `callbacks.SwapEMAWeights` swaps them in and out around
evaluation. The averages are optimizer variables named '<weight path>_average', created right
after `iteration` and `learning_rate` and before the rule's own slots (Keras's order, which
`.keras` files depend on).
"""

import numpy as np


def check_arguments(who: str, use_ema, ema_momentum, ema_overwrite_frequency) -> None:
    if not use_ema:
        return
    if isinstance(ema_momentum, bool) or not isinstance(ema_momentum, (int, float)) or not 0 <= ema_momentum <= 1:
        raise ValueError(f"{who}: `ema_momentum` must be a float in [0, 1]; received ema_momentum={ema_momentum!r}.")
    if ema_overwrite_frequency is not None and (
        isinstance(ema_overwrite_frequency, bool)
        or not isinstance(ema_overwrite_frequency, (int, np.integer))
        or ema_overwrite_frequency < 1
    ):
        raise ValueError(
            f"{who}: `ema_overwrite_frequency` must be None or a positive int (steps); received "
            f"ema_overwrite_frequency={ema_overwrite_frequency!r}."
        )


def build_averages(optimizer, var_list) -> list:
    """One average slot per weight, starting at zero (the first step replaces it)."""
    return optimizer.add_optimizer_variables(var_list, "average")


def update_averages(optimizer) -> None:
    """Fold the weights just updated into their averages; every `ema_overwrite_frequency`-th
    step, copy the averages into the weights. Called before `iterations` counts the step."""
    step = int(optimizer.iterations.data)
    momentum = optimizer.ema_momentum if step else 0.0
    for variable, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True):
        average.data[...] = momentum * average.data + (1 - momentum) * variable.data
    frequency = optimizer.ema_overwrite_frequency
    if frequency and (step + 1) % frequency == 0:
        overwrite_with_averages(optimizer)


def overwrite_with_averages(optimizer) -> None:
    for variable, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True):
        variable.data[...] = average.data


def swap_with_averages(optimizer) -> None:
    """Exchange every weight with its average, in place (SwapEMAWeights)."""
    for variable, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average, strict=True):
        kept = variable.data.copy()
        variable.data[...] = average.data
        average.data[...] = kept
