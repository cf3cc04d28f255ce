import gzip
import hashlib
import inspect
import io
import tarfile

import numpy as np
import pytest

from neuronio.datasets import cifar10
from neuronio.errors import DatasetError, FileFormatError
from tests.datasets import writers

pytestmark = pytest.mark.usefixtures("isolated")


def _write_archive(path, members, monkeypatch=None):
    data = writers.cifar_archive_bytes(members)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if monkeypatch is not None:
        monkeypatch.setattr(cifar10, "ARCHIVE_SHA256", hashlib.sha256(data).hexdigest())
    return path


def _assert_same(loaded, expected):
    (x_train, y_train), (x_test, y_test) = loaded
    (ex_train, ey_train), (ex_test, ey_test) = expected
    for got, want in [(x_train, ex_train), (y_train, ey_train), (x_test, ex_test), (y_test, ey_test)]:
        assert got.dtype == np.uint8 and got.shape == want.shape and got.flags.c_contiguous
        np.testing.assert_array_equal(got, want)


def test_signature_and_keras_shapes():
    assert str(inspect.signature(cifar10.load_data)) == "()"
    assert cifar10.RECORD_BYTES == 3073


def test_record_layout_is_label_then_channel_major_planes():
    # One record whose red plane counts 0..255 per row-major pixel, green is 100, blue is 200.
    red = bytes(i % 256 for i in range(1024))
    x, y = cifar10.parse_batch(bytes([7]) + red + bytes([100]) * 1024 + bytes([200]) * 1024, "demo")
    assert x.shape == (1, 32, 32, 3) and y.shape == (1, 1) and y[0, 0] == 7
    assert x[0, 0, 5].tolist() == [5, 100, 200]  # row 0, column 5
    assert x[0, 1, 0].tolist() == [32, 100, 200]  # row 1 starts 32 pixels in
    assert x[0, 31, 31].tolist() == [1023 % 256, 100, 200]


def test_parse_batch_round_trips_the_writer(rng):
    x, y = writers.cifar_batch(rng, 5)
    parsed_x, parsed_y = cifar10.parse_batch(writers.cifar_records(x, y), "demo")
    np.testing.assert_array_equal(parsed_x, x)
    np.testing.assert_array_equal(parsed_y, y)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", r"0 bytes is not a whole number \(1 to 10000\) of 3073-byte records"),
        (bytes(3072), r"3072 bytes is not a whole number"),
        (bytes(3074), r"3074 bytes"),
        (bytes([10]) + bytes(3072), r"label 10 found; CIFAR-10 labels are 0-9"),
    ],
)
def test_parse_batch_errors(raw, message):
    with pytest.raises(FileFormatError, match=message):
        cifar10.parse_batch(raw, "demo")


def test_read_archive_concatenates_the_five_batches_in_order(rng):
    expected, members = writers.cifar_dataset(rng)
    loaded = cifar10.read_archive(io.BytesIO(writers.cifar_archive_bytes(members)), "a.tar.gz")
    _assert_same(loaded, expected)
    assert loaded[0][0].shape == (12, 32, 32, 3) and loaded[0][1].shape == (12, 1)


def test_read_archive_accepts_dot_slash_names(rng):
    expected, members = writers.cifar_dataset(rng)
    members = {f"./{name}": data for name, data in members.items()}
    _assert_same(cifar10.read_archive(io.BytesIO(writers.cifar_archive_bytes(members)), "a"), expected)


def _archive_with(members_and_types) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data, kind in members_and_types:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.SYMTYPE:
                info.linkname = "elsewhere"
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_read_archive_errors(rng):
    _, members = writers.cifar_dataset(rng)
    without_test = {k: v for k, v in members.items() if k != cifar10.TEST_MEMBER}
    with pytest.raises(FileFormatError, match=r"a.tar.gz: the archive lacks cifar-10-batches-bin/test_batch.bin"):
        cifar10.read_archive(io.BytesIO(writers.cifar_archive_bytes(without_test)), "a.tar.gz")

    entries = [(name, data, tarfile.REGTYPE) for name, data in members.items()]
    doubled = _archive_with([*entries, entries[0]])
    with pytest.raises(FileFormatError, match=r"member cifar-10-batches-bin/data_batch_1.bin is repeated"):
        cifar10.read_archive(io.BytesIO(doubled), "a.tar.gz")
    link = _archive_with([(cifar10.TRAIN_MEMBERS[0], b"", tarfile.SYMTYPE), *entries[1:]])
    with pytest.raises(FileFormatError, match=r"data_batch_1.bin is repeated, not a regular file, or too large"):
        cifar10.read_archive(io.BytesIO(link), "a.tar.gz")

    broken = dict(members)
    broken[cifar10.TRAIN_MEMBERS[2]] = broken[cifar10.TRAIN_MEMBERS[2]][:-1]
    with pytest.raises(FileFormatError, match=r"a.tar.gz:cifar-10-batches-bin/data_batch_3.bin: 12291 bytes"):
        cifar10.read_archive(io.BytesIO(writers.cifar_archive_bytes(broken)), "a.tar.gz")

    with pytest.raises(
        FileFormatError, match=r"a.tar.gz: not a readable .tar.gz \(BadGzipFile: Unknown compression method"
    ):
        cifar10.read_archive(io.BytesIO(b"\x1f\x8b not really gzip"), "a.tar.gz")
    with pytest.raises(FileFormatError, match=r"a.tar.gz: not a readable .tar.gz \(BadGzipFile: Not a gzipped file"):
        cifar10.read_archive(io.BytesIO(b"plain text, no gzip header"), "a.tar.gz")
    with pytest.raises(FileFormatError, match=r"a.tar.gz: not a readable .tar.gz \(ReadError"):
        cifar10.read_archive(io.BytesIO(gzip.compress(b"gzip'd, but not a tar" * 40)), "a.tar.gz")


def test_loads_the_cached_archive(isolated, rng, monkeypatch):
    expected, members = writers.cifar_dataset(rng)
    _write_archive(isolated / cifar10.ARCHIVE, members, monkeypatch)
    _assert_same(cifar10.load_data(), expected)


def test_wrong_sha256_moves_on_to_the_download_which_is_cached(isolated, tmp_path, rng, monkeypatch):
    expected, members = writers.cifar_dataset(rng)
    _, other_members = writers.cifar_dataset(rng)
    _write_archive(isolated / cifar10.ARCHIVE, other_members)
    remote = _write_archive(tmp_path / "remote" / cifar10.ARCHIVE, members, monkeypatch)
    monkeypatch.setattr(cifar10, "URL", remote.as_uri())
    _assert_same(cifar10.load_data(), expected)
    assert (isolated / cifar10.ARCHIVE).read_bytes() == remote.read_bytes()


def test_all_sources_failing_names_each(isolated):
    with pytest.raises(DatasetError) as info:
        cifar10.load_data()
    lines = str(info.value).splitlines()
    assert lines[:2] == [
        "Could not obtain CIFAR-10 from any of its 2 sources:",
        f"  1. cache {isolated / cifar10.ARCHIVE}: not found",
    ]
    assert lines[2].startswith(f"  2. {cifar10.URL}: URLError")
    assert lines[3] == (
        f"To place it by hand, copy cifar-10-binary.tar.gz ({cifar10.URL}, "
        f"SHA-256 {cifar10.ARCHIVE_SHA256}) to {isolated / cifar10.ARCHIVE}."
    )
