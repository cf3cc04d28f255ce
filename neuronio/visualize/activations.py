"""plot_activations: what every layer outputs for one input (the decks' "what the network sees")."""

import math

import numpy as np

from neuronio.errors import ShapeError
from neuronio.visualize import _graph, _style
from neuronio.visualize.classes import resolve_class_names


def _one_input(model, x, who: str) -> np.ndarray:
    """x as a batch of one sample of the model's input shape."""
    x = np.asarray(x)
    expected = tuple(model.inputs[0].shape[1:])
    if len(model.inputs) == 1 and x.shape == expected or (None not in expected and x.size == math.prod(expected)):
        return _graph.check_inputs(model, x.reshape(1, *(expected if None not in expected else x.shape)), who)
    if x.ndim == len(expected) + 1 and len(x) != 1:
        raise ShapeError(f"{who} draws one input at a time; received {len(x)} of them (shape {x.shape}). Pass x[i].")
    return _graph.check_inputs(model, x, who)


def _node_values(model, x, who: str) -> list:
    """[(layer call, its first output for x)] for every non-input call, in order."""
    _graph.check_model(model, who)
    x = _one_input(model, x, who)
    nodes = [node for node in _graph.model_nodes(model, who) if not _graph.is_input(node)]
    ((_, values),) = _graph.batched_outputs(model, x, [node.outputs[0] for node in nodes])
    return list(zip(nodes, values))


def layer_activations(model, x) -> list:
    """[(layer, output)] for one input x: every layer call in order, the InputLayer excluded.

    Each output keeps its batch axis of 1: (1, H, W, C) feature maps, (1, units) vectors.
    """
    return [(node.layer, value) for node, value in _node_values(model, x, "layer_activations")]


def _sections(model, x, who):
    """What to draw, [(kind, layer, values)] with kind "input", "maps", "bars" or "classes", and
    the layers left out."""
    x = _one_input(model, x, who)
    sections, skipped = [("input", None, x[0])], []
    known = {id(model.inputs[0]): x}
    output_layers = {id(t.node.layer) for t in model.outputs}
    for node, value in _node_values(model, x, who):
        layer = node.layer
        known[id(node.outputs[0])] = value
        source = known.get(id(node.inputs[0])) if len(node.inputs) == 1 else None
        if source is not None and source.size == value.size and np.array_equal(source.ravel(), value.ravel()):
            skipped.append(
                f"{layer.name} ({type(layer).__name__}: the same numbers as its input, rearranged or passed on)"
            )
        elif value.ndim == 4:
            sections.append(("maps", layer, value[0]))
        elif value.ndim == 2 and id(layer) in output_layers:
            sections.append(("classes", layer, value[0]))
        elif value.ndim == 2:
            sections.append(("bars", layer, value[0]))
        else:
            skipped.append(f"{layer.name} ({type(layer).__name__}: output shape {value.shape[1:]})")
    return sections, skipped


def plot_activations(model, x, class_names=None, max_maps: int = 64, columns: int = 16):
    """Every layer's output for one input, top to bottom.

    Conv and pooling layers show their feature maps as a grid (channel order, `columns` per row,
    one colour scale per layer: dark is 0), dense layers a bar per unit, and the output layer the
    class probabilities as labelled bars. Layers that pass their input on unchanged at prediction
    time (Dropout, Flatten) are listed, not drawn.

    Args:
        model: a built model; x: one input, e.g. x_test[0] (a batch of one is accepted too).
        class_names: labels for the output bars: None, a dataset name or a list.
        max_maps: the most feature maps drawn per layer.

    Returns:
        A matplotlib Figure.
    """
    who = "plot_activations"
    _graph.check_model(model, who)
    sections, skipped = _sections(model, x, who)
    # Place every section by hand (inches), so that all grids share one cell size and one left edge:
    # channel c of a conv layer sits straight above channel c of the pooling layer after it.
    width, left, right, top = 12.0, 0.7, 0.9, 0.8
    boxes = [_box(kind, values, width - left - right, max_maps, columns) for kind, _, values in sections]
    height = top + sum(0.3 + h + gap for _, h, gap in boxes)
    fig = _style.new_figure(who, width, height)
    y = height - top
    for (kind, layer, values), (w, h, gap) in zip(sections, boxes):
        y -= 0.3 + h  # 0.3 inch for the section's title
        ax = fig.add_axes((left / width, y / height, w / width, h / height))
        if kind == "input":
            _input(ax, values)
        elif kind == "maps":
            cax = fig.add_axes(((left + w + 0.1) / width, y / height, 0.12 / width, h / height))
            _maps(ax, cax, layer, values, max_maps, columns, _cell(values, width - left - right, columns))
        elif kind == "bars":
            _bars(ax, layer, values)
        else:
            _classes(ax, layer, values, class_names)
        y -= gap
    note = f"\nNot drawn: {'; '.join(skipped)}." if skipped else ""
    fig.suptitle(
        f"What model '{model.name}' computes for one input, layer by layer.{note}",
        fontsize=10,
        y=1 - 0.15 / height,
        va="top",
    )
    return fig


MAP_GAP = 0.06  # inches between two feature maps, in every grid


def _whole_pixels(inches: float) -> float:
    """Inches rounded down to a whole number of pixels at 100 dpi (the report's resolution)."""
    return math.floor(inches * 100 + 1e-9) / 100


def _cell(values, available, columns) -> tuple[float, float]:
    """(width, height) in inches of one feature map: `columns` of them and their gaps span the
    available width. Whole pixels at 100 dpi, so that every gap is drawn equally wide."""
    h, w, _ = values.shape
    width = _whole_pixels((available - (columns - 1) * MAP_GAP) / columns)
    return width, max(0.01, _whole_pixels(width * h / w))


def _box(kind, values, available, max_maps, columns) -> tuple[float, float, float]:
    """(width, height, gap below) in inches for a section. Feature maps are drawn in cells of one
    width for every layer (a full row of `columns` spans the available width), MAP_GAP apart."""
    if kind == "input":
        if values.ndim == 1 and math.isqrt(values.size) ** 2 != values.size:
            return available, 1.2, 0.5  # drawn as bars
        h, w = values.shape[:2] if values.ndim >= 2 else (1, 1)
        return _whole_pixels(1.5 * w / h), 1.5, 0.2
    if kind == "maps":
        rows, cols = _style.grid_shape(min(values.shape[2], max_maps), columns)
        cell_w, cell_h = _cell(values, available, columns)
        return cols * cell_w + (cols - 1) * MAP_GAP, rows * cell_h + (rows - 1) * MAP_GAP, 0.25
    return available, (1.6 if kind == "classes" else 1.2), 0.5


def _input(ax, values) -> None:
    try:
        images = _style.as_images(values[None], "plot_activations")
    except ShapeError:  # not an image (e.g. 3 features): a bar per value
        ax.bar(np.arange(values.size), values.ravel(), width=0.8, color=_style.NEUTRAL)
    else:
        _style.show_image(ax, images[0], _style.image_limits(images))
    ax.set_title(f"input {values.shape}", fontsize=9, loc="left")


def _maps(ax, cax, layer, values, max_maps, columns, cell) -> None:
    """The feature maps, each its own image in a cell of `cell` inches, MAP_GAP apart (axes units are
    inches, y down), so the gaps are the same in every grid whatever the maps' resolution."""
    h, w, c = values.shape
    shown = min(c, max_maps)
    rows, cols = _style.grid_shape(shown, columns)
    (cell_w, cell_h), gap = cell, MAP_GAP
    limits = {"vmin": min(0.0, values.min()), "vmax": max(values.max(), 1e-12)}
    for k in range(shown):
        r, col = divmod(k, cols)
        x0, y0 = col * (cell_w + gap), r * (cell_h + gap)
        image = ax.imshow(
            values[..., k],
            cmap=_maps_cmap(),
            extent=(x0, x0 + cell_w, y0 + cell_h, y0),
            interpolation="nearest",
            aspect="auto",
            **limits,
        )
    ax.set_xlim(0, cols * cell_w + (cols - 1) * gap)
    ax.set_ylim(rows * cell_h + (rows - 1) * gap, 0)
    ax.set_axis_off()
    more = f", the first {shown} drawn" if shown < c else ""
    ax.set_title(
        f"{_graph.display_name(layer)}: {c} feature maps of {h}x{w}{more} (channel order, {cols} per row)",
        fontsize=9,
        loc="left",
    )
    ax.figure.colorbar(image, cax=cax)
    cax.tick_params(labelsize=7)


def _maps_cmap():
    import matplotlib

    return matplotlib.colormaps[_style.MAP_CMAP].with_extremes(bad="white")  # white: the gaps


def _bars(ax, layer, values) -> None:
    units = np.arange(len(values))
    if len(values) <= 100:
        ax.bar(units, values, width=0.8, color=_style.CORRECT, linewidth=0)
    else:  # one line per unit in a single artist: hundreds of bar patches take seconds to draw
        ax.vlines(units, 0, values, color=_style.CORRECT, linewidth=max(0.3, 400 / len(values)))
    ax.set_xlim(-0.5, len(values) - 0.5)
    ax.set_xlabel("unit", fontsize=8)
    ax.tick_params(labelsize=7)
    active = int((values > 0).sum())
    ax.set_title(f"{_graph.display_name(layer)}: {len(values)} units, {active} above zero", fontsize=9, loc="left")


def _classes(ax, layer, values, class_names) -> None:
    p = _graph.probabilities(values[None], "plot_activations")[0]
    names = resolve_class_names(class_names, len(p), "plot_activations")
    best = int(p.argmax())
    colours = [_style.CORRECT if k == best else _style.NEUTRAL for k in range(len(p))]
    ax.bar(range(len(p)), p, color=colours)
    ax.set_xticks(range(len(p)), names, fontsize=8, rotation=30 if max(map(len, names)) > 3 else 0)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("probability", fontsize=8)
    for k, value in enumerate(p):
        if value >= 0.005:
            ax.text(
                k,
                value + 0.02,
                f"{100 * value:.0f}%" if value >= 0.095 else f"{100 * value:.1f}%",
                ha="center",
                fontsize=7,
            )
    ax.set_title(
        f"{_graph.display_name(layer)}: predicted {names[best]} ({100 * p[best]:.1f}%)", fontsize=9, loc="left"
    )
