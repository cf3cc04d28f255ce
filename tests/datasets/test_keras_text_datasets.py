"""imdb and reuters `load_data` against real Keras 3 reading the same file: the same sequences and
labels for every combination of Keras's arguments. Keras's `get_file` is pointed at the file the
test writes (it cannot download here, and the file is not Keras's real one)."""

import itertools

import numpy as np
import pytest

from tests.datasets import writers
from tests.helpers import keras_on_torch

keras = keras_on_torch()

from neuronio.datasets import imdb, reuters  # noqa: E402

pytestmark = [pytest.mark.keras, pytest.mark.usefixtures("isolated")]

ARGUMENTS = [
    dict(zip(("num_words", "skip_top", "maxlen", "start_char", "oov_char", "index_from", "seed"), values))
    for values in itertools.product([None, 15], [0, 5], [None, 9], [1, None], [2, None], [3, 0], [113])
] + [{"seed": 7}]


def _same(ours, theirs):
    for (x, y), (kx, ky) in zip(ours, theirs, strict=True):
        assert x.dtype == kx.dtype == object and x.shape == kx.shape
        assert [list(s) for s in x] == [list(s) for s in kx]
        assert y.dtype == ky.dtype
        np.testing.assert_array_equal(y, ky)


def _point_keras_at(monkeypatch, module, path):
    monkeypatch.setattr(module, "get_file", lambda *args, **kwargs: str(path))


@pytest.fixture
def imdb_file(isolated, monkeypatch, rng):
    arrays = {
        "x_train": writers.word_lists(rng, 12),
        "y_train": rng.integers(0, 2, 12),
        "x_test": writers.word_lists(rng, 9),
        "y_test": rng.integers(0, 2, 9),
    }
    monkeypatch.setattr(imdb, "NPZ_SHA256", writers.write_word_npz(isolated / "imdb.npz", **arrays))
    from keras.src.datasets import imdb as keras_imdb

    _point_keras_at(monkeypatch, keras_imdb, isolated / "imdb.npz")


@pytest.mark.parametrize("kwargs", ARGUMENTS, ids=[str(sorted(a.items())) for a in ARGUMENTS])
def test_imdb_equals_keras(imdb_file, kwargs):
    _same(imdb.load_data(**kwargs), keras.datasets.imdb.load_data(**kwargs))


@pytest.mark.parametrize("test_split", [0.2, 0.5, 0.0])
@pytest.mark.parametrize("kwargs", ARGUMENTS[::5], ids=[str(sorted(a.items())) for a in ARGUMENTS[::5]])
def test_reuters_equals_keras(isolated, monkeypatch, rng, kwargs, test_split):
    xs, ys = writers.word_lists(rng, 15), rng.integers(0, 46, 15)
    monkeypatch.setattr(reuters, "NPZ_SHA256", writers.write_word_npz(isolated / "reuters.npz", x=xs, y=ys))
    from keras.src.datasets import reuters as keras_reuters

    _point_keras_at(monkeypatch, keras_reuters, isolated / "reuters.npz")
    kwargs = {**kwargs, "test_split": test_split}
    _same(reuters.load_data(**kwargs), keras.datasets.reuters.load_data(**kwargs))
    assert reuters.get_label_names() == keras.datasets.reuters.get_label_names()
