"""Loading a picture for the reader: any file Pillow opens, an image or an array, as grey levels.

Memory stays bounded: an image over MAX_PIXELS is refused before it is decoded (a JPEG is first
decoded at a reduced size, which Pillow's JPEG decoder does for free), and an image over
WORK_PIXELS is reduced by box averaging before any processing.
"""

import os
import pathlib

import numpy as np

from neuronio.apps.segment import ReadError
from neuronio.errors import FileFormatError

MAX_PIXELS = 50_000_000  # the largest image decoded: about 200 MB as RGBA
WORK_PIXELS = 4_000_000  # larger images are reduced to about this many pixels first


def load_image(image) -> tuple:
    """The image as grey levels: (grey (H, W) float32 in [0, 1], scale from original to grey).

    `image` is a path, a PIL image, or an array ((H, W) grey or (H, W, 3|4) colour; integers in
    0..255 or floats in [0, 1]). Transparent pixels are laid on paper of the colour opposite the
    strokes (so black strokes on a transparent canvas read as black on white). Images over
    WORK_PIXELS are reduced by box averaging; images over MAX_PIXELS are refused before decoding
    (JPEGs are decoded directly at a reduced size, so they may be larger).
    """
    from PIL import Image, ImageOps

    if isinstance(image, np.ndarray):
        grey = _array_to_grey(image)
        factor = int(np.ceil((grey.size / WORK_PIXELS) ** 0.5))
        if factor > 1:  # box average over factor x factor blocks, the edges trimmed
            h, w = grey.shape[0] // factor, grey.shape[1] // factor
            grey = grey[: h * factor, : w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3))
        return grey, 1.0 / factor
    if isinstance(image, Image.Image):
        picture = image
    else:
        path = pathlib.Path(os.fspath(image))
        if not path.is_file():
            raise ReadError(f"Cannot read {str(path)!r}: no such file.")
        if path.stat().st_size == 0:
            raise FileFormatError(f"Cannot read {str(path)!r}: the file is empty (0 bytes).")
        try:
            picture = Image.open(path)
        except Image.DecompressionBombError:  # Pillow refuses past twice its own limit, in open()
            raise ReadError(
                f"The image {str(path)!r} is too large to read: Pillow refuses to open an image of over "
                f"{2 * Image.MAX_IMAGE_PIXELS:,} pixels. Crop it around the digits or shrink it first."
            ) from None
        except (Image.UnidentifiedImageError, OSError, ValueError) as exc:
            raise FileFormatError(
                f"Cannot read {str(path)!r} as an image ({exc.__class__.__name__}). "
                "Give a PNG, JPEG or other picture file that Pillow can open."
            ) from None
    width, height = picture.size
    if width == 0 or height == 0:
        raise ReadError(f"The image is empty ({width}x{height} pixels).")
    scale = 1.0
    if width * height > WORK_PIXELS and picture.format == "JPEG":
        factor = (width * height / WORK_PIXELS) ** 0.5
        picture.draft(picture.mode, (int(width / factor), int(height / factor)))  # decoded smaller
        scale = picture.size[0] / width
    if picture.size[0] * picture.size[1] > MAX_PIXELS:
        raise ReadError(
            f"The image is too large to read: {width}x{height} pixels "
            f"({width * height / 1e6:.0f} megapixels; the limit is {MAX_PIXELS / 1e6:.0f}). "
            "Crop it around the digits or shrink it first."
        )
    try:
        picture = ImageOps.exif_transpose(picture)  # phone photos are stored sideways
        picture.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise FileFormatError(f"Cannot decode the image ({exc}). Is the file truncated or damaged?") from None
    if picture.mode in ("I", "F") or picture.mode.startswith("I;16"):  # 16/32-bit grey: stretched to 0..255
        levels = np.asarray(picture, dtype=np.float32)
        low, high = float(levels.min()), float(levels.max())
        picture = Image.fromarray(np.round(255 * (levels - low) / max(high - low, 1e-9)).astype(np.uint8))
    elif picture.mode not in ("L", "RGB", "RGBA", "LA"):  # 1-bit, palette, CMYK, ...
        picture = picture.convert("RGBA" if "A" in picture.getbands() or "transparency" in picture.info else "RGB")
    pixels = picture.size[0] * picture.size[1]
    if pixels > WORK_PIXELS:
        factor = int(np.ceil((pixels / WORK_PIXELS) ** 0.5))
        picture = picture.reduce(factor)  # box average over factor x factor blocks
        scale /= factor
    return _array_to_grey(np.asarray(picture)), scale


def _array_to_grey(array: np.ndarray) -> np.ndarray:
    """(H, W) or (H, W, 1|3|4) -> (H, W) float32 grey in [0, 1] (ITU-R 601 luma, alpha composited)."""
    a = np.asarray(array)
    if a.dtype == bool:
        a = a.astype(np.float32)
    elif np.issubdtype(a.dtype, np.integer):
        a = a.astype(np.float32) / (65535.0 if a.max(initial=0) > 255 else 255.0)
    elif np.issubdtype(a.dtype, np.floating):
        a = np.nan_to_num(a.astype(np.float32))
    else:
        raise ReadError(f"Cannot read an array of dtype {a.dtype} as an image.")
    if a.ndim == 3 and a.shape[-1] in (1, 2, 3, 4):
        alpha = a[..., -1] if a.shape[-1] in (2, 4) else None
        colour = a[..., :-1] if alpha is not None else a
        grey = colour[..., 0] if colour.shape[-1] == 1 else colour[..., :3] @ np.float32([0.299, 0.587, 0.114])
        if alpha is not None and alpha.min() < 1.0:
            strokes = grey[alpha > 0.5]
            paper = 1.0 if strokes.size == 0 or strokes.mean() < 0.5 else 0.0
            grey = grey * alpha + paper * (1.0 - alpha)
        a = grey
    if a.ndim != 2 or 0 in a.shape:
        raise ReadError(f"Expected an image of shape (H, W) or (H, W, 3|4); received an array of shape {a.shape}.")
    return np.clip(a, 0.0, 1.0).astype(np.float32)
