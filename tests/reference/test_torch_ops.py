"""neuronio's conv, pooling and fused losses against PyTorch: the same float64 data in both,
then values and gradients compared (tinygrad's helper_test_op).

PyTorch is channels-first: images go NHWC -> NCHW with permute(0, 3, 1, 2), kernels
(KH, KW, C, F) -> (F, C, KH, KW) with permute(3, 2, 0, 1), and gradients come back the same way.
Keras's 'same' padding can be asymmetric (the odd extra row/column at the bottom/right), which
torch's `padding=` cannot express, so torch gets an explicit F.pad first.
"""

import math

import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Variable

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.torch

# Both sides run in float64 and do the same arithmetic in different orders: differences are
# rounding only, a few ulps of the largest intermediate sums.
RTOL = 1e-10
ATOL = 1e-10


def _same_pads(size, window, stride):
    """(before, after) for Keras/TF 'same', written out independently of neuronio."""
    total = max((math.ceil(size / stride) - 1) * stride + window - size, 0)
    return total // 2, total - total // 2


def _torch_padding(x_nchw, window, strides, padding, value=0.0):
    if padding == "valid":
        return x_nchw
    top, bottom = _same_pads(x_nchw.shape[2], window[0], strides[0])
    left, right = _same_pads(x_nchw.shape[3], window[1], strides[1])
    return F.pad(x_nchw, (left, right, top, bottom), value=value)


def _neuronio_grads(fn, arrays, dy):
    variables = [Variable(a) for a in arrays]
    with GradientTape() as tape:
        y = fn(*variables)
    grads = tape.gradient(y, variables, output_gradients=dy)
    return y.numpy(), [g.numpy() for g in grads]


def _torch_grads(fn, arrays, dy, layouts):
    """layouts: per input, the permutation from neuronio's layout to torch's (or None)."""
    tensors = []
    for a, perm in zip(arrays, layouts, strict=True):
        t = torch.tensor(a)
        tensors.append((t.permute(*perm) if perm else t).detach().requires_grad_(True))
    y = fn(*tensors)
    y.backward(torch.tensor(dy))
    grads = []
    for t, perm in zip(tensors, layouts, strict=True):
        g = t.grad
        grads.append((g.permute(*np.argsort(perm)) if perm else g).numpy())
    return y.detach(), grads


NCHW = (0, 3, 1, 2)
NHWC = (0, 2, 3, 1)  # the inverse of NCHW
KERNEL = (3, 2, 0, 1)  # (KH, KW, C, F) -> (F, C, KH, KW)

CONV_CASES = [
    # (x shape, kernel shape, strides, padding)
    ((2, 9, 9, 3), (3, 3, 3, 4), (1, 1), "valid"),
    ((2, 9, 8, 3), (3, 3, 3, 4), (2, 2), "valid"),
    ((2, 10, 10, 2), (5, 5, 2, 3), (1, 1), "same"),
    ((2, 8, 8, 3), (3, 3, 3, 4), (2, 2), "same"),  # asymmetric: (0, 1) rows and columns
    ((1, 7, 9, 2), (4, 2, 2, 3), (1, 2), "same"),  # even kernel: (1, 2) rows
    ((3, 12, 12, 3), (5, 5, 3, 6), (3, 3), "same"),
]


@pytest.mark.parametrize("x_shape, k_shape, strides, padding", CONV_CASES)
def test_conv2d_matches_torch(x_shape, k_shape, strides, padding):
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal(x_shape), rng.standard_normal(k_shape)
    dy = rng.standard_normal(ops.conv2d(x, k, strides, padding).shape)
    y, (dx, dk) = _neuronio_grads(lambda a, b: ops.conv2d(a, b, strides, padding), [x, k], dy)

    def torch_conv(a, b):
        a = _torch_padding(a, k_shape[:2], strides, padding)
        return F.conv2d(a, b, stride=strides).permute(*NHWC)

    y_ref, (dx_ref, dk_ref) = _torch_grads(torch_conv, [x, k], dy, [NCHW, KERNEL])
    assert y.shape == tuple(y_ref.shape)
    np.testing.assert_allclose(y, y_ref.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dk, dk_ref, rtol=RTOL, atol=ATOL)


POOL_CASES = [
    # (x shape, pool, strides, padding)
    ((2, 8, 8, 3), (2, 2), (2, 2), "valid"),
    ((2, 7, 7, 3), (2, 2), (2, 2), "valid"),
    ((2, 7, 7, 3), (2, 2), (2, 2), "same"),
    ((2, 9, 9, 2), (3, 3), (2, 2), "valid"),
    ((2, 8, 8, 2), (3, 3), (2, 2), "same"),
    ((1, 6, 7, 2), (3, 2), (1, 2), "same"),
]


@pytest.mark.parametrize("x_shape, pool, strides, padding", POOL_CASES)
def test_max_pool2d_matches_torch(x_shape, pool, strides, padding):
    rng = np.random.default_rng(1)
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape) * 0.01  # distinct values: no ties
    dy = rng.standard_normal(ops.max_pool2d(x, pool, strides, padding).shape)
    y, (dx,) = _neuronio_grads(lambda a: ops.max_pool2d(a, pool, strides, padding), [x], dy)

    def torch_pool(a):
        a = _torch_padding(a, pool, strides, padding, value=-math.inf)
        return F.max_pool2d(a, pool, stride=strides).permute(*NHWC)

    y_ref, (dx_ref,) = _torch_grads(torch_pool, [x], dy, [NCHW])
    np.testing.assert_array_equal(y, y_ref.numpy())  # max picks a value: exact
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("x_shape, pool, strides, padding", POOL_CASES)
def test_avg_pool2d_matches_torch(x_shape, pool, strides, padding):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape)
    dy = rng.standard_normal(ops.avg_pool2d(x, pool, strides, padding).shape)
    y, (dx,) = _neuronio_grads(lambda a: ops.avg_pool2d(a, pool, strides, padding), [x], dy)

    def torch_pool(a):
        # Keras's 'same' average excludes padded cells; with asymmetric padding torch's
        # count_include_pad cannot say that, so divide a zero-padded window sum by the pooled
        # count of real cells (a padded tensor of ones).
        window = pool[0] * pool[1]
        total = F.avg_pool2d(_torch_padding(a, pool, strides, padding), pool, stride=strides) * window
        ones = torch.ones_like(a[:1, :1])
        count = F.avg_pool2d(_torch_padding(ones, pool, strides, padding), pool, stride=strides) * window
        return (total / count).permute(*NHWC)

    y_ref, (dx_ref,) = _torch_grads(torch_pool, [x], dy, [NCHW])
    np.testing.assert_allclose(y, y_ref.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)


def test_avg_pool2d_valid_matches_torch_builtin():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 9, 9, 3))
    dy = rng.standard_normal((2, 4, 4, 3))
    y, (dx,) = _neuronio_grads(lambda a: ops.avg_pool2d(a, 3, 2), [x], dy)
    y_ref, (dx_ref,) = _torch_grads(lambda a: F.avg_pool2d(a, 3, stride=2).permute(*NHWC), [x], dy, [NCHW])
    np.testing.assert_allclose(y, y_ref.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("shape", [(16, 10), (4, 5, 7)])
def test_sparse_softmax_cross_entropy_matches_torch(shape):
    rng = np.random.default_rng(4)
    logits = rng.normal(0, 3, shape)
    labels = rng.integers(0, shape[-1], shape[:-1])
    dy = rng.standard_normal(shape[:-1])
    y, (dx,) = _neuronio_grads(lambda t: ops.sparse_softmax_cross_entropy_with_logits(labels, t), [logits], dy)

    def torch_ce(t):
        flat = F.cross_entropy(t.reshape(-1, shape[-1]), torch.tensor(labels.reshape(-1)), reduction="none")
        return flat.reshape(shape[:-1])

    y_ref, (dx_ref,) = _torch_grads(torch_ce, [logits], dy, [None])
    np.testing.assert_allclose(y, y_ref.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)


def test_softmax_cross_entropy_with_probability_labels_matches_torch():
    rng = np.random.default_rng(5)
    logits = rng.normal(0, 3, (12, 6))
    labels = rng.dirichlet(np.ones(6), 12)
    dy = rng.standard_normal(12)
    y, (dz, dx) = _neuronio_grads(lambda z, t: ops.softmax_cross_entropy_with_logits(z, t), [labels, logits], dy)

    def torch_ce(z, t):
        return F.cross_entropy(t, z, reduction="none")  # probability targets, differentiable

    y_ref, (dz_ref, dx_ref) = _torch_grads(torch_ce, [labels, logits], dy, [None, None])
    np.testing.assert_allclose(y, y_ref.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dz, dz_ref, rtol=RTOL, atol=ATOL)


def test_sigmoid_cross_entropy_matches_torch():
    rng = np.random.default_rng(6)
    logits = rng.normal(0, 5, (10, 4))
    logits[0, :2] = [60.0, -60.0]  # saturated: both must stay exact
    labels = rng.uniform(0, 1, (10, 4))
    dy = rng.standard_normal((10, 4))
    y, (dz, dx) = _neuronio_grads(lambda z, t: ops.sigmoid_cross_entropy_with_logits(z, t), [labels, logits], dy)

    def torch_bce(z, t):
        return F.binary_cross_entropy_with_logits(t, z, reduction="none")

    y_ref, (dz_ref, dx_ref) = _torch_grads(torch_bce, [labels, logits], dy, [None, None])
    np.testing.assert_allclose(y, y_ref.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dx, dx_ref, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(dz, dz_ref, rtol=RTOL, atol=ATOL)
