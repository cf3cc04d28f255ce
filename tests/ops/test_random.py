import numpy as np
import pytest

from neuronio import config, ops
from neuronio.autodiff import GradientTape, Tensor, Variable
from neuronio.errors import ShapeError
from tests.helpers import OpCase, check_op


def _dropout_case(name, shape, rate, noise_shape=None, seed=7):
    # A fresh generator with a fixed seed on every call: the gradient check's repeated forward
    # passes must all see the same mask.
    return OpCase(
        f"dropout_{name}",
        lambda x: ops.dropout(x, rate, noise_shape=noise_shape, rng=np.random.default_rng(seed)),
        lambda rng: (rng.normal(size=shape),),
    )


CASES = [
    _dropout_case("rate_0.5", (4, 6), 0.5),
    _dropout_case("rate_0.2_rank4", (2, 3, 3, 4), 0.2),
    _dropout_case("noise_shape_channels", (2, 3, 3, 4), 0.5, noise_shape=(2, 1, 1, 4)),
    _dropout_case("realistic", (64, 128), 0.3),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_fraction_dropped_is_within_binomial_tolerance():
    # The number dropped is Binomial(n, rate): its fraction has standard deviation
    # sqrt(rate * (1 - rate) / n) = 0.00145 for n = 100,000 and rate = 0.3. Five standard
    # deviations (0.0072) would be exceeded by chance with probability about 6e-7.
    n, rate = 100_000, 0.3
    y = ops.dropout(np.ones(n, np.float32), rate, rng=np.random.default_rng(0)).numpy()
    tolerance = 5 * np.sqrt(rate * (1 - rate) / n)
    assert abs(np.mean(y == 0) - rate) < tolerance
    # Inverted dropout keeps the expected value: mean(y) = kept fraction / (1 - rate), sd / (1 - rate).
    assert abs(y.mean() - 1.0) < tolerance / (1 - rate)


@pytest.mark.parametrize("rate, scale", [(0.5, 2.0), (0.2, 1.25), (0.75, 4.0)])
def test_kept_units_are_scaled_exactly(rate, scale, rng):
    # These scales are exact in binary, so kept units equal x * scale bit for bit.
    x = rng.normal(size=(50, 40)).astype(np.float32)
    y = ops.dropout(x, rate, rng=np.random.default_rng(1)).numpy()
    kept = y != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_array_equal(y[kept], x[kept] * np.float32(scale))


def test_default_generator_is_deterministic_under_set_random_seed():
    x = np.ones((20, 30), np.float32)
    config.set_random_seed(42)
    first = ops.dropout(x, 0.5).numpy()
    second = ops.dropout(x, 0.5).numpy()
    config.set_random_seed(42)
    np.testing.assert_array_equal(ops.dropout(x, 0.5).numpy(), first)
    np.testing.assert_array_equal(ops.dropout(x, 0.5).numpy(), second)
    assert not np.array_equal(first, second)  # successive draws differ
    config.set_random_seed(43)
    assert not np.array_equal(ops.dropout(x, 0.5).numpy(), first)


def test_gradient_uses_the_forward_mask():
    x = Variable(np.ones((30, 20), np.float32))
    dy = np.full((30, 20), 3.0, np.float32)
    with GradientTape() as tape:
        y = ops.dropout(x, 0.4, rng=np.random.default_rng(5))
    dx = tape.gradient(y, x, output_gradients=dy).numpy()
    # With x = 1, y is the mask itself (0 or 1 / 0.6), so dx must be dy * y exactly.
    np.testing.assert_array_equal(dx, dy * y.numpy())
    assert dx.dtype == np.float32


def test_noise_shape_shares_the_mask_across_broadcast_axes():
    x = np.ones((3, 4, 5, 6), np.float32)
    y = ops.dropout(x, 0.5, noise_shape=(None, 1, 1, 6), rng=np.random.default_rng(2)).numpy()
    assert (y == y[:, :1, :1, :]).all()  # whole feature maps are kept or dropped
    assert 0 < (y == 0).mean() < 1


def test_rate_zero_returns_the_input_itself():
    x = Tensor(np.ones(3, np.float32))
    assert ops.dropout(x, 0.0) is x


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5", True, None])
def test_rate_outside_zero_one_is_refused(rate):
    with pytest.raises(
        ValueError, match=r"dropout: `rate` is the fraction of units to drop .* \[0, 1\); received rate="
    ):
        ops.dropout(np.ones(3, np.float32), rate)


def test_bad_noise_shape_is_named():
    with pytest.raises(ShapeError, match=r"noise_shape=\(2, 3\) for x.shape=\(2, 4\)"):
        ops.dropout(np.ones((2, 4), np.float32), 0.5, noise_shape=(2, 3))
    with pytest.raises(ShapeError, match=r"one entry per axis of x \(2\)"):
        ops.dropout(np.ones((2, 4), np.float32), 0.5, noise_shape=(4,))


def test_rng_must_be_a_generator():
    with pytest.raises(TypeError, match=r"`rng` must be a numpy.random.Generator or None; received int"):
        ops.dropout(np.ones(3, np.float32), 0.5, rng=3)
