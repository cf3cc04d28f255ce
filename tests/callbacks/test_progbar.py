"""Progbar and ProgbarLogger: the exact text Keras 3 prints, on a terminal and off it.

Time comes from a fake clock patched into the progbar module, so every figure is exact. The same
sequences run through real Keras in test_keras_reference.py.
"""

import io
import sys

import numpy as np
import pytest

import neuronio.callbacks.progbar as progbar_module
from neuronio.callbacks import Callback, CallbackList, Progbar, ProgbarLogger
from neuronio.callbacks.progbar import _format_eta, _format_time_per_unit
from tests.callbacks.doubles import FakeClock, FakeModel

BAR = "━" * 20


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(progbar_module, "time", fake)
    return fake


def use_terminal(monkeypatch):
    """Make sys.stdout a terminal. Called in the test body: pytest's own capture re-installs
    its sys.stdout when the test phase starts, which would undo a fixture's patch."""
    screen = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", screen)
    return screen


def run_steps(bar, clock, n, first=2.0, then=0.3):
    """Steps 1..n: the first takes `first` seconds, the others `then`; metrics change each step."""
    for step in range(1, n + 1):
        clock.advance(first if step == 1 else then)
        bar.update(step, [("accuracy", 0.5 + step / 20), ("loss", 2.0 / step**3)])


# -- Progbar, verbose=1 --------------------------------------------------------------------------
def test_verbose1_off_terminal_prints_only_the_final_line_plain(clock, capsys):
    run_steps(Progbar(7, verbose=1), clock, 7)
    # 2.0 + 6 * 0.3 = 3.8 s elapsed; 0.3 s/step once the first step is left out; the last
    # update shows the values it was given (0.85, 2/343).
    assert capsys.readouterr().out == f"7/7 {BAR} 4s 300ms/step - accuracy: 0.8500 - loss: 0.0058\n"


def test_verbose1_on_terminal_redraws_in_place_with_keras_colours(clock, monkeypatch):
    terminal = use_terminal(monkeypatch)
    bar = Progbar(3, verbose=1)
    clock.advance(2.0)
    bar.update(1, [("loss", 1.0)])
    clock.advance(0.3)
    bar.update(2, [("loss", 0.5)])
    clock.advance(0.3)
    bar.update(3, [("loss", 0.25)])

    def frame(count, done, clock_text, per_step, loss):
        green = f"\x1b[32m{'━' * done}\x1b[0m" if done else ""
        return (
            f"\r\x1b[1m{count}\x1b[0m {green}\x1b[37m{'━' * (20 - done)}\x1b[0m "
            f"\x1b[1m{clock_text}\x1b[0m {per_step} - loss: {loss}"
        )

    assert terminal.getvalue() == (
        frame("1/3", 6, "4s", "2s/step", "1.0000")  # ETA 2 s/step * 2 steps left
        + frame("2/3", 13, "0s", "300ms/step", "0.7500")  # running average (1.0 + 0.5) / 2
        + frame("3/3", 20, "3s", "300ms/step", "0.2500")  # final: elapsed 2.6 s, last value
        + "\n"
    )


def test_a_shorter_frame_is_padded_to_erase_the_previous_one(clock, monkeypatch):
    terminal = use_terminal(monkeypatch)
    bar = Progbar(10, verbose=1)
    clock.advance(20.0)
    bar.update(1, [("loss", 1.0)])  # ETA 9 * 20 s = 3:00
    clock.advance(1.0)
    bar.update(2, [("loss", 1.0)])  # ETA 8 * 1 s = 8s: one character shorter
    frames = terminal.getvalue().split("\r")[1:]
    assert "\x1b[1m3:00\x1b[0m 20s/step" in frames[0] and frames[0].endswith(" - loss: 1.0000")
    # "3:00" -> "8s" and "20s/step" -> "1s/step": three characters shorter, three spaces
    assert "\x1b[1m8s\x1b[0m 1s/step" in frames[1] and frames[1].endswith(" - loss: 1.0000   ")


def test_live_redraws_are_throttled_to_the_interval_but_the_last_always_shows(clock, monkeypatch):
    terminal = use_terminal(monkeypatch)
    bar = Progbar(4, verbose=1, interval=0.05)
    clock.advance(1.0)
    bar.update(1)
    clock.advance(0.01)
    bar.update(2)  # 0.01 s after the last draw: skipped
    clock.advance(0.01)
    bar.update(3)  # 0.02 s: skipped
    clock.advance(0.01)
    bar.update(4)  # final: drawn regardless
    counts = [frame.split("\x1b[0m")[0] for frame in terminal.getvalue().split("\r")[1:]]
    assert counts == ["\x1b[1m1/4", "\x1b[1m4/4"]


def test_unknown_target_counts_up(clock, capsys):
    bar = Progbar(None, verbose=1)
    clock.advance(0.5)
    bar.update(1, [("loss", 0.5)])
    clock.advance(0.25)
    bar.update(3, [("loss", 0.25)], finalize=True)
    # 0.75 s elapsed; (0.75 - 0.5) / 2 = 125 ms per step after the first
    assert capsys.readouterr().out == "      3/Unknown 1s 125ms/step - loss: 0.2500\n"


# -- Progbar, verbose=2 and 0 --------------------------------------------------------------------
def test_verbose2_prints_one_line_when_the_target_is_reached(clock, capsys):
    run_steps(Progbar(7, verbose=2), clock, 7)
    assert capsys.readouterr().out == "7/7 - 4s - 300ms/step - accuracy: 0.8500 - loss: 0.0058\n"


def test_verbose2_pads_the_count_to_the_target_width(clock, capsys):
    bar = Progbar(120, verbose=2)
    clock.advance(1.2)
    bar.update(7, [("loss", 0.5)], finalize=True)
    assert capsys.readouterr().out == "  7/120 - 1s - 171ms/step - loss: 0.5000\n"


def test_verbose0_prints_nothing(clock, monkeypatch):
    terminal = use_terminal(monkeypatch)
    run_steps(Progbar(7, verbose=0), clock, 7)
    assert terminal.getvalue() == ""


# -- number and time formats ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "verbose", "text"),
    [
        (0.12345, 1, "0.1235"),
        (1234.5, 1, "1234.5000"),
        (0.0011, 1, "0.0011"),
        (0.001, 1, "1.0000e-03"),  # at most 1e-3 in magnitude: scientific
        (0.0, 1, "0.0000e+00"),
        (2.5e-5, 1, "2.5000e-05"),
        (-0.5, 1, "-0.5000"),  # verbose=1 looks at the magnitude ...
        (-0.5, 2, "-5.0000e-01"),  # ... verbose=2 at the signed value (Keras's rule, kept)
        (float("nan"), 1, "nan"),
    ],
)
def test_metric_value_formats(clock, capsys, value, verbose, text):
    bar = Progbar(1, verbose=verbose)
    bar.update(1, [("m", value)])
    assert capsys.readouterr().out.rstrip("\n").endswith(f" - m: {text}")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.0, "0s"), (42.9, "42s"), (60.0, "60s"), (125.0, "2:05"), (3600.0, "60:00"), (3723.0, "1:02:03")],
)
def test_eta_formats(seconds, text):
    assert _format_eta(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, " 0s/step"),
        (2.4, " 2s/step"),
        (1.0, " 1s/step"),
        (0.025, " 25ms/step"),
        (0.001, " 1ms/step"),
        (0.00084, " 840us/step"),
    ],
)
def test_time_per_step_formats(seconds, text):
    assert _format_time_per_unit(seconds, "step") == text


# -- averaging -----------------------------------------------------------------------------------
def test_stateless_metrics_are_averaged_weighted_by_steps_and_stateful_shown_as_given(clock, monkeypatch):
    terminal = use_terminal(monkeypatch)
    bar = Progbar(10, verbose=1, stateful_metrics=["lr"], interval=0)
    bar.update(1, [("loss", 1.0), ("lr", 0.5)])
    bar.update(4, [("loss", 2.0), ("lr", 0.25)])  # covers 3 steps: (1 + 3 * 2) / 4 = 1.75
    assert terminal.getvalue().endswith(" - loss: 1.7500 - lr: 0.2500")


def test_add_advances_by_n(clock, monkeypatch):
    terminal = use_terminal(monkeypatch)
    bar = Progbar(10, verbose=1, interval=0)
    bar.add(2, [("loss", 1.0)])
    bar.add(2, [("loss", 0.0)])
    assert terminal.getvalue().split("\r")[-1].startswith("\x1b[1m 4/10\x1b[0m")
    assert terminal.getvalue().endswith(" - loss: 0.5000")


def test_stateful_and_stateless_together_is_an_error():
    with pytest.raises(ValueError, match=r"either `stateful_metrics`.*not both"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


# -- ProgbarLogger through a CallbackList, as fit / evaluate / predict drive it --------------------
def fit(callbacks, clock, epochs=2, steps=3, validation=True):
    """The hook sequence of Model.fit, with made-up logs; returns nothing (output is printed)."""
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for batch in range(steps):
            callbacks.on_train_batch_begin(batch)
            clock.advance(1.0 if batch == 0 else 0.02)
            callbacks.on_train_batch_end(batch, {"accuracy": 0.5 + batch / 10, "loss": 1.0 / (batch + 1)})
        logs = {"accuracy": 0.7, "loss": 0.3333}
        if validation:
            callbacks.on_test_begin()
            for batch in range(2):
                callbacks.on_test_batch_begin(batch)
                callbacks.on_test_batch_end(batch, {"accuracy": 0.6, "loss": 0.5})
            callbacks.on_test_end({"accuracy": 0.6, "loss": 0.5})
            logs.update({"val_accuracy": 0.6, "val_loss": 0.5})
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end(logs)


def test_fit_verbose2_prints_epoch_headers_and_one_line_each(clock, capsys):
    fit(CallbackList(add_history=True, add_progbar=True, model=FakeModel(), verbose=2, epochs=2, steps=3), clock)
    line = "3/3 - 1s - 347ms/step - accuracy: 0.7000 - loss: 0.3333 - val_accuracy: 0.6000 - val_loss: 0.5000"
    assert capsys.readouterr().out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_fit_verbose1_off_terminal_prints_the_final_bar_per_epoch(clock, capsys):
    fit(CallbackList(add_progbar=True, model=FakeModel(), verbose=1, epochs=2, steps=3), clock)
    # the first step (1 s) is left out of the per-step time: 20 ms
    line = f"3/3 {BAR} 1s 20ms/step - accuracy: 0.7000 - loss: 0.3333 - val_accuracy: 0.6000 - val_loss: 0.5000"
    assert capsys.readouterr().out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_one_epoch_prints_no_epoch_header_and_auto_means_verbose1(clock, capsys):
    fit(
        CallbackList(add_progbar=True, model=FakeModel(), verbose="auto", epochs=1, steps=3),
        clock,
        epochs=1,
        validation=False,
    )
    assert capsys.readouterr().out == f"3/3 {BAR} 1s 20ms/step - accuracy: 0.7000 - loss: 0.3333\n"


def test_unknown_steps_are_learned_in_the_first_epoch(clock, capsys):
    fit(CallbackList(add_progbar=True, model=FakeModel(), verbose=2, epochs=2, steps=None), clock, validation=False)
    line = "3/3 - 1s - 347ms/step - accuracy: 0.7000 - loss: 0.3333"
    assert capsys.readouterr().out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_keys_added_by_earlier_callbacks_are_printed_last(clock, capsys):
    class AddsRate(Callback):
        def on_epoch_end(self, epoch, logs=None):
            # A float32 rate read back as a Python float, as ReduceLROnPlateau logs it:
            # 0.0010000000474974513 > 1e-3, so it prints as "0.0010".
            logs["learning_rate"] = float(np.float32(0.001))

    fit(
        CallbackList([AddsRate()], add_progbar=True, model=FakeModel(), verbose=2, epochs=1, steps=3),
        clock,
        epochs=1,
        validation=False,
    )
    assert capsys.readouterr().out.endswith("- loss: 0.3333 - learning_rate: 0.0010\n")


def test_evaluate_shows_its_own_bar(clock, capsys):
    callbacks = CallbackList(add_progbar=True, model=FakeModel(), verbose=1, epochs=1, steps=2)
    callbacks.on_test_begin()
    for batch in range(2):
        clock.advance(0.5)
        callbacks.on_test_batch_end(batch, {"accuracy": 0.9, "loss": 0.1})
    callbacks.on_test_end({"accuracy": 0.9, "loss": 0.1})
    assert capsys.readouterr().out == f"2/2 {BAR} 1s 500ms/step - accuracy: 0.9000 - loss: 0.1000\n"


def test_predict_shows_steps_only(clock, capsys):
    callbacks = CallbackList(add_progbar=True, model=FakeModel(), verbose=2, epochs=1, steps=4)
    callbacks.on_predict_begin()
    for batch in range(4):
        clock.advance(0.004)
        callbacks.on_predict_batch_end(batch, {"outputs": [[0.1, 0.9]]})
    callbacks.on_predict_end()
    assert capsys.readouterr().out == "4/4 - 0s - 4ms/step\n"


def test_progbar_logger_with_verbose0_is_silent(clock, capsys):
    fit(CallbackList([ProgbarLogger()], model=FakeModel(), verbose=0, epochs=2, steps=3), clock)
    assert capsys.readouterr().out == ""


def test_a_console_that_cannot_encode_the_bar_gets_equals_signs(clock, monkeypatch):
    raw = io.BytesIO()
    console = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", console)
    bar = Progbar(2, verbose=1)
    bar.update(2, [("loss", 0.5)])
    console.flush()
    assert raw.getvalue() == b"2/2 ==================== 0s 0s/step - loss: 0.5000\n"
