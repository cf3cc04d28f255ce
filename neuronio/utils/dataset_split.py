"""`utils.split_dataset`: cut a dataset in two at a size or fraction, optionally after shuffling.

Samples are cut exactly where Keras cuts them: sizes as Keras rounds them, the left part the
first `left_size` samples and the right part the last `right_size`, and with `shuffle` the
order Keras's shuffle gives for the same seed (Python's `random.Random(seed).shuffle`). Keras
returns two datasets of samples; neuronio returns the same kind of thing it was given: arrays
for an array, tuples (or dicts) of arrays for a tuple (or dict), and for a batch source (a
PyDataset or any sequence with `__len__`/`__getitem__`) two views over its items, which `fit`
takes directly and which read nothing until asked.
"""

import random

import numpy as np

from neuronio.models.streams import PyDataset


class DatasetSplit(PyDataset):
    """Items `indices` of an indexable source: `len(part)`, `part[i]`, `for item in part`."""

    def __init__(self, source, indices):
        super().__init__()
        self.source, self.indices = source, list(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        return self.source[self.indices[index]]

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def on_epoch_end(self) -> None:
        hook = getattr(self.source, "on_epoch_end", None)
        if callable(hook):
            hook()


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Split `dataset` into (left, right).

    Args:
        dataset: an array, a tuple/list or dict of arrays of one length, or an indexable source.
        left_size, right_size: an int (samples) or a float in (0, 1) (a fraction of the total,
            rounded); give one or both. The other gets the rest.
        shuffle, seed: shuffle the samples before cutting (seed None: a random one).
        preferred_backend: accepted as Keras does; neuronio has one kind of data.
    """
    del preferred_backend
    if left_size is None and right_size is None:
        raise ValueError(
            "split_dataset: you must specify either `left_size` or `right_size`. Received: left_size=None and "
            "right_size=None"
        )
    take, total = _indexer(dataset)
    left_size, right_size = split_sizes(left_size, right_size, total)
    order = list(range(total))
    if shuffle:
        random.Random(random.randint(0, 1_000_000) if seed is None else seed).shuffle(order)
    left, right = order[:left_size], order[total - right_size :]
    return take(left), take(right)


def _indexer(dataset):
    """(take(indices) -> the same kind of dataset, number of samples)."""
    if isinstance(dataset, np.ndarray) or hasattr(dataset, "__array__") and not isinstance(dataset, (list, tuple, dict)):
        array = np.asarray(dataset)
        return (lambda idx: array[np.asarray(idx, dtype=np.intp)]), len(array)
    if isinstance(dataset, dict):
        arrays = {key: np.asarray(value) for key, value in dataset.items()}
        total = _same_length(arrays)
        return (lambda idx: {k: a[np.asarray(idx, dtype=np.intp)] for k, a in arrays.items()}), total
    if isinstance(dataset, (tuple, list)):
        arrays = [np.asarray(value) for value in dataset]
        total = _same_length(dict(enumerate(arrays)))
        return (lambda idx: tuple(a[np.asarray(idx, dtype=np.intp)] for a in arrays)), total
    if hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__"):
        return (lambda idx: DatasetSplit(dataset, idx)), len(dataset)
    raise TypeError(
        "split_dataset: `dataset` must be an array, a tuple, list or dict of arrays, or an indexable source of "
        f"samples or batches (with __len__ and __getitem__); received {type(dataset).__name__}. A generator has no "
        "length to split at: collect it into arrays first."
    )


def _same_length(arrays: dict) -> int:
    lengths = {key: len(a) for key, a in arrays.items()}
    if not lengths:
        raise ValueError("split_dataset: received an empty tuple/list/dict; give at least one array.")
    if len(set(lengths.values())) != 1:
        raise ValueError(
            f"split_dataset: the arrays must have the same number of samples; received lengths {lengths}."
        )
    return next(iter(lengths.values()))


def split_sizes(left_size, right_size, total: int) -> tuple[int, int]:
    """(left, right) sample counts by Keras's rules: ints in (0, total), floats in (0, 1)
    rounded to samples, the missing side the rest, neither side empty.

    >>> split_sizes(0.8, None, 10), split_sizes(None, 3, 10), split_sizes(0.25, 0.25, 10)
    ((8, 2), (7, 3), (2, 2))
    """
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is not None and type(size) not in (int, float):
            raise TypeError(f"Invalid `{name}` Type. Expected: int or float or None, Received: type({name})={type(size)}.")
    if left_size == 0 and right_size == 0:
        raise ValueError("Both `left_size` and `right_size` are zero. At least one of the split sizes must be non-zero.")
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if (type(size) is int and not 0 < size < total) or (type(size) is float and not 0 < size < 1):
            raise ValueError(
                f"`{name}` should be either a positive integer smaller than {total}, or a float within the range "
                f"`[0, 1]`. Received: {name}={size}"
            )
    if type(left_size) is float and type(right_size) is float and left_size + right_size > 1:
        raise ValueError("The sum of `left_size` and `right_size` is greater than 1. It must be less than or equal to 1.")
    left = round(left_size * total) if type(left_size) is float else left_size
    right = round(right_size * total) if type(right_size) is float else right_size
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(
            f"The sum of `left_size` and `right_size` should be smaller than the {total}. Received: left_size + "
            f"right_size = {left + right} and total_length = {total}"
        )
    for size, side in ((left, "left"), (right, "right")):
        if size == 0:
            raise ValueError(
                f"With `dataset` of length={total}, `left_size`={left_size} and `right_size`={right_size}. Resulting "
                f"{side} side dataset split will be empty. Adjust any of the aforementioned parameters"
            )
    return int(left), int(right)
