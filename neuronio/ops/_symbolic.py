"""The hook that lets `ops.*` calls on symbolic tensors become nodes of a functional graph.

ops sit below layers (STYLE C1.4), so they cannot know SymbolicTensor. layers/op_node.py
registers that tensor type and a handler here; every public op of `neuronio.ops` checks its
arguments against that type and, when one is symbolic, hands the call to the handler instead of
computing. Until a handler is registered the check costs one tuple test.
"""

import functools

_TYPES: tuple = ()
_HANDLER = None


def register(types: tuple, handler) -> None:
    """Called once by neuronio.layers.op_node: symbolic tensor types, and handler(name, fn, args, kwargs)."""
    global _TYPES, _HANDLER
    _TYPES, _HANDLER = tuple(types), handler


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
        if _TYPES and (any(is_symbolic(a) for a in args) or any(is_symbolic(v) for v in kwargs.values())):
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
