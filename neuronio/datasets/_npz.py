"""Read named arrays from an .npz without trusting its headers.

An .npz is a zip of .npy members, each a small text header (dtype, order, shape) and then the
values. `np.load` believes the header: a member whose header claims 10**12 rows made it
allocate 10**12 * 784 bytes and die with MemoryError, which is not an error a loader falls back
from. `read_npz` checks, before allocating anything:

1. the file's size against `max_bytes`, and the sum of the members' declared sizes too;
2. each header: the .npy magic, a length under 10,000 bytes, a plain numeric dtype, and the
   expected dtype and trailing shape when the caller gives them;
3. that the header's shape times the item size is exactly the bytes the member holds.

Only then is the array allocated, and it is filled from the member (whose reader stops at the
declared size and checks the CRC). Every failure is a `FileFormatError` naming the file, the
member and the fault. Nothing is unpickled: object dtypes are refused like any non-numeric one.
"""

import io
import math
import os
import struct
import tokenize
import zipfile
import zlib

import numpy as np

from neuronio.errors import FileFormatError

_MAGIC = b"\x93NUMPY"
_MAX_HEADER = 10_000  # NumPy's own limit for headers it parses safely
_LENGTH_FORMATS = {1: "<H", 2: "<I"}  # .npy major version -> header-length field


def read_npz(path, names, max_bytes: int, layout=None, what: str = "a readable npz") -> dict[str, np.ndarray]:
    """The arrays `names` of the .npz at `path`, each a fresh writable array.

    Args:
        path: the file (an OSError such as FileNotFoundError passes through unchanged).
        names: the arrays to read (members `name + ".npy"`); others are ignored.
        max_bytes: the most bytes the file, and the named members unpacked, may hold.
        layout: optional {name: (dtype, trailing shape)}, checked from the header.
        what: the file as the error for a damaged zip should describe what it is not.

    Raises:
        FileFormatError: anything but an npz holding these arrays as its headers declare them.
    """
    size = os.stat(path).st_size
    if size > max_bytes:
        raise FileFormatError(f"{path}: {size} bytes, more than the {max_bytes} this dataset's npz can hold.")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _members(archive, names, max_bytes, path)
            return {
                name: _read_member(archive, infos[name], f"{path}:{name}.npy", (layout or {}).get(name))
                for name in names
            }
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, struct.error, OSError) as exc:
        raise FileFormatError(f"{path}: not {what} ({type(exc).__name__}: {exc}).") from exc


def _members(archive: zipfile.ZipFile, names, max_bytes: int, where) -> dict[str, zipfile.ZipInfo]:
    found = {}
    for info in archive.infolist():
        name = info.filename.removesuffix(".npy")
        if name in names and info.filename.endswith(".npy"):
            if name in found:
                raise FileFormatError(f"{where}: the member {info.filename} appears twice.")
            found[name] = info
    missing = [name for name in names if name not in found]
    if missing:
        raise FileFormatError(f"{where}: no array named {', '.join(missing)}; expected {', '.join(names)}.")
    declared = sum(info.file_size for info in found.values())
    if declared > max_bytes:
        raise FileFormatError(
            f"{where}: its arrays declare {declared} bytes unpacked, more than the {max_bytes} this dataset holds."
        )
    return found


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, expected) -> np.ndarray:
    with archive.open(info) as member:
        shape, fortran, dtype, offset = _header(member, where)
        if expected is not None:
            want_dtype, tail = np.dtype(expected[0]), tuple(expected[1])
            if dtype != want_dtype or len(shape) != 1 + len(tail) or shape[1:] != tail:
                raise FileFormatError(
                    f"{where}: expected {want_dtype} of shape (N, {', '.join(map(str, tail))}), "
                    f"the header declares {dtype} {shape}."
                )
        nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow, whatever the header says
        if offset + nbytes != info.file_size:
            raise FileFormatError(
                f"{where}: the header declares shape {shape} of {dtype} = {nbytes} bytes, but the member "
                f"holds {info.file_size - offset} bytes after its header."
            )
        buffer = np.empty(nbytes, dtype=np.uint8)  # (nbytes,): bounded by the member's declared size
        _fill(member, memoryview(buffer), where)
    return buffer.view(dtype).reshape(shape, order="F" if fortran else "C")


def _header(member, where: str):
    """(shape, fortran_order, dtype, data offset) from the .npy header, refusing odd ones."""
    prefix = _read_exact(member, 8, where)
    if prefix[:6] != _MAGIC or prefix[6] not in _LENGTH_FORMATS:
        raise FileFormatError(f"{where}: not a .npy member of version 1 or 2 (starts {prefix!r}).")
    length_format = _LENGTH_FORMATS[prefix[6]]
    length_field = _read_exact(member, struct.calcsize(length_format), where)
    (length,) = struct.unpack(length_format, length_field)
    if length > _MAX_HEADER:
        raise FileFormatError(f"{where}: a {length}-byte .npy header; NumPy writes them under {_MAX_HEADER}.")
    text = _read_exact(member, length, where)
    read_header = np.lib.format.read_array_header_1_0 if prefix[6] == 1 else np.lib.format.read_array_header_2_0
    try:
        shape, fortran, dtype = read_header(io.BytesIO(length_field + text))
    except (ValueError, TypeError, SyntaxError, RecursionError, tokenize.TokenError) as exc:
        # NumPy re-tokenizes headers it cannot parse (Python 2 files): TokenError escapes it.
        raise FileFormatError(f"{where}: unreadable .npy header ({type(exc).__name__}: {exc}).") from exc
    if dtype.kind not in "biuf" or dtype.hasobject or not all(n >= 0 for n in shape):
        raise FileFormatError(f"{where}: dtype {dtype} and shape {shape} are not a plain numeric array.")
    return shape, fortran, dtype, len(prefix) + len(length_field) + length


def _read_exact(member, n: int, where: str) -> bytes:
    data = member.read(n)
    if len(data) != n:
        raise FileFormatError(f"{where}: the member ends inside its .npy header.")
    return data


def _fill(member, view: memoryview, where: str) -> None:
    done = 0
    while done < len(view):
        count = member.readinto(view[done:])
        if not count:
            raise FileFormatError(f"{where}: the member is truncated ({done} of {len(view)} bytes).")
        done += count
