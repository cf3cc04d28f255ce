"""Graph helpers of `keras.utils`: `get_source_inputs` (the `Input`s a symbolic tensor comes
from) and `model_to_dot` (the model's diagram as a pydot graph, for Graphviz users). The graph
walk is plot_model's (neuronio.visualize.plot_model), so both show the same boxes and arrows."""

import html

from neuronio.layers.symbolic import SymbolicTensor


def get_source_inputs(tensor):
    """The input tensors (from `Input()`) that `tensor` was computed from, in the order the graph
    first reaches them; an input tensor gives `[tensor]`. Anything that is not a symbolic tensor
    is returned unchanged, as Keras does."""
    if not isinstance(tensor, SymbolicTensor):
        return tensor
    sources, seen, stack = [], set(), [tensor]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        node = current.node
        parents = [] if node is None else [*node.inputs, *node.kwarg_tensors]
        if not parents:
            sources.append(current)
            continue
        stack.extend(reversed(parents))  # depth first, left to right
    return sources


def model_to_dot(
    model,
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    subgraph=False,
    show_layer_activations=False,
    show_trainable=False,
    splines="ortho",
    **kwargs,
):
    """The model as a `pydot.Dot` graph: one record node per layer (its name and class, and the
    details asked for), one edge per connection, Keras's arguments. Needs pydot
    (`pip install 'neuronio[dot]'`); rendering it to an image needs the Graphviz program, which
    `plot_model` does without."""
    from neuronio.visualize.plot_model import _graph, check_arguments

    who = "model_to_dot"
    show_param_counts = kwargs.pop("show_param_counts", False)
    check_arguments(who, model, rankdir, splines, kwargs)
    pydot = _pydot(who)
    show = {
        "shapes": show_shapes,
        "dtype": show_dtype,
        "names": show_layer_names,
        "activations": show_layer_activations,
        "trainable": show_trainable,
        "params": show_param_counts,
    }
    boxes, edges = _graph(model, expand_nested, show)
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name, label=model.name)
    else:
        dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, concentrate=True, dpi=dpi, splines=splines)
        dot.set_node_defaults(shape="record")
    clusters = {}
    for box in boxes:
        node = pydot.Node(str(box.key), label=_label(box), fontname="Helvetica", border=0, margin=0)
        if box.cluster is None:
            dot.add_node(node)
            continue
        if box.cluster not in clusters:
            clusters[box.cluster] = pydot.Cluster(style="dashed", graph_name=box.cluster, label=box.cluster)
            dot.add_subgraph(clusters[box.cluster])
        clusters[box.cluster].add_node(node)
    for source, target in edges:
        dot.add_edge(pydot.Edge(str(source), str(target), penwidth=2))
    return dot


def _label(box) -> str:
    """A Graphviz HTML label: the header on a dark row, one row per detail line."""
    rows = [f'<tr><td bgcolor="black"><font color="white"><b>{html.escape(box.header)}</b></font></td></tr>']
    rows += [f'<tr><td bgcolor="white">{html.escape(line)}</td></tr>' for line in box.lines]
    return f'<<table border="0" cellborder="1" cellpadding="8">{"".join(rows)}</table>>'


def _pydot(who: str):
    try:
        import pydot
    except ImportError as exc:
        raise ImportError(
            f"{who} needs pydot to build a Graphviz graph; install it with `pip install 'neuronio[dot]'` (or "
            "`pip install pydot`). To draw the model without Graphviz, use neuronio.utils.plot_model."
        ) from exc
    return pydot
