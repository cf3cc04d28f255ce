"""CallbackList: calls every hook of several callbacks in order, adding History and the progress
bar when `fit` asks (so it sits above them: they subclass Callback, this module uses them)."""

from collections.abc import Iterable

import numpy as np

from neuronio.callbacks.callback import Callback
from neuronio.callbacks.history import History
from neuronio.callbacks.progbar import ProgbarLogger


class CallbackList(Callback):
    """Calls every hook on each of several callbacks, in order, with one shared logs dict.

    Args:
        callbacks: a Callback, or a (nested) list of them.
        add_history: append a `History` unless one is already in the list.
        add_progbar: append a `ProgbarLogger` (after the History) unless one is already there.
        model: the model every callback is attached to; its `history` attribute is set to the
            History callback.
        **params: the loop's parameters (`verbose`, `epochs`, `steps`), given to each callback.

    Every hook first normalises `logs` as Keras does: keys sorted, nested dicts flattened, and
    scalar values (NumPy scalars, 0-d arrays, tensors) turned into Python floats. The same dict
    then goes to each callback in turn, so a key one callback adds (ReduceLROnPlateau's
    `learning_rate`) is seen by those after it, History and the progress bar included.
    """

    def __init__(self, callbacks=None, add_history: bool = False, add_progbar: bool = False, model=None, **params):
        super().__init__()
        self.callbacks = _flatten(callbacks)
        self._history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        self._progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        # Keras's order: the user's callbacks, then History, then the progress bar (which must
        # come last to print every key the others added to the epoch's logs).
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)
        # A callback that keeps the others' state (BackupAndRestore) is shown the whole list; it
        # is this same list object, so callbacks appended later are seen too.
        for callback in self.callbacks:
            see = getattr(callback, "_see_callbacks", None)
            if see is not None:
                see(self.callbacks)

    def append(self, callback: Callback) -> None:
        """Add one more callback at the end (it gets the current model and params)."""
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        if self.params:
            callback.set_params(self.params)

    def __iter__(self):
        return iter(self.callbacks)

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model) -> None:
        if model is None:
            return
        self.model = model
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    # Epoch and whole-run hooks pass `logs` positionally and batch hooks by keyword, as Keras
    # does, so user hooks written either way (`def on_epoch_end(self, epoch, log={})`) work.
    def _call_each(self, hook: str, logs, *args) -> None:
        logs = _pythonify_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def _call_each_batch(self, hook: str, batch, logs) -> None:
        logs = _pythonify_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        self._call_each_batch("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call_each_batch("on_batch_end", batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_each("on_epoch_begin", logs, epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._call_each("on_epoch_end", logs, epoch)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_each_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_each_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_each_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_each_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_each_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_each_batch("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._call_each("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call_each("on_train_end", logs)

    def on_test_begin(self, logs=None):
        self._call_each("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call_each("on_test_end", logs)

    def on_predict_begin(self, logs=None):
        self._call_each("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call_each("on_predict_end", logs)


def _flatten(callbacks) -> list:
    """A (nested) list of callbacks, or one callback, as a flat new list."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, Iterable):
        raise TypeError(
            f"`callbacks` must be a list of Callback instances; received {callbacks!r} "
            f"(of type {type(callbacks).__name__})."
        )
    flat = []
    for item in callbacks:
        if isinstance(item, (list, tuple)):
            flat.extend(_flatten(item))
        elif isinstance(item, Callback):
            flat.append(item)
        else:
            raise TypeError(
                f"`callbacks` must hold Callback instances; received {item!r} (of type "
                f"{type(item).__name__}). Subclass neuronio.callbacks.Callback, or wrap "
                f"functions in neuronio.callbacks.LambdaCallback."
            )
    return flat


def _pythonify_logs(logs) -> dict:
    """Keras's log normalisation: sorted keys, nested dicts flattened, scalars as Python floats."""
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(_pythonify_logs(value))
        else:
            result[key] = _to_float_if_scalar(value)
    return result


def _to_float_if_scalar(value):
    """`float(value)` for numbers and scalars (NumPy scalars, 0-d arrays, tensors); else as is."""
    if isinstance(value, (str, bytes)):
        return value
    try:
        # np.ndim reads `.ndim` when there is one, so tensors are not copied to ask.
        if np.ndim(value) != 0:
            return value
        return float(value)
    except (TypeError, ValueError):
        return value
