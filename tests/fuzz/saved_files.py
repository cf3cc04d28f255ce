"""The files neuronio saves, as bytes to damage, and one loader per kind that reports what happened.

Shared by tests/fuzz/test_saved_files.py (hypothesis, a short budget in CI) and
benchmarks/fuzz_files.py (a long random run that counts outcomes). Each loader returns "ok" or
raises; the callers decide which exceptions are allowed (only FileFormatError).

Kinds of file:
    keras            a whole `.keras` archive
    keras:<member>   one member of it, re-zipped with a correct CRC (the parser sees the damage)
    weights          a `.weights.h5` file as neuronio writes it (with its checksum block)
    weights:foreign  the same without the checksum block (as Keras or an older neuronio writes it)
    backup           BackupAndRestore's `latest.weights.h5`, restored by `fit`
    backup:foreign   the same without the checksum block
"""

import io
import os
import random
import tempfile
import zipfile

import numpy as np

from neuronio import callbacks, layers, optimizers
from neuronio.models import Sequential, load_model
from neuronio.saving import guard

_X = np.random.default_rng(0).standard_normal((16, 4)).astype(np.float32)
_Y = (_X[:, 0] > 0).astype(np.int64)


def fresh_model(compiled: bool = True):
    """A small model with every kind of saved state: a kernel, a bias, BatchNormalization's moving
    statistics (non-trainable), and Adam's slots once trained."""
    model = Sequential([layers.Input((4,)), layers.Dense(3), layers.BatchNormalization(), layers.Dense(2)])
    if compiled:
        model.compile(optimizer=optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model


def _fit(model, backup_dir, epochs: int, **kwargs):
    return model.fit(
        _X, _Y, batch_size=8, epochs=epochs, verbose=0, callbacks=[callbacks.BackupAndRestore(backup_dir, **kwargs)]
    )


def valid_files() -> dict[str, bytes]:
    """kind -> the valid bytes of that kind of file."""
    model = fresh_model()
    with tempfile.TemporaryDirectory() as folder:
        _fit(model, os.path.join(folder, "b"), epochs=2, delete_checkpoint=False)
        with open(os.path.join(folder, "b", "latest.weights.h5"), "rb") as f:
            backup = f.read()
        model.save(os.path.join(folder, "m.keras"))
        model.save_weights(os.path.join(folder, "m.weights.h5"))
        with open(os.path.join(folder, "m.keras"), "rb") as f:
            archive = f.read()
        with open(os.path.join(folder, "m.weights.h5"), "rb") as f:
            weights = f.read()
    files = {"keras": archive, "weights": weights, "backup": backup}
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        for name in zf.namelist():
            files[f"keras:{name}"] = zf.read(name)
    files["weights:foreign"] = weights[guard.USERBLOCK_SIZE :]
    files["backup:foreign"] = backup[guard.USERBLOCK_SIZE :]
    return files


def damage(data: bytes, rng: random.Random, edits: int | None = None) -> bytes:
    """Up to 6 byte edits (set, delete, insert, duplicate), then perhaps a cut: as the hypothesis
    strategy in test_keras_loader.py, for a plain random generator."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 6) if edits is None else edits):
        at = rng.randrange(max(len(out), 1))
        kind = rng.choice(["set", "set", "set", "delete", "insert", "duplicate"])
        if kind == "set" and out:
            out[at] = rng.randrange(256)
        elif kind == "delete":
            del out[at : at + rng.randint(1, 8)]
        elif kind == "insert":
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif kind == "duplicate":
            out[at:at] = out[at : at + rng.randint(1, 16)]
    if rng.random() < 0.2:
        del out[rng.randrange(len(out) + 1) :]
    return bytes(out)


def load(kind: str, data: bytes, valid: dict[str, bytes], folder: str) -> str:
    """Load `data` as a file of `kind` in `folder`; "ok" if it loads, else the exception propagates."""
    if kind.startswith("keras"):
        if kind != "keras":
            members = {name.split(":", 1)[1]: valid[name] for name in valid if name.startswith("keras:")}
            members[kind.split(":", 1)[1]] = data
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as zf:
                for name, member in members.items():
                    zf.writestr(name, member)
            data = buffer.getvalue()
        path = os.path.join(folder, "fuzz.keras")
        _write(path, data)
        model = load_model(path)
        model.predict(_X[:2], verbose=0)
        return "ok"
    if kind.startswith("weights"):
        path = os.path.join(folder, "fuzz.weights.h5")
        _write(path, data)
        model = fresh_model()
        model.load_weights(path)
        if not all(np.isfinite(w).all() for w in model.get_weights() if w.dtype.kind == "f"):
            raise AssertionError("non-finite weights loaded")
        return "ok"
    backup_dir = os.path.join(folder, "backup")
    os.makedirs(backup_dir, exist_ok=True)
    _write(os.path.join(backup_dir, "latest.weights.h5"), data)
    history = _fit(fresh_model(), backup_dir, epochs=3)
    if history.epoch != [0, 1, 2]:
        raise AssertionError(f"resumed with epochs {history.epoch}")
    return "ok"


def _write(path: str, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
