"""plot_model: the network structure as a diagram, with Keras's signature, drawn by matplotlib.

Keras asks for pydot and the graphviz program; neuronio lays the graph out itself (a layered
layout: ranks by longest path from the inputs, order within a rank by the barycentre of the
neighbours, long edges routed through placeholder points) and draws it with matplotlib, so
nothing beyond `pip install 'neuronio[plot]'` is needed.
"""

import dataclasses
import pathlib

import numpy as np

# Drawing units are inches; text is 9 pt monospace, whose glyphs are 0.6 em wide.
_FONT = 9
_CHAR_W = 0.6 * _FONT / 72
_LINE_H = 1.45 * _FONT / 72
_PAD = 0.12
_GAP_ORDER = 0.35  # between boxes of one rank
_GAP_RANK = 0.45  # between ranks: the arrows' length
_HEADER = "#1f4e79"
_BODY = "#eef4fb"
_EDGE = "#333333"
_SPLINES = ("ortho", "curved", "polyline", "spline", "line")


@dataclasses.dataclass
class _Box:
    key: int  # id() of the layer, or of a placeholder for long edges
    layer: object = None  # None for a placeholder
    header: str = ""
    lines: tuple = ()
    rank: int = 0
    order: float = 0.0
    x: float = 0.0  # centre
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0
    depth: float = 0.0  # extent of its rank along the flow
    cluster: str | None = None  # the nested model it belongs to (expand_nested)


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=False,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    show_param_counts=False,
    **kwargs,
):
    """Draw the model's layers as boxes and their connections as arrows, and save it to `to_file`.

    Keras's arguments and defaults; `show_param_counts` is neuronio's own addition.

    Args:
        model: a built Sequential or functional model (any other model is drawn as one box).
        to_file: where to save; the extension picks the format (.png, .svg, .pdf; none: PNG).
            None draws without saving.
        show_shapes: each box shows the layer's input and output shapes.
        show_dtype: each box shows the output dtype.
        show_layer_names: headers read "name (Class)" instead of "Class".
        rankdir: "TB" (top to bottom) or "LR" (left to right).
        expand_nested: draw the layers of nested models inside a dashed frame.
        dpi: resolution of a saved PNG.
        show_layer_activations: boxes show the activation of layers that have one.
        show_trainable: boxes with weights say whether they are trainable.
        splines: accepted for Keras compatibility; edges are always drawn as straight segments.
        show_param_counts: each box shows the layer's number of parameters.

    Returns:
        The matplotlib Figure (it displays itself in Jupyter).

    >>> from neuronio.applications.decks import seed_cnn
    >>> fig = plot_model(seed_cnn(), to_file=None, show_shapes=True)
    >>> sum(1 for p in fig.axes[0].patches if str(p.get_gid()).startswith("layer:"))
    7
    """
    from neuronio.visualize import _style
    from neuronio.visualize._graph import check_model

    who = "plot_model"
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError(f"{who}: the argument `layer_range` is no longer supported (as in Keras 3).")
    check_arguments(who, model, rankdir, splines, kwargs)
    _style.require_matplotlib(who)
    show = {
        "shapes": show_shapes,
        "dtype": show_dtype,
        "names": show_layer_names,
        "activations": show_layer_activations,
        "trainable": show_trainable,
        "params": show_param_counts,
    }
    if _is_graph_model(model):
        check_model(model, who)
    boxes, edges = _graph(model, expand_nested, show)
    routes = _layout(boxes, edges, rankdir)
    fig = _draw(boxes, edges, routes, rankdir, _style)
    if to_file is not None:
        path = pathlib.Path(to_file)
        fmt = path.suffix[1:].lower() or "png"
        limit = 60000 / max(fig.get_size_inches())  # Agg draws at most 65,536 pixels a side
        fig.savefig(path, format=fmt, dpi=min(dpi, limit), facecolor="white")
    return fig


def check_arguments(who: str, model, rankdir, splines, kwargs) -> None:
    """The checks plot_model and utils.model_to_dot share: no unknown keyword, a known rankdir and
    splines, a built model."""
    if kwargs:
        raise ValueError(f"{who}: unrecognized keyword arguments: {sorted(kwargs)}.")
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"{who}: rankdir must be 'TB' (top to bottom) or 'LR' (left to right); received {rankdir!r}.")
    if splines not in _SPLINES:
        raise ValueError(f"{who}: splines must be one of {', '.join(_SPLINES)}; received {splines!r}.")
    if not getattr(model, "built", False):
        raise ValueError(
            f"{who}: this model has not yet been built. Build it first by giving it an input shape or by calling "
            f"it on a batch of data."
        )


# -- 1. the graph: boxes and edges ----------------------------------------------------------------
def _is_graph_model(layer) -> bool:
    from neuronio.models import Functional, Sequential

    return isinstance(layer, (Sequential, Functional))


def _graph(model, expand_nested, show, cluster=None):
    """(boxes, edges) with edges as (source key, destination key), Keras's rules: a Sequential is
    its layers in a chain (no Input box); a functional model has its InputLayers; any other model
    is one box."""
    from neuronio.models import Sequential
    from neuronio.visualize._graph import model_nodes

    if not _is_graph_model(model):
        return [_layer_box(model, None, show, cluster)], []
    nodes = model_nodes(model, "plot_model")
    if isinstance(model, Sequential):
        nodes = [node for node in nodes if node.layer in model.layers]
    first_node = {}
    for node in nodes:
        first_node.setdefault(id(node.layer), node)
    boxes, edges, entries, exits = [], [], {}, {}
    for node in first_node.values():
        layer = node.layer
        if expand_nested and _is_graph_model(layer):
            inner, inner_edges = _graph(layer, True, show, cluster=layer.name)
            targets = {e[1] for e in inner_edges}
            sources = {e[0] for e in inner_edges}
            entries[id(layer)] = [b.key for b in inner if b.key not in targets] or [inner[0].key]
            exits[id(layer)] = [b.key for b in inner if b.key not in sources] or [inner[-1].key]
            boxes += inner
            edges += inner_edges
        else:
            boxes.append(_layer_box(layer, node, show, cluster))
    if isinstance(model, Sequential):
        pairs = [(a.layer, b.layer) for a, b in zip(nodes, nodes[1:])]
    else:
        pairs = [(t.node.layer, node.layer) for node in nodes for t in node.inputs]
    for source, target in pairs:
        for s in exits.get(id(source), [id(source)]):
            for t in entries.get(id(target), [id(target)])[:1]:
                if (s, t) not in edges:
                    edges.append((s, t))
    return boxes, edges


def _shape_text(shapes) -> str:
    texts = ["(" + ", ".join(str(d) for d in s) + (",)" if len(s) == 1 else ")") for s in shapes]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def _layer_box(layer, node, show, cluster) -> _Box:
    from neuronio.layers.core import InputLayer

    name = type(layer).__name__
    header = f"{layer.name} ({name})" if show["names"] else name
    lines = []
    activation = getattr(getattr(layer, "activation", None), "__name__", None)
    if show["activations"] and activation:
        lines.append(f"Activation: {activation}")
    if show["shapes"] and node is not None:
        if not isinstance(layer, InputLayer):
            lines.append(f"Input shape: {_shape_text([t.shape for t in node.inputs])}")
        lines.append(f"Output shape: {_shape_text([t.shape for t in node.outputs])}")
    if show["dtype"]:
        lines.append(f"Output dtype: {layer.dtype}")
    if show["params"] and not isinstance(layer, InputLayer):
        lines.append(f"Params: {layer.count_params():,}" if layer.built else "Params: 0 (unbuilt)")
    if show["trainable"] and layer.weights:
        lines.append("Trainable" if layer.trainable else "Non-trainable")
    width = max(len(text) for text in [header, *lines]) * _CHAR_W + 2 * _PAD
    height = (1 + len(lines)) * _LINE_H + 2 * _PAD + (0.06 if lines else 0)
    return _Box(id(layer), layer, header, tuple(lines), w=width, h=height, cluster=cluster)


# -- 2. the layout --------------------------------------------------------------------------------
def _layout(boxes, edges, rankdir) -> dict:
    """Ranks, order within ranks, then coordinates (in inches) for every box; returns the routes
    {(source, target): keys of the points the edge passes through}."""
    by_key = {b.key: b for b in boxes}
    incoming = {b.key: [s for s, t in edges if t == b.key] for b in boxes}
    for box in boxes:  # boxes come in topological order, so one pass gives longest-path ranks
        box.rank = max((by_key[s].rank + 1 for s in incoming[box.key]), default=0)
    steps, routes = _add_placeholders(boxes, edges, by_key)
    ranks = [[b for b in boxes if b.rank == r] for r in range(max(b.rank for b in boxes) + 1)]
    for members in ranks:
        for i, box in enumerate(members):
            box.order = i
    _reduce_crossings(ranks, steps, by_key)
    _place(ranks, steps, rankdir)
    return routes


def _add_placeholders(boxes, edges, by_key) -> tuple[list, dict]:
    """Every edge as one-rank steps: an edge that skips ranks goes through a placeholder point
    on each rank it crosses, so that it is routed around the boxes there."""
    steps, routes = [], {}
    for source, target in edges:
        chain = [source]
        for rank in range(by_key[source].rank + 1, by_key[target].rank):
            point = _Box(key=-(len(by_key) + 1), rank=rank)
            by_key[point.key] = point
            boxes.append(point)
            chain.append(point.key)
        chain.append(target)
        steps.extend(zip(chain, chain[1:]))
        routes[(source, target)] = tuple(chain)
    return steps, routes


def _reduce_crossings(ranks, pairs, by_key) -> None:
    """Barycentre heuristic: sort each rank by the mean order of its neighbours, down then up."""
    for sweep in range(4):
        downward = sweep % 2 == 0
        for members in ranks[1:] if downward else ranks[-2::-1]:
            for box in members:
                neighbours = [by_key[s if downward else t].order for s, t in pairs if (t if downward else s) == box.key]
                if neighbours:
                    box.order = float(np.mean(neighbours))
            members.sort(key=lambda b: b.order)
            for i, box in enumerate(members):
                box.order = i


def _place(ranks, pairs, rankdir) -> None:
    """Coordinates: ranks one after another along the flow; across it, each box pulled towards
    the boxes it connects to (so chains run straight), then pushed apart to keep the order."""

    def along(box):  # extent along the flow
        return box.h if rankdir == "TB" else box.w

    def across(box):  # extent across it (placeholders get a little room)
        return max(box.w if rankdir == "TB" else box.h, 0.2)

    side = {}
    for members in ranks:  # start: each rank centred
        total = sum(across(b) for b in members) + _GAP_ORDER * (len(members) - 1)
        cursor = -total / 2
        for box in members:
            side[box.key] = cursor + across(box) / 2
            cursor += across(box) + _GAP_ORDER
    for sweep in range(6):
        downward = sweep % 2 == 0
        for members in ranks[1:] if downward else ranks[-2::-1]:
            wanted = []
            for box in members:
                others = [side[s if downward else t] for s, t in pairs if (t if downward else s) == box.key]
                wanted.append(float(np.mean(others)) if others else side[box.key])
            placed = list(wanted)
            for i in range(1, len(members)):  # keep the order and the gaps
                least = placed[i - 1] + (across(members[i - 1]) + across(members[i])) / 2 + _GAP_ORDER
                placed[i] = max(placed[i], least)
            shift = float(np.mean(np.subtract(placed, wanted)))  # spread the push to both sides
            for box, value in zip(members, placed):
                side[box.key] = value - shift
    position = 0.0
    for members in ranks:
        depth = max(along(b) for b in members) or 0.2
        for box in members:
            flow = position + depth / 2
            box.x, box.y = (side[box.key], -flow) if rankdir == "TB" else (flow, -side[box.key])
            box.depth = depth
        position += depth + _GAP_RANK


# -- 3. drawing -----------------------------------------------------------------------------------
def _draw(boxes, edges, routes, rankdir, style):
    real = [b for b in boxes if b.layer is not None]
    left = min(b.x - b.w / 2 for b in boxes) - 0.3
    right = max(b.x + b.w / 2 for b in boxes) + 0.3
    bottom = min(b.y - b.h / 2 for b in boxes) - 0.3
    top = max(b.y + b.h / 2 for b in boxes) + 0.3
    fig = style.new_figure("plot_model", right - left, top - bottom)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.set_aspect("equal")
    ax.axis("off")
    _draw_clusters(ax, real)
    for box in real:
        _draw_box(ax, box)
    by_key = {b.key: b for b in boxes}
    for edge in edges:
        _draw_edge(ax, [by_key[k] for k in routes[edge]], rankdir)
    return fig


def _draw_box(ax, box) -> None:
    from matplotlib.patches import FancyBboxPatch

    x0, y0 = box.x - box.w / 2, box.y - box.h / 2
    header_h = _LINE_H + 2 * _PAD * 0.8 if box.lines else box.h
    body = FancyBboxPatch(
        (x0, y0), box.w, box.h, boxstyle="round,pad=0,rounding_size=0.06", facecolor=_BODY, edgecolor=_HEADER
    )
    body.set_gid(f"layer:{box.layer.name}")
    ax.add_patch(body)
    header = FancyBboxPatch(
        (x0, y0 + box.h - header_h),
        box.w,
        header_h,
        boxstyle="round,pad=0,rounding_size=0.06",
        facecolor=_HEADER,
        edgecolor=_HEADER,
    )
    ax.add_patch(header)
    ax.text(
        box.x, y0 + box.h - header_h / 2, box.header, ha="center", va="center", color="white",
        fontsize=_FONT, family="monospace", fontweight="bold", gid=f"header:{box.layer.name}",
    )  # fmt: skip
    if box.lines:
        ax.text(
            box.x, (y0 + box.h - header_h + y0) / 2, "\n".join(box.lines), ha="center", va="center",
            fontsize=_FONT, family="monospace", linespacing=1.45, gid=f"body:{box.layer.name}",
        )  # fmt: skip


def _draw_edge(ax, chain, rankdir) -> None:
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    source, target = chain[0], chain[-1]
    if rankdir == "TB":
        points = [(source.x, source.y - source.h / 2)]
        points += [pt for b in chain[1:-1] for pt in ((b.x, b.y + b.depth / 2), (b.x, b.y - b.depth / 2))]
        points.append((target.x, target.y + target.h / 2))
    else:
        points = [(source.x + source.w / 2, source.y)]
        points += [pt for b in chain[1:-1] for pt in ((b.x - b.depth / 2, b.y), (b.x + b.depth / 2, b.y))]
        points.append((target.x - target.w / 2, target.y))
    path = Path(points, [Path.MOVETO] + [Path.LINETO] * (len(points) - 1))
    arrow = FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=12, color=_EDGE, linewidth=1.3)
    arrow.set_gid(f"edge:{source.layer.name}->{target.layer.name}")
    ax.add_patch(arrow)


def _draw_clusters(ax, boxes) -> None:
    from matplotlib.patches import Rectangle

    for name in dict.fromkeys(b.cluster for b in boxes if b.cluster):
        members = [b for b in boxes if b.cluster == name]
        x0 = min(b.x - b.w / 2 for b in members) - 0.12
        y0 = min(b.y - b.h / 2 for b in members) - 0.12
        x1 = max(b.x + b.w / 2 for b in members) + 0.12
        y1 = max(b.y + b.h / 2 for b in members) + 0.12
        frame = Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, linestyle="--", edgecolor="#777777")
        frame.set_gid(f"cluster:{name}")
        ax.add_patch(frame)
        ax.text(x0 + 0.05, y1 - 0.05, name, fontsize=_FONT - 1, va="top", color="#555555", family="monospace")
