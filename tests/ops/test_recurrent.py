"""The recurrent scans and the embedding gather (neuronio.ops.recurrent / ops.embedding), each
against an obvious NumPy loop over time in float64, with gradient checks of every input (whole
sequences; masks, go_backwards, zero outputs and recurrent dropout masks included)."""

import numpy as np
import pytest

from neuronio import ops
from tests.helpers import OpCase, check_op

N, T, U = 2, 4, 3
MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], bool)
RMASK = np.array([[0.0, 2.0, 2.0], [2.0, 0.0, 2.0]])
OPTIONS = {
    "plain": {},
    "mask": {"mask": MASK},
    "mask_backwards": {"mask": MASK, "go_backwards": True},
    "mask_zero_output": {"mask": MASK, "zero_output_for_mask": True},
    "recurrent_dropout": {"recurrent_mask": RMASK},
}


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _reference_scan(step, p, states, mask=None, go_backwards=False, zero_output_for_mask=False, **_):
    """Keras's loop: masked steps keep the states and repeat the last output (or give zeros)."""
    outputs, previous = [], np.zeros_like(states[0])
    for t in reversed(range(p.shape[1])) if go_backwards else range(p.shape[1]):
        candidate = step(p[:, t], states)
        if mask is None:
            states, out = candidate, candidate[0]
        else:
            m = mask[:, t : t + 1]
            states = [np.where(m, c, s) for c, s in zip(candidate, states)]
            out = np.where(m, candidate[0], 0.0 if zero_output_for_mask else previous)
            previous = out
        outputs.append(out)
    return np.concatenate([np.stack(outputs, axis=1).reshape(len(p), -1), *states], axis=1)


def _flat(parts):
    return ops.concatenate([ops.reshape(part, (N, -1)) for part in parts], axis=1)


def _rm(options):
    return options.get("recurrent_mask", 1.0)


def _simple_case(option):
    kw = OPTIONS[option]

    def reference(p, u, h0):
        return _reference_scan(lambda p_t, s: [np.tanh(p_t + (s[0] * _rm(kw)) @ u)], p, [h0], **kw)

    return OpCase(
        f"simple_rnn_scan_{option}",
        lambda p, u, h0: _flat(ops.simple_rnn_scan(p, u, h0, **kw)),
        lambda rng: (rng.normal(size=(N, T, U)), rng.normal(size=(U, U)), rng.normal(size=(N, U))),
        reference,
    )


def _lstm_case(option):
    kw = OPTIONS[option]

    def step(p_t, states):
        h, c = states
        z = p_t + (h * _rm(kw)) @ u_ref[0]
        i, f, g, o = (
            _sigmoid(z[:, :U]),
            _sigmoid(z[:, U : 2 * U]),
            np.tanh(z[:, 2 * U : 3 * U]),
            _sigmoid(z[:, 3 * U :]),
        )
        c = f * c + i * g
        return [o * np.tanh(c), c]

    u_ref = [None]

    def reference(p, u, h0, c0):
        u_ref[0] = u
        return _reference_scan(step, p, [h0, c0], **kw)

    return OpCase(
        f"lstm_scan_{option}",
        lambda p, u, h0, c0: _flat(ops.lstm_scan(p, u, h0, c0, **kw)),
        lambda rng: tuple(rng.normal(size=s) for s in [(N, T, 4 * U), (U, 4 * U), (N, U), (N, U)]),
        reference,
    )


def _gru_case(option, reset_after):
    kw = OPTIONS[option]

    def reference(p, u, b, h0):
        def step(p_t, states):
            (h,) = states
            hd = h * _rm(kw)
            if reset_after:
                inner = hd @ u + b
                z, r = _sigmoid(p_t[:, :U] + inner[:, :U]), _sigmoid(p_t[:, U : 2 * U] + inner[:, U : 2 * U])
                hh = np.tanh(p_t[:, 2 * U :] + r * inner[:, 2 * U :])
            else:
                inner = hd @ u[:, : 2 * U]
                z, r = _sigmoid(p_t[:, :U] + inner[:, :U]), _sigmoid(p_t[:, U : 2 * U] + inner[:, U:])
                hh = np.tanh(p_t[:, 2 * U :] + (r * hd) @ u[:, 2 * U :])
            return [z * h + (1 - z) * hh]

        return _reference_scan(step, p, [h0], **kw)

    name = "reset_after" if reset_after else "reset_before"
    return OpCase(
        f"gru_scan_{name}_{option}",
        lambda p, u, b, h0: _flat(ops.gru_scan(p, u, b, h0, reset_after, **kw)),
        lambda rng: tuple(rng.normal(size=s) for s in [(N, T, 3 * U), (U, 3 * U), (3 * U,), (N, U)]),
        reference if reset_after else (lambda p, u, b, h0: reference(p, u, 0.0 * b, h0)),
        check_grad=True,
    )


IDS = np.array([[1, 4, 1], [0, 1, 2]])
CASES = [
    *(_simple_case(option) for option in OPTIONS),
    *(_lstm_case(option) for option in OPTIONS),
    *(_gru_case(option, reset_after) for option in OPTIONS for reset_after in (True, False)),
    OpCase(
        "simple_rnn_scan_realistic",
        lambda p, u, h0: _flat(ops.simple_rnn_scan(p, u, h0)),
        lambda rng: (rng.normal(size=(N, 30, 16)), 0.3 * rng.normal(size=(16, 16)), rng.normal(size=(N, 16))),
    ),
    OpCase(
        "embedding_lookup",
        lambda t: ops.embedding_lookup(t, IDS),
        lambda rng: (rng.normal(size=(5, 3)),),
        lambda t: t[IDS],
    ),  # fmt: skip
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)
