"""TerminateOnNaN: stops (or raises) on the first NaN/inf batch loss, with Keras's message."""

import numpy as np
import pytest

from neuronio.callbacks import CallbackList, TerminateOnNaN
from tests.callbacks.doubles import FakeModel


def run_batches(callback, losses):
    """Train batches until the model is told to stop; return (model, batches run)."""
    model = FakeModel()
    callbacks = CallbackList([callback], model=model, verbose=0, epochs=1, steps=len(losses))
    callbacks.on_train_begin()
    callbacks.on_epoch_begin(0)
    run = 0
    for batch, loss in enumerate(losses):
        callbacks.on_train_batch_begin(batch)
        callbacks.on_train_batch_end(batch, {"loss": loss})
        run += 1
        if model.stop_training:
            break
    return model, run


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -np.inf, np.float32("nan")])
def test_stops_at_the_first_invalid_loss(bad, capsys):
    model, run = run_batches(TerminateOnNaN(), [1.0, 0.5, bad, 0.25])
    assert model.stop_training and run == 3
    assert capsys.readouterr().out == "Batch 2: Invalid loss, terminating training\n"


def test_finite_losses_and_missing_loss_do_nothing(capsys):
    model, run = run_batches(TerminateOnNaN(), [1.0, 1e30, 0.0])
    assert not model.stop_training and run == 3
    callback = TerminateOnNaN()
    callback.set_model(model)
    callback.on_train_batch_end(0, {"accuracy": float("nan")})
    callback.on_train_batch_end(1, None)
    assert not model.stop_training and capsys.readouterr().out == ""


def test_raise_error_raises_at_once():
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch 1. Loss value: nan. Terminating"):
        run_batches(TerminateOnNaN(raise_error=True), [1.0, float("nan")])


def test_validation_batches_are_not_checked():
    model = FakeModel()
    callbacks = CallbackList([TerminateOnNaN()], model=model)
    callbacks.on_test_batch_end(0, {"loss": float("nan")})
    assert not model.stop_training
