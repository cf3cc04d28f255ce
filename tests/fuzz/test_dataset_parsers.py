"""Mutated and truncated dataset files: the only outcomes are a correct load or FileFormatError.

Every file neuronio reads for a dataset is a TARGET below: a valid small file in its real format
(`base`), the reader neuronio applies to it (`read`), and the invariants a successful load must
satisfy (`check`). Each example damages `base` with a few random edits (set, delete, insert or
duplicate bytes) and perhaps cuts it short. Any exception other than FileFormatError, a run past
the deadline, or more than PEAK_BYTES of Python allocations (tracemalloc, which also counts NumPy
buffers) fails the example.

The CI budget is small (FUZZ_EXAMPLES per target, a few seconds in all); set
NEURONIO_FUZZ_EXAMPLES for a longer run, or run benchmarks/fuzz_datasets.py, which counts the
outcomes of many more cases.
"""

import atexit
import dataclasses
import datetime
import gzip
import hashlib
import io
import os
import pathlib
import pickle
import shutil
import tarfile
import tempfile
import tracemalloc
import zipfile
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neuronio.datasets import cifar10, fashion_mnist, mnist
from neuronio.datasets._npz import read_npz
from neuronio.datasets._safe_pickle import load_arrays
from neuronio.errors import FileFormatError
from tests.datasets import writers

# The inputs are a few KB; a parser that trusts a length field would allocate far more.
PEAK_BYTES = 16 << 20
DEADLINE = datetime.timedelta(seconds=2)
FUZZ_EXAMPLES = int(os.environ.get("NEURONIO_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=DEADLINE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_RNG = np.random.default_rng(0)
_DIGITS = writers.mnist_arrays(_RNG, n_train=3, n_test=1)
_SPLITS = writers.wheel_splits(_DIGITS, n_valid=1)
_IDX_IMAGES = writers.idx_bytes(_DIGITS["x_train"][:, :4, :5])  # (3, 4, 5) uint8
_IDX_LABELS = writers.idx_bytes(_DIGITS["y_train"])
_CIFAR_EXPECTED, _CIFAR_MEMBERS = writers.cifar_dataset(_RNG, n_per_batch=(1, 2, 1, 1, 1), n_test=1)
_SMALL_ARRAYS = (np.arange(6, dtype=np.float32).reshape(2, 3), np.array([1, 2], np.int64), {"k": np.zeros(2, "u1")})
_WHEEL_PICKLES = {"py2": writers.py2_pickle(_SPLITS), "protocol 4": pickle.dumps(_SPLITS, protocol=4)}
_HEAD = 600  # a wheel pickle's opcodes, names and array headers; the pixel data follows
_MNIST_NAMES = list(mnist.ARRAY_SHA256)
_SCRATCH = pathlib.Path(tempfile.mkdtemp(prefix="neuronio-fuzz-"))  # files for the readers that take a path
atexit.register(shutil.rmtree, _SCRATCH, True)


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


@dataclasses.dataclass(frozen=True)
class Target:
    """One kind of file: `read(damaged bytes)` returns the load or raises FileFormatError, and
    `check(result)` asserts what a successful load promises."""

    name: str
    base: bytes = dataclasses.field(repr=False)
    read: Callable = dataclasses.field(repr=False)
    check: Callable = dataclasses.field(default=lambda result: None, repr=False)


def _on_disk(data: bytes, suffix: str) -> pathlib.Path:
    path = _SCRATCH / f"case{suffix}"
    path.write_bytes(data)
    return path


# -- readers and invariants ---------------------------------------------------------------------
def _check_idx(raw):
    def check(array):
        header = 4 + 4 * array.ndim
        assert array.shape == tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(array.ndim))
        assert array.nbytes == len(raw) - header

    return check


def _read_idx(raw):
    array = fashion_mnist.parse_idx(raw, "fuzz.idx")
    _check_idx(raw)(array)
    return array


def _read_idx_gz(data):
    raw = fashion_mnist.gunzip(data, 1 << 16, "fuzz.gz")
    return _read_idx(raw)


def _read_idx_gz_file(data):
    # The cache reader: size check, bounded gunzip, SHA-256 of the content, then the parse.
    digest = hashlib.sha256(_IDX_IMAGES).hexdigest()
    return fashion_mnist.read_idx_gz(_on_disk(data, ".gz"), digest)


def _check_cifar_batch(loaded):
    x, y = loaded
    assert x.shape[1:] == (32, 32, 3) and y.shape == (len(x), 1) and y.max() < 10


def _check_cifar(loaded):
    (x_train, y_train), (x_test, y_test) = loaded
    assert x_train.shape[1:] == x_test.shape[1:] == (32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (len(x_train), 1) and y_test.shape == (len(x_test), 1)


def _tar(members) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _check_mnist(arrays):
    assert arrays["x_train"].shape[1:] == arrays["x_test"].shape[1:] == (28, 28)
    assert (
        arrays["y_train"].shape == arrays["x_train"].shape[:1] and arrays["y_test"].shape == arrays["x_test"].shape[:1]
    )
    assert all(a.dtype == np.uint8 for a in arrays.values()) and arrays["y_train"].max(initial=0) <= 9


def _npz_bytes(members: dict[str, bytes], compression) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


_NPY_MEMBERS = {f"{name}.npy": _npy(array) for name, array in _DIGITS.items()}


def _read_mnist_npz(data):
    """MNIST's cache reader up to its digest check (the digests of random digits never match)."""
    path = _on_disk(data, ".npz")
    arrays = read_npz(path, _MNIST_NAMES, 1 << 20, mnist._NPZ_LAYOUT, what="an MNIST npz")
    mnist._check_layout(arrays, path)
    return arrays


def _read_npz_with_member(npy):
    """A valid zip whose x_train.npy is the damaged bytes: the edits reach the .npy header parser."""
    return _read_mnist_npz(_npz_bytes({**_NPY_MEMBERS, "x_train.npy": npy}, zipfile.ZIP_STORED))


TARGETS = [
    Target("IDX images", _IDX_IMAGES, _read_idx),
    Target("IDX labels", _IDX_LABELS, _read_idx),
    Target("IDX .gz bytes", gzip.compress(_IDX_IMAGES, mtime=0), _read_idx_gz),
    Target("IDX .gz cache file", gzip.compress(_IDX_IMAGES, mtime=0), _read_idx_gz_file),
    Target(
        "CIFAR batch records",
        _CIFAR_MEMBERS[cifar10.TEST_MEMBER] + _CIFAR_MEMBERS[cifar10.TRAIN_MEMBERS[1]],
        lambda raw: cifar10.parse_batch(raw, "fuzz.bin"),
        _check_cifar_batch,
    ),
    # Damage the tar itself, then gzip it, so the edits reach tarfile and the record parser.
    Target(
        "CIFAR tar headers",
        _tar(_CIFAR_MEMBERS),
        lambda tar: cifar10.read_archive(io.BytesIO(gzip.compress(tar, mtime=0)), "fuzz.tar.gz"),
        _check_cifar,
    ),
    Target(
        "CIFAR .tar.gz",
        writers.cifar_archive_bytes(_CIFAR_MEMBERS),
        lambda data: cifar10.read_archive(io.BytesIO(data), "fuzz.tar.gz"),
        _check_cifar,
    ),
    Target(
        "pickle (Python 2)",
        writers.py2_pickle(_SMALL_ARRAYS),
        lambda data: load_arrays(io.BytesIO(data), "fuzz.pkl", 1 << 16),
    ),
    Target(
        "pickle (protocol 4)",
        pickle.dumps(_SMALL_ARRAYS, protocol=4),
        lambda data: load_arrays(io.BytesIO(data), "fuzz.pkl", 1 << 16),
    ),
    *(
        Target(
            f"MNIST wheel, {dialect} pickle head",
            full[:_HEAD],
            lambda head, full=full: mnist.read_wheel(io.BytesIO(writers.wheel_bytes(head + full[_HEAD:])), "fuzz.whl"),
            _check_mnist,
        )
        for dialect, full in _WHEEL_PICKLES.items()
    ),
    Target(
        "MNIST wheel zip",
        writers.wheel_bytes(_WHEEL_PICKLES["py2"]),
        lambda data: mnist.read_wheel(io.BytesIO(data), "fuzz.whl"),
        _check_mnist,
    ),
    Target("MNIST npz cache (stored)", _npz_bytes(_NPY_MEMBERS, zipfile.ZIP_STORED), _read_mnist_npz, _check_mnist),
    Target(
        "MNIST npz (Keras's, deflated)", _npz_bytes(_NPY_MEMBERS, zipfile.ZIP_DEFLATED), _read_mnist_npz, _check_mnist
    ),
    Target("MNIST npz, .npy member", _NPY_MEMBERS["x_train.npy"], _read_npz_with_member, _check_mnist),
]


def outcome(target: Target, data: bytes):
    """Run `target.read` under tracemalloc; return its checked result, or None if it raised
    FileFormatError. Any other exception propagates."""
    tracemalloc.start()
    try:
        result = target.read(data)
    except FileFormatError:
        result = None
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"{target.name}: {peak} bytes allocated for an input of {len(data)} bytes"
    if result is not None:
        target.check(result)
    return result


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_every_base_file_loads(target):
    assert outcome(target, target.base) is not None


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
@FUZZ
@given(data=st.data())
def test_damaged_file_loads_or_raises_file_format_error(target, data):
    outcome(target, data.draw(damaged(target.base), label="damaged"))
