"""Resampling images at non-integer positions: the one place neuronio's augmentation layers read
pixels between pixels (bilinear or nearest), with Keras's fill modes for positions outside.

Vectorised over the whole batch: for each output pixel a source position (row, col) in the input;
the batch is padded once by `fill_mode` as far as the positions reach, then each of the four
bilinear neighbours (one for "nearest") is one gather:

    reflect   (d c b a | a b c d | d c b a)    constant  (k k k k | a b c d | k k k k), k = fill_value
    wrap      (a b c d | a b c d | a b c d)    nearest   (a a a a | a b c d | d d d d)
"""

import numpy as np

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


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


def reflect_index(index: np.ndarray, size: int) -> np.ndarray:
    """Integer positions -> [0, size) by half-sample reflection (d c b a | a b c d | d c b a), period 2 size."""
    index = np.mod(index, 2 * size)
    return np.where(index >= size, 2 * size - 1 - index, index)
