"""pad_sequences: ragged lists of sequences to one (samples, maxlen, ...) array, as Keras pads them."""

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0) -> np.ndarray:
    """Pads (or cuts) every sequence to the same length.

    Args:
        sequences: a list of sequences (lists or arrays of numbers, or of equal-shaped arrays).
        maxlen: the length of every output row; None means the longest sequence's length.
        dtype: the output's dtype (Keras's default int32; use `object` for strings).
        padding: "pre" (fill before the sequence, Keras's default) or "post".
        truncating: "pre" (drop the start of a longer sequence, keeping its end) or "post".
        value: the fill value.

    Returns:
        An array of shape (len(sequences), maxlen, *element shape).

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post", truncating="post")
    array([[1, 0],
           [2, 3],
           [4, 5]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"pad_sequences: `sequences` must be a list of sequences; received {type(sequences).__name__}."
        )
    for name, where in (("padding", padding), ("truncating", truncating)):
        if where not in ("pre", "post"):
            raise ValueError(f"pad_sequences: `{name}` must be 'pre' or 'post'; received {name}={where!r}.")
    lengths, element_shape = [], None
    for i, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(
                f"pad_sequences: `sequences` must be a list of iterables, but item {i} is {sequence!r}. "
                f"Wrap single values in a list: [[1], [2, 3]]."
            ) from None
        if element_shape is None and len(sequence):
            element_shape = np.asarray(sequence).shape[1:]  # () for numbers; (D,) for vectors
    element_shape = element_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 1:
        raise ValueError(f"pad_sequences: `maxlen` must be a positive int or None; received maxlen={maxlen!r}.")
    textual = np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    if isinstance(value, str) and dtype is not object and not textual:
        raise ValueError(
            f"pad_sequences: `dtype` {dtype} cannot hold the string value {value!r}; pass dtype=object for "
            f"sequences of strings."
        )
    out = np.full((len(lengths), int(maxlen), *element_shape), value, dtype=dtype)  # (N, maxlen, ...)
    for i, sequence in enumerate(sequences):
        if not lengths[i]:
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != element_shape:
            raise ValueError(
                f"pad_sequences: the elements of sequence {i} have shape {kept.shape[1:]}, but earlier ones "
                f"have shape {element_shape}; every element must have the same shape."
            )
        if padding == "post":
            out[i, : len(kept)] = kept
        else:
            out[i, maxlen - len(kept) :] = kept
    return out
