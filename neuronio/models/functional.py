"""Functional models: a graph of layer calls from symbolic inputs to symbolic outputs."""

import numpy as np

from neuronio import ops
from neuronio.autodiff.tensor import Tensor, with_mask
from neuronio.errors import FileFormatError, ShapeError
from neuronio.layers.call_args import argument_masks, map_tensors
from neuronio.layers.core import InputLayer
from neuronio.layers.op_node import OpLayer
from neuronio.layers.symbolic import SymbolicTensor
from neuronio.models import graph_config
from neuronio.models.model import Model
from neuronio.saving.object_registration import custom_object_scope
from neuronio.saving.serialization import deserialize_layer, serialize_layer


def _as_list(value) -> tuple[list, bool]:
    if isinstance(value, (list, tuple)):
        return list(value), True
    return [value], False


def adjust_input_rank(value, expected_shape, name: str):
    """Keras's rule for data one axis off its Input: a trailing axis of size 1 is added when the
    Input ends in 1 ((N, 28, 28) into Input((28, 28, 1))) or dropped when the data ends in 1."""
    shape = value.data.shape if isinstance(value, Tensor) else np.shape(value)
    rank, expected = len(shape), len(expected_shape)
    if rank == expected:
        return value
    if rank == expected - 1 and expected_shape[-1] == 1:
        return ops.expand_dims(value, -1) if isinstance(value, Tensor) else np.expand_dims(value, -1)
    if rank == expected + 1 and shape[-1] == 1:
        return ops.squeeze(value, -1) if isinstance(value, Tensor) else np.squeeze(value, -1)
    raise ShapeError(
        f"Invalid input shape for layer '{name}' (the model's input): expected shape {tuple(expected_shape)} "
        f"(rank {expected}), but received shape {tuple(shape)}, which is incompatible (only a trailing "
        f"axis of size 1 is added or dropped). Reshape the data to the Input's shape, batch axis first."
    )


class Functional(Model):
    """`Model(inputs, outputs)`: runs the recorded layer calls in topological order.

    Supports several inputs and outputs, shared layers (one layer called at several places) and
    merge layers. Built from `Input()` tensors and layers called on them.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct, self._outputs_struct = inputs, outputs  # `input`/`output`, as given
        self._inputs, self._multi_input = _as_list(inputs)
        self._outputs, self._multi_output = _as_list(outputs)
        for kind, tensors in (("inputs", self._inputs), ("outputs", self._outputs)):
            for t in tensors:
                if not isinstance(t, SymbolicTensor):
                    raise TypeError(
                        f"Model(inputs, outputs) expects symbolic tensors from Input() and layer calls; "
                        f"{kind} holds a {type(t).__name__}."
                    )
        for t in self._inputs:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(
                    f"Model inputs must come straight from Input(); '{t.name}' was produced by layer "
                    f"'{t.node.layer.name}'."
                )
        self._nodes = self._topological_nodes()
        self._graph_layers = []
        for node in self._nodes:
            if node.layer not in self._graph_layers:
                self._graph_layers.append(node.layer)
        self._layers = [layer for layer in self._graph_layers]
        self.built = True
        self._build_shapes = [t.shape for t in self._inputs] if self._multi_input else self._inputs[0].shape

    def _topological_nodes(self) -> list:
        """Every node between the inputs and the outputs, each after the nodes it reads from.

        Keras's order: decreasing depth (distance from the outputs), ties broken by a post-order
        walk that visits a node's inputs in order. Summaries and `layers` list layers this way.
        """
        input_ids = {id(t) for t in self._inputs}
        order, state = [], {}
        for out in self._outputs:
            stack = [(out.node, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    state[id(node)] = "done"
                    order.append(node)
                    continue
                if state.get(id(node)) == "done":
                    continue
                state[id(node)] = "open"
                stack.append((node, True))
                for t in reversed([*node.inputs, *node.kwarg_tensors]):
                    if id(t) in input_ids or state.get(id(t.node)) == "done":
                        continue
                    if isinstance(t.node.layer, InputLayer):
                        raise ValueError(
                            f"Graph disconnected: the outputs depend on input '{t.name}', which is not "
                            f"among the model's inputs ({', '.join(i.name for i in self._inputs)}). "
                            f"Pass it in Model(inputs=[...])."
                        )
                    stack.append((t.node, False))
        input_nodes = [t.node for t in self._inputs]
        order = input_nodes + [n for n in order if n not in input_nodes]
        depth = {id(n): 0 for n in order}
        for node in reversed(order):
            for t in [*node.inputs, *node.kwarg_tensors]:
                if id(t.node) in depth:
                    depth[id(t.node)] = max(depth[id(t.node)], depth[id(node)] + 1)
        position = {id(n): i for i, n in enumerate(order)}
        return sorted(order, key=lambda n: (-depth[id(n)], position[id(n)]))

    # -- Layer API --------------------------------------------------------------------------------
    @property
    def layers(self) -> list:
        """The layers in graph order; op nodes (ops.* calls on symbolic tensors) are left out, as Keras does."""
        return [layer for layer in self._graph_layers if not isinstance(layer, OpLayer)]

    @property
    def operations(self) -> list:
        """Every node's layer or op in graph order (Keras's Model.operations)."""
        return list(self._graph_layers)

    @property
    def inputs(self) -> list:
        return list(self._inputs)

    @property
    def input(self):
        """The inputs as given to the constructor (one tensor, or a list), as in Keras."""
        return self._inputs_struct

    @property
    def output(self):
        """The outputs as given to the constructor (one tensor, or a list), as in Keras."""
        return self._outputs_struct

    @property
    def outputs(self) -> list:
        return list(self._outputs)

    @property
    def input_shape(self):
        """The inputs' shapes: one tuple for one input, else a list of them, as in Keras."""
        return _one_or_list([tuple(t.shape) for t in self._inputs])

    @property
    def output_shape(self):
        """The outputs' shapes: one tuple for one output, else a list of them, as in Keras."""
        return _one_or_list([tuple(t.shape) for t in self._outputs])

    @property
    def input_names(self) -> list[str]:
        return [t.node.layer.name for t in self._inputs]

    @property
    def output_names(self) -> list[str]:
        return [t.node.layer.name for t in self._outputs]

    def call(self, inputs, training=None):
        values, _ = _as_list(inputs)
        if isinstance(inputs, dict):
            values = [inputs[name] for name in self.input_names]
        if len(values) != len(self._inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self._inputs)} input(s) ({', '.join(self.input_names)}), "
                f"but received {len(values)}."
            )
        values = [adjust_input_rank(v, t.shape, t.name) for v, t in zip(values, self._inputs)]
        computed = {id(t): v for t, v in zip(self._inputs, values)}
        masks = {}  # id(symbolic tensor) -> its mask, for the tensors that have one (Keras)
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            first = node.inputs[: node.first_count] if node.extra_args else node.inputs
            args = [computed[id(t)] for t in first]
            in_masks = [masks.get(id(t)) for t in first]
            as_list = node.input_structure == "list"
            mask = (in_masks if any(m is not None for m in in_masks) else None) if as_list else in_masks[0]
            kwargs = _map_tensors(node.call_kwargs, lambda t: computed[id(t)])  # e.g. initial_state
            extra = map_tensors(node.extra_args, lambda t: computed[id(t)])  # call()'s further tensors
            if node.extra_args and masks:  # Keras: <argument>_mask for each tensor argument call() takes it for
                symbolic_first = first if as_list else first[0]
                kwargs.update(
                    argument_masks(node.layer, symbolic_first, node.extra_args, kwargs, lambda t: masks.get(id(t)))
                )
            outs, out_mask = node.layer.call_with_mask(
                args if as_list else args[0], mask, *extra, training=training, **kwargs
            )
            outs = outs if isinstance(outs, (list, tuple)) else [outs]
            out_masks = out_mask if isinstance(out_mask, list) and len(outs) > 1 else [out_mask] * len(outs)
            for t, value, m in zip(node.outputs, outs, out_masks):
                computed[id(t)] = value
                if m is not None:
                    masks[id(t)] = m
        results = [with_mask(computed[id(t)], masks.get(id(t))) for t in self._outputs]  # masks for the loss (Keras)
        return results if self._multi_output else results[0]

    def compute_output_shape(self, input_shape):
        shapes = [t.shape for t in self._outputs]
        return shapes if self._multi_output else shapes[0]

    # -- config ------------------------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras 3's functional config: layers with inbound nodes, input and output layers."""
        node_index = {}
        for layer in self._graph_layers:
            for i, node in enumerate(layer._inbound_nodes):
                node_index[id(node)] = i

        def history(t):
            return [t.node.layer.name, node_index[id(t.node)], t.index]

        def keras_tensor(t):
            return {
                "class_name": "__keras_tensor__",
                "config": {"shape": list(t.shape), "dtype": t.dtype.name, "keras_history": history(t)},
            }

        layer_configs = []
        for layer in self._graph_layers:
            if isinstance(layer, OpLayer):  # an ops.* node: Keras's Operation entry
                layer_configs.append(
                    {**layer.keras_entry(), "name": layer.name, "inbound_nodes": [layer.node_config(keras_tensor)]}
                )
                continue
            entry = serialize_layer(layer)
            entry["name"] = layer.name
            inbound = []
            for node in layer._inbound_nodes:
                if node not in self._nodes or isinstance(layer, InputLayer):
                    continue
                tensors = [keras_tensor(t) for t in node.inputs[: node.first_count]]
                args = [tensors] if node.input_structure == "list" else tensors
                args += [_jsonable(a) for a in map_tensors(node.extra_args, keras_tensor)]  # as Keras 3 writes them
                kwargs = _map_tensors(node.call_kwargs, keras_tensor)
                if node.first_by_name:  # layer(a=x, b=y): Keras writes no args, every tensor by name
                    args, kwargs = [], {node.first_by_name: args[0], **kwargs}
                inbound.append({"args": args, "kwargs": kwargs})
            entry["inbound_nodes"] = inbound
            layer_configs.append(entry)
        inputs = [history(t) for t in self._inputs]
        outputs = [history(t) for t in self._outputs]
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": inputs if self._multi_input else inputs[0],
            "output_layers": outputs if self._multi_output else outputs[0],
        }

    @classmethod
    def from_config(cls, config_dict: dict, who: str = "config", custom_objects=None):
        """Rebuild the graph: create each layer, then replay its calls in file order.
        `custom_objects` maps the names of the user's own layers to their classes."""
        graph_config.check(config_dict, who)  # faults of the file: FileFormatError; bugs propagate
        with custom_object_scope(custom_objects):
            return _rebuild(cls, config_dict, who)


def _map_tensors(kwargs: dict, fn) -> dict:
    """kwargs with every SymbolicTensor (alone or in a list) replaced by fn(tensor)."""

    def one(v):
        return fn(v) if isinstance(v, SymbolicTensor) else v

    return {k: [one(x) for x in v] if isinstance(v, (list, tuple)) else one(v) for k, v in kwargs.items()}


def _map_refs(kwargs: dict, tensor) -> dict:
    """kwargs from a file with every `__keras_tensor__` reference resolved by `tensor`."""

    def one(v):
        return tensor(v) if isinstance(v, dict) and v.get("class_name") == "__keras_tensor__" else v

    return {k: [one(x) for x in v] if isinstance(v, list) else one(v) for k, v in kwargs.items()}


def _jsonable(value):
    """A further call argument for the config: tuples as JSON lists."""
    return [_jsonable(v) for v in value] if isinstance(value, (list, tuple)) else value


def _resolve(value, tensor):
    """A positional argument from a file (checked by graph_config): tensor references resolved by
    `tensor`, lists of them kept as lists, None as None."""
    if graph_config.is_tensor(value):
        return tensor(value)
    return [_resolve(v, tensor) for v in value] if isinstance(value, list) else value


class _NotYet(KeyError):
    """A node's input is made later in the replay (a KeyError, as layers/op_node.py expects)."""


def _rebuild(cls, config_dict, who):
    created, outputs_of = {}, {}  # layer name -> layer; (layer name, node index) -> outputs
    pending = list(config_dict["layers"])
    for entry in pending:
        if str(entry.get("module", "")).startswith("keras.src.ops."):
            created[entry["name"]] = OpLayer.from_keras_entry(entry)
        else:
            created[entry["name"]] = deserialize_layer(entry, who) if entry["class_name"] != "InputLayer" else None
    # InputLayers produce their tensor at construction.
    for entry in pending:
        if entry["class_name"] == "InputLayer":
            layer_cfg = dict(entry["config"])
            layer = InputLayer.from_config(layer_cfg)
            created[entry["name"]] = layer
            outputs_of[(entry["name"], 0)] = [layer.output]

    def tensor(ref):
        if not graph_config.is_tensor(ref):
            raise FileFormatError(f"{who}: malformed functional model config: {ref!r} is not a tensor reference.")
        name, node_i, tensor_i = graph_config.history(ref)
        if name not in created:
            raise FileFormatError(f"{who}: the layer graph refers to a layer {name!r} that does not exist.")
        if (name, node_i) not in outputs_of:
            raise _NotYet(name)  # made later in the replay (or never: then the replay stops)
        outs = outputs_of[(name, node_i)]
        if tensor_i >= len(outs):
            raise FileFormatError(
                f"{who}: the layer graph refers to output {tensor_i} of layer {name!r}, which has {len(outs)}."
            )
        return outs[tensor_i]

    # Replay calls until every node is made (a node waits until its inputs exist).
    remaining = [
        (entry, i, node)
        for entry in pending
        if entry["class_name"] != "InputLayer"
        for i, node in enumerate(entry.get("inbound_nodes", []))
    ]
    while remaining:
        progress = False
        for item in list(remaining):
            entry, i, node = item
            layer = created[entry["name"]]
            if isinstance(layer, OpLayer):
                try:
                    out = layer.replay(node, tensor)
                except _NotYet:
                    continue
                outputs_of[(entry["name"], i)] = out if isinstance(out, list) else [out]
                remaining.remove(item)
                progress = True
                continue
            args = node["args"]  # the first argument (a tensor or a list of them), then call()'s further ones
            try:
                args = [_resolve(a, tensor) for a in args]
                kwargs = _map_refs(node.get("kwargs") or {}, tensor)  # tensors in kwargs: initial_state
            except _NotYet:
                continue
            layer = created[entry["name"]]
            out = layer(*args, **kwargs)
            outputs_of[(entry["name"], i)] = out if isinstance(out, list) else [out]
            remaining.remove(item)
            progress = True
        if not progress:
            raise FileFormatError(f"{who}: the layer graph refers to layers or nodes that do not exist.")

    def collect(spec):
        try:
            return [tensor(s) for s in spec] if spec and isinstance(spec[0], list) else tensor(spec)
        except _NotYet as missing:
            raise FileFormatError(
                f"{who}: the model's inputs or outputs name a node of {missing} that is never made."
            ) from None

    return cls(
        collect(config_dict["input_layers"]),
        collect(config_dict["output_layers"]),
        name=config_dict.get("name"),
        trainable=config_dict.get("trainable", True),
    )


def _one_or_list(shapes: list):
    return shapes[0] if len(shapes) == 1 else shapes
