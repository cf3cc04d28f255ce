"""Image resizing as a differentiable linear map, channels-last.  x: (N, H, W, C) -> y: (N, OH, OW, C).

Nearest and bilinear resizing (without antialiasing) are linear in the image and separable:
y = Rh @ x @ Rw^T along the two spatial axes, with Rh an (OH, H) and Rw an (OW, W) matrix of
interpolation weights (two nonzeros per row for bilinear, one for nearest). Forward applies the
two small matrices; backward applies their transposes. The weights follow Keras's
`ops.image.resize` with antialias=False: half-pixel centres, source position
(i + 0.5) * H / OH - 0.5 clamped to the image; nearest reads floor((i + 0.5) * H / OH).
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError

INTERPOLATIONS = ("bilinear", "nearest")


def interpolation_matrix(size: int, new_size: int, interpolation: str) -> np.ndarray:
    """The (new_size, size) float64 matrix that resamples one axis."""
    scale = size / new_size
    out = np.zeros((new_size, size))
    rows = np.arange(new_size)
    if interpolation == "nearest":
        out[rows, np.minimum(np.floor((rows + 0.5) * scale).astype(np.intp), size - 1)] = 1.0
        return out
    position = np.clip((rows + 0.5) * scale - 0.5, 0.0, size - 1)
    low = np.floor(position).astype(np.intp)
    high = np.minimum(low + 1, size - 1)
    frac = position - low
    out[rows, low] += 1.0 - frac  # two statements: where low == high (the last pixel) both weights add up
    out[rows, high] += frac
    return out


class ResizeOp(Function):
    """y[n, i, j, c] = sum over (h, w) of Rh[i, h] * x[n, h, w, c] * Rw[j, w];
    dx[n, h, w, c] = sum over (i, j) of Rh[i, h] * dy[n, i, j, c] * Rw[j, w]."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray):
        self.rows = rows  # (OH, H)
        self.cols = cols  # (OW, W)

    @staticmethod
    def _apply(x, rows, cols):
        rows, cols = rows.astype(x.dtype), cols.astype(x.dtype)
        y = np.einsum("ih,nhwc->niwc", rows, x)  # (N, OH, W, C)
        return np.einsum("jw,niwc->nijc", cols, y)  # (N, OH, OW, C)

    def forward(self, x):
        return self._apply(x, self.rows, self.cols)

    def backward(self, dy):
        return self._apply(dy, self.rows.T, self.cols.T)


def resize(x, size, interpolation: str = "bilinear") -> Tensor:
    """Resize images to size = (height, width), channels-last; Keras's `ops.image.resize` without antialiasing.

    >>> import numpy as np
    >>> resize(np.arange(4, dtype="float32").reshape(1, 2, 2, 1), (4, 4), "nearest").numpy()[0, :, :, 0]
    array([[0., 0., 1., 1.],
           [0., 0., 1., 1.],
           [2., 2., 3., 3.],
           [2., 2., 3., 3.]], dtype=float32)
    """
    x = as_tensor(x)
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"resize: interpolation must be one of {INTERPOLATIONS}; received {interpolation!r}.")
    if x.ndim != 4:
        raise ShapeError(f"resize expects images of shape (batch, height, width, channels); received {x.shape}.")
    height, width = (int(s) for s in size)
    if height < 1 or width < 1:
        raise ValueError(f"resize: the target size must be positive; received size={tuple(size)}.")
    rows = interpolation_matrix(x.shape[1], height, interpolation)
    cols = interpolation_matrix(x.shape[2], width, interpolation)
    return ResizeOp(rows, cols).apply(x)
