import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Tensor, Variable
from neuronio.errors import ShapeError
from tests.helpers import OpCase, check_op


def _normal(*shapes):
    return lambda rng: tuple(rng.normal(size=s) for s in shapes)


def _take(index):
    return lambda x: x[index]


CASES = [
    OpCase("reshape", lambda x: ops.reshape(x, (4, -1)), _normal((2, 3, 2)), lambda x: x.reshape(4, -1)),
    OpCase("reshape_int", lambda x: ops.reshape(x, 6), _normal((2, 3)), lambda x: x.reshape(6)),
    OpCase("reshape_large", lambda x: ops.reshape(x, (-1, 7, 3)), _normal((32, 21)), lambda x: x.reshape(-1, 7, 3)),
    OpCase("transpose", ops.transpose, _normal((2, 3, 4)), np.transpose),
    OpCase(
        "transpose_axes",
        lambda x: ops.transpose(x, (1, -1, 0)),
        _normal((2, 3, 4)),
        lambda x: np.transpose(x, (1, 2, 0)),
    ),
    OpCase(
        "concatenate",
        lambda a, b, c: ops.concatenate([a, b, c], axis=1),
        _normal((2, 1, 3), (2, 4, 3), (2, 2, 3)),
        lambda a, b, c: np.concatenate([a, b, c], axis=1),
    ),
    OpCase(
        "concatenate_axis0",
        lambda a, b: ops.concatenate((a, b), axis=0),
        _normal((2, 3), (1, 3)),
        lambda a, b: np.concatenate([a, b], axis=0),
    ),
    OpCase(
        "concat",
        lambda a, b: ops.concat([a, b], axis=-1),
        _normal((3, 2), (3, 5)),
        lambda a, b: np.concatenate([a, b], axis=-1),
    ),
    OpCase("stack", lambda a, b: ops.stack([a, b]), _normal((2, 3), (2, 3)), lambda a, b: np.stack([a, b])),
    OpCase(
        "stack_last",
        lambda a, b, c: ops.stack([a, b, c], axis=-1),
        _normal((2, 3), (2, 3), (2, 3)),
        lambda a, b, c: np.stack([a, b, c], axis=-1),
    ),
    OpCase("expand_dims", lambda x: ops.expand_dims(x, 1), _normal((2, 3)), lambda x: np.expand_dims(x, 1)),
    OpCase(
        "expand_dims_tuple",
        lambda x: ops.expand_dims(x, (0, -1)),
        _normal((2, 3)),
        lambda x: np.expand_dims(x, (0, -1)),
    ),
    OpCase("squeeze", ops.squeeze, _normal((2, 1, 3, 1)), np.squeeze),
    OpCase("squeeze_axis", lambda x: ops.squeeze(x, axis=-1), _normal((1, 3, 1)), lambda x: np.squeeze(x, axis=-1)),
    OpCase("flatten", ops.flatten, _normal((2, 3, 2, 2)), lambda x: x.reshape(2, 12)),
    OpCase("flatten_rank1", ops.flatten, _normal((4,)), lambda x: x.reshape(4, 1)),
    OpCase("pad", lambda x: ops.pad(x, 1), _normal((2, 3)), lambda x: np.pad(x, 1)),
    OpCase(
        "pad_pair",
        lambda x: ops.pad(x, (2, 1), constant_values=-1.5),
        _normal((2, 3)),
        lambda x: np.pad(x, (2, 1), constant_values=-1.5),
    ),
    OpCase(
        "pad_per_axis",
        lambda x: ops.pad(x, ((0, 0), (1, 2), (2, 1), (0, 0))),
        _normal((2, 3, 3, 2)),
        lambda x: np.pad(x, ((0, 0), (1, 2), (2, 1), (0, 0))),
    ),
    OpCase("getitem", _take(1), _normal((3, 4)), _take(1)),
    OpCase(
        "getitem_slices", _take((slice(None), slice(3, 0, -2))), _normal((3, 5)), _take((slice(None), slice(3, 0, -2)))
    ),
    OpCase("getitem_ellipsis_none", _take((Ellipsis, None, 0)), _normal((2, 3, 4)), _take((Ellipsis, None, 0))),
    OpCase("getitem_negative_int", _take((-1, slice(1, None))), _normal((3, 4)), _take((-1, slice(1, None)))),
    OpCase(
        "getitem_int_array_duplicates", _take(np.array([2, 0, 2, 2])), _normal((3, 2)), _take(np.array([2, 0, 2, 2]))
    ),
    OpCase("getitem_mixed", _take((slice(None), [1, 1, 3])), _normal((2, 4)), _take((slice(None), [1, 1, 3]))),
    OpCase(
        "getitem_two_arrays",
        _take((np.array([0, 1, 1]), np.array([2, 0, 0]))),
        _normal((2, 3)),
        _take((np.array([0, 1, 1]), np.array([2, 0, 0]))),
    ),
    OpCase(
        "getitem_bool_mask", _take(np.array([True, False, True])), _normal((3, 2)), _take(np.array([True, False, True]))
    ),
    OpCase("getitem_large", _take((slice(None), slice(2, 20))), _normal((32, 24)), _take((slice(None), slice(2, 20)))),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_duplicate_fancy_indices_accumulate_their_gradients():
    x = Variable(np.zeros(3, np.float32))
    with GradientTape() as tape:
        y = x[[2, 0, 2, 2]]
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1, 0, 3])


def test_tensor_methods_use_the_shape_ops():
    x = Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    with GradientTape() as tape:
        y = x.T.reshape(-1)[1:3]
    np.testing.assert_array_equal(y.numpy(), [3, 1])
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [[0, 1, 0], [1, 0, 0]])
    assert x.reshape(3, 2).shape == x.reshape((3, 2)).shape == (3, 2)


def test_a_single_entry_is_an_array_tensor():
    y = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))[1, 2]
    assert isinstance(y.data, np.ndarray) and y.shape == () and float(y) == 5.0


def test_iterating_a_tensor_stops_at_its_length():
    rows = list(Tensor(np.zeros((3, 2), np.float32)))  # the getitem protocol ends on IndexError
    assert len(rows) == 3 and rows[0].shape == (2,)


def test_integer_tensors_are_moved_without_a_graph():
    labels = ops.argmax(np.eye(3, dtype=np.float32), axis=1)
    assert ops.reshape(labels, (3, 1)).numpy().tolist() == [[0], [1], [2]]
    assert labels[1:].numpy().tolist() == [1, 2]


def test_concatenate_returns_gradients_in_each_input_dtype():
    a = Variable(np.ones((1, 2), np.float32))
    b = Variable(np.ones((1, 2), np.float64))
    with GradientTape() as tape:
        y = ops.concatenate([a, b], axis=0)
    da, db = tape.gradient(y, [a, b])
    assert y.dtype == np.float64 and da.dtype == np.float32 and db.dtype == np.float64


def test_pad_accepts_none_as_zero_like_keras():
    np.testing.assert_array_equal(ops.pad(np.ones(1, np.float32), 1, constant_values=None).numpy(), [0, 1, 0])


# -- errors ------------------------------------------------------------------------------------
def test_reshape_error_names_both_shapes():
    with pytest.raises(
        ShapeError, match=r"cannot reshape a tensor of shape \(2, 3\) \(6 entries\) into shape \(4, 2\), which needs 8"
    ):
        ops.reshape(np.ones((2, 3), np.float32), (4, 2))
    with pytest.raises(
        ShapeError, match=r"shape \(2, 3\) \(6 entries\) into shape \(4, -1\), which needs a multiple of 4"
    ):
        ops.reshape(np.ones((2, 3), np.float32), (4, -1))


def test_reshape_refuses_two_unknowns():
    with pytest.raises(ValueError, match=r"-1 only once; received \(-1, -1\)"):
        ops.reshape(np.ones((2, 3), np.float32), (-1, -1))


def test_transpose_needs_a_permutation():
    with pytest.raises(
        ValueError, match=r"permutation of 0..2 for a tensor of shape \(2, 3, 4\); received axes=\(0, 0, 1\)"
    ):
        ops.transpose(np.ones((2, 3, 4), np.float32), (0, 0, 1))


def test_concatenate_names_the_mismatched_shapes():
    with pytest.raises(ShapeError, match=r"same shape except along axis -1; received shapes \[\(2, 3\), \(3, 3\)\]"):
        ops.concatenate([np.ones((2, 3), np.float32), np.ones((3, 3), np.float32)], axis=-1)


def test_concatenate_needs_a_list():
    with pytest.raises(TypeError, match="non-empty list of tensors; received ndarray"):
        ops.concatenate(np.ones((2, 3), np.float32))


def test_stack_names_the_mismatched_shapes():
    with pytest.raises(
        ShapeError, match=r"stack: all inputs must have the same shape; received shapes \[\(2,\), \(3,\)\]"
    ):
        ops.stack([np.ones(2, np.float32), np.ones(3, np.float32)])


def test_squeeze_refuses_an_axis_larger_than_one():
    with pytest.raises(ShapeError, match=r"cannot remove axis 1 of a tensor of shape \(1, 3\): its size is 3, not 1"):
        ops.squeeze(np.ones((1, 3), np.float32), axis=1)


def test_expand_dims_axis_out_of_range():
    with pytest.raises(ShapeError, match=r"expand_dims: axis 3 is out of range for a tensor of rank 3"):
        ops.expand_dims(np.ones((1, 3), np.float32), 3)


def test_flatten_refuses_a_scalar():
    with pytest.raises(ShapeError, match="rank >= 1"):
        ops.flatten(np.float32(1.0))


def test_pad_errors():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ShapeError, match=r"pad_width=\(1, 2, 3\) does not fit a tensor of rank 2 \(shape \(2, 3\)\)"):
        ops.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match=r"pad widths must be >= 0; received pad_width=-1"):
        ops.pad(x, -1)
    with pytest.raises(ValueError, match=r"only mode='constant' is implemented; received mode='reflect'"):
        ops.pad(x, 1, mode="reflect")


def test_getitem_out_of_bounds_is_an_index_error_naming_the_shape():
    with pytest.raises(IndexError, match=r"getitem: index 5 does not fit a tensor of shape \(3, 2\)"):
        ops.getitem(np.ones((3, 2), np.float32), 5)


def test_getitem_refuses_float_index_arrays():
    with pytest.raises(IndexError, match="index arrays must hold integers or booleans; received dtype float64"):
        ops.getitem(np.ones((3, 2), np.float32), np.array([0.0, 1.0]))
