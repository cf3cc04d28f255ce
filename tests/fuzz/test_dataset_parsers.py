"""Mutated and truncated dataset files: the only outcomes are a correct load or FileFormatError.

Each parser gets a valid small file in its real format, damaged by a few random edits (set,
delete, insert or duplicate bytes) and perhaps cut short. Whatever comes out must be either a
load that satisfies the format's invariants or `FileFormatError`: any other exception, a run past
the deadline, or more than PEAK_BYTES of Python allocations (tracemalloc, which also counts NumPy
buffers) fails the example.
"""

import datetime
import gzip
import io
import pickle
import tarfile
import tracemalloc

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuronio.datasets import cifar10, fashion_mnist, mnist
from neuronio.datasets._safe_pickle import load_arrays
from neuronio.errors import FileFormatError
from tests.datasets import writers

# The inputs are a few KB; a parser that trusts a length field would allocate far more.
PEAK_BYTES = 16 << 20
FUZZ = settings(
    max_examples=150,
    deadline=datetime.timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_RNG = np.random.default_rng(0)
_DIGITS = writers.mnist_arrays(_RNG, n_train=3, n_test=1)
_SPLITS = writers.wheel_splits(_DIGITS, n_valid=1)
_IDX_IMAGES = writers.idx_bytes(_DIGITS["x_train"][:, :4, :5])  # (3, 4, 5) uint8
_IDX_LABELS = writers.idx_bytes(_DIGITS["y_train"])
_CIFAR_EXPECTED, _CIFAR_MEMBERS = writers.cifar_dataset(_RNG, n_per_batch=(1, 2, 1, 1, 1), n_test=1)
_SMALL_ARRAYS = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], np.int64), {"k": np.zeros(2, "u1")})


@st.composite
def damaged(draw, base: bytes) -> bytes:
    """`base` with up to 6 random byte edits, then possibly truncated."""
    data = bytearray(base)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        kind = draw(st.sampled_from(["set", "set", "delete", "insert", "duplicate"]))
        if kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 16))]
    if draw(st.booleans()):
        del data[draw(st.integers(0, len(data))) :]
    return bytes(data)


def _outcome(parse, *args):
    """Run `parse` under tracemalloc; return its result, or None if it raised FileFormatError."""
    tracemalloc.start()
    try:
        result = parse(*args)
    except FileFormatError:
        result = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{peak} bytes allocated for an input of a few KB"
    return result


# -- IDX ----------------------------------------------------------------------------------------
@FUZZ
@given(st.one_of(damaged(_IDX_IMAGES), damaged(_IDX_LABELS)))
def test_idx_parser(raw):
    array = _outcome(fashion_mnist.parse_idx, raw, "fuzz.idx")
    if array is not None:
        header = 4 + 4 * array.ndim
        assert array.shape == tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(array.ndim))
        assert array.nbytes == len(raw) - header


@FUZZ
@given(damaged(gzip.compress(_IDX_IMAGES, mtime=0)))
def test_idx_gz_reader(data):
    raw = _outcome(fashion_mnist.gunzip, data, 1 << 16, "fuzz.gz")
    if raw is not None:
        _outcome(fashion_mnist.parse_idx, raw, "fuzz.gz")


# -- CIFAR-10 binary ----------------------------------------------------------------------------
@FUZZ
@given(damaged(_CIFAR_MEMBERS[cifar10.TEST_MEMBER] + _CIFAR_MEMBERS[cifar10.TRAIN_MEMBERS[1]]))
def test_cifar_batch_parser(raw):
    loaded = _outcome(cifar10.parse_batch, raw, "fuzz.bin")
    if loaded is not None:
        x, y = loaded
        assert x.shape == (len(raw) // 3073, 32, 32, 3) and y.shape == (len(x), 1) and y.max() < 10


def _tar(members) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _check_cifar(loaded):
    if loaded is not None:
        (x_train, y_train), (x_test, y_test) = loaded
        assert x_train.shape[1:] == x_test.shape[1:] == (32, 32, 3) and x_train.dtype == np.uint8
        assert y_train.shape == (len(x_train), 1) and y_test.shape == (len(x_test), 1)


@FUZZ
@given(damaged(_tar(_CIFAR_MEMBERS)))
def test_cifar_archive_with_damaged_tar_headers(tar_bytes):
    # Damage the tar itself, then gzip it, so the edits reach tarfile and the record parser.
    _check_cifar(_outcome(cifar10.read_archive, io.BytesIO(gzip.compress(tar_bytes, mtime=0)), "fuzz.tar.gz"))


@FUZZ
@given(damaged(writers.cifar_archive_bytes(_CIFAR_MEMBERS)))
def test_cifar_archive_with_damaged_gzip(data):
    _check_cifar(_outcome(cifar10.read_archive, io.BytesIO(data), "fuzz.tar.gz"))


# -- pickles and the MNIST wheel ------------------------------------------------------------------
@FUZZ
@given(st.one_of(damaged(writers.py2_pickle(_SMALL_ARRAYS)), damaged(pickle.dumps(_SMALL_ARRAYS, protocol=4))))
def test_safe_unpickler(data):
    _outcome(load_arrays, io.BytesIO(data), "fuzz.pkl", 1 << 16)


def _check_mnist(arrays):
    if arrays is not None:
        assert arrays["x_train"].shape[1:] == arrays["x_test"].shape[1:] == (28, 28)
        assert (
            arrays["y_train"].shape == arrays["x_train"].shape[:1]
            and arrays["y_test"].shape == arrays["x_test"].shape[:1]
        )
        assert all(a.dtype == np.uint8 for a in arrays.values()) and arrays["y_train"].max(initial=0) <= 9


_WHEEL_PICKLES = (writers.py2_pickle(_SPLITS), pickle.dumps(_SPLITS, protocol=4))
_HEAD = 600  # the opcodes, names and array headers; the pixel data follows


@FUZZ
@given(st.sampled_from(_WHEEL_PICKLES).flatmap(lambda full: st.tuples(st.just(full), damaged(full[:_HEAD]))))
def test_wheel_with_damaged_pickle(full_and_head):
    full, head = full_and_head
    wheel = writers.wheel_bytes(head + full[_HEAD:])
    _check_mnist(_outcome(mnist.read_wheel, io.BytesIO(wheel), "fuzz.whl"))


@FUZZ
@given(damaged(writers.wheel_bytes(writers.py2_pickle(_SPLITS))))
def test_wheel_with_damaged_zip(data):
    _check_mnist(_outcome(mnist.read_wheel, io.BytesIO(data), "fuzz.whl"))
