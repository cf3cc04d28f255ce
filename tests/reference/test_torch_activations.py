"""neuronio's activations (and softmax/log_softmax) against PyTorch: the same float64 data on
both sides, random shapes, then values and input gradients (and prelu's alpha gradient) compared.
Kink conventions are compared too, where the two engines agree; the two places they differ are
asserted as documented (ops/activation.py)."""

import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Variable
from neuronio.ops.activation import SELU_ALPHA, SELU_SCALE

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.torch

# float64 on both sides; the formulas are the same up to rearrangement, so differences are a few
# ulps (largest measured: 8.9e-16 on values, 3.3e-15 on gradients).
RTOL = 1e-13
ATOL = 1e-14
# PyTorch's hardsigmoid backward multiplies by 1/6 rounded to float32 even in float64
# (0.1666666716337204): a relative error of 3e-8 on its side, not ours.
TORCH_HARDSIGMOID_GRAD_RTOL = 5e-8

# (id, neuronio op, torch function)
PAIRS = [
    ("relu", ops.relu, F.relu),
    ("relu6", ops.relu6, F.relu6),
    ("leaky_relu", ops.leaky_relu, lambda t: F.leaky_relu(t, 0.2)),
    ("leaky_relu_0.01", lambda x: ops.leaky_relu(x, negative_slope=0.01), lambda t: F.leaky_relu(t, 0.01)),
    ("elu", ops.elu, F.elu),
    ("elu_alpha", lambda x: ops.elu(x, alpha=0.5), lambda t: F.elu(t, alpha=0.5)),
    ("selu", ops.selu, F.selu),
    ("sigmoid", ops.sigmoid, torch.sigmoid),
    ("hard_sigmoid", ops.hard_sigmoid, F.hardsigmoid),
    ("tanh", ops.tanh, torch.tanh),
    ("arctan", ops.arctan, torch.atan),
    ("softplus", ops.softplus, F.softplus),
    ("softsign", ops.softsign, F.softsign),
    ("silu", ops.silu, F.silu),
    ("gelu", lambda x: ops.gelu(x, approximate=False), F.gelu),
    ("gelu_approximate", lambda x: ops.gelu(x, approximate=True), lambda t: F.gelu(t, approximate="tanh")),
    ("softmax", ops.softmax, lambda t: F.softmax(t, dim=-1)),
    ("softmax_axis0", lambda x: ops.softmax(x, axis=0), lambda t: F.softmax(t, dim=0)),
    ("log_softmax", ops.log_softmax, lambda t: F.log_softmax(t, dim=-1)),
    ("log_softmax_axis1", lambda x: ops.log_softmax(x, axis=1), lambda t: F.log_softmax(t, dim=1)),
]


def _random_shape(rng):
    return tuple(int(n) for n in rng.integers(1, 7, size=rng.integers(2, 5)))


def _ours(fn, arrays, dy):
    variables = [Variable(a) for a in arrays]
    with GradientTape() as tape:
        y = fn(*variables)
    return y.numpy(), [g.numpy() for g in tape.gradient(y, variables, output_gradients=dy)]


def _theirs(fn, arrays, dy):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = fn(*tensors)
    y.backward(torch.tensor(dy))
    return y.detach().numpy(), [t.grad.numpy() for t in tensors]


def _compare(ours, theirs, grad_rtol=RTOL):
    (y, grads), (y_ref, grads_ref) = ours, theirs
    assert y.shape == y_ref.shape and y.dtype == y_ref.dtype
    np.testing.assert_allclose(y, y_ref, rtol=RTOL, atol=ATOL)
    for g, g_ref in zip(grads, grads_ref, strict=True):
        assert g.shape == g_ref.shape
        np.testing.assert_allclose(g, g_ref, rtol=grad_rtol, atol=ATOL)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name, ours, theirs", PAIRS, ids=[p[0] for p in PAIRS])
def test_forward_and_backward_match_torch(name, ours, theirs, seed):
    rng = np.random.default_rng(seed)
    shape = _random_shape(rng)
    x = rng.normal(scale=3.0, size=shape)
    dy = rng.normal(size=shape)
    grad_rtol = TORCH_HARDSIGMOID_GRAD_RTOL if name == "hard_sigmoid" else RTOL
    _compare(_ours(ours, [x], dy), _theirs(theirs, [x], dy), grad_rtol)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prelu_matches_torch_for_x_and_alpha(seed):
    # torch.nn.functional.prelu takes one slope per channel on axis 1: for (N, C) inputs that is
    # the last axis, i.e. neuronio's alpha of shape (C,).
    rng = np.random.default_rng(seed)
    n, c = (int(v) for v in rng.integers(1, 8, size=2))
    x = rng.normal(size=(n, c))
    alpha = rng.uniform(0.0, 0.5, size=c)
    dy = rng.normal(size=(n, c))
    _compare(_ours(ops.prelu, [x, alpha], dy), _theirs(F.prelu, [x, alpha], dy))


@pytest.mark.parametrize(
    "name, ours, theirs, points",
    [
        ("relu", ops.relu, F.relu, [0.0]),
        ("relu6", ops.relu6, F.relu6, [0.0, 6.0]),
        ("leaky_relu", ops.leaky_relu, lambda t: F.leaky_relu(t, 0.2), [0.0]),
        ("hard_sigmoid", ops.hard_sigmoid, F.hardsigmoid, [-3.0, 3.0]),
        ("elu_alpha_1", ops.elu, F.elu, [0.0]),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_kink_conventions_agree_with_torch(name, ours, theirs, points):
    x = np.array(points)
    dy = np.ones_like(x)
    _compare(_ours(ours, [x], dy), _theirs(theirs, [x], dy))


def test_prelu_kink_agrees_with_torch():
    x, alpha, dy = np.zeros((1, 2)), np.array([0.25, 0.5]), np.ones((1, 2))
    _compare(_ours(ops.prelu, [x, alpha], dy), _theirs(F.prelu, [x, alpha], dy))


def test_documented_kink_disagreements_with_torch():
    # elu and selu at exactly 0: neuronio follows the deck and TensorFlow (slope of the x >= 0
    # piece); PyTorch uses the x < 0 piece. They coincide for elu with the default alpha = 1.
    x = np.zeros(1)
    _, (ours_selu,) = _ours(ops.selu, [x], np.ones(1))
    _, (torch_selu,) = _theirs(F.selu, [x], np.ones(1))
    assert ours_selu[0] == pytest.approx(SELU_SCALE, rel=1e-15)
    assert torch_selu[0] == pytest.approx(SELU_SCALE * SELU_ALPHA, rel=1e-15)
    _, (ours_elu,) = _ours(lambda t: ops.elu(t, alpha=0.5), [x], np.ones(1))
    _, (torch_elu,) = _theirs(lambda t: F.elu(t, alpha=0.5), [x], np.ones(1))
    assert (ours_elu[0], torch_elu[0]) == (1.0, 0.5)
