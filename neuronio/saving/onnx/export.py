"""`model.export(path, format="onnx")`: a neuronio model as an ONNX graph for ONNX runtimes.

The model's layer graph is walked in the order neuronio runs it; each layer becomes the ONNX nodes
its converter writes (converters.py), with its current weights as initializers. Inputs and outputs
keep neuronio's channels-last shapes and the batch axis is left free ("batch"), so the exported
model takes exactly what `model.predict` takes and returns what it returns. Training-only layers
(Dropout, augmentation) become identities, as they are in `predict`.
"""

import os

import numpy as np

from neuronio.errors import NeuronioError
from neuronio.layers.core import InputLayer
from neuronio.saving.keras_archive import atomic_write
from neuronio.saving.onnx import sequences, vision  # noqa: F401 (they register their layers' converters)
from neuronio.saving.onnx.converters import CONVERTERS
from neuronio.saving.onnx.graph import ExportError, GraphBuilder, Value

OPSET = 17  # supported by every onnxruntime since 1.11 (2022)


def _onnx():
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "Exporting to ONNX needs the `onnx` package: pip install 'neuronio[onnx]' (or pip install onnx)."
        ) from exc
    return onnx


def _nodes(model) -> tuple[list, list, list]:
    """(input tensors, [(layer, input tensors, output tensors)], output tensors) of a built model."""
    if hasattr(model, "_nodes"):  # functional
        steps = [(n.layer, n.inputs, n.outputs) for n in model._nodes if not isinstance(n.layer, InputLayer)]
        for n in model._nodes:
            if getattr(n, "kwarg_tensors", None):  # e.g. an RNN's initial_state from another layer
                raise ExportError(
                    f"'{n.layer.name}' is called with tensors as keyword arguments "
                    f"({', '.join(sorted(n.call_kwargs))}), which the ONNX export does not carry."
                )
        return list(model._inputs), steps, list(model._outputs)
    if hasattr(model, "_stack"):  # Sequential: each layer's node that reads the previous output
        if model._input_layer is None:
            raise ExportError(
                f"Sequential '{model.name}' has no input shape yet, so its graph is unknown; start it with "
                f"layers.Input(shape=...) or call it on data once before exporting."
            )
        current = model._input_layer.output
        first, steps = current, []
        for layer in model._stack:
            node = next((n for n in layer._inbound_nodes if n.inputs and n.inputs[0] is current), None)
            if node is None:
                raise ExportError(f"layer '{layer.name}' of '{model.name}' was never called on the model's graph.")
            steps.append((layer, node.inputs, node.outputs))
            current = node.outputs[0]
        return [first], steps, [current]
    raise ExportError(
        f"'{type(model).__name__}' is not a Sequential or functional model; subclassed models "
        f"have no static graph to export."
    )


def _unsupported(model, found=None) -> list[str]:
    """Names of every layer (nested models included) that has no converter."""
    found = [] if found is None else found
    for layer, _, _ in _nodes(model)[1]:
        if hasattr(layer, "_nodes") or hasattr(layer, "_stack"):
            _unsupported(layer, found)
        elif type(layer) not in CONVERTERS:
            found.append(f"'{layer.name}' ({type(layer).__name__})")
    return found


def _convert(g: GraphBuilder, model, inputs: list[Value]) -> list[Value]:
    """Write the nodes of `model` reading `inputs`; returns its outputs."""
    model_inputs, steps, model_outputs = _nodes(model)
    values = {id(t): v for t, v in zip(model_inputs, inputs)}
    for layer, ins, outs in steps:
        args = [values[id(t)] for t in ins]
        if hasattr(layer, "_nodes") or hasattr(layer, "_stack"):
            results = _convert(g, layer, args)
        else:
            results = CONVERTERS[type(layer)](g, layer, args if len(ins) > 1 else args[0])
            results = results if isinstance(results, list) else [results]
        for t, v in zip(outs, results):
            values[id(t)] = Value(v.name, tuple(t.shape), v.layout)  # the layer's own shape is authoritative
    return [values[id(t)] for t in model_outputs]


def to_onnx(model):
    """The ONNX ModelProto of a built neuronio model (raises ExportError naming unsupported layers)."""
    onnx = _onnx()
    missing = _unsupported(model)
    if missing:
        raise ExportError(
            f"ONNX export of '{model.name}' is not possible: no ONNX form for {', '.join(missing)}. "
            f"Remove or replace these layers, or save with model.save('model.keras') instead."
        )
    g = GraphBuilder(onnx)
    model_inputs = _nodes(model)[0]
    inputs = [Value(g.fresh(t.node.layer.name), tuple(t.shape)) for t in model_inputs]
    outputs = [g.as_logical(v) for v in _convert(g, model, inputs)]
    graph_outputs = []
    for k, v in enumerate(outputs):  # named outputs, each a distinct graph value
        name = g.node("Identity", [v.name], "output" if len(outputs) == 1 else f"output_{k}")
        graph_outputs.append(Value(name, v.shape))

    def info(v, dtype="float32"):
        dims = ["batch" if d is None else int(d) for d in v.shape]
        element = onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))  # an Input's dtype: token ids stay ints
        return onnx.helper.make_tensor_value_info(v.name, element, dims)

    graph_inputs = [info(v, t.dtype) for v, t in zip(inputs, model_inputs)]
    graph = onnx.helper.make_graph(g.nodes, model.name, graph_inputs, [info(v) for v in graph_outputs], g.initializers)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", OPSET)], producer_name="neuronio")
    proto.ir_version = 8  # the IR of opset 17, readable by older runtimes too
    onnx.checker.check_model(proto)
    return proto


def export_onnx(model, filepath, verbose: bool = True) -> None:
    """Write `model` to `filepath` as ONNX (atomically: an existing file stays until the new one is whole)."""
    filepath = os.fspath(filepath)
    proto = to_onnx(model)
    try:
        atomic_write(filepath, lambda f: f.write(proto.SerializeToString()))
    except OSError as exc:
        raise NeuronioError(f"Could not write {filepath}: {exc.strerror or exc}.") from exc
    if verbose:
        print(f"Saved the ONNX model of '{model.name}' to {filepath} (opset {OPSET}).")
