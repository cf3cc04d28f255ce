"""CSVLogger: write one row per epoch to a CSV file, in Keras 3's exact layout."""

import collections.abc
import csv
import os
import warnings

import numpy as np

from neuronio.callbacks._resumable import Resumable
from neuronio.callbacks.callback import Callback


class CSVLogger(Resumable, Callback):
    """Stream each epoch's logs to a CSV file.

    Args:
        filename: path of the CSV file, e.g. "run/log.csv".
        separator: the field separator.
        append: add to an existing file (no second header) instead of overwriting it.

    The layout is Keras 3's: a header `epoch,<keys>` with the first epoch's log keys sorted; if
    none of them starts with `val_`, a `val_` twin of every key is added (filled with `NA` while
    there is no validation); `epoch` is 0-based; floats are written as Python prints them
    (`0.8567220568656921`); rows end in '\\r\\n' (the csv module's Excel dialect). The file is
    flushed after every epoch, so it can be read while training runs.

    With BackupAndRestore (listed before it), the backup records how far the file had been
    written; a resumed run cuts off the rows of epochs that are run again and appends after the
    last backed-up one, so the file ends as an uninterrupted run's does (whatever `append` says).
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self._resume_file():
            return
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8", newline="") as existing:
                    self.append_header = not existing.readline()
            mode = "a"
        else:
            mode = "w"
        self._close()
        # Kept open until on_train_end. newline="" leaves line endings to the csv module, which
        # writes '\r\n' on every platform (Keras's files on Linux have them too).
        self.csv_file = open(self.filename, mode, encoding="utf-8", newline="")
        self.writer = None
        self.keys = None

    def get_resume_state(self) -> dict:
        position = 0
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.flush()
            position = self.csv_file.tell()
        return {"position": position, "keys": self.keys, "header_written": self.writer is not None}

    def set_resume_state(self, state: dict) -> None:
        keys = state["keys"]
        if keys is not None and not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
            raise ValueError(f"keys must be a list of column names; received {keys!r}")
        position = int(state["position"])
        if position < 0:
            raise ValueError(f"a file position cannot be negative; received {position}")
        # Applied by _resume_file when on_train_begin opens the file.
        self._pending_resume_state = {
            "position": position,
            "keys": keys,
            "header_written": bool(state["header_written"]),
        }

    def _queue_resume_state(self, state: dict) -> None:
        self.set_resume_state(state)

    def _take_resume_state(self) -> bool:
        return False  # the generic path is not used: _resume_file needs the file

    def _resume_file(self) -> bool:
        """Reopen the file as the backup left it: True if resumed, False to start as usual."""
        state, self._pending_resume_state = self._pending_resume_state, None
        if state is None:
            return False
        position, keys = state["position"], state["keys"]
        size = os.path.getsize(self.filename) if os.path.exists(self.filename) else -1
        if size < position:
            warnings.warn(
                f"CSVLogger: {self.filename} is shorter ({size} bytes) than when the backup was made "
                f"({position}); starting it afresh.",
                stacklevel=3,
            )
            return False
        self._close()
        os.truncate(self.filename, position)
        self.csv_file = open(self.filename, "a", encoding="utf-8", newline="")
        self.keys = keys
        self.writer = None
        self.append_header = not state["header_written"] and position == 0
        return True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                # Validation may start later (validation_freq); keep room for its columns.
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], dialect="excel", delimiter=self.sep
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


def _cell(value):
    """Keras's cell text: strings and scalars as they are, a sequence as "[a, b, c]"."""
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value
