"""Symbolic tensors: placeholders with a shape, used to wire layers into a functional model.

`Input(shape=(784,))` returns a SymbolicTensor of shape (None, 784). Calling a layer on symbolic
tensors builds the layer, infers its output shape and records a `Node` (which layer turned which
symbolic inputs into which outputs). `Model(inputs, outputs)` later walks those nodes.

Arithmetic, indexing and `ops.*` calls on symbolic tensors record nodes too, as in Keras 3
(`x = inputs * 2.0 + 1; x = ops.relu(x); x = x[:, :10]`): each becomes an OpLayer
(layers/op_node.py), registered with neuronio.ops below.
"""

import numpy as np

from neuronio.ops import _symbolic


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

    # Tensors are graph nodes: identity decides equality (== is not overloaded, as in Keras).
    __hash__ = object.__hash__

    # -- operators: each records the keras.ops call Keras 3 records ---------------------------
    def __add__(self, other):
        return _ops().add(self, other)

    def __radd__(self, other):
        return _ops().add(other, self)

    def __sub__(self, other):
        return _ops().subtract(self, other)

    def __rsub__(self, other):
        return _ops().subtract(other, self)

    def __mul__(self, other):
        return _ops().multiply(self, other)

    def __rmul__(self, other):
        return _ops().multiply(other, self)

    def __truediv__(self, other):
        return _ops().true_divide(self, other)

    def __rtruediv__(self, other):
        return _ops().true_divide(other, self)

    def __floordiv__(self, other):
        return _ops().floor_divide(self, other)

    def __mod__(self, other):
        return _ops().mod(self, other)

    def __pow__(self, other):
        return _ops().power(self, other)

    def __rpow__(self, other):
        return _ops().power(other, self)

    def __matmul__(self, other):
        return _ops().matmul(self, other)

    def __rmatmul__(self, other):
        return _ops().matmul(other, self)

    def __neg__(self):
        return _ops().negative(self)

    def __abs__(self):
        return _ops().absolute(self)

    def __lt__(self, other):
        return _ops().less(self, other)

    def __le__(self, other):
        return _ops().less_equal(self, other)

    def __gt__(self, other):
        return _ops().greater(self, other)

    def __ge__(self, other):
        return _ops().greater_equal(self, other)

    def __and__(self, other):
        return _ops().logical_and(self, other)

    def __or__(self, other):
        return _ops().logical_or(self, other)

    def __invert__(self):
        return _ops().logical_not(self)

    def __getitem__(self, key):
        return _ops().get_item(self, key)

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


class Node:
    """One call of a layer in a functional graph: `outputs = layer(inputs)`."""

    def __init__(self, layer, inputs: list, outputs: list, call_kwargs: dict):
        self.layer = layer
        self.inputs = inputs  # list of SymbolicTensor
        self.outputs = outputs  # list of SymbolicTensor
        self.call_kwargs = call_kwargs  # non-tensor keyword arguments given at the call
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


def _ops():
    from neuronio import ops

    return ops


def _record_op(name: str, fn, args: tuple, kwargs: dict):
    """An ops.* call on symbolic tensors: a new OpLayer records it as a graph node."""
    from neuronio.layers.op_node import OpLayer

    return OpLayer(name).record(args, kwargs)


_symbolic.register((SymbolicTensor,), _record_op)
