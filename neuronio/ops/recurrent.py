"""Recurrent scans: SimpleRNN, LSTM and GRU over a whole sequence, with hand-written BPTT.

The input projection of every timestep is one GEMM done before the scan (`x @ kernel + bias`,
a plain `matmul`, so its gradient is one GEMM too); each op here takes those projections `p`
and runs the recurrence, one fused GEMM `h @ recurrent_kernel` per step for all gates at once.
Backward is one loop over time in reverse (backpropagation through time) that reuses what
forward saved, then a single GEMM for the recurrent kernel's gradient over all steps.

Keras's conventions, checked against keras 3.15.1:
- LSTM gates i, f, c, o in the columns of one (U, 4U) kernel; `h = o * act(c)`.
- GRU gates z, r, h; `h = z * h_prev + (1 - z) * hh`; with `reset_after=True` (the default)
  the reset gate multiplies `h_prev @ U_h + b_rh`, and the recurrent bias row b_r is applied
  inside the recurrence; with `reset_after=False` it multiplies `h_prev` before `U_h`.
- a masked step (mask False) carries every state through unchanged; its output is the previous
  step's output (zeros before the first unmasked step), or zeros with `zero_output_for_mask`.
- `go_backwards` reads the sequence from its end; outputs come in that reversed order.

Every op returns one packed array (N, T + S, U): the T outputs, then the S final states; the
public functions split it. Shape letters: N batch, T timesteps, U units, G = gates * U.
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, array_of, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.shape import getitem


# -- activations, applied in place (no allocation per step), with their derivative written in
# terms of the output y = f(z) (what forward keeps) ---------------------------------------------
def _sigmoid_(z):
    """sigmoid(z) = (1 + tanh(z / 2)) / 2, in place: bounded for any z, four passes, no temporaries."""
    z *= 0.5
    np.tanh(z, out=z)
    z *= 0.5
    z += 0.5
    return z


def _hard_sigmoid_(z):
    """relu6(z + 3) / 6 (Keras 3), in place."""
    z += 3.0
    z /= 6.0
    return np.clip(z, 0.0, 1.0, out=z)


ACTIVATIONS = {
    "tanh": (lambda z: np.tanh(z, out=z), lambda y: 1.0 - y * y),
    "sigmoid": (_sigmoid_, lambda y: y * (1.0 - y)),
    "hard_sigmoid": (_hard_sigmoid_, lambda y: ((y > 0.0) & (y < 1.0)).astype(y.dtype) / 6.0),
    "relu": (lambda z: np.maximum(z, 0.0, out=z), lambda y: (y > 0.0).astype(y.dtype)),
    "linear": (lambda z: z, np.ones_like),
}


def _activation(op: str, name: str):
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{op}: the fused scan supports activations {sorted(ACTIVATIONS)}; received {name!r}. "
            f"Other activations run through the generic RNN layer (keras.layers.RNN with a cell)."
        )
    return ACTIVATIONS[name]


class _ScanOp(Function):
    """The time loop shared by the three cells: masks, carried states, outputs, go_backwards.

    A subclass writes forward/backward (allocate the per-step arrays, run the loop, finish with
    the one GEMM of the recurrent kernel's gradient) and two step functions:
        _step(t, p_t, states) -> candidate states (the first one is also the output)
        _step_back(t, d_candidates) -> (dp_t, d_previous_states)
    The steps read and fill per-step arrays held as attributes while a loop runs; forward hands
    them to save_for_backward and drops the attributes, so that once the tape has run backward
    (which releases `saved`) nothing of the sequence stays alive.
    """

    def __init__(self, mask=None, go_backwards=False, recurrent_mask=None, zero_output_for_mask=False):
        self.mask = mask  # (N, T) bool or None
        self.go_backwards = bool(go_backwards)
        self.recurrent_mask = recurrent_mask  # (N, U) dropout mask on h before the GEMM, or None
        self.zero_output_for_mask = bool(zero_output_for_mask)

    def _steps_kept(self, n_steps: int) -> int:
        """How many steps the per-step arrays hold: all of them when backward will run (it reads
        them), else one reused slot, so that inference over a long sequence stays small."""
        self.keep = bool(self.needs_input_grad)
        return n_steps if self.keep else 1

    def _slot(self, t: int) -> int:
        return t if self.keep else 0

    def _time_mask(self):
        """The mask in processing order, (T, N, 1), or None."""
        if self.mask is None:
            return None
        mask = self.mask.T[:, :, None]
        return mask[::-1] if self.go_backwards else mask

    def _scan(self, p, states):
        pt = np.ascontiguousarray(p.transpose(1, 0, 2))  # (T, N, G): each step's rows contiguous
        pt = pt[::-1] if self.go_backwards else pt
        mask = self._time_mask()
        n_steps, n, _ = pt.shape
        u = states[0].shape[-1]
        outputs = np.empty((n_steps, n, u), dtype=p.dtype)  # (T, N, U)
        prev_out = np.zeros((n, u), dtype=p.dtype)
        for t in range(n_steps):
            cand = self._step(t, pt[t], states)
            if mask is None:
                states = cand
                outputs[t] = cand[0]
                continue
            m = mask[t]  # (N, 1)
            states = tuple(np.where(m, c, s) for c, s in zip(cand, states))
            outputs[t] = np.where(m, cand[0], 0.0 if self.zero_output_for_mask else prev_out)
            prev_out = outputs[t]
        packed = np.concatenate([outputs, np.stack(states)], axis=0)  # (T + S, N, U)
        self.n_steps = n_steps
        return np.ascontiguousarray(packed.transpose(1, 0, 2))  # (N, T + S, U)

    def _unscan(self, dy):
        dyt = dy.transpose(1, 0, 2)  # (T + S, N, U)
        n_steps = self.n_steps
        douts, dstates = dyt[:n_steps], list(dyt[n_steps:])
        mask = self._time_mask()
        dpo = 0.0  # gradient reaching the previous step's output through a masked step
        dpt = None  # (T, N, G) in processing order (as the saved arrays), filled from the end
        for t in reversed(range(n_steps)):
            d_out = douts[t] + dpo
            if mask is None:
                dcand = [dstates[0] + d_out, *dstates[1:]]
                carried = None
            else:
                m = mask[t]
                keep = ~m
                dcand = [np.where(m, d, 0.0) for d in dstates]
                dcand[0] = dcand[0] + np.where(m, d_out, 0.0)
                carried = [np.where(keep, d, 0.0) for d in dstates]
                if not self.zero_output_for_mask:
                    dpo = np.where(keep, d_out, 0.0)
            dp_t, dprev = self._step_back(t, dcand)
            if dpt is None:
                dpt = np.empty((n_steps, *dp_t.shape), dtype=dp_t.dtype)
            dpt[t] = dp_t
            dstates = dprev if carried is None else [a + b for a, b in zip(dprev, carried)]
        dp = dpt[::-1] if self.go_backwards else dpt
        return np.ascontiguousarray(dp.transpose(1, 0, 2)), dpt, dstates  # dp: (N, T, G)

    def _dropped(self, h):
        return h if self.recurrent_mask is None else h * self.recurrent_mask

    def _undrop(self, dh):
        return dh if self.recurrent_mask is None else dh * self.recurrent_mask


class SimpleRNNScanOp(_ScanOp):
    """h_t = act(p_t + (h_{t-1} * rmask) @ U);  BPTT: da = dh * act'(h), dh_{t-1} = (da @ U^T) * rmask,
    dU = sum_t hd_{t-1}^T da_t (one GEMM over all steps)."""

    def __init__(self, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.act, self.dact = _activation("simple_rnn", activation)

    def forward(self, p, u, h0):
        n_steps, n = p.shape[1], p.shape[0]
        self.u = u
        kept = self._steps_kept(n_steps)
        self.hd = np.empty((kept, n, u.shape[0]), dtype=p.dtype)  # h_{t-1} as multiplied by U
        self.h = np.empty_like(self.hd)  # candidate h_t
        y = self._scan(p, (h0,))
        self.save_for_backward(self.u, self.hd, self.h)
        del self.u, self.hd, self.h
        return y

    def _step(self, t, p_t, states):
        t = self._slot(t)
        self.hd[t] = self._dropped(states[0])
        h = self.h[t]
        np.matmul(self.hd[t], self.u, out=h)  # (N, U)
        h += p_t
        return (self.act(h),)

    def backward(self, dy):
        self.u, self.hd, self.h = self.saved
        dp, dpt, (dh0,) = self._unscan(dy)
        units = self.hd.shape[-1]
        du = self.hd.reshape(-1, units).T @ dpt.reshape(-1, units)  # (U, U)
        del self.u, self.hd, self.h
        return dp, du, dh0

    def _step_back(self, t, dcand):
        da = dcand[0] * self.dact(self.h[t])  # (N, U)
        return da, [self._undrop(da @ self.u.T)]


class LSTMScanOp(_ScanOp):
    """z = p_t + hd_{t-1} @ U;  i, f, o = ract(z_i, z_f, z_o);  g = act(z_c);
    c_t = f * c_{t-1} + i * g;  h_t = o * act(c_t).

    BPTT: dc = dc_t + dh_t * o * act'(c_t);  di = dc * g, df = dc * c_{t-1}, dg = dc * i,
    do = dh_t * act(c_t);  dc_{t-1} = dc * f;  dh_{t-1} = (dz @ U^T) * rmask.
    """

    def __init__(self, activation="tanh", recurrent_activation="sigmoid", **kwargs):
        super().__init__(**kwargs)
        self.act, self.dact = _activation("lstm", activation)
        self.ract, self.dract = _activation("lstm", recurrent_activation)

    def forward(self, p, u, h0, c0):
        n, n_steps, g4 = p.shape
        units = g4 // 4
        self.u = u
        kept = self._steps_kept(n_steps)
        self.gates = np.empty((kept, n, g4), dtype=p.dtype)  # i, f, g, o after activation
        self.c_prev = np.empty((kept, n, units), dtype=p.dtype)
        self.tc = np.empty_like(self.c_prev)  # act(c_t)
        self.hd = np.empty_like(self.c_prev)
        y = self._scan(p, (h0, c0))
        self.save_for_backward(self.u, self.gates, self.c_prev, self.tc, self.hd)
        del self.u, self.gates, self.c_prev, self.tc, self.hd
        return y

    def _step(self, t, p_t, states):
        t = self._slot(t)
        h, c = states
        units = h.shape[-1]
        self.hd[t] = self._dropped(h)
        a = self.gates[t]  # (N, 4U): pre-activations, then the gates, in place
        np.matmul(self.hd[t], self.u, out=a)
        a += p_t
        self.ract(a[:, : 2 * units])
        self.act(a[:, 2 * units : 3 * units])
        self.ract(a[:, 3 * units :])
        i, f, g, o = a[:, :units], a[:, units : 2 * units], a[:, 2 * units : 3 * units], a[:, 3 * units :]
        self.c_prev[t] = c
        c_new = f * c
        c_new += i * g
        tc = self.tc[t]
        np.copyto(tc, c_new)
        self.act(tc)
        return o * tc, c_new

    def backward(self, dy):
        self.u, self.gates, self.c_prev, self.tc, self.hd = self.saved
        dp, dpt, (dh0, dc0) = self._unscan(dy)
        units = self.hd.shape[-1]
        du = self.hd.reshape(-1, units).T @ dpt.reshape(-1, 4 * units)  # (U, 4U)
        del self.u, self.gates, self.c_prev, self.tc, self.hd
        return dp, du, dh0, dc0

    def _step_back(self, t, dcand):
        dh, dc_state = dcand
        a, tc = self.gates[t], self.tc[t]
        units = tc.shape[-1]
        i, f, g, o = a[:, :units], a[:, units : 2 * units], a[:, 2 * units : 3 * units], a[:, 3 * units :]
        dc = dc_state + dh * o * self.dact(tc)
        dz = np.empty_like(a)  # (N, 4U)
        dz[:, :units] = dc * g * self.dract(i)
        dz[:, units : 2 * units] = dc * self.c_prev[t] * self.dract(f)
        dz[:, 2 * units : 3 * units] = dc * i * self.dact(g)
        dz[:, 3 * units :] = dh * tc * self.dract(o)
        return dz, [self._undrop(dz @ self.u.T), dc * f]


class GRUScanOp(_ScanOp):
    """xz, xr, xh = p_t;  z = ract(xz + rz), r = ract(xr + rr), h_t = z * h_{t-1} + (1 - z) * hh.

    reset_after=True:  [rz, rr, rh] = hd @ U + b_r,  hh = act(xh + r * rh).
    reset_after=False: [rz, rr] = hd @ U[:, :2U],    hh = act(xh + (r * hd) @ U[:, 2U:]).
    BPTT: dz = dh (h_{t-1} - hh) ract'(z);  da = dh (1 - z) act'(hh);  dr = da * rh (or
    (da @ U_h^T) * hd) * ract'(r);  dh_{t-1} = dh * z + (d[rz, rr, rh] @ U^T) * rmask.
    """

    def __init__(self, activation="tanh", recurrent_activation="sigmoid", reset_after=True, **kwargs):
        super().__init__(**kwargs)
        self.act, self.dact = _activation("gru", activation)
        self.ract, self.dract = _activation("gru", recurrent_activation)
        self.reset_after = bool(reset_after)

    def forward(self, p, u, b_r, h0):
        n, n_steps, g3 = p.shape
        units = g3 // 3
        self.u, self.b_r = u, b_r
        kept = self._steps_kept(n_steps)
        self.zr = np.empty((kept, n, 2 * units), dtype=p.dtype)
        self.hh = np.empty((kept, n, units), dtype=p.dtype)
        self.h_prev = np.empty_like(self.hh)
        self.hd = np.empty_like(self.hh) if self.recurrent_mask is not None else self.h_prev
        self.rh = np.empty_like(self.hh)  # reset_after: hd @ U_h + b_rh; else r * hd
        y = self._scan(p, (h0,))
        self.save_for_backward(self.u, self.zr, self.hh, self.h_prev, self.hd, self.rh)
        del self.u, self.b_r, self.zr, self.hh, self.h_prev, self.hd, self.rh
        return y

    def _step(self, t, p_t, states):
        t = self._slot(t)
        (h,) = states
        units = h.shape[-1]
        self.h_prev[t] = h
        if self.recurrent_mask is not None:
            self.hd[t] = h * self.recurrent_mask
        hd = self.hd[t]
        if self.reset_after:
            inner = hd @ self.u  # (N, 3U)
            inner += self.b_r
            np.add(p_t[:, : 2 * units], inner[:, : 2 * units], out=self.zr[t])
            self.ract(self.zr[t])
            r = self.zr[t, :, units:]
            self.rh[t] = inner[:, 2 * units :]
            hh = self.act(p_t[:, 2 * units :] + r * self.rh[t])
        else:
            inner = hd @ self.u[:, : 2 * units]  # (N, 2U)
            np.add(p_t[:, : 2 * units], inner, out=self.zr[t])
            self.ract(self.zr[t])
            r = self.zr[t, :, units:]
            self.rh[t] = r * hd
            hh = self.act(p_t[:, 2 * units :] + self.rh[t] @ self.u[:, 2 * units :])
        self.hh[t] = hh
        z = self.zr[t, :, :units]
        return (z * h + (1.0 - z) * hh,)

    def backward(self, dy):
        self.u, self.zr, self.hh, self.h_prev, self.hd, self.rh = self.saved
        self.d_inner = np.empty((self.hh.shape[0], dy.shape[0], self.u.shape[1]), dtype=dy.dtype)
        dp, _, (dh0,) = self._unscan(dy)
        units = self.hh.shape[-1]
        hd = self.hd.reshape(-1, units)
        d_inner = self.d_inner.reshape(-1, 3 * units)
        if self.reset_after:
            du = hd.T @ d_inner  # (U, 3U)
            db_r = d_inner.sum(axis=0)
        else:
            du = np.concatenate(
                [hd.T @ d_inner[:, : 2 * units], self.rh.reshape(-1, units).T @ d_inner[:, 2 * units :]], axis=1
            )
            db_r = np.zeros(3 * units, dtype=dy.dtype)
        del self.u, self.zr, self.hh, self.h_prev, self.hd, self.rh, self.d_inner
        return dp, du, db_r, dh0

    def _step_back(self, t, dcand):
        (dh,) = dcand
        units = dh.shape[-1]
        z, r, hh = self.zr[t, :, :units], self.zr[t, :, units:], self.hh[t]
        dp = np.empty((dh.shape[0], 3 * units), dtype=dh.dtype)  # (N, 3U)
        d_inner = self.d_inner[t]  # (N, 3U): gradient of the recurrent GEMM's output
        dp[:, :units] = dh * (self.h_prev[t] - hh) * self.dract(z)
        da = dh * (1.0 - z) * self.dact(hh)
        dp[:, 2 * units :] = da
        if self.reset_after:
            dp[:, units : 2 * units] = da * self.rh[t] * self.dract(r)
            d_inner[:, : 2 * units] = dp[:, : 2 * units]
            d_inner[:, 2 * units :] = da * r
            dhd = d_inner @ self.u.T
        else:
            d_rhd = da @ self.u[:, 2 * units :].T  # (N, U)
            dp[:, units : 2 * units] = d_rhd * self.hd[t] * self.dract(r)
            d_inner[:, : 2 * units] = dp[:, : 2 * units]
            d_inner[:, 2 * units :] = da
            dhd = d_inner[:, : 2 * units] @ self.u[:, : 2 * units].T + d_rhd * r
        return dp, [dh * z + self._undrop(dhd)]


# -- public functions ---------------------------------------------------------------------------
def _check(op: str, p: Tensor, u: Tensor, gates: int, states: list) -> int:
    if p.ndim != 3:
        raise ShapeError(
            f"{op}: the projected inputs must be (batch, timesteps, {gates} * units); received shape {p.shape}."
        )
    if p.shape[1] == 0:
        raise ShapeError(f"{op}: the sequence has no timesteps (shape {p.shape}); give at least one step.")
    units = u.shape[0]
    if u.shape != (units, gates * units) or p.shape[-1] != gates * units:
        raise ShapeError(
            f"{op}: recurrent_kernel must be (units, {gates} * units) and match the projected inputs' last "
            f"axis; received recurrent_kernel {u.shape} and inputs {p.shape}."
        )
    for s in states:
        if s.shape != (p.shape[0], units):
            raise ShapeError(f"{op}: each state must be (batch, units) = {(p.shape[0], units)}; received {s.shape}.")
    return units


def _mask_array(mask, p: Tensor):
    if mask is None:
        return None
    mask = np.asarray(array_of(mask)).astype(bool)
    if mask.shape != p.shape[:2]:
        raise ShapeError(f"recurrent scan: the mask must be (batch, timesteps) = {p.shape[:2]}; received {mask.shape}.")
    return mask


def _unpack(y: Tensor, n_steps: int, n_states: int):
    outputs = getitem(y, (slice(None), slice(0, n_steps)))
    return (outputs, *(getitem(y, (slice(None), n_steps + i)) for i in range(n_states)))


def _options(mask, p, go_backwards, recurrent_mask, zero_output_for_mask) -> dict:
    rm = None if recurrent_mask is None else np.asarray(array_of(recurrent_mask), p.dtype)
    return {
        "mask": _mask_array(mask, p),
        "go_backwards": go_backwards,
        "recurrent_mask": rm,
        "zero_output_for_mask": zero_output_for_mask,
    }


def simple_rnn_scan(
    p,
    recurrent_kernel,
    h0,
    mask=None,
    go_backwards=False,
    activation="tanh",
    recurrent_mask=None,
    zero_output_for_mask=False,
):
    """Run a SimpleRNN over projected inputs p = x @ kernel + bias (N, T, U).

    Returns:
        (outputs (N, T, U), final h (N, U)).
    """
    p, u, h0 = as_tensor(p), as_tensor(recurrent_kernel), as_tensor(h0)
    _check("simple_rnn_scan", p, u, 1, [h0])
    op = SimpleRNNScanOp(activation, **_options(mask, p, go_backwards, recurrent_mask, zero_output_for_mask))
    return _unpack(op.apply(p, u, h0), p.shape[1], 1)


def lstm_scan(
    p,
    recurrent_kernel,
    h0,
    c0,
    mask=None,
    go_backwards=False,
    activation="tanh",
    recurrent_activation="sigmoid",
    recurrent_mask=None,
    zero_output_for_mask=False,
):
    """Run an LSTM over projected inputs p = x @ kernel + bias (N, T, 4U; gates i, f, c, o).

    Returns:
        (outputs (N, T, U), final h (N, U), final c (N, U)).
    """
    p, u, h0, c0 = (as_tensor(v) for v in (p, recurrent_kernel, h0, c0))
    _check("lstm_scan", p, u, 4, [h0, c0])
    options = _options(mask, p, go_backwards, recurrent_mask, zero_output_for_mask)
    op = LSTMScanOp(activation, recurrent_activation, **options)
    return _unpack(op.apply(p, u, h0, c0), p.shape[1], 2)


def gru_scan(
    p,
    recurrent_kernel,
    recurrent_bias,
    h0,
    reset_after=True,
    mask=None,
    go_backwards=False,
    activation="tanh",
    recurrent_activation="sigmoid",
    recurrent_mask=None,
    zero_output_for_mask=False,
):
    """Run a GRU over projected inputs p = x @ kernel + input bias (N, T, 3U; gates z, r, h).

    `recurrent_bias` (3U,) is Keras's second bias row (reset_after=True); None means zeros.

    Returns:
        (outputs (N, T, U), final h (N, U)).
    """
    p, u, h0 = as_tensor(p), as_tensor(recurrent_kernel), as_tensor(h0)
    units = _check("gru_scan", p, u, 3, [h0])
    if recurrent_bias is None:
        recurrent_bias = np.zeros(3 * units, dtype=p.dtype)
    b_r = as_tensor(recurrent_bias)
    options = _options(mask, p, go_backwards, recurrent_mask, zero_output_for_mask)
    op = GRUScanOp(activation, recurrent_activation, reset_after, **options)
    return _unpack(op.apply(p, u, b_r, h0), p.shape[1], 1)
