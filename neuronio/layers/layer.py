"""Layer: the base of every layer and model.

A layer owns parameters (Variables), infers shapes, and composes ops in `call`; it holds no
backward code, since every op it calls already knows its gradient. A subclass writes at most
five methods: `__init__` (validate and store), `build(input_shape)` (create weights),
`call(inputs, training=None)`, `compute_output_shape(input_shape)` and `get_config()`.
"""

import inspect
import threading
import weakref

import numpy as np

from neuronio import config, constraints, initializers, regularizers
from neuronio._registry import Registry
from neuronio.autodiff.tape import no_grad
from neuronio.autodiff.tensor import Tensor, Variable, as_array
from neuronio.layers.auto_config import auto_config, auto_config_or_raise, init_takes_name
from neuronio.layers.call_args import NO_INPUTS, output_shape_with_args, positional_args
from neuronio.layers.input_spec import InputSpec, check_input, is_shape_list
from neuronio.layers.name_scope import name_scope, variable_path, wrap_build
from neuronio.layers.symbolic import Node, is_symbolic, record_call
from neuronio.ops.elementwise import cast

# Every layer class, by its Keras name; saving and `from_config` resolve layers only through it.
registry = Registry("layer")

# The layer whose __call__ is outermost in this thread: it clears the losses of every layer below
# it before running, so `losses` holds the penalties of the latest forward pass (as in Keras).
_call_context = threading.local()
# The layers whose `_losses` are not empty (add_loss puts a layer in, clearing takes it out): when
# it is empty, as in inference without regularizers, an outermost call has nothing to clear and
# skips the walk over every layer below it.
_HOLDING_LOSSES: "weakref.WeakSet[Layer]" = weakref.WeakSet()


class Layer:
    """Base class of layers: `outputs = layer(inputs)` builds on first call, then runs `call`.

    Masks (Keras's): a layer that `supports_masking` passes the mask of its input on
    (`compute_mask`); a layer whose `call` takes `mask` receives it from the model.

    Args:
        name: unique name; generated from the class name ("dense", "dense_1", ...) if omitted.
        dtype: float type of weights and computation; `config.floatx()` if omitted.
        trainable: whether the weights are updated by training.
        input_shape: shape of one sample (no batch axis); lets a Sequential model build at once.
        batch_size: fixed batch size for `input_shape` (rarely needed).
        autocast: Keras's mixed-precision switch; kept for configs (neuronio computes in `dtype`).
    """

    supports_masking = False
    _first_call = True  # set False by the first __call__ (which runs in the layer's name scope)

    def __init__(
        self,
        *,
        name=None,
        dtype=None,
        trainable=True,
        input_shape=None,
        batch_input_shape=None,
        batch_size=None,
        input_dim=None,
        activity_regularizer=None,
        autocast=True,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                f"Check the spelling against the layer's documentation."
            )
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"A layer name must be a non-empty string without '/'; received name={name!r}.")
        self._tracking = True
        self._layers: list[Layer] = []
        self._trainable_variables: list[Variable] = []
        self._non_trainable_variables: list[Variable] = []
        self.name = name or config.unique_name(config.snake_case(type(self).__name__))
        if isinstance(dtype, dict):  # Keras 3 configs: a DTypePolicy envelope
            dtype = (dtype.get("config") or {}).get("name")
        self.dtype = np.dtype(dtype or config.floatx()).name
        self._trainable = bool(trainable)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.autocast = bool(autocast)
        self._losses: list = []  # add_loss values of the latest call
        self.built = False
        self.input_spec = None
        self._build_shapes = None  # the shapes build() was called with, for saving
        self._inbound_nodes: list[Node] = []
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = (batch_size, *tuple(input_shape))
        else:
            self._batch_input_shape = None

    # -- attribute tracking: sublayers assigned as attributes become part of this layer ---------
    def __setattr__(self, name, value):
        if getattr(self, "_tracking", False) and name != "_layers":
            items = list(value.values()) if isinstance(value, dict) else value
            items = items if isinstance(items, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Layer) and item is not self and item not in self._layers:
                    self._layers.append(item)
        object.__setattr__(self, name, value)

    # -- dtype: its name, as Keras gives it; the np.dtype kept beside it for __call__'s comparison ----
    @property
    def dtype(self) -> str:
        return self._dtype_name

    @dtype.setter
    def dtype(self, value) -> None:
        self._numpy_dtype = np.dtype(value)
        self._dtype_name = self._numpy_dtype.name

    # -- trainable: set on a layer, it reaches every weight and sublayer below it (as Keras) -------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        value = bool(value)
        self._trainable = value
        for variable in self._trainable_variables:
            variable.trainable = value
            variable.requires_grad = value
        for layer in self._layers:
            layer.trainable = value

    # -- weights ---------------------------------------------------------------------------------
    def add_weight(
        self,
        shape=None,
        initializer="glorot_uniform",
        dtype=None,
        trainable=True,
        autocast=True,
        regularizer=None,
        constraint=None,
        aggregation="none",
        name=None,
    ) -> Variable:
        """Create a Variable owned by this layer (Keras's signature, keyword use recommended).

        `regularizer` adds its penalty of the variable to `losses` (while trainable); the
        optimizer applies `constraint` to the variable after each update. `autocast` and
        `aggregation` only matter for mixed precision and distribution, so they are accepted as is.
        """
        shape = tuple(int(d) for d in (shape or ()))
        dtype = np.dtype(dtype or self.dtype).name
        value = initializers.get(initializer)(shape, dtype=dtype)
        variable = Variable(value, name=name or "variable", trainable=trainable, dtype=dtype)
        variable.path = variable_path(self, variable.name)
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        (self._trainable_variables if trainable else self._non_trainable_variables).append(variable)
        if trainable and not self._trainable:
            variable.trainable = variable.requires_grad = False
        return variable

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return [w for w in self.weights if w.trainable]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return self.weights
        return [w for w in self.weights if not w.trainable]

    # -- losses: add_loss values and regularization penalties --------------------------------------
    def add_loss(self, loss) -> None:
        """Add a scalar loss (a Tensor computed in `call`, or a number); `fit` adds it to the
        compiled loss. Cleared at the start of every outermost call."""
        if is_symbolic(loss):
            raise NotImplementedError(
                f"Layer '{self.name}': add_loss on a symbolic tensor (while building a functional model) is not "
                f"supported, as in Keras 3. Call add_loss inside a layer's call(), or override the model's "
                f"compute_loss()."
            )
        self._losses.append(loss)
        _HOLDING_LOSSES.add(self)

    @property
    def losses(self) -> list:
        """The add_loss values of the latest call (this layer's, then its sublayers'), then the
        regularizers' penalties of the trainable weights, as Keras lists them."""
        collected = list(self._losses)
        for layer in _flatten_layers(self):
            collected.extend(layer._losses)
        for variable in self.trainable_weights:
            if variable.regularizer is not None:
                collected.append(variable.regularizer(variable))
        return collected

    def __setstate__(self, state: dict) -> None:
        # A copy (copy.deepcopy, pickle) of a layer holding add_loss values holds them too: it joins
        # the layers an outermost call must clear.
        self.__dict__.update(state)
        if state.get("_losses"):
            _HOLDING_LOSSES.add(self)

    def _clear_losses(self) -> None:
        for layer in [self, *_flatten_layers(self)]:
            if layer._losses:
                layer._losses.clear()
                _HOLDING_LOSSES.discard(layer)

    @property
    def weights(self) -> list[Variable]:
        """Own weights (trainable, then non-trainable), then each sublayer's, as Keras orders them."""
        own = self._trainable_variables + self._non_trainable_variables
        return _unique(own + [w for layer in self._layers for w in layer.weights])

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights' values, in `weights` order."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights) -> None:
        """Set every weight from a list of arrays in `weights` order (shapes must match)."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays "
                f"({', '.join(w.name for w in own) or 'none'}), but received {len(weights)}."
            )
        for variable, value in zip(own, weights):
            value = np.asarray(value)
            if value.shape != variable.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{variable.name}' has shape {variable.shape}, "
                    f"but the array given for it has shape {value.shape}."
                )
        for variable, value in zip(own, weights):
            variable.assign(np.asarray(value))

    def count_params(self) -> int:
        """The number of scalars in all weights (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so it has no weights to count. Call it on "
                f"data or pass input_shape= first."
            )
        return int(sum(w.size for w in self.weights))

    # -- the five methods a subclass writes -------------------------------------------------------
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = wrap_build(cls.__dict__["build"])

    def build(self, input_shape) -> None:
        """Create the weights for inputs of `input_shape` (batch axis included, may be None)."""

    def call(self, inputs, training=None):
        raise NotImplementedError(f"{type(self).__name__} must implement call(inputs).")

    def compute_output_shape(self, input_shape):
        """Output shape for `input_shape`; by default found by running `call` on zeros."""
        shapes = input_shape if is_shape_list(input_shape) else [input_shape]
        dummies = [Tensor(np.zeros([1 if d is None else d for d in s], dtype=self.dtype)) for s in shapes]
        with no_grad():
            out = self._call_with_training(dummies if is_shape_list(input_shape) else dummies[0], False)
        if isinstance(out, (list, tuple)):
            return [(None, *o.shape[1:]) for o in out]
        return (input_shape[0] if not is_shape_list(input_shape) else None, *out.shape[1:])

    def _output_shape_with_args(self, inputs, args, kwargs):
        """The output shape of a symbolic call with further tensor arguments (call_args.py)."""
        return output_shape_with_args(self, inputs, args, kwargs, Layer.compute_output_shape)

    def compute_mask(self, inputs, mask=None):
        """The mask of the outputs: the input's mask if the layer supports masking, else None."""
        return mask if self.supports_masking else None

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        # A user's subclass that does not write get_config() gets one from the arguments it was
        # constructed with, as in Keras 3 (neuronio's own layers all write theirs).
        if registry.name_of(cls) is None and cls.get_config is Layer.get_config:
            instance._auto_config, instance._auto_config_error = auto_config(cls, args, kwargs)
        return instance

    def get_config(self) -> dict:
        """Constructor arguments as JSON-serialisable values.

        A subclass that does not override this gets Keras 3's automatic config: its constructor's
        arguments (defaults included), when they are all plain values (str, int, float, bool,
        None, and lists/tuples/dicts of them); otherwise NotImplementedError asks for a
        get_config(), as Keras does.
        """
        auto = None
        if registry.name_of(type(self)) is None and type(self).get_config is Layer.get_config:
            auto = auto_config_or_raise(self)
        config_dict = {"name": self.name}
        if auto is not None:
            config_dict.update(auto)
            if not init_takes_name(type(self)):
                config_dict.pop("name")  # it could not be passed back to __init__
        config_dict.update(trainable=self.trainable, dtype=self.dtype)
        if self.activity_regularizer is not None:
            config_dict["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if self._batch_input_shape is not None and auto is None:
            config_dict["batch_input_shape"] = list(self._batch_input_shape)
        return config_dict

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)

    # -- calling ----------------------------------------------------------------------------------
    def __call__(self, inputs=NO_INPUTS, *args, training=None, **kwargs):
        # Keras 3: `inputs` is call()'s first argument (or given by name); further positional arguments
        # are tensors for call()'s next parameters (call_args.py); `training` only by keyword.
        if type(inputs) is Tensor and not args and self.built and inputs.data.dtype == self._numpy_dtype:
            # The common case, each layer of a model's forward pass: steps 1-3 below reduce to the check.
            tensors = inputs
            spec = self.input_spec
            if spec is not None:
                check_input(spec if type(spec) is InputSpec else self._spec_for(0), inputs.data.shape, self, 0)
        else:
            if args or inputs is NO_INPUTS:  # several tensor arguments, or all by name (Keras 3)
                inputs, args, symbolic = positional_args(self, inputs, args, kwargs)
                if symbolic:
                    return record_call(self, inputs, kwargs, args)
            tensors = self._prepare_inputs(inputs)
            if tensors is _SYMBOLIC:
                # 1. Symbolic inputs wire a functional graph instead of computing.
                return record_call(self, inputs, kwargs)
        # 4. Run the layer's computation; the outermost call first clears the losses below it
        # (nothing to clear while no layer holds an add_loss value, as in plain inference).
        outermost = getattr(_call_context, "entry", None) is None
        if outermost:
            _call_context.entry = self
            if _HOLDING_LOSSES:
                self._clear_losses()
        try:
            # _call_with_training's lines, inline: this runs for every layer of every forward pass.
            takes = _CALL_PARAMETERS.get(type(self)) or _call_parameters(type(self))
            if training is not None and "training" in takes:
                kwargs["training"] = bool(training)
            if self._first_call:  # sublayers built by this first call take this layer's scope (Keras)
                self._first_call = False
                with name_scope(self):
                    outputs = self.call(tensors, *args, **kwargs)
            else:  # args: call()'s further tensor arguments (call_args.py)
                outputs = self.call(tensors, *args, **kwargs)
            # 5. The activity regularizer's penalty of the outputs, per sample (Keras divides by the batch).
            if self.activity_regularizer is not None:
                for out in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                    penalty = self.activity_regularizer(out)
                    self.add_loss(penalty / out.shape[0] if out.ndim > 0 and out.shape[0] else penalty)
        finally:
            if outermost:
                _call_context.entry = None
        return outputs

    def _prepare_inputs(self, inputs):
        """__call__'s steps 1-3 in general: _SYMBOLIC for symbolic inputs, else the inputs as
        Tensors of this layer's dtype, the layer built, and the inputs checked against its spec."""
        # 1. Symbolic inputs wire a functional graph instead of computing (the caller does that).
        if is_symbolic(inputs):
            return _SYMBOLIC
        # 2. Convert inputs to Tensors of this layer's dtype (integer images are cast here).
        if isinstance(inputs, (list, tuple)):
            tensors = [self._to_tensor(x) for x in inputs]
            shapes = [t.shape for t in tensors]
        else:
            tensors = self._to_tensor(inputs)
            shapes = tensors.shape
        # 3. Build on first use, then check the input against what the layer was built for.
        self._maybe_build(shapes)
        for i, shape in enumerate(shapes if isinstance(shapes, list) else [shapes]):
            check_input(self._spec_for(i), shape, self, i)
        return tensors

    def call_with_mask(self, inputs, mask, *args, training=None, **kwargs):
        """Keras's mask propagation, used by the models: call the layer (handing it `mask` when
        its `call` takes one) and return (outputs, the outputs' mask). `args`: call()'s further
        tensor arguments; with them call() gets no `mask` (Keras hands `mask` to a call of one
        tensor argument only), and the outputs' mask is the first argument's, as in Keras."""
        if mask is not None and not args and _accepts(type(self), "mask"):
            kwargs["mask"] = mask
        outputs = self(inputs, *args, training=training, **kwargs)
        return outputs, self.compute_mask(inputs, mask)

    def _call_with_training(self, inputs, training, *args, **kwargs):
        # training=None leaves the layer's own default in charge, as Keras does: Dropout and
        # BatchNormalization default to inference, the augmentation layers to augmenting.
        if training is not None and _accepts(type(self), "training"):
            return self.call(inputs, *args, training=bool(training), **kwargs)
        return self.call(inputs, *args, **kwargs)

    def _to_tensor(self, x) -> Tensor:
        dtype = self._numpy_dtype  # comparing with the name would parse it on every call
        if isinstance(x, Tensor):
            if x.data.dtype == dtype:
                return x
            if x.data.dtype.kind == "f":
                return cast(x, self.dtype)
            return Tensor(x.data.astype(dtype))
        array = as_array(x)
        if array.dtype != dtype:
            array = array.astype(dtype)
        return Tensor(array)

    def _spec_for(self, index: int):
        spec = self.input_spec
        if isinstance(spec, (list, tuple)):
            return spec[index] if index < len(spec) else None
        return spec if index == 0 else None

    def _maybe_build(self, shapes) -> None:
        if self.built:
            return
        shapes = [tuple(s) for s in shapes] if is_shape_list(shapes) else tuple(shapes)
        self.build(shapes)
        self._build_shapes = shapes
        self.built = True

    @property
    def input(self):
        """The symbolic input of the layer's first call in a functional graph (as Keras)."""
        return (
            self._first_node("input").inputs[0]
            if len(self._first_node("input").inputs) == 1
            else self._first_node("input").inputs
        )

    @property
    def output(self):
        """The symbolic output of the layer's first call in a functional graph (as Keras)."""
        outputs = self._first_node("output").outputs
        return outputs[0] if len(outputs) == 1 else outputs

    def _first_node(self, what: str):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic input, so it has no {what}. "
                f"Put it in a Sequential model with an input shape, or call it on Input(...)."
            )
        return self._inbound_nodes[0]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _unique(variables: list) -> list:
    seen, out = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _flatten_layers(layer) -> list:
    """Every layer below `layer` (not itself), each once, depth first."""
    found, stack, seen = [], list(reversed(layer._layers)), {id(layer)}
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        stack.extend(reversed(current._layers))
    return found


_CALL_PARAMETERS: dict = {}  # layer class -> the names of the arguments its call() takes
_SYMBOLIC = object()  # _prepare_inputs's answer for symbolic inputs


def _call_parameters(cls) -> frozenset:
    """The names of the arguments the call() of layer class `cls` takes, found once per class."""
    parameters = _CALL_PARAMETERS.get(cls)
    if parameters is None:
        parameters = _CALL_PARAMETERS[cls] = frozenset(inspect.signature(cls.call).parameters)
    return parameters


def _accepts(cls, argument: str) -> bool:
    return argument in _call_parameters(cls)


Layer.build = wrap_build(Layer.build)  # layers that keep the base build too are marked built by a direct call
