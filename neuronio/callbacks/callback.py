"""Callback, the base of every training hook (CallbackList, in callback_list.py, calls many at once).

The training loop (`fit`, `evaluate`, `predict`) talks to callbacks only through a CallbackList,
in this order (Keras 3's):

    on_train_begin
      on_epoch_begin(epoch)
        on_train_batch_begin(batch) / on_train_batch_end(batch, logs)     for each batch
        on_test_begin ... on_test_end(logs)                               validation, if any
      on_epoch_end(epoch, logs)                                           logs hold val_ keys
    on_train_end(logs)

`evaluate` calls the on_test_* hooks and `predict` the on_predict_* hooks the same way.
A callback reaches the model only through `self.model` (set by `set_model`), so this package
never imports `neuronio.models`.
"""

import logging
import sys

from neuronio import config


class Callback:
    """Base class of callbacks: override the hooks you need; every hook does nothing by default.

    Attributes:
        model: the model being trained, evaluated or used to predict (set by `set_model`).
        params: dict of the loop's parameters, e.g. `{"verbose": 1, "epochs": 10, "steps": 469}`.

    Batch hooks receive the batch index within the epoch and the running logs; epoch hooks the
    0-based epoch index and, at the end, the epoch's logs (`{"accuracy": 0.98, "loss": 0.06,
    "val_accuracy": ..., "val_loss": ...}`). `on_batch_begin`/`on_batch_end` are the Keras 2
    names of the training-batch hooks and are still called by them.

    >>> class LossHistory(Callback):
    ...     def on_train_begin(self, logs=None):
    ...         self.losses = []
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         self.losses.append(logs.get("loss"))
    >>> cb = LossHistory()
    >>> cb.on_train_begin(); cb.on_epoch_end(0, {"loss": 0.5}); cb.losses
    [0.5]
    """

    # Class-level defaults keep a subclass working even if its __init__ skips super().__init__().
    model = None
    params = None

    def __init__(self):
        self.model = None
        self.params = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self.model = model

    # -- Keras 2 aliases of the training-batch hooks --------------------------------------------
    def on_batch_begin(self, batch, logs=None):
        """Keras 2 name of `on_train_batch_begin`, which calls it."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2 name of `on_train_batch_end`, which calls it."""

    # -- epochs ---------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        """At the start of epoch `epoch` (0-based) of `fit`."""

    def on_epoch_end(self, epoch, logs=None):
        """At the end of an epoch of `fit`; `logs` has the epoch's metrics, `val_`-prefixed too."""

    # -- batches --------------------------------------------------------------------------------
    def on_train_batch_begin(self, batch, logs=None):
        """Before training batch `batch` of the epoch."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """After training batch `batch`; `logs` has the metrics averaged over the epoch so far."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Before a batch of `evaluate`, or of validation inside `fit`."""

    def on_test_batch_end(self, batch, logs=None):
        """After a batch of `evaluate` or validation; `logs` has the running metrics."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Before a batch of `predict`."""

    def on_predict_batch_end(self, batch, logs=None):
        """After a batch of `predict`; `logs` is `{"outputs": batch_outputs}`."""

    # -- whole runs -----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        """At the start of `fit`."""

    def on_train_end(self, logs=None):
        """At the end of `fit`; `logs` are the last epoch's logs."""

    def on_test_begin(self, logs=None):
        """At the start of `evaluate` or of a validation run."""

    def on_test_end(self, logs=None):
        """At the end of `evaluate` or of a validation run; `logs` has the final metrics."""

    def on_predict_begin(self, logs=None):
        """At the start of `predict`."""

    def on_predict_end(self, logs=None):
        """At the end of `predict`."""


def _print_msg(message: str, line_break: bool = True) -> None:
    """Write to the *current* sys.stdout (so pytest's capsys sees it) and flush, as Keras does.

    With `utils.disable_interactive_logging()`, the message goes to the "neuronio" logger at INFO
    level instead (Keras sends it to absl's or Python's logging), one record per message."""
    if not config.is_interactive_logging_enabled():
        text = message.rstrip("\n")
        if text:
            logging.getLogger("neuronio").info(text)
        return
    if sys.stdout is None:  # pythonw and some services run without a console
        return
    text = f"{message}\n" if line_break else message
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        # A console that cannot encode the bar character gets Keras 2's '=' instead.
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        text = text.replace("━", "=").encode(encoding, errors="replace").decode(encoding)
        sys.stdout.write(text)
    sys.stdout.flush()
