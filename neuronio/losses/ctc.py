"""Connectionist temporal classification (Graves et al. 2006) as a Keras 3 loss: integer label
sequences padded with 0, which is also the blank class, against per-step logits (`ops.ctc_loss`
does the forward-backward recursion)."""

import numpy as np

from neuronio import ops
from neuronio.autodiff.tensor import Tensor
from neuronio.losses.base import _labels, _prediction, _Wrapped, registry


def ctc(y_true, y_pred) -> Tensor:
    """-log p(labels | logits) per sequence.

    Args:
        y_true: (batch, max_label_length) integer labels; 0 is the blank and pads each row
            (a row's length is its count of non-zero labels), so classes are 1..num_classes-1.
        y_pred: (batch, time, num_classes) logits, not softmax-normalized; every step counts.
    """
    labels = _labels(y_true)
    y_pred = _prediction(y_pred)
    if labels.ndim != 2:
        raise ValueError(
            f"ctc: y_true must be integer labels of shape (batch_size, max_length); received shape {labels.shape}."
        )
    if y_pred.ndim != 3:
        raise ValueError(
            f"ctc: y_pred must be logits of shape (batch_size, max_length, num_classes); received shape {y_pred.shape}."
        )
    if labels.dtype.kind == "f" and not np.array_equal(labels, np.floor(labels)):
        raise ValueError("ctc: y_true must hold integer class ids (0 for blank and padding); received fractions.")
    if labels.size and (labels.min() < 0 or labels.max() >= y_pred.shape[-1]):
        raise ValueError(
            f"ctc: labels must be in [0, {y_pred.shape[-1]}) for {y_pred.shape[-1]} classes (0 is the blank); "
            f"received labels from {labels.min():g} to {labels.max():g}."
        )
    labels = labels.astype(np.int64)
    label_length = (labels != 0).sum(axis=-1)
    input_length = np.full(y_pred.shape[0], y_pred.shape[1])
    return ops.ctc_loss(labels, y_pred, label_length, input_length, mask_index=0)


@registry.register("CTC")
class CTC(_Wrapped):
    """The CTC loss per sequence, reduced; see `ctc`."""

    def __init__(self, reduction="sum_over_batch_size", name="ctc"):
        super().__init__(ctc, reduction=reduction, name=name)


registry.add("ctc", ctc)
