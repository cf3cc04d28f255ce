"""Array helpers under their Keras 2 home (`keras.utils.np_utils.to_categorical`)."""

import numpy as np


def to_categorical(x, num_classes=None) -> np.ndarray:
    """Integer class ids -> one-hot rows (float32), as Keras: 7 -> [0, 0, 0, 0, 0, 0, 0, 1, 0, 0].

    A trailing axis of size 1 is dropped first, as Keras does for (N, 1) label arrays.

    >>> to_categorical([0, 2], num_classes=3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    labels = np.asarray(x)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.array_equal(labels, np.round(labels)):
            raise ValueError("to_categorical expects integer class ids; received non-integer values.")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iu":
        raise TypeError(f"to_categorical expects integer class ids; received dtype {labels.dtype}.")
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: class ids must be >= 0; received {int(labels.min())}.")
    largest = int(labels.max()) + 1 if labels.size else 0
    if num_classes is None:
        num_classes = largest
    elif largest > num_classes:
        raise ValueError(
            f"to_categorical: class id {largest - 1} does not fit num_classes={num_classes}; "
            f"ids must be in [0, {num_classes})."
        )
    out = np.zeros((*labels.shape, num_classes), dtype=np.float32)
    np.put_along_axis(out, labels[..., None].astype(np.int64), 1.0, axis=-1)
    return out


def normalize(x, axis=-1, order=2) -> np.ndarray:
    """x divided by its `order`-norm along `axis` (zeros stay zeros)."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)
