"""SwapEMAWeights: evaluate (and optionally checkpoint) with the optimizer's averaged weights."""

from neuronio.callbacks.callback import Callback
from neuronio.optimizers import ema


class SwapEMAWeights(Callback):
    """Swap the model's weights with the optimizer's moving averages (an optimizer built with
    `use_ema=True`) for evaluation and prediction, and swap them back afterwards, as Keras's
    `callbacks.SwapEMAWeights`. The swap is in place: no copy of the model is kept.

    Args:
        swap_on_epoch: also hold the averages in the model from the end of each epoch to the
            start of the next, so that callbacks placed after this one (ModelCheckpoint) see them.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _optimizer(self):
        optimizer = getattr(self.model, "optimizer", None)
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)
        if not getattr(optimizer, "use_ema", False):
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer. Received: "
                f"use_ema={getattr(optimizer, 'use_ema', None)}. Compile with e.g. optimizers.SGD(use_ema=True)."
            )
        return optimizer

    def _swap(self) -> None:
        optimizer = self._optimizer()
        if optimizer.built:  # before the first step there is nothing averaged yet
            ema.swap(optimizer._model_variables_moving_average, optimizer._trainable_variables)

    def _bring_in(self) -> None:
        if not self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = True

    def _take_out(self) -> None:
        if self._ema_weights_in_model:
            self._swap()
            self._ema_weights_in_model = False

    def on_train_begin(self, logs=None):
        self._optimizer()  # fail at once, not at the first evaluation

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._take_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._bring_in()
            if epoch == self.params.get("epochs", 0) - 1:
                # fit ends by copying the averages into the weights: make the averages what the
                # model now holds, so that copy changes nothing.
                optimizer = self._optimizer()
                for variable, average in zip(optimizer._trainable_variables, optimizer._model_variables_moving_average):
                    average.data[...] = variable.data
                self._ema_weights_in_model = False

    def on_test_begin(self, logs=None):
        self._bring_in()

    def on_test_end(self, logs=None):
        self._take_out()

    def on_predict_begin(self, logs=None):
        self._bring_in()

    def on_predict_end(self, logs=None):
        self._take_out()
