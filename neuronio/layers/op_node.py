"""OpLayer: a `keras.ops` call (or an operator such as `x * 2`, `x[:, :10]`) on symbolic tensors,
recorded as one node of a functional graph, as Keras 3 records its Operations.

Keras 3 writes such a node into `.keras` files as the operation's own class
(`{"module": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"}}`),
with the op's non-tensor settings (axis, keepdims, newshape, ...) in `config` and the call's
tensors and constants in the node's `args`. OpLayer reads and writes exactly that, so models
built this way round-trip with real Keras. It has no weights, and `Model.layers` leaves it out
(Keras lists such nodes in `Model.operations` only); `summary()` shows it, as Keras's does.
"""

import inspect
import json

import numpy as np

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor
from neuronio.errors import FileFormatError
from neuronio.layers.layer import Layer
from neuronio.layers.symbolic import Node, SymbolicTensor
from neuronio.ops import _symbolic

# Keras's module of each op family (the op's class lives beside its function there).
_NN = set(
    "adaptive_average_pool adaptive_max_pool average_pool batch_normalization binary_crossentropy "
    "categorical_crossentropy celu conv conv_transpose depth_to_space depthwise_conv dot_product_attention elu gelu "
    "glu hard_shrink hard_sigmoid hard_silu hard_swish hard_tanh layer_normalization leaky_relu log_sigmoid "
    "log_softmax max_pool moments multi_hot normalize one_hot psnr relu relu6 rms_normalization selu separable_conv "
    "sigmoid silu soft_shrink softmax softplus softsign space_to_depth sparse_categorical_crossentropy sparse_plus "
    "sparse_sigmoid sparsemax squareplus swish tanh_shrink threshold fold unfold ctc_loss ctc_decode".split()
)
_CORE = {
    "cast",
    "convert_to_tensor",
    "saturate_cast",
    "scatter",
    "scatter_update",
    "slice",
    "slice_update",
    "stop_gradient",
    "unstack",
    "custom_gradient",
}
_MATH = {
    "cdist",
    "erf",
    "erfc",
    "erfinv",
    "extract_sequences",
    "in_top_k",
    "logdet",
    "logsumexp",
    "rsqrt",
    "segment_max",
    "segment_min",
    "segment_prod",
    "segment_sum",
    "top_k",
}
_LINALG = {
    "det",
    "inv",
    "norm",
    "solve",
    "solve_triangular",
    "cholesky",
    "cholesky_inverse",
    "eigh",
    "lstsq",
    "lu_factor",
    "matrix_rank",
    "pinv",
    "qr",
    "svd",
}
# How many leading parameters of each op are the call's inputs (Keras keeps them in `args`);
# the rest are the op's settings (Keras's constructor arguments, kept in `config`). One for
# most ops; the binary arithmetic and comparison ops take two, where three.
_CALL_ARITY = dict.fromkeys(
    "add subtract multiply divide true_divide power maximum minimum matmul dot mod floor_divide equal not_equal "
    "greater greater_equal less less_equal logical_and logical_or logical_xor arctan2 hypot logaddexp logaddexp2 "
    "fmod fmax fmin divide_no_nan take take_along_axis get_item inner outer kron vdot tensordot cross isclose "
    "heaviside nextafter gcd lcm bitwise_and bitwise_or bitwise_xor left_shift right_shift bitwise_left_shift "
    "bitwise_right_shift append solve solve_triangular isin searchsorted digitize binary_crossentropy "
    "categorical_crossentropy sparse_categorical_crossentropy conv conv_transpose depthwise_conv correlate "
    "cdist psnr allclose in_top_k segment_sum segment_max segment_min segment_prod ctc_loss lstsq".split(),
    2,
)
_CALL_ARITY.update(
    where=3,
    scatter=3,
    scatter_update=3,
    slice_update=3,
    separable_conv=3,
    dot_product_attention=3,
    batch_normalization=3,
    slice=3,
    select=3,
    scan=3,
)
_OPERATOR_NAMES = {"getitem": "get_item"}  # the Tensor-level name and Keras's op name


def keras_family(op_name: str) -> str:
    """Keras's module suffix for an op: 'numpy', 'nn', 'core', 'math', 'linalg' or 'einops'."""
    if op_name == "rearrange":
        return "einops"
    for family, names in (("core", _CORE), ("math", _MATH), ("linalg", _LINALG), ("nn", _NN)):
        if op_name in names:
            return family
    return "numpy"


def class_name_of(op_name: str) -> str:
    """'get_item' -> 'GetItem', 'relu6' -> 'Relu6': Keras's op class for an op function."""
    return "".join(part[:1].upper() + part[1:] for part in op_name.split("_"))


class OpLayer(Layer):
    """One recorded call of op `op_name` with its settings `static`; see the module docstring."""

    def __init__(self, op_name: str, name=None, **static):
        op_name = _OPERATOR_NAMES.get(op_name, op_name)
        super().__init__(name=name or config.unique_name(op_name))
        if op_name not in ops.__all__:
            raise FileFormatError(f"Unknown keras.ops operation {op_name!r} (node '{self.name}').")
        self.op_name = op_name
        self.static = static
        self.built = True
        self._template = None  # the call's arguments, each SymbolicTensor replaced by _Slot(i)

    @property
    def class_name(self) -> str:
        return class_name_of(self.op_name)

    def _function(self):
        fn = getattr(ops, self.op_name)
        return getattr(fn, "raw", fn)

    # -- recording ------------------------------------------------------------------------------
    def record(self, args: tuple, kwargs: dict):
        """Split the call into inputs and settings, infer the output, and add the graph node."""
        call_args, static = _split(self.op_name, self._function(), args, kwargs)
        for key, value in static.items():
            if _contains_symbolic(value):
                raise TypeError(
                    f"ops.{self.op_name}: the argument {key!r} is a symbolic tensor, but the op takes it as a "
                    f"fixed setting. Pass a Python value, or wrap the computation in a keras.layers.Lambda layer."
                )
            try:
                json.dumps(_jsonable(value))
            except TypeError:
                raise TypeError(
                    f"ops.{self.op_name}: the argument {key}={value!r} cannot be written into a saved functional "
                    f"model. Do this computation inside a keras.layers.Lambda layer or a custom layer's call()."
                ) from None
        self.static.update(static)
        flat: list = []
        self._template = _replace(call_args, flat)
        outputs = self._infer_outputs(flat)
        node = Node(self, flat, [], {})
        node.input_structure = "list"
        node.outputs = [
            SymbolicTensor(shape, dtype=dtype, name=self.name, node=node, index=i)
            for i, (shape, dtype) in enumerate(outputs)
        ]
        self._inbound_nodes.append(node)
        return node.outputs if self._multiple_outputs else node.outputs[0]

    def _infer_outputs(self, flat: list) -> list:
        """Output shapes and dtypes from two trial calls on ones, with unknown axes set to 2 and
        to 3: an axis whose size follows them is unknown (None) in the output too."""
        trials = []
        for size in (2, 3):
            values = [Tensor(np.ones([size if d is None else d for d in t.shape], dtype=t.dtype)) for t in flat]
            out = self._compute(values)
            self._multiple_outputs = isinstance(out, (list, tuple))
            trials.append(
                [np.asarray(o.data if isinstance(o, Tensor) else o) for o in (out if self._multiple_outputs else [out])]
            )
        return [
            (tuple(None if p != q else p for p, q in zip(a.shape, b.shape, strict=True)), a.dtype)
            for a, b in zip(*trials, strict=True)
        ]

    # -- computing ------------------------------------------------------------------------------
    def _compute(self, values: list):
        args, static = _fill(self._template, values), dict(self.static)
        if "subscripts" in static:  # einsum's settings come before its operands
            args = [static.pop("subscripts"), *args]
        return self._function()(*args, **static)

    def __call__(self, inputs, training=None, **kwargs):
        return self._compute(list(inputs) if isinstance(inputs, (list, tuple)) else [inputs])

    def call(self, inputs):
        return self._compute(list(inputs))

    def compute_output_shape(self, input_shape):
        outputs = self._inbound_nodes[0].outputs
        return [t.shape for t in outputs] if len(outputs) > 1 else outputs[0].shape

    # -- the .keras format ------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, **{k: _jsonable(v) for k, v in self.static.items()}}

    def keras_entry(self) -> dict:
        """This node's entry in a functional config's "layers", as Keras writes an Operation."""
        return {
            "module": f"keras.src.ops.{keras_family(self.op_name)}",
            "class_name": self.class_name,
            "config": self.get_config(),
            "registered_name": self.class_name,
        }

    def node_config(self, tensor_config) -> dict:
        """The inbound node: the call's arguments with each tensor written by `tensor_config`."""
        return {"args": _serialize(self._template, self._inbound_nodes[0].inputs, tensor_config), "kwargs": {}}

    @classmethod
    def from_keras_entry(cls, entry: dict) -> "OpLayer":
        settings = dict(entry.get("config") or {})
        name = settings.pop("name", None)
        return cls(config.snake_case(entry["class_name"]), name=name, **settings)

    def replay(self, node_config: dict, tensor_of):
        """Record this node again from its saved arguments (loading a file)."""
        args = _deserialize(node_config.get("args", []), tensor_of)
        if self.op_name == "get_item" and len(args) == 2 and isinstance(args[1], list):
            args[1] = tuple(args[1])  # JSON has no tuples: Keras writes the index tuple as a list
        settings, self.static = self.static, {}
        try:
            return self.record(tuple(args), {**settings, **dict(node_config.get("kwargs") or {})})
        except TypeError as exc:
            raise FileFormatError(
                f"Op node '{self.name}' ({self.class_name}): neuronio's ops.{self.op_name} does not take the saved "
                f"arguments {sorted(settings)} ({exc})."
            ) from exc


# -- argument plumbing -----------------------------------------------------------------------------
class _Slot:
    """Where the i-th input tensor goes in the recorded arguments."""

    def __init__(self, i: int):
        self.i = i


def _split(op_name: str, fn, args: tuple, kwargs: dict) -> tuple[list, dict]:
    """(the call's inputs, the op's settings by parameter name)."""
    params = list(inspect.signature(fn).parameters.values())
    if params and params[0].name == "subscripts":  # einsum(subscripts, *operands): Keras's Einsum(subscripts)
        if "subscripts" in kwargs:  # replayed from a file: the operands alone are the call's inputs
            return list(args), dict(kwargs)
        return list(args[1:]), {"subscripts": args[0], **kwargs}
    bound = inspect.signature(fn).bind(*args, **kwargs).arguments
    arity = _CALL_ARITY.get(op_name, 1)
    call_args, static = [], {}
    for i, p in enumerate(params):
        if p.name not in bound:
            continue
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            call_args.extend(bound[p.name])
        elif p.kind is inspect.Parameter.VAR_KEYWORD:
            static.update(bound[p.name])
        elif i < arity:
            call_args.append(bound[p.name])
        else:
            static[p.name] = bound[p.name]
    return call_args, static


def _contains_symbolic(value) -> bool:
    if isinstance(value, SymbolicTensor):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_symbolic(v) for v in value)
    return isinstance(value, dict) and any(_contains_symbolic(v) for v in value.values())


def _replace(value, flat: list):
    if isinstance(value, SymbolicTensor):
        flat.append(value)
        return _Slot(len(flat) - 1)
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, flat) for v in value)
    return value


def _fill(template, values: list):
    if isinstance(template, _Slot):
        return values[template.i]
    if isinstance(template, (list, tuple)):
        return type(template)(_fill(v, values) for v in template)
    return template


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Tensor):  # a constant tensor in the call (ops.matmul(x, ops.ones(...)))
        return {"class_name": "__tensor__", "config": {"value": value.data.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": value.tolist(), "dtype": value.dtype.name}}
    if isinstance(value, slice):
        return {"class_name": "__slice__", "config": {"start": value.start, "stop": value.stop, "step": value.step}}
    if value is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _serialize(template, inputs: list, tensor_config):
    if isinstance(template, _Slot):
        return tensor_config(inputs[template.i])
    if isinstance(template, (list, tuple)):
        return [_serialize(v, inputs, tensor_config) for v in template]
    return _jsonable(template)


def _deserialize(value, tensor_of):
    if isinstance(value, list):
        return [_deserialize(v, tensor_of) for v in value]
    if isinstance(value, dict):
        kind, cfg = value.get("class_name"), value.get("config") or {}
        if kind == "__keras_tensor__":
            return tensor_of(value)
        if kind == "__slice__":
            return slice(cfg.get("start"), cfg.get("stop"), cfg.get("step"))
        if kind == "__ellipsis__":
            return Ellipsis
        if kind == "__tensor__":
            return Tensor(np.asarray(cfg["value"], dtype=cfg.get("dtype")))
        if kind == "__numpy__":
            return np.asarray(cfg["value"], dtype=cfg.get("dtype"))
        raise FileFormatError(f"An op node's arguments hold an object neuronio cannot read: {value!r}.")
    return value


def _record_op(name: str, fn, args: tuple, kwargs: dict):
    """An ops.* call on symbolic tensors: a new OpLayer records it as a graph node."""
    return OpLayer(name).record(args, kwargs)


_symbolic.register((SymbolicTensor,), _record_op)
