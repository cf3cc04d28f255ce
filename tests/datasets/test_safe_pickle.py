import io
import os
import pickle
import struct
import time
import tracemalloc

import numpy as np
import pytest

from neuronio.datasets._safe_pickle import load_arrays
from neuronio.errors import FileFormatError
from tests.datasets.writers import py2_pickle

LIMIT = 1 << 20
# A pickle of a few bytes may allocate at most this much while loading.
SMALL_PEAK_BYTES = 2 << 20


def _load(data: bytes, limit=LIMIT):
    return load_arrays(io.BytesIO(data), "test.pkl", limit)


def _arrays(rng):
    return {
        "u8": rng.integers(0, 256, (4, 5), dtype=np.uint8),
        "i64": rng.integers(-(2**40), 2**40, (3,), dtype=np.int64),
        "f32": rng.standard_normal((2, 3, 4)).astype(np.float32),
        "f64_big_endian": rng.standard_normal(5).astype(">f8"),
        "fortran": np.asfortranarray(rng.standard_normal((3, 4)).astype(np.float32)),
        "bool": rng.random(6) > 0.5,
        "empty": np.zeros((0, 784), np.float32),
        "scalar": np.array(7, np.int16),
    }


@pytest.mark.parametrize("protocol", [3, 4])
def test_numpy_pickles_of_today_round_trip(rng, protocol):
    arrays = _arrays(rng)
    loaded = _load(pickle.dumps((arrays, [arrays["u8"]]), protocol=protocol))
    assert isinstance(loaded, tuple) and isinstance(loaded[1], list)
    for name, expected in arrays.items():
        np.testing.assert_array_equal(loaded[0][name], expected)
        assert loaded[0][name].dtype == expected.dtype and loaded[0][name].shape == expected.shape


def test_python2_pickles_round_trip(rng):
    arrays = _arrays(rng)
    loaded = _load(py2_pickle(((arrays["f32"], arrays["i64"]), arrays["u8"])))
    np.testing.assert_array_equal(loaded[0][0], arrays["f32"])
    np.testing.assert_array_equal(loaded[0][1], arrays["i64"])
    np.testing.assert_array_equal(loaded[1], arrays["u8"])
    assert loaded[0][0].dtype == np.float32 and not loaded[0][0].flags.writeable


def test_shared_arrays_stay_shared(rng):
    x = rng.standard_normal(3)
    loaded = _load(pickle.dumps([x, x], protocol=4))
    assert loaded[0] is loaded[1]


# -- what it refuses ----------------------------------------------------------------------------
class _Shell:
    """What an attacker would pickle: a reduce that runs a shell command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_os_system_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    for protocol in (0, 2, 4):
        with pytest.raises(FileFormatError, match=rf"test.pkl: refusing to unpickle the global {os.name}.system;"):
            _load(pickle.dumps([_Shell(marker), np.zeros(2)], protocol=protocol))
    assert not marker.exists()


@pytest.mark.parametrize(
    "payload, refused",
    [
        (b"cbuiltins\neval\n(S'1+1'\ntR.", "builtins.eval"),
        (b"csubprocess\nPopen\n(S'true'\ntR.", "subprocess.Popen"),
        (b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x8c\x04exec\x93.", "builtins.exec"),
        (b"cnumpy\nload\n.", "numpy.load"),
        (b"cnumpy.lib.npyio\nload\n.", "numpy.lib.npyio.load"),
    ],
)
def test_other_globals_are_refused_by_name(payload, refused):
    with pytest.raises(FileFormatError, match=rf"refusing to unpickle the global {refused};"):
        _load(payload)


def test_numpy_pickles_through_codecs_are_refused():
    # Python 3 at protocol 2 writes bytes as _codecs.encode(str, 'latin1'): a call outside the four.
    with pytest.raises(FileFormatError, match=r"global _codecs.encode"):
        _load(pickle.dumps(np.arange(3), protocol=2))


def test_admitted_globals_cannot_be_misused():
    ndarray = b"\x80\x02cnumpy\nndarray\n"
    reconstruct = b"\x80\x02cnumpy.core.multiarray\n_reconstruct\n"
    dtype = b"\x80\x02cnumpy\ndtype\n"
    with pytest.raises(FileFormatError, match=r"calls numpy.ndarray directly"):
        _load(ndarray + b"J\x00\xca\x9a\x3b\x85R.")  # ndarray((10**9,))
    with pytest.raises(FileFormatError, match=r"unexpected arguments to _reconstruct"):
        _load(reconstruct + b"cnumpy\nndarray\nJ\x00\xca\x9a\x3b\x85U\x01b\x87R.")  # shape (10**9,)
    with pytest.raises(FileFormatError, match=r"dtype b'O' is not a plain numeric type"):
        _load(dtype + b"U\x01O\x85R.")
    with pytest.raises(FileFormatError, match=r"returns the bare global numpy.dtype"):
        _load(dtype + b".")
    with pytest.raises(FileFormatError, match=r"sets state on numpy.ndarray"):
        _load(ndarray + b"}b.")


def test_array_state_must_match_its_data():
    data = np.arange(6, dtype=np.int32).tobytes()
    good = pickle.dumps(np.arange(6, dtype=np.int32).reshape(2, 3), protocol=4)
    assert b"C\x18" + data in good  # SHORT_BINBYTES of 24 bytes
    with pytest.raises(
        FileFormatError, match=r"shape \(2, 3\) and dtype int32 needs 24 bytes, but the pickle holds 20"
    ):
        _load(good.replace(b"C\x18" + data, b"C\x14" + data[:20]))


def test_persistent_ids_and_bytearray8_are_refused():
    with pytest.raises(FileFormatError, match=r"persistent ids"):
        _load(b"\x80\x02K\x01Q.")
    # BYTEARRAY8 would preallocate its declared length (here 2**40 bytes) before reading.
    with pytest.raises(FileFormatError, match=r"builds a bytearray"):
        _load(b"\x80\x05\x96" + struct.pack("<Q", 2**40) + b".")


def test_lying_lengths_cost_only_the_bytes_present():
    # BINBYTES claiming 2 GiB with 10 bytes present, and a memo index of 2**31 (CPython's C
    # unpickler sizes its memo table from the index: 2**28 made it allocate 4.1 GB, measured).
    cases = [
        b"\x80\x03B" + struct.pack("<I", 2**31 - 1) + b"0123456789",
        b"\x80\x02Nr" + struct.pack("<I", 2**31) + b"h\x00.",
    ]
    tracemalloc.start()
    try:
        for data in cases:
            with pytest.raises(FileFormatError):
                _load(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < SMALL_PEAK_BYTES
    assert _load(b"\x80\x02Nr" + struct.pack("<I", 2**31) + b".") is None


def test_stream_longer_than_its_limit_is_refused(rng):
    data = pickle.dumps(rng.standard_normal(1000), protocol=4)
    assert _load(data, limit=len(data)).shape == (1000,)
    with pytest.raises(FileFormatError, match=r"the pickle is larger than \d+ bytes"):
        _load(data, limit=len(data) - 1)


def test_truncated_and_empty_streams(rng):
    data = pickle.dumps(rng.standard_normal(10), protocol=4)
    for cut in (0, 1, 10, len(data) // 2, len(data) - 1):
        with pytest.raises(FileFormatError, match=r"test.pkl: not a readable pickle of NumPy arrays"):
            _load(data[:cut])


def test_containers_are_bounded_and_walked_once():
    deep = []
    for _ in range(20):
        deep = [deep]
    with pytest.raises(FileFormatError, match=r"nested deeper than 16"):
        _load(pickle.dumps(deep, protocol=4))

    loop = []
    loop.append(loop)
    with pytest.raises(FileFormatError, match=r"holds itself"):
        _load(pickle.dumps(loop, protocol=4))

    # 10 levels of 100 references to the level below: 100**10 paths, 10 distinct lists.
    wide = [np.zeros(1)]
    for _ in range(10):
        wide = [wide] * 100
    start = time.perf_counter()
    loaded = _load(pickle.dumps(wide, protocol=4))
    assert time.perf_counter() - start < 1.0
    assert loaded[99][0][42][0][0][0][0][0][0][0][0][0] == 0.0


def test_other_python_objects_are_refused():
    with pytest.raises(FileFormatError, match=r"builds a set; a pickle of arrays never does"):
        _load(pickle.dumps({1, 2}, protocol=4))
    assert _load(pickle.dumps({"a": (1, 2.5, None, True, b"x", "y")}, protocol=4)) == {
        "a": (1, 2.5, None, True, b"x", "y")
    }
