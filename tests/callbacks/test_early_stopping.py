"""EarlyStopping: the epoch it stops at, restored weights, direction inference, warnings."""

import warnings

import numpy as np
import pytest

from neuronio.callbacks import CallbackList, EarlyStopping
from tests.callbacks.doubles import FakeModel


def train(callback, values, monitor="val_loss", model=None):
    """Run epochs with `logs[monitor] = values[epoch]` until the model is told to stop.

    After each epoch the model's weights are set to the epoch number, so restored weights say
    which epoch they came from. Returns (model, epochs run).
    """
    model = model or FakeModel()
    callbacks = CallbackList([callback], model=model, verbose=0, epochs=len(values), steps=1)
    callbacks.on_train_begin()
    epochs_run = 0
    for epoch, value in enumerate(values):
        callbacks.on_epoch_begin(epoch)
        model.weights = [np.full((2, 2), epoch, dtype="float32")]
        callbacks.on_epoch_end(epoch, {"loss": 0.0, monitor: value})
        epochs_run += 1
        if model.stop_training:
            break
    callbacks.on_train_end()
    return model, epochs_run


@pytest.mark.parametrize(
    ("patience", "values", "stopped_epoch"),
    [
        (0, [1.0, 0.8, 0.9, 0.7], 2),  # the first epoch without improvement stops
        (2, [1.0, 0.8, 0.9, 0.85, 0.7], 3),  # two epochs without improvement
        (2, [1.0, 0.8, 0.9, 0.7, 0.75, 0.8], 5),  # the improvement at epoch 3 restarts the count
        (1, [1.0, 1.0, 0.5], 1),  # equal is not better
        (3, [1.0, 0.9, 0.8, 0.7], 0),  # never stopped
    ],
)
def test_stops_after_patience_epochs_without_improvement(patience, values, stopped_epoch):
    stopper = EarlyStopping(patience=patience)
    model, epochs_run = train(stopper, values)
    assert stopper.stopped_epoch == stopped_epoch
    assert model.stop_training is (stopped_epoch > 0)
    assert epochs_run == (stopped_epoch + 1 if stopped_epoch else len(values))


def test_min_delta_sets_how_much_better_counts():
    stopper = EarlyStopping(monitor="loss", min_delta=0.1, patience=1)
    # 0.95 and 0.91 are within 0.1 of 1.0: not improvements
    train(stopper, [1.0, 0.95, 0.91], monitor="loss")
    assert stopper.stopped_epoch == 1 and stopper.best == 1.0


def test_max_mode_inferred_from_accuracy_names():
    for monitor in ("val_accuracy", "val_acc", "accuracy", "val_sparse_categorical_accuracy"):
        stopper = EarlyStopping(monitor=monitor, patience=1)
        train(stopper, [0.5, 0.6, 0.55], monitor=monitor)
        assert (stopper.monitor_op, stopper.stopped_epoch, stopper.best) == ("max", 2, 0.6), monitor


@pytest.mark.parametrize("monitor", ["val_loss", "loss", "val_mse", "val_mean_absolute_error", "dense_1_loss"])
def test_min_mode_inferred_from_loss_and_error_names(monitor):
    stopper = EarlyStopping(monitor=monitor)
    train(stopper, [1.0, 0.5], monitor=monitor)
    assert stopper.monitor_op == "min"


def test_direction_read_from_the_models_metric_when_it_declares_one():
    class Metric:
        name = "dice"
        _direction = "up"

    model = FakeModel()
    model.metrics = [Metric()]
    stopper = EarlyStopping(monitor="val_dice", patience=0)
    train(stopper, [0.1, 0.2, 0.15], monitor="val_dice", model=model)
    assert stopper.monitor_op == "max" and stopper.stopped_epoch == 2


def test_unknown_direction_in_auto_mode_is_keras_error():
    with pytest.raises(ValueError, match=r"monitor=val_dice, but cannot tell .* `mode='max'`"):
        train(EarlyStopping(monitor="val_dice"), [1.0], monitor="val_dice")


def test_explicit_mode_wins_and_an_unknown_mode_falls_back_to_auto_with_a_warning():
    stopper = EarlyStopping(monitor="val_loss", mode="max", patience=0)
    train(stopper, [1.0, 2.0, 1.5])
    assert stopper.stopped_epoch == 2
    with pytest.warns(UserWarning, match="EarlyStopping mode 'maximum' is unknown, fallback to auto mode"):
        stopper = EarlyStopping(mode="maximum")
    assert stopper.mode == "auto"


def test_missing_monitor_warns_with_the_available_keys_and_never_stops():
    stopper = EarlyStopping(monitor="val_loss", patience=0)
    model = FakeModel()
    callbacks = CallbackList([stopper], model=model)
    callbacks.on_train_begin()
    with pytest.warns(UserWarning, match=r"`val_loss` which is not available. Available metrics are: accuracy,loss"):
        for epoch in range(3):
            callbacks.on_epoch_end(epoch, {"loss": 1.0 + epoch, "accuracy": 0.5})
    assert not model.stop_training and stopper.stopped_epoch == 0


def test_restore_best_weights_after_stopping_early(capsys):
    stopper = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    model, _ = train(stopper, [1.0, 0.5, 0.7, 0.8, 0.2])
    assert stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], np.full((2, 2), 1.0))
    assert capsys.readouterr().out == (
        "Epoch 4: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_restore_best_weights_also_when_training_ran_to_the_end(capsys):
    # Keras 3 restores whenever it has best weights, not only after an early stop.
    stopper = EarlyStopping(patience=5, restore_best_weights=True, verbose=1)
    model, epochs_run = train(stopper, [1.0, 0.3, 0.6, 0.9])
    assert epochs_run == 4 and stopper.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], np.full((2, 2), 1.0))
    assert capsys.readouterr().out == "Restoring model weights from the end of the best epoch: 2.\n"


def test_without_restore_the_weights_are_left_alone():
    model, _ = train(EarlyStopping(patience=0), [1.0, 2.0])
    assert not any(call[0] == "set_weights" for call in model.calls)
    np.testing.assert_array_equal(model.weights[0], np.full((2, 2), 1.0))


def test_saved_best_weights_are_copies():
    stopper = EarlyStopping(monitor="loss", restore_best_weights=True)
    model = FakeModel()
    shared = [np.zeros(3, dtype="float32")]
    model.get_weights = lambda: shared  # a model handing out its own arrays
    stopper.set_model(model)
    stopper.on_train_begin()
    stopper.on_epoch_end(0, {"loss": 1.0})
    shared[0] += 5.0  # training updates in place
    assert stopper.best_weights[0].tolist() == [0.0, 0.0, 0.0]


def test_baseline_must_be_beaten_for_patience_to_restart():
    # Each epoch improves on the last but none beats the baseline 0.5, so `wait` keeps
    # growing; it stops at the first epoch that does not improve once wait >= patience.
    stopper = EarlyStopping(baseline=0.5, patience=2)
    train(stopper, [0.9, 0.8, 0.85])
    assert stopper.stopped_epoch == 2
    stopper = EarlyStopping(patience=2)
    train(stopper, [0.9, 0.8, 0.85])  # without a baseline: one epoch without improvement
    assert stopper.stopped_epoch == 0 and stopper.wait == 1


def test_start_from_epoch_ignores_the_warm_up():
    stopper = EarlyStopping(patience=0, start_from_epoch=2)
    train(stopper, [1.0, 2.0, 3.0, 2.5, 2.6])
    # epochs 0-1 are ignored; 3.0 is the first watched value; 2.6 is worse than 2.5
    assert stopper.stopped_epoch == 4 and stopper.best == 2.5


def test_one_instance_can_be_reused():
    stopper = EarlyStopping(patience=0)
    train(stopper, [1.0, 2.0])
    assert stopper.stopped_epoch == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model, epochs_run = train(stopper, [5.0, 4.0, 3.0])
    assert stopper.stopped_epoch == 0 and stopper.best == 3.0 and epochs_run == 3
