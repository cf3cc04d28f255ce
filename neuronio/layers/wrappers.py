"""Wrapper, the base of layers that hold one other layer, and TimeDistributed: one layer applied to
every step of a sequence, with its weights shared over time."""

from neuronio._registry import envelope, parts
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.ops import reshape


def nested_config(layer: Layer) -> dict:
    """A sublayer's Keras envelope, as wrappers put it in their config (`"layer": {...}`)."""
    return envelope("layers", registry.name_of(layer), layer.get_config())


def nested_layer(nested, owner: str) -> Layer:
    """The layer a nested envelope describes (resolved through the layer registry only), or a
    Layer given as is."""
    if isinstance(nested, Layer):
        return nested
    if not isinstance(nested, dict) or not isinstance(nested.get("class_name"), str):
        raise TypeError(f"{owner}: `layer` must be a Layer instance; received {type(nested).__name__}.")
    class_name, config_dict = parts(nested, "layer")
    return registry.lookup(class_name).from_config(config_dict)


class Wrapper(Layer):
    """The base class of a layer that wraps one other layer (`self.layer`), as Keras's Wrapper.

    A subclass writes `call` (and `compute_output_shape` if its shape differs); the wrapper builds
    the inner layer on its own input shape unless a subclass says otherwise, owns its weights,
    and saves it nested in its config (`"layer": {...}`), from which `from_config` rebuilds it.

    Args:
        layer: the Layer to wrap (or its serialized config).
    """

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.layer = nested_layer(layer, f"{type(self).__name__} '{self.name}'")

    def build(self, input_shape=None):
        if not self.layer.built and input_shape is not None:
            self.layer._maybe_build(input_shape)

    def get_config(self):
        return {**super().get_config(), "layer": nested_config(self.layer)}


@registry.register("TimeDistributed")
class TimeDistributed(Wrapper):
    """Applies `layer` to every step: (batch, steps, *features) -> (batch, steps, *layer's output).

    The steps are folded into the batch, so the wrapped layer runs once on (batch * steps,
    *features) (one GEMM for a Dense, not one per step) with the same weights for every step.
    Its weights are the wrapper's: `TimeDistributed(Dense(8))` on 16 features has 16 * 8 + 8.
    (A BatchNormalization inside takes its training statistics over batch and steps together.)

    Args:
        layer: the Layer to apply at each step.
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.input_spec = InputSpec(min_ndim=3)

    def build(self, input_shape):
        self.layer._maybe_build((input_shape[0], *input_shape[2:]))  # (batch, *features): one step

    def call(self, inputs, training=None, mask=None):
        n, steps = inputs.shape[:2]
        folded = reshape(inputs, (n * steps, *inputs.shape[2:]))  # (N * L, *features): a view
        outputs = self.layer(folded, training=training)  # (N * L, *out)
        return reshape(outputs, (n, steps, *outputs.shape[1:]))  # (N, L, *out)

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape((input_shape[0], *input_shape[2:]))
        return (child[0], input_shape[1], *child[1:])
