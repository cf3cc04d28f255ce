"""timeseries_dataset_from_array: sliding windows over a series, served batch by batch."""

import math

import numpy as np


class TimeseriesDataset:
    """The windows of a series and their targets, one batch at a time, in Keras's order.

    A Keras-style sequence: `len(ds)` batches, `ds[i]` the i-th batch, `for x, y in ds` all of
    them (or `for x in ds` without targets). Nothing is copied until a batch is asked for, so a
    long series with overlapping windows costs no more memory than the series itself.
    `ds.as_arrays()` gives every window at once, for `model.fit(x, y)`.
    """

    def __init__(self, data, targets, starts, sequence_length, sampling_rate, batch_size):
        self.data, self.targets = data, targets
        self.starts = starts  # (num_samples,): each window's first index into data
        self.offsets = np.arange(sequence_length) * sampling_rate  # (sequence_length,)
        self.batch_size = batch_size

    @property
    def num_samples(self) -> int:
        return len(self.starts)

    def __len__(self) -> int:
        if self.batch_size is None:
            return self.num_samples
        return math.ceil(self.num_samples / self.batch_size)

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"TimeseriesDataset: batch {index} out of range; the dataset has {len(self)}.")
        index %= len(self)
        if self.batch_size is None:
            return self._windows(self.starts[index])
        return self._windows(self.starts[index * self.batch_size : (index + 1) * self.batch_size])

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]

    def as_arrays(self):
        """Every window at once: `x` of shape (num_samples, sequence_length, *features), and
        `(x, y)` when there are targets."""
        return self._windows(self.starts)

    def _windows(self, starts):
        starts = np.asarray(starts)
        x = self.data[starts[..., None] + self.offsets]  # (B, sequence_length, *features): the one gather
        if self.targets is None:
            return x
        return x, self.targets[starts]

    def __repr__(self) -> str:
        return (
            f"<TimeseriesDataset: {self.num_samples} windows of {len(self.offsets)} steps in {len(self)} "
            f"{'samples' if self.batch_size is None else 'batches'}>"
        )


def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
) -> TimeseriesDataset:
    """Sliding windows over a series, as `keras.utils.timeseries_dataset_from_array` makes them.

    Window j starts at data index s_j = start_index + j * sequence_stride and holds
    data[s_j], data[s_j + sampling_rate], ..., sequence_length steps in all; its target is
    targets[s_j]. Windows end before `end_index` (exclusive).

    Args:
        data: array (or array-like) whose first axis is time.
        targets: `targets[i]` belongs to the window starting at data index i; None for no targets.
        sequence_length: steps per window.
        sequence_stride: the step between the starts of consecutive windows.
        sampling_rate: the step between a window's steps.
        batch_size: windows per batch (the last may be smaller); None yields single windows.
        shuffle, seed: shuffle the windows' order with np.random.RandomState(seed), as Keras
            shuffles its start positions (Keras's tf.data and Grain pipelines then shuffle once
            more with their own generators, which neuronio does not reproduce).
        start_index, end_index: use only data[start_index:end_index].

    Returns:
        A TimeseriesDataset: `for x, y in ds`, `len(ds)`, `ds[i]`, `ds.as_arrays()`.

    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, sequence_length=3, batch_size=4)
    >>> x, y = ds[0]
    >>> x.tolist(), y.tolist(), len(ds)
    ([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]], [0, 10, 20, 30], 2)
    """
    data = np.asarray(data)
    targets = None if targets is None else np.asarray(targets)
    who = "timeseries_dataset_from_array"
    n = len(data)
    start = 0 if start_index is None else _int(who, "start_index", start_index, 0, n - 1, n)
    end = n if end_index is None else _int(who, "end_index", end_index, start + 1, n - 1, n)
    sequence_length = _int(who, "sequence_length", sequence_length, 1, None, n)
    sampling_rate = _int(who, "sampling_rate", sampling_rate, 1, n - 1, n)
    sequence_stride = _int(who, "sequence_stride", sequence_stride, 1, n - 1, n)
    if batch_size is not None:
        batch_size = _int(who, "batch_size", batch_size, 1, None, n)
    count = end - start - (sequence_length - 1) * sampling_rate  # windows that fit
    if targets is not None:
        count = min(count, len(targets) - start)
    if count <= 0:
        raise ValueError(
            f"{who}: no window fits: a window spans (sequence_length - 1) * sampling_rate + 1 = "
            f"{(sequence_length - 1) * sampling_rate + 1} steps, but data[{start}:{end}] has {end - start}"
            f"{'' if targets is None else f' and targets {len(targets)}'}. Use a shorter window or more data."
        )
    starts = np.arange(0, count, sequence_stride)
    if shuffle:
        rng = np.random.RandomState(np.random.randint(1_000_000) if seed is None else seed)
        rng.shuffle(starts)
    return TimeseriesDataset(data, targets, starts + start, sequence_length, sampling_rate, batch_size)


def _int(who: str, name: str, value, low: int, high: int | None, n: int) -> int:
    """`value` as an int in [low, high], or a ValueError naming the argument and the data length."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or value < low or (high is not None and value > high):
        bound = f"an int >= {low}" if high is None else f"an int from {low} to {high}"
        raise ValueError(f"{who}: `{name}` must be {bound} for data of length {n}; received {name}={value!r}.")
    return int(value)
