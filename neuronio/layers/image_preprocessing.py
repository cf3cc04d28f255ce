"""Preprocessing layers that belong to the model: Rescaling, Normalization (with `adapt`), Resizing
and CenterCrop. They act the same in training and inference, and, unlike the random augmentation
layers, pass gradients through (resizing and cropping are linear maps of the image)."""

import numpy as np

from neuronio import config
from neuronio.autodiff.tensor import Tensor
from neuronio.layers.arguments import check_channels_last
from neuronio.layers.layer import Layer, registry
from neuronio.ops import add, divide, getitem, multiply, pad, subtract
from neuronio.ops.resize import INTERPOLATIONS, resize


@registry.register("Rescaling")
class Rescaling(Layer):
    """y = x * scale + offset, e.g. Rescaling(1/255) for pixels in [0, 1], or (1/127.5, -1) for [-1, 1]."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def call(self, inputs):
        return add(multiply(inputs, np.asarray(self.scale, self.dtype)), np.asarray(self.offset, self.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "scale": _jsonable(self.scale), "offset": _jsonable(self.offset)}


@registry.register("Normalization")
class Normalization(Layer):
    """y = (x - mean) / max(sqrt(variance), epsilon), per position of the kept `axis`.

    Give `mean` and `variance`, or call `adapt(data)` once before training to compute them from
    data. With invert=True the layer undoes that: y = mean + x * max(sqrt(variance), epsilon).

    Args:
        axis: the axis (or axes) that keep their own statistics (default -1: one mean per
            feature/channel); None for one mean and variance over everything.
        mean, variance: numbers or arrays broadcastable to the kept axes.
        invert: apply the inverse map.

    Weights (when adapted, not given): mean, variance and count (unused, kept for Keras's
    files), none of them trainable.
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        axes = (axis,) if isinstance(axis, int) else tuple(axis) if isinstance(axis, (list, tuple)) else None
        if axes is None or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise ValueError(
                f"Normalization '{self.name}': `axis` must be an int, a tuple of ints or None; received axis={axis!r}."
            )
        if (mean is None) != (variance is None):
            raise ValueError(
                f"Normalization '{self.name}': give both `mean` and `variance`, or neither (then call adapt()); "
                f"received mean={mean!r} and variance={variance!r}."
            )
        self.axis, self.invert = axes, bool(invert)
        self.input_mean, self.input_variance = mean, variance

    def build(self, input_shape):
        rank = len(input_shape)
        if any(not -rank <= a < rank for a in self.axis):
            raise ValueError(
                f"Normalization '{self.name}': axis={list(self.axis)} is out of range for inputs of rank {rank}."
            )
        self._keep = tuple(sorted(a % rank for a in self.axis))
        self._reduce = tuple(a for a in range(rank) if a not in self._keep)
        self._broadcast = tuple(input_shape[a] if a in self._keep else 1 for a in range(rank))
        if self.input_mean is None:
            shape = tuple(input_shape[a] for a in self._keep)
            self.adapt_mean = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="mean")
            self.adapt_variance = self.add_weight(shape=shape, initializer="ones", trainable=False, name="variance")
            self.count = self.add_weight(shape=(), initializer="zeros", dtype="int32", trainable=False, name="count")
            return
        self._given = [self._fit(value) for value in (self.input_mean, self.input_variance)]

    def _fit(self, value) -> np.ndarray:
        """A given mean or variance aligned with the kept axes (right to left) and broadcast."""
        value = np.asarray(value, dtype=self.dtype)
        shape = [1] * len(self._broadcast)
        for i in range(1, value.ndim + 1):
            shape[self._keep[-i]] = value.shape[-i]
        try:
            return np.broadcast_to(value.reshape(shape), self._broadcast)
        except ValueError:
            raise ValueError(
                f"Normalization '{self.name}': mean/variance of shape {value.shape} do not fit the kept axes "
                f"{list(self.axis)} of inputs, of sizes {[self._broadcast[a] for a in self._keep]}."
            ) from None

    def adapt(self, data) -> None:
        """Set mean and variance to those of `data` (an array, or an iterable of batches), per kept position."""
        batches = [data] if isinstance(data, (np.ndarray, Tensor, list)) else data
        count, mean, m2 = 0, None, None
        for batch in batches:
            batch = np.asarray(batch.data if isinstance(batch, Tensor) else batch, dtype=np.float64)
            if not self.built:
                self._maybe_build(batch.shape)
            if self.input_mean is not None:
                raise ValueError(f"Normalization '{self.name}' was given mean and variance; it cannot adapt().")
            n = int(np.prod([batch.shape[a] for a in self._reduce]))
            batch_mean = batch.mean(axis=self._reduce, keepdims=True)
            batch_m2 = np.square(batch - batch_mean).sum(axis=self._reduce, keepdims=True)
            if mean is None:
                count, mean, m2 = n, batch_mean, batch_m2
                continue
            delta = batch_mean - mean  # Chan et al.'s merge of two (count, mean, M2) summaries
            total = count + n
            mean = mean + delta * (n / total)
            m2 = m2 + batch_m2 + np.square(delta) * (count * n / total)
            count = total
        if mean is None:
            raise ValueError(f"Normalization '{self.name}': adapt() received no data.")
        shape = self.adapt_mean.shape
        self.adapt_mean.assign(mean.reshape(shape).astype(self.dtype))
        self.adapt_variance.assign((m2 / count).reshape(shape).astype(self.dtype))

    def _statistics(self):
        if self.input_mean is None:
            return self.adapt_mean.data.reshape(self._broadcast), self.adapt_variance.data.reshape(self._broadcast)
        return self._given

    @property
    def mean(self):
        """The mean in use, shaped to broadcast against the inputs (keeps 1 on reduced axes), as Keras's
        `layer.mean`; None until the layer is built."""
        return Tensor(np.array(self._statistics()[0], dtype=self.dtype)) if hasattr(self, "_broadcast") else None

    @property
    def variance(self):
        """The variance in use, shaped like `mean`; None until the layer is built."""
        return Tensor(np.array(self._statistics()[1], dtype=self.dtype)) if hasattr(self, "_broadcast") else None

    def call(self, inputs):
        mean, variance = self._statistics()
        spread = np.maximum(np.sqrt(variance), config.epsilon()).astype(self.dtype)
        if self.invert:
            return add(multiply(inputs, spread), mean)
        return divide(subtract(inputs, mean), spread)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "axis": list(self.axis) if self.axis else None,
            "invert": self.invert,
            "mean": _jsonable(self.input_mean),
            "variance": _jsonable(self.input_variance),
        }


def pad_to_aspect_ratio(images, height: int, width: int, fill_value: float):
    """images (N, H, W, C) padded with fill_value, the same amount on both sides, towards the
    aspect ratio height : width (Keras's arithmetic)."""
    _, h, w, _ = images.shape
    top = int((max(h, int(w * height / width)) - h) / 2)
    left = int((max(w, int(h * width / height)) - w) / 2)
    return pad(images, ((0, 0), (top, top), (left, left), (0, 0)), constant_values=fill_value)


def crop_to_aspect_ratio(images, height: int, width: int):
    """The largest centred window of images (N, H, W, C) with the aspect ratio height : width
    (Keras's arithmetic: int() of the products, the offset int((H - crop) / 2))."""
    _, h, w, _ = images.shape
    crop_h = max(min(h, int(w * height / width)), 1)
    crop_w = max(min(w, int(h * width / height)), 1)
    top, left = int((h - crop_h) / 2), int((w - crop_w) / 2)
    return getitem(images, (slice(None), slice(top, top + crop_h), slice(left, left + crop_w)))


class _ImageSizeLayer(Layer):
    """Output images of a fixed (height, width); a single image (H, W, C) gets a batch axis meanwhile."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        owner = f"{type(self).__name__} '{self.name}'"
        check_channels_last(owner, data_format)
        for key, value in (("height", height), ("width", width)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{owner}: `{key}` must be a positive int; received {key}={value!r}.")
        self.height, self.width = int(height), int(width)

    def call(self, inputs):
        if inputs.ndim == 3:
            return getitem(self._images(getitem(inputs, (None,))), 0)
        if inputs.ndim != 4:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects images (batch, height, width, channels) or one "
                f"image (height, width, channels); received shape {inputs.shape}."
            )
        return self._images(inputs)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:-3], self.height, self.width, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last", "height": self.height, "width": self.width}


@registry.register("Resizing")
class Resizing(_ImageSizeLayer):
    """Resizes images to (height, width): "bilinear" (default) or "nearest", without antialiasing.

    With crop_to_aspect_ratio=True the largest centred window of the target's aspect ratio is
    resized, so nothing is stretched; with pad_to_aspect_ratio=True the image is instead padded
    with fill_value to that aspect ratio first.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 fill_mode="constant", fill_value=0.0, antialias=False, data_format=None, **kwargs):  # fmt: skip
        super().__init__(height, width, data_format=data_format, **kwargs)
        owner = f"Resizing '{self.name}'"
        if interpolation not in INTERPOLATIONS:
            raise ValueError(
                f"{owner}: neuronio implements interpolation {' and '.join(INTERPOLATIONS)}; received "
                f"interpolation={interpolation!r}."
            )
        if antialias:
            raise ValueError(f"{owner}: antialias=True is not implemented in neuronio; use antialias=False.")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(f"{owner}: crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be True.")
        if fill_mode != "constant":
            raise ValueError(f"{owner}: fill_mode must be 'constant' (the only one Keras's Resizing uses); "
                             f"received fill_mode={fill_mode!r}.")  # fmt: skip
        self.interpolation, self.crop_to_aspect_ratio = interpolation, bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)

    def _images(self, images):
        if self.crop_to_aspect_ratio:
            images = crop_to_aspect_ratio(images, self.height, self.width)
        elif self.pad_to_aspect_ratio:
            images = pad_to_aspect_ratio(images, self.height, self.width, self.fill_value)
        if images.shape[1:3] == (self.height, self.width):
            return images
        return resize(images, (self.height, self.width), self.interpolation)

    def get_config(self):
        return {
            **super().get_config(),
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": False,
        }


@registry.register("CenterCrop")
class CenterCrop(_ImageSizeLayer):
    """Crops the central (height, width) window of each image (the odd extra row goes to the bottom).

    An image smaller than the target in either direction is instead cropped to the target's
    aspect ratio and resized (bilinear) to (height, width), as Keras does.
    """

    def _images(self, images):
        _, h, w, _ = images.shape
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            window = (slice(None), slice(top, top + self.height), slice(left, left + self.width))
            return getitem(images, window)
        cropped = crop_to_aspect_ratio(images, self.height, self.width)
        return resize(cropped, (self.height, self.width), "bilinear")


def _jsonable(value):
    return np.asarray(value).tolist() if value is not None else None
