"""Lambda: a layer made of any function of its input, e.g. Lambda(lambda x: x[:, :, :, :1]).

It runs in memory like any layer. Saving writes what Keras writes: a named function by name,
a Python lambda as its marshalled bytecode. Loading such bytecode would run code from the file,
so it is refused unless the user opts in exactly as in Keras: `load_model(..., safe_mode=False)`
or `neuronio.config.enable_unsafe_deserialization()`. Bytecode is specific to the Python version
that wrote it; a named function cannot be found from a file and must be given in code.
"""

import base64
import builtins
import inspect
import marshal
import types

from neuronio import config
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
    """Keras's form: a Python lambda as base64 marshalled bytecode, a named function by name."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        closure = None if not fn.__closure__ else [cell.cell_contents for cell in fn.__closure__]
        code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
        defaults = None if fn.__defaults__ is None else list(fn.__defaults__)
        return {"class_name": "__lambda__", "config": {"code": code, "defaults": defaults, "closure": closure}}
    name = getattr(fn, "__name__", None)
    if name is None:
        raise TypeError(f"Lambda '{layer_name}': cannot save the callable {fn!r}: it has no name.")
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _deserialize_function(entry, layer_name: str, custom_objects):
    """The function a saved Lambda names: a lambda's bytecode only outside safe mode."""
    if not isinstance(entry, dict):
        raise FileFormatError(f"Lambda '{layer_name}': expected a serialized function; received {entry!r}.")
    if entry.get("class_name") == "__lambda__":
        if config.in_safe_mode():
            raise FileFormatError(
                f"Refusing to load the Lambda layer '{layer_name}': its function is a Python lambda stored "
                f"as bytecode, and loading it would run code from the file. If you trust the file, pass "
                f"safe_mode=False to load_model, or call neuronio.config.enable_unsafe_deserialization() "
                f"(as in Keras); otherwise rebuild the layer in code."
            )
        return _function_from_bytecode(entry.get("config") or {}, layer_name)
    name = entry.get("config")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    raise FileFormatError(
        f"Lambda '{layer_name}' calls the function {name!r}, which a file cannot provide: pass it in "
        f"custom_objects={{{name!r}: {name}}}, or rebuild the layer in code."
    )


def _function_from_bytecode(inner: dict, layer_name: str):
    try:
        code = marshal.loads(base64.decodebytes(inner["code"].encode("ascii")))
    except (KeyError, ValueError, EOFError, TypeError, AttributeError) as exc:
        raise FileFormatError(
            f"Lambda '{layer_name}': its bytecode cannot be read ({exc}); bytecode only loads in the "
            f"Python version that wrote it. Rebuild the layer in code."
        ) from exc
    if not isinstance(code, types.CodeType):
        raise FileFormatError(f"Lambda '{layer_name}': the stored function is not Python bytecode.")
    defaults = inner.get("defaults")
    closure = inner.get("closure")
    cells = None if closure is None else tuple(types.CellType(value) for value in closure)
    namespace = {"__builtins__": builtins}
    return types.FunctionType(code, namespace, code.co_name, None if defaults is None else tuple(defaults), cells)
