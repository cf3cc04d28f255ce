"""Accuracy metrics: exact, binary, categorical, sparse categorical and top-k."""

import numpy as np

from neuronio.errors import ShapeError
from neuronio.metrics.base import Metric, _array, _floats, _match_ranks, _same_shape, _Wrapped, function_form, registry


def accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where y_pred equals y_true exactly, else 0.0 (Keras's `Accuracy`)."""
    y_true, y_pred = _match_ranks(_array(y_true), _array(y_pred))
    return _floats(y_true == y_pred)


def binary_accuracy(y_true, y_pred, threshold=0.5) -> np.ndarray:
    """1.0 where (y_pred > threshold) equals y_true, per entry."""
    y_true, y_pred = _same_shape("binary_accuracy", _array(y_true), _array(y_pred))
    return _floats(y_true == (y_pred > threshold).astype(y_true.dtype))


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where argmax(y_true) == argmax(y_pred) over the last axis (ties: the first index)."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"categorical_accuracy expects one-hot y_true of y_pred's shape {y_pred.shape}; received "
            f"y_true.shape={y_true.shape}. For integer labels use sparse_categorical_accuracy."
        )
    return _floats(np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1))


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """1.0 where the integer label y_true == argmax(y_pred) over the last axis."""
    y_true, y_pred = _sparse_pair("sparse_categorical_accuracy", y_true, y_pred)
    return _floats(y_true == np.argmax(y_pred, axis=-1))


def top_k_categorical_accuracy(y_true, y_pred, k=5) -> np.ndarray:
    """1.0 where the class argmax(y_true) is among the k largest scores of y_pred."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.shape != y_pred.shape:
        raise ShapeError(
            f"top_k_categorical_accuracy expects one-hot y_true of y_pred's shape {y_pred.shape}; received "
            f"y_true.shape={y_true.shape}. For integer labels use sparse_top_k_categorical_accuracy."
        )
    return _in_top_k(np.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5) -> np.ndarray:
    """1.0 where the integer label y_true is among the k largest scores of y_pred."""
    y_true, y_pred = _sparse_pair("sparse_top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(y_true.astype(np.int64), y_pred, k)


def _sparse_pair(who: str, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
    """Integer labels of shape y_pred.shape[:-1] (a trailing axis of size 1 is dropped)."""
    y_true, y_pred = _array(y_true), _array(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1:] == (1,):
        y_true = y_true[..., 0]
    if y_true.shape != y_pred.shape[:-1]:
        hint = " These look like one-hot labels: use categorical_accuracy." if y_true.shape == y_pred.shape else ""
        raise ShapeError(
            f"{who} expects integer labels of shape {y_pred.shape[:-1]} for y_pred of shape {y_pred.shape}; "
            f"received y_true.shape={y_true.shape}.{hint}"
        )
    return y_true, y_pred


def _in_top_k(labels: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Whether scores[label] >= the k-th largest score: ties at the boundary count as in (Keras).

    With k >= the number of classes every label is in the top k.
    """
    n_classes = scores.shape[-1]
    if k >= n_classes:
        return _floats(np.ones(labels.shape, dtype=bool))
    kth_largest = np.partition(scores, n_classes - k, axis=-1)[..., n_classes - k]  # (...,)
    target = np.take_along_axis(scores, labels[..., None].astype(np.int64), axis=-1)[..., 0]
    return _floats(target >= kth_largest)


@registry.register("Accuracy", "accuracy")
class Accuracy(_Wrapped):
    """How often y_pred equals y_true exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


@registry.register("CategoricalAccuracy", "categorical_accuracy")
class CategoricalAccuracy(_Wrapped):
    """How often argmax(y_pred) is the class of the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


@registry.register("SparseCategoricalAccuracy", "sparse_categorical_accuracy")
class SparseCategoricalAccuracy(_Wrapped):
    """How often argmax(y_pred) is the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


@registry.register("BinaryAccuracy", "binary_accuracy")
class BinaryAccuracy(_Wrapped):
    """How often (y_pred > threshold) matches the 0/1 label."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


@registry.register("TopKCategoricalAccuracy", "top_k_categorical_accuracy")
class TopKCategoricalAccuracy(_Wrapped):
    """How often the one-hot label's class is among the k highest scores."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {**Metric.get_config(self), "k": self.k}


@registry.register("SparseTopKCategoricalAccuracy", "sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(_Wrapped):
    """How often the integer label is among the k highest scores."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self):
        return {**Metric.get_config(self), "k": self.k}


function_form(
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    top_k_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
)
