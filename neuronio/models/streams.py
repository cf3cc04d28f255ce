"""Data that arrives batch by batch: `PyDataset` (Keras's `keras.utils.PyDataset`), any object
with `__len__` and `__getitem__` returning batches, Python generators and other iterables.

None of them is ever turned into one array: `fit` asks for one batch at a time, so an endless
generator with `steps_per_epoch` trains in constant memory. Each batch is `x`, `(x,)`, `(x, y)` or
`(x, y, sample_weight)`, as Keras packs it, and is checked like the arrays given to `fit`.
"""

import warnings

import numpy as np

from neuronio import config


class PyDataset:
    """Base class for a dataset of batches: define `__len__` (the number of batches) and
    `__getitem__(index)` returning one batch, as `(x, y)`, `(x, y, sample_weight)` or `x`.

    Args:
        workers, use_multiprocessing, max_queue_size: Keras's parallel-loading settings. They are
            kept for compatibility; neuronio loads batches in the training thread, in order.

    `on_epoch_end()` is called after every epoch (shuffle your indices there if you want).
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index) returning one batch.")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__ (the number of batches).")

    @property
    def num_batches(self):
        """The number of batches (`len(self)`), or None when the dataset has no length."""
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self):
        """Called before every epoch."""

    def on_epoch_end(self):
        """Called after every epoch."""


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`; missing ones
    are None. This is how `train_step(self, data)` reads its batch in Keras."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(
        f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, found: {data}"
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The inverse of unpack_x_y_sample_weight: `x` alone (or `(x,)` when x is a tuple or list,
    so that it is not mistaken for (x, y)), `(x, y)` or `(x, y, sample_weight)`."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def is_stream(x) -> bool:
    """True for the batch sources this module handles (not arrays, lists, tuples or dicts)."""
    if x is None or isinstance(x, (np.ndarray, list, tuple, dict, str, bytes)) or hasattr(x, "__array__"):
        return False
    if isinstance(x, PyDataset):
        return True
    has_items = hasattr(x, "__getitem__") and hasattr(x, "__len__")
    return has_items or hasattr(x, "__iter__") or hasattr(x, "__next__")


class StreamData:
    """Batches from a PyDataset, a sequence of batches, a generator or an iterable.

    `steps` is the number of batches per epoch when known. A generator read with
    `steps_per_epoch` continues where the previous epoch stopped, as in Keras.
    """

    def __init__(self, source, model, who: str, check_batch, steps_per_epoch=None):
        # check_batch(x, y, sample_weight) -> the batch converted, checked and packed: the same
        # checks as for arrays (models/data.py's ArrayData, which passes it in)
        self.source, self.model, self.who, self.check_batch = source, model, who, check_batch
        self.steps_per_epoch = steps_per_epoch
        self.indexed = isinstance(source, PyDataset) or (hasattr(source, "__getitem__") and hasattr(source, "__len__"))
        self._iterator = source if hasattr(source, "__next__") else None
        self._positions = None  # a PyDataset read with steps_per_epoch: the index stream, across epochs
        self.exhausted = False
        length = len(source) if self.indexed else None
        self.steps = steps_per_epoch or length

    def batches(self, batch_size, shuffle: bool, limit=None):
        """One epoch of Keras-packed batches (x, y, sample_weight), each converted and checked."""
        limit = limit or self.steps_per_epoch
        for count, raw in enumerate(self._raw_batches(shuffle, limit)):
            if limit is not None and count >= limit:
                return
            yield self._checked(raw)

    def _raw_batches(self, shuffle: bool, limit):
        if self.indexed:
            yield from self._indexed_batches(shuffle, limit)
            return
        iterator = self._iterator if self._iterator is not None else iter(self.source)
        produced = 0
        while limit is None or produced < limit:
            try:
                batch = next(iterator)
            except StopIteration:
                self._ran_out(produced, limit)
                return
            produced += 1
            yield batch

    def _indexed_batches(self, shuffle: bool, limit):
        n = len(self.source)
        if self.steps_per_epoch is None:
            order = config.rng().permutation(n) if shuffle and isinstance(self.source, PyDataset) else range(n)
            for index in order:
                yield self.source[int(index)]
            return
        if self._positions is None:
            self._positions = self._cycle(n, shuffle)
        for _ in range(limit):
            yield self.source[next(self._positions)]

    @staticmethod
    def _cycle(n: int, shuffle: bool):
        while True:
            yield from (int(i) for i in (config.rng().permutation(n) if shuffle else range(n)))

    def _ran_out(self, produced: int, limit) -> None:
        if limit is not None or produced == 0:
            self.exhausted = True
            warnings.warn(
                f"{self.who}: your input ran out of data after {produced} batch(es); training is "
                f"interrupted. Make sure the generator yields at least steps_per_epoch * epochs "
                f"batches (an endless `while True:` generator with steps_per_epoch is the usual way).",
                stacklevel=4,
            )

    def _checked(self, raw):
        if not isinstance(raw, (tuple, list)) and not isinstance(self.source, PyDataset) and not self.indexed:
            raise ValueError(
                f"{self.who}: a generator must yield a tuple (x,), (x, y) or (x, y, sample_weight); "
                f"received a {type(raw).__name__}. Yield (x, y) pairs."
            )
        return self.check_batch(*unpack_x_y_sample_weight(raw))

    def steps_for(self, batch_size: int):
        return self.steps

    def split(self, fraction: float):
        raise ValueError(f"{self.who}: `validation_split` is only supported for tensors or NumPy arrays.")

    def on_epoch_begin(self) -> None:
        self._hook("on_epoch_begin")

    def on_epoch_end(self) -> None:
        self._hook("on_epoch_end")

    def _hook(self, name: str) -> None:
        hook = getattr(self.source, name, None)
        if callable(hook):
            hook()


def reject_stream_arguments(who: str, y, validation_split=0.0, sample_weight=None) -> None:
    """Keras's errors for arguments a batch source cannot take (its batches carry them)."""
    if y is not None:
        raise ValueError(
            f"{who}: when `x` is a PyDataset, a generator or another source of batches, `y` should not be "
            f"passed. Instead, the targets should be included in each batch: yield (x, y)."
        )
    if sample_weight is not None:
        raise ValueError(
            f"{who}: `sample_weight` is not supported with a source of batches; yield (x, y, sample_weight) instead."
        )
    if validation_split:
        raise ValueError(
            f"{who}: `validation_split` is only supported for tensors or NumPy arrays; pass "
            f"validation_data= (a tuple, a PyDataset or a generator with validation_steps) instead."
        )
