"""plot_filters: the kernels of a convolution layer as images (the decks' "first layer filters")."""

import math

import numpy as np

from neuronio.visualize import _graph, _style


def conv_layers(model) -> list:
    """The model's layers that hold a convolution kernel (KH, KW, C, F)."""
    return [layer for layer in model.layers if _kernel(layer) is not None]


def _kernel(layer):
    kernel = getattr(layer, "kernel", None)
    return kernel.numpy() if kernel is not None and len(kernel.shape) == 4 else None


def resolve_conv_layer(model, layer, who: str):
    """`layer` (name, index or Layer; None: the first convolution), checked to hold a 4-D kernel."""
    _graph.check_model(model, who)
    candidates = conv_layers(model)
    names = ", ".join(f"'{each.name}'" for each in candidates) or "none: the model has no Conv2D layer"
    if layer is None:
        if not candidates:
            raise ValueError(f"{who}: model '{model.name}' has no convolution layer ({names}).")
        return candidates[0]
    found = _graph.resolve_layer(model, layer, who)
    if _kernel(found) is None:
        raise TypeError(
            f"{who}: layer '{found.name}' ({type(found).__name__}) is not a convolution layer: it has no "
            f"(height, width, channels, filters) kernel. Convolution layers of model '{model.name}': {names}."
        )
    return found


def filter_tiles(kernel: np.ndarray, rgb: bool = True) -> tuple[np.ndarray, str]:
    """One image per filter from a (KH, KW, C, F) kernel, and how to read them.

    C = 1: the (KH, KW) weights. C = 3 with rgb: the three channels as one colour image, each filter
    scaled to its own [min, max] (the usual picture of RGB first layers). Otherwise: the C channel
    slices of the filter side by side, in a near-square grid.
    """
    kh, kw, c, f = kernel.shape
    per_filter = np.moveaxis(kernel, 3, 0)  # (F, KH, KW, C)
    if c == 1:
        return per_filter[..., 0], "weights"
    if c == 3 and rgb:
        low = per_filter.min(axis=(1, 2, 3), keepdims=True)
        span = per_filter.max(axis=(1, 2, 3), keepdims=True) - low
        return (per_filter - low) / np.where(span > 0, span, 1), "rgb"
    slices = np.moveaxis(per_filter, 3, 1)  # (F, C, KH, KW)
    return np.stack([_style.mosaic(s, channel_columns(c)) for s in slices]), "channels"


def channel_columns(c: int) -> int:
    """Slices per row inside a tile: a divisor of C near its square root (32 -> 8 x 4), so that no
    place is left empty, else the rounded-up square root."""
    root = math.sqrt(c)
    for columns in range(math.ceil(root), int(2 * root) + 1):
        if c % columns == 0:
            return columns
    return math.ceil(root)


def plot_filters(model, layer=None, rgb: bool = True, columns: int = 8):
    """The kernels of a Conv2D layer, one tile per filter, in filter order.

    Single-channel filters show their weights on one shared scale (red positive, blue negative,
    white zero). RGB first layers show each filter's three input channels as one colour image. Deeper
    layers show each filter's input channels side by side.

    Args:
        model: a built model.
        layer: the Conv2D layer (name, index or the layer); None for the first one.
        rgb: draw 3-channel filters in colour (False: the R, G, B slices side by side).
        columns: tiles per row.

    Returns:
        A matplotlib Figure; tile i (row by row) is filter i.
    """
    who = "plot_filters"
    layer = resolve_conv_layer(model, layer, who)
    kernel = _kernel(layer)
    kh, kw, c, f = kernel.shape
    tiles, kind = filter_tiles(kernel, rgb)
    rows, cols = _style.grid_shape(f, columns)
    scale = max(0.9, min(1.6, 12 / cols))  # inches per tile
    fig = _style.new_figure(who, scale * cols + 1.3, (scale * tiles.shape[1] / tiles.shape[2] + 0.25) * rows + 0.7)
    fig.set_layout_engine("constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    limit = float(np.abs(kernel).max()) or 1.0
    image = None
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= f:
            continue
        if kind == "rgb":
            ax.imshow(tiles[i], interpolation="nearest")
        else:
            image = ax.imshow(tiles[i], cmap=_weight_cmap(), vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(str(i), fontsize=7, pad=2)
    described = {
        "weights": f"{f} filters of {kh}x{kw}",
        "rgb": f"{f} filters of {kh}x{kw}x3 in colour (R, G, B weights; each filter scaled to its own range)",
        "channels": f"{f} filters of {kh}x{kw}x{c}; each tile is one filter: its {kh}x{kw} weights for each of "
        f"its {c} input maps, {channel_columns(c)} per row",
    }[kind]
    fig.suptitle(f"{_graph.display_name(layer)}: {described}", fontsize=10)
    if image is not None:
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), fraction=0.03, pad=0.02)
        bar.set_label("weight (red +, blue −)")
    return fig


def _weight_cmap():
    import matplotlib

    return matplotlib.colormaps[_style.WEIGHT_CMAP].with_extremes(bad="#bbbbbb")  # the gaps between slices
