"""BackupAndRestore: survive a killed training run and resume where it stopped."""

import json
import math
import os
import warnings

import numpy as np

from neuronio import config
from neuronio.callbacks.callback import Callback
from neuronio.errors import FileFormatError
from neuronio.saving import guard, keras_archive
from neuronio.saving.h5_store import saveables

_STATE_ATTR = "training_metadata"


class BackupAndRestore(Callback):
    """Back up the training state after every epoch; a new `fit` with the same command restores
    it and continues from the first epoch that had not finished.

    The backup is one file, `<backup_dir>/latest.weights.h5`: the weights and the optimizer's
    state in Keras's layout, with the training state as an attribute of the HDF5 root (next epoch,
    the random generators' states, and the History so far). It is replaced by one atomic rename,
    so a kill at any moment leaves either the previous backup or the new one, never a mix.

    Resuming is exact with the default `save_freq="epoch"`: with a fixed seed
    (`neuronio.utils.set_random_seed`), a run killed at any point and started again ends with the
    same weights and the same `History.history` (every epoch, the restored ones included) as a run
    never interrupted. With an integer `save_freq` the backup is also written every that many
    batches and, as in Keras, a resumed run restarts the interrupted epoch from those weights.

    The state of the other callbacks goes into the backup too: every callback with
    `get_resume_state`/`set_resume_state` (ReduceLROnPlateau, EarlyStopping, ModelCheckpoint,
    CSVLogger; see callbacks/_resumable.py) gets back, on resume, its counters, best values and
    (CSVLogger) the file as it stood, so the resumed run makes the same decisions at the same
    epochs. LearningRateScheduler keeps no state of its own (the rate is in the optimizer's).

    Put it first in `callbacks`: the state is captured when the next epoch begins, after every
    callback has finished the last epoch and before any (listed after it) starts the next, and it
    is handed back before the others' `on_train_begin` runs.

    The backup carries a SHA-256 checksum (saving/guard.py): a backup damaged on disk is refused
    before it is parsed, and with `double_checkpoint` the previous one is used instead.

    Args:
        backup_dir: folder for the backup; give each training run its own.
        save_freq: "epoch", or an int: also back up every that many training batches.
        double_checkpoint: keep the previous backup as `latest.weights.h5.bkp` and fall back to it
            if the latest cannot be read.
        delete_checkpoint: delete the backup files when `fit` finishes.

    Differences from Keras: an epoch's backup is written when the next epoch begins, after every
    other callback has finished that epoch (Keras writes it in its own `on_epoch_end`, so a kill
    can lose what the callbacks after it did); the History is restored too (Keras's resumed
    History holds only the epochs run after the restart); an epoch whose loss is NaN or infinite
    is not backed up, so the last good state survives; and `on_train_end` deletes only the files
    it wrote (Keras removes the whole `backup_dir`).

    >>> BackupAndRestore(backup_dir="/tmp/backup").save_freq
    'epoch'
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False, delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: `backup_dir` is empty; give the folder to keep the backup in.")
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer)) or save_freq < 1
        ):
            raise ValueError(
                f"BackupAndRestore: invalid save_freq={save_freq!r}. Expected 'epoch' or a positive int "
                f"(back up every that many batches)."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_seen_since_last_saving = 0
        self._epochs: list[int] = []  # every finished epoch, the restored ones included
        self._records: dict[str, list] = {}  # the restored History
        self._epoch_logs: list[dict] = []  # this run's epoch logs (the dicts History records too)
        self._restored_epochs: list[int] | None = None
        self._pending = False  # an epoch has ended that is not backed up yet
        self._callbacks: list = []  # the fit's whole CallbackList, this one included

    def _see_callbacks(self, callbacks: list) -> None:
        self._callbacks = callbacks

    def _resumables(self) -> dict[str, object]:
        """The callbacks whose state the backup keeps, keyed by position and class."""
        found, index = {}, 0
        for callback in self._callbacks:
            if callback is self or not callable(getattr(callback, "get_resume_state", None)):
                continue
            found[f"{index}:{type(callback).__name__}"] = callback
            index += 1
        return found

    # -- restoring --------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._epochs, self._records, self._epoch_logs = [], {}, []
        self._restored_epochs, self._pending = None, False
        if not self.model.built:
            raise ValueError(
                f"BackupAndRestore: model '{self.model.name}' is not built, so a backup cannot be "
                f"restored into it. Give it an Input (or call it on a batch) before fit()."
            )
        candidates = (self._weights_path, self._prev_weights_path) if self.double_checkpoint else (self._weights_path,)
        for path in candidates:
            if not os.path.exists(path):
                continue
            try:
                self._restore(path)
                return
            except FileFormatError as exc:
                if not (
                    self.double_checkpoint and path == self._weights_path and os.path.exists(self._prev_weights_path)
                ):
                    raise
                warnings.warn(f"BackupAndRestore: {exc} Falling back to the previous backup.", stacklevel=2)

    def _restore(self, path: str) -> None:
        state = _read_state(path)
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_weights)
        keras_archive.load_weights_h5(self.model, path, trusted=True)
        _set_generator_states(self.model, state["generators"])
        self._restore_callbacks(state.get("callbacks", {}), path)
        self._current_epoch = int(state["epoch"])
        self._epochs = list(state["history_epochs"])
        self._records = {key: list(values) for key, values in state["history"].items()}
        history = getattr(self.model, "history", None)
        if history is not None and isinstance(getattr(history, "history", None), dict):
            history.history.clear()
            history.history.update({key: list(values) for key, values in self._records.items()})
            self._restored_epochs = list(self._epochs)
        self.model._initial_epoch = self._current_epoch

    def _restore_callbacks(self, states: dict, path: str) -> None:
        if not isinstance(states, dict):
            raise FileFormatError(f"{path}: damaged training state ('callbacks' is not a mapping).")
        resumables = self._resumables()
        me = next((i for i, cb in enumerate(self._callbacks) if cb is self), 0)
        for key, callback in resumables.items():
            if key not in states:
                warnings.warn(
                    f"BackupAndRestore: the backup holds no state for callback {key.split(':')[1]} (it was "
                    f"not in the interrupted run's list); it starts afresh.",
                    stacklevel=3,
                )
                continue
            if self._callbacks.index(callback) < me:
                warnings.warn(
                    f"BackupAndRestore: {type(callback).__name__} is listed before BackupAndRestore, so its "
                    f"on_train_begin has already run; put BackupAndRestore first for an exact resume.",
                    stacklevel=3,
                )
                setter = callback.set_resume_state
            else:
                setter = getattr(callback, "_queue_resume_state", callback.set_resume_state)
            try:
                setter(states[key])
            except (ValueError, TypeError, KeyError) as exc:
                raise FileFormatError(
                    f"{path}: damaged state for callback {key} ({type(exc).__name__}: {exc})."
                ) from exc

    def on_epoch_begin(self, epoch, logs=None):
        self._put_back_history_epochs()
        if self._pending:
            self._save()

    def _put_back_history_epochs(self) -> None:
        # History.on_train_begin (which runs after ours) empties its `epoch` list; refill it once.
        if self._restored_epochs is not None:
            history = self.model.history
            history.epoch[:0] = [e for e in self._restored_epochs if e not in history.epoch]
            self._restored_epochs = None

    # -- backing up -------------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        # The backup of an epoch is written when the next one begins (or when fit ends): by then
        # every other callback has finished this epoch (ModelCheckpoint has saved, ReduceLROnPlateau
        # has lowered the rate and added `learning_rate` to these same logs), so a run resumed from
        # it repeats none of their work and misses none of it.
        logs = logs if logs is not None else {}
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        self._epochs.append(epoch)
        self._epoch_logs.append(logs)
        loss = logs.get("loss")
        if isinstance(loss, (int, float)) and not math.isfinite(loss):
            warnings.warn(
                f"BackupAndRestore: epoch {epoch + 1} ended with loss={loss}; keeping the backup of the "
                f"last epoch with a finite loss.",
                stacklevel=2,
            )
            self._pending = False
            return
        self._pending = self.save_freq == "epoch"

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        if batch <= self._last_batch_seen:  # a new epoch restarted the 0-based batch index
            self._batches_seen_since_last_saving += batch + 1
        else:
            self._batches_seen_since_last_saving += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save()

    def _save(self) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            with open(self._weights_path, "rb") as f:
                previous = f.read()
            try:  # a backup damaged on disk since it was written must not replace a good previous one
                guard.verify(previous, self._weights_path)
            except FileFormatError as exc:
                warnings.warn(f"BackupAndRestore: {exc} Keeping the previous backup as it is.", stacklevel=3)
            else:
                keras_archive.atomic_write(self._prev_weights_path, lambda out: out.write(previous))
        history = {key: list(values) for key, values in self._records.items()}
        for logs in self._epoch_logs:
            for key, value in logs.items():
                history.setdefault(key, []).append(value)
        state = {
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
            "generators": _generator_states(self.model),
            "history_epochs": self._epochs,
            "history": history,
            "callbacks": {key: callback.get_resume_state() for key, callback in self._resumables().items()},
        }
        keras_archive.save_weights(self.model, self._weights_path, attrs={_STATE_ATTR: json.dumps(state)})
        self._pending = False

    def on_train_end(self, logs=None):
        self._put_back_history_epochs()
        if not self.delete_checkpoint:
            if self._pending:
                self._save()
            return
        for path in (self._weights_path, self._prev_weights_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)  # only if empty: the folder may hold the user's other files
        except OSError:
            pass


def _read_state(path: str) -> dict:
    """The training state stored in a backup, checked before anything is restored."""
    attrs = keras_archive.read_root_attrs(path, trusted=True)
    if _STATE_ATTR not in attrs:
        raise FileFormatError(f"{path}: not a BackupAndRestore backup (no '{_STATE_ATTR}' attribute).")
    try:
        state = json.loads(attrs[_STATE_ATTR])
        epoch = int(state["epoch"])
        dict(state["generators"])
        epochs = [int(e) for e in state["history_epochs"]]
        dict(state["history"])
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise FileFormatError(f"{path}: damaged training state ({type(exc).__name__}: {exc}).") from exc
    if epoch < 0 or any(e < 0 or e >= epoch for e in epochs):
        raise FileFormatError(
            f"{path}: damaged training state: next epoch {epoch} with finished epochs {epochs[:10]}; "
            f"an epoch count cannot be negative, and every finished epoch comes before the next."
        )
    return state


def _generators(model) -> dict[str, np.random.Generator]:
    """Every random generator training draws from: the global one and any a layer owns (Dropout(seed=...))."""
    found = {"global": config.rng()}
    for path, layer in saveables(model):
        for attr, value in vars(layer).items():
            if isinstance(value, np.random.Generator):
                found[f"{path or 'model'}:{attr}"] = value
    return found


def _generator_states(model) -> dict:
    return {key: generator.bit_generator.state for key, generator in _generators(model).items()}


def _set_generator_states(model, states: dict) -> None:
    for key, generator in _generators(model).items():
        if key in states:
            try:
                generator.bit_generator.state = states[key]
            except (ValueError, TypeError, KeyError) as exc:
                raise FileFormatError(
                    f"BackupAndRestore: the saved state of generator '{key}' is damaged ({exc})."
                ) from exc
