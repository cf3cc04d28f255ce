"""Image augmentation layers: a random geometric change of every training image, nothing at inference.

Keras 3's RandomTranslation, RandomRotation, RandomZoom, RandomFlip and RandomCrop (same arguments,
defaults, factor conventions, fill modes and saved configs), and beyond Keras the ElasticDistortion
of Simard, Steinkraus and Platt (2003). Put them first in a model: `fit` calls them with
training=True and they transform each image of the batch with its own random draw; `predict` and
`evaluate` call them with training=False and they return the input unchanged (RandomCrop, whose
output is smaller, center-crops and resizes instead). Called directly without `training`, they
augment, as Keras's do (`augment(images)` shows what training sees).

Resampling is vectorised over the whole batch: for each output pixel a source position (row, col)
in the input; the batch is padded once by `fill_mode` as far as the positions reach, then each of
the four bilinear neighbours (one for "nearest") is one gather:

    reflect   (d c b a | a b c d | d c b a)    constant  (k k k k | a b c d | k k k k), k = fill_value
    wrap      (a b c d | a b c d | a b c d)    nearest   (a a a a | a b c d | d d d d)

The outputs are new arrays: in training mode these layers pass no gradient back to their input
(they sit at the input, where none is needed); in inference mode they are the identity.
Random draws come from `neuronio.config.rng()` (seeded by `neuronio.utils.set_random_seed`), or
from the layer's own generator when `seed=` is given.
"""

import math

import numpy as np

from neuronio import config
from neuronio.autodiff.tensor import Tensor
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")
FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


# -- resampling: the one place pixels are read at non-integer positions --------------------------------
_PAD_MODES = {"reflect": "symmetric", "wrap": "wrap", "nearest": "edge", "constant": "constant"}


def sample(images, rows, cols, interpolation="bilinear", fill_mode="reflect", fill_value=0.0) -> np.ndarray:
    """out[n, i, j, c] = images at the source position (rows[n, i, j], cols[n, i, j]), every channel.

    Pixel centres sit at integer positions. Bilinear reads the four neighbours of each position;
    nearest reads the one at floor(position + 0.5). Neighbours outside the image read the image
    extended by `fill_mode` (with "constant": `fill_value`), as Keras's NumPy backend does: the
    batch is padded once by what the positions need, then each neighbour is one gather.

    Args:
        images: (N, H, W, C) array.
        rows, cols: (N, OH, OW) source positions.
    Returns:
        (N, OH, OW, C) array of the images' dtype.
    """
    n, h, w, c = images.shape
    rows, cols = _reduce(rows, h, fill_mode), _reduce(cols, w, fill_mode)
    if interpolation == "nearest":
        rows, cols = np.floor(rows + 0.5), np.floor(cols + 0.5)
    r0, q0 = np.floor(rows), np.floor(cols)
    # 1. Pad the batch by what the neighbours reach beyond the image (a few pixels at most, typically).
    top, bottom = max(0, -int(r0.min())), max(0, int(r0.max()) + 2 - h)
    left, right = max(0, -int(q0.min())), max(0, int(q0.max()) + 2 - w)
    pads = ((0, 0), (top, bottom), (left, right), (0, 0))
    extra = {"constant_values": fill_value} if fill_mode == "constant" else {}
    padded = np.pad(images, pads, mode=_PAD_MODES[fill_mode], **extra)  # (N, H + top + bottom, W + left + right, C)
    width = w + left + right
    flat = padded.reshape(-1, c)
    # 2. Each neighbour is one gather from the flat padded batch.
    first_row = (np.arange(n) * (h + top + bottom) + top)[:, None, None]  # (N, 1, 1)
    index = (first_row + r0.astype(np.intp)) * width + (q0.astype(np.intp) + left)  # (N, OH, OW): top-left neighbour
    if interpolation == "nearest":
        return np.take(flat, index, axis=0)
    fr = (rows - r0).astype(images.dtype)[..., None]  # (N, OH, OW, 1): distance below the top neighbours
    fq = (cols - q0).astype(images.dtype)[..., None]  # distance right of the left neighbours
    top_row = np.take(flat, index, axis=0) * (1 - fq) + np.take(flat, index + 1, axis=0) * fq
    bottom_row = np.take(flat, index + width, axis=0) * (1 - fq) + np.take(flat, index + width + 1, axis=0) * fq
    return top_row * (1 - fr) + bottom_row * fr


def _reduce(positions, size: int, fill_mode: str):
    """Positions read the same values as before, but lie within a bounded span (so padding stays small):
    with "constant" or "nearest" everything beyond [-1, size] reads the same as -1 or size; "reflect"
    repeats every 2 * size pixels and "wrap" every size pixels."""
    if fill_mode in ("constant", "nearest"):
        return np.clip(positions, -1.0, float(size))
    period = 2 * size if fill_mode == "reflect" else size
    if positions.min() < -period or positions.max() > 2 * period:
        return np.mod(positions, period)
    return positions


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect", fill_value=0.0):
    """Keras's `ops.image.affine_transform` for affine maps: with transforms[n] = (a0, a1, a2, b0, b1, b2),
    out[n, y, x] = images[n, b0*x + b1*y + b2, a0*x + a1*y + a2]  (x: column, y: row).

    Args:
        images: (N, H, W, C). transforms: (N, 6) (or (N, 8) as Keras writes them, the last two 0).
    """
    n, h, w, _ = images.shape
    t = np.asarray(transforms, dtype=np.float64)[:, :6, None, None]  # (N, 6, 1, 1)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)  # (H, W) each
    cols = t[:, 0] * x + t[:, 1] * y + t[:, 2]  # (N, H, W)
    rows = t[:, 3] * x + t[:, 4] * y + t[:, 5]
    return sample(images, rows, cols, interpolation, fill_mode, fill_value)


def resize(images, height: int, width: int) -> np.ndarray:
    """Bilinear resize with half-pixel centres and no antialiasing, as `keras.ops.image.resize`:
    out[i] reads the input at (i + 0.5) * H / height - 0.5, edges clamped."""
    n, h, w, _ = images.shape
    rows = (np.arange(height) + 0.5) * (h / height) - 0.5
    cols = (np.arange(width) + 0.5) * (w / width) - 0.5
    rows, cols = np.broadcast_to(rows[None, :, None], (n, height, width)), np.broadcast_to(cols, (n, height, width))
    return sample(images, rows, cols, "bilinear", "nearest")


# -- the shared layer behaviour ---------------------------------------------------------------------
class _ImageAugmentation(Layer):
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


class _AffineAugmentation(_ImageAugmentation):
    """An augmentation that is one affine map per image, resampled with fill_mode and interpolation."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.fill_mode = _choice(self, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = _choice(self, "interpolation", interpolation, INTERPOLATIONS)
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


# -- the layers -----------------------------------------------------------------------------------------
@registry.register("RandomTranslation")
class RandomTranslation(_AffineAugmentation):
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
        self.height_factor = _jsonable(height_factor)
        self.width_factor = _jsonable(width_factor)
        self._height_range = _factor_range(self, "height_factor", height_factor, -1.0, 1.0)
        self._width_range = _factor_range(self, "width_factor", width_factor, -1.0, 1.0)

    def _transforms(self, n, h, w, rng):
        dy = rng.uniform(*self._height_range, size=n) * h  # (N,) shifts in pixels
        dx = rng.uniform(*self._width_range, size=n) * w
        ones, zeros = np.ones(n), np.zeros(n)
        return np.stack([ones, zeros, -dx, zeros, ones, -dy], axis=1)  # out[y, x] = in[y - dy, x - dx]

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


@registry.register("RandomRotation")
class RandomRotation(_AffineAugmentation):
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
        self._range = _factor_range(self, "factor", factor, -1.0, 1.0)
        self.factor = self._range  # (lower, upper), as Keras keeps it

    def _transforms(self, n, h, w, rng):
        angle = np.deg2rad(rng.uniform(self._range[0] * 360.0, self._range[1] * 360.0, size=n))  # (N,)
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = (w - 1) / 2, (h - 1) / 2
        return np.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos], axis=1)

    def get_config(self):
        return {**super().get_config(), "factor": list(self._range)}  # Keras saves the (lower, upper) pair


@registry.register("RandomZoom")
class RandomZoom(_AffineAugmentation):
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
        self.height_factor = _jsonable(height_factor)
        self.width_factor = _jsonable(width_factor)
        self._height_range = _factor_range(self, "height_factor", height_factor, -1.0, 1.0, low_open=True)
        self._width_range = None
        if width_factor is not None:
            self._width_range = _factor_range(self, "width_factor", width_factor, -1.0, 1.0, low_open=True)

    def _transforms(self, n, h, w, rng):
        zy = 1.0 + rng.uniform(*self._height_range, size=n)  # (N,)
        zx = zy if self._width_range is None else 1.0 + rng.uniform(*self._width_range, size=n)
        zeros = np.zeros(n)
        return np.stack([zx, zeros, (w - 1) / 2 * (1 - zx), zeros, zy, (h - 1) / 2 * (1 - zy)], axis=1)

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


@registry.register("RandomFlip")
class RandomFlip(_ImageAugmentation):
    """Flips each training image with probability 1/2.

    Args:
        mode: "horizontal" (left-right), "vertical" (top-bottom) or "horizontal_and_vertical".
            As in Keras 3, "horizontal_and_vertical" draws one coin per image and flips both ways
            or neither: a 180-degree turn with probability 1/2.
        seed: as RandomTranslation.
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = _choice(self, "mode", mode, FLIP_MODES)

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
class RandomCrop(_ImageAugmentation):
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
class RandomErasing(_ImageAugmentation):
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
        self.factor = _unit_range(self, "factor", factor)
        self.scale = _unit_range(self, "scale", scale)
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


@registry.register("ElasticDistortion")
class ElasticDistortion(_ImageAugmentation):
    """Simard, Steinkraus & Platt (2003)'s elastic distortion of each training image.

    For each image, two fields of independent uniform noise in [-1, 1] (one per direction) are
    smoothed by a Gaussian of standard deviation `sigma` pixels and scaled by `alpha`; every pixel
    is then read from its displaced position:

        dy = alpha * G_sigma * U(-1, 1),  dx = alpha * G_sigma * U(-1, 1)   (G_sigma *: Gaussian smoothing)
        out[y, x] = in[y + dy[y, x], x + dx[y, x]]                          (bilinear)

    Small sigma gives nearly independent jitter; large sigma a nearly uniform shift; in between,
    the strokes bend like a hand's. Away from the border a displacement's standard deviation is
    alpha / (sqrt(3) * 2 sqrt(pi) * sigma) = 0.163 alpha / sigma pixels (1.4 for the defaults). The paper's MNIST values are sigma = 4 and alpha = 34 (on its
    29x29 images): the defaults here. The smoothing is scipy.ndimage.gaussian_filter's (kernel
    truncated at 4 sigma, the field reflected at the border), applied as one (H, H) and one (W, W)
    matrix product over the whole batch.

    Simard et al. also distorted by affine maps; `rotation` and `zoom` add a random turn and
    scaling about the centre to the same field, so that all of it costs one resampling (each
    bilinear read at random sub-pixel positions blurs by about 0.4 pixel: stacking RandomRotation,
    RandomZoom and this layer would blur three times):

        (row, col) is read at  centre + (1 + z) R(theta) (p - centre) + (dy, dx)
        theta ~ U(-rotation, rotation) * 2 pi (counter-clockwise > 0),  z ~ U(-zoom, zoom)

    Args:
        alpha: scale of the displacements, in pixels (>= 0; 0 leaves the images unchanged).
        sigma: elasticity: the Gaussian's standard deviation in pixels (> 0).
        fill_mode: how positions outside the image read it (default "constant": background 0).
        interpolation: "bilinear" (the paper's) or "nearest".
        fill_value: the value outside the image with fill_mode="constant".
        seed: as RandomTranslation.
        rotation: the largest turn, as a fraction of a full turn (RandomRotation's `factor`).
        zoom: the largest scaling, as a fraction (RandomZoom's: z > 0 reads a larger area, so
            the content shrinks).
    """

    def __init__(
        self,
        alpha=34.0,
        sigma=4.0,
        fill_mode="constant",
        interpolation="bilinear",
        fill_value=0.0,
        seed=None,
        rotation=0.0,
        zoom=0.0,
        **kwargs,
    ):
        super().__init__(seed=seed, **kwargs)
        for key, value, strict in (
            ("alpha", alpha, False),
            ("sigma", sigma, True),
            ("rotation", rotation, False),
            ("zoom", zoom, False),
        ):
            number = not isinstance(value, bool) and isinstance(value, (int, float, np.number))
            if not number or not math.isfinite(value) or value < 0 or (strict and value == 0):
                raise ValueError(
                    f"ElasticDistortion '{self.name}': `{key}` must be a number {'>' if strict else '>='} 0; "
                    f"received {key}={value!r}."
                )
        if rotation > 1 or zoom >= 1:
            raise ValueError(
                f"ElasticDistortion '{self.name}': `rotation` is a fraction of a full turn (<= 1) and `zoom` a "
                f"fraction of the size (< 1); received rotation={rotation!r}, zoom={zoom!r}."
            )
        self.alpha, self.sigma = float(alpha), float(sigma)
        self.rotation, self.zoom = float(rotation), float(zoom)
        self.fill_mode = _choice(self, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = _choice(self, "interpolation", interpolation, INTERPOLATIONS)
        self.fill_value = float(fill_value)
        self._smoothers: dict[int, np.ndarray] = {}

    def displacements(self, n: int, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
        """(2, N, H, W) fields: [0] row displacements dy, [1] column displacements dx, in pixels."""
        noise = rng.uniform(-1.0, 1.0, size=(2, n, h, w))
        return self.alpha * (self._smoother(h) @ noise @ self._smoother(w).T)  # Gaussian along H, then W

    def _smoother(self, size: int) -> np.ndarray:
        """The (size, size) matrix S with S @ v = gaussian_filter1d(v, sigma, mode='reflect', truncate=4)."""
        if size not in self._smoothers:
            radius = int(4.0 * self.sigma + 0.5)
            taps = np.arange(-radius, radius + 1)
            weights = np.exp(-0.5 * (taps / self.sigma) ** 2)
            weights /= weights.sum()
            matrix, rows = np.zeros((size, size)), np.arange(size)
            for tap, weight in zip(taps, weights):  # 2 radius + 1 taps; each hits one column per row
                matrix[rows, _reflect(rows + tap, size)] += weight
            self._smoothers[size] = matrix
        return self._smoothers[size]

    def _augment(self, images, rng):
        n, h, w, _ = images.shape
        dy, dx = self.displacements(n, h, w, rng)  # (N, H, W) each
        y, x = np.mgrid[0:h, 0:w].astype(np.float64)
        if self.rotation or self.zoom:  # the affine part, about the centre, one map per image
            theta = rng.uniform(-self.rotation, self.rotation, size=n)[:, None, None] * 2.0 * np.pi  # (N, 1, 1)
            scale = 1.0 + rng.uniform(-self.zoom, self.zoom, size=n)[:, None, None]
            cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
            ry, rx = y - cy, x - cx  # (H, W) from the centre; rows grow downwards, so +theta turns
            # the content counter-clockwise when the output reads from the clockwise-turned position
            y = cy + scale * (np.cos(theta) * ry + np.sin(theta) * rx)  # (N, H, W)
            x = cx + scale * (-np.sin(theta) * ry + np.cos(theta) * rx)
        return sample(images, y + dy, x + dx, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self):
        config_dict = super().get_config()
        del config_dict["data_format"]  # a neuronio layer: no Keras key to mirror
        return {
            **config_dict,
            "alpha": self.alpha,
            "sigma": self.sigma,
            "rotation": self.rotation,
            "zoom": self.zoom,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }


def _reflect(index: np.ndarray, size: int) -> np.ndarray:
    """Integer positions -> [0, size) by half-sample reflection (d c b a | a b c d | d c b a), period 2 size."""
    index = np.mod(index, 2 * size)
    return np.where(index >= size, 2 * size - 1 - index, index)


# -- argument checks ---------------------------------------------------------------------------------
def _choice(layer, key: str, value, valid: tuple) -> str:
    if value not in valid:
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': unknown {key}={value!r}. Valid values: {', '.join(valid)}."
        )
    return value


def _unit_range(layer, key: str, factor) -> tuple:
    """Keras's range arguments in [0, 1]: a number f -> (0, f); a pair (low, high) -> sorted."""
    bounds = tuple(factor) if isinstance(factor, (tuple, list)) else (0.0, factor)
    numbers = all(not isinstance(b, bool) and isinstance(b, (int, float, np.number)) for b in bounds)
    if len(bounds) != 2 or not numbers or not all(0.0 <= b <= 1.0 for b in bounds):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}': `{key}` must be a number in [0, 1] or a pair of them; "
            f"received {key}={factor!r}."
        )
    return tuple(sorted(float(b) for b in bounds))


def _factor_range(layer, key: str, factor, low: float, high: float, low_open: bool = False) -> tuple:
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


def _jsonable(factor):
    return list(factor) if isinstance(factor, tuple) else factor
