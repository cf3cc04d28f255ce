"""The state a callback hands to BackupAndRestore, so that a resumed run repeats its decisions.

A callback takes part by defining two methods (every stateful built-in one does):

    get_resume_state() -> dict       its state after the last finished epoch, as JSON values
    set_resume_state(state) -> None  put that state back

BackupAndRestore stores the dicts in its backup and, when it resumes, hands each back before the
callback's own `on_train_begin` has run (its reset is then followed by the restore: see
`Resumable`). Arrays go through `encode_array`/`decode_array`, which keep them bit for bit.
"""

import base64

import numpy as np


class Resumable:
    """Mixin: keeps a restored state until the callback's `on_train_begin` takes it."""

    _pending_resume_state = None

    def get_resume_state(self) -> dict:
        raise NotImplementedError

    def set_resume_state(self, state: dict) -> None:
        raise NotImplementedError

    def _queue_resume_state(self, state: dict) -> None:
        """Called by BackupAndRestore before this callback's on_train_begin: applied now (so that
        a damaged state fails here, as the backup's fault), and again after that reset."""
        self.set_resume_state(state)
        self._pending_resume_state = state

    def _take_resume_state(self) -> bool:
        """At the end of on_train_begin: apply a queued state; True if there was one."""
        state, self._pending_resume_state = self._pending_resume_state, None
        if state is None:
            return False
        self.set_resume_state(state)
        return True


def plain(value):
    """A monitored value as JSON takes it (NumPy scalars become Python numbers)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return np.asarray(value).item()


def optional_number(value):
    """A restored best value: None or a float (ValueError for anything else, e.g. text)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number or null; received {value!r}")
    return float(value)


def encode_array(array) -> dict:
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "data": base64.b64encode(array.tobytes()).decode()}


def decode_array(value: dict) -> np.ndarray:
    dtype = np.dtype(value["dtype"])
    if dtype.kind not in "fiub":
        raise ValueError(f"not a numeric dtype: {dtype}")
    raw = base64.b64decode(value["data"], validate=True)
    return np.frombuffer(raw, dtype=dtype).reshape([int(n) for n in value["shape"]]).copy()
