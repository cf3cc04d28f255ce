"""Circle loss (Sun et al. 2020) for metric learning: integer class labels and L2-normalized
embeddings; pairs of the same class are pulled together, pairs of different classes pushed
apart, each pair weighted by how far it is from its optimum. Keras 3's formula and arguments."""

import numpy as np

from neuronio import ops
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.losses.base import _labels, _prediction, _Wrapped, apply_mask, reduce_weighted_values, registry


def _class_ids(who: str, name: str, labels, n: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.shape != (n,):
        raise ShapeError(
            f"{who}: {name} must hold one integer class id per embedding, shape ({n},) or ({n}, 1); "
            f"received shape {labels.shape}."
        )
    return labels.astype(np.int64)


def _masked_logsumexp(x: Tensor, mask: np.ndarray) -> Tensor:
    """log(sum(exp(x) over the masked entries of each row)); rows without an entry give 0 (their
    loss is set to 0 by the caller), so no inf or nan reaches the gradient."""
    has = mask.any(axis=1)
    shift = np.where(mask, x.data, -np.inf).max(axis=1, initial=-np.inf)
    shift = np.where(has, shift, 0.0)[:, None]  # a constant: the usual max shift
    total = ops.sum(ops.multiply(ops.exp(ops.subtract(x, shift)), mask.astype(x.dtype)), axis=1)
    return ops.add(ops.log(ops.where(has, total, 1.0)), shift[:, 0])


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4) -> Tensor:
    """One loss per embedding: softplus(logsumexp over positives + logsumexp over negatives).

    With d = max(1 - y_pred @ ref_embeddings.T, 0) the cosine distances, a positive pair (same
    label) contributes -gamma * max(margin + d, 0) * (margin - d), a negative pair
    gamma * max(1 + margin - d, 0) * (1 - margin - d). ref_embeddings/ref_labels default to
    y_pred/y_true (pairs within the batch; remove_diagonal drops each embedding's pair with
    itself). An embedding without a positive or without a negative pair gets loss 0, and the
    `Circle` class leaves such zeros out of its mean, as Keras masks them.
    """
    who = "circle"
    y_pred = _prediction(y_pred)
    if y_pred.ndim != 2:
        raise ShapeError(f"{who}: y_pred must be embeddings of shape (batch, dim); received shape {y_pred.shape}.")
    labels = _class_ids(who, "y_true", _labels(y_true), y_pred.shape[0])
    ref = y_pred if ref_embeddings is None else as_tensor(ref_embeddings)
    if ref.ndim != 2 or ref.shape[1] != y_pred.shape[1]:
        raise ShapeError(
            f"{who}: ref_embeddings must have shape (n, {y_pred.shape[1]}) like y_pred's rows; received {ref.shape}."
        )
    ref_ids = labels if ref_labels is None else _class_ids(who, "ref_labels", _labels(ref_labels), ref.shape[0])
    positive = labels[:, None] == ref_ids[None, :]
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(len(labels), len(ref_ids), dtype=bool)
    distance = ops.maximum(ops.subtract(1.0, ops.matmul(y_pred, ops.transpose(ref))), 0.0)
    pos_weight = ops.maximum(ops.multiply(ops.add(distance, margin), positive.astype(y_pred.dtype)), 0.0)
    neg_weight = ops.maximum(ops.multiply(ops.subtract(1.0 + margin, distance), negative.astype(y_pred.dtype)), 0.0)
    pos_logits = ops.multiply(ops.multiply(pos_weight, ops.subtract(margin, distance)), -float(gamma))
    neg_logits = ops.multiply(ops.multiply(neg_weight, ops.subtract(1.0 - margin, distance)), float(gamma))
    valid = positive.any(axis=1) & negative.any(axis=1)
    both = ops.add(_masked_logsumexp(pos_logits, positive), _masked_logsumexp(neg_logits, negative))
    return ops.where(valid, ops.softplus(ops.where(valid, both, 0.0)), 0.0)


@registry.register("Circle")
class Circle(_Wrapped):
    """The circle loss over the batch's pairs; see `circle`. Embeddings whose loss is 0 (no
    positive or no negative pair in the batch) are left out of the mean, as in Keras."""

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size", name="circle"):
        super().__init__(circle, reduction=reduction, name=name, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)  # fmt: skip
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, remove_diagonal

    def __call__(self, y_true, y_pred, sample_weight=None):
        losses = self.call(y_true, _prediction(y_pred))
        weights = apply_mask(sample_weight, losses.data > 0, self.reduction, losses.dtype)
        return reduce_weighted_values(losses, weights, self.reduction)


registry.add("circle", circle)
