"""LambdaCallback: a callback made of plain functions, for one-off hooks."""

from neuronio.callbacks.callback import Callback

_HOOKS = tuple(sorted(name for name in vars(Callback) if name.startswith("on_")))


class LambdaCallback(Callback):
    """Build a callback from functions, one per hook.

    Args:
        on_epoch_begin, on_epoch_end: called as `f(epoch, logs)`.
        on_train_begin, on_train_end: called as `f(logs)`.
        on_train_batch_begin, on_train_batch_end: called as `f(batch, logs=logs)`.
        **kwargs: any other hook by name (`on_test_end=...`, `on_batch_end=...`), called with
            that hook's arguments.

    >>> losses = []
    >>> record = LambdaCallback(on_epoch_end=lambda epoch, logs: losses.append(logs["loss"]))
    >>> record.on_epoch_end(0, {"loss": 0.25}); losses
    [0.25]
    """

    def __init__(
        self,
        on_epoch_begin=None,
        on_epoch_end=None,
        on_train_begin=None,
        on_train_end=None,
        on_train_batch_begin=None,
        on_train_batch_end=None,
        **kwargs,
    ):
        super().__init__()
        unknown = sorted(set(kwargs) - set(_HOOKS))
        if unknown:
            raise TypeError(f"LambdaCallback got unknown hook names {unknown}. Valid names: {', '.join(_HOOKS)}.")
        functions = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
            **kwargs,
        }
        for hook, function in functions.items():
            if function is not None:
                # An instance attribute shadows the method, so the loop calls `function` directly.
                setattr(self, hook, function)
