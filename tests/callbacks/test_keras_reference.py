"""The same scripted hook sequences through real Keras 3 (torch backend) and through neuronio.

Both get the same fake model, fake optimizer and fake clock, and must print the same text, write
the same files, stop at the same epochs and leave the same learning rates. Skipped when Keras
(or torch) is not installed.

Where neuronio differs from Keras on purpose, the comparison says so:
- off a terminal, Keras (on any POSIX system) still writes every redraw with '\\b', '\\r' and
  colour codes; neuronio prints only each bar's final frame, plain. We compare that frame with
  the last frame of Keras's non-live mode, with the colour codes removed.
- on a terminal, Keras precedes each redraw with a run of '\\b' before its '\\r'; neuronio writes
  just the '\\r'. Everything else (colours, padding) is byte-identical.
"""

import io
import os
import re
import sys
import types

import numpy as np
import pytest

import neuronio.callbacks as ours
import neuronio.callbacks.progbar as our_progbar_module
from neuronio.callbacks.callback_list import _pythonify_logs
from tests.callbacks.doubles import FakeClock, FakeModel
from tests.helpers import keras_on_torch

pytestmark = pytest.mark.keras

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Screen(io.StringIO):
    """A stdout that remembers each write separately and says whether it is a terminal."""

    def __init__(self, tty):
        super().__init__()
        self.tty = tty
        self.chunks = []

    def write(self, text):
        self.chunks.append(text)
        return super().write(text)

    def isatty(self):
        return self.tty


@pytest.fixture(scope="module")
def keras_lib():
    keras = keras_on_torch()
    from keras.src import backend
    from keras.src.utils import progbar, python_utils

    return types.SimpleNamespace(
        callbacks=keras.callbacks,
        Progbar=keras.utils.Progbar,
        progbar_module=progbar,
        backend=backend,
        python_utils=python_utils,
    )


@pytest.fixture
def keras(keras_lib, monkeypatch):
    # Keras dispatches batch-end hooks to a thread pool on thread-safe backends; the scripts
    # advance a fake clock between hooks, so keep every call on this thread.
    monkeypatch.setattr(keras_lib.backend, "IS_THREAD_SAFE", False)
    return keras_lib


OURS = types.SimpleNamespace(callbacks=ours, Progbar=ours.Progbar, progbar_module=our_progbar_module)


def run(lib, script, live, monkeypatch):
    """Run `script(lib, clock)` with a fresh fake clock; return the Screen it printed to."""
    clock = FakeClock()
    screen = Screen(tty=live)
    with monkeypatch.context() as patch:
        patch.setattr(lib.progbar_module, "time", clock)
        patch.setattr(sys, "stdout", screen)
        if lib is not OURS and not live:
            # Keras decides "live" from "posix" in sys.modules; hide it to get its plain mode.
            patch.setattr(lib.progbar_module, "sys", types.SimpleNamespace(stdout=io.StringIO(), modules={}))
        script(lib, clock)
    return screen


KERAS_PLAIN_FRAME = re.compile(r"\n *\d+/(\d+|Unknown) ")


def keras_final_frames(chunks):
    """Keras's non-live output reduced to what neuronio prints: each bar's last frame, plain.

    Keras writes each frame as one "\n<frame>" message, the last one ending in "\n" too.
    """
    kept = []
    for chunk in chunks:
        plain = ANSI.sub("", chunk)
        if not KERAS_PLAIN_FRAME.match(plain):
            kept.append(chunk)  # other messages ("Epoch 1/2\n", a callback's "\nEpoch 2: ...")
        elif plain.endswith("\n"):
            kept.append(plain[1:-1].rstrip(" ") + "\n")  # Keras pads frames over longer ones
    return "".join(kept)


def compare_printed(keras, script, monkeypatch):
    """Assert both libraries print the same for `script`, live and not; return our texts."""
    keras_live = run(keras, script, True, monkeypatch).getvalue()
    ours_live = run(OURS, script, True, monkeypatch).getvalue()
    assert ours_live == keras_live.replace("\b", "")
    keras_plain = run(keras, script, False, monkeypatch).chunks
    ours_plain = run(OURS, script, False, monkeypatch).getvalue()
    assert ours_plain == keras_final_frames(keras_plain)
    assert ours_plain  # the script printed something to compare
    return ours_live, ours_plain


# -- Progbar --------------------------------------------------------------------------------------
def steps_script(target, verbose, n, first=2.0, then=0.3, **kwargs):
    def script(lib, clock):
        bar = lib.Progbar(target, verbose=verbose, **kwargs)
        for step in range(1, n + 1):
            clock.advance(first if step == 1 else then)
            values = [("accuracy", 0.5 + step / 20), ("loss", 2.0 / step**3), ("tiny", -1e-5 * step)]
            bar.update(step, values, finalize=(step == n) if target is None else None)

    return script


@pytest.mark.parametrize(
    ("target", "verbose", "n", "first", "then", "kwargs"),
    [
        (7, 1, 7, 2.0, 0.3, {}),
        (12, 1, 12, 95.0, 80.0, {}),  # ETAs past a minute and an hour
        (5, 1, 5, 0.0004, 0.0002, {}),  # microseconds per step
        (5, 1, 5, 0.01, 0.01, {}),  # redraws inside the 0.05 s interval are skipped
        (None, 1, 4, 0.5, 0.25, {}),  # unknown target
        (7, 1, 7, 2.0, 0.3, {"stateful_metrics": ["loss"]}),
        (7, 2, 7, 2.0, 0.3, {}),
        (150, 2, 150, 0.1, 0.02, {"unit_name": "sample"}),
    ],
)
def test_progbar_prints_what_keras_prints(keras, monkeypatch, target, verbose, n, first, then, kwargs):
    compare_printed(keras, steps_script(target, verbose, n, first, then, **kwargs), monkeypatch)


def test_progbar_add_and_shrinking_frames_match_keras(keras, monkeypatch):
    def script(lib, clock):
        bar = lib.Progbar(10, verbose=1)
        clock.advance(20.0)
        bar.add(1, [("loss", 123.456)])
        clock.advance(1.0)
        bar.add(4, [("loss", 0.5)])
        clock.advance(0.5)
        bar.add(5, [("loss", 0.0001)])

    compare_printed(keras, script, monkeypatch)


# -- ProgbarLogger inside fit / evaluate / predict ------------------------------------------------
def fit_script(verbose, epochs=2, steps=3, validation=True, extra=None):
    def script(lib, clock):
        callbacks = lib.callbacks.CallbackList(
            extra(lib) if extra else None,
            add_history=True,
            add_progbar=True,
            model=FakeModel(),
            verbose=verbose,
            epochs=epochs,
            steps=steps,
        )
        callbacks.on_train_begin()
        for epoch in range(epochs):
            callbacks.on_epoch_begin(epoch)
            for batch in range(steps or 4):
                callbacks.on_train_batch_begin(batch)
                clock.advance(1.5 if batch == 0 else 0.04)
                callbacks.on_train_batch_end(
                    batch, {"accuracy": np.float32(0.5 + batch / 10), "loss": 1.0 / (batch + 2)}
                )
            logs = {"accuracy": 0.7, "loss": 0.3333}
            if validation:
                callbacks.on_test_begin()
                for batch in range(2):
                    callbacks.on_test_batch_begin(batch)
                    clock.advance(0.01)
                    callbacks.on_test_batch_end(batch, {"accuracy": 0.6, "loss": 0.5})
                callbacks.on_test_end({"accuracy": 0.6, "loss": 0.5})
                logs.update({"val_accuracy": 0.6, "val_loss": 0.5})
            callbacks.on_epoch_end(epoch, logs)
        callbacks.on_train_end(logs)

    return script


@pytest.mark.parametrize("verbose", [1, 2, "auto"])
def test_fit_output_matches_keras(keras, monkeypatch, verbose):
    live, plain = compare_printed(keras, fit_script(verbose), monkeypatch)
    assert plain.startswith("Epoch 1/2\n") and "val_loss: 0.5000" in plain


def test_fit_with_unknown_steps_and_one_epoch_matches_keras(keras, monkeypatch):
    compare_printed(keras, fit_script(2, epochs=2, steps=None, validation=False), monkeypatch)
    compare_printed(keras, fit_script(1, epochs=1, steps=None, validation=False), monkeypatch)


def test_fit_with_reduce_lr_on_plateau_prints_the_rate_like_keras(keras, monkeypatch):
    extra = lambda lib: [lib.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=0, verbose=1)]  # noqa: E731
    live, plain = compare_printed(keras, fit_script(2, epochs=3, extra=extra), monkeypatch)
    assert "learning_rate: 0.0100" in plain


def test_evaluate_and_predict_output_match_keras(keras, monkeypatch):
    def script(lib, clock):
        for verbose in (1, 2):
            callbacks = lib.callbacks.CallbackList(
                add_progbar=True, model=FakeModel(), verbose=verbose, epochs=1, steps=3
            )
            callbacks.on_test_begin()
            for batch in range(3):
                clock.advance(0.2)
                callbacks.on_test_batch_end(batch, {"accuracy": 0.9, "loss": 0.1 * batch})
            callbacks.on_test_end({"accuracy": 0.9, "loss": 0.1})
            callbacks = lib.callbacks.CallbackList(
                add_progbar=True, model=FakeModel(), verbose=verbose, epochs=1, steps=3
            )
            callbacks.on_predict_begin()
            for batch in range(3):
                clock.advance(0.003)
                callbacks.on_predict_batch_end(batch, {"outputs": np.zeros((2, 3))})
            callbacks.on_predict_end()

    compare_printed(keras, script, monkeypatch)


# -- logs handling and History --------------------------------------------------------------------
def test_log_normalisation_matches_keras(keras):
    logs = {
        "val_loss": np.float32(0.5),
        "loss": np.array(0.25),
        "extra": {"accuracy": np.float64(0.75)},
        "count": np.int64(3),
        "note": "text",
        "b": 2,
    }
    expected = keras.python_utils.pythonify_logs(logs)
    got = _pythonify_logs(logs)
    assert list(got.items()) == list(expected.items())
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


def test_history_matches_keras(keras):
    def history_of(lib):
        model = FakeModel()
        callbacks = lib.callbacks.CallbackList(add_history=True, model=model, verbose=0, epochs=3, steps=2)
        callbacks.on_train_begin()
        for epoch in (1, 2):
            callbacks.on_epoch_begin(epoch)
            callbacks.on_epoch_end(epoch, {"loss": 1.0 / epoch, "accuracy": np.float32(0.5)})
        callbacks.on_train_end()
        return model.history.history, model.history.epoch, model.history.params

    assert history_of(OURS) == history_of(keras)


# -- EarlyStopping --------------------------------------------------------------------------------
def early_stopping_run(lib, kwargs, values, monitor="val_loss"):
    model = FakeModel()
    stopper = lib.callbacks.EarlyStopping(monitor=monitor, **kwargs)
    callbacks = lib.callbacks.CallbackList([stopper], model=model, verbose=0, epochs=len(values), steps=1)
    callbacks.on_train_begin()
    for epoch, value in enumerate(values):
        callbacks.on_epoch_begin(epoch)
        model.weights = [np.full((2,), epoch, dtype="float32")]
        callbacks.on_epoch_end(epoch, {"loss": 0.0, monitor: value})
        if model.stop_training:
            break
    callbacks.on_train_end()
    return epoch, stopper.stopped_epoch, stopper.best, stopper.wait, model.weights[0].tolist()


EARLY_STOPPING_CASES = [
    ({"patience": 0}, [1.0, 0.8, 0.9, 0.7]),
    ({"patience": 2}, [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.8, 0.9]),
    ({"patience": 1, "min_delta": 0.1}, [1.0, 0.95, 0.85, 0.8]),
    ({"patience": 2, "baseline": 0.5}, [0.9, 0.8, 0.85, 0.4, 0.45]),
    ({"patience": 2, "baseline": 0.5}, [0.9, 0.8, 0.7, 0.6]),
    ({"patience": 1, "restore_best_weights": True, "verbose": 1}, [1.0, 0.5, 0.7, 0.8]),
    ({"patience": 9, "restore_best_weights": True, "verbose": 1}, [1.0, 0.5, 0.7, 0.8]),
    ({"patience": 0, "start_from_epoch": 2}, [1.0, 2.0, 3.0, 2.5, 2.6]),
    ({"patience": 1, "mode": "max"}, [0.5, 0.6, 0.55, 0.5]),
    ({"patience": 1, "mode": "max", "restore_best_weights": True}, [0.5, 0.4, 0.3]),
]


@pytest.mark.parametrize(("kwargs", "values"), EARLY_STOPPING_CASES)
def test_early_stopping_matches_keras(keras, monkeypatch, capsys, kwargs, values):
    expected = early_stopping_run(keras, kwargs, values)
    keras_out = capsys.readouterr().out
    assert early_stopping_run(OURS, kwargs, values) == expected
    assert capsys.readouterr().out == keras_out


# -- ReduceLROnPlateau and LearningRateScheduler -------------------------------------------------
def lr_run(lib, make_callbacks, epoch_logs):
    model = FakeModel(learning_rate=0.1)
    seen = []
    recorder = lib.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(dict(logs)))
    callbacks = lib.callbacks.CallbackList(
        [*make_callbacks(lib), recorder], model=model, verbose=0, epochs=len(epoch_logs), steps=1
    )
    callbacks.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_begin(epoch)
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end()
    return seen, float(model.optimizer.learning_rate)


PLATEAU = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.49995, 0.3]
LR_CASES = [
    lambda lib: [lib.callbacks.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=2, min_lr=0.02, verbose=1)],
    lambda lib: [lib.callbacks.ReduceLROnPlateau(factor=0.1, patience=1, cooldown=0, min_delta=0)],
    lambda lib: [lib.callbacks.ReduceLROnPlateau(factor=0.2, patience=0, cooldown=1, mode="max", verbose=1)],
    lambda lib: [lib.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.9 if epoch % 2 else lr, verbose=1)],
    lambda lib: [
        lib.callbacks.LearningRateScheduler(lambda epoch: 0.5 / (epoch + 1), verbose=1),
        lib.callbacks.ReduceLROnPlateau(factor=0.5, patience=0),
    ],
]


@pytest.mark.parametrize("make_callbacks", LR_CASES)
def test_learning_rate_callbacks_match_keras(keras, capsys, make_callbacks):
    epoch_logs = [{"loss": 1.0, "val_loss": v} for v in PLATEAU]
    expected = lr_run(keras, make_callbacks, epoch_logs)
    keras_out = capsys.readouterr().out
    assert lr_run(OURS, make_callbacks, epoch_logs) == expected
    assert capsys.readouterr().out == keras_out


# -- CSVLogger ------------------------------------------------------------------------------------
CSV_CASES = [
    ({}, [{"loss": 0.8567220568656921, "accuracy": np.float32(0.5), "val_loss": 0.75, "val_accuracy": 0.6}] * 2),
    ({}, [{"loss": 0.5, "acc": 0.25}, {"loss": 0.25, "acc": 0.5, "val_loss": 1.0}]),
    ({"separator": ";"}, [{"loss": 1.0, "val_loss": 2.0, "learning_rate": np.float32(0.001)}]),
    ({}, [{"val_note": "ok", "val_per_class": np.array([0.5, 0.25])}]),
]


@pytest.mark.parametrize(("kwargs", "epoch_logs"), CSV_CASES)
def test_csv_logger_writes_the_same_bytes_as_keras(keras, tmp_path, kwargs, epoch_logs):
    def write(lib, path):
        for append in (False, True):  # a second run appends without a second header
            callbacks = lib.callbacks.CallbackList(
                [lib.callbacks.CSVLogger(path, append=append, **kwargs)],
                model=FakeModel(),
                verbose=0,
                epochs=2,
                steps=1,
            )
            callbacks.on_train_begin()
            for epoch, logs in enumerate(epoch_logs):
                callbacks.on_epoch_end(epoch, logs)
            callbacks.on_train_end()
        with open(path, "rb") as f:
            return f.read()

    assert write(OURS, str(tmp_path / "ours.csv")) == write(keras, str(tmp_path / "keras.csv"))


# -- ModelCheckpoint ------------------------------------------------------------------------------
CHECKPOINT_CASES = [
    ("m_{epoch:02d}.keras", {}),
    ("sub/m_{epoch}_{val_loss:.3f}.keras", {"verbose": 1}),
    ("best.keras", {"save_best_only": True, "verbose": 1}),
    ("best.keras", {"save_best_only": True, "monitor": "val_acc", "mode": "max", "verbose": 1}),
    ("best.keras", {"save_best_only": True, "initial_value_threshold": 0.7}),
    ("w_{epoch}_{batch}.weights.h5", {"save_weights_only": True, "save_freq": 2, "verbose": 1}),
]


@pytest.mark.parametrize(("template", "kwargs"), CHECKPOINT_CASES)
def test_model_checkpoint_saves_like_keras(keras, tmp_path, capsys, template, kwargs):
    def saves(lib, folder):
        model = FakeModel()
        checkpoint = lib.callbacks.ModelCheckpoint(str(folder / template), **kwargs)
        callbacks = lib.callbacks.CallbackList([checkpoint], model=model, verbose=0, epochs=4, steps=3)
        callbacks.on_train_begin()
        for epoch, (val_loss, val_acc) in enumerate([(0.8, 0.6), (0.85, 0.5), (0.6, 0.7), (0.6, 0.75)]):
            callbacks.on_epoch_begin(epoch)
            for batch in range(3):
                callbacks.on_train_batch_begin(batch)
                callbacks.on_train_batch_end(batch, {"loss": 1.0})
            callbacks.on_epoch_end(epoch, {"loss": 1.0, "val_loss": val_loss, "val_acc": val_acc})
        callbacks.on_train_end()
        return [(kind, os.path.relpath(path, folder)) for kind, path in model.calls]

    (tmp_path / "k").mkdir()
    (tmp_path / "o").mkdir()
    expected = saves(keras, tmp_path / "k")
    keras_out = capsys.readouterr().out.replace(str(tmp_path / "k"), "<dir>")
    assert saves(OURS, tmp_path / "o") == expected
    assert capsys.readouterr().out.replace(str(tmp_path / "o"), "<dir>") == keras_out


@pytest.mark.parametrize(("filepath", "weights_only"), [("m.keras", True), ("m", False), ("m.h5", True)])
def test_model_checkpoint_rejects_the_names_keras_rejects(keras, filepath, weights_only):
    with pytest.raises(ValueError) as keras_error:
        keras.callbacks.ModelCheckpoint(filepath, save_weights_only=weights_only)
    with pytest.raises(ValueError) as our_error:
        ours.ModelCheckpoint(filepath, save_weights_only=weights_only)
    # our message starts with Keras's and adds an example
    assert str(our_error.value).startswith(str(keras_error.value))


def test_model_checkpoint_rejects_legacy_h5_models_which_keras_accepts(keras):
    # Deliberate difference: Keras also writes legacy HDF5 models for ".h5"; neuronio writes only
    # ".keras" archives, so it refuses the name up front instead of failing after an epoch.
    keras.callbacks.ModelCheckpoint("m.h5")
    with pytest.raises(ValueError, match=r"must end in `.keras`"):
        ours.ModelCheckpoint("m.h5")


# -- TerminateOnNaN -------------------------------------------------------------------------------
def test_terminate_on_nan_matches_keras(keras, capsys):
    def run_batches(lib):
        model = FakeModel()
        callbacks = lib.callbacks.CallbackList(
            [lib.callbacks.TerminateOnNaN()], model=model, verbose=0, epochs=1, steps=4
        )
        for batch, loss in enumerate([1.0, float("inf"), float("nan")]):
            callbacks.on_train_batch_end(batch, {"loss": loss})
        return model.stop_training

    assert run_batches(keras) is True
    keras_out = capsys.readouterr().out
    assert run_batches(OURS) is True
    assert (
        capsys.readouterr().out
        == keras_out
        == ("Batch 1: Invalid loss, terminating training\nBatch 2: Invalid loss, terminating training\n")
    )
