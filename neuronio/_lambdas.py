"""Python lambdas in saved files: the one policy for all of them (a Lambda layer's function, a
lambda loss or metric in a compile config).

Saving writes what Keras writes: the lambda's bytecode, marshalled and base64-encoded, with its
default arguments and the values it closes over. Loading that would run code from the file, so
it is refused unless the user opts in exactly as in Keras: `load_model(..., safe_mode=False)` or
`neuronio.config.enable_unsafe_deserialization()` (see `config.in_safe_mode`). Bytecode only loads
in the Python version that wrote it.

A loaded lambda sees the builtins, `np`/`numpy`, and `ops` (neuronio.ops, passed in by its
loader): the global names lambdas in Keras code use most. Any other global name (`keras`, `tf`,
...) cannot come from a file, and calling the lambda then says so.
"""

import base64
import builtins
import functools
import marshal
import types

import numpy as np

from neuronio import config
from neuronio.errors import FileFormatError


def is_lambda(fn) -> bool:
    return isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>"


def dump(fn) -> list:
    """[code, defaults, closure] as Keras's `func_dump` gives them (JSON-ready)."""
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    defaults = None if fn.__defaults__ is None else list(fn.__defaults__)
    closure = None if not fn.__closure__ else [cell.cell_contents for cell in fn.__closure__]
    return [code, defaults, closure]


def envelope(fn, layer: bool = False) -> dict:
    """A lambda's {"class_name": "__lambda__", "config": ...} as Keras writes it: {"code",
    "defaults", "closure"} in a Lambda layer's config, {"value": [code, defaults, closure]} anywhere
    else (a lambda loss or metric). `load` reads both."""
    code, defaults, closure = dump(fn)
    inner = {"code": code, "defaults": defaults, "closure": closure} if layer else {"value": [code, defaults, closure]}
    return {"class_name": "__lambda__", "config": inner}


def refusal(what: str) -> FileFormatError:
    """The error for a stored lambda in safe mode; `what` names it ("the Lambda layer 'f'", ...)."""
    return FileFormatError(
        f"Refusing to load {what}: it is a Python lambda stored as bytecode, and loading it would run "
        f"code from the file. If you trust the file, pass safe_mode=False to load_model, or call "
        f"neuronio.config.enable_unsafe_deserialization() (as in Keras); otherwise rebuild it in code."
    )


def refuse_stored(value, prefix: str, what: str) -> None:
    """In safe mode, refuse a stored lambda anywhere in `value` (a config tree) before any of it is
    built; outside safe mode the deserializers load them with `load`."""
    if not config.in_safe_mode():
        return
    if isinstance(value, dict):
        if value.get("class_name") == "__lambda__":
            raise FileFormatError(f"{prefix}{refusal(what)}")
        for item in value.values():
            refuse_stored(item, prefix, what)
    elif isinstance(value, list):
        for item in value:
            refuse_stored(item, prefix, what)


def load(inner: dict, what: str, ops=None):
    """The function a stored lambda describes, outside safe mode only.

    `inner` is the "config" of a {"class_name": "__lambda__"} entry: {"code", "defaults",
    "closure"} (a Lambda layer) or {"value": [code, defaults, closure]} (any other object).
    """
    if config.in_safe_mode():
        raise refusal(what)
    if not isinstance(inner, dict):
        raise FileFormatError(f"{what}: a stored lambda needs a config object; received {inner!r}.")
    value = inner.get("value")
    code, defaults, closure = value if isinstance(value, list) and len(value) == 3 else (
        inner.get("code"), inner.get("defaults"), inner.get("closure")
    )  # fmt: skip
    try:
        code = marshal.loads(base64.decodebytes(code.encode("ascii")))
    except (ValueError, EOFError, TypeError, AttributeError) as exc:
        raise FileFormatError(
            f"{what}: its bytecode cannot be read ({exc}); bytecode only loads in the Python version "
            f"that wrote it. Rebuild it in code."
        ) from exc
    if not isinstance(code, types.CodeType):
        raise FileFormatError(f"{what}: the stored function is not Python bytecode.")
    cells = None if closure is None else tuple(types.CellType(v) for v in closure)
    arguments = None if defaults is None else tuple(defaults)
    scope = {"__builtins__": builtins, "np": np, "numpy": np, **({"ops": ops} if ops is not None else {})}
    return _naming_missing_globals(types.FunctionType(code, scope, code.co_name, arguments, cells), what)


def _naming_missing_globals(fn, what: str):
    """fn, with a NameError for a global the file could not provide turned into a clear message."""

    @functools.wraps(fn)  # keeps the signature (a Lambda layer looks for a `training` argument)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except NameError as exc:
            missing = getattr(exc, "name", None) or str(exc)
            if missing in fn.__code__.co_names:
                raise NameError(
                    f"{what}, loaded from a file, uses the global name {missing!r}, which the file cannot "
                    f"provide (loaded lambdas see only the builtins, np and ops). Rebuild it in code."
                ) from exc
            raise

    return wrapper
