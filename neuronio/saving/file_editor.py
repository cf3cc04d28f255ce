"""`KerasFileEditor`: open a `.keras` or `.weights.h5` file, look at its weights, edit them, and
write a `.weights.h5` file, as Keras 3's `keras.saving.KerasFileEditor`.

`weights_dict` mirrors the HDF5 layout without its `vars` groups: an object (a layer, the
optimizer) is a dict from weight names ("0", "1", ...) to arrays, nested under its path, e.g.
`weights_dict["layers"]["dense"]["0"]` is the first Dense layer's kernel. An object is named by
its full path ("layers/dense") or, when that is unambiguous, by its last part ("dense").

Reading trusts nothing in the file: only groups and numeric datasets stored inside it are read
(no soft or external links), and the `.keras` archive's members are read with the same bounds as
`load_model`. Editing refuses what would silently lose data: adding an object or a weight that
already exists (delete it first), renaming onto an existing name.
"""

import collections
import io
import os
import zipfile

import h5py
import numpy as np

from neuronio.errors import FileFormatError
from neuronio.saving import h5_store, keras_archive
from neuronio.saving.atomic import atomic_write


class KerasFileEditor:
    """Inspect and edit the weights of a saved model.

    Args:
        filepath: a `.keras` archive or a `.weights.h5` file.

    Attributes:
        weights_dict: the nested dict of weights described above (edit it through the methods).
        config, metadata: the archive's `config.json` and `metadata.json` (None for a weights file).
    """

    def __init__(self, filepath):
        self.filepath = os.fspath(filepath)
        self.config = self.metadata = None
        if self.filepath.endswith(".keras"):
            with zipfile.ZipFile(self.filepath) as zf:
                self.config = keras_archive._read_json(zf, keras_archive.CONFIG_NAME, self.filepath)
                if keras_archive.METADATA_NAME in zf.namelist():
                    self.metadata = keras_archive._read_json(zf, keras_archive.METADATA_NAME, self.filepath)
                data = keras_archive._read_member(zf, keras_archive.WEIGHTS_NAME, self.filepath, limit=None)
            source = io.BytesIO(data)
        elif self.filepath.endswith(".weights.h5"):
            source = self.filepath
        else:
            raise ValueError(
                f"Invalid filename: expected a `.keras` or `.weights.h5` extension. Received: filepath={self.filepath}"
            )
        with h5_store.open_h5(source, f"KerasFileEditor({self.filepath})") as h5file:
            self.weights_dict = _read_group(h5file, self.filepath, "")
        if self.metadata:
            print(f"Keras model file '{self.filepath}'")
            print(f"Saved with Keras {self.metadata.get('keras_version')} - date: {self.metadata.get('date_saved')}")

    # -- looking ---------------------------------------------------------------------------------
    def summary(self) -> None:
        """Print every object and its weights' shapes and dtypes, as a tree."""
        print("Weights structure")
        for line in _tree_lines(self.weights_dict, "  "):
            print(line)

    weights_summary = summary

    def compare(self, reference_model) -> dict:
        """List where the file and `reference_model` differ: objects only one of them has, weights
        missing on either side, and weights of different shapes.

        Returns:
            {"status": "success" or "error", "error_count": number of differences,
             "match_count": number of weights present in both with the same shape}.
        """
        print("Running comparison")
        errors, matches = _compare(self.weights_dict, model_spec(reference_model), "")
        for line in errors:
            print(line)
        if errors:
            print(f"Found {len(errors)} errors: saved file is not compatible with the reference model")
        else:
            print("Comparison successful: saved file is compatible with the reference model")
        return {"status": "error" if errors else "success", "error_count": len(errors), "match_count": matches}

    # -- editing ---------------------------------------------------------------------------------
    def rename_object(self, object_name, new_name) -> None:
        """Rename an object (e.g. "dense_2" or "layers/dense_2") to `new_name` (a name, not a path)."""
        parent, key = self._locate(object_name)
        if "/" in str(new_name) or not str(new_name):
            raise ValueError(f"rename_object: `new_name` must be a plain name without '/'; received {new_name!r}.")
        if new_name in parent:
            raise ValueError(f"rename_object: '{new_name}' already exists beside '{key}'; delete it first.")
        parent[new_name] = parent.pop(key)

    def delete_object(self, object_name) -> None:
        """Remove an object and all it holds (e.g. "dense_2" or "layers/dense_2")."""
        parent, key = self._locate(object_name)
        del parent[key]

    def add_object(self, object_path, weights) -> None:
        """Add a new object at the full path `object_path` with `weights` = {"0": array, ...}."""
        weights = _checked_weights(weights)
        parts = _parts(object_path)
        node = self.weights_dict
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"add_object: '{part}' in {object_path!r} is a weight, not an object.")
            node = child
        if parts[-1] in node:
            raise ValueError(
                f"add_object: an object already exists at '{'/'.join(parts)}'. Delete it first "
                "(delete_object), or add weights to it (add_weights)."
            )
        node[parts[-1]] = weights

    def delete_weight(self, object_name, weight_name) -> None:
        """Remove one weight ("0", "1", ...) from an object."""
        obj = self._object(object_name)
        weight_name = str(weight_name)
        if not isinstance(obj.get(weight_name), np.ndarray):
            found = [k for k, v in obj.items() if isinstance(v, np.ndarray)]
            raise ValueError(f"Weight {weight_name} not found in object {object_name}. Weights found: {found}")
        del obj[weight_name]

    def add_weights(self, object_name, weights) -> None:
        """Add new weights {"2": array, ...} to an existing object."""
        weights = _checked_weights(weights)
        obj = self._object(object_name)
        taken = sorted(set(weights) & set(obj))
        if taken:
            raise ValueError(
                f"add_weights: object {object_name} already has {taken}; delete them first (delete_weight)."
            )
        obj.update(weights)

    # -- writing ---------------------------------------------------------------------------------
    def save(self, filepath) -> None:
        """Write the edited weights as a Keras `.weights.h5` file (atomically)."""
        filepath = os.fspath(filepath)
        if not filepath.endswith(".weights.h5"):
            raise ValueError(
                f"Invalid `filepath` argument: expected a `.weights.h5` extension. Received: filepath={filepath}"
            )

        def write(file):
            with h5py.File(file, "w") as h5file:
                _write_group(h5file, self.weights_dict)

        atomic_write(filepath, write)

    resave_weights = save

    # -- finding objects -------------------------------------------------------------------------
    def _object(self, object_name) -> dict:
        parent, key = self._locate(object_name)
        return parent[key]

    def _locate(self, object_name):
        """(parent dict, key) of the object named by its path or its unique last part."""
        parts = _parts(object_name)
        node, parent = self.weights_dict, None
        for part in parts:
            if not isinstance(node, dict) or not isinstance(node.get(part), dict):
                break
            parent, node = node, node[part]
        else:
            return parent, parts[-1]
        if len(parts) == 1:
            found = [path for path in _object_paths(self.weights_dict, ()) if path[-1] == parts[0]]
            if len(found) == 1:
                return self._locate("/".join(found[0]))
            if len(found) > 1:
                listed = ", ".join("/".join(p) for p in found)
                raise ValueError(
                    f"Name '{object_name}' occurs more than once in the model ({listed}); try passing a complete path."
                )
        raise ValueError(
            f"Source name '{object_name}' does not appear in the model. Use `editor.summary()` to list all objects."
        )


def model_spec(model) -> dict:
    """The weights_dict-shaped tree of a model's variables (their shapes), optimizer included."""
    spec: dict = {}
    for path, obj in h5_store.saveables(model):
        node = spec
        for part in _parts(path) if path else ():
            node = node.setdefault(part, {})
        for i, variable in enumerate(h5_store.own_variables(obj)):
            node[str(i)] = tuple(variable.shape)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "variables", None):
        spec["optimizer"] = {str(i): tuple(np.shape(v.data if hasattr(v, "data") else v))
                             for i, v in enumerate(optimizer.variables)}  # fmt: skip
    return spec


def _compare(saved: dict, reference: dict, path: str) -> tuple[list[str], int]:
    errors, matches = [], 0
    for key in sorted(set(saved) | set(reference)):
        where = f"{path}/{key}"
        if key not in reference:
            kind = "Object" if isinstance(saved[key], dict) else "Weight"
            errors.append(f"...{kind} {where} present in saved file, missing from reference model")
        elif key not in saved:
            kind = "Object" if isinstance(reference[key], dict) else "Weight"
            errors.append(f"...{kind} {where} present in reference model, missing from saved file")
        elif isinstance(saved[key], dict) and isinstance(reference[key], dict):
            sub_errors, sub_matches = _compare(saved[key], reference[key], where)
            errors += sub_errors
            matches += sub_matches
        elif isinstance(saved[key], np.ndarray) and isinstance(reference[key], tuple):
            if saved[key].shape == reference[key]:
                matches += 1
            else:
                errors.append(
                    f"...Weight {where} has shape {saved[key].shape} in saved file, {reference[key]} in reference model"
                )
        else:
            errors.append(f"...{where} is an object on one side and a weight on the other")
    return errors, matches


def _read_group(group: h5py.Group, filepath: str, path: str) -> dict:
    out: dict = collections.OrderedDict()
    for key in group:
        link = group.get(key, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise FileFormatError(f"{filepath}: '{path}/{key}' is a link; refused.")
        item = group[key]
        if key == "vars" and isinstance(item, h5py.Group):
            for name in item:
                if not isinstance(item.get(name, getlink=True), h5py.HardLink):
                    raise FileFormatError(f"{filepath}: '{path}/vars/{name}' is a link; refused.")
                dataset = item[name]
                if not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind not in "fiub" or dataset.external:
                    raise FileFormatError(f"{filepath}: '{path}/vars/{name}' is not a numeric array stored in the file.")
                out[name] = np.asarray(dataset[()])
        elif isinstance(item, h5py.Group):
            out[key] = _read_group(item, filepath, f"{path}/{key}")
        else:
            raise FileFormatError(f"{filepath}: '{path}/{key}' is a dataset outside a 'vars' group; not a Keras weights file.")
    return out


def _write_group(group: h5py.Group, node: dict) -> None:
    weights = {k: v for k, v in node.items() if not isinstance(v, dict)}
    if weights or not node:
        vars_group = group.create_group("vars")
        for name, value in weights.items():
            vars_group[name] = np.asarray(value)
    for key, child in node.items():
        if isinstance(child, dict):
            _write_group(group.create_group(key), child)


def _tree_lines(node: dict, indent: str):
    items = list(node.items())
    for i, (key, value) in enumerate(items):
        last = i == len(items) - 1
        branch = "└─ " if last else "├─ "
        if isinstance(value, dict):
            yield f"{indent}{branch}{key}"
            yield from _tree_lines(value, indent + ("   " if last else "│  "))
        else:
            yield f"{indent}{branch}{key}: shape={value.shape}, dtype={value.dtype}"


def _object_paths(node: dict, prefix: tuple):
    for key, value in node.items():
        if isinstance(value, dict):
            yield (*prefix, key)
            yield from _object_paths(value, (*prefix, key))


def _parts(name) -> list[str]:
    parts = [p for p in str(name).strip("/").split("/") if p]
    if not parts:
        raise ValueError(f"Expected an object name or path such as 'layers/dense'; received {name!r}.")
    return parts


def _checked_weights(weights) -> dict:
    if not isinstance(weights, dict):
        raise ValueError(
            "Argument `weights` should be a dict where keys are weight names (usually '0', '1', etc.) and values "
            f"are NumPy arrays. Received: type(weights)={type(weights)}"
        )
    out = {}
    for name, value in weights.items():
        array = np.asarray(value)
        if array.dtype.kind not in "fiub":
            raise ValueError(f"Weight {name!r} must be a numeric array; received dtype {array.dtype}.")
        out[str(name)] = array
    return out

