import gzip
import inspect

import numpy as np
import pytest

from neuronio.datasets import fashion_mnist
from neuronio.errors import DatasetError, FileFormatError
from tests.datasets import writers

pytestmark = pytest.mark.usefixtures("isolated")


@pytest.fixture
def clothes(rng):
    return writers.mnist_arrays(rng, n_train=6, n_test=4)


def _expect(monkeypatch, digests):
    monkeypatch.setattr(fashion_mnist, "FILES", digests)


def _assert_same(loaded, arrays):
    (x_train, y_train), (x_test, y_test) = loaded
    for name, array in zip(["x_train", "y_train", "x_test", "y_test"], [x_train, y_train, x_test, y_test], strict=True):
        assert array.dtype == np.uint8 and array.shape == arrays[name].shape and array.flags.writeable, name
        np.testing.assert_array_equal(array, arrays[name])


def test_signature_matches_keras():
    assert str(inspect.signature(fashion_mnist.load_data)) == "()"
    assert list(fashion_mnist.FILES) == [  # Keras reads them in this order
        "train-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
    ]


def test_loads_from_the_cache_folder(isolated, clothes, monkeypatch):
    _expect(monkeypatch, writers.write_fashion_folder(isolated / "fashion-mnist", clothes))
    _assert_same(fashion_mnist.load_data(), clothes)


def test_debian_folder_is_a_source_and_a_recompressed_copy_passes(isolated, tmp_path, clothes, monkeypatch):
    # Same IDX bytes, different gzip header (as Debian's repack): the content digest still agrees.
    _expect(monkeypatch, writers.write_fashion_folder(tmp_path / "zalando", clothes, mtime=1_500_000_000))
    debian = tmp_path / "usr-share"
    assert writers.write_fashion_folder(debian, clothes, mtime=1_591_347_949) == fashion_mnist.FILES
    assert (debian / "t10k-labels-idx1-ubyte.gz").read_bytes() != (
        tmp_path / "zalando" / "t10k-labels-idx1-ubyte.gz"
    ).read_bytes()
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", debian)
    _assert_same(fashion_mnist.load_data(), clothes)
    assert not (isolated / "fashion-mnist").exists()  # read in place, not copied


def test_wrong_content_moves_on_and_downloads_into_the_cache(isolated, tmp_path, rng, clothes, monkeypatch):
    _expect(monkeypatch, writers.write_fashion_folder(tmp_path / "keras", clothes))
    writers.write_fashion_folder(isolated / "fashion-mnist", writers.mnist_arrays(rng, 6, 4))  # other data
    monkeypatch.setattr(fashion_mnist, "KERAS_BASE", (tmp_path / "keras").as_uri() + "/")
    _assert_same(fashion_mnist.load_data(), clothes)
    for name in fashion_mnist.FILES:  # the cache now holds the verified downloads
        assert (isolated / "fashion-mnist" / name).read_bytes() == (tmp_path / "keras" / name).read_bytes()


def test_zalando_url_is_the_last_source(isolated, tmp_path, clothes, monkeypatch):
    _expect(monkeypatch, writers.write_fashion_folder(tmp_path / "zalando", clothes))
    monkeypatch.setattr(fashion_mnist, "ZALANDO_BASE", (tmp_path / "zalando").as_uri() + "/")
    _assert_same(fashion_mnist.load_data(), clothes)


def test_all_sources_failing_names_each(isolated):
    with pytest.raises(DatasetError) as info:
        fashion_mnist.load_data()
    lines = str(info.value).splitlines()
    name = "train-labels-idx1-ubyte.gz"
    assert lines[0] == f"Could not obtain Fashion-MNIST file {name} from any of its 4 sources:"
    assert lines[1] == f"  1. cache {isolated / 'fashion-mnist' / name}: not found"
    assert lines[2] == f"  2. Debian package dataset-fashion-mnist, {fashion_mnist.DEBIAN_DIR / name}: not found"
    assert lines[3].startswith(f"  3. {fashion_mnist.KERAS_BASE}{name}: URLError")
    assert lines[4].startswith(f"  4. {fashion_mnist.ZALANDO_BASE}{name}: URLError")
    assert "apt-get install dataset-fashion-mnist" in lines[5]


def test_files_that_are_not_28x28_uint8_are_refused(isolated, rng, monkeypatch):
    arrays = writers.mnist_arrays(rng, 6, 4)
    arrays["x_test"] = rng.integers(0, 256, (4, 28, 27), dtype=np.uint8)
    _expect(monkeypatch, writers.write_fashion_folder(isolated / "fashion-mnist", arrays))
    with pytest.raises(
        FileFormatError, match=r"t10k: expected uint8 images \(N, 28, 28\) .* received uint8 \(4, 28, 27\)"
    ):
        fashion_mnist.load_data()


# -- the IDX parser and gzip reader --------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["u1", "i1", ">i2", ">i4", ">f4", ">f8"])
def test_parse_idx_every_type_code(rng, dtype):
    array = (rng.standard_normal((3, 4, 2)) * 100).astype(dtype)
    parsed = fashion_mnist.parse_idx(writers.idx_bytes(array), "demo")
    assert parsed.shape == (3, 4, 2) and parsed.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(parsed, array)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", r"not an IDX file"),
        (b"\x01\x00\x08\x01", r"not an IDX file \(it must start with two zero bytes\)"),
        (b"\x00\x00\x07\x01", r"unknown IDX type code 0x07; expected one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E"),
        (b"\x00\x00\x08\x00", r"header for 0 dimensions"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x02", r"header for 3 dimensions needs 16 bytes, the file has 8"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02", r"header says \(3,\) values of 1 byte\(s\) = 3 bytes, but 2"),
        (b"\x00\x00\x0b\x01\x00\x00\x00\x01\x01\x02\x03", r"header says \(1,\) values of 2 byte\(s\) = 2 bytes, but 3"),
        (b"\x00\x00\x08\x02\xff\xff\xff\xff\xff\xff\xff\xff", r"= 18446744065119617025 bytes, but 0"),
    ],
)
def test_parse_idx_errors(raw, message):
    with pytest.raises(FileFormatError, match=message):
        fashion_mnist.parse_idx(raw, "demo")


def test_gunzip_checks_the_whole_stream():
    data = gzip.compress(b"0123456789" * 10, mtime=0)
    assert fashion_mnist.gunzip(data, 100, "f.gz") == b"0123456789" * 10
    with pytest.raises(FileFormatError, match=r"f.gz: decompresses to more than 99 bytes"):
        fashion_mnist.gunzip(data, 99, "f.gz")
    with pytest.raises(FileFormatError, match=r"f.gz: the gzip stream is truncated"):
        fashion_mnist.gunzip(data[:-9], 100, "f.gz")
    with pytest.raises(FileFormatError, match=r"f.gz: 3 unexpected bytes after the gzip stream"):
        fashion_mnist.gunzip(data + b"abc", 100, "f.gz")
    corrupt_crc = data[:-8] + bytes([data[-8] ^ 1]) + data[-7:]
    with pytest.raises(FileFormatError, match=r"f.gz: not a valid gzip file \(.*incorrect data check"):
        fashion_mnist.gunzip(corrupt_crc, 100, "f.gz")
    with pytest.raises(FileFormatError, match=r"not a valid gzip file"):
        fashion_mnist.gunzip(b"plain text", 100, "f.gz")


def test_read_idx_gz_checks_the_digest_before_parsing(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"not an idx file at all"))
    with pytest.raises(FileFormatError, match=r"x.gz \(decompressed\): SHA-256 is .*, expected 0+;"):
        fashion_mnist.read_idx_gz(path, "0" * 64)
