import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Tensor, Variable
from neuronio.errors import ShapeError
from tests.helpers import OpCase, check_op


def _normal(shape):
    return lambda rng: (rng.normal(size=shape),)


def _distinct(shape):
    # max/min: every entry distinct and at least 0.1 apart (noise < 0.03), so no tie sits within
    # the finite-difference step and the winner of each slice is unambiguous.
    def sample(rng):
        size = int(np.prod(shape))
        return ((rng.permutation(size) * 0.1 - size * 0.05).reshape(shape) + rng.uniform(-0.03, 0.03, shape),)

    return sample


def _np_logsumexp(x, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


CASES = [
    OpCase("sum", ops.sum, _normal((3, 4)), np.sum),
    OpCase("sum_axis", lambda x: ops.sum(x, axis=1), _normal((3, 4, 2)), lambda x: np.sum(x, axis=1)),
    OpCase(
        "sum_tuple_keepdims",
        lambda x: ops.sum(x, axis=(0, 2), keepdims=True),
        _normal((3, 4, 2)),
        lambda x: np.sum(x, axis=(0, 2), keepdims=True),
    ),
    OpCase("sum_negative_axis", lambda x: ops.sum(x, axis=-1), _normal((2, 3)), lambda x: np.sum(x, axis=-1)),
    OpCase("sum_large", lambda x: ops.sum(x, axis=0), _normal((64, 30)), lambda x: np.sum(x, axis=0)),
    OpCase("mean", ops.mean, _normal((3, 4)), np.mean),
    OpCase("mean_tuple", lambda x: ops.mean(x, axis=(1, 2)), _normal((2, 3, 4)), lambda x: np.mean(x, axis=(1, 2))),
    OpCase(
        "mean_keepdims",
        lambda x: ops.mean(x, axis=0, keepdims=True),
        _normal((5, 3)),
        lambda x: np.mean(x, axis=0, keepdims=True),
    ),
    OpCase("max", ops.max, _distinct((3, 4)), np.max),
    OpCase("max_axis", lambda x: ops.max(x, axis=1), _distinct((3, 4, 2)), lambda x: np.max(x, axis=1)),
    OpCase(
        "max_tuple_keepdims",
        lambda x: ops.max(x, axis=(0, 2), keepdims=True),
        _distinct((3, 4, 2)),
        lambda x: np.max(x, axis=(0, 2), keepdims=True),
    ),
    OpCase("max_large", lambda x: ops.max(x, axis=-1), _distinct((40, 25)), lambda x: np.max(x, axis=-1)),
    OpCase("min", ops.min, _distinct((3, 4)), np.min),
    OpCase("min_tuple", lambda x: ops.min(x, axis=(1, 2)), _distinct((2, 3, 4)), lambda x: np.min(x, axis=(1, 2))),
    OpCase("var", ops.var, _normal((3, 4)), np.var),
    OpCase(
        "var_axis_keepdims",
        lambda x: ops.var(x, axis=0, keepdims=True),
        _normal((5, 3)),
        lambda x: np.var(x, axis=0, keepdims=True),
    ),
    OpCase("var_tuple", lambda x: ops.var(x, axis=(0, 2)), _normal((3, 4, 2)), lambda x: np.var(x, axis=(0, 2))),
    OpCase("std", ops.std, _normal((3, 4)), np.std),
    OpCase("std_axis", lambda x: ops.std(x, axis=-1), _normal((4, 5)), lambda x: np.std(x, axis=-1)),
    OpCase("std_large", lambda x: ops.std(x, axis=0), _normal((64, 20)), lambda x: np.std(x, axis=0)),
    OpCase("logsumexp", ops.logsumexp, _normal((3, 4)), _np_logsumexp),
    OpCase(
        "logsumexp_axis_keepdims",
        lambda x: ops.logsumexp(x, axis=1, keepdims=True),
        _normal((3, 5)),
        lambda x: _np_logsumexp(x, axis=1, keepdims=True),
    ),
    OpCase(
        "logsumexp_tuple",
        lambda x: ops.logsumexp(x, axis=(0, 2)),
        _normal((2, 3, 4)),
        lambda x: _np_logsumexp(x, axis=(0, 2)),
    ),
    # argmax/argmin have no gradient; as floats, their forward still goes through the harness.
    OpCase(
        "argmax",
        lambda x: Tensor(ops.argmax(x, axis=1).numpy().astype(x.dtype)),
        _distinct((3, 4)),
        lambda x: np.argmax(x, axis=1),
        check_grad=False,
    ),
    OpCase(
        "argmin",
        lambda x: Tensor(ops.argmin(x).numpy().astype(x.dtype)),
        _distinct((3, 4)),
        np.argmin,
        check_grad=False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_max_ties_send_the_gradient_to_the_first_maximum_in_c_order():
    x = Variable(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], np.float32))
    with GradientTape() as tape:
        y = ops.max(x, axis=1)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 1, 0], [1, 0, 0]])
    with GradientTape() as tape:
        y = ops.max(x, axis=(0, 1))  # C order over both axes: (0, 1) comes before (0, 2)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 1, 0], [0, 0, 0]])


def test_min_ties_send_the_gradient_to_the_first_minimum():
    x = Variable(np.array([[5.0, 1.0], [1.0, 7.0]], np.float32))
    with GradientTape() as tape:
        y = ops.min(x, axis=0)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 1], [1, 0]])
    with GradientTape() as tape:
        y = ops.min(x)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 1], [0, 0]])


def test_argmax_agrees_with_the_max_gradient_winner():
    x = np.array([[0.0, 4.0, 4.0, 1.0]], np.float32)
    assert ops.argmax(x, axis=1).numpy().tolist() == [1]
    assert ops.argmin(x, axis=-1, keepdims=True).numpy().tolist() == [[0]]


def test_argmax_is_an_integer_tensor_outside_the_graph():
    x = Variable(np.array([[1.0, 5.0], [7.0, 2.0]], np.float32))
    with GradientTape():
        index = ops.argmax(x, axis=-1)
    assert isinstance(index, Tensor)
    assert index.dtype.kind == "i"
    assert index.node is None and not index.requires_grad
    np.testing.assert_array_equal(index.numpy(), [1, 0])
    assert ops.argmax(x).numpy() == 2  # flattened, as NumPy and Keras


def test_std_of_a_constant_slice_has_zero_gradient():
    x = Variable(np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]], np.float32))
    with GradientTape() as tape:
        y = ops.std(x, axis=1)
    dx = tape.gradient(y, x).numpy()
    assert np.isfinite(dx).all()
    np.testing.assert_array_equal(dx[0], [0, 0, 0])


def test_full_reductions_hold_arrays_not_numpy_scalars():
    x = np.ones((2, 3), np.float32)
    for reduce in (ops.sum, ops.mean, ops.max, ops.min, ops.var, ops.std, ops.logsumexp):
        y = reduce(x)
        assert isinstance(y.data, np.ndarray) and y.shape == () and y.dtype == np.float32, reduce.__name__


def test_logsumexp_does_not_overflow():
    y = ops.logsumexp(np.array([1000.0, 1000.0], np.float32))
    np.testing.assert_allclose(y.numpy(), 1000 + np.log(2), rtol=1e-7)


def test_reduction_gradient_is_a_writeable_array():
    x = Variable(np.ones((2, 3), np.float32))
    with GradientTape() as tape:
        y = ops.mean(x)
    dx = tape.gradient(y, x).numpy()
    assert dx.flags.writeable and dx.dtype == np.float32
    np.testing.assert_array_equal(dx, np.full((2, 3), 1 / 6, np.float32))


def test_tensor_methods_use_the_reductions():
    x = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(x.sum(axis=0).numpy(), [3, 5, 7])
    np.testing.assert_array_equal(x.mean(axis=1, keepdims=True).numpy(), [[1], [4]])


def test_axis_out_of_range_names_op_shape_and_valid_axes():
    with pytest.raises(
        ShapeError,
        match=r"sum: axis 2 is out of range for a tensor of rank 2 \(shape \(3, 4\)\); valid axes are -2 to 1",
    ):
        ops.sum(np.ones((3, 4), np.float32), axis=2)


def test_repeated_axis_is_refused():
    with pytest.raises(ValueError, match=r"mean: axis=\(1, -1\) names the same axis twice"):
        ops.mean(np.ones((3, 4), np.float32), axis=(1, -1))


def test_non_integer_axis_is_refused():
    with pytest.raises(TypeError, match=r"var: axis must be None, an int or a tuple of ints; received axis=1.5"):
        ops.var(np.ones((3, 4), np.float32), axis=1.5)


def test_max_of_an_empty_axis_is_refused():
    with pytest.raises(ShapeError, match=r"max: cannot reduce over axis=1 of a tensor of shape \(3, 0\)"):
        ops.max(np.ones((3, 0), np.float32), axis=1)


def test_argmax_axis_out_of_range():
    with pytest.raises(ShapeError, match=r"argmax: axis -3 is out of range .*\(shape \(2, 2\)\)"):
        ops.argmax(np.ones((2, 2), np.float32), axis=-3)
