"""Fashion-MNIST: 60,000 training and 10,000 test images of clothing, 28x28 grey levels 0-255.

The data is four gzip'd IDX files. Each file is looked for, in order:
1. in the cache, `$NEURONIO_HOME/datasets/fashion-mnist/`;
2. in `/usr/share/datasets/fashion-mnist/`, where Debian's package `dataset-fashion-mnist`
   installs exactly these four files (`apt-get install dataset-fashion-mnist`);
3. at Keras's URL, then at Zalando's (both downloaded into the cache).

Debian recompressed the files (its .gz headers carry no file name and a 2020 date), so the .gz
bytes differ between sources while the data is identical. The SHA-256 checked is therefore that
of the decompressed IDX bytes, the values other projects publish as the raw files' digests. For
reference, Zalando's .gz files themselves hash to train-images 08dc20ab...3fdc, train-labels
b0197879...8dcc, t10k-images 78dcbbfb...4229, t10k-labels 42bd1813...3dccf.

IDX layout (big-endian): two zero bytes, a type code (0x08 = uint8), the number of dimensions
D, then D uint32 sizes, then the values in C order.
"""

import hashlib
import math
import os
import pathlib
import struct
import zlib

import numpy as np

from neuronio.datasets import _fetch
from neuronio.errors import FileFormatError

# File name -> SHA-256 of its decompressed IDX bytes; in the order Keras reads them.
FILES = {
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
}
KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
ZALANDO_BASE = "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/"
DEBIAN_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")
MAX_IDX_BYTES = 47_040_016  # the largest file, train-images: 16 + 60000 * 28 * 28
# A gzip outgrows its content by at most 5 bytes per 16 KiB stored block, plus header and trailer.
MAX_GZ_BYTES = MAX_IDX_BYTES + MAX_IDX_BYTES // 1000 + 4096

# IDX type code -> element dtype (all big-endian).
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_data():
    """Loads the Fashion-MNIST dataset.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28), (60000,),
        (10000, 28, 28) and (10000,). Labels 0-9: T-shirt/top, Trouser, Pullover, Dress, Coat,
        Sandal, Shirt, Sneaker, Bag, Ankle boot.

    Raises:
        DatasetError: when a file is found verified in none of its sources; the message lists each.
    """
    y_train, x_train, y_test, x_test = (_fetch_idx(name, digest) for name, digest in FILES.items())
    for x, y, split in ((x_train, y_train, "train"), (x_test, y_test, "t10k")):
        if x.dtype != np.uint8 or y.dtype != np.uint8 or x.shape[1:] != (28, 28) or y.shape != x.shape[:1]:
            raise FileFormatError(
                f"Fashion-MNIST {split}: expected uint8 images (N, 28, 28) and labels (N,), "
                f"received {x.dtype} {x.shape} and {y.dtype} {y.shape}."
            )
    return (x_train, y_train), (x_test, y_test)


def _fetch_idx(name: str, digest: str) -> np.ndarray:
    cached = _fetch.datasets_dir() / "fashion-mnist" / name
    debian = DEBIAN_DIR / name

    def verified(path):
        return read_idx_gz(path, digest)

    return _fetch.first_available(
        f"Fashion-MNIST file {name}",
        [
            (f"cache {cached}", lambda: verified(cached)),
            (f"Debian package dataset-fashion-mnist, {debian}", lambda: verified(debian)),
            (KERAS_BASE + name, lambda: _fetch.download(KERAS_BASE + name, cached, verified, max_bytes=MAX_GZ_BYTES)),
            (
                ZALANDO_BASE + name,
                lambda: _fetch.download(ZALANDO_BASE + name, cached, verified, max_bytes=MAX_GZ_BYTES),
            ),
        ],
        manual=(
            f"To place it by hand, copy {name} (decompressed SHA-256 {digest}) into {cached.parent}; "
            f"on Debian or Ubuntu, `apt-get install dataset-fashion-mnist` provides all four files."
        ),
    )


def read_idx_gz(path, digest: str) -> np.ndarray:
    """Decompress an IDX .gz, check the SHA-256 of its bytes, then parse them (a writable copy).

    The file's size is checked before it is read, so a huge file in the cache costs no memory."""
    size = os.stat(path).st_size
    if size > MAX_GZ_BYTES:
        raise FileFormatError(f"{path}: {size} bytes, more than any gzip'd Fashion-MNIST file ({MAX_GZ_BYTES}).")
    raw = gunzip(pathlib.Path(path).read_bytes(), MAX_IDX_BYTES, path)
    _fetch.check_sha256(hashlib.sha256(raw).hexdigest(), digest, f"{path} (decompressed)")
    return parse_idx(raw, path).copy()


def gunzip(data: bytes, max_bytes: int, where) -> bytes:
    """Decompress one gzip member of at most `max_bytes`, checking its CRC-32 and length trailer.

    zlib's `max_length` bounds the output, so a corrupt or hostile file cannot expand past the
    limit in memory (Python's gzip.decompress has no such bound).
    """
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # 16+: expect a gzip header and trailer
    try:
        raw = inflater.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise FileFormatError(f"{where}: not a valid gzip file ({exc}).") from exc
    if len(raw) > max_bytes:
        raise FileFormatError(f"{where}: decompresses to more than {max_bytes} bytes, more than the dataset holds.")
    if not inflater.eof:
        raise FileFormatError(f"{where}: the gzip stream is truncated.")
    if inflater.unused_data:
        raise FileFormatError(f"{where}: {len(inflater.unused_data)} unexpected bytes after the gzip stream.")
    return raw


def parse_idx(raw: bytes, where) -> np.ndarray:
    """IDX bytes -> a read-only array viewing them (big-endian for multi-byte types).

    Raises FileFormatError unless the magic, type code, dimensions and length agree exactly.

    >>> parse_idx(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 8, 9]), "demo")
    array([7, 8, 9], dtype=uint8)
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise FileFormatError(f"{where}: not an IDX file (it must start with two zero bytes).")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise FileFormatError(f"{where}: unknown IDX type code 0x{code:02X}; expected one of {known}.")
    header = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header:
        raise FileFormatError(
            f"{where}: IDX header for {ndim} dimensions needs {header} bytes, the file has {len(raw)}."
        )
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_IDX_DTYPES[code])
    count = math.prod(shape)  # Python ints: no overflow, whatever the header claims
    if len(raw) - header != count * dtype.itemsize:
        raise FileFormatError(
            f"{where}: IDX header says {shape} values of {dtype.itemsize} byte(s) = {count * dtype.itemsize} bytes, "
            f"but {len(raw) - header} bytes follow it."
        )
    return np.frombuffer(raw, dtype=dtype, count=count, offset=header).reshape(shape)
