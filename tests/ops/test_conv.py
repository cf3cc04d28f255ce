import importlib
import math

import numpy as np
import pytest

# ops.conv is Keras's N-D conv function, which shadows the module of the same name as an attribute.
conv_module = importlib.import_module("neuronio.ops.conv")
from neuronio import ops  # noqa: E402
from neuronio.autodiff import GradientTape, Tensor, Variable, check_gradients  # noqa: E402
from neuronio.errors import ShapeError  # noqa: E402
from tests.helpers import OpCase, check_op  # noqa: E402


def naive_conv2d(x, kernel, strides=1, padding="valid"):
    """Obviously-correct loops over every output position (tests only), channels-last."""
    sh, sw = (strides, strides) if isinstance(strides, int) else strides
    kh, kw, _, f = kernel.shape
    n, h, w, _ = x.shape
    if padding == "same":
        # TensorFlow's rule, written out independently: out = ceil(in / stride), odd extra after.
        oh, ow = math.ceil(h / sh), math.ceil(w / sw)
        pad_h = max((oh - 1) * sh + kh - h, 0)
        pad_w = max((ow - 1) * sw + kw - w, 0)
        x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    else:
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    y = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh : i * sh + kh, j * sw : j * sw + kw, :]  # (N, KH, KW, C)
            y[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return y


def _conv_case(name, x_shape, k_shape, strides=1, padding="valid"):
    return OpCase(
        f"conv2d_{name}",
        lambda x, k: ops.conv2d(x, k, strides=strides, padding=padding),
        lambda rng: (rng.standard_normal(x_shape), rng.standard_normal(k_shape)),
        lambda x, k: naive_conv2d(x, k, strides, padding),
    )


CASES = [
    # Tiny shapes (<= 400 entries): full-Jacobian gradient checks.
    _conv_case("valid_3x3", (2, 5, 5, 2), (3, 3, 2, 3)),
    _conv_case("valid_stride2_odd", (1, 7, 7, 2), (3, 3, 2, 2), strides=2),
    _conv_case("valid_stride3_leftover", (1, 7, 8, 1), (3, 3, 1, 2), strides=3),
    _conv_case("valid_rect_kernel_rect_stride", (2, 6, 7, 2), (2, 3, 2, 2), strides=(2, 1)),
    _conv_case("same_3x3", (1, 6, 6, 2), (3, 3, 2, 2), padding="same"),
    _conv_case("same_stride2_odd", (1, 7, 7, 2), (3, 3, 2, 2), strides=2, padding="same"),
    _conv_case("same_stride2_even_asymmetric", (1, 8, 8, 2), (3, 3, 2, 2), strides=2, padding="same"),
    _conv_case("same_even_kernel_asymmetric", (1, 5, 6, 2), (4, 2, 2, 2), padding="same"),
    _conv_case("same_kernel_larger_than_input", (1, 3, 3, 1), (5, 5, 1, 2), padding="same"),
    _conv_case("one_by_one", (2, 3, 4, 3), (1, 1, 3, 4)),
    # Realistic shapes: random-direction gradient checks.
    _conv_case("realistic_valid_5x5", (2, 12, 12, 3), (5, 5, 3, 4)),
    _conv_case("realistic_same_stride2", (2, 12, 12, 3), (5, 5, 3, 4), strides=2, padding="same"),
    _conv_case("realistic_same_3x3", (3, 9, 11, 4), (3, 3, 4, 5), padding="same"),
    # The fused bias: y = conv2d(x, k) + b, with its gradient.
    OpCase(
        "conv2d_bias_stride2_same",
        lambda x, k, b: ops.conv2d(x, k, strides=2, padding="same", bias=b),
        lambda rng: (rng.standard_normal((1, 5, 5, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)),
        lambda x, k, b: naive_conv2d(x, k, 2, "same") + b,
    ),
    OpCase(
        "conv2d_bias_realistic",
        lambda x, k, b: ops.conv2d(x, k, bias=b),
        lambda rng: (rng.standard_normal((2, 10, 10, 3)), rng.standard_normal((5, 5, 3, 4)), rng.standard_normal(4)),
        lambda x, k, b: naive_conv2d(x, k) + b,
    ),
    # The fused ReLU (Conv2D's default relu): y = max(conv2d(x, k) + b, 0), its gradient masked by y > 0.
    OpCase(
        "conv2d_bias_relu_same",
        lambda x, k, b: ops.conv2d(x, k, padding="same", bias=b, activation="relu"),
        lambda rng: (rng.standard_normal((1, 5, 5, 2)), rng.standard_normal((3, 3, 2, 3)), rng.standard_normal(3)),
        lambda x, k, b: np.maximum(naive_conv2d(x, k, 1, "same") + b, 0),
    ),
    OpCase(
        "conv2d_relu_realistic",
        lambda x, k: ops.conv2d(x, k, activation="relu"),
        lambda rng: (rng.standard_normal((2, 10, 10, 3)), rng.standard_normal((5, 5, 3, 4))),
        lambda x, k: np.maximum(naive_conv2d(x, k), 0),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_realistic_shape_passes_several_random_directions(rng):
    x, k = rng.standard_normal((2, 12, 12, 3)), rng.standard_normal((5, 5, 3, 4))
    for seed in range(3):
        check_gradients(lambda a, b: ops.conv2d(a, b, padding="same"), [x, k], mode="direction", seed=seed)


def test_same_padding_puts_the_odd_extra_row_at_the_bottom_right():
    # A 2x2 kernel needs one padded row and column in total; Keras/TF put them at the bottom/right,
    # so y[0, 0] sums the whole image (a top/left pad would give 1.0 there).
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32).reshape(1, 2, 2, 1)
    k = np.ones((2, 2, 1, 1), np.float32)
    y = ops.conv2d(x, k, padding="same").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, [[10.0, 6.0], [7.0, 4.0]])


def test_gradients_keep_float32():
    x = Variable(np.ones((1, 4, 4, 2), np.float32))
    k = Variable(np.ones((3, 3, 2, 2), np.float32))
    with GradientTape() as tape:
        y = ops.conv2d(x, k, padding="same")
    dx, dk = tape.gradient(y, [x, k])
    assert dx.dtype == np.float32 and dk.dtype == np.float32
    assert dx.shape == x.shape and dk.shape == k.shape


def test_input_gradient_is_skipped_when_the_input_needs_none(monkeypatch):
    # The first layer's images need no gradient: backward must not compute the input's gradient.
    def fail(*args):
        raise AssertionError("the input gradient ran although x needs no gradient")

    monkeypatch.setattr(conv_module, "_input_gradient", fail)
    x = Tensor(np.ones((2, 6, 6, 1), np.float32))
    k = Variable(np.ones((3, 3, 1, 2), np.float32))
    with GradientTape() as tape:
        y = ops.conv2d(x, k)
    dx, dk = tape.gradient(y, [x, k])
    assert dx is None
    np.testing.assert_array_equal(dk.numpy(), np.full((3, 3, 1, 2), 2 * 4 * 4, np.float32))


def test_mixed_precision_gradients_take_each_input_dtype(rng):
    x = Variable(rng.standard_normal((1, 4, 4, 1)).astype(np.float32))
    k = Variable(rng.standard_normal((2, 2, 1, 1)))  # float64
    with GradientTape() as tape:
        y = ops.conv2d(x, k)
    dx, dk = tape.gradient(y, [x, k])
    assert dx.dtype == np.float32 and dk.dtype == np.float64


def test_rank3_input_is_refused_with_a_batch_hint():
    with pytest.raises(ShapeError, match=r"conv2d expects x of rank 4.*x.shape=\(28, 28, 1\).*x\[None\]"):
        ops.conv2d(np.ones((28, 28, 1), np.float32), np.ones((5, 5, 1, 4), np.float32))


def test_channel_mismatch_names_both_shapes_and_the_layout():
    with pytest.raises(
        ShapeError, match=r"in_channels = x.shape\[-1\] = 3; received kernel.shape=\(4, 3, 5, 5\).*\(KH, KW, C, F\)"
    ):
        ops.conv2d(np.ones((1, 8, 8, 3), np.float32), np.ones((4, 3, 5, 5), np.float32))


def test_kernel_larger_than_valid_input_is_refused():
    with pytest.raises(
        ShapeError, match=r"a 5x5 kernel does not fit an input of spatial size 3x3 with padding='valid'"
    ):
        ops.conv2d(np.ones((1, 3, 3, 1), np.float32), np.ones((5, 5, 1, 1), np.float32))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"padding": "full"}, r"conv2d: `padding` must be 'valid' or 'same'; received padding='full'"),
        ({"strides": 0}, r"conv2d: `strides` must hold positive ints; received strides=0"),
        ({"strides": (1, 1, 1, 1)}, r"conv2d: `strides` must be an int or a tuple of 2 ints"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ops.conv2d(np.ones((1, 5, 5, 1), np.float32), np.ones((3, 3, 1, 1), np.float32), **kwargs)


def test_uppercase_tensorflow_padding_is_accepted(rng):
    x = rng.standard_normal((1, 5, 5, 1)).astype(np.float32)
    k = rng.standard_normal((3, 3, 1, 1)).astype(np.float32)
    np.testing.assert_array_equal(ops.conv2d(x, k, padding="SAME").numpy(), ops.conv2d(x, k, padding="same").numpy())


def test_bias_of_the_wrong_shape_is_named():
    with pytest.raises(ShapeError, match=r"bias of shape \(filters,\) = \(2,\); received bias.shape=\(3,\)"):
        ops.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((3, 3, 1, 2), np.float32), bias=np.ones(3, np.float32))


def test_conv2d_fuses_relu_only():
    with pytest.raises(ValueError, match=r"conv2d fuses activation None or 'relu'; received activation='sigmoid'"):
        ops.conv2d(np.ones((1, 4, 4, 1), np.float32), np.ones((3, 3, 1, 1), np.float32), activation="sigmoid")
