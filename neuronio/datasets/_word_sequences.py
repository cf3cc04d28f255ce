"""What the IMDB and Reuters loaders share: Keras's `.npz` of ragged word-index lists, read without
`allow_pickle`; Keras's preparation of them; and the word-index JSON files.

The `.npz` holds each split's sequences as an object array of Python lists, which NumPy can only
store as a pickle. `np.load(allow_pickle=True)` would run whatever that pickle says, so each
object member is read with `_safe_pickle.load_arrays(int_lists=True)`: NumPy's array builders
only, and elements that must be lists of ints. Numeric members (the labels) go through NumPy's
own reader with pickling off. A file whose SHA-256 is Keras's published one has known bytes, and
is read by CPython's C unpickler (about a second for IMDB's 6 million word indices); any other
file by the pure-Python one, hardened against crafted streams (see _safe_pickle), which takes
about ten times longer.
"""

import hashlib
import io
import json
import zipfile

import numpy as np

from neuronio.datasets import _fetch
from neuronio.datasets._safe_pickle import load_arrays
from neuronio.errors import FileFormatError

KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MAX_MEMBER_BYTES = 512 << 20  # the real members are tens of MB
_MAX_JSON_BYTES = 64 << 20  # imdb_word_index.json is 1.6 MB
# Keras's imdb.npz and reuters.npz, whose bytes are therefore known (see the module docstring).
PUBLISHED_SHA256 = frozenset(
    {
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
        "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    }
)


# -- the .npz ---------------------------------------------------------------------------------------
def read_npz(path, names: tuple[str, ...], sha256: str | None = None) -> dict[str, np.ndarray]:
    """The named members of a Keras dataset npz: object arrays of int lists, or numeric arrays.

    `sha256`, the file's digest as the caller checked it, selects the fast reader for Keras's files.
    """
    known = sha256 in PUBLISHED_SHA256
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for name in names:
                info = archive.getinfo(f"{name}.npy")
                if info.file_size > _MAX_MEMBER_BYTES:
                    raise FileFormatError(f"{path}: member {name}.npy unpacks to {info.file_size} bytes, too many.")
                arrays[name] = _read_npy(io.BytesIO(archive.read(info)), f"{path}:{name}.npy", known)
    except FileFormatError:
        raise
    except KeyError as exc:
        raise FileFormatError(f"{path}: not a Keras dataset npz: it lacks {exc.args[0]}.") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise FileFormatError(f"{path}: not a readable npz ({type(exc).__name__}: {exc}).") from exc
    return arrays


def _read_npy(buffer: io.BytesIO, where: str, known: bool) -> np.ndarray:
    version = np.lib.format.read_magic(buffer)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(buffer)
    elif version in ((2, 0), (3, 0)):  # 3.0 only changes the header's text encoding
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(buffer)
    else:
        raise FileFormatError(f"{where}: unsupported .npy version {version}.")
    if dtype.kind != "O":
        buffer.seek(0)
        return np.lib.format.read_array(buffer, allow_pickle=False)
    # Each opcode reads at least one byte, so the byte limit bounds the opcodes too.
    array = load_arrays(buffer, where, _MAX_MEMBER_BYTES, _MAX_MEMBER_BYTES, int_lists=True, known_content=known)
    if not isinstance(array, np.ndarray) or array.dtype != object or array.shape != shape:
        raise FileFormatError(f"{where}: the header promises an object array of shape {shape}; the data differ.")
    return array


def check_pair(x: np.ndarray, y: np.ndarray, where: str) -> None:
    """x a 1-D object array of int lists, y as many integer labels."""
    if x.dtype != object or x.ndim != 1 or y.ndim != 1 or y.dtype.kind not in "iu" or len(x) != len(y):
        raise FileFormatError(
            f"{where}: expected a 1-D object array of sequences and as many integer labels; received "
            f"{x.dtype} {x.shape} and {y.dtype} {y.shape}."
        )


# -- Keras's preparation, step by step ------------------------------------------------------------
def shuffled(rng: np.random.RandomState, x: np.ndarray, y: np.ndarray):
    """x and y in the order of one rng.shuffle of their indices (the next draw of a shared rng)."""
    order = np.arange(len(x))
    rng.shuffle(order)
    return x[order], y[order]


def marked(xs, start_char, index_from: int) -> list[list[int]]:
    """Each word index shifted up by `index_from`, after `start_char` when it is not None."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def shorter_than(maxlen: int, xs: list, labels) -> tuple[list, list]:
    """Only the sequences (and labels) with fewer than `maxlen` entries, as Keras keeps them."""
    kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limited(xs: list, num_words, skip_top: int, oov_char) -> list[list[int]]:
    """Indices outside [skip_top, num_words) become `oov_char`, or are dropped when it is None.

    Without num_words, Keras takes the largest index as the bound, so that (exclusive) bound
    turns the rarest word into oov_char too; neuronio does the same, to give the same arrays.
    """
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(lists: list) -> np.ndarray:
    """A 1-D object array of lists (np.array would make a 2-D int array when all lengths agree)."""
    out = np.empty(len(lists), dtype=object)
    out[:] = [None] * len(lists)
    for i, item in enumerate(lists):
        out[i] = item
    return out


def check_unknown(who: str, kwargs: dict) -> None:
    if kwargs:
        raise TypeError(
            f"{who}: unknown argument(s) {sorted(kwargs)}; it takes path, num_words, skip_top, maxlen, seed, "
            f"start_char, oov_char and index_from (Keras 1's `nb_words` is today's `num_words`)."
        )


# -- the word index ----------------------------------------------------------------------------------
def word_index(what: str, filename: str, md5: str, path: str) -> dict[str, int]:
    """A word -> index dict from the cache or Keras's address, checked against Keras's published MD5.

    Keras publishes only an MD5 for its word-index files (the `file_hash` its get_file checks), and
    no SHA-256 could be found for them, so the MD5 is what is checked here.
    """
    target = _fetch.datasets_dir() / path
    url = KERAS_BASE + filename

    def load(file_path):
        digest = hashlib.md5(file_path.read_bytes(), usedforsecurity=False).hexdigest()
        if digest != md5:
            raise FileFormatError(
                f"{file_path}: MD5 is {digest}, expected {md5}; the file is corrupt or another version."
            )
        return read_word_index(file_path)

    return _fetch.first_available(
        f"the {what} word index",
        [(f"cache {target}", lambda: load(target)), (url, lambda: _fetch.download(url, target, load))],
        manual=f"To place it by hand, copy {filename} ({url}, MD5 {md5}) to {target}.",
    )


def read_word_index(path) -> dict[str, int]:
    """Parse a word-index JSON file: an object mapping each word to a positive int."""
    if path.stat().st_size > _MAX_JSON_BYTES:
        raise FileFormatError(f"{path}: {path.stat().st_size} bytes is too large for a word index.")
    try:
        index = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(f"{path}: not a JSON word index ({type(exc).__name__}: {exc}).") from exc
    if not isinstance(index, dict) or not all(isinstance(k, str) and type(v) is int for k, v in index.items()):
        raise FileFormatError(f"{path}: a word index maps words (strings) to indices (ints).")
    return index
