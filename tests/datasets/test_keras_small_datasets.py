"""boston_housing, california_housing and cifar100: Keras's arguments, shuffles and splits, read
from small files in the exact upstream formats placed in the cache (there is no network here;
the published SHA-256s are swapped for the small files' own)."""

import hashlib
import inspect
import pickle

import numpy as np
import pytest

from neuronio.datasets import boston_housing, california_housing, cifar100
from neuronio.errors import DatasetError
from tests.datasets import writers

pytestmark = pytest.mark.usefixtures("isolated")


def _housing_file(folder, module, n, monkeypatch, name=None):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(n, module.N_FEATURES)), rng.uniform(5, 50, n)
    path = writers.write_npz(folder / (name or module.FILENAME), {"x": x, "y": y})
    monkeypatch.setattr(module, "SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    return x, y


@pytest.mark.parametrize("module", [boston_housing, california_housing])
def test_housing_shuffles_and_splits_as_keras(isolated, monkeypatch, module):
    x, y = _housing_file(isolated, module, 20, monkeypatch)
    (x_train, y_train), (x_test, y_test) = module.load_data(test_split=0.25, seed=7)
    order = np.arange(20)
    np.random.RandomState(7).shuffle(order)
    np.testing.assert_array_equal(x_train, x[order[:15]])
    np.testing.assert_array_equal(y_test, y[order[15:]])
    assert x_train.shape == (15, module.N_FEATURES) and x_test.shape == (5, module.N_FEATURES)
    with pytest.raises(ValueError, match="Invalid `test_split` argument: 1"):
        module.load_data(test_split=1)


def test_housing_signatures_are_keras():
    assert str(inspect.signature(boston_housing.load_data)) == "(path='boston_housing.npz', test_split=0.2, seed=113)"
    assert str(inspect.signature(california_housing.load_data)) == (
        "(version='large', path='california_housing.npz', test_split=0.2, seed=113)"
    )
    assert boston_housing.SHA256.startswith("f553886a") and california_housing.SHA256.startswith("1a2e3a52")


def test_california_small_is_the_first_600(isolated, monkeypatch):
    x, _ = _housing_file(isolated, california_housing, 700, monkeypatch)
    (x_train, _), (x_test, _) = california_housing.load_data(version="small", test_split=0.5)
    assert len(x_train) + len(x_test) == 600
    assert {tuple(r) for r in np.concatenate([x_train, x_test])} == {tuple(r) for r in x[:600]}
    with pytest.raises(ValueError, match="must be one of 'small', 'large'"):
        california_housing.load_data(version="medium")


def test_housing_refuses_a_wrong_hash_and_says_where_to_put_the_file(isolated, monkeypatch):
    _housing_file(isolated, boston_housing, 10, monkeypatch)
    monkeypatch.setattr(boston_housing, "SHA256", "0" * 64)
    with pytest.raises(DatasetError, match=r"(?s)SHA-256 is .* expected 0000.*copy Keras's boston_housing.npz"):
        boston_housing.load_data()


def test_housing_custom_path_and_wrong_shapes(isolated, monkeypatch):
    _housing_file(isolated, boston_housing, 10, monkeypatch, name="mine.npz")
    assert len(boston_housing.load_data(path="mine.npz")[0][0]) == 8
    rng = np.random.default_rng(1)
    path = writers.write_npz(isolated / "bad.npz", {"x": rng.normal(size=(4, 3)), "y": rng.normal(size=4)})
    monkeypatch.setattr(boston_housing, "SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    with pytest.raises(DatasetError, match=r"expected x of shape \(N, 13\)"):
        boston_housing.load_data(path="bad.npz")


def _cifar100(isolated, monkeypatch):
    splits, data = writers.cifar100_dataset(np.random.default_rng(3))
    (isolated / cifar100.ARCHIVE).parent.mkdir(parents=True, exist_ok=True)
    (isolated / cifar100.ARCHIVE).write_bytes(data)
    monkeypatch.setattr(cifar100, "ARCHIVE_SHA256", hashlib.sha256(data).hexdigest())
    return splits


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_reads_the_python_version(isolated, monkeypatch, label_mode):
    splits = _cifar100(isolated, monkeypatch)
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=label_mode)
    column = 1 if label_mode == "fine" else 2
    for (x, y), name in (((x_train, y_train), "train"), ((x_test, y_test), "test")):
        np.testing.assert_array_equal(x, splits[name][0])
        assert x.dtype == np.uint8 and x.flags.c_contiguous
        assert y.dtype == np.int64 and y.shape == (len(x), 1) and y[:, 0].tolist() == splits[name][column]


def test_cifar100_refuses_a_bad_label_mode_and_a_hostile_pickle(isolated, monkeypatch):
    with pytest.raises(ValueError, match='`label_mode` must be one of `"fine"`, `"coarse"`'):
        cifar100.load_data("medium")

    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    members = {cifar100.TRAIN_MEMBER: pickle.dumps(Evil(), protocol=2), cifar100.TEST_MEMBER: b""}
    data = writers.cifar_archive_bytes(members, extra=False)
    (isolated / cifar100.ARCHIVE).parent.mkdir(parents=True, exist_ok=True)
    (isolated / cifar100.ARCHIVE).write_bytes(data)
    monkeypatch.setattr(cifar100, "ARCHIVE_SHA256", hashlib.sha256(data).hexdigest())
    with pytest.raises(DatasetError, match=r"refusing to unpickle the global __builtin__\.print"):
        cifar100.load_data()


def test_cifar100_checks_labels(isolated, monkeypatch):
    x = np.zeros((2, 32, 32, 3), np.uint8)
    members = {cifar100.TRAIN_MEMBER: writers.cifar100_pickle(x, [0, 100], [0, 1]),
               cifar100.TEST_MEMBER: writers.cifar100_pickle(x, [0, 1], [0, 1])}  # fmt: skip
    data = writers.cifar_archive_bytes(members, extra=False)
    (isolated / cifar100.ARCHIVE).parent.mkdir(parents=True, exist_ok=True)
    (isolated / cifar100.ARCHIVE).write_bytes(data)
    monkeypatch.setattr(cifar100, "ARCHIVE_SHA256", hashlib.sha256(data).hexdigest())
    with pytest.raises(DatasetError, match="fine labels must be 0-99"):
        cifar100.load_data()
    assert cifar100.load_data("coarse")[0][1][:, 0].tolist() == [0, 1]
