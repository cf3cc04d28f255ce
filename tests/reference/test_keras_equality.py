"""`==` / `!=` against real Keras 3 (torch backend): elementwise on Variables and eager tensors,
identity (`==`) and a not_equal node (`!=`) on symbolic tensors, and the truth value of a one- and
a many-element comparison."""

import numpy as np
import pytest

import neuronio
from neuronio import ops
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

A = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]], "float32")
B = np.array([[1.0, 0.0, 3.0], [0.5, 0.5, -2.0]], "float32")


def _values(lib, make_left, make_right, op):
    left, right = make_left(lib)(A), make_right(lib)(B)
    result = (left == right) if op == "eq" else (left != right)
    return np.asarray(lib.ops.convert_to_numpy(result))


MAKERS = {
    "variable": lambda lib: lib.Variable,
    "tensor": lambda lib: lib.ops.convert_to_tensor,
    "array": lambda lib: np.asarray,
}


@pytest.mark.parametrize("op", ["eq", "ne"])
@pytest.mark.parametrize("left", ["variable", "tensor"])
@pytest.mark.parametrize("right", ["variable", "tensor", "array"])
def test_elementwise_values_match_keras(op, left, right):
    if (left, right, op) == ("tensor", "array", "ne"):
        # torch.Tensor != ndarray gives one Python-level True (torch does not defer to NumPy for
        # !=, while it does for ==): a quirk of the backend, not Keras's meaning; neuronio stays
        # elementwise, as for ==.
        np.testing.assert_array_equal(ops.convert_to_tensor(A) != B, A != B)
        return
    ours = _values(neuronio, MAKERS[left], MAKERS[right], op)
    theirs = _values(keras, MAKERS[left], MAKERS[right], op)
    assert ours.dtype == theirs.dtype == np.bool_
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("lib", [neuronio, keras], ids=["neuronio", "keras"])
def test_truth_values_as_keras(lib):
    one = lib.Variable(np.array([2.0], "float32"))
    assert bool(one == one) is True and bool(one != one) is False
    many = lib.Variable(A)
    with pytest.raises((ValueError, RuntimeError), match="ambiguous"):
        bool(many == many)


@pytest.mark.parametrize("lib", [neuronio, keras], ids=["neuronio", "keras"])
def test_symbolic_tensors_as_keras(lib):
    x, y = lib.Input((3,)), lib.Input((3,))
    assert (x == y) is False and (x == x) is True  # identity: no node
    assert x in [y, x] and len({x, y}) == 2 and hash(x) == hash(x)
    ne = x != y  # a node
    assert tuple(ne.shape) == (None, 3) and str(ne.dtype) == "bool"
    model = lib.Model([x, y], lib.ops.cast(ne, "float32"))
    out = model.predict([A, B], verbose=0)
    np.testing.assert_array_equal(out, (A != B).astype("float32"))


def test_a_metric_comparing_tensors_counts_as_keras():
    """The custom-metrics guide's CategoricalTruePositives: `ops.cast(y_true == y_pred)`."""
    y_true = np.array([[0], [1], [2], [2]])
    y_pred = np.array([[0.9, 0.1, 0.0], [0.8, 0.1, 0.1], [0.1, 0.2, 0.7], [0.0, 0.6, 0.4]], "float32")

    def count(lib):
        predicted = lib.ops.reshape(lib.ops.argmax(y_pred, axis=1), (-1, 1))
        values = lib.ops.cast(lib.ops.cast(y_true, "int32") == lib.ops.cast(predicted, "int32"), "float32")
        return float(lib.ops.convert_to_numpy(lib.ops.sum(values)))

    assert count(neuronio) == count(keras) == 2.0
    assert float(ops.sum(ops.cast(ops.convert_to_tensor(y_true[:, 0]) == 2, "float32"))) == 2.0
