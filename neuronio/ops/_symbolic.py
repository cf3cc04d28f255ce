"""The hook that lets `ops.*` calls on symbolic tensors become nodes of a functional graph.

ops sit below layers (STYLE C1.4), so they cannot know SymbolicTensor. layers/op_node.py
registers that tensor type and a handler here; every public op of `neuronio.ops` checks its
arguments against that type and, when one is symbolic, hands the call to the handler instead of
computing. Until a handler is registered the check costs one tuple test.
"""

import functools

import numpy as np

from neuronio.autodiff.tensor import Tensor, Variable

_TYPES: tuple = ()
_HANDLER = None
_CONCRETE = (Tensor, Variable, np.ndarray, float, int, bool, str, type(None))  # never symbolic


def register(types: tuple, handler) -> None:
    """Called once by neuronio.layers.op_node: symbolic tensor types, and handler(name, fn, args, kwargs)."""
    global _TYPES, _HANDLER
    _TYPES, _HANDLER = tuple(types), handler


def _any_symbolic(values) -> bool:
    """Whether any of `values` is or holds a symbolic tensor (concrete arrays and numbers cost one type test)."""
    for value in values:
        if type(value) not in _CONCRETE and is_symbolic(value):
            return True
    return False


def is_symbolic(value) -> bool:
    if isinstance(value, _TYPES):
        return True
    if type(value) in (list, tuple):
        return any(is_symbolic(v) for v in value)
    if type(value) is dict:
        return any(is_symbolic(v) for v in value.values())
    return False


def symbolic_aware(name: str, fn):
    """`fn`, computing as before on concrete values and recording a graph node on symbolic ones."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if _TYPES and (_any_symbolic(args) or (kwargs and _any_symbolic(kwargs.values()))):
            return _HANDLER(name, fn, args, kwargs)
        return fn(*args, **kwargs)

    op.raw = fn
    return op


def refuse_symbolic(name: str, fn):
    """`fn` (a control-flow op taking Python functions) with a clear error on symbolic tensors:
    its branches are code, which a functional graph (and its .keras file) cannot hold."""

    @functools.wraps(fn)
    def op(*args, **kwargs):
        if _TYPES and (any(is_symbolic(a) for a in args) or any(is_symbolic(v) for v in kwargs.values())):
            raise TypeError(
                f"ops.{name} was called on a symbolic tensor while building a functional model. Its "
                f"branches/bodies are Python functions, which a model graph cannot record or save. Do this "
                f"inside a keras.layers.Lambda layer or a custom layer's call(), where tensors have values."
            )
        return fn(*args, **kwargs)

    op.raw = fn
    return op
