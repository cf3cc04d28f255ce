"""model.summary() in Keras 3's table layout, and the decks' per-layer ASCII table.

Keras 3 draws its summary with the `rich` package; neuronio draws the same boxes itself (rich is
not a dependency). Column widths follow Keras's rule: line length min(88, terminal - 4) (108 with
a "Connected to" column), split at positions 0.45/0.80/1.0 (0.3/0.56/0.74/1.0), then narrowed by
the cells' padding and borders the way rich shares out an excess.
"""

import shutil
import textwrap

from neuronio.layers.core import InputLayer

_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"]


def readable_size(n_bytes: float) -> str:
    """'3.56 MB' from a byte count (binary units, two decimals, as Keras prints)."""
    for unit in _UNITS:
        if n_bytes / 1024 < 1:
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} {_UNITS[-1]}"


def _count(weights) -> tuple[int, int]:
    unique = {id(w): w for w in weights}.values()
    return sum(w.size for w in unique), sum(w.size * w.dtype.itemsize for w in unique)


def _shape_text(layer) -> str:
    nodes = layer._inbound_nodes
    if not nodes:
        return "?"
    shapes = [t.shape for t in nodes[-1].outputs]
    texts = [
        "(" + ", ".join("None" if d is None else str(d) for d in s) + (",)" if len(s) == 1 else ")") for s in shapes
    ]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def _params_text(layer) -> str:
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _reduce(total: int, widths: list[int]) -> list[int]:
    """rich's ratio_reduce with equal ratios: take `total` cells off the columns in turn."""
    remaining, n_left, out = total, len(widths), []
    for w in widths:
        cut = min(w, round(remaining / n_left))
        out.append(w - cut)
        remaining -= cut
        n_left -= 1
    return out


def column_widths(line_length: int, positions: list[float]) -> list[int]:
    """Content width of each column for a table `line_length` cells wide."""
    widths, current = [], 0
    for p in positions:
        w = int(p * line_length) - current
        widths.append(w)
        current += w
    excess = 2 * len(widths) + len(widths) + 1  # one padding cell each side, plus the borders
    return _reduce(excess, widths)


def _wrap(text: str, width: int) -> list[str]:
    lines = []
    for word_line in textwrap.wrap(text, width=width, break_long_words=False, break_on_hyphens=False) or [""]:
        lines.append(word_line if len(word_line) <= width else word_line[: width - 1] + "…")
    return lines


def _row(cells: list[str], widths: list[int], aligns: list[str], bar: str) -> list[str]:
    wrapped = [_wrap(c, w) for c, w in zip(cells, widths)]
    height = max(len(w) for w in wrapped)
    out = []
    for i in range(height):
        parts = []
        for lines, w, align in zip(wrapped, widths, aligns):
            text = lines[i] if i < len(lines) else ""
            parts.append(text.rjust(w) if align == "right" else text.ljust(w))
        out.append(bar + bar.join(f" {p} " for p in parts) + bar)
    return out


def _rule(widths, left, mid, right, fill) -> str:
    return left + mid.join(fill * (w + 2) for w in widths) + right


def _sequential_like(model) -> bool:
    if not hasattr(model, "_nodes"):  # a Sequential or a subclassed model: no graph of its own
        return True
    for node in model._nodes:
        if len(node.inputs) + len(node.kwarg_tensors) > 1:
            return False
    consumers = {}
    for node in model._nodes:
        for t in node.inputs:
            consumers[id(t)] = consumers.get(id(t), 0) + 1
            if consumers[id(t)] > 1:
                return False
    return len(model._outputs) == 1 and len(model._inputs) == 1


def summary_lines(
    model, line_length=None, positions=None, show_trainable=False, layer_range=None, include_optimizer=True
) -> list[str]:
    """The summary as a list of lines (what `model.summary()` prints). With include_optimizer=False the
    totals count the model's weights only, as for a model loaded without its optimizer (the report)."""
    sequential_like = _sequential_like(model)
    if sequential_like:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
        header, aligns = ["Layer (type)", "Output Shape", "Param #"], ["left", "left", "right"]
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        aligns = ["left", "left", "right", "left"]
    positions = positions or default_positions
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        aligns.append("center")
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    widths = column_widths(line_length, positions)
    if min(widths) < 1:
        raise ValueError("Insufficient console width to print the summary; pass a larger line_length.")

    layers = getattr(model, "operations", model.layers)  # op nodes are rows too, as in Keras
    if layer_range is not None:
        names = [layer.name for layer in layers]
        start, end = names.index(layer_range[0]), names.index(layer_range[1]) + 1
        layers = layers[start:end]
    rows = []
    for layer in layers:
        cells = [
            f"{layer.name} ({getattr(layer, 'class_name', type(layer).__name__)})",
            _shape_text(layer),
            _params_text(layer),
        ]
        if not sequential_like:
            cells.append(_connections(model, layer))
        if show_trainable:
            cells.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        rows.append(cells)

    lines = [f'Model: "{model.name}"', _rule(widths, "┏", "┳", "┓", "━")]
    lines += _row(header, widths, aligns, "┃")
    lines.append(_rule(widths, "┡", "╇", "┩", "━"))
    for i, cells in enumerate(rows):
        if i:
            lines.append(_rule(widths, "├", "┼", "┤", "─"))
        lines += _row(cells, widths, aligns, "│")
    lines.append(_rule(widths, "└", "┴", "┘", "─"))

    trainable, trainable_bytes = _count(model.trainable_weights if model.built else [])
    frozen, frozen_bytes = _count(model.non_trainable_weights if model.built else [])
    optimizer = getattr(model, "optimizer", None)
    built = include_optimizer and optimizer is not None and getattr(optimizer, "built", False)
    opt_vars = optimizer.variables if built else []
    opt_count, opt_bytes = _count(opt_vars)
    total = trainable + frozen + opt_count
    lines.append(f" Total params: {total:,} ({readable_size(trainable_bytes + frozen_bytes + opt_bytes)})")
    lines.append(f" Trainable params: {trainable:,} ({readable_size(trainable_bytes)})")
    lines.append(f" Non-trainable params: {frozen:,} ({readable_size(frozen_bytes)})")
    if opt_vars:
        lines.append(f" Optimizer params: {opt_count:,} ({readable_size(opt_bytes)})")
    return lines


def _connections(model, layer) -> str:
    index = {}
    for other in getattr(model, "operations", model.layers):
        for i, node in enumerate(other._inbound_nodes):
            index[id(node)] = i
    parts = []
    for node in layer._inbound_nodes:
        if node not in model._nodes:
            continue
        for t in [*node.inputs, *node.kwarg_tensors]:  # an RNN's initial_state counts too (Keras)
            parts.append(f"{t.node.layer.name}[{index.get(id(t.node), 0)}][{t.index}]")
    return ", ".join(parts) or "-"


def print_summary(model, line_length=None, positions=None, print_fn=None, show_trainable=False, layer_range=None):
    text = "\n".join(summary_lines(model, line_length, positions, show_trainable, layer_range))
    (print_fn or print)(text)


# -- the decks' per-layer ASCII table (deck 004) ------------------------------------------------------
_SYMBOLS = {"Conv2D": "\\ /", "MaxPooling2D": "Y max", "AveragePooling2D": "Y avg", "Dense": "XXXXX"}


_PERCENT = ("deck", "rounded")


def sequential_ascii(model, percent: str = "deck") -> str:
    """The deck's table: OPERATION, DATA DIMENSIONS (channels first, as the deck prints them),
    WEIGHTS(N) and WEIGHTS(%), with the activation of each layer on its own row.

    percent: "deck" prints each layer's share truncated to a whole percent, truncated as the deck
    does (51,264 of 1,087,106 weights: "4.0%"); "rounded" rounds it to one decimal ("4.7%"), as the
    report and the lab show it.
    """
    if percent not in _PERCENT:
        raise ValueError(f"sequential_ascii: percent must be 'deck' or 'rounded'; received {percent!r}.")
    if not model.built:
        raise ValueError(
            f"Model '{model.name}' is not built yet: give the first layer input_shape=, or call the "
            f"model on data, before printing its table."
        )
    total = max(1, sum(w.size for w in model.weights))
    rows = [("OPERATION", "DATA DIMENSIONS", "WEIGHTS(N)", "WEIGHTS(%)")]

    def data_row(shape):
        dims = tuple(shape[1:])
        if len(dims) == 3:  # NHWC -> the deck's C, H, W
            dims = (dims[2], dims[0], dims[1])
        return ("", "#####  " + " ".join(f"{d:>4}" for d in dims), "", "")

    first = model.layers[0]
    input_shape = model.input_shape if hasattr(model, "input_shape") else first._inbound_nodes[-1].inputs[0].shape
    rows.append(("Input",) + data_row(input_shape)[1:])
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            continue
        n = layer.count_params()
        # Truncated as the deck does, to a whole percent: 1,180,160 of 1,250,858 is "94.0%" (94.3% rounded).
        share = f"{100 * n // total:.1f}%" if percent == "deck" else f"{100 * n / total:.1f}%"
        rows.append((f"{type(layer).__name__:<14}{_SYMBOLS.get(type(layer).__name__, ''):>6}", "", f"{n}", share))
        activation = getattr(layer, "activation", None)
        act_name = getattr(activation, "__name__", "")
        shape = layer._inbound_nodes[-1].outputs[0].shape
        label = act_name if act_name and act_name not in ("linear",) else ""
        rows.append((label,) + data_row(shape)[1:])
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(r)).rstrip()
        for r in rows
    ]
    return "\n".join(lines)
