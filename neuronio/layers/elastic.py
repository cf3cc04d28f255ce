"""ElasticDistortion: Simard, Steinkraus and Platt (2003)'s elastic distortion of each training
image, beyond Keras (its saved config names neuronio's layer)."""

import math

import numpy as np

from neuronio.layers.augmentation import ImageAugmentation, choice
from neuronio.layers.image_sampling import FILL_MODES, INTERPOLATIONS, reflect_index, sample
from neuronio.layers.layer import registry


@registry.register("ElasticDistortion")
class ElasticDistortion(ImageAugmentation):
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
        self.fill_mode = choice(self, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = choice(self, "interpolation", interpolation, INTERPOLATIONS)
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
                matrix[rows, reflect_index(rows + tap, size)] += weight
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
