"""Sequential: a plain stack of layers, each feeding the next."""

from neuronio.autodiff.tensor import with_mask
from neuronio.errors import ShapeError
from neuronio.layers.core import InputLayer
from neuronio.layers.layer import Layer
from neuronio.layers.name_scope import name_scope
from neuronio.layers.symbolic import SymbolicTensor
from neuronio.models.functional import adjust_input_rank
from neuronio.models.model import Model
from neuronio.saving.object_registration import custom_object_scope
from neuronio.saving.serialization import deserialize_layer, serialize_layer


class Sequential(Model):
    """A linear stack of layers: `Sequential([Dense(512, input_shape=(784,)), Dense(10)])`.

    The input shape comes from `Input(shape)` as the first element, from `input_shape=` on the
    first layer, or from the first batch of data.
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._input_layer = None
        self._stack: list[Layer] = []
        self._output = None  # symbolic output once the input shape is known
        for layer in layers or []:
            self.add(layer)

    def add(self, layer, rebuild=True):
        """Append a layer (or an `Input(...)` tensor as the first element)."""
        if isinstance(layer, SymbolicTensor):
            layer = layer.node.layer
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a Layer instance; received {type(layer).__name__} ({layer!r}). "
                f"Did you forget the parentheses, e.g. Dense(10) instead of Dense?"
            )
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._stack:
                raise ValueError("Sequential: an Input can only be the first element of the model.")
            self._input_layer = layer
            self._output = layer.output
            return
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"Sequential: all layers need unique names; '{layer.name}' is already in the model.")
        if self._input_layer is None and not self._stack and layer._batch_input_shape is not None:
            self._input_layer = InputLayer(batch_shape=layer._batch_input_shape, dtype=layer.dtype)
            self._output = self._input_layer.output
        self._stack.append(layer)
        self._layers.append(layer)
        if self._output is not None:
            with name_scope(self):  # the layer's variables are the model's: "<model>/<layer>/<name>"
                self._output = layer(self._output)  # builds the layer and checks shapes now, as Keras does
            self.built = True
            self._build_shapes = self._input_layer.batch_shape

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError("Sequential.pop: there are no layers to remove.")
        layer = self._stack.pop()
        self._layers.remove(layer)
        if self._input_layer is not None:
            self._output = self._input_layer.output
            for remaining in self._stack:
                self._output = (
                    remaining._inbound_nodes[-1].outputs[0] if remaining._inbound_nodes else remaining(self._output)
                )
        return layer

    @property
    def layers(self) -> list:
        return list(self._stack)

    @property
    def input_shape(self):
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def output_shape(self):
        return None if self._output is None else self._output.shape

    @property
    def inputs(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        return [self._input_layer.output]

    @property
    def outputs(self):
        if self._output is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return [self._output]

    @property
    def input_names(self):
        return [self._input_layer.name] if self._input_layer is not None else ["input"]

    @property
    def output_names(self):
        return [self._stack[-1].name] if self._stack else []

    def build(self, input_shape):
        if self._input_layer is not None:
            return
        if isinstance(input_shape, list):
            raise ShapeError("A Sequential model takes a single input; received several.")
        self._input_layer = InputLayer(batch_shape=(None, *tuple(input_shape)[1:]), dtype=self.dtype)
        output = self._input_layer.output
        with name_scope(self):
            for layer in self._stack:
                output = layer(output)
        self._output = output

    def call(self, inputs, training=None):
        x, mask = inputs, None
        if self._input_layer is not None and not isinstance(inputs, (list, tuple)):
            x = adjust_input_rank(x, self._input_layer.batch_shape, self._input_layer.name)
        for layer in self._stack:
            x, mask = layer.call_with_mask(x, mask, training=training)  # Keras's mask propagation
        return with_mask(x, mask)  # the loss and metrics leave masked timesteps out (Keras)

    def compute_output_shape(self, input_shape):
        if self._output is not None:
            return self._output.shape
        return super().compute_output_shape(input_shape)

    def get_config(self) -> dict:
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_layer(self._input_layer))
        layers += [serialize_layer(layer) for layer in self._stack]
        config_dict = {"name": self.name, "trainable": self.trainable, "layers": layers}
        if self._input_layer is not None:
            config_dict["build_input_shape"] = list(self._input_layer.batch_shape)
        return config_dict

    @classmethod
    def from_config(cls, config_dict: dict, who: str = "config", custom_objects=None):
        """Rebuild the model; `custom_objects` maps the names of the user's own layers to their classes."""
        with custom_object_scope(custom_objects):
            return cls._from_config(config_dict, who)

    @classmethod
    def _from_config(cls, config_dict: dict, who: str):
        model = cls(name=config_dict.get("name"), trainable=config_dict.get("trainable", True))
        for entry in config_dict.get("layers", []):
            if entry.get("class_name") == "InputLayer":
                model.add(InputLayer.from_config(dict(entry["config"])))
            else:
                model.add(deserialize_layer(entry, who))
        if not model.built and config_dict.get("build_input_shape"):
            model._maybe_build(tuple(config_dict["build_input_shape"]))
        return model
