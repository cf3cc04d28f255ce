import math

import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Variable, check_gradients
from neuronio.errors import ShapeError
from tests.helpers import OpCase, check_op


def naive_pool2d(x, pool_size, strides=None, padding="valid", reduce=np.max):
    """Loops over output positions; each window keeps only its real (unpadded) cells (tests only).

    Dropping padded cells is what -inf padding means for max and what Keras/TF's 'same' average
    does (padded cells are not counted).
    """
    ph, pw = (pool_size, pool_size) if isinstance(pool_size, int) else pool_size
    strides = (ph, pw) if strides is None else strides
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    n, h, w, c = x.shape
    if padding == "same":
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
        top = max((oh - 1) * sh + ph - h, 0) // 2
        left = max((ow - 1) * sw + pw - w, 0) // 2
    else:
        oh, ow, top, left = (h - ph) // sh + 1, (w - pw) // sw + 1, 0, 0
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - top, j * sw - left
            window = x[:, max(r0, 0) : r0 + ph, max(c0, 0) : c0 + pw, :]  # real cells only
            y[:, i, j, :] = reduce(window, axis=(1, 2))
    return y


def _distinct_values(rng, shape):
    """Distinct values in [-2, 2), 4 / size apart (2e-4 for 18,432 entries): far more than the
    gradient check's step (1e-6), so no tie or change of winner lies within a step."""
    size = int(np.prod(shape))
    return rng.permutation(size).reshape(shape) * (4.0 / size) - 2.0


def _distinct(shape):
    return lambda rng: (_distinct_values(rng, shape),)


# (name, input shape, pool_size, strides, padding)
CONFIGS = [
    ("2x2_tiles", (2, 4, 6, 2), 2, None, "valid"),
    ("2x2_odd_valid_drops_last_row", (1, 7, 7, 2), 2, None, "valid"),
    ("2x2_odd_same_pads_bottom_right", (1, 7, 7, 2), 2, None, "same"),
    ("3x3_stride2_overlap_valid", (1, 7, 7, 2), 3, 2, "valid"),
    ("3x3_stride2_overlap_same", (1, 8, 8, 2), 3, 2, "same"),
    ("3x3_stride1_same", (1, 5, 5, 2), 3, 1, "same"),
    ("rect_pool_rect_stride", (2, 5, 6, 1), (2, 3), (1, 2), "valid"),
    ("rect_pool_same", (1, 5, 7, 2), (3, 2), (2, 2), "same"),
    ("3x3_stride3_same_uneven", (1, 8, 7, 1), 3, 3, "same"),
    ("stride_larger_than_pool", (1, 7, 7, 2), 2, 3, "valid"),
]
REALISTIC = [
    ("realistic_2x2", (4, 24, 24, 8), 2, None, "valid"),
    ("realistic_3x3_stride2_same", (4, 13, 13, 8), 3, 2, "same"),
]


def _max_case(name, shape, pool_size, strides, padding):
    return OpCase(
        f"max_pool2d_{name}",
        lambda x: ops.max_pool2d(x, pool_size, strides=strides, padding=padding),
        _distinct(shape),
        lambda x: naive_pool2d(x, pool_size, strides, padding, np.max),
    )


def _avg_case(name, shape, pool_size, strides, padding):
    return OpCase(
        f"avg_pool2d_{name}",
        lambda x: ops.avg_pool2d(x, pool_size, strides=strides, padding=padding),
        lambda rng: (rng.standard_normal(shape),),
        lambda x: naive_pool2d(x, pool_size, strides, padding, np.mean),
    )


CASES = [_max_case(*c) for c in CONFIGS + REALISTIC] + [_avg_case(*c) for c in CONFIGS + REALISTIC]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_realistic_max_pool_passes_several_random_directions(rng):
    x = _distinct_values(rng, (4, 13, 13, 8))
    for seed in range(3):
        check_gradients(lambda a: ops.max_pool2d(a, 3, 2, "same"), [x], mode="direction", seed=seed)


def _input_gradient(fn, x):
    x = Variable(x)
    with GradientTape() as tape:
        y = fn(x)
    return tape.gradient(y, x).numpy()


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_only():
    # A constant 4x4 image, 2x2 windows: each window's winner is its top-left cell.
    dx = _input_gradient(lambda x: ops.max_pool2d(x, 2), np.ones((1, 4, 4, 1), np.float32))
    expected = np.zeros((4, 4), np.float32)
    expected[::2, ::2] = 1.0
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


def test_max_pool_ties_in_overlapping_windows_stay_one_winner_per_window():
    # 3x3 windows at stride 1 over a constant 4x4 image: 4 windows, winners at their top-left
    # corners (0,0), (0,1), (1,0), (1,1); the gradient sums to the number of windows.
    dx = _input_gradient(lambda x: ops.max_pool2d(x, 3, strides=1), np.ones((1, 4, 4, 1), np.float32))
    expected = np.zeros((4, 4), np.float32)
    expected[:2, :2] = 1.0
    np.testing.assert_array_equal(dx[0, :, :, 0], expected)


def test_max_pool_tie_rule_follows_window_order_row_by_row():
    # Window [[0, 5], [5, 1]]: the maxima at (0, 1) and (1, 0) tie; row-major order picks (0, 1).
    x = np.array([0.0, 5.0, 5.0, 1.0], np.float32).reshape(1, 2, 2, 1)
    dx = _input_gradient(lambda t: ops.max_pool2d(t, 2), x)
    np.testing.assert_array_equal(dx.ravel(), [0, 1, 0, 0])


def test_max_pool_same_never_selects_padding_even_for_negative_inputs():
    x = -np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)  # all negative: zero padding would win
    y = ops.max_pool2d(x, 2, padding="same").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, [[-1, -3], [-7, -9]])


def test_avg_pool_same_does_not_count_padded_cells():
    # 3x3 of ones, 2x2 'same' windows: the border windows cover 2 or 1 real cells; a mean that
    # counted the zero padding would give 0.5 and 0.25 there.
    y = ops.avg_pool2d(np.ones((1, 3, 3, 1), np.float32), 2, padding="same").numpy()
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1), np.float32))
    dx = _input_gradient(lambda t: ops.avg_pool2d(t, 2, padding="same"), np.ones((1, 3, 3, 1), np.float32))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]])


def test_strides_default_to_pool_size():
    x = np.arange(36, dtype=np.float32).reshape(1, 6, 6, 1)
    assert ops.max_pool2d(x, 3).shape == (1, 2, 2, 1)
    assert ops.avg_pool2d(x, (2, 3)).shape == (1, 3, 2, 1)


def test_gradients_keep_float32():
    for pool in (ops.max_pool2d, ops.avg_pool2d):
        dx = _input_gradient(lambda t, pool=pool: pool(t, 3, 2, "same"), np.ones((2, 7, 7, 3), np.float32))
        assert dx.dtype == np.float32 and dx.shape == (2, 7, 7, 3)


@pytest.mark.parametrize("pool, name", [(ops.max_pool2d, "max_pool2d"), (ops.avg_pool2d, "avg_pool2d")])
def test_errors_name_the_op_and_the_received_values(pool, name):
    with pytest.raises(ShapeError, match=rf"{name} expects x of rank 4.*x.shape=\(6, 6, 1\).*x\[None\]"):
        pool(np.ones((6, 6, 1), np.float32), 2)
    with pytest.raises(ShapeError, match=rf"{name}: a 3x3 pool does not fit an input of spatial size 2x2"):
        pool(np.ones((1, 2, 2, 1), np.float32), 3)
    with pytest.raises(ValueError, match=rf"{name}: `pool_size` must hold positive ints; received pool_size=0"):
        pool(np.ones((1, 4, 4, 1), np.float32), 0)
    with pytest.raises(ValueError, match=rf"{name}: `padding` must be 'valid' or 'same'; received padding='full'"):
        pool(np.ones((1, 4, 4, 1), np.float32), 2, padding="full")
