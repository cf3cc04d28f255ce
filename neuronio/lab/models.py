"""The models the lab may open, each known to the page only by an id the server issued.

The page never sends a path: it picks from `/api/models`, whose ids are "given" (the file named on
the command line) and the folder names of the runs under the runs folder (`neuronio train`'s and
the lab's own). An id the store did not issue is refused, so no request can make the server read
a file of the client's choosing.
"""

import collections
import dataclasses
import pathlib
import threading

import numpy as np

from neuronio.lab.wire import LabInputError
from neuronio.utils import runs
from neuronio.visualize.classes import CLASS_NAMES

GIVEN_ID = "given"
_LOADED_CAPACITY = 4  # models kept in memory; the course's MNIST CNN is ~13 MB with its Adam slots


@dataclasses.dataclass
class ModelEntry:
    """A model file the lab knows about, and what its run folder says of it."""

    id: str
    path: pathlib.Path
    source: str  # "command line", "neuronio train" or "lab"
    dataset: str | None
    test_accuracy: float | None
    record: dict

    def describe(self) -> dict:
        accuracy = "" if self.test_accuracy is None else f", test accuracy {self.test_accuracy:.1%}"
        label = self.path.name if self.id == GIVEN_ID else self.id
        return {
            "id": self.id,
            "label": f"{label} ({self.source}{accuracy})",
            "source": self.source,
            "dataset": self.dataset,
            "test_accuracy": self.test_accuracy,
        }


@dataclasses.dataclass
class LoadedModel:
    """An opened model with what the pages need: every layer's output, the input layout, class names."""

    entry: ModelEntry
    model: object
    probe: object | None  # Model(inputs, [each layer's output]), or None when the graph is not symbolic
    input_shape: tuple  # without the batch axis, e.g. (28, 28, 1)
    dataset: str | None
    class_names: list[str]
    runtime: object | None = None  # the probe run by ONNX Runtime (`neuronio lab --onnx`), else None

    @property
    def drawable(self) -> bool:
        """Whether a 28x28 grey drawing fits the input: (28, 28, 1), (28, 28) or (784,)."""
        return self.input_shape in ((28, 28, 1), (28, 28), (784,))

    def activations(self, x: np.ndarray) -> list[tuple[object, np.ndarray]]:
        """[(layer, output)] for one batch, in the order of `model.layers` (inference mode)."""
        from neuronio.autodiff.tape import no_grad

        if self.runtime is not None:
            return list(zip(self.model.layers, self.runtime.outputs(x)))
        with no_grad():
            if self.probe is None:
                return [(self.model.layers[-1], _array(self.model(x, training=False)))]
            outputs = self.probe(x, training=False)
        return [(layer, _array(out)) for layer, out in zip(self.model.layers, outputs)]


def _array(value) -> np.ndarray:
    return value.data if hasattr(value, "data") else np.asarray(value)


def guess_dataset(input_shape: tuple) -> str | None:
    """The dataset a model with this input most likely learned (MNIST for 28x28 grey)."""
    if input_shape in ((28, 28, 1), (28, 28), (784,)):
        return "mnist"
    if input_shape == (32, 32, 3):
        return "cifar10"
    return None


class ModelStore:
    """Issues model ids, lists them for the page and opens them (a few kept loaded)."""

    def __init__(self, runs_root: pathlib.Path, given_path: pathlib.Path | None = None, onnx: bool = False):
        """onnx: run the opened models' layers in ONNX Runtime (their probe exported to ONNX)."""
        self.runs_root = pathlib.Path(runs_root)
        self.onnx = onnx
        self._lock = threading.Lock()
        self._entries: dict[str, ModelEntry] = {}
        self._loaded: collections.OrderedDict[str, LoadedModel] = collections.OrderedDict()
        if given_path is not None:
            from neuronio.visualize.report import read_record

            # A model named on the command line inside a run folder has its history.json beside it, as
            # `neuronio report` finds it.
            given_path = pathlib.Path(given_path)
            record = read_record(given_path) or {}
            dataset = record.get("dataset") if isinstance(record.get("dataset"), str) else None
            accuracy = record.get("test_accuracy")
            accuracy = float(accuracy) if isinstance(accuracy, (int, float)) else None
            self._entries[GIVEN_ID] = ModelEntry(GIVEN_ID, given_path, "command line", dataset, accuracy, record)
        self.refresh()

    def refresh(self) -> None:
        """Rescan the runs folder (a run finished by `neuronio train` or the lab appears here)."""
        found = runs.find_runs(root=self.runs_root) if self.runs_root.is_dir() else []
        with self._lock:
            given = self._entries.get(GIVEN_ID)
            self._entries = {GIVEN_ID: given} if given else {}
            for run in found:
                source = "lab" if run.record.get("source") == "lab" else "neuronio train"
                self._entries[run.folder.name] = ModelEntry(
                    run.folder.name, run.model_path, source, run.dataset, run.test_accuracy, run.record
                )

    def default_id(self) -> str | None:
        """The model the lab opens first: the one given, else the best MNIST run, else none."""
        if GIVEN_ID in self._entries:
            return GIVEN_ID
        best = runs.best_run("mnist", self.runs_root) if self.runs_root.is_dir() else None
        return best.folder.name if best is not None and best.folder.name in self._entries else None

    def no_model_hint(self) -> str:
        return runs.NO_MODEL_HINT.format(root=self.runs_root)

    def describe(self) -> list[dict]:
        with self._lock:
            return [entry.describe() for entry in self._entries.values()]

    def entry(self, model_id) -> ModelEntry:
        if isinstance(model_id, str) and model_id not in self._entries:
            self.refresh()  # a run finished since the last listing; still only ids the scan issues
        with self._lock:
            entry = self._entries.get(model_id) if isinstance(model_id, str) else None
        if entry is None:
            if not self._entries:
                raise LabInputError(self.no_model_hint(), 404)
            raise LabInputError(
                f"Unknown model id {model_id!r}; choose one from the model list (reload the page if a run "
                f"just finished).",
                404,
            )
        return entry

    def open(self, model_id) -> LoadedModel:
        """The loaded model for an id, loading the file on first use."""
        entry = self.entry(model_id)
        with self._lock:
            if entry.id in self._loaded and self._loaded[entry.id].entry.path == entry.path:
                self._loaded.move_to_end(entry.id)
                return self._loaded[entry.id]
        loaded = _load(entry, self.onnx)
        with self._lock:
            self._loaded[entry.id] = loaded
            while len(self._loaded) > _LOADED_CAPACITY:
                self._loaded.popitem(last=False)
        return loaded

    def add(self, entry: ModelEntry) -> None:
        """Register a model the lab itself just saved (before the next refresh would find it)."""
        with self._lock:
            self._entries[entry.id] = entry


def _load(entry: ModelEntry, onnx: bool = False) -> LoadedModel:
    from neuronio.errors import FileFormatError
    from neuronio.models import Model
    from neuronio.saving import load_model

    try:
        model = load_model(entry.path, compile=False)
    except (FileFormatError, OSError) as exc:
        raise LabInputError(f"Could not open model {entry.id!r} ({entry.path}): {exc}", 422) from exc
    input_shape = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else ()
    try:
        probe = Model(model.inputs, [layer.output for layer in model.layers])
    except (AttributeError, TypeError, ValueError):
        probe = None  # a model without a symbolic graph: only its final output is shown
    dataset = entry.dataset or guess_dataset(input_shape)
    n_classes = model.outputs[0].shape[-1] if getattr(model, "outputs", None) else 10
    names = CLASS_NAMES.get(dataset, [])
    if len(names) != n_classes:
        names = [str(i) for i in range(n_classes)]
    runtime = _onnx_runtime(entry, probe) if onnx and probe is not None else None
    return LoadedModel(entry, model, probe, input_shape, dataset, names, runtime)


def _onnx_runtime(entry: ModelEntry, probe):
    """The probe model exported to ONNX and opened in ONNX Runtime; a model ONNX cannot express
    is refused with the exporter's reason (422), never silently run by neuronio instead."""
    from neuronio.errors import NeuronioError
    from neuronio.saving.onnx.runtime import OnnxRuntimeModel

    try:
        return OnnxRuntimeModel(probe)
    except NeuronioError as exc:
        raise LabInputError(f"Model {entry.id!r} cannot run in ONNX Runtime: {exc}", 422) from exc
