"""ReduceLROnPlateau: multiply the learning rate by `factor` when the monitored value stalls."""

import warnings

import numpy as np

from neuronio.callbacks._monitor import MonitorCallback
from neuronio.callbacks._resumable import Resumable, optional_number, plain
from neuronio.callbacks.callback import _print_msg
from neuronio.callbacks.lr_scheduler import _read_learning_rate


class ReduceLROnPlateau(Resumable, MonitorCallback):
    """Reduce the learning rate once `monitor` has not improved for `patience` epochs.

    Args:
        monitor: the log key to watch.
        factor: `new_lr = lr * factor`; must be below 1.
        patience: epochs without improvement before a reduction.
        verbose: 1 prints "Epoch 12: ReduceLROnPlateau reducing learning rate to 0.0001."
        mode: "min", "max", or "auto" (inferred from the monitor's name).
        min_delta: the least change that counts as an improvement.
        cooldown: epochs after a reduction during which epochs without improvement are not
            counted.
        min_lr: the rate never goes below this.

    Each epoch's logs get the rate in force as `logs["learning_rate"]` (before any reduction
    made at the end of that epoch), as in Keras. Its counters (`best`, `wait`, `cooldown_counter`)
    go into BackupAndRestore's backup, so a resumed run lowers the rate at the same epochs.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs,
    ):
        if "epsilon" in kwargs:
            # Keras 2 spelling; Keras 3 silently ignores it, which loses the user's threshold.
            warnings.warn(
                "ReduceLROnPlateau: `epsilon` is deprecated; use `min_delta`.", DeprecationWarning, stacklevel=2
            )
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected keyword arguments: {sorted(kwargs)}.")
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}. "
                "The new rate is lr * factor, so use e.g. factor=0.1 or factor=0.5."
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0
        self._take_resume_state()

    def get_resume_state(self) -> dict:
        return {"best": plain(self.best), "wait": int(self.wait), "cooldown_counter": int(self.cooldown_counter)}

    def set_resume_state(self, state: dict) -> None:
        self.best = optional_number(state["best"])
        self.wait, self.cooldown_counter = int(state["wait"]), int(state["cooldown_counter"])

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        logs["learning_rate"] = _read_learning_rate(self.model.optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return

        # Keras's order: a cooldown epoch first spends one cooldown unit and clears `wait`; an
        # improvement always resets `wait`; otherwise the epoch counts only outside cooldown.
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce_learning_rate(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _reduce_learning_rate(self, epoch) -> bool:
        """Multiply the rate by `factor` (not below `min_lr`); False if already at `min_lr`."""
        optimizer = self.model.optimizer
        old_lr = _read_learning_rate(optimizer)
        # Keras compares with min_lr rounded to float32, the optimizer's own precision, so a
        # rate stored as float32(min_lr) counts as having reached it.
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr
        if self.verbose > 0:
            _print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
