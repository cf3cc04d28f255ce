"""`==` and `!=` on Tensors and Variables are elementwise, as on Keras 3's tensors and Variables
(torch backend), while hashing stays by identity; on symbolic tensors `==` stays identity and `!=`
records a node, as on Keras's KerasTensor. The engine never looks a Tensor up in a list by `==`."""

import numpy as np
import pytest

import neuronio
from neuronio import layers, ops, optimizers
from neuronio.autodiff import GradientTape, Tensor, Variable, check_gradients
from neuronio.autodiff.tensor import same_object_index
from neuronio.layers.symbolic import SymbolicTensor


def _t(values, dtype="float32"):
    return Tensor(np.asarray(values, dtype=dtype))


@pytest.mark.parametrize("left_kind", ["tensor", "variable"])
@pytest.mark.parametrize("right_kind", ["tensor", "variable", "array", "list"])
def test_eq_and_ne_are_elementwise(left_kind, right_kind):
    a = [1.0, 2.0, 3.0]
    b = [1.0, 0.0, 3.0]
    left = _t(a) if left_kind == "tensor" else Variable(np.asarray(a, "float32"))
    right = {
        "tensor": _t(b),
        "variable": Variable(np.asarray(b, "float32")),
        "array": np.asarray(b, "float32"),
        "list": b,
    }[right_kind]
    eq, ne = left == right, left != right
    assert eq.dtype == np.bool_ and ne.dtype == np.bool_
    np.testing.assert_array_equal(eq, [True, False, True])
    np.testing.assert_array_equal(ne, [False, True, False])


def test_an_array_on_the_left_defers_to_the_tensor():
    np.testing.assert_array_equal(np.array([1.0, 5.0], "float32") == _t([1.0, 2.0]), [True, False])
    np.testing.assert_array_equal(np.array([1.0, 5.0], "float32") != _t([1.0, 2.0]), [False, True])


def test_scalars_broadcast_and_ints_compare_with_floats():
    np.testing.assert_array_equal(_t([1.0, 2.0, 1.0]) == 1.0, [True, False, True])
    np.testing.assert_array_equal(_t([1, 2], "int32") == _t([1.0, 3.0]), [True, False])
    np.testing.assert_array_equal(2 != _t([[2.0], [3.0]]), [[False], [True]])


def test_shapes_that_do_not_broadcast_are_an_error():
    with pytest.raises(ValueError, match="broadcast"):
        _t([1.0, 2.0]) == _t([1.0, 2.0, 3.0])  # noqa: B015


def test_non_array_operands_compare_by_identity():
    """As torch's tensors do: None, strings and other objects are simply not equal."""
    t = _t([1.0, 2.0])
    assert (t == None) is False and (t != None) is True  # noqa: E711
    assert (t == "t") is False and (t != object()) is True
    assert (t == ["a", "b"]) is False


def test_truth_value_follows_numpy():
    """One element: its value; more: ambiguous (Keras on torch raises too)."""
    one = Variable(np.array([2.0], "float32"))
    assert bool(one == one) and not bool(one == 3.0)
    many = _t([1.0, 2.0])
    with pytest.raises(ValueError, match="ambiguous"):
        bool(many == many)


def test_no_gradient_flows_through_a_comparison():
    w = Variable(np.array([1.0, 2.0], "float32"))
    with GradientTape() as tape:
        mask = ops.cast(w == 1.0, "float32")  # a constant: the comparison has no gradient
        y = ops.sum(mask * w)
    (grad,) = tape.gradient(y, [w])
    np.testing.assert_array_equal(grad.numpy(), [1.0, 0.0])  # d(mask*w)/dw = mask, nothing through mask
    # Away from the jumps of the indicator, the function's gradient is the mask itself.
    check_gradients(lambda x: ops.cast(x != 0.25, "float64") * x * x, [np.array([0.5, -0.75, 1.0])])
    check_gradients(lambda x: ops.cast(x == x, "float64") * ops.sin(x), [np.array([0.5, -0.75])])


def test_hashing_stays_by_identity_so_dicts_and_sets_work():
    a, b = _t([1.0, 2.0]), _t([1.0, 2.0])  # equal values, distinct objects
    assert hash(a) != hash(b)
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"
    assert len({a, b, a}) == 2
    u, v = Variable(np.zeros(3, "float32")), Variable(np.zeros(3, "float32"))
    assert {u: 1, v: 2}[v] == 2 and u in {u} and v not in {u}


def test_list_lookups_need_identity_and_same_object_index_gives_it():
    """Python's `in` and `list.index` try `is`, then `==`: a Tensor found before its place is
    compared elementwise (an error for many elements, a wrong answer for one). The engine uses
    same_object_index."""
    x, y = Variable(np.array([2.0], "float32")), Variable(np.array([2.0], "float32"))
    assert [x, y].index(y) == 0  # the trap: y "equals" x
    assert same_object_index([x, y], y) == 1
    assert same_object_index([x], y) == -1
    many = [_t([1.0, 2.0]), _t([3.0, 4.0])]
    with pytest.raises(ValueError, match="ambiguous"):
        many.index(many[1])
    assert same_object_index(many, many[1]) == 1


def test_a_schedule_replacing_the_learning_rate_removes_that_variable_only():
    """The optimizer once did `variables.remove(learning_rate)`, which with == elementwise
    removed the step counter whenever the two held the same value."""
    optimizer = optimizers.SGD(learning_rate=0.0)
    iterations = optimizer.iterations
    assert len(optimizer.variables) == 2 and bool(optimizer.variables[0] == optimizer.variables[1])
    optimizer.learning_rate = optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert len(optimizer.variables) == 1 and optimizer.variables[0] is iterations


def test_a_model_trains_when_weights_have_equal_values():
    """Layers, tape and optimizer hold Variables of equal value (zero biases) in lists."""
    model = neuronio.Sequential([layers.Input((2,)), layers.Dense(2, bias_initializer="zeros"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((4, 2), "float32")
    model.fit(x, np.zeros((4, 1), "float32"), epochs=1, verbose=0)
    assert len({id(w) for w in model.optimizer.variables}) == len(model.optimizer.variables)


# -- symbolic tensors (functional building) ---------------------------------------------------------
def test_symbolic_eq_is_identity_and_ne_is_a_node():
    x, y = layers.Input((3,)), layers.Input((3,))
    assert (x == x) is True and (x == y) is False and (x == 1.0) is False
    assert x in [y, x] and [y, x].index(x) == 1 and len({x, y}) == 2
    ne = x != y
    assert isinstance(ne, SymbolicTensor) and ne.shape == (None, 3) and ne.dtype == np.bool_
    assert isinstance(x != 1.0, SymbolicTensor)
    with pytest.raises(TypeError, match="cannot be used as a Python bool"):
        bool(ne)
    model = neuronio.Model([x, y], ops.cast(ne, "float32"))
    out = model.predict([np.array([[1, 2, 3]], "float32"), np.array([[1, 0, 3]], "float32")], verbose=0)
    np.testing.assert_array_equal(out, [[0.0, 1.0, 0.0]])
