"""History: the per-epoch record that `fit` returns."""

from neuronio.callbacks.callback import Callback


class History(Callback):
    """Records each epoch's logs; `fit` adds one to every run and returns it.

    Attributes:
        history: dict from log key to the list of its values, one per epoch
            (`{"loss": [0.31, 0.12], "accuracy": [...], "val_loss": [...], ...}`).
        epoch: the 0-based indices of the recorded epochs (they start at `initial_epoch`).
        params: the loop's parameters, e.g. `{"verbose": 1, "epochs": 2, "steps": 469}`.
        model: the model; its `history` attribute points back at this object.

    >>> h = History()
    >>> h.on_train_begin()
    >>> h.on_epoch_end(0, {"loss": 0.5}); h.on_epoch_end(1, {"loss": 0.25})
    >>> h.history, h.epoch
    ({'loss': [0.5, 0.25]}, [0, 1])
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        # As in Keras, only `epoch` restarts; `history` keeps growing if the object is reused.
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        # Re-pointed after every epoch, so `model.history` is the latest run's even if another
        # History object was attached in between (Keras does the same).
        if self.model is not None:
            self.model.history = self
