"""Exact resume with every built-in stateful callback (issue 20, item 5): a run using
ReduceLROnPlateau, EarlyStopping, ModelCheckpoint(save_best_only) and CSVLogger alongside
BackupAndRestore, killed twice with SIGKILL and started again, ends as a run never interrupted:
the same weights bit for bit, the same learning-rate schedule, the same epochs (EarlyStopping
stops at the same one), the same checkpoint files and the same CSV bytes.

Without the callbacks' state in the backup, the resumed ReduceLROnPlateau and EarlyStopping
restart their counters (the rate drops late, training runs longer), ModelCheckpoint forgets its
best and saves a worse epoch, and CSVLogger truncates (or, appending, repeats) rows.
"""

import signal
import sys
import time

import numpy as np
import pytest

from tests.e2e.test_kill_resume import _backed_up_epoch, _kill_when, _run
from tests.e2e.test_kill_resume import _results as _run_results

MAX_EPOCHS = 20

TRAIN_SCRIPT = """
import json, sys, time
import numpy as np
import neuronio as keras
from neuronio import callbacks, layers, models, optimizers

out, backup, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
keras.utils.set_random_seed(7)
data = np.random.default_rng(0)
x = data.standard_normal((96, 6)).astype("float32")
y = (x[:, :2].sum(axis=1) + 0.8 * data.standard_normal(96) > 0).astype("int64")


class Slow(callbacks.Callback):
    # Stretches each batch so that the parent's kills land inside epochs, not only between them.
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(delay)


model = models.Sequential([
    layers.Input((6,)), layers.Dense(8, activation="relu"), layers.Dropout(0.3),
    layers.Dense(2, activation="softmax"),
])
model.compile(optimizer=optimizers.Adam(0.02), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(
    x, y, batch_size=32, epochs=MAX_EPOCHS, validation_split=0.25, verbose=0,
    callbacks=[
        callbacks.BackupAndRestore(backup),
        # The rate halves after every epoch whose loss does not drop by 0.08 (one epoch of cooldown).
        callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=0.08, cooldown=1),
        callbacks.EarlyStopping(monitor="val_loss", patience=3, min_delta=0.02, restore_best_weights=True),
        callbacks.ModelCheckpoint(out + "_ckpt/best-{epoch:02d}.keras", monitor="val_accuracy", save_best_only=True),
        callbacks.CSVLogger(out + ".csv"),
        Slow(),
    ],
)
np.savez(out + ".npz", *model.get_weights())
json.dump({"history": history.history, "epoch": history.epoch}, open(out + ".json", "w"))
""".replace("MAX_EPOCHS", str(MAX_EPOCHS))


def _command(tmp_path, name, delay):
    script = tmp_path / "train.py"
    script.write_text(TRAIN_SCRIPT)
    return [sys.executable, str(script), str(tmp_path / name), str(tmp_path / f"{name}_backup"), str(delay)]


def _results(tmp_path, name):
    weights, run = _run_results(tmp_path, name)
    ckpts = sorted(p.name for p in (tmp_path / f"{name}_ckpt").iterdir())
    return weights, run, (tmp_path / f"{name}.csv").read_bytes(), ckpts


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_runs_with_stateful_callbacks_resume_to_the_uninterrupted_result(tmp_path):
    delay = 0.02
    _run(_command(tmp_path, "reference", delay))
    weights_0, expected, csv_0, ckpts_0 = _results(tmp_path, "reference")
    rates = expected["history"]["learning_rate"]
    # The scenario exercises every callback: the rate drops more than once, training stops early,
    # and some epochs are not the best so far (so ModelCheckpoint skips them).
    assert len(set(rates)) >= 3 and len(expected["epoch"]) < MAX_EPOCHS
    assert 1 < len(ckpts_0) < len(expected["epoch"])

    resumed = _command(tmp_path, "resumed", delay)
    backup = tmp_path / "resumed_backup"
    # 1. Killed in the middle of epoch 4 (epochs 0-2 done and backed up; the rate has dropped once).
    seen = []

    def mid_epoch():
        if _backed_up_epoch(backup) >= 3 and not seen:
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] > 1.5 * delay

    _kill_when(resumed, mid_epoch)
    # 2. Started again, killed the moment its next backup lands.
    before = _backed_up_epoch(backup)
    assert before >= 3
    _kill_when(resumed, lambda: _backed_up_epoch(backup) > before)
    # 3. Started again, runs to the end.
    _run(resumed)

    weights, got, csv, ckpts = _results(tmp_path, "resumed")
    assert got["history"]["learning_rate"] == rates
    assert got["epoch"] == expected["epoch"]  # EarlyStopping stopped at the same epoch
    assert got["history"] == expected["history"]
    for w, e in zip(weights, weights_0, strict=True):  # EarlyStopping restored the same best weights
        np.testing.assert_array_equal(w, e)
    assert ckpts == ckpts_0  # ModelCheckpoint saved exactly the epochs that beat the best
    assert csv == csv_0  # one row per epoch, none repeated or lost
