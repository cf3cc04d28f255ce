"""The Draw page's computation: a drawing -> MNIST's 28x28 input -> probabilities and every layer's output.

The page sends the canvas's ink as bytes (0 = paper, 255 = full ink), at the canvas's resolution.
The server normalises it with `neuronio.apps.normalize.mnist_normalize`, the one function that
does MNIST's preprocessing (20x20 box keeping the aspect ratio, anti-aliased by pixel coverage,
centre of mass at the centre of 28x28), so a drawing reaches the model exactly as MNIST's digits did.
"""

import base64
import binascii
import time

import numpy as np

from neuronio.lab import wire
from neuronio.lab.models import LoadedModel
from neuronio.lab.wire import LabInputError

MIN_SIDE, MAX_SIDE = 28, 560  # canvas sides the page may send, in pixels
MAX_VALUES_SHOWN = 200_000  # a layer output bigger than this is described, not sent
_PASS_THROUGH = {"InputLayer", "Flatten", "Reshape", "Dropout"}  # nothing new to show at inference


def decode_drawing(body: dict) -> np.ndarray:
    """The (height, width) uint8 ink image from {"width", "height", "pixels": base64 bytes}."""
    width = wire.integer(body, "width", MIN_SIDE, MAX_SIDE)
    height = wire.integer(body, "height", MIN_SIDE, MAX_SIDE)
    pixels = body.get("pixels")
    if not isinstance(pixels, str):
        raise LabInputError("The drawing is missing: `pixels` must be the canvas's ink as a base64 string.")
    try:
        raw = base64.b64decode(pixels, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise LabInputError(f"The drawing's `pixels` is not valid base64 ({exc}).") from exc
    if len(raw) != width * height:
        raise LabInputError(
            f"The drawing has {len(raw):,} pixels but width x height = {width} x {height} = {width * height:,}."
        )
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width)


def model_input(loaded: LoadedModel, digit: np.ndarray) -> np.ndarray:
    """The (28, 28) normalised digit shaped as the model's batch of one: (1, 28, 28, 1), (1, 28, 28) or (1, 784)."""
    if not loaded.drawable:
        raise LabInputError(
            f"Model {loaded.entry.id!r} reads inputs of shape {loaded.input_shape}, not 28x28 grey images, so it "
            f"cannot read a drawing. Choose an MNIST or Fashion-MNIST model (or train one on the Train page).",
            422,
        )
    return digit.reshape((1, *loaded.input_shape))


def predict_drawing(loaded: LoadedModel, ink: np.ndarray) -> dict:
    """Everything the Draw page shows for one drawing, with the server time it took."""
    from neuronio.apps.normalize import mnist_normalize

    started = time.perf_counter()
    digit = mnist_normalize(ink)  # (28, 28) float32 in [0, 1]
    outputs = loaded.activations(model_input(loaded, digit))
    probabilities = outputs[-1][1][0].astype(float)
    has_ink = bool(digit.any())
    return {
        "model": loaded.entry.id,
        "input": wire.encode_u8(digit, 0.0, 1.0),
        "has_ink": has_ink,
        "class_names": loaded.class_names,
        "probabilities": [round(p, 5) for p in probabilities],
        "prediction": int(np.argmax(probabilities)) if has_ink else None,
        "layers": [describe_layer(layer, out[0]) for layer, out in outputs],
        "milliseconds": round((time.perf_counter() - started) * 1000, 2),
    }


def describe_layer(layer, values: np.ndarray) -> dict:
    """One layer's output for one sample: feature maps (H, W, C), bars (units,) or a note."""
    kind_name = type(layer).__name__
    shape = list(values.shape)
    entry = {"name": layer.name, "class": kind_name, "shape": shape}
    if kind_name in _PASS_THROUGH:
        entry["kind"] = "note"
        entry["note"] = _PASS_THROUGH_NOTES.get(kind_name, "passes its input on")
    elif values.size > MAX_VALUES_SHOWN:
        entry["kind"] = "note"
        entry["note"] = f"{values.size:,} values: too many to draw here"
    elif values.ndim in (2, 3):
        maps = values if values.ndim == 3 else values[..., None]  # (H, W, C)
        entry["kind"] = "maps"
        entry["values"] = wire.encode_u8(maps)
    else:
        entry["kind"] = "bars"
        entry["values"] = wire.encode_u8(values.reshape(-1))
    return entry


_PASS_THROUGH_NOTES = {
    "InputLayer": "the input",
    "Flatten": "the maps above laid out as one vector (same numbers)",
    "Reshape": "the values above in another shape (same numbers)",
    "Dropout": "does nothing when predicting (it drops units only during training)",
}
