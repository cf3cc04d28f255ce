"""What crosses the wire: request checks that produce clear messages, and compact array encodings.

Every check raises `LabInputError`, which the server turns into `{"error": message}` with the
error's HTTP status; the page shows the message next to the control that caused it. Arrays go to
the page as base64 bytes (uint8 after scaling to [min, max]): the course CNN's activation set is ~30,000
numbers, about 40 KB this way against ~300 KB of JSON floats, and decoding it is one call in JS.
"""

import base64
import math

import numpy as np

from neuronio.errors import NeuronioError


class LabInputError(NeuronioError, ValueError):
    """A request the lab refuses, with the message the page shows and an HTTP status."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def choice(body: dict, key: str, options, default=None):
    """body[key], which must be one of `options` (strings); `default` when absent."""
    value = body.get(key, default)
    if value is None:
        raise LabInputError(f"Missing `{key}`; choose one of {', '.join(map(str, options))}.")
    if not isinstance(value, str) or value not in options:
        raise LabInputError(f"Unknown {key} {value!r}; choose one of {', '.join(map(str, options))}.")
    return value


def integer(body: dict, key: str, low: int, high: int, default=None) -> int:
    """body[key] as an int in [low, high]; `default` when absent."""
    value = body.get(key, default)
    whole = isinstance(value, int) or isinstance(value, float) and math.isfinite(value) and value.is_integer()
    if isinstance(value, bool) or not whole:  # NaN, Infinity and 1e400 (inf) are floats JSON lets through
        raise LabInputError(f"`{key}` must be a whole number from {low:,} to {high:,}; received {value!r}.")
    if not low <= value <= high:
        raise LabInputError(f"`{key}` must be from {low:,} to {high:,}; received {int(value):,}.")
    return int(value)


def number(body: dict, key: str, low: float, high: float, default=None) -> float:
    """body[key] as a finite float in [low, high]; `default` when absent."""
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise LabInputError(f"`{key}` must be a number from {low:g} to {high:g}; received {value!r}.")
    if not low <= value <= high:
        raise LabInputError(f"`{key}` must be from {low:g} to {high:g}; received {value:g}.")
    return float(value)


def encode_u8(values: np.ndarray, low: float | None = None, high: float | None = None) -> dict:
    """An array as {"shape", "min", "max", "data"}: data is base64 of uint8 round(255 (v - min) / (max - min)).

    `low`/`high` default to the array's own range; a constant array encodes as zeros.
    """
    values = np.asarray(values, dtype=np.float32)
    low = float(values.min()) if low is None else float(low)
    high = float(values.max()) if high is None else float(high)
    span = high - low
    scaled = np.zeros(values.shape, np.uint8)
    if span > 0:
        scaled = np.clip(np.rint((values - low) * (255.0 / span)), 0, 255).astype(np.uint8)
    return {
        "shape": list(values.shape),
        "min": low,
        "max": high,
        "data": base64.b64encode(scaled.tobytes()).decode("ascii"),
    }


def encode_images(images: np.ndarray) -> dict:
    """Dataset images (N, H, W), (N, H, W, C) or flat (N, H*W) with H = W, uint8 or floats in [0, 1],
    as one encode_u8 block of shape (N, H, W) or (N, H, W, 3)."""
    images = np.asarray(images)
    if images.ndim == 2:
        side = math.isqrt(images.shape[1])
        images = images.reshape(len(images), side, side)  # an MLP's (N, 784) -> (N, 28, 28)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]  # (N, H, W, 1) -> (N, H, W)
    if images.dtype == np.uint8:
        return encode_u8(images, 0, 255)
    return encode_u8(images, 0.0, 1.0)
