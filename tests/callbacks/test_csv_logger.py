"""CSVLogger: the file's exact bytes, as Keras 3 writes them."""

import numpy as np

from neuronio.callbacks import CallbackList, CSVLogger
from tests.callbacks.doubles import FakeModel


def train(logger, epoch_logs, after_epoch=None):
    callbacks = CallbackList([logger], model=FakeModel(), verbose=0, epochs=len(epoch_logs), steps=1)
    callbacks.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, logs)
        if after_epoch:
            after_epoch(epoch)
    callbacks.on_train_end()


def read(path):
    with open(path, newline="") as f:
        return f.read()


def test_header_sorted_keys_and_rows_with_validation(tmp_path):
    path = tmp_path / "log.csv"
    train(
        CSVLogger(path),
        [
            {"loss": 0.8567220568656921, "accuracy": 0.5, "val_loss": 0.75, "val_accuracy": 0.6000000238418579},
            {"loss": 0.5, "accuracy": 0.625, "val_loss": 0.5, "val_accuracy": 0.75},
        ],
    )
    assert read(path) == (
        "epoch,accuracy,loss,val_accuracy,val_loss\r\n"
        "0,0.5,0.8567220568656921,0.6000000238418579,0.75\r\n"
        "1,0.625,0.5,0.75,0.5\r\n"
    )


def test_without_validation_keras_adds_val_columns_filled_with_na(tmp_path):
    path = tmp_path / "log.csv"
    train(CSVLogger(path), [{"loss": 0.5, "acc": np.float32(0.25)}, {"loss": 0.25, "acc": 0.5}])
    assert read(path) == ("epoch,acc,loss,val_acc,val_loss\r\n0,0.25,0.5,NA,NA\r\n1,0.5,0.25,NA,NA\r\n")


def test_columns_are_fixed_by_the_first_epoch(tmp_path):
    path = tmp_path / "log.csv"
    train(CSVLogger(path), [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5, "learning_rate": 0.1}])
    assert read(path) == "epoch,loss,val_loss\r\n0,1.0,2.0\r\n1,0.5,1.5\r\n"


def test_separator(tmp_path):
    path = tmp_path / "log.tsv"
    train(CSVLogger(path, separator="\t"), [{"loss": 1.0, "val_loss": 2.0}])
    assert read(path) == "epoch\tloss\tval_loss\r\n0\t1.0\t2.0\r\n"


def test_append_continues_the_file_without_a_second_header(tmp_path):
    path = tmp_path / "log.csv"
    train(CSVLogger(path), [{"loss": 1.0, "val_loss": 2.0}])
    train(CSVLogger(path, append=True), [{"loss": 0.5, "val_loss": 1.5}])
    assert read(path) == "epoch,loss,val_loss\r\n0,1.0,2.0\r\n0,0.5,1.5\r\n"


def test_append_to_a_missing_or_empty_file_writes_the_header(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("")
    train(CSVLogger(path, append=True), [{"loss": 1.0, "val_loss": 2.0}])
    assert read(path) == "epoch,loss,val_loss\r\n0,1.0,2.0\r\n"


def test_without_append_the_file_is_overwritten(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("old contents\n")
    train(CSVLogger(path), [{"loss": 1.0, "val_loss": 2.0}])
    assert read(path) == "epoch,loss,val_loss\r\n0,1.0,2.0\r\n"


def test_each_epoch_is_flushed_so_the_file_can_be_read_during_training(tmp_path):
    path = tmp_path / "log.csv"
    snapshots = []
    train(
        CSVLogger(path),
        [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.0}],
        after_epoch=lambda epoch: snapshots.append(read(path)),
    )
    assert snapshots == ["epoch,loss,val_loss\r\n0,1.0,2.0\r\n", "epoch,loss,val_loss\r\n0,1.0,2.0\r\n1,0.5,1.0\r\n"]


def test_strings_and_sequences_are_written_as_keras_writes_them(tmp_path):
    path = tmp_path / "log.csv"
    train(CSVLogger(path), [{"val_note": "ok", "val_per_class": np.array([0.5, 0.25])}])
    # Keras turns a sequence into '"[0.5, 0.25]"' (with its own quotes), which the csv module
    # then quotes again because it contains a comma and quote characters.
    assert read(path) == 'epoch,val_note,val_per_class\r\n0,ok,"""[0.5, 0.25]"""\r\n'


def test_the_file_is_closed_at_train_end(tmp_path):
    logger = CSVLogger(tmp_path / "log.csv")
    train(logger, [{"loss": 1.0}])
    assert logger.csv_file.closed and logger.writer is None
