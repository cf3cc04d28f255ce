"""LearningRateScheduler: set the optimizer's learning rate at the start of every epoch."""

import inspect
import numbers

import numpy as np

from neuronio.callbacks.callback import Callback, _print_msg


class LearningRateScheduler(Callback):
    """Set `model.optimizer.learning_rate = schedule(epoch, lr)` before each epoch.

    Args:
        schedule: a function of the 0-based epoch and the current learning rate (a float)
            returning the new rate; a function of the epoch alone is accepted too (Keras 2).
        verbose: 1 prints "Epoch 3: LearningRateScheduler setting learning rate to 0.005."

    The rate in force is also logged at the end of each epoch as `logs["learning_rate"]`, so it
    appears in History, the progress bar and CSVLogger.

    >>> def halve_after_two(epoch, lr):
    ...     return lr if epoch < 2 else lr * 0.5
    >>> scheduler = LearningRateScheduler(halve_after_two)
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: `schedule` must be a function (epoch, lr) -> new lr; "
                f"received {schedule!r} (of type {type(schedule).__name__})."
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        current = _read_learning_rate(optimizer)
        if _accepts_two_arguments(self.schedule):
            scheduled = self.schedule(epoch, current)
        else:
            scheduled = self.schedule(epoch)
        optimizer.learning_rate = _as_rate(scheduled)
        if self.verbose > 0:
            # Keras prints what the schedule returned, before the optimizer rounds it to float32.
            _print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {scheduled}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = _read_learning_rate(self.model.optimizer)


def _read_learning_rate(optimizer) -> float:
    """The optimizer's rate as a Python float (it may be a float32 Variable, as in Keras)."""
    return float(np.asarray(optimizer.learning_rate))


def _accepts_two_arguments(function) -> bool:
    """Whether `function(epoch, lr)` binds; decided from the signature, not by catching errors."""
    # Keras calls schedule(epoch, lr) and retries schedule(epoch) on *any* TypeError, which also
    # swallows a TypeError raised by a bug inside a two-argument schedule.
    try:
        inspect.signature(function).bind(0, 0.0)
    except TypeError:
        return False
    except ValueError:  # no signature available (some builtins): assume the Keras 3 form
        return True
    return True


def _as_rate(value) -> float:
    """The schedule's result as a float, or Keras's error for a non-number."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    if np.ndim(value) == 0 and np.issubdtype(np.asarray(value).dtype, np.number):
        return float(np.asarray(value))  # a 0-d array or tensor, e.g. lr * np.exp(-0.1)
    raise ValueError(f"The output of the `schedule` function should be a float. Got: {value}")
