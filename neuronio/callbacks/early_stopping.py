"""EarlyStopping: stop `fit` when the monitored value stops improving."""

import warnings

import numpy as np

from neuronio.callbacks._monitor import MonitorCallback
from neuronio.callbacks._resumable import Resumable, decode_array, encode_array, optional_number, plain
from neuronio.callbacks.callback import _print_msg


class EarlyStopping(Resumable, MonitorCallback):
    """Stop training once `monitor` has not improved for `patience` epochs.

    Args:
        monitor: the log key to watch.
        min_delta: the least change that counts as an improvement.
        patience: epochs without improvement to allow before stopping.
        verbose: 1 prints "Epoch 7: early stopping" and the restore message.
        mode: "min", "max", or "auto" (inferred from the monitor's name: "val_accuracy" -> max).
        baseline: a value to beat; epochs that do not beat it count towards `patience`
            even when they beat the previous best.
        restore_best_weights: at the end of training, put back the weights of the best epoch
            seen (whether or not training stopped early, as Keras does).
        start_from_epoch: epochs to ignore before watching (a warm-up).

    Attributes:
        stopped_epoch: the 0-based epoch at which training was stopped (0 if it was not).
        best, best_epoch, wait: the best value so far, its epoch, epochs since an improvement.
        These (and the best weights) go into BackupAndRestore's backup, so a resumed run stops
        at the same epoch as one never interrupted.

    >>> class Model:  # any object with `stop_training` works
    ...     stop_training = False
    >>> stopper = EarlyStopping(monitor="loss", patience=1)
    >>> stopper.set_model(Model())
    >>> stopper.on_train_begin()
    >>> for epoch, loss in enumerate([0.9, 0.5, 0.6, 0.7]):
    ...     stopper.on_epoch_end(epoch, {"loss": loss})
    ...     if stopper.model.stop_training:
    ...         break
    >>> stopper.stopped_epoch  # epoch 2 did not beat 0.5, and patience is 1
    2
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        # Reset, so one instance can serve several `fit` calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0
        self._take_resume_state()

    def get_resume_state(self) -> dict:
        weights = None if self.best_weights is None else [encode_array(w) for w in self.best_weights]
        return {
            "wait": int(self.wait),
            "stopped_epoch": int(self.stopped_epoch),
            "best": plain(self.best),
            "best_epoch": int(self.best_epoch),
            "best_weights": weights,
        }

    def set_resume_state(self, state: dict) -> None:
        self.wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        self.best, self.best_epoch = optional_number(state["best"]), int(state["best_epoch"])
        weights = state["best_weights"]
        self.best_weights = None if weights is None else [decode_array(w) for w in weights]

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Nothing saved yet: the weights of the first watched epoch are the best so far.
            self.best_weights = self._copy_weights()
            self.best_epoch = epoch

        # Keras counts this epoch first, then forgives it if it improved.
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self._copy_weights()
            # Patience restarts only when the value beats the baseline as well as the best.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print_msg(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """`logs[monitor]`, or None with a warning that lists the keys there are."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(logs)}. (A `val_` metric needs validation_data "
                "or validation_split in fit().)",
                stacklevel=2,
            )
        return value

    def _copy_weights(self) -> list:
        # Copies, in case the model hands out views of arrays that training then updates in place.
        return [np.array(w, copy=True) for w in self.model.get_weights()]
