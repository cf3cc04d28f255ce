"""The shared behaviour of the image augmentation layers (layers/preprocessing.py, elastic.py): a
random change of each training image, nothing at inference; and their argument checks."""

import numpy as np

from neuronio import config
from neuronio.autodiff.tensor import Tensor
from neuronio.layers.image_sampling import FILL_MODES, INTERPOLATIONS, affine_transform
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer


class ImageAugmentation(Layer):
    """Base of the augmentation layers: images (N, H, W, C) or one image (H, W, C), no weights."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': neuronio works in channels_last (N, H, W, C) only; "
                f"received data_format={data_format!r}. Leave it unset, or transpose the images."
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': `seed` must be a non-negative int or None; received seed={seed!r}."
            )
        self.seed = None if seed is None else int(seed)
        self._rng = None if seed is None else np.random.default_rng(self.seed)
        self.input_spec = InputSpec(min_ndim=3, max_ndim=4)

    def call(self, inputs, training=True):
        if not training:
            return self._inference(inputs)
        images = inputs.data if inputs.ndim == 4 else inputs.data[None]
        rng = self._rng if self._rng is not None else config.rng()
        out = self._augment(images, rng)
        return Tensor(out if inputs.ndim == 4 else out[0])

    def _inference(self, inputs):
        return inputs

    def _augment(self, images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "data_format": "channels_last"}


class AffineAugmentation(ImageAugmentation):
    """An augmentation that is one affine map per image, resampled with fill_mode and interpolation."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = choice(self, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = choice(self, "interpolation", interpolation, INTERPOLATIONS)
        self.fill_value = float(fill_value)

    def _augment(self, images, rng):
        n, h, w, _ = images.shape
        return affine_transform(
            images, self._transforms(n, h, w, rng), self.interpolation, self.fill_mode, self.fill_value
        )

    def _transforms(self, n: int, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
        """(N, 6) affine maps in Keras's (a0, a1, a2, b0, b1, b2) order, one random draw per image."""
        raise NotImplementedError

    def get_config(self):
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


def choice(layer, key: str, value, valid: tuple) -> str:
    if value not in valid:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': unknown {key}={value!r}. Valid values: {', '.join(valid)}."
        )
    return value


def unit_range(layer, key: str, factor) -> tuple:
    """Keras's range arguments in [0, 1]: a number f -> (0, f); a pair (low, high) -> sorted."""
    bounds = tuple(factor) if isinstance(factor, (tuple, list)) else (0.0, factor)
    numbers = all(not isinstance(b, bool) and isinstance(b, (int, float, np.number)) for b in bounds)
    if len(bounds) != 2 or not numbers or not all(0.0 <= b <= 1.0 for b in bounds):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': `{key}` must be a number in [0, 1] or a pair of them; "
            f"received {key}={factor!r}."
        )
    return tuple(sorted(float(b) for b in bounds))


def factor_range(layer, key: str, factor, low: float, high: float, low_open: bool = False) -> tuple:
    """A factor f -> (-|f|, |f|); a pair -> sorted; every bound within [low, high] ((low, high] if low_open)."""
    who = f"{type(layer).__name__} '{layer.name}'"
    if isinstance(factor, (tuple, list)):
        bounds = tuple(factor)
        if len(bounds) != 2:
            raise ValueError(f"{who}: `{key}` must be a number or a pair (lower, upper); received {key}={factor!r}.")
    else:
        bounds = (factor,)
    for bound in bounds:
        if isinstance(bound, bool) or not isinstance(bound, (int, float, np.number)):
            raise ValueError(f"{who}: `{key}` must be a number or a pair of numbers; received {key}={factor!r}.")
        if not (low < bound if low_open else low <= bound) or bound > high:
            interval = f"({low}, {high}]" if low_open else f"[{low}, {high}]"
            raise ValueError(
                f"{who}: `{key}` is a fraction of the image (of a full turn for rotations) and must lie in "
                f"{interval}; received {key}={factor!r}."
            )
    if len(bounds) == 1:
        return (-abs(float(factor)), abs(float(factor)))
    lower, upper = sorted(float(b) for b in bounds)
    return (lower, upper)


def jsonable(factor):
    return list(factor) if isinstance(factor, tuple) else factor
