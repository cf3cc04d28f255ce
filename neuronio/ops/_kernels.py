"""The one seam through which a faster kernel enters an op.

Each op is one `Function` whose NumPy forward and backward are the reference: the readable statement
of the math, and what every other implementation is tested against. A faster implementation
registers, for an op, a whole replacement of its forward and/or of its backward:

    register("conv2d", "numba", load, dtypes=("float32", "float64"))

`load()` is called once, the first time the implementation is chosen; it returns an object with
`forward(op, *arrays)` and/or `backward(op, dy)` (an absent one means the reference does that half)
or raises ImportError when what it needs is not installed (the reason is kept for `neuronio info`).
A replacement computes what the reference computes and leaves the op the *same saved state* (each
op documents its state), so a forward of one implementation and a backward of another always fit;
where it sums in another order than the reference it says so in its docstring.

Which implementation an op runs is decided once per (op, dtype) from `config.kernels()` (the
priority list: NEURONIO_KERNELS, e.g. "onednn,numba", or `config.set_kernels`): the first listed
implementation that registered the op, accepts the dtype and loads. Never by the input's size:
the gradient checks and reference tests exercise the same code as training does. An implementation
that accepts only float32 (oneDNN's convolutions) leaves float64 to the next one in the list.

Where implementations live: numba's in neuronio/ops/_compiled.py, oneDNN's in neuronio/ops/_onednn.py
(both loaded by this module when the priority list names them), Adam's compiled update with Adam in
neuronio/optimizers/adam.py (registered when that module is imported).
"""

import importlib
import threading
from dataclasses import dataclass, field

import numpy as np

from neuronio import config

# The modules that register an implementation's replacements of ops, imported when it is first asked for.
_PROVIDERS = {"numba": ("neuronio.ops._compiled",), "onednn": ("neuronio.ops._onednn",)}

_LOCK = threading.RLock()


@dataclass
class Implementation:
    """One implementation's replacement of one op."""

    op: str
    name: str
    load: object  # () -> object with forward/backward, or raises ImportError
    dtypes: tuple = ("float32", "float64")
    loaded: object = None
    error: str | None = None  # why it could not load
    notes: str = ""

    def get(self):
        """The loaded replacement, or None (with `error` set) when it cannot load."""
        if self.loaded is None and self.error is None:
            with _LOCK:
                if self.loaded is None and self.error is None:
                    try:
                        self.loaded = self.load()
                    except (ImportError, OSError) as exc:
                        self.error = f"{type(exc).__name__}: {exc}"
        return self.loaded


_REGISTRY: dict[str, dict[str, Implementation]] = {}  # op -> implementation name -> Implementation
_CHOICES: dict[tuple, Implementation | None] = {}  # (op, dtype, priority list) -> the choice
_IMPORTED: dict[str, str | None] = {}  # provider module -> None, or the error importing it


def register(op: str, name: str, load, dtypes=("float32", "float64"), notes: str = "") -> None:
    """Register implementation `name`'s replacement of `op` (see the module's docstring)."""
    if name not in _PROVIDERS:
        raise ValueError(f"register: unknown kernel implementation {name!r}; expected numba or onednn.")
    with _LOCK:
        _REGISTRY.setdefault(op, {})[name] = Implementation(op, name, load, tuple(dtypes), notes=notes)
        _CHOICES.clear()


def _import_providers(name: str) -> None:
    for module in _PROVIDERS.get(name, ()):
        if module not in _IMPORTED:
            try:
                importlib.import_module(module)
                _IMPORTED[module] = None
            except ImportError as exc:  # the provider itself failed: its ops fall back
                _IMPORTED[module] = f"{type(exc).__name__}: {exc}"


def choose(op: str, dtype) -> Implementation | None:
    """The implementation `op` runs on arrays of `dtype`, or None for NumPy's reference."""
    priority = config.kernels()
    key = (op, dtype, priority)
    try:
        return _CHOICES[key]
    except KeyError:
        pass
    dtype_name = np.dtype(dtype).name
    chosen = None
    with _LOCK:
        for name in priority:
            if name == "numpy":
                break
            _import_providers(name)
            implementation = _REGISTRY.get(op, {}).get(name)
            if implementation is not None and dtype_name in implementation.dtypes and implementation.get() is not None:
                chosen = implementation
                break
        _CHOICES[key] = chosen
    return chosen


def forward(op: str, dtype):
    """The replacement forward(op_instance, *arrays) for `op` on `dtype`, or None (the reference's)."""
    chosen = choose(op, dtype)
    return None if chosen is None else getattr(chosen.loaded, "forward", None)


def backward(op: str, dtype):
    """The replacement backward(op_instance, dy) for `op` on `dtype`, or None (the reference's)."""
    chosen = choose(op, dtype)
    return None if chosen is None else getattr(chosen.loaded, "backward", None)


def registered(op: str | None = None) -> dict:
    """{op: {implementation name: Implementation}} after importing every provider (for info and tests)."""
    for name in _PROVIDERS:
        _import_providers(name)
    with _LOCK:
        table = {key: dict(value) for key, value in _REGISTRY.items()}
    return table if op is None else {op: table.get(op, {})}


def available(op: str, name: str) -> bool:
    """Whether implementation `name` registered `op` and loads here."""
    implementation = registered(op)[op].get(name)
    return implementation is not None and implementation.get() is not None


def report() -> list[dict]:
    """One row per registered op: what each dtype runs under the current priority list, and why
    each other registered implementation is not running (for `neuronio info`)."""
    rows = []
    for op, implementations in sorted(registered().items()):
        row = {"op": op, "float32": "numpy", "float64": "numpy", "registered": {}}
        for dtype in ("float32", "float64"):
            chosen = choose(op, np.dtype(dtype))
            row[dtype] = "numpy" if chosen is None else chosen.name
        for name, implementation in implementations.items():
            loaded = implementation.get()
            library = getattr(loaded, "extra", {}).get("library")
            state = f"loads ({', '.join(implementation.dtypes)})" + (f" from {library}" if library else "")
            row["registered"][name] = implementation.error or state
        rows.append(row)
    return rows


@dataclass
class Replacement:
    """A convenient `load()` result: the forward and backward functions, either may be None."""

    forward: object = None
    backward: object = None
    extra: dict = field(default_factory=dict)
