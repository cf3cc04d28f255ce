"""Byte-damaged files of every kind neuronio saves and reads back: `.keras` archives and each of
their members, `.weights.h5` files with and without neuronio's checksum, and BackupAndRestore
backups with and without it (tests/fuzz/saved_files.py builds and loads them).

The only outcomes allowed are a correct load or FileFormatError naming the file; each case must
finish within a bounded time (HDF5 parsing runs under a 2 s limit here) and allocate at most
PEAK_BYTES in Python (tracemalloc, which counts NumPy buffers too). A longer run that counts the
outcomes: `python benchmarks/fuzz_files.py`.
"""

import datetime
import os
import random
import tempfile
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuronio.errors import FileFormatError
from neuronio.saving import guard
from tests.fuzz.saved_files import damage, load, valid_files

PEAK_BYTES = 32 << 20  # the files are ~10 kB and the model 40 weights
TIME_LIMIT = 2.0  # seconds of HDF5 parsing per case, in a child process
FUZZ = settings(
    max_examples=int(os.environ.get("NEURONIO_FUZZ_EXAMPLES", 40)),
    deadline=datetime.timedelta(seconds=3 * TIME_LIMIT + 3),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_VALID = valid_files()
_KINDS = sorted(_VALID)

# A damaged file that still parses may hold a different optimizer layout (Keras's rule: skipped with
# a warning), and an edited one no longer matches its checksum (a warning, then every check).
pytestmark = [
    pytest.mark.filterwarnings("ignore:.*skipping the optimizer state:UserWarning"),
    pytest.mark.filterwarnings("ignore:.*checksum neuronio wrote:UserWarning"),
]


@pytest.fixture(autouse=True)
def _short_time_limit(monkeypatch):
    monkeypatch.setattr(guard, "PARSE_TIME_LIMIT", TIME_LIMIT)


def _check(kind: str, data: bytes) -> str:
    """Load; return "ok" or "FileFormatError", after checking time, memory and the message."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.monotonic()
        tracemalloc.start()
        try:
            outcome = load(kind, data, _VALID, folder)
        except FileFormatError as exc:
            assert "fuzz.keras" in str(exc) or "weights.h5" in str(exc), f"the message names no file: {exc}"
            outcome = "FileFormatError"
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        seconds = time.monotonic() - start
    assert peak < PEAK_BYTES, f"{peak} bytes allocated for a {len(data)}-byte {kind} file"
    assert seconds < 3 * TIME_LIMIT + 2, f"{seconds:.1f} s for a {kind} file"
    return outcome


@pytest.mark.parametrize("kind", _KINDS)
def test_every_valid_file_loads(kind):
    assert _check(kind, _VALID[kind]) == "ok"


@FUZZ
@given(st.sampled_from(_KINDS), st.integers(0, 2**32 - 1))
def test_damaged_files(kind, seed):
    _check(kind, damage(_VALID[kind], random.Random(seed)))


_SEALED = _VALID["backup"]
_HEADER_END = _SEALED.index(b"\n", _SEALED.index(b"\n", 16) + 1) + 1  # magic, digest, length


@FUZZ
@given(st.integers(0, 2**32 - 1))
def test_any_change_to_a_backup_is_caught_by_its_checksum(seed):
    data = damage(_SEALED, random.Random(seed))
    outcome = _check("backup", data)
    ours = data.startswith(b"NEURONIO-SHA256\n")  # else it is parsed as a foreign file
    covered = (
        data[:_HEADER_END] != _SEALED[:_HEADER_END] or data[guard.USERBLOCK_SIZE :] != _SEALED[guard.USERBLOCK_SIZE :]
    )
    if ours and covered:
        assert outcome == "FileFormatError"
