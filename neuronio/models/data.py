"""The arrays fit/evaluate/predict receive: checked once, split, shuffled and cut into batches.

Batches come out packed as Keras packs them for `train_step(data)`: `x`, `(x, y)` or
`(x, y, sample_weight)`. Sources of batches (PyDataset, generators) are in models/streams.py.
"""

import math

import numpy as np

from neuronio import config
from neuronio.autodiff.tensor import Tensor
from neuronio.errors import DTypeError, NumericsError, ShapeError
from neuronio.models.streams import StreamData, is_stream, pack_x_y_sample_weight, reject_stream_arguments


def make_data(x, y, sample_weight, model, who: str, class_weight=None, steps_per_epoch=None, validation_split=0.0):
    """ArrayData for arrays; StreamData (batch by batch, never materialised) for a PyDataset,
    a sequence of batches, a generator or another iterable."""
    if is_stream(x):
        reject_stream_arguments(who, y, validation_split, sample_weight)

        def check_batch(bx, by, bw):
            return ArrayData(bx, by, bw, model, who, class_weight=class_weight).packed()

        return StreamData(x, model, who, check_batch, steps_per_epoch=steps_per_epoch)
    return ArrayData(x, y, sample_weight, model, who, class_weight=class_weight)


def slice_rows(arrays: list, index) -> list:
    return [a[index] for a in arrays]


class ArrayData:
    """Inputs, targets and sample weights as lists of NumPy arrays with a common first axis.

    Checks, with messages naming the argument: equal lengths, no empty data, numeric dtypes
    (uint8 images are fine: layers cast them), no NaN or infinity in float inputs, class weights
    turned into sample weights.
    """

    def __init__(self, x, y, sample_weight, model, who: str, class_weight=None):
        self.who = who
        self.xs = self._arrays(x, "x", model, inputs=True)
        self.ys = None if y is None else self._arrays(y, "y", model, inputs=False)
        n = len(self.xs[0])
        for name, arrays in (("x", self.xs), ("y", self.ys or [])):
            for a in arrays:
                if len(a) != n:
                    raise ValueError(
                        f"{who}: x and y must hold the same number of samples, but x has {n} and {name} has "
                        f"{len(a)}. Check that the labels belong to these inputs."
                    )
        if n == 0:
            raise ValueError(f"{who}: received empty arrays (0 samples); pass at least one sample.")
        self.n = n
        self.sample_weight = None
        if sample_weight is not None:
            sw = np.asarray(sample_weight, dtype=config.floatx())
            if sw.shape[:1] != (n,):
                raise ShapeError(
                    f"{who}: sample_weight must have one value per sample ({n}); received shape {sw.shape}."
                )
            self.sample_weight = sw
        if class_weight is not None:
            self.sample_weight = self._class_weights(class_weight, self.sample_weight)

    def _arrays(self, value, name: str, model, inputs: bool) -> list:
        if value is None:
            raise ValueError(f"{self.who}: `{name}` is required.")
        if isinstance(value, dict):
            names = getattr(model, "input_names" if inputs else "output_names", None) or []
            missing = [k for k in names if k not in value]
            if missing:
                raise ValueError(f"{self.who}: `{name}` is a dict but lacks keys {missing}; expected keys {names}.")
            value = [value[k] for k in names]
        expected = 1
        if isinstance(value, (list, tuple)):  # several arrays: one per input (output), or one array as a list
            expected = len(getattr(model, "inputs" if inputs else "outputs", None) or [None])
        if expected > 1:
            if len(value) != expected:
                raise ValueError(
                    f"{self.who}: the model has {expected} {'inputs' if inputs else 'outputs'} but `{name}` "
                    f"holds {len(value)} arrays."
                )
            values = list(value)
        else:
            values = [value]
        return [self._checked(v, name) for v in values]

    def _checked(self, value, name: str) -> np.ndarray:
        # A Tensor's array; not getattr(value, "data", value): an ndarray's `data` is its memoryview,
        # which np.asarray wraps in a new array object (a copy of the header, each call).
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype.kind not in "fiub":
            raise DTypeError(
                f"{self.who}: `{name}` has dtype {array.dtype}; expected numbers. Convert it with "
                f"np.asarray({name}, dtype='float32') (object arrays often mean ragged or mixed data)."
            )
        if array.ndim == 0:
            raise ShapeError(f"{self.who}: `{name}` must have a batch axis; received a scalar.")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = np.argwhere(~np.isfinite(array.reshape(len(array), -1)).all(axis=1)).ravel()
            raise NumericsError(
                f"{self.who}: `{name}` contains NaN or infinite values in {len(bad)} sample(s) "
                f"(first at index {int(bad[0])}). Clean them (e.g. np.nan_to_num) or drop those samples."
            )
        return array

    def _class_weights(self, class_weight: dict, sample_weight):
        y = self.ys[0]
        labels = y.argmax(axis=-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y), -1)[:, 0].astype(int)
        if labels.min() < 0:
            raise ValueError(
                f"{self.who}: class_weight needs class ids >= 0 in y, but y holds the label {int(labels.min())}. "
                f"Map the labels to 0..K-1 first."
            )
        weights = np.array([class_weight.get(int(c), 1.0) for c in range(int(labels.max()) + 1)], dtype=config.floatx())
        per_sample = weights[labels]
        return per_sample if sample_weight is None else per_sample * sample_weight

    def split(self, fraction: float) -> tuple["ArrayData", "ArrayData"]:
        """Training and validation parts; the validation part is the last `fraction` of the samples,
        taken before any shuffling (as Keras does)."""
        n_train = int(self.n * (1 - fraction))
        if n_train == 0 or n_train == self.n:
            raise ValueError(
                f"{self.who}: validation_split={fraction} of {self.n} samples leaves "
                f"{'no training' if n_train == 0 else 'no validation'} samples."
            )
        return self._subset(slice(0, n_train)), self._subset(slice(n_train, self.n))

    def _subset(self, index) -> "ArrayData":
        part = object.__new__(ArrayData)
        part.who = self.who
        part.xs = slice_rows(self.xs, index)
        part.ys = None if self.ys is None else slice_rows(self.ys, index)
        part.sample_weight = None if self.sample_weight is None else self.sample_weight[index]
        part.n = len(part.xs[0])
        return part

    def _pack(self, index):
        ys = None if self.ys is None else slice_rows(self.ys, index)
        sw = None if self.sample_weight is None else self.sample_weight[index]
        return _packed(slice_rows(self.xs, index), ys, sw)

    def packed(self):
        """All the samples as one Keras-packed batch (the checked arrays themselves: *_on_batch's)."""
        return _packed(self.xs, self.ys, self.sample_weight)

    def steps_for(self, batch_size: int) -> int:
        return math.ceil(self.n / batch_size)

    def on_epoch_begin(self) -> None:
        """Arrays need nothing between epochs (a PyDataset gets its on_epoch_begin/end calls)."""

    def on_epoch_end(self) -> None:
        """See on_epoch_begin."""

    def batches(self, batch_size: int, shuffle: bool, limit=None):
        """One Keras-packed batch at a time; shuffled with the seeded generator when asked."""
        order = config.rng().permutation(self.n) if shuffle else None
        for count, start in enumerate(range(0, self.n, batch_size)):
            if limit is not None and count >= limit:
                return
            if order is None:
                yield self._pack(slice(start, start + batch_size))
            else:
                # Sorted indices read memory in order; the batch's order within itself does not matter.
                yield self._pack(np.sort(order[start : start + batch_size]))


def _packed(xs: list, ys, sample_weight):
    """Lists of arrays packed as Keras packs a batch: `x`, `(x, y)` or `(x, y, sample_weight)`."""
    y = None if ys is None else ys[0] if len(ys) == 1 else ys
    return pack_x_y_sample_weight(xs[0] if len(xs) == 1 else xs, y, sample_weight)
