import numpy as np
import pytest

from neuronio import ops
from neuronio.errors import ShapeError
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
