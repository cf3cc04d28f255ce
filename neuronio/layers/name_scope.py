"""Keras's name scopes, which give a variable its path: the layers building (or making their first
call) in this thread, outermost first, then the owning layer's name and the variable's own name."""

import functools
import threading

from neuronio.layers.input_spec import is_shape_list

# Keras's name scopes: the layers building (or making their first call) in this thread, outermost
# first. A variable's path is the scope's names, the owning layer's name and its own name:
# "sequential/dense/kernel" for a Sequential's Dense (built inside the model), "dense/kernel" for
# a layer built on its own or on a functional model's Input (built outside any model).
_scope = threading.local()


class name_scope:
    """Enter `layer`'s scope (once: re-entering the scope already on top is a no-op)."""

    def __init__(self, layer):
        self.layer = layer
        self.entered = False

    def __enter__(self):
        stack = _scope.__dict__.setdefault("stack", [])
        if not stack or stack[-1] is not self.layer:
            stack.append(self.layer)
            self.entered = True
        return self

    def __exit__(self, *exc):
        if self.entered:
            _scope.stack.pop()


def wrap_build(build):
    """`build` run in the layer's name scope and, when called directly (`layer.build(shape)`, as
    Keras allows), marking the layer built, so that its first call does not build it again."""
    if getattr(build, "_neuronio_build", False):
        return build

    @functools.wraps(build)
    def wrapped(self, *args, **kwargs):
        with name_scope(self):
            result = build(self, *args, **kwargs)
        if type(self).build is wrapped and not self.built:  # the outermost build of the class
            self.built = True
            if getattr(self, "_build_shapes", None) is None and args:
                shape = args[0]
                self._build_shapes = [tuple(x) for x in shape] if is_shape_list(shape) else shape
        return result

    wrapped._neuronio_build = True
    return wrapped


def variable_path(layer, name: str) -> str:
    """The path of `layer`'s variable `name` in the current name scope (Keras's rule)."""
    stack = list(getattr(_scope, "stack", ()))
    if stack and stack[-1] is layer:
        stack.pop()
    return "/".join([*(outer.name for outer in stack), layer.name, name])
