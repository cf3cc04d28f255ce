"""Recurrent cells: SimpleRNNCell, LSTMCell, GRUCell and StackedRNNCells (Keras 3's API).

A cell holds the weights and says what one timestep does: `call(inputs, states, training)`
returns `(output, new_states)`, built from ops, so the tape differentiates it. The `RNN` layer
runs a cell over time. For the three built-in cells it uses their `scan` instead: one GEMM
projects every timestep's input, and `neuronio.ops.recurrent` runs the recurrence with
hand-written backpropagation through time. Both paths compute the same numbers.

Weights are Keras's: `kernel` (D, G*U), `recurrent_kernel` (U, G*U), `bias`, gates in Keras's
order (LSTM i, f, c, o; GRU z, r, h; GRU bias (2, 3U) with `reset_after=True`).
"""

import inspect

import numpy as np

from neuronio import _registry, activations, config, initializers
from neuronio.layers.arguments import check_positive_int
from neuronio.layers.layer import Layer, registry
from neuronio.ops import recurrent
from neuronio.ops.elementwise import multiply
from neuronio.ops.linalg import matmul
from neuronio.ops.shape import getitem, reshape

# Keras arguments neuronio accepts only at their default (None): named so that a user's value
# fails loudly instead of being ignored.
UNSUPPORTED = (
    "kernel_regularizer",
    "recurrent_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "recurrent_constraint",
    "bias_constraint",
)


def pop_unsupported(owner: str, kwargs: dict) -> None:
    """Remove Keras's regularizer/constraint arguments from kwargs; refuse any that is set."""
    for key in UNSUPPORTED:
        value = kwargs.pop(key, None)
        if value is not None:
            raise ValueError(
                f"{owner}: `{key}` is not supported by neuronio's recurrent layers; received "
                f"{key}={value!r}. Remove it (or add the penalty to the loss yourself)."
            )


def initializer(value):
    """initializers.get, also for Keras 3.15 configs that carry `input_axes/output_axes: null`."""
    if isinstance(value, dict) and isinstance(value.get("config"), dict):
        inner = {k: v for k, v in value["config"].items() if not (k in ("input_axes", "output_axes") and v is None)}
        value = {**value, "config": inner}
    return initializers.get(value)


def forget_bias_initializer(base, units: int):
    """An LSTM bias initializer (gates i, f, c, o of `units` each): `base`, with the forget gate's
    block at 1 (Keras's unit_forget_bias), so that the cell starts by keeping its memory."""

    def init(shape, dtype=None):
        values = np.asarray(base((4 * units,), dtype=dtype)).copy()
        values[units : 2 * units] = 1.0
        return values

    return init


def fraction(owner: str, name: str, value) -> float:
    """A dropout rate in [0, 1), or a ValueError naming the layer and the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{owner}: `{name}` must be a fraction in [0, 1); received {name}={value!r}.")
    return float(value)


class _Cell(Layer):
    """What the three built-in cells share: arguments, dropout masks, weights, config."""

    gates = 1

    def __init__(
        self,
        units,
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        pop_unsupported(type(self).__name__, kwargs)
        kwargs.pop("implementation", None)  # Keras's kernel-splitting switch: the same numbers either way
        super().__init__(**kwargs)
        who = f"{type(self).__name__} '{self.name}'"
        self.units = check_positive_int(who, "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializer(kernel_initializer)
        self.recurrent_initializer = initializer(recurrent_initializer)
        self.bias_initializer = initializer(bias_initializer)
        self.dropout = fraction(who, "dropout", dropout)
        self.recurrent_dropout = fraction(who, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._rng = None if seed is None else np.random.default_rng(seed)
        self.reset_dropout_mask()

    @property
    def state_size(self):
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def __call__(self, inputs, states, training=None):
        """One timestep, as Keras calls a cell: `output, new_states = cell(x_t, states)`."""
        return step(self, inputs, states, training)

    def get_initial_state(self, batch_size=None):
        """Zero states, one (batch_size, size) array per state (Keras's starting point)."""
        return [np.zeros((batch_size, s), dtype=self.dtype) for s in _flat_sizes(self)]

    def _build_kernels(self, input_dim: int) -> None:
        g = self.gates * self.units
        self.kernel = self.add_weight(shape=(input_dim, g), initializer=self.kernel_initializer, name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, g), initializer=self.recurrent_initializer, name="recurrent_kernel"
        )

    # -- dropout masks: one per call of the RNN layer, the same at every timestep (Keras) ---------
    def reset_dropout_mask(self) -> None:
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _mask(self, shape, rate, dtype) -> np.ndarray:
        rng = self._rng or config.rng()
        return (rng.random(shape, dtype=np.float32) >= rate).astype(dtype) / np.asarray(1.0 - rate, dtype)

    def dropped_inputs(self, inputs, training):
        """inputs * the cached input dropout mask (a mask over the last axis, fixed in time)."""
        if not training or self.dropout == 0:
            return inputs
        shape = (inputs.shape[0], inputs.shape[-1])
        if self._dropout_mask is None or self._dropout_mask.shape != shape:
            self._dropout_mask = self._mask(shape, self.dropout, inputs.dtype)
        mask = self._dropout_mask if inputs.ndim == 2 else self._dropout_mask[:, None, :]
        return multiply(inputs, mask)

    def recurrent_mask(self, batch: int, training, dtype):
        """The cached (N, U) recurrent dropout mask, or None."""
        if not training or self.recurrent_dropout == 0:
            return None
        if self._recurrent_dropout_mask is None or self._recurrent_dropout_mask.shape[0] != batch:
            self._recurrent_dropout_mask = self._mask((batch, self.units), self.recurrent_dropout, dtype)
        return self._recurrent_dropout_mask

    def _project(self, inputs, training, bias=None):
        """x @ kernel (+ bias) for one step (N, D) or all steps at once (N, T, D): one GEMM.

        A sequence is flattened to (N*T, D) first, so that forward, dx and d(kernel) are each one
        2-D GEMM (a batched (N, T, D) product would make d(kernel) N small GEMMs and a sum)."""
        x = self.dropped_inputs(inputs, training)
        if x.ndim == 3:
            n, t, d = x.shape
            p = reshape(matmul(reshape(x, (n * t, d)), self.kernel), (n, t, -1))  # (N, T, G)
        else:
            p = matmul(x, self.kernel)  # (N, G)
        bias = self.bias if bias is None else bias
        return p if bias is None else p + bias

    def can_scan(self) -> bool:
        names = [activations.registry.name_of(a) for a in self._activations()]
        return all(name in recurrent.ACTIVATIONS for name in names)

    def _activations(self):
        return [self.activation]

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            **dict.fromkeys(k for k in UNSUPPORTED if k != "activity_regularizer"),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


def _name(fn) -> str:
    return activations.registry.name_of(fn)


@registry.register("SimpleRNNCell")
class SimpleRNNCell(_Cell):
    """h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias); output = h_t."""

    def build(self, input_shape):
        self._build_kernels(input_shape[-1])
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer, name="bias")

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        rmask = self.recurrent_mask(h.shape[0], training, h.dtype)
        hd = h if rmask is None else multiply(h, rmask)
        out = self.activation(self._project(inputs, training) + matmul(hd, self.recurrent_kernel))
        return out, [out]

    def scan(self, inputs, states, mask, go_backwards, training, zero_output_for_mask):
        p = self._project(inputs, training)  # (N, T, U): every step's input in one GEMM
        rmask = self.recurrent_mask(inputs.shape[0], training, inputs.dtype)
        out, h = recurrent.simple_rnn_scan(
            p, self.recurrent_kernel, states[0], mask, go_backwards, _name(self.activation), rmask, zero_output_for_mask
        )
        return out, [h]


class _GatedCell(_Cell):
    """LSTM and GRU cells: gates with their own `recurrent_activation` (Keras's "sigmoid")."""

    def __init__(self, units, recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def _activations(self):
        return [self.activation, self.recurrent_activation]

    def get_config(self):
        return {**super().get_config(), "recurrent_activation": activations.serialize(self.recurrent_activation)}


@registry.register("LSTMCell")
class LSTMCell(_GatedCell):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), Keras's gate order i, f, c, o.

    Args beyond SimpleRNNCell's: recurrent_activation (gates; "sigmoid"), unit_forget_bias
    (bias of the forget gate starts at 1, Keras's default True).
    """

    gates = 4

    def __init__(self, units, unit_forget_bias=True, **kwargs):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    @property
    def state_size(self):
        return [self.units, self.units]

    def build(self, input_shape):
        self._build_kernels(input_shape[-1])
        self.bias = None
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                init = forget_bias_initializer(self.bias_initializer, self.units)
            self.bias = self.add_weight(shape=(4 * self.units,), initializer=init, name="bias")

    def call(self, inputs, states, training=False):
        h, c = states
        u = self.units
        rmask = self.recurrent_mask(h.shape[0], training, h.dtype)
        hd = h if rmask is None else multiply(h, rmask)
        z = self._project(inputs, training) + matmul(hd, self.recurrent_kernel)  # (N, 4U)
        i = self.recurrent_activation(getitem(z, (slice(None), slice(0, u))))
        f = self.recurrent_activation(getitem(z, (slice(None), slice(u, 2 * u))))
        g = self.activation(getitem(z, (slice(None), slice(2 * u, 3 * u))))
        o = self.recurrent_activation(getitem(z, (slice(None), slice(3 * u, 4 * u))))
        c = f * c + i * g
        h = o * self.activation(c)
        return h, [h, c]

    def scan(self, inputs, states, mask, go_backwards, training, zero_output_for_mask):
        p = self._project(inputs, training)  # (N, T, 4U)
        rmask = self.recurrent_mask(inputs.shape[0], training, inputs.dtype)
        out, h, c = recurrent.lstm_scan(
            p, self.recurrent_kernel, states[0], states[1], mask, go_backwards,
            _name(self.activation), _name(self.recurrent_activation), rmask, zero_output_for_mask,
        )  # fmt: skip
        return out, [h, c]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@registry.register("GRUCell")
class GRUCell(_GatedCell):
    """Gated recurrent unit (Cho et al. 2014), Keras's gate order z, r, h.

    reset_after=True (Keras's default, cuDNN's form) applies the reset gate after the recurrent
    GEMM and keeps two bias rows, (2, 3U): input bias, recurrent bias.
    """

    gates = 3

    def __init__(self, units, reset_after=True, **kwargs):
        super().__init__(units, **kwargs)
        self.reset_after = bool(reset_after)

    def build(self, input_shape):
        self._build_kernels(input_shape[-1])
        self.bias = None
        if self.use_bias:
            shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
            self.bias = self.add_weight(shape=shape, initializer=self.bias_initializer, name="bias")

    def _biases(self):
        if self.bias is None:
            return None, None
        if not self.reset_after:
            return self.bias, None
        return getitem(self.bias, 0), getitem(self.bias, 1)

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        b_in, b_rec = self._biases()
        x = self._project(inputs, training, b_in) if b_in is not None else self._project(inputs, training)
        rmask = self.recurrent_mask(h.shape[0], training, h.dtype)
        hd = h if rmask is None else multiply(h, rmask)
        cols = [slice(0, u), slice(u, 2 * u), slice(2 * u, 3 * u)]
        x_z, x_r, x_h = (getitem(x, (slice(None), s)) for s in cols)
        if self.reset_after:
            inner = matmul(hd, self.recurrent_kernel)
            if b_rec is not None:
                inner = inner + b_rec
            r_z, r_r, r_h = (getitem(inner, (slice(None), s)) for s in cols)
            z = self.recurrent_activation(x_z + r_z)
            r = self.recurrent_activation(x_r + r_r)
            hh = self.activation(x_h + r * r_h)
        else:
            inner = matmul(hd, getitem(self.recurrent_kernel, (slice(None), slice(0, 2 * u))))
            z = self.recurrent_activation(x_z + getitem(inner, (slice(None), cols[0])))
            r = self.recurrent_activation(x_r + getitem(inner, (slice(None), cols[1])))
            hh = self.activation(x_h + matmul(r * hd, getitem(self.recurrent_kernel, (slice(None), cols[2]))))
        h = z * h + (1.0 - z) * hh
        return h, [h]

    def scan(self, inputs, states, mask, go_backwards, training, zero_output_for_mask):
        b_in, b_rec = self._biases()
        p = self._project(inputs, training, b_in) if b_in is not None else self._project(inputs, training)
        rmask = self.recurrent_mask(inputs.shape[0], training, inputs.dtype)
        out, h = recurrent.gru_scan(
            p, self.recurrent_kernel, b_rec, states[0], self.reset_after, mask, go_backwards,
            _name(self.activation), _name(self.recurrent_activation), rmask, zero_output_for_mask,
        )  # fmt: skip
        return out, [h]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


def _flat_sizes(cell) -> list:
    size = cell.state_size
    return list(size) if isinstance(size, (list, tuple)) else [size]


@registry.register("StackedRNNCells")
class StackedRNNCells(Layer):
    """Several cells run as one: each timestep passes through the cells in order.

    Its states are the cells' states, concatenated in order (Keras 3's layout).
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        cells = [deserialize_cell(c) if isinstance(c, dict) else c for c in cells]
        for cell in cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(
                    f"StackedRNNCells: every cell needs `call(inputs, states)` and `state_size`; received {cell!r}."
                )
        self.cells = cells

    @property
    def state_size(self):
        return [s for cell in self.cells for s in _flat_sizes(cell)]

    def __call__(self, inputs, states, training=None):
        """One timestep through every cell: `output, new_states = cells(x_t, states)`."""
        return step(self, inputs, states, training)

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        return getattr(last, "output_size", _flat_sizes(last)[0])

    def build(self, input_shape):
        dim = input_shape[-1]
        for cell in self.cells:
            if isinstance(cell, Layer):
                cell._maybe_build((input_shape[0], dim))
            dim = getattr(cell, "output_size", _flat_sizes(cell)[0])

    def saved_sublayers(self) -> list:
        """Keras saves each cell under cells/<snake_case class name>, numbered when repeated."""
        out, used = [], {}
        for cell in self.cells:
            key = config.snake_case(registry.name_of(cell) or type(cell).__name__)
            used[key] = used.get(key, -1) + 1
            out.append((f"cells/{key}" + (f"_{used[key]}" if used[key] else ""), cell))
        return out

    def reset_dropout_mask(self) -> None:
        for cell in self.cells:
            if hasattr(cell, "reset_dropout_mask"):
                cell.reset_dropout_mask()

    def call(self, inputs, states, training=False):
        new_states, at = [], 0
        for cell in self.cells:
            n = len(_flat_sizes(cell))
            inputs, cell_states = call_cell(cell, inputs, list(states[at : at + n]), training)
            new_states += cell_states
            at += n
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_cell(c) for c in self.cells]}


def call_cell(cell, inputs, states: list, training):
    """One step of any cell; the new states always come back as a list."""
    if isinstance(cell, Layer) and not cell.built:
        cell._maybe_build(tuple(inputs.shape))
    if isinstance(cell, Layer) and "training" in _parameters(cell):
        out, new = cell.call(inputs, states, training=bool(training))
    else:
        out, new = cell.call(inputs, states)
    return out, list(new) if isinstance(new, (list, tuple)) else [new]


def step(cell, inputs, states, training=None):
    """A cell called directly on arrays: inputs (N, D), states one (N, size) array per state."""
    states = list(states) if isinstance(states, (list, tuple)) else [states]
    return call_cell(cell, cell._to_tensor(inputs), [cell._to_tensor(s) for s in states], training)


def _parameters(cell):
    return inspect.signature(cell.call).parameters


def serialize_cell(layer) -> dict:
    """A sublayer in Keras's envelope (cells, and the layers Bidirectional wraps)."""
    name = registry.name_of(layer)
    if name is None:
        raise TypeError(
            f"Cannot serialize {type(layer).__name__}: register it with neuronio.layers.registry.register(name)."
        )
    return _registry.envelope("layers", name, layer.get_config())


def deserialize_cell(envelope: dict):
    """The inverse of serialize_cell, through the layer registry only (no code from the file)."""
    class_name, config_dict = _registry.parts(envelope, "layer")
    return registry.lookup(class_name).from_config(config_dict)
