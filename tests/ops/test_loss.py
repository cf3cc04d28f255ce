import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Tensor, Variable
from neuronio.errors import DTypeError, ShapeError
from tests.helpers import OpCase, check_op


def naive_log_softmax(x):
    """log(exp(x) / sum(exp(x))) written directly; fine for the moderate logits used with it."""
    e = np.exp(x)
    return np.log(e / e.sum(axis=-1, keepdims=True))


def naive_sparse_ce(labels, x):
    onehot = np.eye(x.shape[-1])[labels]
    return -(onehot * naive_log_softmax(x)).sum(axis=-1)


def naive_sigmoid_ce(z, x):
    s = 1 / (1 + np.exp(-x))
    return -z * np.log(s) - (1 - z) * np.log(1 - s)


def _sparse_case(name, logits_shape, seed=1):
    labels = np.random.default_rng(seed).integers(0, logits_shape[-1], logits_shape[:-1])
    return OpCase(
        f"sparse_softmax_cross_entropy_with_logits_{name}",
        lambda x: ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=x),
        lambda rng: (rng.normal(0, 2, logits_shape),),
        lambda x: naive_sparse_ce(labels, x),
    )


def _probabilities(shape):
    return lambda rng: (rng.dirichlet(np.ones(shape[-1]), shape[:-1]), rng.normal(0, 2, shape))


CASES = [
    _sparse_case("2d", (5, 4)),
    _sparse_case("rank3", (2, 3, 4)),
    _sparse_case("single_example", (1, 10)),
    _sparse_case("realistic", (64, 10)),
    # labels and logits are both inputs: the gradient check covers the labels' gradient as well.
    OpCase(
        "softmax_cross_entropy_with_logits_probability_labels",
        lambda z, x: ops.softmax_cross_entropy_with_logits(labels=z, logits=x),
        _probabilities((5, 4)),
        lambda z, x: -(z * naive_log_softmax(x)).sum(axis=-1),
    ),
    OpCase(
        "softmax_cross_entropy_with_logits_rank3",
        lambda z, x: ops.softmax_cross_entropy_with_logits(labels=z, logits=x),
        _probabilities((2, 3, 4)),
        lambda z, x: -(z * naive_log_softmax(x)).sum(axis=-1),
    ),
    OpCase(
        "softmax_cross_entropy_with_logits_one_hot_constant_labels",
        lambda x: ops.softmax_cross_entropy_with_logits(labels=np.eye(4)[[0, 3, 1]], logits=x),
        lambda rng: (rng.normal(0, 2, (3, 4)),),
        lambda x: -(np.eye(4)[[0, 3, 1]] * naive_log_softmax(x)).sum(axis=-1),
    ),
    OpCase(
        "softmax_cross_entropy_with_logits_realistic",
        lambda z, x: ops.softmax_cross_entropy_with_logits(labels=z, logits=x),
        _probabilities((64, 10)),
        lambda z, x: -(z * naive_log_softmax(x)).sum(axis=-1),
    ),
    OpCase(
        "sigmoid_cross_entropy_with_logits",
        lambda z, x: ops.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
        lambda rng: (rng.uniform(0, 1, (4, 3)), rng.normal(0, 3, (4, 3))),
        naive_sigmoid_ce,
    ),
    OpCase(
        "sigmoid_cross_entropy_with_logits_binary_labels_column",
        lambda x: ops.sigmoid_cross_entropy_with_logits(labels=np.array([[0.0], [1.0], [1.0]]), logits=x),
        lambda rng: (rng.normal(0, 3, (3, 1)),),
        lambda x: naive_sigmoid_ce(np.array([[0.0], [1.0], [1.0]]), x),
    ),
    OpCase(
        "sigmoid_cross_entropy_with_logits_realistic",
        lambda z, x: ops.sigmoid_cross_entropy_with_logits(labels=z, logits=x),
        lambda rng: (rng.uniform(0, 1, (32, 20)), rng.normal(0, 3, (32, 20))),
        naive_sigmoid_ce,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def _grads(fn, *arrays):
    variables = [Variable(a) for a in arrays]
    with GradientTape() as tape:
        y = fn(*variables)
    return y, [g.numpy() for g in tape.gradient(y, variables)]


def test_sparse_gradient_is_softmax_minus_onehot_times_dy(rng):
    x = rng.normal(size=(3, 5))
    labels = np.array([4, 0, 2])
    variable = Variable(x)
    dy = np.array([1.0, 2.0, -0.5])
    with GradientTape() as tape:
        loss = ops.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=variable)
    dx = tape.gradient(loss, variable, output_gradients=dy).numpy()
    softmax = np.exp(x) / np.exp(x).sum(-1, keepdims=True)
    np.testing.assert_allclose(dx, (softmax - np.eye(5)[labels]) * dy[:, None], rtol=1e-12, atol=1e-15)


def test_sparse_and_one_hot_forms_agree_in_value_and_gradient(rng):
    x = rng.normal(size=(6, 4)).astype(np.float32)
    labels = rng.integers(0, 4, 6)
    y_sparse, (dx_sparse,) = _grads(lambda t: ops.sparse_softmax_cross_entropy_with_logits(labels, t), x)
    y_dense, (dx_dense,) = _grads(lambda t: ops.softmax_cross_entropy_with_logits(np.eye(4)[labels], t), x)
    np.testing.assert_allclose(y_sparse.numpy(), y_dense.numpy(), rtol=1e-6)
    np.testing.assert_allclose(dx_sparse, dx_dense, rtol=1e-6, atol=1e-7)


def test_huge_logits_stay_finite_and_exact():
    # Direct exp(1000) overflows; the shifted form gives the exact answer: logit gaps of 0 and 1000.
    x = np.array([[1000.0, 0.0, 1000.0], [-1000.0, 0.0, 0.0]], np.float32)
    loss = ops.sparse_softmax_cross_entropy_with_logits(labels=[1, 1], logits=x).numpy()
    np.testing.assert_allclose(loss, [1000.0 + np.log(2), np.log(2)], rtol=1e-6)
    bce = ops.sigmoid_cross_entropy_with_logits(
        labels=[0.0, 1.0, 1.0], logits=np.array([100.0, -100.0, 100.0], np.float32)
    )
    np.testing.assert_allclose(bce.numpy(), [100.0, 100.0, 0.0], atol=1e-6)
    _, (dx,) = _grads(
        lambda t: ops.sigmoid_cross_entropy_with_logits([0.0, 1.0], t), np.array([100.0, -100.0], np.float32)
    )
    np.testing.assert_array_equal(dx, [1.0, -1.0])


def test_losses_keep_float32_and_float64():
    for dtype in (np.float32, np.float64):
        x = np.zeros((2, 3), dtype)
        assert ops.sparse_softmax_cross_entropy_with_logits([0, 2], x).dtype == dtype
        assert ops.softmax_cross_entropy_with_logits(np.eye(3)[[0, 2]], x).dtype == dtype
        assert ops.sigmoid_cross_entropy_with_logits(np.ones((2, 3)), x).dtype == dtype


def test_constant_labels_get_no_gradient_and_tensor_labels_get_minus_log_softmax(rng):
    x = rng.normal(size=(2, 3))
    z = Variable(np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]]))
    logits = Variable(x)
    constant = Tensor(z.numpy().copy())
    with GradientTape(persistent=True) as tape:
        with_variable = ops.softmax_cross_entropy_with_logits(z, logits)
        with_constant = ops.softmax_cross_entropy_with_logits(constant, logits)
    dz = tape.gradient(with_variable, z).numpy()
    np.testing.assert_allclose(dz, -naive_log_softmax(x), rtol=1e-12)
    assert tape.gradient(with_constant, constant) is None


def test_integer_one_hot_arrays_are_converted_to_the_logits_dtype():
    x = np.zeros((2, 2), np.float32)
    loss = ops.softmax_cross_entropy_with_logits(np.array([[0, 1], [1, 0]]), x)
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.numpy(), [np.log(2)] * 2, rtol=1e-6)


def test_whole_number_float_labels_are_accepted():
    x = np.zeros((2, 3), np.float32)
    loss = ops.sparse_softmax_cross_entropy_with_logits(np.array([2.0, 0.0]), x)
    np.testing.assert_allclose(loss.numpy(), [np.log(3)] * 2, rtol=1e-6)


def test_out_of_range_label_names_the_value_and_the_class_count():
    x = np.zeros((4, 10), np.float32)
    with pytest.raises(
        ValueError, match=r"in \[0, 10\) for 10 classes .*received label 10 at index \(2,\).*subtract 1"
    ):
        ops.sparse_softmax_cross_entropy_with_logits(labels=[1, 2, 10, 3], logits=x)
    with pytest.raises(ValueError, match=r"received label -1 at index \(0,\)"):
        ops.sparse_softmax_cross_entropy_with_logits(labels=[-1, 2, 3, 3], logits=x)


def test_one_hot_labels_given_to_the_sparse_form_point_to_the_categorical_form():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(
        ShapeError, match=r"look one-hot: use softmax_cross_entropy_with_logits.*categorical_crossentropy"
    ):
        ops.sparse_softmax_cross_entropy_with_logits(labels=np.eye(4)[[0, 1, 2]], logits=x)


def test_column_labels_are_refused_with_a_reshape_hint():
    with pytest.raises(ShapeError, match=r"labels.shape=\(3, 1\).*reshape\(-1\)"):
        ops.sparse_softmax_cross_entropy_with_logits(labels=np.zeros((3, 1), int), logits=np.zeros((3, 4), np.float32))


def test_fractional_labels_are_refused_by_the_sparse_form():
    with pytest.raises(DTypeError, match=r"integer class indices.*softmax_cross_entropy_with_logits"):
        ops.sparse_softmax_cross_entropy_with_logits(labels=[0.5, 1.0], logits=np.zeros((2, 3), np.float32))


def test_integer_indices_given_to_the_one_hot_form_point_to_the_sparse_form():
    with pytest.raises(
        ShapeError, match=r"look like integer class indices: use sparse_softmax_cross_entropy_with_logits"
    ):
        ops.softmax_cross_entropy_with_logits(labels=[0, 2], logits=np.zeros((2, 3), np.float32))


def test_sigmoid_shape_mismatch_is_named():
    with pytest.raises(ShapeError, match=r"labels of the logits' shape \(4, 1\); received labels.shape=\(4,\)"):
        ops.sigmoid_cross_entropy_with_logits(labels=np.ones(4), logits=np.zeros((4, 1), np.float32))


def test_integer_logits_are_refused():
    with pytest.raises(DTypeError, match=r"expects float logits; received dtype int64"):
        ops.sparse_softmax_cross_entropy_with_logits(labels=[0], logits=np.zeros((1, 3), np.int64))
