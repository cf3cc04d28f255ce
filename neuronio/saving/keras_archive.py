"""The Keras 3 `.keras` archive and `.weights.h5` files (atomic writes: saving/atomic.py).

A `.keras` file is a zip archive of three members, stored uncompressed, in this order:

    metadata.json      {"keras_version": "3.8.0", "date_saved": "2025-01-31@12:00:00"}
    config.json        the model's envelope with its compile_config (saving/serialization.py)
    model.weights.h5   the variables in Keras's HDF5 layout (saving/h5_store.py)

Every write goes to a temporary file in the target's folder, is flushed to disk, and is then
renamed over the target (`os.replace`, atomic on POSIX and Windows): a crash, a kill or a full disk
in the middle of a save leaves the previous file as it was. A killed save can leave its temporary
file (`.<name>.<pid>.<8 hex digits>.tmp`) behind; nothing ever reads those, and the next save into
the same folder removes the ones that are stale (`remove_stale_temps`).

Every problem with the content of a file being loaded (truncated, corrupted, not a zip, a config
naming an unknown or code-holding class, weights of the wrong shape) raises FileFormatError naming
the file and what was wrong; a missing file raises FileNotFoundError. The work a file can cause is
bounded before it is done:
  - an archive naming a member twice is refused; no member is inflated past the size it declares,
    and none may declare more than its kind can need (a config: 64 MiB; the weights: what the
    model built from config.json can hold, `h5_store.max_state_bytes`);
  - every HDF5 file neuronio writes carries a SHA-256 checksum in its user block, checked before
    parsing; every HDF5 parse of a loaded file runs first in a child process with a time limit
    (saving/guard.py), since libhdf5 can loop forever on damaged metadata;
  - weights must be finite and fit their variable's dtype, and step counts be non-negative.
"""

import datetime
import io
import json
import os
import struct
import warnings
import zipfile
import zlib

import h5py

from neuronio import config
from neuronio.errors import FileFormatError
from neuronio.saving import guard, h5_store, object_registration
from neuronio.saving.atomic import atomic_write, remove_stale_temps  # noqa: F401 - part of this module's API
from neuronio.saving.model_config import deserialize_model, serialize_model

CONFIG_NAME = "config.json"
METADATA_NAME = "metadata.json"
WEIGHTS_NAME = "model.weights.h5"

# The Keras release whose config schema neuronio writes: every key in our files is one that
# Keras 3.8 and later read (metadata.json is informational; no Keras version reads it back).
KERAS_SCHEMA_VERSION = "3.8.0"

# A JSON member larger than this is not a model config (VGG19's is about 30 kB).
_MAX_JSON_BYTES = 64 * 2**20
# Stored members expand 1:1 and DEFLATE at most ~1032:1: more claims a decompression bomb (Keras's rule).
_MAX_EXPANSION = 1100
_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"

# What zipfile and zlib raise on a damaged archive, wrapped into FileFormatError around zipfile's
# own calls only (RuntimeError: an encrypted member; NotImplementedError: an unknown compression
# method; struct.error, IndexError: cut or edited headers). The HDF5 reader has its own list
# (h5_store.H5_DAMAGE), and config.json is checked where it is parsed (see _build).
_ZIP_DAMAGE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    IndexError,
    struct.error,
    NotImplementedError,
    RuntimeError,
    OverflowError,
)


# -- saving -----------------------------------------------------------------------------------------
def save_model(model, filepath, overwrite: bool = True, zipped=None) -> None:
    """Write `model` as a Keras 3 `.keras` archive (or, with zipped=False, as a folder holding
    the same three files). The write is atomic."""
    filepath = os.fspath(filepath)
    zipped = True if zipped is None else bool(zipped)
    if zipped and not filepath.endswith(".keras"):
        hint = (
            " To save only the weights, use model.save_weights('name.weights.h5')." if filepath.endswith(".h5") else ""
        )
        raise ValueError(
            f"Invalid filepath: neuronio saves whole models in the Keras 3 format, whose name ends in "
            f"'.keras'. Received: filepath={filepath}.{hint}"
        )
    if not zipped and filepath.endswith(".keras"):
        raise ValueError(
            f"With zipped=False the filepath names a folder and must not end in '.keras'; received filepath={filepath}."
        )
    if not model.built:
        warnings.warn(
            f"Saving model '{model.name}', which is not built yet: the file holds no weights. "
            f"Call it on data (or give it an Input) first.",
            stacklevel=3,
        )
    config_json = json.dumps(serialize_model(model))
    metadata_json = json.dumps(
        {
            "keras_version": KERAS_SCHEMA_VERSION,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        }
    )
    weights = _weights_bytes(model)
    if zipped:
        atomic_write(filepath, lambda f: _write_zip(f, metadata_json, config_json, weights), overwrite)
    else:
        _save_folder(filepath, metadata_json, config_json, weights, overwrite)


def _weights_bytes(model, include_optimizer: bool = True, attrs=None) -> bytes:
    """The HDF5 image, with neuronio's checksum in its user block (saving/guard.py)."""
    buffer = io.BytesIO()
    with h5py.File(buffer, "w", userblock_size=guard.USERBLOCK_SIZE) as h5file:
        h5_store.write_model_state(h5file, model, include_optimizer)
        for key, value in (attrs or {}).items():
            h5file.attrs[key] = value
    return guard.seal(buffer.getvalue())


def _write_zip(f, metadata_json: str, config_json: str, weights: bytes) -> None:
    # Member by member as Keras's saving_lib writes them: the JSON members through zf.open (dated
    # 1980-01-01), the weights through writestr (dated now), all stored without compression.
    with zipfile.ZipFile(f, "w") as zf:
        with zf.open(METADATA_NAME, "w") as member:
            member.write(metadata_json.encode())
        with zf.open(CONFIG_NAME, "w") as member:
            member.write(config_json.encode())
        zf.writestr(WEIGHTS_NAME, weights)


def _save_folder(folder: str, metadata_json: str, config_json: str, weights: bytes, overwrite: bool) -> None:
    """The unzipped layout: each file is written atomically inside the folder."""
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise FileExistsError(f"{folder} exists and is not a folder.")
    if not overwrite and os.path.exists(os.path.join(folder, CONFIG_NAME)):
        raise FileExistsError(f"{folder} already holds a saved model; pass overwrite=True to replace it.")
    os.makedirs(folder, exist_ok=True)
    # Weights first and config last: a folder whose config.json is new has new weights too.
    atomic_write(os.path.join(folder, WEIGHTS_NAME), lambda f: f.write(weights))
    atomic_write(os.path.join(folder, METADATA_NAME), lambda f: f.write(metadata_json.encode()))
    atomic_write(os.path.join(folder, CONFIG_NAME), lambda f: f.write(config_json.encode()))


def save_weights(model, filepath, overwrite: bool = True, attrs: dict | None = None) -> None:
    """Write the weights (and the optimizer state, as Keras does) to a `.weights.h5` file, atomically.

    `attrs` adds attributes to the HDF5 root (BackupAndRestore keeps its training state there, so
    that weights and state are replaced by one rename); Keras ignores them.
    """
    filepath = os.fspath(filepath)
    if not filepath.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in '.weights.h5'. Received: filepath={filepath}")
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' is not built yet, so it has no weights to save. Call it on data "
            f"(or give it an Input) first."
        )
    weights = _weights_bytes(model, attrs=attrs)
    atomic_write(filepath, lambda f: f.write(weights), overwrite)


# -- loading ----------------------------------------------------------------------------------------
def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):
    """Load a model saved by neuronio or by Keras 3 (`.keras` archive or unzipped folder).

    Args:
        filepath: the `.keras` file (or a folder saved with zipped=False).
        custom_objects: {name: class or function} for the user's own layers, losses, metrics
            (besides those registered with `register_keras_serializable`); only these and
            neuronio's own classes are ever built.
        compile: restore the compile state (optimizer with its slots, loss, metrics).
        safe_mode: True (the default) refuses code stored in the file (a Lambda layer's Python
            lambda); False allows it, for files you trust, as in Keras. So does
            `neuronio.config.enable_unsafe_deserialization()`.

    Raises:
        FileNotFoundError: no such file.
        FileFormatError: the file is damaged, of another kind, describes something neuronio
            will not or cannot build, holds non-finite weights, declares more bytes than its
            model can need, or takes libhdf5 longer than `guard.PARSE_TIME_LIMIT` to parse.
    """
    # Steps: 1. find the members, 2. config.json -> model (+ compile), 3. weights into it.
    filepath = os.fspath(filepath)
    with config.safe_mode_scope(safe_mode), object_registration.custom_object_scope(custom_objects):
        return _load(filepath, compile)


def _load(filepath: str, compile: bool):
    if os.path.isdir(filepath):
        return _load_folder(filepath, compile)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {filepath}")
    _check_kind(filepath)
    try:
        zf = zipfile.ZipFile(filepath, "r")
    except _ZIP_DAMAGE as exc:
        raise FileFormatError(f"{filepath}: not a readable .keras archive (zip): {exc}") from exc
    with zf:
        _check_members(zf, filepath)
        config = _read_json(zf, CONFIG_NAME, filepath)
        if METADATA_NAME in _names(zf):
            _read_json(zf, METADATA_NAME, filepath)
        model = _build(config, filepath, compile)
        weights = _read_member(zf, WEIGHTS_NAME, filepath, limit=h5_store.max_state_bytes(model))
    _load_state(weights, model, f"{filepath} ({WEIGHTS_NAME})")
    return model


def _load_folder(folder: str, compile: bool):
    config_path = os.path.join(folder, CONFIG_NAME)
    if not os.path.isfile(config_path):
        raise FileFormatError(f"{folder}: a folder saved with zipped=False must hold {CONFIG_NAME}; it does not.")
    with open(config_path, "rb") as f:
        config = _parse_json(f.read(_MAX_JSON_BYTES + 1), config_path)
    model = _build(config, config_path, compile)
    weights_path = os.path.join(folder, WEIGHTS_NAME)
    if not os.path.isfile(weights_path):
        raise FileFormatError(f"{folder}: {WEIGHTS_NAME} is missing.")
    _load_state(_read_file(weights_path, limit=h5_store.max_state_bytes(model)), model, weights_path)
    return model


def load_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Load weights (and optimizer state, when both the model and the file have one) from a
    `.weights.h5` file or from the weights inside a `.keras` archive. Nothing is changed if the
    file does not fit the model. A compiled model whose optimizer has not run yet gets its slots
    built and restored (Keras skips the optimizer state with a warning in that case)."""
    filepath = os.fspath(filepath)
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' is not built yet, so there is nothing to load the weights into. "
            f"Call it on data (or give it an Input) first."
        )
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {filepath}")
    if filepath.endswith(".keras"):
        _check_kind(filepath)
        try:
            with zipfile.ZipFile(filepath, "r") as zf:
                _check_members(zf, filepath)
                limit = None if skip_mismatch else h5_store.max_state_bytes(model)
                data = _read_member(zf, WEIGHTS_NAME, filepath, limit=limit)
        except FileFormatError:
            raise
        except _ZIP_DAMAGE as exc:
            raise FileFormatError(f"{filepath}: not a readable .keras archive (zip): {exc}") from exc
        _load_state(data, model, f"{filepath} ({WEIGHTS_NAME})", skip_mismatch)
        return
    if not filepath.endswith(".h5"):
        raise ValueError(f"load_weights reads '.weights.h5' files and '.keras' archives; received filepath={filepath}.")
    # A file larger than any that fits the model is refused before it is read (with skip_mismatch
    # a larger file is expected: the layers that do not fit are skipped).
    limit = None if skip_mismatch else h5_store.max_state_bytes(model)
    _load_state(_read_file(filepath, limit), model, filepath, skip_mismatch)


def load_weights_h5(model, filepath, skip_mismatch: bool = False, trusted: bool = False) -> None:
    """load_weights for an HDF5 weights file of any name (BackupAndRestore's `.bkp` copies).

    `trusted`: the file is neuronio's own (a backup in the user's folder): when its checksum
    matches, it is parsed without the child-process time limit (saving/guard.py)."""
    filepath = os.fspath(filepath)
    _load_state(_read_file(filepath), model, filepath, skip_mismatch, trusted)


def read_root_attrs(filepath, trusted: bool = False) -> dict:
    """The attributes of a weights file's HDF5 root (where BackupAndRestore keeps its state),
    after the same checksum and time-limit checks as `load_weights_h5`."""
    filepath = os.fspath(filepath)
    data = _read_file(filepath)
    found = {}

    def parse():
        try:
            with h5_store.open_h5(io.BytesIO(data), filepath) as h5file:
                found.update({key: h5file.attrs[key] for key in h5file.attrs})
        except FileFormatError:
            raise
        except h5_store.H5_DAMAGE as exc:
            raise FileFormatError(f"{filepath}: damaged HDF5 attributes ({exc}).") from exc

    _parse_guarded(data, parse, filepath, trusted, memory=4 * len(data))
    return found


def _load_state(data: bytes, model, who: str, skip_mismatch: bool = False, trusted: bool = False) -> None:
    def parse(assign: bool = True):
        try:
            with h5_store.open_h5(io.BytesIO(data), who) as h5file:
                h5_store.read_model_state(h5file, model, who, skip_mismatch, assign=assign)
        except FileFormatError:
            raise
        except h5_store.H5_DAMAGE as exc:
            raise FileFormatError(f"{who}: damaged HDF5 data ({type(exc).__name__}: {exc}).") from exc

    memory = 4 * len(data) + h5_store.max_state_bytes(model)
    _parse_guarded(data, parse, who, trusted, memory, check=lambda: parse(assign=False))


def _parse_guarded(data: bytes, parse, who: str, trusted: bool, memory: int, check=None) -> None:
    """Checksum first; then, unless the bytes are neuronio's own and verified, `check` (by default
    `parse`) in a child process bounded in time and memory; then `parse` here (saving/guard.py
    says why)."""
    verified = guard.verify(data, who, strict=trusted)
    if not (trusted and verified):
        guard.run_bounded(check or parse, who, memory=memory)
    parse()


def _read_file(filepath: str, limit: int | None = None) -> bytes:
    """A whole file, read once, so that the bytes checked are the bytes parsed."""
    with open(filepath, "rb") as f:
        if limit is not None and os.fstat(f.fileno()).st_size > limit:
            raise FileFormatError(
                f"{filepath}: holds {os.fstat(f.fileno()).st_size} bytes, more than the weights of the model "
                f"its config describes can take ({limit}); refused."
            )
        return f.read()


def _check_members(zf: zipfile.ZipFile, filepath: str) -> None:
    """Refuse an archive that names a member twice (which of the two is "the" config?)."""
    seen: set[str] = set()
    for name in _names(zf):
        if name in seen:
            raise FileFormatError(
                f"{filepath}: the archive holds two members named '{name}'; a .keras file holds each "
                f"of {CONFIG_NAME}, {METADATA_NAME} and {WEIGHTS_NAME} once. Refused as ambiguous."
            )
        seen.add(name)


def _check_kind(filepath: str) -> None:
    """Name the kind of file when it is not a zip archive (the commonest mix-ups)."""
    with open(filepath, "rb") as f:
        head = f.read(8)
    if head.startswith(_HDF5_MAGIC):
        raise FileFormatError(
            f"{filepath}: this is an HDF5 file, not a .keras zip archive. A '.weights.h5' file holds "
            f"weights only: build the model in code and call model.load_weights(path). Keras 2's "
            f"'.h5' whole-model files are not supported: open them in Keras and save as '.keras'."
        )
    if not head:
        raise FileFormatError(f"{filepath}: the file is empty (0 bytes); it is not a .keras archive.")
    if not head.startswith(_ZIP_MAGIC):
        raise FileFormatError(
            f"{filepath}: not a .keras archive: a .keras file is a zip archive "
            f"(starting with 'PK'), but this one starts with {head!r}."
        )


def _names(zf: zipfile.ZipFile) -> list[str]:
    return [info.filename for info in zf.infolist()]


def _read_member(zf: zipfile.ZipFile, name: str, filepath: str, limit: int | None) -> bytes:
    """A member's bytes, after checking that it exists and is not a decompression bomb."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise FileFormatError(
            f"{filepath}: the archive has no '{name}' (it holds {', '.join(_names(zf)) or 'nothing'}); "
            f"a .keras file holds {CONFIG_NAME}, {METADATA_NAME} and {WEIGHTS_NAME}."
        ) from None
    if limit is not None and info.file_size > limit:
        need = "a model config can need" if name.endswith(".json") else "the model its config describes can need"
        raise FileFormatError(
            f"{filepath}: '{name}' declares {info.file_size} bytes, more than {need} ({limit}); "
            f"refused before inflating it."
        )
    if info.file_size > _MAX_EXPANSION * max(info.compress_size, 1) + 2**20:
        raise FileFormatError(
            f"{filepath}: '{name}' declares {info.file_size} bytes from {info.compress_size} "
            f"stored: refusing a likely decompression bomb."
        )
    try:
        with zf.open(info) as member:
            data = member.read(info.file_size + 1)
    except _ZIP_DAMAGE as exc:
        raise FileFormatError(f"{filepath}: '{name}' is damaged or truncated ({type(exc).__name__}: {exc}).") from exc
    if len(data) != info.file_size:
        raise FileFormatError(f"{filepath}: '{name}' should hold {info.file_size} bytes but holds {len(data)}.")
    return data


def _read_json(zf: zipfile.ZipFile, name: str, filepath: str):
    return _parse_json(_read_member(zf, name, filepath, limit=_MAX_JSON_BYTES), f"{filepath} ({name})")


def _parse_json(data: bytes, who: str):
    if len(data) > _MAX_JSON_BYTES:
        raise FileFormatError(f"{who}: larger than any model config ({_MAX_JSON_BYTES} bytes).")
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_json_constant)
    except _NaNInConfig:
        raise FileFormatError(
            f"{who}: holds NaN, which no setting of a model means; the file is damaged or was edited by hand."
        ) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FileFormatError(f"{who}: not valid JSON ({exc}).") from exc
    if not isinstance(value, dict):
        raise FileFormatError(f"{who}: expected a JSON object; received a {type(value).__name__}.")
    return value


class _NaNInConfig(Exception):
    pass


def _json_constant(name: str) -> float:
    """JSON's non-standard constants: Infinity can be meant (an unbounded ReLU), NaN never is."""
    if name == "NaN":
        raise _NaNInConfig
    return float(name)


def _build(config: dict, filepath: str, compile: bool):
    """config.json -> model. The structure of the config is checked where it is parsed (envelopes:
    _registry.parts and serialization.layer_class; a functional graph: models/graph_config.py), and
    a constructor refuses a value it cannot take with ValueError or TypeError: those become
    FileFormatError naming the file. Anything else (AttributeError, KeyError, IndexError, ...) is a
    bug in neuronio or in a user's from_config, and propagates as it is."""
    who = f"{filepath} ({CONFIG_NAME})"
    try:
        return deserialize_model(config, who, compile)
    except FileFormatError as exc:
        if filepath in str(exc):
            raise
        raise FileFormatError(f"{who}: {exc}") from exc  # raised by a module that did not know the file
    except MemoryError as exc:
        raise FileFormatError(f"{who}: the model it describes does not fit in memory ({exc}).") from exc
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise FileFormatError(
            f"{who}: describes a model neuronio cannot build ({type(exc).__name__}: {exc}). If the "
            f"compile state is the problem, load with compile=False."
        ) from exc
