import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Tensor, Variable
from neuronio.errors import ShapeError
from neuronio.ops.linalg import linear
from tests.helpers import OpCase, check_op


def _normal(*shapes):
    return lambda rng: tuple(rng.normal(size=s) for s in shapes)


CASES = [
    OpCase("matmul_2d", ops.matmul, _normal((3, 4), (4, 2)), np.matmul),
    OpCase("matmul_batched", ops.matmul, _normal((2, 3, 4), (2, 4, 5)), np.matmul),
    OpCase("matmul_broadcast_batch", ops.matmul, _normal((2, 1, 3, 4), (5, 4, 2)), np.matmul),
    OpCase("matmul_vector_right", ops.matmul, _normal((3, 4), (4,)), np.matmul),
    OpCase("matmul_vector_left", ops.matmul, _normal((4,), (2, 4, 3)), np.matmul),
    OpCase("matmul_large", ops.matmul, _normal((64, 50), (50, 30)), np.matmul),
    # Dense's op: the product and the bias in one
    OpCase("linear_2d", linear, _normal((3, 4), (4, 2), (2,)), lambda x, k, b: x @ k + b),
    OpCase("linear_sequence", linear, _normal((2, 3, 4), (4, 5), (5,)), lambda x, k, b: x @ k + b),
    OpCase("linear_large", linear, _normal((64, 50), (50, 30), (30,)), lambda x, k, b: x @ k + b),
    # with the ReLU fused; inputs scaled so that no pre-activation sits near the kink
    OpCase(
        "linear_relu",
        lambda x, k, b: linear(x, k, b, activation="relu"),
        lambda rng: (rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5) * 0.01),
        lambda x, k, b: np.maximum(x @ k + b, 0),
    ),
    OpCase(
        "linear_softmax",
        lambda x, k, b: linear(x, k, b, activation="softmax"),
        _normal((2, 3, 4), (4, 5), (5,)),
        lambda x, k, b: np.exp(x @ k + b) / np.exp(x @ k + b).sum(axis=-1, keepdims=True),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_mismatched_inner_axes_are_named():
    with pytest.raises(ShapeError, match=r"last axis of x \(3\) must equal the second-to-last axis of y \(4\)"):
        ops.matmul(np.ones((2, 3), np.float32), np.ones((4, 5), np.float32))


def test_scalars_are_refused():
    with pytest.raises(ShapeError, match="rank >= 1"):
        ops.matmul(np.float32(2.0), np.ones(3, np.float32))


def test_linear_computes_only_the_gradients_asked_for_and_matches_matmul_plus_add(rng):
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    kernel, bias = Variable(rng.standard_normal((4, 2)).astype(np.float32)), Variable(np.ones(2, np.float32))
    with GradientTape(persistent=True) as tape:
        fused = ops.sum(linear(x, kernel, bias) ** 2)
        plain = ops.sum((ops.matmul(x, kernel) + bias) ** 2)
    np.testing.assert_allclose(fused.numpy(), plain.numpy(), rtol=1e-6)
    for got, want in zip(tape.gradient(fused, [kernel, bias]), tape.gradient(plain, [kernel, bias])):
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5)


def test_linear_relu_keeps_nan_and_refuses_other_activations():
    x = Tensor(np.array([[np.nan, 1.0]], np.float32))  # a Tensor: as_array refuses NaN from outside
    y = linear(x, np.ones((2, 1), np.float32), np.zeros(1, np.float32), "relu")
    assert np.isnan(y.numpy()).all()  # as ReluOp's np.maximum
    with pytest.raises(ValueError, match=r"linear fuses activation None, 'relu' or 'softmax'; received activation='tanh'"):
        linear(np.ones((1, 2), np.float32), np.ones((2, 2), np.float32), np.ones(2, np.float32), "tanh")


def test_linear_refuses_a_bias_of_the_wrong_length():
    with pytest.raises(ShapeError, match=r"linear expects .*bias \(U,\); received .*kernel.shape=\(4, 2\), bias.shape=\(3,\)"):
        linear(np.ones((2, 4), np.float32), np.ones((4, 2), np.float32), np.ones(3, np.float32))
