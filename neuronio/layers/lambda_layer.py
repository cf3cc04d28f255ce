"""Lambda: a layer made of any function of its input, e.g. Lambda(lambda x: x[:, :, :, :1]).

It runs in memory like any layer. Saving writes what Keras writes: a named function by name,
a Python lambda as its bytecode, which loads only when the user opts out of safe mode, as in
Keras (the one policy for stored lambdas: neuronio/_lambdas.py). A named function cannot be found
from a file and must be given in code.
"""

import inspect

from neuronio import _lambdas, ops
from neuronio._registry import function_envelope
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import FileFormatError
from neuronio.layers.layer import Layer, registry


@registry.register("Lambda")
class Lambda(Layer):
    """Wraps `function(inputs, **arguments)` as a layer (no weights).

    Args:
        function: the function; it receives the input Tensor (or list of Tensors), and also
            `training` if it takes an argument of that name. Use neuronio.ops inside it so that
            gradients flow.
        output_shape: the output's shape without the batch axis, or a function of the input
            shape; by default found by running the function on zeros.
        mask: accepted for Keras compatibility; neuronio has no masking, so it must be None.
        arguments: keyword arguments passed to the function.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda '{self.name}': `function` must be callable; received {function!r}.")
        if mask is not None:
            raise ValueError(
                f"Lambda '{self.name}': neuronio has no masking, so `mask` must be None; received {mask!r}."
            )
        self.function, self.arguments = function, dict(arguments or {})
        self._output_shape = tuple(output_shape) if isinstance(output_shape, (list, tuple)) else output_shape
        try:
            self._takes_training = "training" in inspect.signature(function).parameters
        except (TypeError, ValueError):  # builtins without a signature
            self._takes_training = False

    def call(self, inputs, training=None):
        kwargs = dict(self.arguments)
        if self._takes_training:
            kwargs["training"] = training
        outputs = self.function(inputs, **kwargs)
        if isinstance(outputs, (list, tuple)):
            return [o if isinstance(o, Tensor) else as_tensor(o) for o in outputs]
        return outputs if isinstance(outputs, Tensor) else as_tensor(outputs)

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return tuple(self._output_shape(input_shape))
        batch = input_shape[0][0] if isinstance(input_shape, list) else input_shape[0]
        return (batch, *self._output_shape)

    def get_config(self):
        config_dict = {**super().get_config(), "function": _serialize_function(self.function, self.name)}
        if self._output_shape is not None:
            shape = self._output_shape
            config_dict["output_shape"] = _serialize_function(shape, self.name) if callable(shape) else list(shape)
        config_dict["arguments"] = dict(self.arguments)
        return config_dict

    @classmethod
    def from_config(cls, config_dict: dict, custom_objects: dict | None = None):
        config_dict = dict(config_dict)
        name = config_dict.get("name", "?")
        config_dict["function"] = _deserialize_function(config_dict.get("function"), name, custom_objects)
        shape = config_dict.get("output_shape")
        if isinstance(shape, dict):
            config_dict["output_shape"] = _deserialize_function(shape, name, custom_objects)
        return cls(**config_dict)


def _serialize_function(fn, layer_name: str) -> dict:
    """Keras's form: a Python lambda as its bytecode, a named function by name."""
    if _lambdas.is_lambda(fn):
        return _lambdas.envelope(fn, layer=True)
    name = getattr(fn, "__name__", None)
    if name is None:
        raise TypeError(f"Lambda '{layer_name}': cannot save the callable {fn!r}: it has no name.")
    return function_envelope(name)


def _deserialize_function(entry, layer_name: str, custom_objects):
    """The function a saved Lambda names: a lambda's bytecode only outside safe mode."""
    if not isinstance(entry, dict):
        raise FileFormatError(f"Lambda '{layer_name}': expected a serialized function; received {entry!r}.")
    if entry.get("class_name") == "__lambda__":
        return _lambdas.load(entry.get("config"), f"the Lambda layer '{layer_name}'", ops)
    name = entry.get("config")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    raise FileFormatError(
        f"Lambda '{layer_name}' calls the function {name!r}, which a file cannot provide: pass it in "
        f"custom_objects={{{name!r}: {name}}}, or rebuild the layer in code."
    )
