"""Images as PIL images and as arrays: `load_img`, `save_img`, `img_to_array`, `array_to_img`,
with `keras.utils`'s arguments and defaults. Pillow is imported only when one of them runs
(`pip install 'neuronio[image]'`)."""

import io
import pathlib
import warnings

import numpy as np

from neuronio import config

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_CHANNEL_MODES = {4: "RGBA", 3: "RGB"}


def pil_image(who: str):
    """PIL.Image, or an ImportError saying which extra installs it."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            f"{who} needs Pillow to read and write images; install it with `pip install 'neuronio[image]'` "
            "(or `pip install pillow`)."
        ) from exc
    return Image


def _data_format(data_format, who: str) -> str:
    data_format = config.image_data_format() if data_format is None else str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"{who}: data_format must be 'channels_last' or 'channels_first' (or None for the global setting); "
            f"received {data_format!r}."
        )
    return data_format


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array (height, width, channels) as a PIL image: 4 channels RGBA, 3 RGB, 1 grayscale
    ('L', or 32-bit 'I' when values exceed 255). With `scale`, values are first mapped linearly so
    that the minimum becomes 0 and the maximum 255."""
    who = "array_to_img"
    Image = pil_image(who)
    data_format = _data_format(data_format, who)
    x = np.array(x, dtype=config.floatx() if dtype is None else dtype)  # a copy: scaled in place below
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        peak = x.max()
        if peak != 0:
            x = x / peak
        x = x * 255
    channels = x.shape[2]
    if channels in _CHANNEL_MODES:
        return Image.fromarray(x.astype("uint8"), _CHANNEL_MODES[channels])
    if channels == 1:
        if x.max() > 255:
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"Unsupported channel number: {channels}. {who} takes 1 (grayscale), 3 (RGB) or 4 (RGBA).")


def img_to_array(img, data_format=None, dtype=None) -> np.ndarray:
    """A PIL image (or anything NumPy reads as a 2-D or 3-D array) as a 3-D array of `dtype`
    (floatx by default); a grayscale image gets a channel axis of 1."""
    data_format = _data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=config.floatx() if dtype is None else dtype)
    if x.ndim == 2:
        x = x[None] if data_format == "channels_first" else x[..., None]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"Unsupported image shape: {x.shape}. img_to_array takes a 2-D or 3-D image.")
    return x


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs) -> None:
    """Write the array `x` as an image file; the format comes from `file_format` or the path's
    extension ('jpg' means JPEG; an RGBA image written as JPEG loses its alpha, with a warning).
    Further keyword arguments go to PIL's `Image.save`."""
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format is not None and file_format.lower() == "jpg":
        file_format = "jpeg"
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format is not None and file_format.lower() == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Read an image file (a path or an `io.BytesIO`) as a PIL image.

    Args:
        color_mode: "grayscale", "rgb" or "rgba" (16- and 32-bit grayscale stay as they are).
        target_size: None, or `(height, width)` to resize to.
        interpolation: the resampling filter: one of INTERPOLATIONS.
        keep_aspect_ratio: resize the largest centred crop of the target's aspect ratio instead
            of stretching the whole image.
    """
    who = "load_img"
    Image = pil_image(who)
    if color_mode not in COLOR_MODES:
        raise ValueError(f'color_mode must be "grayscale", "rgb", or "rgba"; received {color_mode!r}.')
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, bytes, pathlib.Path)):
        with open(path, "rb") as file:  # read at once: the file is closed before we return
            img = Image.open(io.BytesIO(file.read()))
    else:
        raise TypeError(f"path should be path-like or io.BytesIO, not {type(path)}")
    keep = ("L", "I;16", "I") if color_mode == "grayscale" else (COLOR_MODES[color_mode],)
    if img.mode not in keep:
        img = img.convert(COLOR_MODES[color_mode])
    if target_size is None:
        return img
    height, width = (int(v) for v in target_size)
    if img.size == (width, height):
        return img
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"Invalid interpolation method {interpolation} specified. Supported methods are "
            f"{', '.join(INTERPOLATIONS)}"
        )
    resample = getattr(Image.Resampling, interpolation.upper())
    box = center_crop_box(img.size, (width, height)) if keep_aspect_ratio else None
    return img.resize((width, height), resample, box=box)


def center_crop_box(size, target) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the largest centred crop of an image of `size` = (width,
    height) whose aspect ratio is that of `target` = (width, height), in whole pixels.

    >>> center_crop_box((100, 50), (10, 10))
    (25, 0, 75, 50)
    """
    width, height = size
    target_width, target_height = target
    crop_w = min(width, height * target_width // target_height)
    crop_h = min(height, width * target_height // target_width)
    left, top = (width - crop_w) // 2, (height - crop_h) // 2
    return left, top, left + crop_w, top + crop_h
