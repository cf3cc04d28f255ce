"""Symbolic tensors: placeholders with a shape, used to wire layers into a functional model.

`Input(shape=(784,))` returns a SymbolicTensor of shape (None, 784). Calling a layer on symbolic
tensors builds the layer, infers its output shape and records a `Node` (which layer turned which
symbolic inputs into which outputs). `Model(inputs, outputs)` later walks those nodes.
"""

import numpy as np


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

    # Tensors are graph nodes: identity decides equality.
    __hash__ = object.__hash__


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

    @property
    def parent_nodes(self) -> list:
        return [t.node for t in self.inputs if t.node is not None]


def is_symbolic(value) -> bool:
    if isinstance(value, SymbolicTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(isinstance(v, SymbolicTensor) for v in value)
    return False
