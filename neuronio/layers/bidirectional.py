"""Bidirectional: one recurrent layer reads the sequence forwards, a copy reads it backwards."""

from neuronio.layers.layer import Layer, registry
from neuronio.layers.rnn_cells import deserialize_cell, serialize_cell
from neuronio.ops.elementwise import multiply
from neuronio.ops.shape import concatenate, getitem

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _copy(layer, name: str, **overrides):
    """A fresh layer of the same class and configuration (new weights), renamed."""
    return type(layer).from_config({**layer.get_config(), "name": name, **overrides})


@registry.register("Bidirectional")
class Bidirectional(Layer):
    """Runs `layer` forwards and a copy of it backwards, then merges their outputs.

    Args:
        layer: an RNN layer (LSTM, GRU, SimpleRNN or RNN).
        merge_mode: "concat" (default), "sum", "mul", "ave", or None (a list of both outputs).
        backward_layer: the backward layer, if not a copy of `layer` (its go_backwards must be
            the opposite of `layer`'s).

    With return_sequences, the backward outputs are flipped back into time order before merging,
    and both directions output zeros at masked steps (Keras's `zero_output_for_mask`).

    >>> import numpy as np
    >>> from neuronio.layers import LSTM
    >>> Bidirectional(LSTM(3))(np.ones((2, 5, 4), "float32")).shape
    (2, 6)
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        super().__init__(**kwargs)
        layer = deserialize_cell(layer) if isinstance(layer, dict) else layer
        backward_layer = deserialize_cell(backward_layer) if isinstance(backward_layer, dict) else backward_layer
        if not hasattr(layer, "go_backwards") or not hasattr(layer, "return_sequences"):
            raise ValueError(
                f"Bidirectional '{self.name}': `layer` must be a recurrent layer (LSTM, GRU, SimpleRNN, RNN); "
                f"received {layer!r}."
            )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"Bidirectional '{self.name}': merge_mode must be one of {MERGE_MODES}; received {merge_mode!r}."
            )
        zero = layer.return_sequences
        base = layer.name.removeprefix("forward_")  # a reloaded config names the forward copy
        self.forward_layer = _copy(layer, f"forward_{base}", zero_output_for_mask=zero)
        if backward_layer is None:
            backward_layer = _copy(layer, f"backward_{base}", go_backwards=not layer.go_backwards)
        elif backward_layer.go_backwards == layer.go_backwards:
            raise ValueError(
                f"Bidirectional '{self.name}': backward_layer.go_backwards must be the opposite of "
                f"layer.go_backwards ({layer.go_backwards}); received {backward_layer.go_backwards}."
            )
        for attr in ("return_sequences", "return_state"):
            if getattr(backward_layer, attr) != getattr(layer, attr):
                raise ValueError(
                    f"Bidirectional '{self.name}': forward and backward layers must agree on {attr}; "
                    f"received {getattr(layer, attr)} and {getattr(backward_layer, attr)}."
                )
        backward_layer.zero_output_for_mask = zero
        self.backward_layer = backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self._initial_weights = weights

    def build(self, input_shape):
        self.forward_layer._maybe_build(input_shape)
        self.backward_layer._maybe_build(input_shape)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs, initial_state=None, mask=None, training=False):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        y = self.forward_layer(inputs, training=training, initial_state=forward_state, mask=mask)
        y_rev = self.backward_layer(inputs, training=training, initial_state=backward_state, mask=mask)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = getitem(y_rev, (slice(None), slice(None, None, -1)))  # back into time order
        if self.merge_mode == "concat":
            out = concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            out = y + y_rev
        elif self.merge_mode == "ave":
            out = (y + y_rev) * 0.5
        elif self.merge_mode == "mul":
            out = multiply(y, y_rev)
        else:
            out = [y, y_rev]
        outputs = out if isinstance(out, list) else [out]
        return outputs + states if self.return_state or self.merge_mode is None else out

    def compute_output_shape(self, input_shape):
        shape = self.forward_layer.compute_output_shape(input_shape)
        shape, states = (shape[0], list(shape[1:])) if self.return_state else (shape, [])
        if self.merge_mode == "concat":
            merged = [(*shape[:-1], shape[-1] * 2)]
        elif self.merge_mode is None:
            merged = [shape, shape]
        else:
            merged = [shape]
        if not states and len(merged) == 1:
            return merged[0]
        return merged + states * 2

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        n_out = 2 if self.merge_mode is None else 1
        n_states = len(self.forward_layer.compute_output_shape((None, 1, 1))) - 1 if self.return_state else 0
        if n_out == 1 and not n_states:
            return out
        return [out] * n_out + [None] * (2 * n_states)

    def saved_sublayers(self) -> list:
        return [("forward_layer", self.forward_layer), ("backward_layer", self.backward_layer)]

    def reset_states(self) -> None:
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def get_config(self):
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_cell(self.forward_layer),
            "backward_layer": serialize_cell(self.backward_layer),
        }
