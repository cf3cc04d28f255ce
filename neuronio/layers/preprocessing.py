"""Image augmentation layers: a random geometric change of every training image, nothing at inference.

Keras 3's RandomTranslation, RandomRotation, RandomZoom, RandomFlip and RandomCrop (same arguments,
defaults, factor conventions, fill modes and saved configs), and beyond Keras the ElasticDistortion
of Simard, Steinkraus and Platt (2003). Put them first in a model: `fit` calls them with
training=True and they transform each image of the batch with its own random draw; `predict` and
`evaluate` call them with training=False and they return the input unchanged (RandomCrop, whose
output is smaller, center-crops and resizes instead). Called directly without `training`, they
augment, as Keras's do (`augment(images)` shows what training sees).

Resampling, with Keras's fill modes, is layers/image_sampling.py's; the shared layer behaviour and
argument checks are layers/augmentation.py's; ElasticDistortion is in layers/elastic.py (all
importable from here too, as before).

The outputs are new arrays: in training mode these layers pass no gradient back to their input
(they sit at the input, where none is needed); in inference mode they are the identity.
Random draws come from `neuronio.config.rng()` (seeded by `neuronio.utils.set_random_seed`), or
from the layer's own generator when `seed=` is given.
"""

import numpy as np

from neuronio.autodiff.tensor import Tensor
from neuronio.layers.augmentation import (
    AffineAugmentation,
    ImageAugmentation,
    choice,
    factor_range,
    jsonable,
    unit_range,
)
from neuronio.layers.elastic import ElasticDistortion  # noqa: F401 (its home before the split)
from neuronio.layers.image_sampling import FILL_MODES, INTERPOLATIONS, affine_transform, resize, sample  # noqa: F401
from neuronio.layers.layer import registry

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


@registry.register("RandomTranslation")
class RandomTranslation(AffineAugmentation):
    """Shifts each training image by a random fraction of its height and width.

    Args:
        height_factor: a float f in [0, 1] (shift by a uniform fraction in [-f, f] of the height;
            positive moves the image down), or a pair (lower, upper) in [-1, 1].
        width_factor: the same for the width (positive moves the image right).
        fill_mode: "reflect", "wrap", "constant" or "nearest" (see the module docstring).
        interpolation: "bilinear" or "nearest".
        seed: seed of the layer's own generator; None draws from `neuronio.config.rng()`.
        fill_value: the value outside the image with fill_mode="constant".

    Input shape: (N, H, W, C) or (H, W, C). Output shape: the same.

    >>> RandomTranslation(0.1, 0.1)(np.zeros((2, 28, 28, 1), "float32")).shape
    (2, 28, 28, 1)
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        **kwargs,
    ):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self.height_factor = jsonable(height_factor)
        self.width_factor = jsonable(width_factor)
        self._height_range = factor_range(self, "height_factor", height_factor, -1.0, 1.0)
        self._width_range = factor_range(self, "width_factor", width_factor, -1.0, 1.0)

    def _transforms(self, n, h, w, rng):
        dy = rng.uniform(*self._height_range, size=n) * h  # (N,) shifts in pixels
        dx = rng.uniform(*self._width_range, size=n) * w
        ones, zeros = np.ones(n), np.zeros(n)
        return np.stack([ones, zeros, -dx, zeros, ones, -dy], axis=1)  # out[y, x] = in[y - dy, x - dx]

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


@registry.register("RandomRotation")
class RandomRotation(AffineAugmentation):
    """Rotates each training image about its centre by a random angle.

    Args:
        factor: a float f in [0, 1]: the angle is uniform in [-f, f] * 2 pi (f = 0.05 is +-18 degrees);
            or a pair (lower, upper) in [-1, 1]. Positive angles turn the image counter-clockwise.
        fill_mode, interpolation, seed, fill_value: as RandomTranslation.

    out[y, x] = in[cy + sin(t)(x - cx) + cos(t)(y - cy), cx + cos(t)(x - cx) - sin(t)(y - cy)],
    (cy, cx) = ((H - 1) / 2, (W - 1) / 2), as Keras 3 computes it.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self._range = factor_range(self, "factor", factor, -1.0, 1.0)
        self.factor = self._range  # (lower, upper), as Keras keeps it

    def _transforms(self, n, h, w, rng):
        angle = np.deg2rad(rng.uniform(self._range[0] * 360.0, self._range[1] * 360.0, size=n))  # (N,)
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = (w - 1) / 2, (h - 1) / 2
        return np.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos], axis=1)

    def get_config(self):
        return {**super().get_config(), "factor": list(self._range)}  # Keras saves the (lower, upper) pair


@registry.register("RandomZoom")
class RandomZoom(AffineAugmentation):
    """Zooms each training image in or out about its centre by a random factor.

    Args:
        height_factor: a float f in [0, 1): the vertical scale of the sampled region is uniform in
            [1 - f, 1 + f] (above 1 zooms out, below 1 zooms in); or a pair (lower, upper) in (-1, 1].
        width_factor: the same horizontally; None keeps the aspect ratio (one draw for both).
        fill_mode, interpolation, seed, fill_value: as RandomTranslation.

    out[y, x] = in[cy + zy (y - cy), cx + zx (x - cx)] with z = 1 + the random factor.
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        **kwargs,
    ):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed, fill_value=fill_value, **kwargs)
        self.height_factor = jsonable(height_factor)
        self.width_factor = jsonable(width_factor)
        self._height_range = factor_range(self, "height_factor", height_factor, -1.0, 1.0, low_open=True)
        self._width_range = None
        if width_factor is not None:
            self._width_range = factor_range(self, "width_factor", width_factor, -1.0, 1.0, low_open=True)

    def _transforms(self, n, h, w, rng):
        zy = 1.0 + rng.uniform(*self._height_range, size=n)  # (N,)
        zx = zy if self._width_range is None else 1.0 + rng.uniform(*self._width_range, size=n)
        zeros = np.zeros(n)
        return np.stack([zx, zeros, (w - 1) / 2 * (1 - zx), zeros, zy, (h - 1) / 2 * (1 - zy)], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


@registry.register("RandomFlip")
class RandomFlip(ImageAugmentation):
    """Flips each training image with probability 1/2.

    Args:
        mode: "horizontal" (left-right), "vertical" (top-bottom) or "horizontal_and_vertical".
            As in Keras 3, "horizontal_and_vertical" draws one coin per image and flips both ways
            or neither: a 180-degree turn with probability 1/2.
        seed: as RandomTranslation.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = choice(self, "mode", mode, FLIP_MODES)

    def _augment(self, images, rng):
        flips = (rng.uniform(size=len(images)) <= 0.5)[:, None, None, None]  # (N, 1, 1, 1), Keras's coin
        out = images
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            out = np.where(flips, out[:, :, ::-1], out)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            out = np.where(flips, out[:, ::-1], out)
        return out

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@registry.register("RandomCrop")
class RandomCrop(ImageAugmentation):
    """Crops a random (height, width) window while training; the same window for the whole batch, as Keras.

    At inference, and in training when the input is not larger than the window in both directions,
    it takes the largest centred window with the target's aspect ratio and resizes it (bilinear) to
    (height, width), as Keras's documentation describes. (Keras 3.15's code returns the input
    unchanged at inference, which breaks every layer after it; neuronio does what the docs say.)

    Args:
        height, width: the output size.
        seed: as RandomTranslation.

    Input shape: (N, H, W, C) or (H, W, C). Output shape: (N, height, width, C).
    """

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        for key, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"RandomCrop '{self.name}': `{key}` must be a positive int; received {key}={value!r}.")
        self.height, self.width = int(height), int(width)

    def _augment(self, images, rng):
        _, h, w, _ = images.shape
        if h > self.height and w > self.width:
            top = int(rng.uniform(0, h - self.height + 1))  # Keras: a float draw cast to int
            left = int(rng.uniform(0, w - self.width + 1))
            return images[:, top : top + self.height, left : left + self.width].copy()
        return self._center_crop_and_resize(images)

    def _inference(self, inputs):
        images = inputs.data if inputs.ndim == 4 else inputs.data[None]
        if images.shape[1:3] == (self.height, self.width):
            return inputs
        out = self._center_crop_and_resize(images)
        return Tensor(out if inputs.ndim == 4 else out[0])

    def _center_crop_and_resize(self, images):
        _, h, w, _ = images.shape
        crop_h = max(min(h, int(w * self.height / self.width)), 1)  # Keras's arithmetic, exactly
        crop_w = max(min(w, int(h * self.width / self.height)), 1)
        top, left = int((h - crop_h) / 2), int((w - crop_w) / 2)
        crop = images[:, top : top + crop_h, left : left + crop_w]
        if crop.shape[1:3] == (self.height, self.width):
            return crop.copy()
        return resize(crop, self.height, self.width)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-3], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


@registry.register("RandomErasing")
class RandomErasing(ImageAugmentation):
    """Erases a random rectangle of some training images (Zhong et al. 2017, "Random Erasing Data
    Augmentation"), with Keras 3's arguments and draws.

    Each image is erased with its own probability, drawn uniformly from `factor`: a number f
    means (0, f), so the default 1.0 erases half the images on average, as Keras's layer does;
    (1.0, 1.0) erases every one. The rectangle spans sqrt(u) of the width and sqrt(v) of the
    height, u and v drawn from `scale`, at a uniform position, and is filled with `fill_value`,
    or with None, with Gaussian noise N(0, 1) times value_range's upper end, clipped to it.

    Args:
        factor: the probability of erasing an image: a number in [0, 1] or a (low, high) pair.
        scale: (low, high) in [0, 1]: the range u and v are drawn from.
        fill_value: a number, one per channel (a list), or None for noise.
        value_range: (low, high) of the images' values: (0, 255), or (0, 1) for scaled images.
        seed: as RandomTranslation.
    """

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = unit_range(self, "factor", factor)
        self.scale = unit_range(self, "scale", scale)
        if fill_value is not None and not all(
            not isinstance(v, bool) and isinstance(v, (int, float, np.number))
            for v in (fill_value if isinstance(fill_value, (list, tuple)) else [fill_value])
        ):
            raise ValueError(
                f"RandomErasing '{self.name}': `fill_value` must be a number, a list of numbers (one per "
                f"channel) or None (noise); received fill_value={fill_value!r}."
            )
        if not isinstance(value_range, (list, tuple)) or len(value_range) != 2 or value_range[0] >= value_range[1]:
            raise ValueError(
                f"RandomErasing '{self.name}': `value_range` must be a pair (low, high) with low < high; "
                f"received value_range={value_range!r}."
            )
        self.fill_value = list(fill_value) if isinstance(fill_value, tuple) else fill_value
        self.value_range = tuple(value_range)

    def _augment(self, images, rng):
        n, h, w, c = images.shape
        sides = np.sqrt(rng.uniform(*self.scale, size=(n, 2)))  # (N, 2): fractions of the width, height
        x0 = rng.uniform(size=n) * w * (1.0 - sides[:, 0])  # Keras: start uniform in [0, size - length)
        y0 = rng.uniform(size=n) * h * (1.0 - sides[:, 1])
        x1, y1 = x0 + sides[:, 0] * w, y0 + sides[:, 1] * h
        erase = rng.uniform(size=n) < rng.uniform(*self.factor, size=n)  # (N,) a probability per image
        rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
        inside = (cols >= x0[:, None, None]) & (cols < x1[:, None, None])  # (N, 1, W) then (N, H, W)
        inside = inside & (rows >= y0[:, None, None]) & (rows < y1[:, None, None]) & erase[:, None, None]
        if self.fill_value is None:
            fill = rng.standard_normal(images.shape) * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, dtype=np.float64), images.shape)
        fill = np.clip(fill, *self.value_range).astype(images.dtype)
        return np.where(inside[..., None], fill, images)

    def get_config(self):
        return {
            **super().get_config(),
            "factor": list(self.factor),
            "scale": list(self.scale),
            "fill_value": self.fill_value,
            "value_range": list(self.value_range),
        }
