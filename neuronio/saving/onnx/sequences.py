"""Converters for the sequence layers: SimpleRNN, LSTM and GRU as ONNX's RNN, LSTM and GRU ops,
Bidirectional, Embedding, and the 1-D shape layers.

ONNX's recurrent ops read time-major input (T, N, D) and weights per gate, input side W (G, D)
and recurrent side R (G, H), with the biases of both sides B (2G,). Keras keeps (D, G) kernels
with gates LSTM i, f, c, o (ONNX: i, o, f, c) and GRU z, r, h (ONNX: z, r, h), and one bias (the
input side's) except GRU with reset_after=True, whose bias (2, 3H) holds both sides, which is
ONNX's linear_before_reset=1. Masks have no ONNX form: a model that carries one is refused.
"""

import numpy as np

from neuronio import activations
from neuronio.layers import GRU, LSTM, Bidirectional, Embedding, Masking, Permute, RepeatVector, SimpleRNN
from neuronio.saving.onnx.converters import converts, weight
from neuronio.saving.onnx.graph import ExportError, Value

# Keras activation -> (ONNX recurrent activation name, its alpha, its beta)
_RNN_ACTIVATIONS = {
    "tanh": ("Tanh", None, None),
    "sigmoid": ("Sigmoid", None, None),
    "relu": ("Relu", None, None),
    "hard_sigmoid": ("HardSigmoid", 1.0 / 6.0, 0.5),  # relu6(x + 3) / 6 = clip(x / 6 + 1/2, 0, 1)
    "linear": ("Affine", 1.0, 0.0),
    "softsign": ("Softsign", None, None),
    "softplus": ("Softplus", None, None),
}
_LSTM_ORDER = (0, 3, 1, 2)  # Keras's gate blocks i, f, c, o taken in ONNX's order i, o, f, c


def _gates(matrix: np.ndarray, order, units: int) -> np.ndarray:
    """Reorder the gate blocks along the last axis of a (..., G*units) array."""
    blocks = [matrix[..., k * units : (k + 1) * units] for k in order]
    return np.concatenate(blocks, axis=-1)


def _activations(layer, names) -> dict:
    found, alphas, betas = [], [], []
    for fn in names:
        name = activations.serialize(fn)
        if name not in _RNN_ACTIVATIONS:
            raise ExportError(f"'{layer.name}': the recurrent activation '{name}' has no ONNX form.")
        onnx_name, alpha, beta = _RNN_ACTIVATIONS[name]
        found.append(onnx_name)
        if alpha is not None:
            alphas.append(alpha)
            betas.append(beta)
    attributes = {"activations": found}
    if alphas:
        attributes.update(activation_alpha=alphas, activation_beta=betas)
    return attributes


def _check_plain(layer) -> None:
    if layer.stateful:
        raise ExportError(f"'{layer.name}' is stateful: its state between batches has no ONNX form.")


def _one_direction(g, layer, x_time_major: str, reverse: bool, hint: str):
    """One recurrent op over (T, N, D); returns (Y (T, 1, N, H), the final states (1, N, H)...)."""
    cell, units = layer.cell, layer.cell.units
    kind = type(layer)
    kernel, recurrent = weight(cell.kernel), weight(cell.recurrent_kernel)
    if kind is LSTM:
        w, r = _gates(kernel, _LSTM_ORDER, units).T, _gates(recurrent, _LSTM_ORDER, units).T
        b = _gates(weight(cell.bias), _LSTM_ORDER, units) if cell.bias is not None else np.zeros(4 * units)
        b = np.concatenate([b, np.zeros_like(b)])
        op, names, extra = "LSTM", [cell.recurrent_activation, cell.activation, cell.activation], {}
        n_states = 2
    elif kind is GRU:
        w, r = kernel.T, recurrent.T
        if cell.bias is None:
            b = np.zeros(6 * units)
        elif cell.reset_after:
            b = weight(cell.bias).reshape(-1)  # rows: input side, recurrent side
        else:
            b = np.concatenate([weight(cell.bias), np.zeros(3 * units)])
        op, names = "GRU", [cell.recurrent_activation, cell.activation]
        extra = {"linear_before_reset": 1 if cell.reset_after else 0}
        n_states = 1
    else:  # SimpleRNN
        w, r = kernel.T, recurrent.T
        b = weight(cell.bias) if cell.bias is not None else np.zeros(units)
        b = np.concatenate([b, np.zeros_like(b)])
        op, names, extra, n_states = "RNN", [cell.activation], {}, 1
    inputs = [
        x_time_major,
        g.constant(f"{hint}_W", w[None]),
        g.constant(f"{hint}_R", r[None]),
        g.constant(f"{hint}_B", b[None]),
    ]
    outputs = [g.fresh(f"{hint}_Y")] + [g.fresh(f"{hint}_state{k}") for k in range(n_states)]
    g.nodes.append(
        g.onnx.helper.make_node(
            op,
            inputs,
            outputs,
            name=outputs[0],
            hidden_size=units,
            direction="reverse" if reverse else "forward",
            **_activations(layer, names),
            **extra,
        )
    )
    return outputs[0], outputs[1:]


def _batch_major_sequence(g, y: str, hint: str) -> str:
    """(T, D, N, H) -> (N, T, D*H): the directions side by side, forward first (Keras's concat)."""
    y = g.node("Transpose", [y], f"{hint}_bt", perm=[2, 0, 1, 3])
    return g.node("Reshape", [y, g.constant("keep_n_t", [0, 0, -1])], hint)


def _batch_major_state(g, state: str, hint: str) -> str:
    """(D, N, H) -> (N, D*H)."""
    state = g.node("Transpose", [state], f"{hint}_bt", perm=[1, 0, 2])
    return g.node("Reshape", [state, g.constant("keep_n", [0, -1])], hint)


@converts(SimpleRNN, LSTM, GRU)
def recurrent(g, layer, x):
    _check_plain(layer)
    x_tm = g.node("Transpose", [g.as_logical(x).name], f"{layer.name}_tm", perm=[1, 0, 2])  # (T, N, D)
    y, states = _one_direction(g, layer, x_tm, layer.go_backwards, layer.name)
    if layer.return_sequences:
        out = _batch_major_sequence(g, y, layer.name)
        if layer.go_backwards:  # Keras returns a backward layer's outputs in the order it made them
            steps = x.shape[1]
            out = g.node(
                "Slice",
                [out, g.constant("rev_start", [-1]), g.constant("rev_end", [-(steps + 1)]),
                 g.constant("axis1", [1]), g.constant("step_back", [-1])],
                f"{layer.name}_reversed",
            )  # fmt: skip
    else:
        out = _batch_major_state(g, states[0], layer.name)
    if not layer.return_state:
        return Value(out, x.shape)
    # Keras's states: LSTM [h, c], GRU and SimpleRNN [h]; ONNX's LSTM gives Y_h then Y_c.
    return [Value(out, x.shape)] + [
        Value(_batch_major_state(g, s, f"{layer.name}_state{k}"), x.shape) for k, s in enumerate(states)
    ]


@converts(Bidirectional)
def bidirectional(g, layer, x):
    forward, backward = layer.forward_layer, layer.backward_layer
    for part in (forward, backward):
        _check_plain(part)
        if type(part) not in (SimpleRNN, LSTM, GRU) or part.return_state:
            raise ExportError(f"'{layer.name}': only SimpleRNN, LSTM or GRU without return_state export to ONNX.")
    x_tm = g.node("Transpose", [g.as_logical(x).name], f"{layer.name}_tm", perm=[1, 0, 2])
    y_f, s_f = _one_direction(g, forward, x_tm, forward.go_backwards, f"{layer.name}_fw")
    y_b, s_b = _one_direction(g, backward, x_tm, backward.go_backwards, f"{layer.name}_bw")
    # ONNX's reverse direction returns outputs in time order: what Keras's Bidirectional does with
    # its backward layer's sequence before merging.
    if forward.return_sequences:
        parts = [_batch_major_sequence(g, y, f"{layer.name}_{d}") for y, d in ((y_f, "f"), (y_b, "b"))]
    else:
        parts = [_batch_major_state(g, s[0], f"{layer.name}_{d}") for s, d in ((s_f, "f"), (s_b, "b"))]
    mode = layer.merge_mode
    if mode == "concat":
        out = g.node("Concat", parts, layer.name, axis=-1)
    elif mode in ("sum", "mul", "ave"):
        out = g.node({"sum": "Sum", "mul": "Mul", "ave": "Mean"}[mode], parts, layer.name)
    else:
        return [Value(p, x.shape) for p in parts]
    return Value(out, x.shape)


@converts(Embedding)
def embedding(g, layer, x):
    if layer.mask_zero:
        raise ExportError(
            f"'{layer.name}' has mask_zero=True: masks have no ONNX form; export a model without masking."
        )
    ids = g.node("Cast", [g.as_logical(x).name], f"{layer.name}_ids", to=7)  # int64
    return Value(g.node("Gather", [g.constant(f"{layer.name}_embeddings", weight(layer.embeddings)), ids],
                        layer.name), x.shape)  # fmt: skip


@converts(Masking)
def masking(g, layer, x):
    raise ExportError(f"'{layer.name}' (Masking): masks have no ONNX form; export a model without masking.")


@converts(RepeatVector)
def repeat_vector(g, layer, x):
    x = g.as_logical(x)  # (N, D) -> (N, 1, D) -> (N, n, D)
    expanded = g.node("Unsqueeze", [x.name, g.constant("axis1", [1])], f"{layer.name}_expand")
    return Value(g.node("Tile", [expanded, g.constant(f"{layer.name}_reps", [1, layer.n, 1])], layer.name), x.shape)


@converts(Permute)
def permute(g, layer, x):
    x = g.as_logical(x)
    return Value(g.node("Transpose", [x.name], layer.name, perm=[0, *(int(d) for d in layer.dims)]), x.shape)
