"""hidden_states / plot_hidden_states: what a recurrent layer carries from step to step.

For one input sequence, the layer's hidden state h_t at every timestep, drawn as a heatmap (units
down, time across) under the sequence itself: which units switch on at which part of the input,
and how long they remember it.
"""

import numpy as np

from neuronio.visualize import _graph, _style
from neuronio.visualize.activations import _one_input


def recurrent_layers(model) -> list:
    """The model's recurrent layers (SimpleRNN, LSTM, GRU, RNN, and Bidirectional wrappers)."""
    from neuronio.layers import RNN, Bidirectional

    return [layer for layer in model.layers if isinstance(layer, (RNN, Bidirectional))]


def _resolve(model, layer, who: str):
    from neuronio.layers import RNN, Bidirectional

    candidates = recurrent_layers(model)
    if layer is None:
        if not candidates:
            raise ValueError(f"{who}: model '{model.name}' has no recurrent layer (SimpleRNN, LSTM, GRU, RNN).")
        return candidates[0]
    found = _graph.resolve_layer(model, layer, who)
    if not isinstance(found, (RNN, Bidirectional)):
        names = ", ".join(f"'{each.name}'" for each in candidates) or "none"
        raise TypeError(
            f"{who}: layer '{found.name}' ({type(found).__name__}) is not recurrent. Recurrent layers of model "
            f"'{model.name}': {names}."
        )
    return found


def _states_in_time_order(rnn, inputs: np.ndarray) -> np.ndarray:
    """(T, units): a copy of `rnn` with its weights that returns every step, read in time order."""
    config = {**rnn.get_config(), "return_sequences": True, "return_state": False, "stateful": False}
    twin = type(rnn).from_config(config)
    twin(inputs)
    twin.set_weights(rnn.get_weights())
    states = twin(inputs).numpy()[0]
    return states[::-1] if rnn.go_backwards else states


def hidden_states(model, x, layer=None) -> tuple[np.ndarray, np.ndarray]:
    """(the layer's input sequence (T, D), its hidden states (T, units)) for one sample x.

    Bidirectional layers give the forward then the backward states side by side (both in time
    order). States are computed without a mask: padded steps show what the layer would do there.
    """
    who = "hidden_states"
    layer = _resolve(model, layer, who)
    x = _one_input(model, x, who)
    source = _graph.layer_node(model, layer, who).inputs[0]
    if any(source is t for t in model.inputs):
        inputs = x
    else:
        ((_, (inputs,)),) = _graph.batched_outputs(model, x, [source])
    inputs = np.asarray(inputs)
    halves = [layer.forward_layer, layer.backward_layer] if hasattr(layer, "forward_layer") else [layer]
    states = np.concatenate([_states_in_time_order(rnn, inputs) for rnn in halves], axis=1)
    return inputs[0], states


def plot_hidden_states(model, x, layer=None, max_units: int = 128):
    """A recurrent layer's hidden state over time for one input sequence, under the sequence.

    Args:
        model: a built model with a recurrent layer.
        x: one sample, e.g. an MNIST image as 28 rows of 28 pixels.
        layer: the recurrent layer (name, index or the layer); None for the first one.
        max_units: draw at most this many units (the first ones).

    Returns:
        A matplotlib Figure.
    """
    sequence, states = hidden_states(model, x, layer)
    name = _resolve(model, layer, "plot_hidden_states").name
    states = states[:, :max_units]
    steps = len(states)
    fig = _style.new_figure(
        "plot_hidden_states", 2.0 + 0.18 * steps, 2.5 + 0.04 * (states.shape[1] + sequence.shape[-1])
    )
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[sequence.shape[-1] + 4, states.shape[1] + 4])
    top.imshow(sequence.reshape(steps, -1).T, aspect="auto", cmap="gray_r", interpolation="nearest")
    top.set_ylabel("input feature")
    top.set_title(f"Input sequence ({steps} steps)")
    limit = float(np.abs(states).max()) or 1.0
    image = bottom.imshow(states.T, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    bottom.set_ylabel("unit")
    bottom.set_xlabel("timestep")
    bottom.set_title(f"Hidden state of '{name}' at each step")
    fig.colorbar(image, ax=bottom, fraction=0.03, pad=0.01)
    return fig
