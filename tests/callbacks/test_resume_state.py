"""Every built-in stateful callback hands its state to BackupAndRestore and gets it back on resume
(issue 20, item 5). tests/e2e/test_kill_resume_callbacks.py does the same with real SIGKILLs."""

import json

import h5py
import numpy as np
import pytest

from neuronio import callbacks
from tests.saving.test_backup_and_restore import fit, model


class InterruptAfterEpoch(callbacks.Callback):
    """Raises at the end of `epoch`, after the callbacks before it (CSVLogger) have finished it,
    before BackupAndRestore has backed it up (it does so when the next epoch begins)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("Interrupting!")


def _stateful(tmp_path, name):
    return [
        callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.05, cooldown=1),
        callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True),
        callbacks.ModelCheckpoint(
            tmp_path / f"{name}-{{epoch}}.weights.h5", save_best_only=True, save_weights_only=True
        ),
        callbacks.CSVLogger(tmp_path / f"{name}.csv", append=True),
    ]


def test_a_run_interrupted_after_an_epoch_not_yet_backed_up_resumes_exactly(tmp_path):
    expected = fit(model(), _stateful(tmp_path, "ref"), epochs=8)
    backup = callbacks.BackupAndRestore(tmp_path / "b")
    with pytest.raises(RuntimeError, match="Interrupting"):
        fit(model(), [backup, *_stateful(tmp_path, "run"), InterruptAfterEpoch(4)], epochs=8)
    # The CSV already holds epoch 4's row and ModelCheckpoint may have saved it; the backup is of epoch 3.
    assert (tmp_path / "run.csv").read_text().count("\n") == 6
    resumed_model = model()
    history = fit(resumed_model, [callbacks.BackupAndRestore(tmp_path / "b"), *_stateful(tmp_path, "run")], epochs=8)
    assert history.history == expected.history  # learning_rate included: the same schedule
    assert history.epoch == expected.epoch
    assert (tmp_path / "run.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()  # no row twice
    saved = sorted(p.name.removeprefix("ref") for p in tmp_path.glob("ref-*.weights.h5"))
    assert sorted(p.name.removeprefix("run") for p in tmp_path.glob("run-*.weights.h5")) == saved


def test_the_backup_holds_each_callbacks_state(tmp_path):
    stateful = _stateful(tmp_path, "run")
    fit(model(), [callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False), *stateful], epochs=3)
    with h5py.File(tmp_path / "b" / "latest.weights.h5", "r") as f:
        state = json.loads(f.attrs["training_metadata"])["callbacks"]
    plateau, stopper, checkpoint, logger = stateful
    assert state["0:ReduceLROnPlateau"] == {
        "best": plateau.best,
        "wait": plateau.wait,
        "cooldown_counter": plateau.cooldown_counter,
    }
    assert state["1:EarlyStopping"]["best"] == stopper.best and state["1:EarlyStopping"]["wait"] == stopper.wait
    assert state["2:ModelCheckpoint"]["best"] == checkpoint.best
    assert state["3:CSVLogger"]["position"] == (tmp_path / "run.csv").stat().st_size
    assert state["3:CSVLogger"]["keys"] == logger.keys


def test_early_stopping_best_weights_come_back_bit_for_bit():
    stopper = callbacks.EarlyStopping(restore_best_weights=True)
    weights = [np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32), np.arange(4, dtype=np.int64)]
    stopper.best_weights, stopper.best, stopper.wait, stopper.best_epoch = weights, 0.25, 2, 5
    state = json.loads(json.dumps(stopper.get_resume_state()))
    fresh = callbacks.EarlyStopping(restore_best_weights=True)
    fresh.set_resume_state(state)
    assert (fresh.best, fresh.wait, fresh.best_epoch) == (0.25, 2, 5)
    for got, want in zip(fresh.best_weights, weights, strict=True):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_a_stateful_callback_listed_before_backup_and_restore_is_warned_about(tmp_path):
    first = [callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False), callbacks.ReduceLROnPlateau("loss")]
    fit(model(), first, epochs=2)
    plateau = callbacks.ReduceLROnPlateau(monitor="loss")
    with pytest.warns(
        UserWarning, match=r"ReduceLROnPlateau is listed before BackupAndRestore.*put BackupAndRestore first"
    ):
        fit(model(), [plateau, callbacks.BackupAndRestore(tmp_path / "b")], epochs=3)


def test_a_csv_log_shorter_than_the_backup_says_starts_afresh(tmp_path):
    logger = callbacks.CSVLogger(tmp_path / "log.csv")
    fit(model(), [callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False), logger], epochs=2)
    (tmp_path / "log.csv").write_text("")
    with pytest.warns(UserWarning, match=r"log\.csv is shorter \(0 bytes\) than when the backup was made"):
        fit(model(), [callbacks.BackupAndRestore(tmp_path / "b"), callbacks.CSVLogger(tmp_path / "log.csv")], epochs=3)
    lines = (tmp_path / "log.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,") and [line.split(",")[0] for line in lines[1:]] == ["2"]


@pytest.mark.filterwarnings("ignore:.*checksum neuronio wrote:UserWarning")
def test_a_damaged_callback_state_in_a_backup_is_a_file_format_error(tmp_path):
    from neuronio.errors import FileFormatError
    from neuronio.saving import guard

    first = [callbacks.BackupAndRestore(tmp_path / "b", delete_checkpoint=False), callbacks.ReduceLROnPlateau("loss")]
    fit(model(), first, epochs=2)
    path = tmp_path / "b" / "latest.weights.h5"
    with h5py.File(path, "r+") as f:
        state = json.loads(f.attrs["training_metadata"])
        state["callbacks"]["0:ReduceLROnPlateau"]["best"] = "low"
        f.attrs["training_metadata"] = json.dumps(state)
    path.write_bytes(path.read_bytes()[guard.USERBLOCK_SIZE :])  # edited: a foreign file now
    with pytest.raises(FileFormatError, match=r"latest\.weights\.h5: damaged state for callback 0:ReduceLROnPlateau"):
        fit(model(), [callbacks.BackupAndRestore(tmp_path / "b"), callbacks.ReduceLROnPlateau("loss")], epochs=3)
