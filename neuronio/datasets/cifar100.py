"""CIFAR-100: 50,000 training and 10,000 test colour images, 32x32x3, in 100 fine classes grouped
into 20 coarse ones.

Read from Keras's source, the authors' Python version `cifar-100-python.tar.gz`
(https://www.cs.toronto.edu/~kriz/), whose SHA-256 Keras publishes (85cd44d0...77a7). Its members
`cifar-100-python/train` and `.../test` are pickles (written by Python 2) of a dict: `data`, a
uint8 array (N, 3072) of three 32x32 planes (red, green, blue) per image, and `fine_labels` and
`coarse_labels`, lists of ints. A pickle can run code, so it is read with `_safe_pickle`, which
builds only NumPy arrays and plain containers; the archive is streamed, nothing is extracted.
"""

import io
import os

import numpy as np

from neuronio.datasets import _fetch, _safe_pickle
from neuronio.datasets.cifar10 import _read_members
from neuronio.errors import FileFormatError

ARCHIVE = "cifar-100-python.tar.gz"
ARCHIVE_SHA256 = "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"
URL = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
TRAIN_MEMBER, TEST_MEMBER = "cifar-100-python/train", "cifar-100-python/test"
N_CLASSES = {"fine": 100, "coarse": 20}
PIXELS = 3 * 32 * 32
MAX_IMAGES = 50_000
# The real archive: 169,001,437 bytes; its train pickle ~155 MB, the whole tar ~185 MB.
MAX_ARCHIVE_BYTES = 192 << 20
MAX_MEMBER_BYTES = MAX_IMAGES * (PIXELS + 256) + (4 << 20)  # pixels, then per image two labels and a file name
MAX_TAR_BYTES = 2 * MAX_MEMBER_BYTES
MAX_PICKLE_OPS = 12 * MAX_IMAGES  # a few opcodes per label and per file name


def load_data(label_mode="fine"):
    """Loads the CIFAR-100 dataset.

    Args:
        label_mode: "fine" (100 classes) or "coarse" (20 superclasses).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 images of shapes (50000, 32, 32, 3) and
        (10000, 32, 32, 3), and int64 labels of shapes (50000, 1) and (10000, 1) (Keras reshapes
        the pickled list of ints, which gives int64).

    Raises:
        DatasetError: when no source gives the verified archive; the message lists each source.
    """
    if label_mode not in N_CLASSES:
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    cached = _fetch.datasets_dir() / ARCHIVE
    return _fetch.first_available(
        "CIFAR-100",
        [
            (f"cache {cached}", lambda: _load_archive(cached, label_mode)),
            (URL, lambda: _fetch.download(URL, cached, lambda p: _load_archive(p, label_mode),
                                          max_bytes=MAX_ARCHIVE_BYTES)),  # fmt: skip
        ],
        manual=f"To place it by hand, copy {ARCHIVE} ({URL}, SHA-256 {ARCHIVE_SHA256}) to {cached}.",
    )


def _load_archive(path, label_mode):
    size = os.stat(path).st_size
    if size > MAX_ARCHIVE_BYTES:
        raise FileFormatError(f"{path}: {size} bytes, more than the CIFAR-100 archive ({MAX_ARCHIVE_BYTES}).")
    _fetch.check_sha256(_fetch.sha256_file(path), ARCHIVE_SHA256, path)
    with open(path, "rb") as file:
        members = _read_members(file, path, (TRAIN_MEMBER, TEST_MEMBER), MAX_MEMBER_BYTES, MAX_TAR_BYTES)
    train = parse_batch(members[TRAIN_MEMBER], f"{path}:{TRAIN_MEMBER}", label_mode)
    test = parse_batch(members[TEST_MEMBER], f"{path}:{TEST_MEMBER}", label_mode)
    return train, test


def parse_batch(raw: bytes, where, label_mode):
    """One pickled batch -> images (N, 32, 32, 3) uint8 and labels (N, 1) int64."""
    # The archive's SHA-256 was matched above, so the bytes are the published ones: the fast
    # C unpickler may run (still admitting only arrays; see _safe_pickle).
    batch = _safe_pickle.load_arrays(io.BytesIO(raw), where, len(raw), MAX_PICKLE_OPS, known_content=True)
    key = f"{label_mode}_labels".encode()
    if not isinstance(batch, dict) or b"data" not in batch or key not in batch:
        found = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise FileFormatError(f"{where}: expected a dict with 'data' and '{key.decode()}'; found {found}.")
    data, labels = batch[b"data"], batch[key]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != PIXELS:
        raise FileFormatError(f"{where}: 'data' should be uint8 of shape (N, {PIXELS}).")
    if not isinstance(labels, list) or len(labels) != len(data) or not all(type(v) is int for v in labels):
        raise FileFormatError(f"{where}: '{key.decode()}' should be a list of {len(data)} ints.")
    labels = np.reshape(np.asarray(labels, dtype=np.int64), (len(labels), 1))
    if len(labels) and not 0 <= labels.min() <= labels.max() < N_CLASSES[label_mode]:
        raise FileFormatError(f"{where}: {label_mode} labels must be 0-{N_CLASSES[label_mode] - 1}.")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
    return np.ascontiguousarray(images), labels
