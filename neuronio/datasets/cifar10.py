"""CIFAR-10: 50,000 training and 10,000 test colour images, 32x32x3, in 10 classes.

Read from the binary version, `cifar-10-binary.tar.gz` (no pickle inside), looked for in the
cache `$NEURONIO_HOME/datasets/` and then downloaded from the authors' page. Its SHA-256 is
c4a38c50...a1dd (170,052,171 bytes; the authors publish MD5 c32a1d4ab5d03f1284b67883e8d87530,
and the SHA-256 is the one TensorFlow Datasets' checksum registry and other loaders record).

Each member `cifar-10-batches-bin/{data_batch_1..5,test_batch}.bin` is a run of fixed 3073-byte
records: one label byte (0-9), then 3072 pixel bytes as three 32x32 planes (red, green, blue),
each row-major. Keras returns channels-last images and (N, 1) labels, so the planes are moved
to the last axis.
"""

import gzip
import os
import tarfile
import zlib

import numpy as np

from neuronio.datasets import _fetch
from neuronio.errors import FileFormatError

ARCHIVE = "cifar-10-binary.tar.gz"
ARCHIVE_SHA256 = "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"
URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
TRAIN_MEMBERS = tuple(f"cifar-10-batches-bin/data_batch_{i}.bin" for i in range(1, 6))
TEST_MEMBER = "cifar-10-batches-bin/test_batch.bin"
RECORD_BYTES = 1 + 3 * 32 * 32
MAX_RECORDS = 10_000  # per member, as in the real archive
# The real archive: 170,052,171 bytes, unpacking to a 184.4 MB tar (six batches, a readme, headers).
MAX_ARCHIVE_BYTES = 192 << 20
MAX_TAR_BYTES = 6 * MAX_RECORDS * RECORD_BYTES + (8 << 20)
N_CLASSES = 10


def load_data():
    """Loads the CIFAR-10 dataset.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (50000, 32, 32, 3),
        (50000, 1), (10000, 32, 32, 3) and (10000, 1). Labels 0-9: airplane, automobile, bird,
        cat, deer, dog, frog, horse, ship, truck.

    Raises:
        DatasetError: when no source gives the verified archive; the message lists each source.
    """
    cached = _fetch.datasets_dir() / ARCHIVE
    return _fetch.first_available(
        "CIFAR-10",
        [
            (f"cache {cached}", lambda: _load_archive(cached)),
            (URL, lambda: _fetch.download(URL, cached, _load_archive, max_bytes=MAX_ARCHIVE_BYTES)),
        ],
        manual=f"To place it by hand, copy {ARCHIVE} ({URL}, SHA-256 {ARCHIVE_SHA256}) to {cached}.",
    )


def _load_archive(path):
    size = os.stat(path).st_size
    if size > MAX_ARCHIVE_BYTES:
        raise FileFormatError(f"{path}: {size} bytes, more than the CIFAR-10 archive ({MAX_ARCHIVE_BYTES}).")
    _fetch.check_sha256(_fetch.sha256_file(path), ARCHIVE_SHA256, path)
    with open(path, "rb") as file:
        return read_archive(file, path)


def read_archive(file, where):
    """Parse an open cifar-10-binary.tar.gz into Keras's ((x_train, y_train), (x_test, y_test)).

    The archive is streamed and only the six batch members are read; nothing is extracted to disk.
    """
    members = _read_members(file, where, (*TRAIN_MEMBERS, TEST_MEMBER))
    train = [parse_batch(members[name], f"{where}:{name}") for name in TRAIN_MEMBERS]
    x_train = np.empty((sum(len(y) for _, y in train), 32, 32, 3), dtype=np.uint8)  # (N, H, W, C)
    np.concatenate([x for x, _ in train], out=x_train)  # into a C-ordered array: one copy, no relayout later
    y_train = np.concatenate([y for _, y in train])  # (N, 1)
    x_test, y_test = parse_batch(members[TEST_MEMBER], f"{where}:{TEST_MEMBER}")
    return (x_train, y_train), (np.ascontiguousarray(x_test), y_test)


def parse_batch(raw: bytes, where) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> images (N, 32, 32, 3) uint8 (a transposed view) and labels (N, 1) uint8.

    >>> red, green, blue = bytes([10]) * 1024, bytes([20]) * 1024, bytes([30]) * 1024
    >>> x, y = parse_batch(bytes([3]) + red + green + blue, "demo")
    >>> x.shape, y.tolist(), x[0, 5, 7].tolist()
    ((1, 32, 32, 3), [[3]], [10, 20, 30])
    """
    if not raw or len(raw) % RECORD_BYTES or len(raw) > MAX_RECORDS * RECORD_BYTES:
        raise FileFormatError(
            f"{where}: {len(raw)} bytes is not a whole number (1 to {MAX_RECORDS}) of {RECORD_BYTES}-byte records."
        )
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD_BYTES)  # (N, 3073)
    labels = records[:, :1].copy()  # (N, 1)
    if labels.max() >= N_CLASSES:
        raise FileFormatError(f"{where}: label {labels.max()} found; CIFAR-10 labels are 0-{N_CLASSES - 1}.")
    planes = records[:, 1:].reshape(-1, 3, 32, 32)  # (N, C, H, W)
    return planes.transpose(0, 2, 3, 1), labels  # (N, H, W, C)


def _read_members(file, where, names, max_member=None, max_tar=None) -> dict[str, bytes]:
    """The named regular-file members of a .tar.gz stream, each read exactly once; a member over
    `max_member` bytes, or an archive unpacking to over `max_tar`, is refused (CIFAR-100 reuses it;
    by default CIFAR-10's bounds)."""
    max_member = MAX_RECORDS * RECORD_BYTES if max_member is None else max_member
    max_tar = MAX_TAR_BYTES if max_tar is None else max_tar
    found = {}
    try:
        # gzip.GzipFile, not tarfile's "r|gz": tarfile's own gzip reader raises TypeError on a
        # header cut short (found by tests/fuzz/test_dataset_parsers.py, CPython 3.11).
        # The unpacked tar is bounded too: skipping a foreign member still inflates all of it.
        with (
            gzip.GzipFile(fileobj=file) as gz,
            tarfile.open(
                fileobj=_fetch.BoundedReader(gz, where, max_tar, "the unpacked archive"), mode="r|"
            ) as archive,
        ):
            for member in archive:
                name = member.name.removeprefix("./")
                if name not in names:
                    continue
                if name in found or not member.isreg() or member.size > max_member:
                    raise FileFormatError(f"{where}: member {name} is repeated, not a regular file, or too large.")
                data = archive.extractfile(member).read()
                if len(data) != member.size:
                    raise FileFormatError(f"{where}: member {name} is truncated.")
                found[name] = data
    except FileFormatError:
        raise
    except (tarfile.TarError, zlib.error, EOFError, OSError, ValueError) as exc:
        raise FileFormatError(f"{where}: not a readable .tar.gz ({type(exc).__name__}: {exc}).") from exc
    missing = [name for name in names if name not in found]
    if missing:
        raise FileFormatError(f"{where}: the archive lacks {', '.join(missing)}.")
    return found
