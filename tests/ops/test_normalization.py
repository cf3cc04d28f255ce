"""Batch normalization (training mode) and local response normalization, as ops."""

import numpy as np
import pytest

from neuronio import ops
from neuronio.errors import ShapeError
from tests.helpers import OpCase, check_op


def _batch_norm_reference(x, gamma, beta, axes, epsilon=1e-3):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased, as Keras
    return (x - mean) / np.sqrt(var + epsilon) * gamma + beta


def _lrn_reference(x, radius, bias, alpha, beta):
    out = np.empty_like(x)
    c = x.shape[-1]
    for i in range(c):  # the definition, one channel at a time (tests only)
        lo, hi = max(0, i - radius), min(c, i + radius + 1)
        out[..., i] = x[..., i] / (bias + alpha * np.square(x[..., lo:hi]).sum(axis=-1)) ** beta
    return out


CASES = [
    OpCase(
        "batch_norm_train_dense",
        lambda x, g, b: ops.batch_norm_train(x, g, b, axes=(0,))[0],
        lambda rng: (rng.normal(size=(6, 3)), rng.uniform(0.5, 2, (1, 3)), rng.normal(size=(1, 3))),
        lambda x, g, b: _batch_norm_reference(x, g, b, (0,)),
    ),
    OpCase(
        "batch_norm_train_images",
        lambda x, g, b: ops.batch_norm_train(x, g, b, axes=(0, 1, 2))[0],
        lambda rng: (rng.normal(size=(3, 4, 4, 2)), rng.uniform(0.5, 2, (1, 1, 1, 2)), rng.normal(size=(1, 1, 1, 2))),
        lambda x, g, b: _batch_norm_reference(x, g, b, (0, 1, 2)),
    ),
    OpCase(
        "local_response_normalization_alexnet",
        lambda x: ops.local_response_normalization(x, depth_radius=2, bias=2.0, alpha=1e-1, beta=0.75),
        lambda rng: (rng.normal(size=(2, 3, 3, 7)),),
        lambda x: _lrn_reference(x, 2, 2.0, 1e-1, 0.75),
    ),
    OpCase(
        "local_response_normalization_tf_defaults",
        ops.local_response_normalization,
        lambda rng: (rng.normal(size=(2, 9)),),
        lambda x: _lrn_reference(x, 5, 1.0, 1.0, 0.5),
    ),
    OpCase(
        "cast",
        lambda x: ops.cast(ops.cast(x, "float64") * 2.0, x.dtype),
        lambda rng: (rng.normal(size=(3, 4)),),
        lambda x: 2 * x,
    ),
    OpCase("dot", ops.dot, lambda rng: (rng.normal(size=(3, 4)), rng.normal(size=(4, 2))), np.dot),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_batch_norm_reports_the_batch_statistics():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    _, op = ops.batch_norm_train(x, np.ones((1, 2), np.float32), np.zeros((1, 2), np.float32), axes=(0,))
    np.testing.assert_allclose(op.mean, x.mean(axis=0))
    np.testing.assert_allclose(op.var, x.var(axis=0))


def test_lrn_needs_a_channel_axis():
    with pytest.raises(ShapeError, match="needs an input with a channel axis"):
        ops.local_response_normalization(np.float32(1.0))
