"""Symbolic tensors: placeholders with a shape, used to wire layers into a functional model.

`Input(shape=(784,))` returns a SymbolicTensor of shape (None, 784). Calling a layer on symbolic
tensors builds the layer, infers its output shape and records a `Node` (which layer turned which
symbolic inputs into which outputs). `Model(inputs, outputs)` later walks those nodes.

Arithmetic, indexing and `ops.*` calls on symbolic tensors record nodes too, as in Keras 3
(`x = inputs * 2.0 + 1; x = ops.relu(x); x = x[:, :10]`): each becomes an OpLayer
(layers/op_node.py, which registers SymbolicTensor with neuronio.ops; the layers package
imports it, so the hook is in place whenever a SymbolicTensor can exist).
"""

import numpy as np

from neuronio.layers.input_spec import check_input, is_shape_list


class SymbolicTensor:
    """A placeholder: shape (None for the batch axis), dtype, and the node that produced it."""

    def __init__(self, shape, dtype="float32", name=None, node=None, index=0):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.name = name
        self.node = node  # the Node that produced this tensor
        self.index = index  # which of the node's outputs it is

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype.name}, name={self.name}>"

    # As Keras 3's KerasTensor: == is identity (so `x in [inputs]` and `list.index` find a
    # placeholder), while != records a not_equal node (set with the other operators below).
    __hash__ = object.__hash__

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            f"{self!r} is a symbolic placeholder with no values: it cannot become a NumPy array. Inside a "
            f"functional model use neuronio.ops functions (they accept symbolic tensors), or a Lambda layer."
        )

    def __bool__(self):
        raise TypeError(
            f"{self!r} has no value yet, so it cannot be used as a Python bool (in `if` or `and`). Use "
            f"ops.where / ops.cond on tensors, or move the logic into a custom layer's call()."
        )


def _operator(op_name: str, reflected: bool = False):
    """A Python operator of SymbolicTensor: it records the keras.ops call Keras 3 records for it."""

    def operator(self, *other):
        from neuronio import ops

        args = (*other, self) if reflected else (self, *other)
        return getattr(ops, op_name)(*args)

    operator.__name__ = op_name
    return operator


_OPERATORS = {
    "add": "add",
    "sub": "subtract",
    "mul": "multiply",
    "truediv": "true_divide",
    "floordiv": "floor_divide",
    "mod": "mod",
    "pow": "power",
    "matmul": "matmul",
    "lt": "less",
    "le": "less_equal",
    "gt": "greater",
    "ge": "greater_equal",
    "ne": "not_equal",  # Keras 3 records != as a node, but keeps == as identity (below)
    "and": "logical_and",
    "or": "logical_or",
}
for _dunder, _op in _OPERATORS.items():
    setattr(SymbolicTensor, f"__{_dunder}__", _operator(_op))
    if _dunder not in ("lt", "le", "gt", "ge", "ne"):  # Python reflects comparisons by itself
        setattr(SymbolicTensor, f"__r{_dunder}__", _operator(_op, reflected=True))
for _dunder, _op in {"neg": "negative", "abs": "absolute", "invert": "logical_not", "getitem": "get_item"}.items():
    setattr(SymbolicTensor, f"__{_dunder}__", _operator(_op))


class Node:
    """One call of a layer in a functional graph: `outputs = layer(inputs)`."""

    def __init__(self, layer, inputs: list, outputs: list, call_kwargs: dict):
        self.layer = layer
        self.inputs = inputs  # list of SymbolicTensor
        self.outputs = outputs  # list of SymbolicTensor
        self.call_kwargs = call_kwargs  # keyword arguments given at the call (may hold tensors)
        # Symbolic tensors inside call_kwargs (an RNN's initial_state): inputs of the node too.
        self.kwarg_tensors = [
            t for v in call_kwargs.values() for t in (v if isinstance(v, (list, tuple)) else [v])
            if isinstance(t, SymbolicTensor)
        ]  # fmt: skip
        self.input_structure = None  # "single" or "list" (how the layer received inputs)
        # call()'s further positional arguments (SymbolicTensors, None, or lists of them): their
        # tensors follow the first argument's `first_count` tensors in `inputs`.
        self.first_count = len(inputs)
        self.extra_args = ()
        self.first_by_name = None  # call()'s first argument's name when it was passed by name (Keras writes it so)

    @property
    def parent_nodes(self) -> list:
        return [t.node for t in self.inputs if t.node is not None]


def is_symbolic(value) -> bool:
    if isinstance(value, SymbolicTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, SymbolicTensor) for v in value)
    return False


def _symbolic_leaves(value) -> list:
    """The tensors in call()'s further arguments: each must be symbolic (None allowed) in a symbolic call."""
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _symbolic_leaves(item)]
    return [] if value is None else [value]


def record_call(layer, inputs, kwargs, args=()):
    """A layer called on symbolic inputs (Layer.__call__'s step 1): build it, check the inputs
    against its spec, infer its output shapes and record the call as a Node; the symbolic outputs.
    `args`: call()'s further positional tensors (layers/call_args.py), inputs of the node too."""
    first_by_name = kwargs.pop("__first__", None)  # layer(a=x, b=y): call_args.FIRST_BY_NAME
    flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    extra = _symbolic_leaves(args)
    for x in flat + extra:
        if not isinstance(x, SymbolicTensor):
            raise TypeError(
                f"Layer '{layer.name}' received a mix of symbolic and concrete inputs "
                f"({type(x).__name__}); in a functional model every input must come from Input()."
            )
    shapes = [x.shape for x in flat] if isinstance(inputs, (list, tuple)) else flat[0].shape
    layer._maybe_build(shapes)
    for i, x in enumerate(flat):
        check_input(layer._spec_for(i), x.shape, layer, i)
    node = Node(layer, flat + extra, [], kwargs)
    if args or node.kwarg_tensors:  # every tensor argument has a say in the output shape
        out_shape = layer._output_shape_with_args(inputs, args, kwargs)
    else:
        out_shape = layer.compute_output_shape(shapes)
    multiple = is_shape_list(out_shape)
    out_shapes = out_shape if multiple else [out_shape]
    node.first_count, node.extra_args, node.first_by_name = len(flat), tuple(args), first_by_name
    node.input_structure = "list" if isinstance(inputs, (list, tuple)) else "single"
    node.outputs = [
        SymbolicTensor(
            s, dtype=layer.dtype, name=layer.name if len(out_shapes) == 1 else f"{layer.name}_{i}", node=node, index=i
        )
        for i, s in enumerate(out_shapes)
    ]
    layer._inbound_nodes.append(node)
    return node.outputs if multiple else node.outputs[0]
