"""MNIST's normalisation of one digit, in one function shared by `neuronio read` and the lab.

LeCun, Cortes and Burges describe how MNIST was made: the bilevel NIST digits "were size
normalized to fit in a 20x20 pixel box while preserving their aspect ratio", which gave grey
levels "as a result of the anti-aliasing technique used by the normalization algorithm", and "were
centered in a 28x28 image by computing the center of mass of the pixels, and translating the
image so as to position this point at the center of the 28x28 field".

The training set itself pins down the details this prose leaves open (measured on the 60,000
training digits):

- the ink's longer side spans exactly 20 pixels in 59,987 digits, grey fringe included, so the
  resampling is by pixel coverage (a box filter), which spreads no further than the box;
- the centre of mass lies in [13.5, 14.5) on both axes, uniformly, so the translation is by whole
  pixels and puts the centre of mass within half a pixel of (14, 14) (row, column, from 0).

Only NumPy is needed, so the lab (which has Pillow but not SciPy) runs the very same code.
"""

import numpy as np

from neuronio.errors import ShapeError

BOX = 20  # the longer side of the digit after scaling, in pixels
FIELD = 28  # the side of the output image
CENTRE = 14  # where the centre of mass lands (row and column index)


def coverage_matrix(n_in: int, n_out: int, span: float) -> np.ndarray:
    """The (n_out, n_in) matrix that resamples a line of n_in pixels onto `span` output pixels.

    Input pixel j covers [j, j + 1) and is stretched to [j * s, (j + 1) * s) with s = span / n_in;
    output pixel i gets the length of [i, i + 1) that it overlaps. An output pixel thus holds the
    fraction of its area covered by ink: exact anti-aliasing for any scale, up or down.
    """
    s = span / n_in
    out_lo = np.arange(n_out, dtype=np.float64)[:, None]  # (n_out, 1)
    in_lo = np.arange(n_in, dtype=np.float64)[None, :] * s  # (1, n_in)
    overlap = np.minimum(out_lo + 1.0, in_lo + s) - np.maximum(out_lo, in_lo)  # (n_out, n_in)
    return np.clip(overlap, 0.0, None)


def mnist_normalize(gray_image) -> np.ndarray:
    """Normalise one digit exactly as MNIST's digits were: a (28, 28) float32 image in [0, 1].

    1. Crop to the ink's bounding box (the pixels above 0).
    2. Scale so that the longer side is 20 pixels, keeping the aspect ratio, by pixel coverage
       (each output pixel is the fraction of its area the ink covers: MNIST's anti-aliasing).
    3. Paste into a 28x28 field, translated by whole pixels so that the centre of mass lies in
       [13.5, 14.5) on both axes, as in MNIST (a digit is never pushed past the border).

    Args:
        gray_image: 2-D array of one digit, ink bright on a background of exactly 0, as in MNIST:
            bool (a bilevel mask, as NIST's digits were), integers in 0..255, or floats in [0, 1].
            Dark ink on white paper must be inverted first (`255 - image` or `1.0 - image`).

    Returns:
        (28, 28) float32 array in [0, 1], ready for an MNIST model (reshape to (1, 28, 28, 1) for a
        CNN, or (1, 784) for an MLP). An image without ink gives all zeros.

    >>> digit = np.zeros((60, 30), dtype=bool)
    >>> digit[5:55, 12:18] = True                      # a "1": a bar 50 tall and 6 wide
    >>> x = mnist_normalize(digit)
    >>> x.shape, x.dtype, int((x > 0).any(axis=1).sum())   # the longer side now spans 20 pixels
    ((28, 28), dtype('float32'), 20)
    """
    image = np.asarray(gray_image)
    if image.ndim != 2 or 0 in image.shape:
        raise ShapeError(
            "mnist_normalize expects one digit as a non-empty 2-D (height, width) array; "
            f"received an array of shape {image.shape}. Convert colour images to grey first."
        )
    if image.dtype == bool:
        ink = image.astype(np.float64)
    elif np.issubdtype(image.dtype, np.integer):
        ink = image.astype(np.float64) / 255.0
    else:
        ink = image.astype(np.float64)
    ink = np.clip(np.nan_to_num(ink), 0.0, 1.0)
    field = np.zeros((FIELD, FIELD), dtype=np.float32)

    # 1. The ink's bounding box.
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    if rows.size == 0:
        return field
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]  # (h, w)
    h, w = ink.shape

    # 2. Longer side to 20 pixels, by coverage; the shorter side spans w * 20 / h (or h * 20 / w).
    scale = BOX / max(h, w)
    span_h, span_w = h * scale, w * scale
    resize_h = coverage_matrix(h, int(np.ceil(span_h - 1e-9)), span_h)  # (H', h)
    resize_w = coverage_matrix(w, int(np.ceil(span_w - 1e-9)), span_w)  # (W', w)
    box = np.clip(resize_h @ ink @ resize_w.T, 0.0, 1.0).astype(np.float32)  # (H', W'), H' and W' <= 20

    # 3. Whole-pixel translation putting the centre of mass at (14, 14), kept inside the field.
    weights = box.astype(np.float64)  # the centre of mass of exactly the values returned
    mass = weights.sum()
    com_row = (weights.sum(axis=1) @ np.arange(box.shape[0])) / mass
    com_col = (weights.sum(axis=0) @ np.arange(box.shape[1])) / mass
    top = int(np.clip(np.ceil(CENTRE - 0.5 - com_row), 0, FIELD - box.shape[0]))  # top + com_row in [13.5, 14.5)
    left = int(np.clip(np.ceil(CENTRE - 0.5 - com_col), 0, FIELD - box.shape[1]))
    field[top : top + box.shape[0], left : left + box.shape[1]] = box
    return field
