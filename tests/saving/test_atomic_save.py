"""Saves are atomic: a process killed in the middle of a save, or a disk that fills up during one,
leaves the previous file intact and loadable."""

import errno
import os
import pathlib
import random
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from neuronio import layers
from neuronio.models import Sequential, load_model

ROOT = pathlib.Path(__file__).resolve().parents[2]
needs_sigkill = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")

# Saves version 1 completely, then starts saving version 2 and stops inside it, after the archive's
# members are written but before its directory is: the temporary file is a broken zip. The pause is
# injected by this test script only; the library has no test hooks.
PAUSED_SAVE = """
import sys, time, zipfile
import numpy as np
import neuronio as keras
from neuronio import layers, models

path, kind = sys.argv[1], sys.argv[2]
model = models.Sequential([layers.Input((64,)), layers.Dense(256), layers.Dense(10)])
model.set_weights([np.full(w.shape, 1.0, "float32") for w in model.get_weights()])
save = model.save if kind == "model" else model.save_weights
save(path)
model.set_weights([np.full(w.shape, 2.0, "float32") for w in model.get_weights()])
real_writestr = zipfile.ZipFile.writestr
real_close = __import__("h5py").File.close

def pause():
    print("MIDSAVE", flush=True)
    time.sleep(60)

def writestr_then_pause(self, *args, **kwargs):
    real_writestr(self, *args, **kwargs)
    pause()

zipfile.ZipFile.writestr = writestr_then_pause
if kind == "weights":
    import neuronio.saving.keras_archive as archive
    real_atomic = archive.atomic_write
    def atomic_then_pause(filepath, write, overwrite=True):
        def partial(f):
            data = bytearray()
            class Sink:
                def write(self, chunk):
                    data.extend(chunk)
            write(Sink())
            f.write(bytes(data[: len(data) // 2]))
            f.flush()
            pause()
        real_atomic(filepath, partial, overwrite)
    archive.atomic_write = atomic_then_pause
save(path)
"""

# Saves forever, each version's weights all equal to its number.
SAVE_LOOP = """
import sys
import numpy as np
from neuronio import layers, models

path = sys.argv[1]
model = models.Sequential([layers.Input((128,)), layers.Dense(512), layers.Dense(10)])
version = 0
while True:
    version += 1
    model.set_weights([np.full(w.shape, float(version), "float32") for w in model.get_weights()])
    model.save(path)
    print(version, flush=True)
"""


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _temporaries(folder: pathlib.Path, name: str) -> list:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}.") and p.name.endswith(".tmp"))


@needs_sigkill
@pytest.mark.parametrize("kind", ["model", "weights"])
def test_kill_in_the_middle_of_a_save_keeps_the_previous_file(tmp_path, kind):
    name = "m.keras" if kind == "model" else "m.weights.h5"
    target = tmp_path / name
    script = tmp_path / "paused_save.py"
    script.write_text(PAUSED_SAVE)
    process = subprocess.Popen(
        [sys.executable, str(script), str(target), kind],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line == "MIDSAVE\n", process.stderr.read()
        # Killed mid-save: the new version exists only as a partial temporary file.
        temporaries = _temporaries(tmp_path, name)
        assert len(temporaries) == 1
        assert (tmp_path / temporaries[0]).stat().st_size > 0
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    if kind == "model":
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(tmp_path / temporaries[0])
        weights = load_model(target).get_weights()
    else:
        model = Sequential([layers.Input((64,)), layers.Dense(256), layers.Dense(10)])
        model.load_weights(target)
        weights = model.get_weights()
    assert all(np.all(w == 1.0) for w in weights)  # version 1, whole


@needs_sigkill
def test_kills_at_random_moments_never_leave_a_broken_file(tmp_path):
    """Saving is most of each loop, so many kills land inside a save (the paused test above makes
    sure one does); whatever the moment, the file on disk is some whole version."""
    target = tmp_path / "m.keras"
    script = tmp_path / "save_loop.py"
    script.write_text(SAVE_LOOP)
    chooser = random.Random(0)
    for _ in range(4):
        process = subprocess.Popen(
            [sys.executable, str(script), str(target)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout.readline().strip() == "1", process.stderr.read()  # one whole save exists
        time.sleep(chooser.uniform(0.0, 0.15))
        process.send_signal(signal.SIGKILL)
        process.wait()
        weights = load_model(target).get_weights()
        version = weights[0].flat[0]
        assert version >= 1 and all(np.all(w == version) for w in weights)
        for leftover in _temporaries(tmp_path, "m.keras"):
            (tmp_path / leftover).unlink()


def test_a_full_disk_during_save_keeps_the_previous_file(tmp_path, monkeypatch, rng):
    model = Sequential([layers.Input((8,)), layers.Dense(4)])
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    before = model.get_weights()
    model.set_weights([w + 1 for w in before])

    def disk_full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        model.save(tmp_path / "m.keras")
    monkeypatch.undo()

    import neuronio.saving.keras_archive as archive

    real_fsync = os.fsync
    monkeypatch.setattr(archive.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left")))
    with pytest.raises(OSError, match="No space left"):
        model.save_weights(tmp_path / "m.weights.h5")
    monkeypatch.setattr(archive.os, "fsync", real_fsync)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "m.weights.h5"]  # temporaries removed
    for got, expected in zip(load_model(tmp_path / "m.keras").get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, expected)
    fresh = Sequential([layers.Input((8,)), layers.Dense(4)])
    fresh.load_weights(tmp_path / "m.weights.h5")
    for got, expected in zip(fresh.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, expected)
