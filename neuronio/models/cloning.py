"""clone_model: the same architecture with new layers, hence new (freshly initialized) weights."""

from neuronio.layers.call_args import map_tensors
from neuronio.layers.core import Input, InputLayer
from neuronio.layers.layer import Layer
from neuronio.models.functional import Functional
from neuronio.models.sequential import Sequential


def _clone_layer(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A copy of `model` built from new layers with the same configs (as Keras's clone_model):
    the weights are newly initialized, never shared. A compiled model gives a compiled copy, compiled
    from its `get_compile_config()` as Keras does: a new optimizer with the same settings (no slots,
    iterations 0), the same loss(es) and metrics.

    Args:
        model: a Sequential, functional or subclassed model.
        input_tensors: Input tensors to build the copy on (Sequential and functional models).
        clone_function: `layer -> new layer`, called for every layer (default: from its config).
            Return the layer itself to share it between the two models.
        call_function: `(layer, *args, **kwargs) -> outputs`, how each layer of a functional
            model is called on its inputs in the copy.
        recursive: also clone the layers inside nested Sequential and functional models.
    """
    if kwargs:
        raise TypeError(f"clone_model got unexpected keyword arguments: {sorted(kwargs)}.")
    if clone_function is not None and not callable(clone_function):
        raise ValueError(f"clone_model: `clone_function` must be callable; received {clone_function!r}.")
    copy = _clone_architecture(model, input_tensors, clone_function, call_function, recursive)
    if getattr(model, "compiled", False):
        try:
            copy.compile_from_config(model.get_compile_config())
        except (ValueError, TypeError) as exc:  # as in Keras, an unregistered function cannot be rebuilt
            raise type(exc)(
                f"clone_model: the copy of the compiled model '{model.name}' is compiled from its compile "
                f"config, as Keras does, and that failed: {exc} Register your own losses and metrics with "
                f"@neuronio.saving.register_keras_serializable() (a lambda cannot be rebuilt: use a named "
                f"function), or compile the model after cloning it."
            ) from exc
    return copy


def _clone_architecture(model, input_tensors, clone_function, call_function, recursive):
    clone = clone_function or _clone_layer
    if recursive:
        clone = _recursive(clone, input_tensors, call_function)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                f"clone_model: `call_function` is not supported for the Sequential model '{model.name}': its "
                "layers are listed, not called, when it is built. Pass call_function for functional models only."
            )
        return _clone_sequential(model, input_tensors, clone)
    if isinstance(model, Functional) and type(model).get_config is Functional.get_config:
        return _clone_functional(model, input_tensors, clone, call_function)
    if clone_function is not None or input_tensors is not None or call_function is not None:
        raise ValueError(
            "clone_model: the arguments clone_function, call_function and input_tensors are only supported "
            f"for Sequential and functional models; '{model.name}' is a subclassed {type(model).__name__}."
        )
    return type(model).from_config(model.get_config())


def _recursive(clone, input_tensors, call_function):
    def clone_nested(layer):
        if isinstance(layer, Sequential):  # a Sequential's layers are not called: no call_function
            return clone_model(layer, clone_function=clone)
        if isinstance(layer, Functional):
            return clone_model(layer, clone_function=clone, call_function=call_function)
        return clone(layer)

    return clone_nested


def _clone_sequential(model: Sequential, input_tensors, clone) -> Sequential:
    copy = Sequential(name=model.name, trainable=model.trainable)
    if input_tensors is not None:
        copy.add(input_tensors[0] if isinstance(input_tensors, (list, tuple)) else input_tensors)
    elif model._input_layer is not None:
        first = model._input_layer
        copy.add(Input(batch_shape=first.batch_shape, dtype=first.dtype, name=first.name))
    for layer in model.layers:
        copy.add(clone(layer))
    return copy


def _clone_functional(model: Functional, input_tensors, clone, call_function) -> Functional:
    if input_tensors is None:
        new_inputs = [
            Input(batch_shape=t.shape, dtype=t.node.layer.dtype, name=t.node.layer.name) for t in model._inputs
        ]
    else:
        new_inputs = list(input_tensors) if isinstance(input_tensors, (list, tuple)) else [input_tensors]
        if len(new_inputs) != len(model._inputs):
            raise ValueError(
                f"clone_model: model '{model.name}' has {len(model._inputs)} input(s) but {len(new_inputs)} "
                f"input_tensors were given."
            )
    computed = {id(old): new for old, new in zip(model._inputs, new_inputs)}
    clones = {}
    for node in model._nodes:
        if isinstance(node.layer, InputLayer):
            continue
        if id(node.layer) not in clones:  # a shared layer is cloned once and shared in the copy too
            clones[id(node.layer)] = clone(node.layer)
        layer = clones[id(node.layer)]
        args = [computed[id(t)] for t in node.inputs[: node.first_count]]
        args = args if node.input_structure == "list" else args[0]
        extra = map_tensors(node.extra_args, lambda t: computed[id(t)])  # call()'s further tensor arguments
        kwargs = {k: map_tensors(v, lambda t: computed.get(id(t), t)) for k, v in node.call_kwargs.items()}
        outs = call_function(layer, args, *extra, **kwargs) if call_function else layer(args, *extra, **kwargs)
        for t, value in zip(node.outputs, outs if isinstance(outs, (list, tuple)) else [outs]):
            computed[id(t)] = value
    outputs = [computed[id(t)] for t in model._outputs]
    return Functional(
        new_inputs if model._multi_input else new_inputs[0],
        outputs if model._multi_output else outputs[0],
        name=model.name,
        trainable=model.trainable,
    )
