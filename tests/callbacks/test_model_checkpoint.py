"""ModelCheckpoint: which files are written, when, by which model method, and its errors."""

import os

import pytest

from neuronio.callbacks import CallbackList, ModelCheckpoint
from tests.callbacks.doubles import FakeModel


def train(checkpoint, epoch_logs, steps=1):
    """Run len(epoch_logs) epochs of `steps` batches; return the model's save calls."""
    model = FakeModel()
    callbacks = CallbackList([checkpoint], model=model, verbose=0, epochs=len(epoch_logs), steps=steps)
    callbacks.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_begin(epoch)
        for batch in range(steps):
            callbacks.on_train_batch_begin(batch)
            callbacks.on_train_batch_end(batch, {"loss": 1.0})
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end()
    return model.calls


LOGS = [{"loss": 0.9, "val_loss": 0.8}, {"loss": 0.7, "val_loss": 0.85}, {"loss": 0.5, "val_loss": 0.6}]


def test_saves_every_epoch_with_a_1_based_epoch_template(tmp_path):
    calls = train(ModelCheckpoint(tmp_path / "model_{epoch:02d}.keras"), LOGS)
    paths = [str(tmp_path / f"model_{e:02d}.keras") for e in (1, 2, 3)]
    assert calls == [("save", p) for p in paths]
    assert sorted(os.listdir(tmp_path)) == ["model_01.keras", "model_02.keras", "model_03.keras"]


def test_metric_values_fill_the_template(tmp_path):
    calls = train(ModelCheckpoint(str(tmp_path / "m-{epoch}-{val_loss:.2f}-{loss:.3f}.keras")), LOGS)
    assert [os.path.basename(path) for _, path in calls] == [
        "m-1-0.80-0.900.keras",
        "m-2-0.85-0.700.keras",
        "m-3-0.60-0.500.keras",
    ]


def test_save_best_only_saves_improvements_of_the_monitor(tmp_path):
    path = str(tmp_path / "best.keras")
    calls = train(ModelCheckpoint(path, save_best_only=True), LOGS)
    assert calls == [("save", path), ("save", path)]  # epochs 1 and 3: 0.8, then 0.6


def test_save_best_only_in_max_mode_and_with_an_initial_threshold(tmp_path):
    logs = [{"val_accuracy": a} for a in (0.7, 0.9, 0.8, 0.95)]
    template = str(tmp_path / "acc_{epoch}.keras")
    calls = train(ModelCheckpoint(template, monitor="val_accuracy", save_best_only=True), logs)
    assert [os.path.basename(p) for _, p in calls] == ["acc_1.keras", "acc_2.keras", "acc_4.keras"]
    checkpoint = ModelCheckpoint(template, monitor="val_accuracy", save_best_only=True, initial_value_threshold=0.92)
    calls = train(checkpoint, logs)
    assert [os.path.basename(p) for _, p in calls] == ["acc_4.keras"]


def test_save_weights_only_calls_save_weights(tmp_path):
    calls = train(ModelCheckpoint(tmp_path / "w_{epoch}.weights.h5", save_weights_only=True), LOGS[:2])
    assert calls == [
        ("save_weights", str(tmp_path / "w_1.weights.h5")),
        ("save_weights", str(tmp_path / "w_2.weights.h5")),
    ]


def test_missing_folders_are_created(tmp_path):
    calls = train(ModelCheckpoint(tmp_path / "runs" / "{epoch}" / "model.keras"), LOGS[:1])
    assert calls == [("save", str(tmp_path / "runs" / "1" / "model.keras"))]
    assert (tmp_path / "runs" / "1" / "model.keras").is_file()


def test_save_freq_counts_batches_across_epochs(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "e{epoch}_b{batch}.keras"), save_freq=4)
    calls = train(checkpoint, LOGS, steps=3)  # 9 batches: saves after batches 4 and 8
    assert [os.path.basename(p) for _, p in calls] == ["e2_b1.keras", "e3_b2.keras"]


def test_verbose_messages(tmp_path, capsys):
    path = str(tmp_path / "best.keras")
    train(ModelCheckpoint(path, save_best_only=True, verbose=1), LOGS[:2])
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from None to 0.80000, saving model to {path}\n"
        f"\nEpoch 1: finished saving model to {path}\n"
        "\nEpoch 2: val_loss did not improve from 0.80000\n"
    )
    train(ModelCheckpoint(path, verbose=1), LOGS[:1])
    assert capsys.readouterr().out == (
        f"\nEpoch 1: saving model to {path}\n\nEpoch 1: finished saving model to {path}\n"
    )


def test_save_best_only_without_the_monitor_warns_and_saves(tmp_path):
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        calls = train(ModelCheckpoint(tmp_path / "m.keras", save_best_only=True), [{"loss": 1.0}])
    assert len(calls) == 1


def test_a_template_key_missing_from_the_logs_is_a_clear_key_error(tmp_path):
    with pytest.raises(KeyError, match=r"no `val_acc` in the logs. Available keys: epoch, loss, val_loss"):
        train(ModelCheckpoint(tmp_path / "m_{val_acc:.2f}.keras"), LOGS[:1])


@pytest.mark.parametrize(
    ("filepath", "weights_only", "message"),
    [
        ("model.h5", False, r"must end in `.keras` .*Received: filepath=model.h5"),
        ("model", False, r"must end in `.keras`"),
        ("model.keras", True, r"`save_weights_only=True`.* must end in `.weights.h5`.*filepath=model.keras"),
        ("weights.h5", True, r"must end in `.weights.h5`"),
    ],
)
def test_wrong_suffixes_are_keras_errors(filepath, weights_only, message):
    with pytest.raises(ValueError, match=message):
        ModelCheckpoint(filepath, save_weights_only=weights_only)


@pytest.mark.parametrize("save_freq", ["batch", 0, -3, 2.5, True])
def test_bad_save_freq(save_freq):
    with pytest.raises(ValueError, match=r"unrecognized save_freq: .*Expected 'epoch' or a positive integer"):
        ModelCheckpoint("m.keras", save_freq=save_freq)


def test_an_existing_directory_as_filepath_is_an_error(tmp_path):
    (tmp_path / "taken.keras").mkdir()
    with pytest.raises(IsADirectoryError, match="existing directory"):
        train(ModelCheckpoint(tmp_path / "taken.keras"), LOGS[:1])
