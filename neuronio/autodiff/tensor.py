"""Tensor (an array plus a link to the op that made it) and Variable (a named, trainable Tensor).

No math lives here: the operators below call the ops in `neuronio.ops`, imported when first
used because the ops themselves are built on this module.
"""

import threading

import numpy as np

from neuronio import config
from neuronio.errors import DTypeError, NumericsError


class Tensor:
    """An n-dimensional float array that remembers how it was computed.

    `data` is a NumPy array. When a GradientTape is recording and an input of an op requires a
    gradient, the op's output keeps a reference to that op (`node`), and through it to the op's
    inputs: that chain is the graph `GradientTape.gradient` walks backwards.

    >>> t = Tensor(np.array([1.0, 2.0], dtype="float32"))
    >>> (t * 3 + 1).numpy()
    array([4., 7.], dtype=float32)
    """

    # _keras_mask: which timesteps of a padded sequence this value covers (Keras's attribute of the
    # same name), set on a model's outputs by Sequential and functional calls; absent on most values.
    __slots__ = ("data", "node", "requires_grad", "_keras_mask", "__weakref__")
    # Makes `ndarray + Tensor` call Tensor.__radd__ instead of broadcasting over the Tensor.
    __array_priority__ = 1000

    def __init__(self, data, requires_grad: bool = False, node=None):
        self.data = data
        self.requires_grad = requires_grad
        self.node = node

    # -- array-like surface ------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    def numpy(self) -> np.ndarray:
        """The value as a NumPy array (the array itself, not a copy)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __len__(self) -> int:
        return len(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        return f"Tensor({body}, shape={self.shape}, dtype={self.dtype})"

    # The arithmetic operators (+ - * / ** @, unary -, t[i]) and t.T, t.reshape, t.sum, t.mean are
    # each one op of neuronio.ops, attached by neuronio/ops/operators.py when ops is imported:
    # the engine (floor 1's base) knows nothing of the math built on it.

    # Comparisons give plain boolean arrays: they have no gradient.
    def __lt__(self, other):
        return self.data < array_of(other)

    def __le__(self, other):
        return self.data <= array_of(other)

    def __gt__(self, other):
        return self.data > array_of(other)

    def __ge__(self, other):
        return self.data >= array_of(other)

    # == and != are elementwise too, as on Keras's tensors and Variables (a metric's
    # `ops.cast(y_true == y_pred, "float32")`). Against anything that is not array-like (None, a
    # string, a layer) they fall back to identity, as torch's tensors do.
    def __eq__(self, other):
        if not _comparable(other):
            return NotImplemented
        return np.equal(self.data, array_of(other))

    def __ne__(self, other):
        if not _comparable(other):
            return NotImplemented
        return np.not_equal(self.data, array_of(other))

    # Hashing stays by identity, so Tensors and Variables still key dicts and fill sets: for two
    # distinct live objects the identity hashes differ, so Python never calls the elementwise ==
    # on a lookup (it compares by `is` first, then only entries of an equal hash). Lists are
    # another matter: `in`, `.index` and `.remove` call ==, so engine code that looks a Tensor up
    # in a list compares ids (`same_object_index` below).
    __hash__ = object.__hash__


class Variable(Tensor):
    """A named Tensor whose value is updated in place: a weight, a bias, a moving mean.

    Trainable variables require gradients, so a GradientTape watches them without being told.

    >>> w = Variable(np.zeros(3, dtype="float32"), name="w")
    >>> w.assign_sub(np.ones(3, dtype="float32")).numpy()
    array([-1., -1., -1.], dtype=float32)
    """

    __slots__ = ("name", "trainable", "path", "regularizer", "constraint")

    def __init__(self, value, name: str = "variable", trainable: bool = True, dtype=None):
        data = as_array(value, dtype=dtype)
        super().__init__(np.array(data, copy=True), requires_grad=trainable)
        self.name = name
        self.trainable = trainable
        self.path = name  # once a layer owns it: "<name scope>/<layer name>/<variable name>" (Keras)
        self.regularizer = None  # a penalty the owning layer adds to `losses` (Keras's attribute)
        self.constraint = None  # a projection the optimizer applies after each update

    @property
    def value(self) -> np.ndarray:
        return self.data

    def assign(self, value):
        """Overwrite the value in place (shape and dtype stay as they are)."""
        value = array_of(value)
        if np.shape(value) != self.data.shape:
            from neuronio.errors import ShapeError

            raise ShapeError(
                f"Variable '{self.path}' has shape {self.data.shape}; cannot assign a value of shape {np.shape(value)}."
            )
        np.copyto(self.data, value, casting="same_kind")
        return self

    def assign_add(self, delta):
        self.data += array_of(delta)
        return self

    def assign_sub(self, delta):
        self.data -= array_of(delta)
        return self

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        return f"Variable('{self.path}', {body}, shape={self.shape}, dtype={self.dtype})"


def array_of(x):
    """A Tensor's array, or `x` itself. Not `getattr(x, "data", x)`: an ndarray's `data` is its
    memoryview, which np.asarray then wraps in a new array on every call."""
    return x.data if isinstance(x, Tensor) else x


def _comparable(other) -> bool:
    """Whether `tensor == other` compares values: other is a Tensor, an array or a number (or a
    nested list of them); anything else compares by identity."""
    if isinstance(other, (Tensor, np.ndarray, np.generic, bool, int, float)):
        return True
    if not isinstance(other, (list, tuple)):
        return False
    try:
        return np.asarray(other).dtype.kind in "fiub"
    except (TypeError, ValueError):  # ragged, or holding symbolic placeholders
        return False


def same_object_index(items, target) -> int:
    """The position of `target` itself in `items` (by identity), or -1. `list.index` and `in`
    compare with ==, which on Tensors is elementwise (as in Keras), so it cannot find a Tensor."""
    return next((i for i, item in enumerate(items) if item is target), -1)


def as_array(value, dtype=None) -> np.ndarray:
    """Convert a value coming from outside the engine to an ndarray, checking it once.

    Python numbers and lists become `config.floatx()`; float arrays keep their dtype; integer
    and bool arrays are kept (ops that need floats say so); object and string arrays are refused;
    NaN and infinity are refused.
    """
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        array = value
    else:
        array = np.asarray(value)
        if array.dtype.kind in "fiub" and dtype is None and array.dtype.kind != "b":
            array = array.astype(config.floatx())
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if array.dtype.kind not in "fiub":
        raise DTypeError(
            f"Cannot use an array of dtype {array.dtype} as a tensor: expected numbers "
            f"(float, int, uint or bool). Convert it first, e.g. x.astype('float32')."
        )
    if array.dtype.kind == "f" and not _just_checked(array) and not np.isfinite(array).all():
        raise NumericsError(_nonfinite_message(array, "input"))
    return array


# The arrays the data boundary has just scanned (`checked_inputs`), per thread: () outside its scope.
_BOUNDARY = threading.local()


def _just_checked(array) -> bool:
    for checked in getattr(_BOUNDARY, "arrays", ()):
        if checked is array:  # identity: `in` would compare the arrays' values
            return True
    return False


class checked_inputs:  # noqa: N801 - used as a function: `with checked_inputs(arrays):`
    """Inside `with checked_inputs(arrays):`, as_array does not scan these very array objects for
    NaN and infinity again: the caller has just scanned them, with an error naming its argument
    (models/data.py's ArrayData, for the *_on_batch methods, which hand them to the model as they
    are), so each value is checked once. Any other array, and these outside the scope, are scanned."""

    __slots__ = ("arrays", "previous")

    def __init__(self, arrays):
        self.arrays = tuple(arrays)

    def __enter__(self):
        self.previous = getattr(_BOUNDARY, "arrays", ())
        _BOUNDARY.arrays = self.arrays

    def __exit__(self, *exc_info):
        _BOUNDARY.arrays = self.previous
        return False


def _nonfinite_message(array: np.ndarray, who: str) -> str:
    n_nan = int(np.isnan(array).sum())
    n_inf = int(np.isinf(array).sum())
    return (
        f"The {who} of shape {array.shape} contains {n_nan} NaN and {n_inf} infinite values. "
        f"Clean or impute the data (e.g. np.nan_to_num) before passing it in."
    )


def as_tensor(value, dtype=None) -> Tensor:
    """Return `value` as a Tensor: a Tensor is returned as is, anything else is converted once."""
    if isinstance(value, Tensor):
        return value
    return Tensor(as_array(value, dtype=dtype))


def constant(value, dtype=None) -> Tensor:
    """A Tensor that never requires a gradient (TensorFlow's `tf.constant`)."""
    return Tensor(as_array(value, dtype=dtype))


def with_mask(value, mask):
    """`value` (a Tensor) marked with `mask`, the timesteps a model output covers (Keras's
    `_keras_mask`); the loss and metrics weigh masked entries 0. Other values pass through."""
    if isinstance(value, Tensor):
        value._keras_mask = mask
    return value


def mask_of(value):
    """The mask `with_mask` put on a model output, or None."""
    return getattr(value, "_keras_mask", None) if isinstance(value, Tensor) else None
