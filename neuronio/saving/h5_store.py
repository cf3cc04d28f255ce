"""Weights and optimizer state in Keras 3's HDF5 layout (`model.weights.h5`, `*.weights.h5`).

Keras walks the model and gives each object a group named after its place, not its name:

    vars/                              the model's own variables (none); attribute name="sequential"
    layers/<key>/vars/0, 1, ...        a layer's variables, trainable then non-trainable
    layers/<key>/layers/<key>/vars/... the layers of a nested model
    optimizer/vars/0, 1, ...           iteration, learning_rate, then the slots (Optimizer.variables)
    optimizer/optimizers/<name>/vars/  a MultiOptimizer's inner optimizers, each again (read from optimizer/vars)

<key> is the snake_case class name, numbered in `model.layers` order: "dense", "dense_1", ...
(`naming.to_snake_case` and `saving_lib._get_unique_name` in Keras). Every `vars` group carries
the object's name as its `name` attribute. Layers without variables still get their (empty) group.

Reading never trusts the file: a path must lead through real groups (no soft or external links),
a dataset must be a plain numeric array stored in the file, and its shape must be exactly the
shape of the variable it fills, so that a file cannot make the reader allocate more than the
model itself holds. Values must be finite, fit the variable's dtype (a float64 1e300 does not fit
float32), and a step count must not be negative. All values are read and checked before the first
one is assigned: a bad file leaves the model as it was.
"""

import warnings

import h5py
import numpy as np

from neuronio import config
from neuronio.errors import FileFormatError
from neuronio.layers.layer import Layer
from neuronio.layers.layer import registry as layers_registry

_MODEL_CLASSES = ("Sequential", "Functional")
# Variables that count steps (Optimizer.iterations; a Nadam/Keras state of the same name).
_COUNTERS = frozenset({"iteration", "iterations"})

# What h5py raises on damaged files (a size field past 2**63 gives OverflowError).
H5_DAMAGE = (OSError, KeyError, ValueError, RuntimeError, TypeError, OverflowError)


# -- Keras's walk -----------------------------------------------------------------------------------
def saveables(model) -> list[tuple[str, object]]:
    """(group path, layer or model) for the model and every layer in it, in Keras's order."""
    found: list[tuple[str, object]] = []
    seen: set[int] = set()
    _walk(model, "", found, seen)
    return found


def _walk(obj, path: str, found: list, seen: set) -> None:
    if id(obj) in seen:  # a layer reachable twice is saved once, at its first place (Keras)
        return
    seen.add(id(obj))
    found.append((path, obj))
    class_name = layers_registry.name_of(obj)
    if class_name is None or (class_name not in _MODEL_CLASSES and hasattr(obj, "compile")):
        # The user's own layer or a subclassed model (the user's, or Keras's own Distiller): its
        # sublayers by attribute, as Keras walks them.
        for key, child in _attribute_children(obj):
            _walk(child, _join(path, key), found, seen)
        return
    if class_name not in _MODEL_CLASSES:
        # A layer made of layers saves each one under the attribute Keras tracks it by. A layer may
        # name them (an RNN's cell, Bidirectional's two RNNs: layers/lstm/cell/vars); otherwise its
        # public attributes holding sublayers are walked in sorted order, as Keras walks them
        # (TimeDistributed's Dense at layers/time_distributed/layer/vars).
        if hasattr(obj, "saved_sublayers"):
            children = obj.saved_sublayers()
        else:
            children = [(a, getattr(obj, a)) for a in sorted(vars(obj)) if not a.startswith("_")]
            children = [(a, child) for a, child in children if child is not obj and child in obj._layers]
        for key, child in children:
            _walk(child, _join(path, key), found, seen)
        return
    used: dict[str, int] = {}
    for layer in obj.layers:
        key = _unique_key(config.snake_case(layers_registry.name_of(layer) or type(layer).__name__), used)
        _walk(layer, _join(path, "layers", key), found, seen)


def _attribute_children(obj) -> list[tuple[str, object]]:
    """(key, sublayer) of a user's layer or subclassed model, in Keras's order (saving_lib's walk).

    Keras visits the object's attributes by name, public ones first, then private ones: a sublayer
    held by an attribute is saved under that attribute's name (`hidden/vars`); a list, tuple or
    dict of them is a container whose layers are keyed by their snake_case class name, numbered
    in order (`blocks/dense`, `blocks/dense_1`). A model also has its `layers` list among its
    attributes: there a sublayer not reached under an earlier name is saved (`layers/dense_1`, if
    it sits in an attribute named after "layers", such as `out`). A layer reached twice is saved at
    its first place (`_walk` skips it after).
    """
    tracked = {id(layer) for layer in obj._layers}
    names = [a for a in vars(obj) if a != "_layers" and not a.startswith("__")]
    if hasattr(obj, "compile"):  # a model: Keras's Model.layers
        names.append("layers")
    children = []
    for attr in sorted(set(names), key=lambda a: "~" + a if a.startswith("_") else a):
        value = obj.layers if attr == "layers" else vars(obj)[attr]
        if isinstance(value, Layer):
            if value is not obj and id(value) in tracked:
                children.append((attr, value))
            continue
        items = list(value.values()) if isinstance(value, dict) else value
        if not isinstance(items, (list, tuple)):
            continue
        used: dict[str, int] = {}
        for item in items:
            if isinstance(item, Layer) and item is not obj and id(item) in tracked:
                key = _unique_key(config.snake_case(layers_registry.name_of(item) or type(item).__name__), used)
                children.append((_join(attr, key), item))
    return children


def _unique_key(name: str, used: dict[str, int]) -> str:
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


def own_variables(obj) -> list:
    """A layer's own variables in Keras's saved order: trainable, then non-trainable."""
    return list(obj._trainable_variables) + list(obj._non_trainable_variables)


# -- writing ----------------------------------------------------------------------------------------
def write_model_state(h5file: h5py.File, model, include_optimizer: bool = True) -> None:
    """Write every layer's variables and (if compiled) the optimizer's, in Keras's layout."""
    for path, obj in saveables(model):
        group = h5file.create_group(_join(path, "vars"))
        group.attrs["name"] = obj.name
        for i, variable in enumerate(own_variables(obj)):
            group[str(i)] = variable.data
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None:
        group = h5file.create_group("optimizer/vars")
        group.attrs["name"] = optimizer.name
        optimizer.save_own_variables(_WriteStore(group))
        # A MultiOptimizer's optimizer/vars holds every variable; Keras also writes each inner
        # optimizer's again under optimizer/optimizers/<its name>/vars, and reads both.
        for inner in getattr(optimizer, "optimizers", ()):
            group = h5file.create_group(f"optimizer/optimizers/{inner.name}/vars")
            group.attrs["name"] = inner.name
            inner.save_own_variables(_WriteStore(group))


class _WriteStore:
    """The `store[str(i)] = array` interface Optimizer.save_own_variables writes to."""

    def __init__(self, group: h5py.Group):
        self.group = group

    def __setitem__(self, key: str, value) -> None:
        self.group[key] = np.asarray(value)


# -- reading ----------------------------------------------------------------------------------------
# The most a weights file of a given model can hold: every value at 8 bytes (the widest dtype
# read), up to _MAX_SLOTS optimizer slots per trainable value (Adam with amsgrad has 3), and a
# bounded allowance for HDF5's own structures (headers, names, attributes, B-trees).
_MAX_SLOTS = 4
_HDF5_BASE_BYTES = 1 << 20
_HDF5_BYTES_PER_OBJECT = 16 << 10


def max_state_bytes(model) -> int:
    """An upper bound on the size of any weights file that fits `model`: a zip member or file
    declaring more is refused before it is inflated or read (a decompression bomb)."""
    values = trainable = objects = 0
    for _, obj in saveables(model):
        objects += 1
        for variable in own_variables(obj):
            values += variable.size
            objects += 1 + _MAX_SLOTS
        trainable += sum(variable.size for variable in obj._trainable_variables)
    values += _MAX_SLOTS * trainable
    return 8 * values + _HDF5_BASE_BYTES + _HDF5_BYTES_PER_OBJECT * objects


def read_model_state(h5file: h5py.File, model, who: str, skip_mismatch: bool = False, assign: bool = True) -> None:
    """Load every layer's variables, and the optimizer's when the model has one and the file too.
    With `assign=False`, read and check everything but change nothing (a dry run).

    Raises FileFormatError (naming `who`, the layer and the problem) for a missing group, a count
    or shape mismatch, or a dataset that is not a plain array; with `skip_mismatch`, a layer whose
    saved variables do not fit is left unchanged with a warning instead.
    """
    pending: list[tuple] = []  # (variable, array): assigned only once everything has been read
    for path, obj in saveables(model):
        variables = own_variables(obj)
        if not variables:
            continue
        where = f"layer '{obj.name}' ({_join(path, 'vars') or 'vars'})"
        group = _group(h5file, _join(path, "vars"), who)
        try:
            if group is None:
                raise FileFormatError(
                    f"{who}: no saved weights for {where}. The file was saved from a different model; "
                    f"it holds groups {sorted(_top_groups(h5file))}."
                )
            pending += _read_variables(group, variables, who, where)
        except FileFormatError as exc:
            if not skip_mismatch:
                raise
            warnings.warn(f"Skipping {where}: {exc}", stacklevel=3)
    pending += _read_optimizer(h5file, model, who, skip_mismatch)
    for variable, array in pending if assign else ():
        variable.assign(array)


def _read_optimizer(h5file, model, who: str, skip_mismatch: bool) -> list[tuple]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    group = _group(h5file, "optimizer/vars", who)
    if group is None:
        return []
    if not optimizer.built and len(group.keys()) > 2 and model.built:
        # Keras warns and skips here; building the slots first restores the state instead.
        optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    if len(group.keys()) != len(variables):
        if _never_stepped(group, who):
            return []  # saved before its first step (Keras writes iteration and learning_rate only)
        # Keras warns and keeps the fresh optimizer state in this case too.
        warnings.warn(
            f"{who}: skipping the optimizer state: the model's optimizer '{optimizer.name}' has "
            f"{len(variables)} variables, but the file holds {len(group.keys())}. Training restarts "
            f"the optimizer's state (moments, step count) from scratch.",
            stacklevel=4,
        )
        return []
    try:
        return _read_variables(group, variables, who, f"optimizer '{optimizer.name}'")
    except FileFormatError as exc:
        if not skip_mismatch:
            raise
        warnings.warn(f"Skipping the optimizer state: {exc}", stacklevel=4)
        return []


def _never_stepped(group: h5py.Group, who: str) -> bool:
    """An optimizer saved before it was built: two variables, the step count still 0."""
    if set(group.keys()) != {"0", "1"}:
        return False
    dataset = _dataset(group, "0", who, "optimizer")
    return dataset.shape == () and dataset.dtype.kind in "iu" and int(dataset[()]) == 0


def _read_variables(group: h5py.Group, variables: list, who: str, where: str) -> list[tuple]:
    keys = set(group.keys())
    expected = {str(i) for i in range(len(variables))}
    if keys != expected:
        raise FileFormatError(
            f"{who}: {where} expects {len(variables)} variables "
            f"({', '.join(v.name for v in variables)}), but the file holds {len(keys)} "
            f"({', '.join(sorted(keys)) or 'none'})."
        )
    pairs = []
    for i, variable in enumerate(variables):
        dataset = _dataset(group, str(i), who, where)
        if dataset.shape != variable.shape:
            raise FileFormatError(
                f"{who}: {where} variable {i} ('{variable.name}') has shape {variable.shape}, but the "
                f"file stores shape {dataset.shape}. The file was saved from a model of another shape."
            )
        array = np.empty(variable.shape, dtype=dataset.dtype)
        try:
            if array.size:
                dataset.read_direct(array)
        except H5_DAMAGE as exc:
            raise FileFormatError(f"{who}: cannot read {where} variable {i}: {exc}") from exc
        if variable.dtype.kind in "iu" and array.dtype.kind == "f":
            raise FileFormatError(
                f"{who}: {where} variable {i} ('{variable.name}') is an integer, "
                f"but the file stores {array.dtype} values."
            )
        pairs.append((variable, _checked_values(array, variable, who, f"{where} variable {i} ('{variable.name}')")))
    return pairs


def _checked_values(array: np.ndarray, variable, who: str, what: str) -> np.ndarray:
    """`array` cast to the variable's dtype; FileFormatError if a value is not finite, does not
    fit that dtype, or (for a step count) is negative: such values would train or predict NaN
    and blame the input later, far from the file that brought them."""
    with np.errstate(over="ignore", invalid="ignore"):
        cast = array.astype(variable.dtype, copy=False)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = array[~np.isfinite(array)].flat[0]
        raise FileFormatError(
            f"{who}: {what} holds {np.count_nonzero(~np.isfinite(array))} non-finite values (e.g. {bad}); "
            f"weights must be finite numbers. The file is damaged, or was saved after training diverged."
        )
    if cast.dtype.kind == "f" and not np.isfinite(cast).all():
        raise FileFormatError(
            f"{who}: {what} holds values beyond the range of {cast.dtype} (largest magnitude "
            f"{np.abs(array).max()}); they would load as infinity."
        )
    if cast.dtype.kind in "iu" and array.dtype.kind in "iub" and array.size:
        info = np.iinfo(cast.dtype)
        if array.min() < info.min or array.max() > info.max:
            raise FileFormatError(f"{who}: {what} holds integers outside the range of {cast.dtype}.")
    if variable.name in _COUNTERS and cast.size and cast.min() < 0:
        raise FileFormatError(
            f"{who}: {what} is a step count, but the file stores {cast.min()}; it cannot be negative."
        )
    return cast


def _group(h5file: h5py.File, path: str, who: str):
    """The group at `path`, or None if absent; FileFormatError if a step is a link or a dataset."""
    current = h5file
    for part in path.split("/"):
        try:
            if part not in current:
                return None
            kind = current.get(part, getclass=True, getlink=True)
            if kind is None:  # listed by name, but its link cannot be read: a damaged link table
                raise FileFormatError(f"{who}: the HDF5 data is damaged at '{path}': its link '{part}' cannot be read.")
            if kind is not h5py.HardLink:
                raise FileFormatError(f"{who}: '{path}' is a {kind.__name__}; weight files must not link elsewhere.")
            current = current[part]
        except H5_DAMAGE as exc:
            raise FileFormatError(f"{who}: the HDF5 data is damaged at '{path}' ({exc}).") from exc
        if not isinstance(current, h5py.Group):
            raise FileFormatError(f"{who}: '{path}' should be a group, but it is a {type(current).__name__}.")
    return current


def _dataset(group: h5py.Group, key: str, who: str, where: str) -> h5py.Dataset:
    try:
        kind = group.get(key, getclass=True, getlink=True)
        if kind is None:  # listed by name, but its link cannot be read: a damaged link table
            raise FileFormatError(
                f"{who}: the HDF5 data of {where} variable {key} is damaged: its link cannot be read."
            )
        if kind is not h5py.HardLink:
            raise FileFormatError(f"{who}: {where} variable {key} is a {kind.__name__}, not stored data.")
        dataset = group[key]
        if not isinstance(dataset, h5py.Dataset):
            raise FileFormatError(f"{who}: {where} variable {key} should be an array, but it is a group.")
        if dataset.external or dataset.is_virtual:
            raise FileFormatError(f"{who}: {where} variable {key} points outside the file; refused.")
        if dataset.dtype.kind not in "fiub" or dataset.dtype.subdtype is not None or dataset.dtype.itemsize > 8:
            raise FileFormatError(f"{who}: {where} variable {key} has dtype {dataset.dtype}; expected numbers.")
        return dataset
    except FileFormatError:
        raise
    except H5_DAMAGE as exc:
        raise FileFormatError(f"{who}: the HDF5 data of {where} variable {key} is damaged ({exc}).") from exc


def _top_groups(h5file: h5py.File) -> list[str]:
    try:
        return list(h5file.get("layers", {}).keys())
    except H5_DAMAGE:
        return []


def open_h5(source, who: str, mode: str = "r") -> h5py.File:
    """h5py.File on a path or file object; FileFormatError if it is not HDF5."""
    try:
        return h5py.File(source, mode)
    except H5_DAMAGE as exc:
        raise FileFormatError(f"{who}: not a readable HDF5 weights file ({exc}).") from exc
