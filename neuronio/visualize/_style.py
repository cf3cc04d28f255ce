"""What every picture shares: the lazy matplotlib import, figure creation, colours, image tiles.

matplotlib is an optional extra (`pip install 'neuronio[plot]'`), imported only when a picture is
drawn, so `import neuronio` never needs it.
"""

import functools
import io
import math
import sys

import numpy as np

from neuronio.errors import ShapeError

# Okabe-Ito colours: told apart by colour-blind readers too. Wrong answers also carry a "→" in
# their title, so colour is never the only cue.
CORRECT = "#0072B2"  # blue
WRONG = "#D55E00"  # vermillion
TRAIN = "#0072B2"
VALIDATION = "#E69F00"  # orange
NEUTRAL = "#999999"
IMAGE_CMAP = "binary"  # grayscale images as ink on paper: 0 is white, 1 is black (as TF's tutorials)
MAP_CMAP = "viridis"  # activations: dark is 0, bright is strong
WEIGHT_CMAP = "RdBu_r"  # signed weights: red positive, blue negative, white zero
OUTSIDE = "#cfe3f0"  # pixels outside the image (zero padding) in patches


def require_matplotlib(who: str):
    """The matplotlib module, or an ImportError that says how to install it."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            f"{who} draws with matplotlib, which is not installed. Install neuronio's plotting extra: "
            f"pip install 'neuronio[plot]'"
        ) from exc
    return matplotlib


@functools.cache
def _figure_class():
    from matplotlib.figure import Figure

    class NeuronioFigure(Figure):
        """A matplotlib Figure that also shows itself in Jupyter without pyplot."""

        def _repr_png_(self):
            return to_png(self, release=False)

    return NeuronioFigure


def new_figure(who: str, width: float, height: float):
    """A figure `width` x `height` inches.

    When the user's program has imported pyplot, the figure is made through pyplot, so
    `plt.show()` and notebooks' inline display see it as they see their own figures. Otherwise it
    is a free-standing Figure (no global state: safe in servers and threads) that still saves with
    `fig.savefig("x.png")` / `"x.svg"` and displays in Jupyter.
    """
    require_matplotlib(who)
    figure_class = _figure_class()
    size = (max(width, 1.0), max(height, 1.0))
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=size, FigureClass=figure_class)
    return figure_class(figsize=size)


def close(fig) -> None:
    """Release a figure made by `new_figure` (pyplot keeps the ones it made until closed)."""
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        plt.close(fig)


def to_png(fig, dpi: int = 100, release: bool = True) -> bytes:
    """The figure as PNG bytes; the figure is closed afterwards unless release=False."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    if release:
        close(fig)
    return buffer.getvalue()


def hide_ticks(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])


def grid_shape(n: int, columns: int | None = None) -> tuple[int, int]:
    """(rows, columns) for n tiles: `columns` if given, else close to square."""
    columns = columns or math.ceil(math.sqrt(n))
    columns = max(1, min(columns, n))
    return math.ceil(n / columns), columns


def mosaic(tiles: np.ndarray, columns: int, gap: int = 1, fill: float = np.nan) -> np.ndarray:
    """Tiles (N, h, w) or (N, h, w, 3) laid out row by row, `columns` per row, `gap` pixels apart.

    Tile t sits at rows r*(h+gap) : r*(h+gap)+h and columns c*(w+gap) : c*(w+gap)+w with
    (r, c) = divmod(t, columns); gaps and empty places hold `fill` (NaN draws as the background).
    """
    n, h, w = tiles.shape[:3]
    rows = math.ceil(n / columns)
    out = np.full(
        (rows * (h + gap) - gap, columns * (w + gap) - gap, *tiles.shape[3:]),
        fill,
        dtype=np.result_type(tiles.dtype, np.float32),
    )
    for t in range(n):  # one slab copy per tile (tens of tiles), never per pixel
        r, c = divmod(t, columns)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = tiles[t]
    return out


def tile(mosaic_array: np.ndarray, index: int, tile_shape: tuple, columns: int, gap: int = 1) -> np.ndarray:
    """Tile number `index` cut back out of a `mosaic` (tests and the lab use it)."""
    h, w = tile_shape
    r, c = divmod(index, columns)
    return mosaic_array[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w]


def as_images(x, who: str) -> np.ndarray:
    """Samples as displayable images: (N, H, W) grayscale or (N, H, W, 3) colour, float.

    Accepts (N, H, W), (N, H, W, 1), (N, H, W, 3) and flat (N, D) with D a square (784 -> 28x28).
    """
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{who}: images must be numbers; received dtype {x.dtype}.")
    if x.ndim == 2 and math.isqrt(x.shape[1]) ** 2 == x.shape[1]:
        side = math.isqrt(x.shape[1])
        x = x.reshape(len(x), side, side)
    elif x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if not (x.ndim == 3 or (x.ndim == 4 and x.shape[-1] == 3)):
        raise ShapeError(
            f"{who} expects images of shape (N, H, W), (N, H, W, 1), (N, H, W, 3) or flat (N, H*W) with a "
            f"square H*W; received shape {np.shape(x)}."
        )
    return x.astype(np.float32, copy=False)


def image_limits(images: np.ndarray) -> tuple[float, float]:
    """The display range: [0, 255] for 8-bit pixel values, [0, 1] for scaled ones (as the data)."""
    top = 255.0 if images.size and float(images.max()) > 1.0 else 1.0
    return min(0.0, float(images.min()) if images.size else 0.0), top


def show_image(ax, image: np.ndarray, limits: tuple[float, float]) -> None:
    """Draw one (H, W) or (H, W, 3) image with ticks hidden."""
    low, high = limits
    if image.ndim == 3:
        ax.imshow(np.clip((image - low) / (high - low), 0.0, 1.0), interpolation="nearest")
    else:
        ax.imshow(image, cmap=IMAGE_CMAP, vmin=low, vmax=high, interpolation="nearest")
    hide_ticks(ax)
