"""Keras 3's calling convention for a layer whose call() takes several tensors.

`layer(a, b, k=3)` binds its arguments to call()'s signature as Python would: the first
positional argument is `inputs` (the one the input spec and `build` see), the further positional
arguments are tensors (or None, or lists/tuples of them) for call()'s next parameters, and every
other value goes by keyword; `training` only by keyword. As in Keras, a non-tensor value given
positionally is refused with a ValueError that says to pass it by keyword. A symbolic call records
every tensor argument as an input of its node (layers/symbolic.py), so the functional model feeds
each one, and its config writes them as Keras 3 writes an inbound node: {"args": [...], "kwargs": {...}}.
"""

import inspect

import numpy as np

from neuronio.autodiff.tape import no_grad
from neuronio.autodiff.tensor import Tensor
from neuronio.layers.symbolic import SymbolicTensor
from neuronio.ops.elementwise import cast

_LEAVES = (Tensor, SymbolicTensor, np.ndarray)
FIRST_BY_NAME = "__first__"  # kwargs key: the name call()'s first argument was given by (a symbolic call)
_SIGNATURES: dict = {}  # layer class -> inspect.Signature of its call (self included)


def leaves(value) -> list:
    """The tensors (Tensor, SymbolicTensor or array) in a value or in nested lists/tuples of them."""
    if isinstance(value, _LEAVES):
        return [value]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in leaves(item)]
    return []


def map_tensors(value, fn):
    """`value` with fn applied to each tensor in it (nested lists/tuples kept as lists/tuples)."""
    if isinstance(value, _LEAVES):
        return fn(value)
    if isinstance(value, (list, tuple)):
        return type(value)(map_tensors(item, fn) for item in value)
    return value


def _tensor_like(value) -> bool:
    if value is None or isinstance(value, _LEAVES):
        return True
    return isinstance(value, (list, tuple)) and all(_tensor_like(item) for item in value)


def _signature(cls) -> inspect.Signature:
    signature = _SIGNATURES.get(cls)
    if signature is None:
        signature = _SIGNATURES[cls] = inspect.signature(cls.call)
    return signature


def bound_names(layer, inputs, args, kwargs) -> list:
    """The names of call()'s parameters that `inputs, *args` fill, in order; a TypeError in Keras's
    words plus the layer's name when the arguments do not fit call()'s signature."""
    try:
        bound = _signature(type(layer)).bind(layer, inputs, *args, **kwargs)
    except TypeError as error:
        raise TypeError(
            f"Layer '{layer.name}' ({type(layer).__name__}.call{_signature(type(layer))}) cannot take the "
            f"arguments it was called with: {error}. Pass call()'s tensors positionally in its order and "
            f"every other argument by keyword."
        ) from None
    return list(bound.arguments)[1 : 2 + len(args)]


class _NoInputs:
    def __repr__(self):
        return "<no positional argument>"


NO_INPUTS = _NoInputs()  # Layer.__call__'s default: call()'s first argument is then taken by its name


def positional_args(layer, inputs, args: tuple, kwargs: dict) -> tuple:
    """Check and prepare the further positional arguments of `layer(inputs, *args, **kwargs)`.

    Returns (inputs, args, symbolic): symbolic when any argument is a SymbolicTensor (the call then
    records a node and `args` are kept as given); otherwise `args` with arrays as Tensors (floats in
    the layer's dtype, as Keras autocasts them; other dtypes kept). When every argument came by
    name (`layer(a=x, b=y)`), call()'s first one is taken out of `kwargs` as `inputs`, and
    `kwargs["__first__"]` remembers its name for the node (symbolic.py). The layer is built first
    when its `build` takes one `<argument>_shape` per tensor argument, as Keras's does."""
    if inputs is NO_INPUTS:
        first = next(iter(list(_signature(type(layer)).parameters)[1:2]), None)
        if first not in kwargs:
            raise TypeError(
                f"Layer '{layer.name}' was called without its first argument ({first!r} of "
                f"{type(layer).__name__}.call{_signature(type(layer))}). Pass the input tensor, e.g. layer(x)."
            )
        inputs = kwargs.pop(first)
        kwargs[FIRST_BY_NAME] = first
    for arg in args:
        if not _tensor_like(arg):
            raise ValueError(
                f"Layer '{layer.name}': only input tensors may be passed as positional arguments (as in Keras "
                f"3); received {arg!r} (of type {type(arg).__name__}). Pass it as a keyword argument, "
                f"e.g. layer(x, name=value)."
            )
    named = {k: v for k, v in kwargs.items() if k != FIRST_BY_NAME}
    names = bound_names(layer, inputs, args, named)
    symbolic = any(isinstance(t, SymbolicTensor) for t in leaves(inputs) + leaves(args))
    if not layer.built:
        _build_by_name(layer, {**dict(zip(names, [inputs, *args])), **named})
    if symbolic:
        return inputs, args, True
    kwargs.pop(FIRST_BY_NAME, None)  # an eager call has no node to tell
    return inputs, tuple(map_tensors(arg, lambda x: _as_tensor(layer, x)) for arg in args), False


def argument_masks(layer, inputs, args: tuple, kwargs: dict, mask_of) -> dict:
    """Keras's masks for a call of several tensor arguments: `<argument>_mask=` for each tensor
    argument whose mask (`mask_of(tensor)`) is known and whose name call() takes with `_mask`."""
    parameters = _signature(type(layer)).parameters
    found = {}
    for name, value in zip(bound_names(layer, inputs, args, kwargs), [inputs, *args]):
        key = f"{name}_mask"
        if key in parameters and kwargs.get(key) is None:
            mask = map_tensors(value, mask_of)
            if any(m is not None for m in (mask if isinstance(mask, (list, tuple)) else [mask])):
                found[key] = mask
    return found


def _as_tensor(layer, value) -> Tensor:
    if isinstance(value, Tensor):
        return cast(value, layer.dtype) if value.data.dtype.kind == "f" and value.dtype != layer.dtype else value
    array = np.asarray(value)
    return Tensor(array.astype(layer.dtype) if array.dtype.kind == "f" else array)


def _shape(value):
    return map_tensors(value, lambda t: tuple(t.shape)) if not isinstance(value, _LEAVES) else tuple(value.shape)


def named_build_parameters(layer) -> list:
    """The parameters of the layer's build() when it takes one `<argument>_shape` per tensor
    argument (two or more, all so named), as Keras allows; else []."""
    parameters = list(inspect.signature(layer.build).parameters)
    return parameters if len(parameters) > 1 and all(p.endswith("_shape") for p in parameters) else []


def _build_by_name(layer, arguments: dict) -> None:
    """Keras's build for several arguments: `build(a_shape, b_shape)` gets each tensor argument's
    shape by name. A `build(input_shape)` is left to __call__, which gives it the first argument's."""
    parameters = named_build_parameters(layer)
    if not parameters:
        return
    shapes = {f"{name}_shape": _shape(value) for name, value in arguments.items() if leaves(value)}
    missing = [p for p in parameters if p not in shapes]
    if missing:
        raise TypeError(
            f"Layer '{layer.name}': build() asks for {', '.join(missing)}, but call() received no tensor "
            f"argument of that name (it received {', '.join(shapes) or 'none'}). Name build()'s parameters "
            f"<call argument>_shape, or let build take one input_shape."
        )
    layer._build_shapes_dict = {p: shapes[p] for p in parameters}  # saved as Keras's build_config shapes_dict
    layer.build(**layer._build_shapes_dict)
    layer.built = True


def output_shape_with_args(layer, inputs, args: tuple, kwargs: dict, default_method):
    """The output shape of a symbolic call with further tensor arguments (positional or keyword):
    the layer's own compute_output_shape when it writes one (given the first argument's shape if
    it takes one parameter, else each `<argument>_shape` by name, as Keras), else found by running
    call() on zeros of every tensor argument's shape (None read as 1)."""
    method = type(layer).compute_output_shape
    if method is not default_method:
        parameters = list(inspect.signature(layer.compute_output_shape).parameters)
        if len(parameters) < 2:
            return layer.compute_output_shape(_shape(inputs))
        names = bound_names(layer, inputs, args, kwargs)
        shapes = dict(zip([f"{n}_shape" for n in names], [_shape(inputs), *(_shape(a) for a in args)]))
        shapes.update({f"{k}_shape": _shape(v) for k, v in kwargs.items() if leaves(v)})
        return layer.compute_output_shape(**{p: shapes.get(p) for p in parameters})

    def zeros(t, dtype=None):
        return Tensor(np.zeros([1 if d is None else d for d in t.shape], dtype=dtype or t.dtype))

    first = map_tensors(inputs, lambda t: zeros(t, layer.dtype))  # __call__ casts the first argument so
    kwargs = {k: map_tensors(v, zeros) for k, v in kwargs.items()}
    if "training" in _signature(type(layer)).parameters:
        kwargs["training"] = False
    with no_grad():
        out = layer.call(first, *(map_tensors(a, zeros) for a in args), **kwargs)
    if isinstance(out, (list, tuple)):
        return [(None, *o.shape[1:]) for o in out]
    return (None, *out.shape[1:])
