"""Recurrent layers: RNN (any cell), SimpleRNN, LSTM and GRU, with Keras 3's arguments.

`RNN(cell)` runs a cell over the time axis of (batch, timesteps, features) inputs. A built-in
cell whose activations the fused ops know runs as one scan op (`cell.scan`: one input GEMM for
all steps, hand-written BPTT); any other cell, including one a user writes with `state_size`
and `call(inputs, states)`, runs step by step through the tape. Masks carry states through
padded steps, as Keras does.
"""

import numpy as np

from neuronio.autodiff.tensor import Tensor, array_of
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.layers.rnn_cells import (
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    StackedRNNCells,
    call_cell,
    deserialize_cell,
    pop_unsupported,
    serialize_cell,
)
from neuronio.ops.elementwise import where
from neuronio.ops.shape import getitem, stack


def _sizes(cell) -> list[int]:
    size = cell.state_size
    return [int(s) for s in size] if isinstance(size, (list, tuple)) else [int(size)]


@registry.register("RNN")
class RNN(Layer):
    """Runs `cell` over time.

    Args:
        cell: a cell (SimpleRNNCell, LSTMCell, GRUCell, a user cell with `state_size` and
            `call(inputs, states)`), or a list of cells (stacked).
        return_sequences: output every timestep (N, T, U) instead of the last (N, U).
        return_state: also return the final states, as a list after the output.
        go_backwards: read the sequence from its end (outputs come in that order).
        stateful: keep the final states of a batch as the initial states of the next;
            `reset_states()` zeros them.
        unroll: accepted for Keras compatibility (the scan is the same either way).
        zero_output_for_mask: outputs at masked steps are zeros instead of the last output.

    Call arguments: inputs (N, T, D), initial_state (list of (N, size) arrays), mask (N, T)
    booleans, training.
    """

    def __init__(
        self,
        cell,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        pop_unsupported(type(self).__name__, kwargs)
        super().__init__(**kwargs)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if isinstance(cell, dict):
            cell = deserialize_cell(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the cell must have `call(inputs, states)` and "
                f"`state_size`; received {cell!r}."
            )
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states = None  # stateful: the last batch's final states (arrays)
        self.input_spec = InputSpec(ndim=3)

    def build(self, input_shape):
        if isinstance(self.cell, Layer):
            self.cell._maybe_build((input_shape[0], input_shape[-1]))

    @property
    def _output_size(self) -> int:
        return int(getattr(self.cell, "output_size", _sizes(self.cell)[0]))

    def compute_output_shape(self, input_shape):
        n, t = input_shape[0], input_shape[1]
        out = (n, t, self._output_size) if self.return_sequences else (n, self._output_size)
        if not self.return_state:
            return out
        return [out, *((n, s) for s in _sizes(self.cell))]

    def compute_mask(self, inputs, mask=None):
        out = mask if self.return_sequences else None
        return [out, *([None] * len(_sizes(self.cell)))] if self.return_state else out

    def saved_sublayers(self) -> list:
        """(key, layer) pairs for the weights file: Keras saves the cell under `cell`."""
        return [("cell", self.cell)] if isinstance(self.cell, Layer) else []

    def reset_states(self) -> None:
        """Zero the states a stateful layer carries from batch to batch."""
        self.states = None

    def _state_shapes(self, batch: int) -> list[tuple]:
        """The shape of each state for a batch: (batch, size) (a ConvLSTM's are feature maps)."""
        return [(batch, s) for s in _sizes(self.cell)]

    def _step_output_shape(self, batch: int) -> tuple:
        """The shape of one step's output: (batch, output_size)."""
        return (batch, self._output_size)

    def get_initial_state(self, batch_size):
        """Zero states for a batch, one array per state of the cell, (batch_size, size) each."""
        return [np.zeros(shape, dtype=self.dtype) for shape in self._state_shapes(batch_size)]

    def _initial_states(self, batch: int, dtype, initial_state) -> list[Tensor]:
        expected = self._state_shapes(batch)
        if initial_state is not None:
            given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
            tensors = [self._to_tensor(s) for s in given]
            if [t.shape for t in tensors] != expected:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': initial_state must be {len(expected)} array(s) of "
                    f"shapes {expected}; received shapes {[t.shape for t in tensors]}."
                )
            return tensors
        if self.stateful and self.states is not None:
            if self.states[0].shape[0] != batch:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' is stateful with batch size "
                    f"{self.states[0].shape[0]}, but received a batch of {batch}. Keep the batch size "
                    f"fixed (batch_size= in fit/predict) or call reset_states() first."
                )
            return [Tensor(s) for s in self.states]
        return [Tensor(np.zeros(shape, dtype=dtype)) for shape in expected]

    def call(self, sequences, initial_state=None, mask=None, training=False):
        batch = sequences.shape[0]
        states = self._initial_states(batch, sequences.dtype, initial_state)
        if mask is not None:
            mask = np.asarray(array_of(mask)).astype(bool)
        if hasattr(self.cell, "reset_dropout_mask"):
            self.cell.reset_dropout_mask()
        if hasattr(self.cell, "scan") and self.cell.can_scan():
            outputs, states = self.cell.scan(
                sequences, states, mask, self.go_backwards, training, self.zero_output_for_mask
            )
        else:
            outputs, states = self._loop(sequences, states, mask, training)
        if self.stateful:
            self.states = [s.data.copy() for s in states]
        out = outputs if self.return_sequences else getitem(outputs, (slice(None), -1))
        return [out, *states] if self.return_state else out

    def _loop(self, sequences, states, mask, training):
        """The generic scan: one cell call per step, differentiated by the tape."""
        batch, steps = sequences.shape[0], sequences.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        previous = Tensor(np.zeros(self._step_output_shape(batch), dtype=sequences.dtype))
        outputs = []
        for t in order:
            out, new = call_cell(self.cell, getitem(sequences, (slice(None), t)), states, training)
            if mask is not None:
                m = mask[:, t].reshape((batch,) + (1,) * (previous.ndim - 1))  # (N, 1) or (N, 1, ..., 1)
                new = [where(m, n, s) for n, s in zip(new, states)]
                out = where(m, out, 0.0 * previous if self.zero_output_for_mask else previous)
                previous = out
            states = new
            outputs.append(out)
        return stack(outputs, axis=1), states

    def _base_config(self) -> dict:
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self) -> dict:
        return {**self._base_config(), "cell": serialize_cell(self.cell)}


class _Fused(RNN):
    """SimpleRNN, LSTM and GRU: an RNN whose cell is built from the layer's own arguments."""

    cell_class = None
    cell_name = None
    writes_seed = True  # Keras's SimpleRNN takes a seed but leaves it out of its config

    def __init__(self, units, **kwargs):
        rnn_args = {
            k: kwargs.pop(k)
            for k in (
                "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask",
                "name", "trainable", "input_shape", "batch_input_shape", "batch_size", "input_dim",
            )
            if k in kwargs
        }  # fmt: skip
        kwargs.pop("use_cudnn", None)  # a GPU switch; the CPU scan is the same
        if kwargs.pop("activity_regularizer", None) is not None:
            raise ValueError(f"{type(self).__name__}: `activity_regularizer` is not supported by neuronio.")
        dtype = kwargs.pop("dtype", None)
        cell = self.cell_class(units, name=self.cell_name, dtype=dtype, **kwargs)
        super().__init__(cell, dtype=dtype, **rnn_args)

    def __getattr__(self, name):
        # units, activation, dropout, ... are the cell's (Keras exposes them on the layer too).
        cell = self.__dict__.get("cell")
        if cell is None or name.startswith("_"):
            raise AttributeError(name)
        return getattr(cell, name)

    def get_config(self) -> dict:
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key, None)
        seed = cell_config.pop("seed")
        written = {"seed": seed} if self.writes_seed else {}
        return {**self._base_config(), **cell_config, "activity_regularizer": None, **written}


@registry.register("SimpleRNN")
class SimpleRNN(_Fused):
    """Fully-connected RNN: h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias).

    >>> SimpleRNN(4)(np.ones((2, 5, 3), "float32")).shape
    (2, 4)
    """

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"
    writes_seed = False


@registry.register("LSTM")
class LSTM(_Fused):
    """Long short-term memory layer (Keras's defaults: tanh, sigmoid gates, unit_forget_bias,
    orthogonal recurrent kernel).

    >>> LSTM(4, return_sequences=True)(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 4)
    """

    cell_class = LSTMCell
    cell_name = "lstm_cell"


@registry.register("GRU")
class GRU(_Fused):
    """Gated recurrent unit layer (Keras's defaults: reset_after=True, bias (2, 3 * units)).

    >>> GRU(4)(np.ones((2, 5, 3), "float32")).shape
    (2, 4)
    """

    cell_class = GRUCell
    cell_name = "gru_cell"
