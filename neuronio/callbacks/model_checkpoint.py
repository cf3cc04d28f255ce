"""ModelCheckpoint: save the model (or its weights) during training."""

import os
import warnings

import numpy as np

from neuronio.callbacks._monitor import MonitorCallback
from neuronio.callbacks._resumable import Resumable, optional_number, plain
from neuronio.callbacks.callback import _print_msg


class ModelCheckpoint(Resumable, MonitorCallback):
    """Save the model after every epoch (or every `save_freq` batches), or only when it improves.

    Args:
        filepath: where to save; a template filled with the 1-based epoch and the logs, e.g.
            "ckpt/model_{epoch:02d}_{val_loss:.2f}.keras" (and `{batch}` when saving by batch).
            Must end in ".keras", or in ".weights.h5" with `save_weights_only=True`.
            Missing folders are created.
        monitor: the log key `save_best_only` compares.
        verbose: 1 prints a line for each save decision.
        save_best_only: save only when `monitor` improves on the best value so far.
        save_weights_only: call `model.save_weights` instead of `model.save`.
        mode: "min", "max", or "auto" (inferred from the monitor's name).
        save_freq: "epoch", or an int: save every that many training batches.
        initial_value_threshold: the value the first save must beat (with `save_best_only`).

    Saves call `model.save(path, overwrite=True)` or `model.save_weights(path, overwrite=True)`.
    The best value so far and the batch count go into BackupAndRestore's backup, so a resumed
    run with `save_best_only` compares with the same best as one never interrupted.
    """

    def __init__(
        self,
        filepath,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        _check_save_freq(save_freq)
        _check_suffix(self.filepath, save_weights_only)

    def on_train_begin(self, logs=None):
        self._take_resume_state()

    def get_resume_state(self) -> dict:
        return {
            "best": plain(self.best),
            "batches_seen_since_last_saving": int(self._batches_seen_since_last_saving),
            "last_batch_seen": self._last_batch_seen,
        }

    def set_resume_state(self, state: dict) -> None:
        self.best = optional_number(state["best"])
        self._batches_seen_since_last_saving = int(state["batches_seen_since_last_saving"])
        last = state["last_batch_seen"]
        self._last_batch_seen = None if last is None else int(last)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch) -> bool:
        """Count batches across epochs; True every `save_freq` of them."""
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            seen = batch + 1  # a new epoch restarted the 0-based batch index
        else:
            seen = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _save_model(self, epoch, batch, logs) -> None:
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "ModelCheckpoint: the filepath is an existing directory: "
                f"{filepath}. Give a file path, e.g. {os.path.join(filepath, 'model.keras')}."
            )
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            _print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _should_save_model(self, epoch, logs, filepath) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                _print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=2)
            return True
        if np.ndim(current) > 0:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: {current}. "
                "Falling back to `save_best_only=False`.",
                stacklevel=2,
            )
            return True
        best_text = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                _print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_text} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            _print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_text}")
        return False

    def _get_file_path(self, epoch, batch, logs) -> str:
        """Fill the template: `epoch` and `batch` 1-based, then every log key by name."""
        fields = {"epoch": epoch + 1}
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**{**logs, **fields})
        except KeyError as exc:
            raise KeyError(
                f'ModelCheckpoint: failed to format the filepath "{self.filepath}": there is no '
                f"`{exc.args[0]}` in the logs. Available keys: epoch, {', '.join(logs) or '(none)'}"
                f"{', batch' if 'batch' in fields else ''}. A `val_` key needs validation data in fit()."
            ) from None


def _check_save_freq(save_freq) -> None:
    if save_freq == "epoch":
        return
    if isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer)) or save_freq < 1:
        raise ValueError(
            f"ModelCheckpoint: unrecognized save_freq: {save_freq!r}. Expected 'epoch' or a "
            "positive integer (save every that many batches)."
        )


def _check_suffix(filepath: str, save_weights_only: bool) -> None:
    """Keras 3's rule: full models go to `.keras` archives, weights alone to `.weights.h5`."""
    if save_weights_only:
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath provided "
                f"must end in `.weights.h5` (Keras weights format). Received: filepath={filepath}. "
                "For example: 'checkpoints/epoch_{epoch:02d}.weights.h5'."
            )
    elif not filepath.endswith(".keras"):
        # Keras also takes legacy `.h5` full-model files here; neuronio writes only `.keras`
        # archives, so that name fails now rather than at the end of the first epoch.
        raise ValueError(
            "The filepath provided must end in `.keras` (Keras model format). Received: "
            f"filepath={filepath}. Use e.g. 'best_model.keras', or pass save_weights_only=True "
            "with a name ending in `.weights.h5`."
        )
