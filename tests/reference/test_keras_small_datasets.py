"""boston_housing, california_housing and cifar100 against real Keras 3's loaders, both given the
same small files in the upstream formats (Keras's download is replaced by the local file)."""

import hashlib
import tarfile

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

from neuronio.datasets import boston_housing, california_housing, cifar100  # noqa: E402
from tests.datasets import writers  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """A private NEURONIO_HOME whose datasets folder holds the test's files; no network source."""
    monkeypatch.setenv("NEURONIO_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("neuronio.datasets._housing.KERAS_BASE", (tmp_path / "nowhere").as_uri() + "/")
    monkeypatch.setattr(cifar100, "URL", (tmp_path / "nowhere" / cifar100.ARCHIVE).as_uri())
    return tmp_path / "home" / "datasets"


@pytest.mark.parametrize(
    ("ours", "keras_module", "kwargs"),
    [
        (boston_housing, "boston_housing", {"test_split": 0.3, "seed": 5}),
        (boston_housing, "boston_housing", {}),
        (california_housing, "california_housing", {"version": "small", "seed": 1}),
        (california_housing, "california_housing", {"version": "large", "test_split": 0.1}),
    ],
)
def test_housing_equals_keras(isolated, monkeypatch, ours, keras_module, kwargs):
    import importlib

    rng = np.random.default_rng(0)
    path = writers.write_npz(isolated / ours.FILENAME, {"x": rng.normal(size=(650, ours.N_FEATURES)),
                                                       "y": rng.uniform(1, 5, 650)})  # fmt: skip
    monkeypatch.setattr(ours, "SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    their_module = importlib.import_module(f"keras.src.datasets.{keras_module}")
    monkeypatch.setattr(their_module, "get_file", lambda *args, **kw: str(path))
    for mine, theirs in zip(ours.load_data(**kwargs), their_module.load_data(**kwargs)):
        for a, b in zip(mine, theirs):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100_equals_keras(isolated, monkeypatch, tmp_path, label_mode):
    _, data = writers.cifar100_dataset(np.random.default_rng(4))
    archive = isolated / cifar100.ARCHIVE
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(data)
    monkeypatch.setattr(cifar100, "ARCHIVE_SHA256", hashlib.sha256(data).hexdigest())
    extracted = tmp_path / "keras_extracted"
    with tarfile.open(archive) as tar:
        tar.extractall(extracted, filter="data")
    import keras.src.datasets.cifar100 as their_module

    monkeypatch.setattr(their_module, "get_file", lambda *args, **kw: str(extracted))
    for mine, theirs in zip(cifar100.load_data(label_mode), their_module.load_data(label_mode)):
        for a, b in zip(mine, theirs):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)
