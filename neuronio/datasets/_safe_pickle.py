"""Read pickled NumPy arrays without executing anything else from the file.

A pickle is a program: unpickling calls whatever callables the file names. `load_arrays` runs it
with an unpickler whose `find_class` admits only the globals that NumPy's own array pickles name:

    numpy.core.multiarray._reconstruct   (NumPy < 2)    numpy.ndarray
    numpy._core.multiarray._reconstruct  (NumPy >= 2)   numpy.dtype

Anything else (`os.system`, `builtins.eval`, `_codecs.encode`, ...) raises `FileFormatError`
naming the refused global. Even the admitted names are not handed to the file: each resolves to a
small builder here that accepts exactly the arguments NumPy writes (`_reconstruct(ndarray, (0,),
b'b')`, `dtype('f4', False, True)`, and the two `__setstate__` tuples) and builds the array with
`np.frombuffer`. So a file can neither call `numpy.ndarray((10**12,))` nor feed NumPy's C
`__setstate__` a crafted state.

With `int_lists=True` (Keras's IMDB and Reuters files), one more kind of array is admitted: an
object array whose every element is a list of plain ints (a ragged batch of word-index
sequences). Its dtype must be NumPy's object dtype with NumPy's own flags, its data a list of
exactly prod(shape) such lists; nothing else may sit inside it.

Memory stays proportional to the bytes actually in the stream:
- the stream is read in chunks of at most 1 MiB, so a length field claiming 4 GiB allocates
  nothing until 4 GiB really arrive, and the whole stream is capped by `max_bytes`;
- the pure-Python unpickler is used because the C one sizes its memo table from the index in a
  `LONG_BINPUT` opcode: a 9-byte pickle made it allocate 4.1 GB (measured, CPython 3.11);
- `BYTEARRAY8` is refused, since it preallocates its declared length.

Time stays proportional to the bytes too, and is capped: every opcode counts against `max_ops`
(a stream of no-op opcodes used to keep the pure-Python loop busy for minutes), and nothing can
make one opcode cost more than its bytes: sets are refused and dict keys and memo indexes must be
text, bytes or ints below 2**61, whose hashes never collide (int hashes are not randomised, so
thousands of keys k * (2**61 - 1) would make each insertion scan all the others).
"""

import builtins
import math
import pickle
import reprlib
import struct
import zipfile
import zlib

import numpy as np

from neuronio.datasets._fetch import BoundedReader
from neuronio.errors import FileFormatError

_RECONSTRUCT = frozenset({("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct")})
_NDARRAY = ("numpy", "ndarray")
_DTYPE = ("numpy", "dtype")

# Plain numeric element types; object, string, void and structured dtypes are refused.
_DTYPE_CODES = frozenset("b1 i1 i2 i4 i8 u1 u2 u4 u8 f2 f4 f8".split())
_BYTEORDERS = frozenset("<>|=")
_PLAIN_DTYPE_STATE = (None, None, None, -1, -1, 0)  # subarray, names, fields, elsize, alignment, flags
_OBJECT_DTYPE_CODES = frozenset({"O8", "O4"})
_OBJECT_DTYPE_STATE = (None, None, None, -1, -1, 63)  # NumPy's flags for object: refcounted, pickled as a list
_MAX_NDIM = 32
_MAX_DEPTH = 16
MAX_OPS = 100_000  # default opcode budget; a pickle of a few arrays needs about 30 per array
_HASH_SAFE_INT = 2**61 - 1  # CPython hashes an int n with |n| below this to n itself
# Opcodes refused with a reason: sets hash their items on insertion (see above), BYTEARRAY8
# preallocates its declared length.
_REFUSED_OPS = {
    pickle.EMPTY_SET[0]: "a set",
    pickle.ADDITEMS[0]: "a set",
    pickle.FROZENSET[0]: "a set",
    pickle.BYTEARRAY8[0]: "a bytearray",
}

# What a corrupt stream raises inside pickle, gzip, zlib or zipfile (STYLE C8.8: wrap, never bare).
_PARSE_ERRORS = (
    pickle.UnpicklingError,
    EOFError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
    struct.error,
    OverflowError,
    zlib.error,
    zipfile.BadZipFile,
    OSError,
)


def load_arrays(
    file, where: str, max_bytes: int, max_ops: int = MAX_OPS, int_lists: bool = False, known_content: bool = False
):
    """Unpickle `file`, allowing only NumPy array reconstruction.

    Args:
        file: binary file object positioned at the start of the pickle.
        where: how to name the file in errors (a path, or "archive.whl:member").
        max_bytes: the most bytes the pickle may span.
        max_ops: the most opcodes it may run (the work, as max_bytes bounds the memory).
        int_lists: also admit 1-D or N-D object arrays whose elements are lists of ints.
        known_content: the caller has matched the file's SHA-256 to a published one, so its bytes
            are known; then CPython's C unpickler runs, with the same narrowed `find_class`, on `file`
            directly (about 10 times faster: IMDB's 6 million indices in about a second). Its two weaknesses on
            crafted input (a memo table sized from an opcode's index, BYTEARRAY8's preallocation)
            cannot arise from those known bytes. Anything unverified takes the pure-Python path.

    Returns:
        The unpickled object, with every pickled array as a read-only `np.ndarray`; containers may
        be tuples, lists and dicts nested at most 16 deep.

    Raises:
        FileFormatError: the stream is truncated or corrupt, exceeds `max_bytes` or `max_ops`, names a global
            other than the four above, or builds something other than plain numeric arrays.

    >>> import io
    >>> load_arrays(io.BytesIO(pickle.dumps(np.arange(3, dtype="u1"), protocol=4)), "demo", 1000)
    array([0, 1, 2], dtype=uint8)
    >>> load_arrays(io.BytesIO(pickle.dumps(print)), "demo", 1000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    neuronio.errors.FileFormatError: demo: refusing to unpickle the global builtins.print; ...
    """
    # Known bytes need no byte counting, and the C unpickler reads a BytesIO without a Python call per opcode.
    try:
        # encoding="bytes": Python 2 pickles (BINSTRING) give raw bytes, not latin-1 text.
        if known_content:
            result = _KnownContentUnpickler(file, where, int_lists).load()
        else:
            reader = BoundedReader(file, where, max_bytes, what="the pickle")
            result = _ArrayUnpickler(reader, where, max_ops, int_lists).load()
        return _resolve(result, where, depth=0)
    except FileFormatError:
        raise
    except _PARSE_ERRORS as exc:
        raise FileFormatError(f"{where}: not a readable pickle of NumPy arrays ({type(exc).__name__}: {exc}).") from exc


def _counted(load):
    """An opcode handler that first spends one unit of the unpickler's opcode budget."""

    def counted(unpickler):
        unpickler.ops_left -= 1
        if unpickler.ops_left < 0:
            raise FileFormatError(
                f"{unpickler.where}: the pickle runs more than {unpickler.max_ops} opcodes; "
                f"a pickle of arrays needs a few dozen per array, so the file is not what it claims."
            )
        load(unpickler)

    return counted


def _refuse(what: str):
    def refuse(unpickler):
        raise FileFormatError(f"{unpickler.where}: the pickle builds {what}; a pickle of arrays never does.")

    return refuse


class _ArrayUnpickler(pickle._Unpickler):
    """The pure-Python unpickler with `find_class` narrowed to the array builders below, every
    opcode counted, and no opcode whose cost can outgrow its bytes."""

    def __init__(self, file, where: str, max_ops: int = MAX_OPS, int_lists: bool = False):
        super().__init__(file, encoding="bytes")
        self.where, self.max_ops, self.ops_left = where, max_ops, max_ops
        self.int_lists = int_lists

    def load_setitem(self):
        self._check_keys(self.stack[-2:-1])
        super().load_setitem()

    def load_setitems(self):
        self._check_keys(self.stack[::2])  # since MARK, self.stack holds only the marked items
        super().load_setitems()

    def load_dict(self):
        self._check_keys(self.stack[::2])
        super().load_dict()

    def load_put(self):
        index = int(self.readline()[:-1])
        if not 0 <= index < 2**32:
            raise FileFormatError(f"{self.where}: memo index {_short(index)} out of range.")
        self.memo[index] = self.stack[-1]

    def _check_keys(self, keys):
        for key in keys:
            if not (type(key) in (str, bytes) or (type(key) is int and abs(key) < _HASH_SAFE_INT)):
                raise FileFormatError(
                    f"{self.where}: dict key {_short(key)} of type {type(key).__name__}; "
                    f"only text, bytes and small ints are allowed as keys."
                )

    dispatch = {op: _counted(handler) for op, handler in pickle._Unpickler.dispatch.items()}
    dispatch.update({op: _refuse(what) for op, what in _REFUSED_OPS.items()})
    dispatch[pickle.SETITEM[0]] = _counted(load_setitem)
    dispatch[pickle.SETITEMS[0]] = _counted(load_setitems)
    dispatch[pickle.DICT[0]] = _counted(load_dict)
    dispatch[pickle.PUT[0]] = _counted(load_put)

    def find_class(self, module, name):
        key = (module, name)
        if key in _RECONSTRUCT or key == _NDARRAY or key == _DTYPE:
            return _Global(key, self.where, self.int_lists)
        raise FileFormatError(
            f"{self.where}: refusing to unpickle the global {module}.{name}; only NumPy array "
            f"reconstruction (numpy.ndarray, numpy.dtype, multiarray._reconstruct) is allowed. "
            f"The file is corrupt or was not written as plain NumPy arrays."
        )

    def persistent_load(self, pid):
        raise FileFormatError(f"{self.where}: the pickle uses persistent ids, which plain arrays never need.")


class _KnownContentUnpickler(pickle.Unpickler):
    """The C unpickler with the same narrowed `find_class`, for files whose SHA-256 was matched."""

    def __init__(self, file, where: str, int_lists: bool = False):
        super().__init__(file, encoding="bytes")
        self.where = where
        self.int_lists = int_lists

    find_class = _ArrayUnpickler.find_class
    persistent_load = _ArrayUnpickler.persistent_load


class _Global:
    """What an admitted global name becomes inside the stream: a checker, never NumPy itself."""

    __slots__ = ("int_lists", "key", "where")

    def __init__(self, key, where, int_lists=False):
        self.key, self.where, self.int_lists = key, where, int_lists

    def __call__(self, *args):
        if self.key in _RECONSTRUCT:
            return self._reconstruct(*args)
        if self.key == _DTYPE:
            return _DTypeBuilder(self.where, self.int_lists, *args)
        raise FileFormatError(f"{self.where}: the pickle calls numpy.ndarray directly; NumPy never writes that.")

    def __setstate__(self, state):
        raise FileFormatError(f"{self.where}: the pickle sets state on {'.'.join(self.key)}.")

    def _reconstruct(self, subtype=None, shape=None, code=None):
        # NumPy pickles always start from an empty byte array: _reconstruct(ndarray, (0,), b'b').
        if not (isinstance(subtype, _Global) and subtype.key == _NDARRAY and shape == (0,) and _text(code) == "b"):
            raise FileFormatError(
                f"{self.where}: unexpected arguments to _reconstruct: "
                f"expected (numpy.ndarray, (0,), b'b'), received ({_short(subtype)}, {_short(shape)}, {_short(code)})."
            )
        return _ArrayBuilder(self.where)


class _DTypeBuilder:
    """numpy.dtype(code, align, copy) followed by BUILD with NumPy's version-3 state tuple."""

    __slots__ = ("dtype", "where")

    def __init__(self, where, int_lists=False, code=None, align=False, copy=True):
        self.where = where
        codes = _DTYPE_CODES | (_OBJECT_DTYPE_CODES if int_lists else frozenset())
        if _text(code) not in codes or not isinstance(align, (bool, int)) or not isinstance(copy, (bool, int)):
            raise FileFormatError(
                f"{where}: dtype {_short(code)} is not a plain numeric type; "
                f"expected one of {', '.join(sorted(codes))}."
            )
        self.dtype = np.dtype(object) if _text(code) in _OBJECT_DTYPE_CODES else np.dtype(_text(code))

    def __setstate__(self, state):
        # NumPy writes (3, byteorder, None, None, None, -1, -1, 0) for a plain numeric dtype, and
        # (3, '|', None, None, None, -1, -1, 63) for the object dtype.
        expected = _OBJECT_DTYPE_STATE if self.dtype == object else _PLAIN_DTYPE_STATE
        if not (isinstance(state, tuple) and len(state) == 8 and state[0] == 3 and state[2:] == expected):
            raise FileFormatError(f"{self.where}: unexpected dtype state {_short(state)} for {self.dtype}.")
        byteorder = _text(state[1])
        if byteorder not in _BYTEORDERS:
            raise FileFormatError(f"{self.where}: unknown byte order {_short(state[1])} in a dtype.")
        if byteorder in "<>":
            self.dtype = self.dtype.newbyteorder(byteorder)


class _ArrayBuilder:
    """ndarray.__setstate__((1, shape, dtype, is_fortran, data)), done with np.frombuffer."""

    __slots__ = ("array", "items", "where")

    def __init__(self, where):
        self.where, self.array, self.items = where, None, None

    def __setstate__(self, state):
        if not (isinstance(state, tuple) and len(state) == 5 and state[0] == 1):
            raise FileFormatError(f"{self.where}: unexpected array state {_short(state)}.")
        _, shape, dtype, is_fortran, data = state
        if not (isinstance(shape, tuple) and len(shape) <= _MAX_NDIM and all(_is_size(n) for n in shape)):
            raise FileFormatError(f"{self.where}: invalid array shape {_short(shape)}.")
        if not isinstance(dtype, _DTypeBuilder) or not isinstance(is_fortran, (bool, int)):
            raise FileFormatError(f"{self.where}: invalid array dtype or order {_short(dtype)}, {_short(is_fortran)}.")
        if dtype.dtype == object:  # an object array pickles its elements as one list, in C order
            if type(data) is not list or len(data) != math.prod(shape):
                raise FileFormatError(
                    f"{self.where}: an object array of shape {shape} needs a list of {math.prod(shape)} "
                    f"elements; received {type(data).__name__}."
                )
            self.items, self.array = (shape, data), None
            return
        if isinstance(data, str):
            data = data.encode("latin-1")  # raises UnicodeEncodeError (a ValueError) on other text
        if not isinstance(data, bytes):
            raise FileFormatError(f"{self.where}: array data is {type(data).__name__}, expected bytes.")
        expected = math.prod(shape) * dtype.dtype.itemsize
        if len(data) != expected:
            raise FileFormatError(
                f"{self.where}: an array of shape {shape} and dtype {dtype.dtype} needs {expected} bytes, "
                f"but the pickle holds {len(data)}."
            )
        flat = np.frombuffer(data, dtype=dtype.dtype)  # (prod(shape),): a read-only view, no copy
        self.array = flat.reshape(shape, order="F" if is_fortran else "C")


def _resolve(obj, where, depth, done=None):
    """Replace each builder by its array, walking tuples, lists and dicts to a bounded depth.

    `done` maps id(container) -> its resolved copy (None while in progress), so a container the
    stream shares many times is walked once and a self-containing list is refused: without it,
    ten nested lists of 100 references each would mean 100**10 visits.
    """
    done = {} if done is None else done
    if depth > _MAX_DEPTH:
        raise FileFormatError(f"{where}: containers nested deeper than {_MAX_DEPTH} levels.")
    if isinstance(obj, _ArrayBuilder):
        if obj.items is not None:
            return _int_list_array(*obj.items, where)
        if obj.array is None:
            raise FileFormatError(f"{where}: an array was created but never filled with data.")
        return obj.array
    if isinstance(obj, _DTypeBuilder):
        return obj.dtype
    if isinstance(obj, _Global):
        raise FileFormatError(f"{where}: the pickle returns the bare global {'.'.join(obj.key)}.")
    if obj is None or type(obj) in (bool, int, float, str, bytes):
        return obj
    if type(obj) not in (tuple, list, dict):
        raise FileFormatError(f"{where}: unexpected {type(obj).__name__} object in a pickle of arrays.")
    if id(obj) in done:
        if done[id(obj)] is None:
            raise FileFormatError(f"{where}: a container holds itself; arrays never do.")
        return done[id(obj)]
    done[id(obj)] = None
    if type(obj) is dict:
        resolved = {_resolve(k, where, depth + 1, done): _resolve(v, where, depth + 1, done) for k, v in obj.items()}
    else:
        resolved = type(obj)(_resolve(item, where, depth + 1, done) for item in obj)
    done[id(obj)] = resolved
    return resolved


def _int_list_array(shape: tuple, items: list, where: str) -> np.ndarray:
    """An object array of `shape` whose elements are the lists in `items`, each holding plain ints only."""
    out = np.empty(len(items), dtype=object)  # (prod(shape),)
    for i, item in enumerate(items):
        if type(item) is not list or not all(type(v) is int for v in item):
            raise FileFormatError(
                f"{where}: element {i} of an object array is {_short(item)}; only lists of ints are allowed."
            )
        out[i] = item
    return out.reshape(shape)


def _text(value):
    """b'f4' or 'f4' -> 'f4' (Python 2 pickles give bytes); anything else -> None."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


def _is_size(n):
    return type(n) is int and 0 <= n < 2**48


class _ShortRepr(reprlib.Repr):
    """reprlib that also shortens bytes, so an error never echoes megabytes of pickled data."""

    def repr_bytes(self, value, level):
        head = builtins.repr(value[: self.maxstring])
        return head if len(value) <= self.maxstring else head + "..."


_short = _ShortRepr().repr
