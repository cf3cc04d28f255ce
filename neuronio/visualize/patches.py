"""Receptive fields and the decks' "top 9 patches that activate each filter".

Receptive-field arithmetic (all of it is here). Along one axis, an output position i of a layer
sees the input pixels start + i * jump ... start + i * jump + size - 1. The input itself has
size 1, jump 1, start 0, and a window layer (convolution or pooling) with kernel k, stride s and
padding p_before (zeros added before the first pixel) turns (size, jump, start) into

    size'  = size + (k - 1) * jump
    jump'  = jump * s
    start' = start - p_before * jump

For the course's MNIST CNN (conv 5x5 -> pool 2 -> conv 5x5 -> pool 2, all "valid") the sizes are
5, 6, 14, 16 and the jumps 1, 2, 2, 4. Pointwise layers (activations, dropout, normalisation)
change nothing; ZeroPadding2D moves `start`; a merge (Add, Concatenate) covers the union of its
inputs' fields.
"""

import dataclasses

import numpy as np

from neuronio.errors import ShapeError
from neuronio.ops._windows import normalize_pair, same_padding
from neuronio.visualize import _graph, _style


@dataclasses.dataclass(frozen=True)
class ReceptiveField:
    """The input window one output position sees: (rows, columns) pairs for size, jump, start.

    Output position (i, j) sees input rows start[0] + i * jump[0] ... + size[0] - 1 (and the same
    for columns); rows before 0 or past the image are zero padding.
    """

    size: tuple[int, int]
    jump: tuple[int, int]
    start: tuple[int, int]

    def window(self, i: int, j: int) -> tuple[int, int, int, int]:
        """(top, left, bottom, right) input rows/columns seen by output (i, j), bottom/right excluded."""
        top = self.start[0] + i * self.jump[0]
        left = self.start[1] + j * self.jump[1]
        return top, left, top + self.size[0], left + self.size[1]


INPUT_FIELD = ReceptiveField((1, 1), (1, 1), (0, 0))


def _window_of(layer):
    """(kernel, strides, padding mode) of a sliding-window layer, or None for other layers."""
    window = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if window is None:
        return None
    strides = normalize_pair("strides", getattr(layer, "strides", None) or window)
    return normalize_pair("kernel", window), strides, getattr(layer, "padding", "valid")


def _through_window(field, node, kernel, strides, padding) -> ReceptiveField:
    in_shape = node.inputs[0].shape
    pads = []
    for axis in (0, 1):
        if padding == "valid":
            pads.append(0)
        elif strides[axis] == 1:
            pads.append((kernel[axis] - 1) // 2)  # 'same' with stride 1 pads the same for any size
        elif in_shape[1 + axis] is None:
            raise ShapeError(
                f"Layer '{node.layer.name}' uses padding='same' with stride {strides[axis]} on inputs of unknown "
                f"size {in_shape}; its receptive field depends on that size. Build the model with a fixed input shape."
            )
        else:
            pads.append(same_padding(in_shape[1 + axis], kernel[axis], strides[axis])[0])
    return ReceptiveField(
        tuple(field.size[a] + (kernel[a] - 1) * field.jump[a] for a in (0, 1)),
        tuple(field.jump[a] * strides[a] for a in (0, 1)),
        tuple(field.start[a] - pads[a] * field.jump[a] for a in (0, 1)),
    )


def _union(fields: list, layer) -> ReceptiveField:
    if len({f.jump for f in fields}) != 1:
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}) merges feature maps with different strides "
            f"{[f.jump for f in fields]}; their positions do not line up, so it has no single receptive field."
        )
    start = tuple(min(f.start[a] for f in fields) for a in (0, 1))
    end = tuple(max(f.start[a] + f.size[a] for f in fields) for a in (0, 1))
    return ReceptiveField(tuple(end[a] - start[a] for a in (0, 1)), fields[0].jump, start)


def _field_of(node, inputs: list) -> ReceptiveField:
    """The receptive field of a layer call from those of its inputs (a ShapeError when it has none)."""
    layer = node.layer
    window = _window_of(layer)
    if window is not None and len(inputs) == 1:
        return _through_window(inputs[0], node, *window)
    if type(layer).__name__ == "ZeroPadding2D":
        (top, _), (left, _) = layer.padding
        field = inputs[0]
        return ReceptiveField(
            field.size, field.jump, (field.start[0] - top * field.jump[0], field.start[1] - left * field.jump[1])
        )
    same_grid = all(t.shape[1:3] == node.outputs[0].shape[1:3] for t in node.inputs)
    if same_grid and inputs:
        return inputs[0] if len(inputs) == 1 else _union(inputs, layer)  # pointwise, or a merge
    raise ShapeError(
        f"Layer '{layer.name}' ({type(layer).__name__}) maps {[t.shape for t in node.inputs]} to "
        f"{node.outputs[0].shape} in a way neuronio cannot trace back to input pixels."
    )


def _trace(model, who: str) -> tuple[dict, dict]:
    """({layer name: field}, {layer name: why it has none}) for the layers that output feature maps."""
    fields, problems, known = {}, {}, {}  # known: id(symbolic tensor) -> its field
    for node in _graph.model_nodes(model, who):
        name = node.layer.name
        if _graph.is_input(node):
            known[id(node.outputs[0])] = INPUT_FIELD
            continue
        if not _graph.is_spatial(node):
            continue
        blocked = [t for t in node.inputs if id(t) not in known]
        if blocked:
            source = blocked[0].node.layer.name
            problems[name] = problems.get(source) or (
                f"Layer '{name}' reads the output of '{source}', which is not feature maps traced back to the "
                f"input pixels."
            )
            continue
        try:
            known[id(node.outputs[0])] = fields[name] = _field_of(node, [known[id(t)] for t in node.inputs])
        except ShapeError as exc:
            problems[name] = str(exc)
    return fields, problems


def receptive_fields(model) -> dict:
    """{layer name: ReceptiveField} for every layer of `model` that outputs feature maps
    (batch, H, W, C) whose field can be traced back to the input pixels.

    >>> from neuronio.applications.decks import seed_cnn
    >>> [(f.size, f.jump) for f in receptive_fields(seed_cnn()).values()]  # conv, pool, conv, pool
    [((5, 5), (1, 1)), ((6, 6), (2, 2)), ((14, 14), (2, 2)), ((16, 16), (4, 4))]
    """
    return _trace(model, "receptive_fields")[0]


def receptive_field(model, layer) -> ReceptiveField:
    """The receptive field of one layer (name, index or Layer), or an error saying why it has none."""
    who = "receptive_field"
    layer = _graph.resolve_layer(model, layer, who)
    fields, problems = _trace(model, who)
    if layer.name in fields:
        return fields[layer.name]
    if layer.name in problems:
        raise ShapeError(f"{who}: layer '{layer.name}' has no receptive field: {problems[layer.name]}")
    node = _graph.layer_node(model, layer, who)
    raise ShapeError(
        f"{who}: layer '{layer.name}' ({type(layer).__name__}) outputs shape {_graph.output_shape(node)}, not "
        f"feature maps (batch, H, W, C), so none of its outputs looks at one window of the image. Choose a Conv2D "
        f"or pooling layer."
    )


@dataclasses.dataclass
class TopPatches:
    """For each filter f of a layer, the k input patches that excite it most, strongest first.

    Attributes:
        layer: the layer's name.
        field: its ReceptiveField (the patch size is field.size).
        activations: (F, k) the filter's largest output in each chosen image.
        image_indices: (F, k) which images of x they come from (each image at most once per filter).
        positions: (F, k, 2) the output position (i, j) of that largest value.
        windows: (F, k, 4) the input (top, left, bottom, right) each patch was cut from.
        patches: (F, k, size_h, size_w, C) the patches; pixels outside the image (padding) are NaN.
        display_range: the pixel values drawn as white and as black, (0, 1) or (0, 255) as the data.
    """

    layer: str
    field: ReceptiveField
    activations: np.ndarray
    image_indices: np.ndarray
    positions: np.ndarray
    windows: np.ndarray
    patches: np.ndarray
    display_range: tuple = (0.0, 1.0)

    def plot(self, max_filters: int | None = None, columns: int = 8):
        """The deck's picture: one block per filter holding its k patches (a 3x3 block for k=9)."""
        return _plot(self, max_filters, columns)

    def _repr_png_(self):
        return _style.to_png(self.plot())


def top_patches(model, layer, x, k: int = 9, batch_size: int = 256) -> TopPatches:
    """The k input patches that activate each filter of `layer` most over the images x.

    For every image and filter, the filter's strongest output position is found; the k images
    where that value is largest give the patches (each image at most once per filter, so a block
    is not k shifted copies of one stroke). A patch is the receptive field of that position: the
    part of the input the output depends on, traced through the layers' kernels, strides and
    padding (see `receptive_field`).

    Args:
        model: a built model; layer: a Conv2D or pooling layer (name, index or the layer).
        x: images as the model takes them, (N, H, W, C); k: patches per filter (at most N).

    Returns:
        A TopPatches (arrays, and `.plot()` for the figure; it also shows itself in Jupyter).
    """
    who = "top_patches"
    layer = _graph.resolve_layer(model, layer, who)
    x = _graph.check_inputs(model, x, who)
    if x.ndim != 4:
        raise ShapeError(f"{who} needs image inputs (N, H, W, C); model '{model.name}' takes {x.shape[1:]}.")
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"{who}: k must be a positive int; received k={k!r}.")
    field = receptive_field(model, layer)
    node = _graph.layer_node(model, layer, who)
    # 1. Each image's strongest response per filter, and where: (N, F) values and flat positions.
    best, where = [], []
    for _, (maps,) in _graph.batched_outputs(model, x, [node.outputs[0]], batch_size):
        width = maps.shape[2]  # OW
        flat = maps.reshape(len(maps), -1, maps.shape[-1])  # (B, OH*OW, F)
        where.append(flat.argmax(axis=1))  # (B, F): first maximum in row-major order
        best.append(flat.max(axis=1))
    best, where = np.concatenate(best), np.concatenate(where)
    # 2. The k strongest images per filter (ties: the earlier image first).
    k = min(int(k), len(x))
    chosen = np.argsort(-best, axis=0, kind="stable")[:k].T  # (F, k)
    filters = np.arange(best.shape[1])[:, None]
    activations = best[chosen, filters]  # (F, k)
    rows, cols = np.divmod(where[chosen, filters], width)  # (F, k) output positions
    # 3. Cut each receptive field out of its image: one gather, zero padding shown as NaN.
    tops = field.start[0] + rows * field.jump[0]
    lefts = field.start[1] + cols * field.jump[1]
    patches = _cut(x, chosen, tops, lefts, field.size)
    windows = np.stack([tops, lefts, tops + field.size[0], lefts + field.size[1]], axis=-1)
    return TopPatches(
        layer.name,
        field,
        activations,
        chosen,
        np.stack([rows, cols], axis=-1),
        windows,
        patches,
        _style.image_limits(x),
    )


def _cut(x, images, tops, lefts, size) -> np.ndarray:
    """x[images, top:top+h, left:left+w, :] for every (filter, rank), NaN outside the image."""
    h, w = size
    row_index = tops[..., None] + np.arange(h)  # (F, k, h)
    col_index = lefts[..., None] + np.arange(w)  # (F, k, w)
    inside = ((row_index >= 0) & (row_index < x.shape[1]))[..., :, None] & (
        (col_index >= 0) & (col_index < x.shape[2])
    )[..., None, :]  # (F, k, h, w)
    patches = x[
        images[..., None, None],
        np.clip(row_index, 0, x.shape[1] - 1)[..., :, None],
        np.clip(col_index, 0, x.shape[2] - 1)[..., None, :],
    ].astype(np.float32)  # (F, k, h, w, C)
    patches[~inside] = np.nan
    return patches


def plot_top_patches(model, layer, x, k: int = 9, max_filters: int | None = None, batch_size: int = 256):
    """`top_patches(model, layer, x, k).plot()`: one block of k patches per filter."""
    return top_patches(model, layer, x, k, batch_size).plot(max_filters)


def _plot(result: TopPatches, max_filters, columns):
    import matplotlib

    f_total, k = result.activations.shape
    shown = f_total if max_filters is None else min(max_filters, f_total)
    side = _style.grid_shape(k)[1]  # 3 for k = 9: the deck's 3x3 blocks
    low, high = result.display_range
    scaled = (result.patches[:shown] - low) / (high - low)  # (F, k, h, w, C) in [0, 1], NaN outside
    if scaled.shape[-1] == 3:
        rgb = np.clip(scaled, 0, 1)
    else:
        rgb = matplotlib.colormaps[_style.IMAGE_CMAP](np.clip(scaled[..., 0], 0, 1))[..., :3]
    outside = np.isnan(scaled).any(axis=-1)
    rgb[outside] = matplotlib.colors.to_rgb(_style.OUTSIDE)  # zero padding, not image
    gap = matplotlib.colors.to_rgb(_style.NEUTRAL)
    rows, cols = _style.grid_shape(shown, columns)
    height = 1.6 * rows + 0.85  # a 1.4-inch block and its title per row, and the heading
    fig = _style.new_figure("top_patches", 1.45 * cols, height)
    axes = fig.subplots(rows, cols, squeeze=False)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.1 / height, top=1 - 0.85 / height, wspace=0.08, hspace=0.25)
    for f, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if f >= shown:
            continue
        block = _style.mosaic(rgb[f], side, fill=np.nan)
        block[np.isnan(block).any(axis=-1)] = gap  # grey lines between the patches
        ax.imshow(block, interpolation="nearest")
        ax.set_title(f"filter {f}", fontsize=7, pad=2)
    h, w = result.field.size
    more = f" (the first {shown} of {f_total} filters)" if shown < f_total else ""
    padded = " Light blue: outside the image (zero padding)." if outside.any() else ""
    fig.suptitle(
        f"Top {k} patches that activate each filter of '{result.layer}'{more}.\nEach block: the {k} {h}x{w} "
        f"input patches (receptive fields) where one filter responds most, strongest first, row by row.{padded}",
        fontsize=9,
    )
    return fig
