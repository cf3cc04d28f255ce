"""A training run killed with SIGKILL and started again with the same command resumes from the last
completed epoch and ends exactly where a run never interrupted ends (weights and History).

Each run is a real subprocess; the parent kills it at moments read from the backup on disk.
"""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EPOCHS = 6

TRAIN_SCRIPT = """
import json, sys, time
import numpy as np
import neuronio as keras
from neuronio import callbacks, layers, models, optimizers

out, backup, ckpt_dir, delay = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
keras.utils.set_random_seed(7)
data = np.random.default_rng(0)
x = data.standard_normal((192, 12)).astype("float32")
y = (x[:, :3].sum(axis=1) > 0).astype("int64") + (x[:, 3] > 1)


class Slow(callbacks.Callback):
    # Stretches each batch so that the parent's kills land inside epochs, not only between them.
    def on_train_batch_end(self, batch, logs=None):
        time.sleep(delay)


model = models.Sequential([
    layers.Input((12,)),
    layers.Dense(16, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(
    x, y, batch_size=32, epochs=EPOCHS, validation_split=0.25, verbose=0,
    callbacks=[
        callbacks.BackupAndRestore(backup),
        callbacks.ModelCheckpoint(ckpt_dir + "/epoch{epoch:02d}-{val_loss:.4f}.keras"),
        Slow(),
    ],
)
np.savez(out + ".npz", *model.get_weights())
with open(out + ".json", "w") as f:
    json.dump({"history": history.history, "epoch": history.epoch}, f)
""".replace("EPOCHS", str(EPOCHS))


def _command(tmp_path, name, delay):
    script = tmp_path / "train.py"
    script.write_text(TRAIN_SCRIPT)
    out = tmp_path / name
    return [
        sys.executable,
        str(script),
        str(out),
        str(tmp_path / f"{name}_backup"),
        str(tmp_path / f"{name}_ckpt"),
        str(delay),
    ]


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _backed_up_epoch(backup_dir: pathlib.Path) -> int:
    """The next epoch recorded in the backup (0 when there is none yet)."""
    path = backup_dir / "latest.weights.h5"
    try:
        with h5py.File(path, "r") as f:
            return json.loads(f.attrs["training_metadata"])["epoch"]
    except (OSError, KeyError):
        return 0


def _kill_when(command, condition, timeout=30.0) -> None:
    """Start `command`, SIGKILL it as soon as condition() holds; fail if it finished first."""
    process = subprocess.Popen(command, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read().decode()}"
        assert time.monotonic() < deadline, "timed out waiting for the moment to kill"
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL


def _run(command) -> None:
    result = subprocess.run(command, env=_env(), capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()


def _results(tmp_path, name):
    with np.load(tmp_path / f"{name}.npz") as npz:
        weights = [npz[k] for k in sorted(npz.files, key=lambda k: int(k.split("_")[1]))]
    return weights, json.loads((tmp_path / f"{name}.json").read_text())


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_runs_resume_to_the_uninterrupted_result(tmp_path):
    delay = 0.01
    reference = _command(tmp_path, "reference", delay)
    _run(reference)
    expected_weights, expected = _results(tmp_path, "reference")
    assert expected["epoch"] == list(range(EPOCHS))

    resumed = _command(tmp_path, "resumed", delay)
    backup = tmp_path / "resumed_backup"
    # 1. Killed in the middle of epoch 2 (epoch 1 backed up, some batches of epoch 2 run).
    first_backup_seen = []

    def mid_epoch_two():
        if _backed_up_epoch(backup) >= 1 and not first_backup_seen:
            first_backup_seen.append(time.monotonic())
        return bool(first_backup_seen) and time.monotonic() - first_backup_seen[0] > 2.5 * delay

    _kill_when(resumed, mid_epoch_two)
    assert _backed_up_epoch(backup) in (1, 2)
    # 2. Started again with the same command, killed the moment its next backup lands.
    before = _backed_up_epoch(backup)
    _kill_when(resumed, lambda: _backed_up_epoch(backup) > before)
    # 3. Started again, runs to the end.
    _run(resumed)

    weights, got = _results(tmp_path, "resumed")
    assert got["history"] == expected["history"]  # every epoch's logs, bit for bit
    assert got["epoch"] == expected["epoch"]
    assert len(weights) == len(expected_weights)
    for w, e in zip(weights, expected_weights, strict=True):
        np.testing.assert_array_equal(w, e)
    # The backup is gone after a completed run; ModelCheckpoint wrote one file per epoch, each loadable.
    assert not (backup / "latest.weights.h5").exists()
    checkpoints = sorted((tmp_path / "resumed_ckpt").glob("epoch*.keras"))
    assert [p.name[:7] for p in checkpoints] == [f"epoch{e:02d}" for e in range(1, EPOCHS + 1)]
    from neuronio.models import load_model

    last = load_model(checkpoints[-1])
    for w, e in zip(last.get_weights(), expected_weights, strict=True):
        np.testing.assert_array_equal(w, e)
