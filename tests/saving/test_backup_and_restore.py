"""BackupAndRestore in one process: an interrupted fit, started again, resumes exactly.
(tests/e2e/test_kill_resume.py does the same with real SIGKILLs.)"""

import json

import h5py
import numpy as np
import pytest

from neuronio import callbacks, layers, optimizers
from neuronio.errors import FileFormatError
from neuronio.models import Sequential
from neuronio.utils import set_random_seed


class Interrupt(callbacks.Callback):
    """Raises at the start of `epoch` (Keras's docstring example), or after `batch` of it."""

    def __init__(self, epoch, batch=None):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch
        if epoch == self.epoch and self.batch is None:
            raise RuntimeError("Interrupting!")

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise RuntimeError("Interrupting!")


def data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((60, 5)).astype(np.float32)
    return x, (x[:, 0] + x[:, 1] > 0).astype(np.int64)


def model(seed=11):
    set_random_seed(seed)
    m = Sequential(
        [
            layers.Input((5,)),
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.25, seed=5),
            layers.Dense(2, activation="softmax"),
        ]
    )
    m.compile(optimizer=optimizers.Adam(0.02), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def fit(m, extra=(), epochs=6, **kwargs):
    x, y = data()
    return m.fit(x, y, batch_size=16, epochs=epochs, validation_split=0.2, verbose=0, callbacks=list(extra), **kwargs)


@pytest.mark.parametrize("interrupt", [Interrupt(epoch=4), Interrupt(epoch=2, batch=1)], ids=["epoch", "mid-epoch"])
def test_interrupted_fit_resumes_to_the_uninterrupted_result(tmp_path, interrupt):
    reference = model()
    expected = fit(reference)
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    first = model()
    with pytest.raises(RuntimeError, match="Interrupting"):
        fit(first, [backup, interrupt])
    assert (tmp_path / "backup" / "latest.weights.h5").exists()
    second = model()  # the same command again: same seed, fresh model
    history = fit(second, [callbacks.BackupAndRestore(tmp_path / "backup")])
    assert history.history == expected.history
    assert history.epoch == list(range(6))
    for got, want in zip(second.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(second.optimizer.variables, reference.optimizer.variables, strict=True):
        np.testing.assert_array_equal(got.data, want.data)
    assert not (tmp_path / "backup").exists()  # deleted at the end (it held only the backup)


def test_the_backup_is_a_keras_weights_file_with_the_training_state(tmp_path):
    m = model()
    fit(m, [callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)], epochs=2)
    path = tmp_path / "b" / "latest.weights.h5"
    with h5py.File(path, "r") as f:
        state = json.loads(f.attrs["training_metadata"])
        assert "layers/dense/vars/0" in f and "optimizer/vars/0" in f
    assert state["epoch"] == 2 and state["history_epochs"] == [0, 1]
    assert state["history"]["loss"] == m.history.history["loss"]
    assert set(state["generators"]) == {"global", "layers/dropout:_rng"}
    other = model(seed=99)
    other.load_weights(path)
    for got, want in zip(other.get_weights(), m.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_finished_backup_resumes_with_no_epoch_left(tmp_path):
    m = model()
    expected = fit(m, [callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)], epochs=3)
    again = model()
    history = fit(again, [callbacks.BackupAndRestore(tmp_path / "b")], epochs=3)
    assert history.history == expected.history and history.epoch == [0, 1, 2]
    for got, want in zip(again.get_weights(), m.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_other_files_in_the_backup_folder_are_kept(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "notes.txt").write_text("mine")
    fit(model(), [callbacks.BackupAndRestore(tmp_path / "b")], epochs=1)
    assert [p.name for p in (tmp_path / "b").iterdir()] == ["notes.txt"]


def test_an_epoch_with_a_nan_loss_is_not_backed_up(tmp_path):
    class PoisonSecondEpoch(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                logs["loss"] = float("nan")

    m = model()
    with pytest.warns(UserWarning, match=r"epoch 2 ended with loss=nan; keeping the backup"):
        fit(m, [PoisonSecondEpoch(), callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False)], epochs=2)
    with h5py.File(tmp_path / "b" / "latest.weights.h5", "r") as f:
        assert json.loads(f.attrs["training_metadata"])["epoch"] == 1


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    m = model()
    fit(m, [callbacks.BackupAndRestore(tmp_path / "b", double_checkpoint=True, delete_checkpoint=False)], epochs=3)
    assert (tmp_path / "b" / "latest.weights.h5.bkp").exists()
    (tmp_path / "b" / "latest.weights.h5").write_bytes(b"garbage")
    again = model()
    with pytest.warns(UserWarning, match=r"latest\.weights\.h5.*Falling back to the previous backup"):
        history = fit(again, [callbacks.BackupAndRestore(tmp_path / "b", double_checkpoint=True)], epochs=3)
    assert history.epoch == [0, 1, 2]
    with pytest.raises(FileFormatError, match=r"latest\.weights\.h5: not a readable HDF5"):
        (tmp_path / "c").mkdir()
        (tmp_path / "c" / "latest.weights.h5").write_bytes(b"garbage")
        fit(model(), [callbacks.BackupAndRestore(tmp_path / "c")], epochs=1)


def test_batch_level_backups(tmp_path):
    seen = []

    class Spy(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            path = tmp_path / "b" / "latest.weights.h5"
            if path.exists():
                with h5py.File(path, "r") as f:
                    state = json.loads(f.attrs["training_metadata"])
                seen.append((state["epoch"], state["batch"]))

    fit(model(), [callbacks.BackupAndRestore(tmp_path / "b", save_freq=2), Spy()], epochs=2)
    # 3 batches per epoch; Keras's count runs across epochs: saves after batches 1, 3 (epoch 1's 0) and 5.
    assert sorted(set(seen)) == [(0, 1), (1, 0), (1, 2)]


def test_argument_and_model_errors(tmp_path):
    with pytest.raises(ValueError, match="`backup_dir` is empty"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match=r"invalid save_freq='batch'. Expected 'epoch' or a positive int"):
        callbacks.BackupAndRestore(tmp_path, save_freq="batch")
    unbuilt = Sequential([layers.Dense(2)])
    unbuilt.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"model '.*' is not built.*Input"):
        unbuilt.fit(
            np.zeros((4, 3), np.float32),
            np.zeros((4, 2), np.float32),
            verbose=0,
            callbacks=[callbacks.BackupAndRestore(tmp_path / "b")],
        )
