"""Fused cross-entropies computed from logits, with TensorFlow's names and arguments.

    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)   # the deck's slide
    loss = ops.sparse_softmax_cross_entropy_with_logits(labels=y, logits=z)     # neuronio

Softmax and cross-entropy are one op because together they are stable and their gradient is
short: log_softmax(x) = x - max - log(sum(exp(x - max))) never overflows, and
d(loss)/dx = softmax(x) - onehot(y) needs no division by a probability (STYLE C10.6).
The softmax losses reduce the last (class) axis: logits (..., K) -> losses (...).
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_array, as_tensor
from neuronio.errors import DTypeError, ShapeError
from neuronio.ops.elementwise import cast


def _log_softmax(x: np.ndarray) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) over the last axis; (..., K) -> (..., K)."""
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class SparseSoftmaxCrossEntropyOp(Function):
    """loss[...] = -log_softmax(x)[..., y[...]];  dx = (softmax(x) - onehot(y)) * dy[..., None].

    The integer labels y are a constructor attribute: they are indices, not differentiable.
    """

    def __init__(self, labels: np.ndarray):
        self.labels = labels  # (...,) int, validated in [0, K)

    def forward(self, logits):
        log_p = _log_softmax(logits)  # (..., K)
        k = logits.shape[-1]
        rows = np.arange(self.labels.size)
        loss = -log_p.reshape(-1, k)[rows, self.labels.reshape(-1)]  # (M,), M = prod(...)
        self.save_for_backward(np.exp(log_p))  # the softmax, for backward
        return loss.reshape(self.labels.shape)  # (...)

    def backward(self, dy):
        (p,) = self.saved
        k = p.shape[-1]
        dx = p * dy[..., None]  # (..., K)
        dx2 = dx.reshape(-1, k)  # (M, K): a view of dx
        # One label per row, so the (row, label) pairs are unique and fancy `-=` is exact.
        dx2[np.arange(dx2.shape[0]), self.labels.reshape(-1)] -= dy.reshape(-1)
        return dx


class SoftmaxCrossEntropyOp(Function):
    """loss[...] = -sum_k z[..., k] * log_softmax(x)[..., k], for one-hot or probability labels z.

        dx = (softmax(x) * sum_k z[..., k] - z) * dy[..., None]   (softmax(x) - z when z sums to 1)
        dz = -log_softmax(x) * dy[..., None]

    The labels get their gradient too (as TF's softmax_cross_entropy_with_logits_v2 does), so a
    distillation target computed by another network can be trained through this loss.
    """

    def forward(self, labels, logits):
        log_p = _log_softmax(logits)  # (..., K)
        self.save_for_backward(labels, log_p, np.exp(log_p))
        return -(labels * log_p).sum(axis=-1)  # (...)

    def backward(self, dy):
        labels, log_p, p = self.saved
        dy_k = dy[..., None]  # (..., 1)
        dlabels = -log_p * dy_k if self.needs_input_grad[0] else None
        dlogits = None
        if self.needs_input_grad[1]:
            dlogits = (p * labels.sum(axis=-1, keepdims=True) - labels) * dy_k
        return dlabels, dlogits


class SigmoidCrossEntropyOp(Function):
    """loss = max(x, 0) - x * z + log(1 + exp(-|x|)), elementwise: -z log s - (1 - z) log(1 - s).

    s = sigmoid(x). This form never overflows and keeps precision for large |x| (TF's formula).
        dx = (s - z) * dy,   dz = -x * dy
    """

    def forward(self, labels, logits):
        e = np.exp(-np.abs(logits))  # in (0, 1]: no overflow
        loss = np.maximum(logits, 0) - logits * labels + np.log1p(e)
        # sigmoid(x) from the same e: 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0.
        s = np.where(logits >= 0, 1, e) / (1 + e)
        self.save_for_backward(logits, labels, s.astype(logits.dtype, copy=False))
        return loss

    def backward(self, dy):
        logits, labels, s = self.saved
        dlabels = -logits * dy if self.needs_input_grad[0] else None
        dlogits = (s - labels) * dy if self.needs_input_grad[1] else None
        return dlabels, dlogits


# -- public functions --------------------------------------------------------------------------
def _float_logits(who: str, logits, class_axis: bool = True) -> Tensor:
    logits = as_tensor(logits)
    if logits.dtype.kind != "f":
        raise DTypeError(
            f"{who} expects float logits; received dtype {logits.dtype} (shape {logits.shape}). "
            f"Logits are the last layer's raw outputs; cast with x.astype('float32')."
        )
    if class_axis and logits.ndim == 0:
        raise ShapeError(f"{who} expects logits of rank >= 1, (..., classes); received a scalar.")
    return logits


def _dense_labels(labels, logits: Tensor) -> Tensor:
    """Labels as a Tensor of the logits' float dtype (a float Tensor is cast differentiably)."""
    if isinstance(labels, Tensor) and labels.dtype.kind == "f":
        return labels if labels.dtype == logits.dtype else cast(labels, logits.dtype)
    return Tensor(as_array(labels, dtype=logits.dtype))


def sparse_softmax_cross_entropy_with_logits(labels, logits) -> Tensor:
    """Cross-entropy between integer class labels and softmax(logits), per example.

    Args:
        labels: class indices in [0, K), integer array of shape logits.shape[:-1] (float arrays
            holding whole numbers are accepted too).
        logits: unnormalised scores of shape (..., K).

    Returns:
        Tensor of shape logits.shape[:-1]: -log softmax(logits)[label] for each example.

    >>> import numpy as np
    >>> loss = sparse_softmax_cross_entropy_with_logits(labels=[0], logits=np.zeros((1, 4), "float32"))
    >>> np.round(loss.numpy(), 4)  # log(4)
    array([1.3863], dtype=float32)
    """
    who = "sparse_softmax_cross_entropy_with_logits"
    logits = _float_logits(who, logits)
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    k = logits.shape[-1]
    if labels.shape != logits.shape[:-1]:
        if labels.shape == logits.shape:
            hint = (
                " These labels have the logits' shape, so they look one-hot: use "
                "softmax_cross_entropy_with_logits (Keras: categorical_crossentropy), or pass labels.argmax(-1)."
            )
        elif labels.shape == (*logits.shape[:-1], 1):
            hint = " Remove the trailing axis of size 1, e.g. labels.reshape(-1)."
        else:
            hint = ""
        raise ShapeError(
            f"{who} expects labels of shape logits.shape[:-1] = {logits.shape[:-1]} (one class index per "
            f"example); received labels.shape={labels.shape} for logits.shape={logits.shape}.{hint}"
        )
    if labels.dtype.kind == "f":
        if not np.array_equal(labels, np.round(labels)):
            raise DTypeError(
                f"{who} expects integer class indices as labels; received float labels with fractional "
                f"values. For probability labels use softmax_cross_entropy_with_logits."
            )
        labels = labels.astype(np.intp)
    elif labels.dtype.kind not in "iu":
        raise DTypeError(f"{who} expects integer class indices as labels; received dtype {labels.dtype}.")
    out_of_range = (labels < 0) | (labels >= k)
    if out_of_range.any():
        where = tuple(int(i) for i in np.argwhere(out_of_range)[0])
        bad = labels[where]
        raise ValueError(
            f"{who}: labels must be class indices in [0, {k}) for {k} classes (logits.shape={logits.shape}); "
            f"received label {bad} at index {where} ({int(out_of_range.sum())} labels out of range). "
            f"If classes are numbered from 1, subtract 1; if the model has too few outputs, give its last "
            f"layer one unit per class."
        )
    return SparseSoftmaxCrossEntropyOp(labels.astype(np.intp, copy=False)).apply(logits)


def softmax_cross_entropy_with_logits(labels, logits) -> Tensor:
    """Cross-entropy between one-hot (or probability) labels and softmax(logits), per example.

    Args:
        labels: shape (..., K), each row one-hot or a probability distribution. A Tensor gets a
            gradient (-log_softmax(logits) * dy); arrays are constants.
        logits: unnormalised scores of shape (..., K).

    Returns:
        Tensor of shape logits.shape[:-1]: -sum(labels * log_softmax(logits), axis=-1).

    >>> import numpy as np
    >>> loss = softmax_cross_entropy_with_logits(labels=[[0.0, 1.0]], logits=np.zeros((1, 2), "float32"))
    >>> np.round(loss.numpy(), 4)  # log(2)
    array([0.6931], dtype=float32)
    """
    who = "softmax_cross_entropy_with_logits"
    logits = _float_logits(who, logits)
    labels = _dense_labels(labels, logits)
    if labels.shape != logits.shape:
        hint = ""
        if labels.shape == logits.shape[:-1] or labels.shape == (*logits.shape[:-1], 1):
            hint = (
                " These look like integer class indices: use sparse_softmax_cross_entropy_with_logits "
                "(Keras: sparse_categorical_crossentropy), or one-hot encode them with to_categorical."
            )
        raise ShapeError(
            f"{who} expects labels of the logits' shape {logits.shape}; received labels.shape={labels.shape}.{hint}"
        )
    return SoftmaxCrossEntropyOp().apply(labels, logits)


def sigmoid_cross_entropy_with_logits(labels, logits) -> Tensor:
    """Binary cross-entropy between labels in [0, 1] and sigmoid(logits), elementwise (as TF).

    Args:
        labels: same shape as logits; 0/1 targets or probabilities. A Tensor gets a gradient.
        logits: unnormalised scores, any shape.

    Returns:
        Tensor of the logits' shape: max(x, 0) - x * z + log(1 + exp(-|x|)). Keras's
        binary_crossentropy is its mean over the last axis.

    >>> import numpy as np
    >>> np.round(sigmoid_cross_entropy_with_logits(labels=[1.0], logits=np.zeros(1, "float32")).numpy(), 4)
    array([0.6931], dtype=float32)
    """
    who = "sigmoid_cross_entropy_with_logits"
    logits = _float_logits(who, logits, class_axis=False)
    labels = _dense_labels(labels, logits)
    if labels.shape != logits.shape:
        raise ShapeError(
            f"{who} expects labels of the logits' shape {logits.shape}; received labels.shape={labels.shape}. "
            f"For one output unit per example, give labels shape (batch, 1), e.g. y.reshape(-1, 1)."
        )
    return SigmoidCrossEntropyOp().apply(labels, logits)
