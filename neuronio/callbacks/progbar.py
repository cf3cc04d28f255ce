"""Keras 3's progress display: `Progbar` draws the bar, `ProgbarLogger` drives it from `fit`.

What `fit(verbose=...)` prints, exactly as Keras 3 does:

    Epoch 1/10                                              (only when epochs > 1)
    469/469 ━━━━━━━━━━━━━━━━━━━━ 12s 25ms/step - accuracy: 0.9012 - loss: 0.3321 - val_accuracy: ...
                                                            verbose=1: the last frame of a live bar
    469/469 - 12s - 25ms/step - accuracy: 0.9012 - loss: 0.3321 - val_accuracy: ...
                                                            verbose=2: one line per epoch

On a terminal (or Jupyter, or PyCharm's console) a verbose=1 bar is redrawn in place with '\\r'
at most every `interval` seconds, with an ETA while running ("  12/469 ━━━━━━━━━━━━━━━━━━━━
3s 8ms/step - ...") and Keras's colours (bold counts and times, a green done part). Anywhere
else (a file, a pipe, pytest's capture) it prints only the final line of each bar, plain.
"""

import math
import os
import re
import sys
import time

import numpy as np

from neuronio import config
from neuronio.callbacks.callback import Callback, _print_msg

_BAR_CHAR = "━"
_BOLD, _GREEN, _WHITE = "1", "32", "37"
_ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


class Progbar:
    """A progress bar with running metrics (Keras's `keras.utils.Progbar`).

    Args:
        target: total number of steps, or None if unknown (the bar then shows "12/Unknown").
        width: number of bar characters.
        verbose: 0 silent, 1 a live bar, 2 one line when the target is reached.
        interval: the least time in seconds between two redraws of a live bar.
        stateful_metrics: names shown as given; all others are averaged over the steps so far.
        stateless_metrics: names averaged over the steps; all others shown as given. Give at
            most one of the two; with neither, every metric is averaged.
        unit_name: the unit of the time-per-step figure ("step", "sample").

    >>> bar = Progbar(3, verbose=2)
    >>> for step in (1, 2, 3):
    ...     bar.update(step, [("loss", 1.0 / step)])
    3/3 - 0s - ...s/step - loss: 0.3333
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name: str = "step",
    ):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: give either `stateful_metrics` (names shown as given; the rest are "
                "averaged) or `stateless_metrics` (names averaged; the rest shown as given), not "
                f"both. Received stateful_metrics={stateful_metrics!r}, "
                f"stateless_metrics={stateless_metrics!r}."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
            self.stateless_metrics = None
        # Logged lines (interactive logging disabled) are plain final frames, as elsewhere off a terminal.
        self._live = _is_live_display(sys.stdout) and config.is_interactive_logging_enabled()
        self._values: dict[str, list] = {}  # name -> [weighted sum, weight], in first-seen order
        self._seen_so_far = 0
        self._start = time.monotonic()
        self._last_update = -math.inf  # the first update always draws
        self._time_after_first_step = None
        self._prev_width = 0

    def update(self, current: int, values=None, finalize: bool | None = None) -> None:
        """Move the bar to step `current` (1-based) and fold in `values`.

        Args:
            current: steps done so far.
            values: list of `(name, value)` pairs for the latest step.
            finalize: whether this is the bar's last update; by default, when `current`
                reaches the target.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._accumulate(current, values or (), finalize)
        self._seen_so_far = current
        now = time.monotonic()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            # A live bar redraws at most every `interval` seconds; elsewhere only the last frame
            # is printed, so a log file gets one line per bar, not one per redraw.
            if not finalize and (not self._live or now - self._last_update < self.interval):
                return
            self._draw(self._bar_line(current, now, time_per_unit, finalize), finalize)
        elif self.verbose == 2 and finalize and self._has_target():
            _print_msg(self._summary_line(current, now, time_per_unit))
        self._last_update = now

    def add(self, n: int, values=None) -> None:
        """Advance the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    # -- bookkeeping -----------------------------------------------------------------------------
    def _accumulate(self, current, values, finalize) -> None:
        for name, value in values:
            if self.stateful_metrics is not None:
                stateless = name not in self.stateful_metrics
            else:
                stateless = name in self.stateless_metrics
            if not stateless or finalize or isinstance(value, str):
                # A finalizing update carries the epoch's result: shown as given (Keras).
                self._values[name] = [value, 1]
                continue
            # Each step's value is weighted by the steps it covers, so `add(5, ...)` counts 5.
            weight = max(current - self._seen_so_far, 1)
            if name in self._values:
                self._values[name][0] += value * weight
                self._values[name][1] += weight
            else:
                self._values[name] = [value * weight, weight]

    def _estimate_step_duration(self, current, now) -> float:
        """Seconds per step; the first step (compilation, caches) is left out once there are more."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit

    def _has_target(self) -> bool:
        return self.target is not None and self.target > 0

    # -- text ------------------------------------------------------------------------------------
    def _style(self, text: str, code: str) -> str:
        """ANSI-styled text on a live display (Keras's codes), plain text elsewhere."""
        return f"\x1b[{code}m{text}\x1b[0m" if self._live else text

    def _count(self, current) -> str:
        digits = int(math.log10(self.target)) + 1
        return f"{int(current):{digits}d}/{int(self.target)}"

    def _bar_line(self, current, now, time_per_unit, finalize) -> str:
        # 1. "  12/469 ━━━━━━━━━━━━━━━━━━━━", or "     12/Unknown" without a target
        if self._has_target():
            done = int(self.width * float(current) / self.target)
            line = self._style(self._count(current), _BOLD) + " "
            if done > 0:
                line += self._style(_BAR_CHAR * done, _GREEN)
            line += self._style(_BAR_CHAR * (self.width - done), _WHITE)
        else:
            line = f"{int(current):7d}/Unknown"
        # 2. the ETA while running, the elapsed time once finished; then the time per step
        if self._has_target() and not finalize:
            clock = _format_eta(time_per_unit * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        line += " " + self._style(clock, _BOLD) + _format_time_per_unit(time_per_unit, self.unit_name)
        # 3. the metrics, in the order they first appeared
        return line + self._metrics_text(abs_threshold=True)

    def _summary_line(self, current, now, time_per_unit) -> str:
        line = f"{self._count(current)} - {now - self._start:.0f}s -"
        line += _format_time_per_unit(time_per_unit, self.unit_name)
        return line + self._metrics_text(abs_threshold=False)

    def _metrics_text(self, abs_threshold: bool) -> str:
        text = ""
        for name, (total, count) in self._values.items():
            if isinstance(total, str):
                text += f" - {name}: {total}"
                continue
            if not isinstance(total, float):
                total = np.mean(total)  # ints, NumPy scalars, per-class arrays
            average = total / max(1, count)
            # Keras's rule: 4 decimals, or 4 significant digits in scientific notation for values
            # whose magnitude is at most 1e-3. verbose=2 compares the signed value, so a negative
            # metric prints in scientific notation there; we keep that to print what Keras prints.
            large = abs(average) > 1e-3 if abs_threshold else average > 1e-3
            text += f" - {name}: {average:.4f}" if large else f" - {name}: {average:.4e}"
        return text

    def _draw(self, line: str, finalize: bool) -> None:
        width = len(_ANSI_CODE.sub("", line))
        if self._live:
            # Back to the line start; pad with spaces to erase what a longer frame left behind.
            message = "\r" + line + " " * max(0, self._prev_width - width)
            message += "\n" if finalize else ""
        else:
            message = line + "\n"
        _print_msg(message, line_break=False)
        self._prev_width = width


class ProgbarLogger(Callback):
    """Prints the progress of `fit`, `evaluate` and `predict`; added by them when verbose != 0.

    It reads `params` (`verbose`: 1, 2 or "auto" meaning 1; `epochs`; `steps` per epoch, or None
    if unknown). Inside `fit`, validation runs silently and its `val_` metrics appear on the
    epoch's last line.
    """

    def __init__(self):
        super().__init__()
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs=None):
        self._called_in_fit = True

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            _print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # the batch's predictions are not metrics

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self) -> None:
        self.seen = 0
        # stateless_metrics=set(): every value is shown as given, since the loop's logs are
        # already running averages.
        self.progbar = Progbar(self.target, verbose=self.verbose, unit_name="step", stateless_metrics=set())

    def _update_progbar(self, batch, logs) -> None:
        if self.progbar is None:
            self._reset_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs) -> None:
        if self.progbar is None:
            self._reset_progbar()
        if self.target is None:
            # Steps were unknown: the first epoch counted them for the ones after it.
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list((logs or {}).items()), finalize=True)


def _is_live_display(stream) -> bool:
    """Whether `stream` redraws a line on '\\r': a terminal, a Jupyter kernel or PyCharm's console."""
    # Keras also treats every POSIX system as live ("posix" in sys.modules), which writes '\r'
    # frames and colour codes into log files and pipes; there we print plain final lines.
    isatty = getattr(stream, "isatty", None)
    try:
        tty = bool(isatty()) if callable(isatty) else False
    except (ValueError, OSError):  # a closed or detached stream
        tty = False
    return tty or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _format_eta(seconds: float) -> str:
    """'1:02:03' past an hour, '2:05' past a minute, else '42s' (truncated, as Keras's %d)."""
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


def _format_time_per_unit(seconds: float, unit_name: str) -> str:
    """' 3s/step' from one second up (and for 0), ' 25ms/step' from 1 ms, else ' 840us/step'."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"
