"""Dataset files that lie about their size or cost: each ends in FileFormatError before the lie
costs memory or time, so the loader falls back to its next source.

The files are built here and stay small on disk: a header that claims 10**12 rows, a sparse file
of a few hundred MB (no blocks written), a pickle of millions of no-op opcodes gzip'd to a few KB.
"""

import gzip
import io
import pickle
import pickletools
import struct
import tarfile
import zipfile

import numpy as np
import pytest

from neuronio.datasets import _fetch, cifar10, fashion_mnist, mnist
from neuronio.datasets._npz import read_npz
from neuronio.datasets._safe_pickle import load_arrays
from neuronio.errors import FileFormatError
from tests.datasets import writers

pytestmark = pytest.mark.usefixtures("isolated")


def _npy(shape, descr="|u1", data=b"", version=(1, 0)) -> bytes:
    """An .npy member whose header says `shape` and `descr`, followed by whatever `data` is."""
    buffer = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    if version == (1, 0):
        np.lib.format.write_array_header_1_0(buffer, header)
    else:
        np.lib.format.write_array_header_2_0(buffer, header)
    return buffer.getvalue() + data


def _npz(path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED):
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _digit_members(arrays) -> dict[str, bytes]:
    members = {}
    for name, array in arrays.items():
        buffer = io.BytesIO()
        np.save(buffer, array)
        members[f"{name}.npy"] = buffer.getvalue()
    return members


def _sparse(path, size):
    """A file of `size` bytes that occupies no disk blocks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        file.truncate(size)
    return path


# -- MNIST's npz cache ------------------------------------------------------------------------------
def test_cached_npz_claiming_10_12_rows_falls_back_to_the_next_source(isolated, tmp_path, rng, monkeypatch):
    """The header says (10**12, 28, 28): np.load allocated 784 TB and raised MemoryError, which
    stopped load_data instead of moving on to the download."""
    digits = writers.mnist_arrays(rng)
    monkeypatch.setattr(mnist, "ARRAY_SHA256", writers.array_digests(digits))
    members = _digit_members(digits)
    members["x_train.npy"] = _npy((10**12, 28, 28), data=bytes(100))
    _npz(isolated / "mnist.npz", members)
    remote = writers.write_npz(tmp_path / "remote" / "mnist.npz", digits)
    monkeypatch.setattr(mnist, "KERAS_URL", remote.as_uri())
    monkeypatch.setattr(mnist, "KERAS_NPZ_SHA256", _fetch.sha256_file(remote))

    (x_train, y_train), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, digits["x_train"])
    assert x_train.flags.writeable
    assert (isolated / "mnist.npz").read_bytes() == remote.read_bytes()  # the lying cache was replaced


@pytest.mark.parametrize(
    "member, message",
    [
        (_npy((10**12, 28, 28), data=bytes(784)), r"declares shape \(1000000000000, 28, 28\) of uint8 = 784000000000000 bytes, but the member holds 784"),
        (_npy((2, 28, 28), data=bytes(784)), r"declares shape \(2, 28, 28\) .* holds 784 bytes"),
        (_npy((1, 28, 28), descr="<f4", data=bytes(4 * 784)), r"expected uint8 of shape \(N, 28, 28\), the header declares float32"),
        (_npy((1, 28, 28), descr="|O", data=bytes(8 * 784)), r"not a plain numeric array|expected uint8"),
        (_npy((1, 28), data=bytes(28)), r"expected uint8 of shape \(N, 28, 28\).*\(1, 28\)"),
        (b"\x93NUMPY\x01\x00" + struct.pack("<H", 60000) + b" " * 100, r"60000-byte \.npy header"),
        (b"\x93NUMPY\x02\x00" + struct.pack("<I", 2**31) + b"{", r"2147483648-byte \.npy header"),
        (b"\x93NUMPY\x03\x00" + struct.pack("<I", 10) + b"{}", r"not a \.npy member of version 1 or 2"),
        (pickle.dumps(np.zeros((1, 28, 28), np.uint8)), r"not a \.npy member"),
        (_npy((1, 28, 28), version=(2, 0))[:20], r"ends inside its \.npy header"),
        (_npy((1, 28, 28), data=bytes(784)).replace(b"{", b"\x00", 1), r"unreadable \.npy header \(TokenError"),
    ],
    ids=["10**12 rows", "2 rows, 1 present", "float32", "object", "wrong rank", "long header v1",
         "2 GB header v2", "version 3", "a pickle", "cut header", "unclosed header (found by fuzzing)"],
)  # fmt: skip
def test_npz_headers_are_checked_before_any_allocation(tmp_path, member, message):
    path = _npz(tmp_path / "bad.npz", {"x_train.npy": member})
    with pytest.raises(FileFormatError, match=rf"bad\.npz:x_train\.npy: .*{message}"):
        read_npz(path, ["x_train"], 1 << 20, {"x_train": ("u1", (28, 28))})


def test_npz_sizes_names_and_containers(tmp_path):
    good = np.arange(12, dtype=np.float64).reshape(3, 4)
    fortran = np.asfortranarray(good)
    path = _npz(tmp_path / "ok.npz", {"a.npy": _npy_of(good), "b.npy": _npy_of(fortran)})
    loaded = read_npz(path, ["a", "b"], 1 << 20)
    np.testing.assert_array_equal(loaded["a"], good)
    np.testing.assert_array_equal(loaded["b"], good)
    assert loaded["a"].flags.writeable and loaded["b"].flags.f_contiguous

    with pytest.raises(FileFormatError, match=r"no array named c; expected a, c"):
        read_npz(path, ["a", "c"], 1 << 20)
    zeros = _npz(tmp_path / "zeros.npz", {"a.npy": _npy_of(np.zeros(10_000))})  # 80 kB unpacked
    assert zeros.stat().st_size < 1000
    with pytest.raises(
        FileFormatError, match=r"zeros\.npz: its arrays declare 80128 bytes unpacked, more than the 1000"
    ):
        read_npz(zeros, ["a"], 1000)
    with pytest.raises(FileFormatError, match=r"ok\.npz: \d+ bytes, more than the 10 "):
        read_npz(path, ["a"], 10)
    twice = tmp_path / "twice.npz"
    with zipfile.ZipFile(twice, "w") as archive, pytest.warns(UserWarning, match="Duplicate name"):
        archive.writestr("a.npy", _npy_of(good))
        archive.writestr("a.npy", _npy_of(good))
    with pytest.raises(FileFormatError, match=r"the member a\.npy appears twice"):
        read_npz(twice, ["a"], 1 << 20)
    plain = tmp_path / "plain.npy"
    np.save(plain, good)
    with pytest.raises(FileFormatError, match=r"plain\.npy: not a readable npz \(BadZipFile"):
        read_npz(plain, ["a"], 1 << 20)


def _npy_of(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_huge_cache_files_are_refused_by_their_size_before_reading(isolated):
    """Sparse files: reading one would allocate its full size first (read_bytes, np.load)."""
    npz = _sparse(isolated / "mnist.npz", (64 << 20) + 1)
    with pytest.raises(FileFormatError, match=r"mnist\.npz: 67108865 bytes, more than the 67108864"):
        mnist._load_npz(npz)
    idx = _sparse(isolated / "fashion-mnist" / "train-images-idx3-ubyte.gz", fashion_mnist.MAX_GZ_BYTES + 1)
    with pytest.raises(FileFormatError, match=r"more than any gzip'd Fashion-MNIST file"):
        fashion_mnist.read_idx_gz(idx, "0" * 64)
    archive = _sparse(isolated / cifar10.ARCHIVE, cifar10.MAX_ARCHIVE_BYTES + 1)
    with pytest.raises(FileFormatError, match=r"more than the CIFAR-10 archive"):
        cifar10._load_archive(archive)


def test_idx_claiming_10_12_rows_falls_back_to_the_next_source(isolated, tmp_path, rng, monkeypatch):
    clothes = writers.mnist_arrays(rng, n_train=3, n_test=2)
    monkeypatch.setattr(fashion_mnist, "FILES", writers.write_fashion_folder(tmp_path / "debian", clothes))
    monkeypatch.setattr(fashion_mnist, "DEBIAN_DIR", tmp_path / "debian")
    liar = bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 10**9, 28, 28) + bytes(784)
    cached = isolated / "fashion-mnist" / "train-images-idx3-ubyte.gz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(gzip.compress(liar))
    with pytest.raises(FileFormatError, match=r"IDX header says \(1000000000, 28, 28\)"):
        fashion_mnist.parse_idx(liar, "liar")
    (x_train, _), _ = fashion_mnist.load_data()
    np.testing.assert_array_equal(x_train, clothes["x_train"])


# -- CIFAR-10 ---------------------------------------------------------------------------------------
def test_cifar_tar_unpacking_past_its_bound_is_refused(rng, monkeypatch):
    """A foreign member must be inflated to be skipped; a gzip bomb of one would run for minutes."""
    _, members = writers.cifar_dataset(rng, n_per_batch=(1, 1, 1, 1, 1), n_test=1)
    monkeypatch.setattr(cifar10, "MAX_TAR_BYTES", 1 << 20)
    bomb = io.BytesIO()
    with tarfile.open(fileobj=bomb, mode="w:gz") as archive:
        info = tarfile.TarInfo("cifar-10-batches-bin/padding.bin")
        info.size = 2 << 20
        archive.addfile(info, io.BytesIO(bytes(info.size)))
    assert len(bomb.getvalue()) < 10_000
    with pytest.raises(FileFormatError, match=r"bomb\.tar\.gz: the unpacked archive is larger than 1048576 bytes"):
        cifar10.read_archive(io.BytesIO(bomb.getvalue()), "bomb.tar.gz")
    # The real layout still fits its bound.
    loaded = cifar10.read_archive(io.BytesIO(writers.cifar_archive_bytes(members)), "ok.tar.gz")
    assert loaded[0][0].shape == (5, 32, 32, 3)


# -- the restricted unpickler -----------------------------------------------------------------------
def test_a_flood_of_no_op_opcodes_is_cut_off_by_the_opcode_budget():
    """300 MB of gzip'd no-op opcodes kept the pure-Python unpickler busy for over 120 s: each
    opcode now counts against a budget (10,000 for the MNIST wheel, which needs a few hundred)."""
    flood = b"\x80\x02" + b"N0" * 2_000_000 + b"N."  # NONE, POP, ... : 4 MB of work, no result
    wheel = writers.wheel_bytes(flood)
    assert len(wheel) < 20_000
    with pytest.raises(FileFormatError, match=r"fuzz\.whl: the pickle runs more than 10000 opcodes"):
        mnist.read_wheel(io.BytesIO(wheel), "fuzz.whl")
    with pytest.raises(FileFormatError, match=r"more than 100000 opcodes"):
        load_arrays(io.BytesIO(flood), "flood.pkl", 1 << 30)
    # The budget counts exactly the opcodes pickletools sees (STOP included).
    three = pickle.dumps([np.zeros(2), np.ones(3), np.arange(4)], protocol=4)
    n_ops = sum(1 for _ in pickletools.genops(three))
    assert load_arrays(io.BytesIO(three), "ok.pkl", 1 << 20, max_ops=n_ops)[2].tolist() == [0, 1, 2, 3]
    with pytest.raises(FileFormatError, match=rf"more than {n_ops - 1} opcodes"):
        load_arrays(io.BytesIO(three), "ok.pkl", 1 << 20, max_ops=n_ops - 1)


def test_a_decompressed_stream_past_its_limit_is_refused():
    stream = gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(b"\x80\x02" + b"N0" * 50_000 + b"N.")))
    with pytest.raises(FileFormatError, match=r"the pickle is larger than 1000 bytes"):
        load_arrays(stream, "big.pkl.gz", 1000)


M = 2**61 - 1  # every k * M hashes to 0 in CPython: a dict of such keys is quadratic to build


@pytest.mark.parametrize(
    "payload, message",
    [
        (b"\x80\x02}(" + b"".join(b"\x8a\x09" + (k * M).to_bytes(9, "little") + b"N" for k in range(1, 4)) + b"u.",
         r"dict key 2305843009213693951 of type int"),
        (b"\x80\x02(" + b"\x8a\x09" + M.to_bytes(9, "little") + b"Nd.", r"dict key"),
        (b"\x80\x02}" + b"G" + struct.pack(">d", 1.5) + b"Ns.", r"dict key 1\.5 of type float"),
        (b"\x80\x02Np" + str(M).encode() + b"\n.", r"memo index 2305843009213693951 out of range"),
        (b"\x80\x04\x8f(K\x01K\x02\x90.", r"builds a set"),
        (b"\x80\x04(K\x01\x91.", r"builds a set"),
    ],
    ids=["SETITEMS colliding ints", "DICT colliding int", "float key", "PUT huge index", "EMPTY_SET", "FROZENSET"],
)  # fmt: skip
def test_opcodes_whose_cost_could_outgrow_their_bytes_are_refused(payload, message):
    with pytest.raises(FileFormatError, match=rf"x\.pkl: .*{message}"):
        load_arrays(io.BytesIO(payload), "x.pkl", 1 << 20)


def test_plain_dicts_still_load():
    data = pickle.dumps({"a": np.arange(3), b"b": 1, 7: [np.ones(2)]}, protocol=4)
    loaded = load_arrays(io.BytesIO(data), "ok.pkl", 1 << 20)
    assert sorted(map(str, loaded)) == ["7", "a", "b'b'"] and loaded[7][0].tolist() == [1.0, 1.0]


# -- downloads --------------------------------------------------------------------------------------
def test_a_download_larger_than_the_file_can_be_is_refused(isolated, tmp_path):
    served = tmp_path / "served.bin"
    served.write_bytes(bytes(5000))
    target = isolated / "x.bin"
    with pytest.raises(FileFormatError, match=r"served\.bin: (announces 5000 bytes|sent more than the 1000 bytes)"):
        _fetch.download(served.as_uri(), target, verify=lambda path: path, progress=False, max_bytes=1000)
    assert not target.exists() and not list(isolated.glob(".x.bin.*"))  # nothing left behind
    assert _fetch.download(served.as_uri(), target, lambda path: path.stat().st_size, False, 5000) == 5000


def test_the_bounds_admit_the_real_files():
    """The sizes of the real files (archive, unpacked tar, largest IDX, MNIST's four arrays)."""
    assert 170_052_171 < cifar10.MAX_ARCHIVE_BYTES and 184_380_000 < cifar10.MAX_TAR_BYTES
    assert fashion_mnist.MAX_IDX_BYTES < fashion_mnist.MAX_GZ_BYTES and 54_950_000 < mnist._MAX_NPZ_BYTES
