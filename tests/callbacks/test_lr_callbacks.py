"""LearningRateScheduler and ReduceLROnPlateau: the learning rate after every epoch, exactly.

The fake optimizer stores the rate as float32, as Keras's (and neuronio's) Variable does, so
the logged rates are float32 values read back as Python floats.
"""

import numpy as np
import pytest

from neuronio.callbacks import CallbackList, LambdaCallback, LearningRateScheduler, ReduceLROnPlateau
from tests.callbacks.doubles import FakeModel


def f32(x):
    return float(np.float32(x))


def train(callback, epoch_logs, learning_rate=0.1):
    """Run one epoch per logs dict; return (model, the logs that callbacks after it saw)."""
    model = FakeModel(learning_rate=learning_rate)
    ended = []
    # CallbackList hands its own copy of the logs down the list (as Keras does), so the keys a
    # callback adds are seen by the callbacks after it, here the recorder.
    recorder = LambdaCallback(on_epoch_end=lambda epoch, logs: ended.append(dict(logs)))
    callbacks = CallbackList([callback, recorder], model=model, verbose=0, epochs=len(epoch_logs), steps=1)
    callbacks.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end()
    return model, ended


# -- LearningRateScheduler ------------------------------------------------------------------------
def test_scheduler_sets_the_rate_before_each_epoch_and_logs_it():
    seen_at_begin = []

    def schedule(epoch, lr):
        seen_at_begin.append(lr)
        return lr if epoch < 1 else lr * 0.5

    model, logs = train(LearningRateScheduler(schedule), [{"loss": 1.0}] * 3)
    assert seen_at_begin == [f32(0.1), f32(0.1), f32(f32(0.1) * 0.5)]
    assert [entry["learning_rate"] for entry in logs] == [f32(0.1), f32(0.05), f32(0.025)]
    assert model.optimizer.learning_rate == np.float32(0.025)


def test_scheduler_accepts_a_function_of_the_epoch_alone():
    model, logs = train(LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1)), [{}] * 2)
    assert model.optimizer.learning_rate == np.float32(0.05)


def test_a_type_error_inside_the_schedule_is_not_swallowed():
    def broken(epoch, lr):
        return lr * "2"

    with pytest.raises(TypeError, match="can't multiply sequence"):
        train(LearningRateScheduler(broken), [{}])


def test_scheduler_verbose_prints_what_the_schedule_returned(capsys):
    train(LearningRateScheduler(lambda epoch, lr: 0.5 / (epoch + 1), verbose=1), [{}] * 2)
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.5.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.25.\n"
    )


@pytest.mark.parametrize("returned", [np.float64(0.2), np.array(0.2), 1])
def test_scheduler_accepts_numbers_of_any_numeric_kind(returned):
    model, _ = train(LearningRateScheduler(lambda epoch, lr: returned), [{}])
    assert model.optimizer.learning_rate == np.float32(returned)


@pytest.mark.parametrize("returned", [None, "0.1", [0.1]])
def test_scheduler_rejects_non_numbers_with_keras_message(returned):
    with pytest.raises(ValueError, match=r"The output of the `schedule` function should be a float. Got: "):
        train(LearningRateScheduler(lambda epoch, lr: returned), [{}])


def test_scheduler_needs_a_callable():
    with pytest.raises(TypeError, match=r"`schedule` must be a function .*received 0.1"):
        LearningRateScheduler(0.1)


# -- ReduceLROnPlateau ----------------------------------------------------------------------------
def test_plateau_reductions_with_patience_cooldown_and_min_lr(capsys):
    val_loss = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    reducer = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2, min_lr=0.02, min_delta=0, verbose=1)
    model, logs = train(reducer, [{"val_loss": v} for v in val_loss])
    # epoch 2: 2 epochs without improvement -> 0.05, then 2 cooldown epochs: epoch 3 is not
    # counted, epoch 4 (cooldown just ended) is; epoch 5 -> 0.025; epoch 6 improves; epochs 7-8
    # -> 0.0125 floored at min_lr 0.02; from then on the rate is at min_lr and stays.
    expected = [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]
    assert [entry["learning_rate"] for entry in logs] == [f32(x) for x in expected]
    assert model.optimizer.learning_rate == np.float32(0.02)
    assert capsys.readouterr().out == (
        f"\nEpoch 3: ReduceLROnPlateau reducing learning rate to {f32(0.1) * 0.5}.\n"
        f"\nEpoch 6: ReduceLROnPlateau reducing learning rate to {f32(0.05) * 0.5}.\n"
        "\nEpoch 9: ReduceLROnPlateau reducing learning rate to 0.02.\n"
    )


def test_plateau_with_no_cooldown_and_improvements_inside_min_delta():
    # default min_delta 1e-4: 0.99995 is not an improvement on 1.0
    reducer = ReduceLROnPlateau(factor=0.1, patience=1)
    model, logs = train(reducer, [{"val_loss": v} for v in (1.0, 0.99995, 0.5, 0.6, 0.7)])
    assert [entry["learning_rate"] for entry in logs] == [
        f32(x) for x in (0.1, 0.1, f32(0.1) * 0.1, f32(0.1) * 0.1, f32(f32(0.1) * 0.1) * 0.1)
    ]
    assert reducer.best == 0.5


def test_plateau_in_max_mode_for_accuracy():
    reducer = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    model, _ = train(reducer, [{"val_accuracy": a} for a in (0.5, 0.7, 0.6)])
    assert reducer.monitor_op == "max" and model.optimizer.learning_rate == np.float32(0.05)


def test_plateau_missing_monitor_warns_but_still_logs_the_rate():
    with pytest.warns(
        UserWarning,
        match=r"conditioned on metric `val_loss` which is not available. Available metrics are: loss,learning_rate",
    ):
        model, logs = train(ReduceLROnPlateau(patience=0), [{"loss": 1.0}, {"loss": 2.0}])
    assert logs[1]["learning_rate"] == f32(0.1) and model.optimizer.learning_rate == np.float32(0.1)


def test_plateau_state_resets_at_train_begin():
    reducer = ReduceLROnPlateau(patience=1, factor=0.5, cooldown=3)
    train(reducer, [{"val_loss": v} for v in (1.0, 2.0)])
    assert reducer.cooldown_counter == 3
    train(reducer, [{"val_loss": 5.0}])
    assert reducer.best == 5.0 and reducer.cooldown_counter == 0 and reducer.wait == 0


def test_plateau_factor_must_be_below_one():
    with pytest.raises(ValueError, match=r"does not support a factor >= 1.0. Received factor=1.5"):
        ReduceLROnPlateau(factor=1.5)


def test_plateau_keras2_epsilon_is_min_delta_with_a_warning_and_unknown_arguments_fail():
    with pytest.warns(DeprecationWarning, match="`epsilon` is deprecated; use `min_delta`"):
        reducer = ReduceLROnPlateau(epsilon=0.01)
    assert reducer.min_delta == 0.01
    with pytest.raises(TypeError, match=r"unexpected keyword arguments: \['paitence'\]"):
        ReduceLROnPlateau(paitence=3)
