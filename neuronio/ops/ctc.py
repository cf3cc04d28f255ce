"""Connectionist temporal classification (Graves et al. 2006): ctc_loss and greedy ctc_decode,
as Keras 3 defines them (batch-major logits, a blank class `mask_index`).

The loss is the forward (alpha) recursion in log space, written with differentiable ops
(getitem, logaddexp, where), so its gradient is theirs: the tape runs the backward (beta)
recursion by itself. The loop is over time steps only, each step vectorised over the batch and
the label positions.
"""

import numpy as np

from neuronio.autodiff.tensor import Tensor, as_array, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.activation import log_softmax
from neuronio.ops.elementwise import where
from neuronio.ops.math import logaddexp
from neuronio.ops.reduction import max, sum  # noqa: A004
from neuronio.ops.shape import concatenate, getitem

# log(0) stand-in: a finite value (the engine refuses infinities) far below any log-probability,
# whose exp is exactly 0 in float32 and float64.
_LOG_ZERO = -1e30


def _ints(value) -> np.ndarray:
    return as_array(value.data if isinstance(value, Tensor) else value).astype(np.intp)


def ctc_loss(target, output, target_length, output_length, mask_index=0) -> Tensor:
    """-log p(target | output) per example.

    Args:
        target: (B, S) int labels, padded past target_length.
        output: (B, T, K) logits (log_softmax is applied here, as Keras does).
        target_length: (B,) label counts; output_length: (B,) valid time steps.
        mask_index: the blank class.

    Returns:
        Tensor of shape (B,).
    """
    logits = as_tensor(output)
    labels, label_len, time_len = (_ints(v) for v in (target, target_length, output_length))
    if logits.ndim != 3 or labels.ndim != 2 or labels.shape[0] != logits.shape[0]:
        raise ShapeError(
            f"ctc_loss expects target (B, S) and output (B, T, K); received {labels.shape} and {logits.shape}."
        )
    b, t_max, _ = logits.shape
    s_max = labels.shape[1]
    # 1. Extended labels: blank, l1, blank, l2, ..., blank (length 2S + 1).
    extended = np.full((b, 2 * s_max + 1), int(mask_index), dtype=np.intp)
    extended[:, 1::2] = labels
    length = 2 * label_len + 1  # (B,)
    skip = np.zeros(extended.shape, dtype=bool)  # alpha[s - 2] may jump to s: a label unlike s - 2
    skip[:, 2:] = (extended[:, 2:] != mask_index) & (extended[:, 2:] != extended[:, :-2])
    # 2. Emission log-probabilities at every (t, s): (B, T, 2S + 1).
    logp = log_softmax(logits, axis=-1)
    emit = getitem(logp, (np.arange(b)[:, None, None], np.arange(t_max)[None, :, None], extended[:, None, :]))
    # 3. alpha_0: the first blank or the first label.
    start = np.full(extended.shape, _LOG_ZERO, dtype=logits.dtype)
    start[:, 0] = 0.0
    start[label_len > 0, 1] = 0.0
    neg = np.full((b, 1), _LOG_ZERO, dtype=logits.dtype)
    alpha = where(start > _LOG_ZERO / 2, getitem(emit, (slice(None), 0)), start)
    for t in range(1, t_max):
        from_prev = concatenate([neg, getitem(alpha, (slice(None), slice(None, -1)))], axis=1)
        from_skip = concatenate([neg, neg, getitem(alpha, (slice(None), slice(None, -2)))], axis=1)
        merged = logaddexp(alpha, from_prev)
        merged = where(skip, logaddexp(merged, from_skip), merged)
        step = merged + getitem(emit, (slice(None), t))
        alpha = where((t < time_len)[:, None], step, alpha)  # finished sequences keep their alpha
    # 4. A path ends on the last label or the blank after it.
    rows = np.arange(b)
    last = getitem(alpha, (rows, length - 1))
    before = getitem(alpha, (rows, np.maximum(length - 2, 0)))
    both = where(label_len > 0, logaddexp(last, before), last)
    return -both


def ctc_decode(
    inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1, merge_repeated=True, mask_index=0
) -> tuple:
    """Greedy CTC decoding: the best class per step, repeats merged, blanks removed.

    Returns (decoded, scores): decoded (1, B, T) int32 padded with -1; scores (B, 1), minus the
    sum over valid steps of the largest input, the score Keras's greedy decoder reports. Beam
    search is not implemented.
    """
    if strategy != "greedy":
        raise NotImplementedError(
            f"ctc_decode: only strategy='greedy' is implemented in neuronio; received strategy={strategy!r}."
        )
    logits = as_tensor(inputs)
    lengths = _ints(sequence_lengths)
    x = logits.data  # (B, T, K)
    best = x.argmax(-1)  # (B, T); argmax of logits = argmax of their softmax
    valid = np.arange(x.shape[1])[None, :] < lengths[:, None]
    # (B, 1), differentiable in the inputs as Keras's is
    scores = -sum(where(valid, max(logits, axis=-1), np.zeros((), x.dtype)), axis=-1, keepdims=True)
    keep = valid & (best != mask_index)
    if merge_repeated:
        keep[:, 1:] &= best[:, 1:] != best[:, :-1]
    decoded = np.full(best.shape, -1, dtype=np.int32)
    for row in range(best.shape[0]):  # a loop over the batch of a decoding step, not a hot path
        labels = best[row][keep[row]]
        decoded[row, : len(labels)] = labels
    return Tensor(decoded[None]), scores
