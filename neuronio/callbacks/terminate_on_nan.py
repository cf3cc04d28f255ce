"""TerminateOnNaN: stop training as soon as a batch's loss is NaN or infinite."""

import math

from neuronio.callbacks.callback import Callback, _print_msg


class TerminateOnNaN(Callback):
    """Stop `fit` when a training batch's loss is NaN or infinite.

    Args:
        raise_error: False stops gracefully (prints "Batch 3: Invalid loss, terminating
            training" and sets `model.stop_training`, so the other callbacks' `on_train_end`
            still run); True raises RuntimeError at once.

    >>> class Model:
    ...     stop_training = False
    >>> guard = TerminateOnNaN()
    >>> guard.set_model(Model())
    >>> guard.on_train_batch_end(3, {"loss": float("nan")})
    Batch 3: Invalid loss, terminating training
    >>> guard.model.stop_training
    True
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        # The Keras 2 hook, which on_train_batch_end calls (Keras 3 checks here too).
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. Terminating training immediately."
            )
        _print_msg(f"Batch {batch}: Invalid loss, terminating training")
        self.model.stop_training = True
