"""The Inspect page: what the open model is and what it learned, as data the page draws.

The computations are neuronio.visualize's (the same numbers as its matplotlib pictures):
`filter_tiles` for the kernels, `confusion_matrix` for the counts, `top_patches` with its
receptive-field tracing for the patches. This module only chooses the images (the first N test
images of a dataset the model can read), caches the predictions, and encodes the results.
"""

import collections
import threading

import numpy as np

from neuronio.lab import wire
from neuronio.lab.models import LoadedModel
from neuronio.lab.wire import LabInputError

SAMPLE_CHOICES = (500, 1000, 2000, 5000, 10000)  # test images the page offers for the matrix and patches
SAMPLE_RANGE = (100, 10000)  # what a request may ask for
CELL_IMAGES_SHOWN = 48
_CACHE_CAPACITY = 6


def datasets_for(loaded: LoadedModel) -> list[str]:
    """The datasets whose images fit this model's input."""
    if loaded.drawable:
        return ["mnist", "fashion_mnist"]
    if loaded.input_shape == (32, 32, 3):
        return ["cifar10"]
    return []


def summary(loaded: LoadedModel) -> dict:
    """Keras's summary text, a per-layer table, and what the other Inspect requests may ask for."""
    from neuronio.utils import sequential_ascii
    from neuronio.visualize.filters import conv_layers
    from neuronio.visualize.patches import receptive_fields

    model = loaded.model
    lines = []
    model.summary(line_length=96, print_fn=lines.append)
    try:
        table = sequential_ascii(model, percent="rounded")  # the deck's table, shares rounded (the deck truncates)
    except (ValueError, AttributeError, IndexError, TypeError):
        table = None  # a model the deck's table cannot describe (e.g. several inputs)
    try:
        fields = receptive_fields(model)
    except (ValueError, TypeError):
        fields = {}
    datasets = datasets_for(loaded)
    return {
        "model": loaded.entry.id,
        "name": model.name,
        "text": "\n".join(lines),
        "table": table,
        "input_shape": list(loaded.input_shape),
        "dataset": loaded.dataset if loaded.dataset in datasets else (datasets[0] if datasets else None),
        "datasets": datasets,
        "class_names": loaded.class_names,
        "drawable": loaded.drawable,
        "layers": [
            {
                "name": layer.name,
                "class": type(layer).__name__,
                "output_shape": _output_shape(layer),
                "params": int(layer.count_params()),
            }
            for layer in model.layers
        ],
        "total_params": int(model.count_params()),
        "conv_layers": [layer.name for layer in conv_layers(model)],
        "patch_layers": list(fields),
        "receptive_fields": {name: {"size": f.size, "jump": f.jump} for name, f in fields.items()},
        "record": {key: loaded.entry.record[key] for key in ("history", "test_accuracy") if key in loaded.entry.record},
        "sample_choices": list(SAMPLE_CHOICES),
    }


def _output_shape(layer) -> list:
    nodes = getattr(layer, "_inbound_nodes", None)
    if not nodes:
        return []
    return [None if d is None else int(d) for d in nodes[-1].outputs[0].shape]


def filters(loaded: LoadedModel, layer_name) -> dict:
    """One Conv2D layer's kernels, one tile per filter (visualize.filters.filter_tiles)."""
    from neuronio.visualize.filters import conv_layers, filter_tiles

    layers = {layer.name: layer for layer in conv_layers(loaded.model)}
    if not layers:
        raise LabInputError(f"Model {loaded.entry.id!r} has no convolution layer, so it has no filters to show.", 422)
    layer = layers.get(layer_name if layer_name is not None else next(iter(layers)))
    if layer is None:
        raise LabInputError(f"Unknown convolution layer {layer_name!r}; choose one of {', '.join(layers)}.")
    kernel = layer.kernel.numpy()  # (KH, KW, C, F)
    tiles, kind = filter_tiles(kernel)  # (F, h, w) or (F, h, w, 3); NaN between channel slices
    limit = float(np.abs(kernel).max()) or 1.0
    if kind == "rgb":
        encoded = wire.encode_u8(tiles, 0.0, 1.0)  # already scaled per filter
    else:
        encoded = wire.encode_u8(np.nan_to_num(tiles, nan=0.0), -limit, limit)  # 0 weight -> the middle colour
    return {"layer": layer.name, "kernel_shape": list(kernel.shape), "kind": kind, "tiles": encoded}


class Inspector:
    """Test images per dataset and the open models' predictions on them, computed once and cached."""

    def __init__(self):
        self._lock = threading.Lock()
        self._data: dict[str, tuple] = {}
        self._predictions: collections.OrderedDict = collections.OrderedDict()

    def test_images(self, loaded: LoadedModel, dataset: str, samples: int) -> tuple[np.ndarray, np.ndarray]:
        """The first `samples` test images scaled to [0, 1] and shaped as the model's input, and their labels."""
        from neuronio.datasets import prepared

        allowed = datasets_for(loaded)
        if dataset not in allowed:
            raise LabInputError(
                f"Model {loaded.entry.id!r} reads inputs of shape {loaded.input_shape}, which "
                f"{dataset!r} images do not fit; choose {' or '.join(allowed) or 'another model'}."
            )
        with self._lock:
            if dataset not in self._data:
                self._data[dataset] = prepared.load_raw(dataset)[1]  # the test split
            x, y = self._data[dataset]
        x = prepared.scale(x[:samples])
        return x.reshape((len(x), *loaded.input_shape)), np.asarray(y[:samples]).reshape(-1).astype(np.int64)

    def predictions(self, loaded: LoadedModel, dataset: str, samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, true labels, probabilities) for the first `samples` test images (cached per model)."""
        key = (loaded.entry.id, str(loaded.entry.path), dataset, samples)
        with self._lock:
            if key in self._predictions:
                self._predictions.move_to_end(key)
                return self._predictions[key]
        x, y = self.test_images(loaded, dataset, samples)
        probabilities = loaded.model.predict(x, batch_size=500, verbose=0)
        with self._lock:
            self._predictions[key] = (x, y, probabilities)
            while len(self._predictions) > _CACHE_CAPACITY:
                self._predictions.popitem(last=False)
        return x, y, probabilities

    def confusion(self, loaded: LoadedModel, dataset: str, samples: int) -> dict:
        from neuronio.visualize.confusion import confusion_matrix

        _, y, probabilities = self.predictions(loaded, dataset, samples)
        k = probabilities.shape[1]
        counts = confusion_matrix(y, probabilities.argmax(axis=1), k)
        return {
            "dataset": dataset,
            "samples": int(len(y)),
            "class_names": loaded.class_names,
            "counts": counts.tolist(),
            "accuracy": float(np.trace(counts) / max(1, counts.sum())),
        }

    def cell(self, loaded: LoadedModel, dataset: str, samples: int, true_class: int, predicted_class: int) -> dict:
        """The images of one confusion-matrix cell: true class t predicted as p, most confident first."""
        x, y, probabilities = self.predictions(loaded, dataset, samples)
        k = probabilities.shape[1]
        for name, value in (("true", true_class), ("predicted", predicted_class)):
            if not 0 <= value < k:
                raise LabInputError(f"`{name}` must be a class number from 0 to {k - 1}; received {value}.")
        predicted = probabilities.argmax(axis=1)
        members = np.flatnonzero((y == true_class) & (predicted == predicted_class))
        members = members[np.argsort(-probabilities[members, predicted_class], kind="stable")]
        shown = members[:CELL_IMAGES_SHOWN]
        return {
            "true": true_class,
            "predicted": predicted_class,
            "count": int(members.size),
            "indices": shown.tolist(),
            "confidence": [round(float(c), 3) for c in probabilities[shown, predicted_class]],
            "images": wire.encode_images(x[shown].reshape(len(shown), *_image_shape(loaded))),
        }

    def patches(self, loaded: LoadedModel, dataset: str, samples: int, layer_name) -> dict:
        """The 9 test-image patches that excite each filter of a layer most (visualize.top_patches)."""
        from neuronio.visualize.patches import receptive_fields, top_patches

        try:
            fields = receptive_fields(loaded.model)
        except (ValueError, TypeError) as exc:
            raise LabInputError(f"Cannot trace receptive fields in model {loaded.entry.id!r}: {exc}", 422) from exc
        if not fields:
            raise LabInputError(f"Model {loaded.entry.id!r} has no layer that outputs feature maps.", 422)
        if layer_name is None:
            layer_name = next(iter(fields))
        if layer_name not in fields:
            raise LabInputError(f"Unknown layer {layer_name!r} for patches; choose one of {', '.join(fields)}.")
        x, _ = self.test_images(loaded, dataset, samples)
        if x.ndim != 4:
            raise LabInputError(f"Model {loaded.entry.id!r} takes flat inputs; patches need image inputs.", 422)
        result = top_patches(loaded.model, layer_name, x, k=9)
        patches = result.patches  # (F, 9, h, w, C), NaN where the field leaves the image
        outside = np.isnan(patches).any(axis=-1)
        patches = np.nan_to_num(patches, nan=0.0)
        if patches.shape[-1] == 1:
            patches = patches[..., 0]
        return {
            "layer": result.layer,
            "field": {"size": result.field.size, "jump": result.field.jump, "start": result.field.start},
            "filters": int(patches.shape[0]),
            "k": int(patches.shape[1]),
            "patches": wire.encode_u8(patches, 0.0, 1.0),
            "outside": wire.encode_u8(outside, 0, 1),
            "activations": np.round(result.activations, 4).tolist(),
            "image_indices": result.image_indices.tolist(),
            "samples": int(len(x)),
        }


def _image_shape(loaded: LoadedModel) -> tuple:
    return (28, 28) if loaded.input_shape == (784,) else loaded.input_shape
