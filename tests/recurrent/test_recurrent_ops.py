"""The fused scans against the step-by-step cells differentiated by the tape (values and every
gradient), the embedding gradient's scatter-add, and the ops' errors. The gradient checks and the
NumPy references of the ops themselves are OpCases in tests/ops/test_recurrent.py."""

import numpy as np
import pytest

from neuronio import config, ops
from neuronio.autodiff import GradientTape, Tensor
from neuronio.errors import ShapeError
from neuronio.layers import GRUCell, LSTMCell, SimpleRNNCell
from neuronio.ops import recurrent
from neuronio.ops.embedding import embedding_lookup

N, T, U = 2, 4, 3
MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], bool)


def _flat(parts):
    """Every output of a scan in one (N, k) tensor, so one check covers outputs and states."""
    return ops.concatenate([ops.reshape(p, (N, -1)) for p in parts], axis=1)


def _tape_loop(cell, x, states, mask=None):
    """The reference: the cell's step (plain ops on the tape) over time, masks as Keras applies them."""
    outputs, previous = [], Tensor(np.zeros(states[0].shape))
    for t in range(x.shape[1]):
        out, new = cell.call(ops.getitem(x, (slice(None), t)), states)
        if mask is not None:
            m = mask[:, t : t + 1]
            new = [ops.where(m, a, b) for a, b in zip(new, states)]
            out = ops.where(m, out, previous)
            previous = out
        outputs.append(out)
        states = new
    return [ops.stack(outputs, axis=1), *states]


@pytest.mark.parametrize(
    "cell_factory",
    [lambda: SimpleRNNCell(U), lambda: LSTMCell(U), lambda: GRUCell(U), lambda: GRUCell(U, reset_after=False)],
    ids=["simple", "lstm", "gru", "gru_reset_before"],
)
def test_fused_scan_equals_the_step_cell_values_and_gradients(rng, cell_factory):
    with config.floatx_scope("float64"):
        cell = cell_factory()
        cell.build((N, 5))
        for w in cell.weights:
            w.assign(rng.standard_normal(w.shape) * 0.5)
        x = Tensor(rng.standard_normal((N, T, 5)))
        n_states = len(cell.state_size) if isinstance(cell.state_size, list) else 1
        states = [Tensor(rng.standard_normal((N, U))) for _ in range(n_states)]
        results = []
        for run in ("fused", "tape"):
            with GradientTape() as tape:
                tape.watch([x, *states])
                if run == "fused":
                    out, final = cell.scan(x, states, MASK, False, False, False)
                    parts = [out, *final]
                else:
                    parts = _tape_loop(cell, x, states, MASK)
                loss = ops.sum(_flat(parts) * _flat(parts))
            grads = tape.gradient(loss, [x, *states, *cell.weights])
            results.append(([p.numpy() for p in parts], [g.numpy() for g in grads]))
    (fused_values, fused_grads), (tape_values, tape_grads) = results
    for a, b in zip(fused_values + fused_grads, tape_values + tape_grads, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_scan_shape_errors_name_the_expected_shapes(rng):
    p = rng.standard_normal((N, T, 4 * U)).astype("float32")
    with pytest.raises(ShapeError, match=r"recurrent_kernel must be \(units, 4 \* units\)"):
        recurrent.lstm_scan(
            p, np.zeros((U, 3 * U), "float32"), np.zeros((N, U), "float32"), np.zeros((N, U), "float32")
        )
    with pytest.raises(ShapeError, match=r"mask must be \(batch, timesteps\)"):
        recurrent.simple_rnn_scan(
            p[..., :U], np.zeros((U, U), "float32"), np.zeros((N, U), "float32"), mask=MASK[:, :2]
        )
    with pytest.raises(ShapeError, match="no timesteps"):
        recurrent.gru_scan(
            np.zeros((N, 0, 3 * U), "float32"), np.zeros((U, 3 * U), "float32"), None, np.zeros((N, U), "float32")
        )
    with pytest.raises(ValueError, match="fused scan supports activations"):
        recurrent.simple_rnn_scan(
            p[..., :U], np.zeros((U, U), "float32"), np.zeros((N, U), "float32"), activation="elu"
        )


# -- embedding ---------------------------------------------------------------------------------------
def test_embedding_lookup_gathers_rows_and_scatter_adds_gradients(rng):
    table = rng.standard_normal((5, 3))
    ids = np.array([[1, 4, 1], [0, 1, 2]])
    np.testing.assert_array_equal(embedding_lookup(table, ids).numpy(), table[ids])
    # A repeated id gets the sum of its rows' gradients; an unused id (3) gets zero.
    t = Tensor(table)
    with GradientTape() as tape:
        tape.watch(t)
        y = embedding_lookup(t, ids)
    grad = tape.gradient(y, t).numpy()
    np.testing.assert_array_equal(grad[:, 0], [1.0, 3.0, 1.0, 0.0, 1.0])


def test_embedding_lookup_refuses_ids_outside_the_vocabulary():
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 5\).*received values from 0 to 7"):
        embedding_lookup(np.zeros((5, 2), "float32"), np.array([0, 7]))
    with pytest.raises(ValueError, match="whole numbers"):
        embedding_lookup(np.zeros((5, 2), "float32"), np.array([0.5]))
