"""The worked numbers of decks 001 (convolution by hand, output sizes, AlexNet) and 003 (softmax,
cross-entropy), reproduced with neuronio's ops and asserted to the precision the slides print.

Line numbers refer to /work/shared/seeds/001_abb650bc92afd40d.txt and 003_5e18cdacd5611a10.txt.
"""

import numpy as np
import pytest

from neuronio import ops
from neuronio.ops._windows import conv_output_size

# -- deck 001: the X image and its three filters ---------------------------------------------
# The clean 9x9 X image: the LaTeX copy on line 466, identical to the copies on lines 425-433 and
# 537-545. Other copies are damaged by the text extraction (ten rows with the centre row doubled
# on lines 336-345 and 604-613) or are the deck's deliberate variants (an extra 1 on line 563 for
# the .55 example; the distorted X images from line 740). The printed maps on lines 617-623,
# 786-792 and 814-820 follow from the clean image.
X_IMAGE = np.array(
    [
        [-1, -1, -1, -1, -1, -1, -1, -1, -1],
        [-1, 1, -1, -1, -1, -1, -1, 1, -1],
        [-1, -1, 1, -1, -1, -1, 1, -1, -1],
        [-1, -1, -1, 1, -1, 1, -1, -1, -1],
        [-1, -1, -1, -1, 1, -1, -1, -1, -1],
        [-1, -1, -1, 1, -1, 1, -1, -1, -1],
        [-1, -1, 1, -1, -1, -1, 1, -1, -1],
        [-1, 1, -1, -1, -1, -1, -1, 1, -1],
        [-1, -1, -1, -1, -1, -1, -1, -1, -1],
    ],
    np.float32,
)
FILTERS = {
    "diagonal": [[1, -1, -1], [-1, 1, -1], [-1, -1, 1]],  # lines 753-755
    "cross": [[1, -1, 1], [-1, 1, -1], [1, -1, 1]],  # lines 780-782
    "antidiagonal": [[-1, -1, 1], [-1, 1, -1], [1, -1, -1]],  # lines 808-810
}
PRINTED_MAPS = {
    "diagonal": [  # lines 617-623
        [0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33],
        [-0.11, 1.00, -0.11, 0.33, -0.11, 0.11, -0.11],
        [0.11, -0.11, 1.00, -0.33, 0.11, -0.11, 0.55],
        [0.33, 0.33, -0.33, 0.55, -0.33, 0.33, 0.33],
        [0.55, -0.11, 0.11, -0.33, 1.00, -0.11, 0.11],
        [-0.11, 0.11, -0.11, 0.33, -0.11, 1.00, -0.11],
        [0.33, -0.11, 0.55, 0.33, 0.11, -0.11, 0.77],
    ],
    "cross": [  # lines 786-792
        [0.33, -0.55, 0.11, -0.11, 0.11, -0.55, 0.33],
        [-0.55, 0.55, -0.55, 0.33, -0.55, 0.55, -0.55],
        [0.11, -0.55, 0.55, -0.77, 0.55, -0.55, 0.11],
        [-0.11, 0.33, -0.77, 1.00, -0.77, 0.33, -0.11],
        [0.11, -0.55, 0.55, -0.77, 0.55, -0.55, 0.11],
        [-0.55, 0.55, -0.55, 0.33, -0.55, 0.55, -0.55],
        [0.33, -0.55, 0.11, -0.11, 0.11, -0.55, 0.33],
    ],
    "antidiagonal": [  # lines 814-820
        [0.33, -0.11, 0.55, 0.33, 0.11, -0.11, 0.77],
        [-0.11, 0.11, -0.11, 0.33, -0.11, 1.00, -0.11],
        [0.55, -0.11, 0.11, -0.33, 1.00, -0.11, 0.11],
        [0.33, 0.33, -0.33, 0.55, -0.33, 0.33, 0.33],
        [0.11, -0.11, 1.00, -0.33, 0.11, -0.11, 0.55],
        [-0.11, 1.00, -0.11, 0.33, -0.11, 0.11, -0.11],
        [0.77, -0.11, 0.11, 0.33, 0.55, -0.11, 0.33],
    ],
}
PRINTED_RELU_DIAGONAL = [  # lines 1249-1255
    [0.77, 0, 0.11, 0.33, 0.55, 0, 0.33],
    [0, 1.00, 0, 0.33, 0, 0.11, 0],
    [0.11, 0, 1.00, 0, 0.11, 0, 0.55],
    [0.33, 0.33, 0, 0.55, 0, 0.33, 0.33],
    [0.55, 0, 0.11, 0, 1.00, 0, 0.11],
    [0, 0.11, 0, 0.33, 0, 1.00, 0],
    [0.33, 0, 0.55, 0.33, 0.11, 0, 0.77],
]
PRINTED_POOLED = {
    "diagonal": [  # lines 1374-1377
        [1.00, 0.33, 0.55, 0.33],
        [0.33, 1.00, 0.33, 0.55],
        [0.55, 0.33, 1.00, 0.11],
        [0.33, 0.55, 0.11, 0.77],
    ],
    "cross": [  # lines 1403-1406
        [0.55, 0.33, 0.55, 0.33],
        [0.33, 1.00, 0.55, 0.11],
        [0.55, 0.55, 0.55, 0.11],
        [0.33, 0.11, 0.11, 0.33],
    ],
}


def _as_printed(values) -> np.ndarray:
    """The slides cut values to 2 decimals toward zero (5/9 = 0.5556 is printed 0.55, 7/9 = 0.7778
    is printed 0.77), so compare whole hundredths: trunc(100 * value)."""
    return np.trunc(np.asarray(values, np.float64) * 100).astype(int)


def _hundredths(table) -> np.ndarray:
    return np.round(np.asarray(table, np.float64) * 100).astype(int)


def _feature_map(name: str):
    """conv2d 'valid' of the X image with one filter, divided by the 9 pixels of the window."""
    x = X_IMAGE.reshape(1, 9, 9, 1)
    kernel = np.array(FILTERS[name], np.float32).reshape(3, 3, 1, 1)
    return ops.conv2d(x, kernel, padding="valid") / 9.0  # (1, 7, 7, 1)


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_x_image_feature_maps_match_the_printed_tables(name):
    fmap = _feature_map(name).numpy()[0, :, :, 0]
    assert fmap.shape == (7, 7)
    # Every entry is (matches - mismatches) / 9 with 9 terms of +-1: the printed value times 9 is
    # that whole number of agreements.
    np.testing.assert_array_equal(np.round(fmap * 9), np.round(np.asarray(PRINTED_MAPS[name]) * 9))
    np.testing.assert_array_equal(_as_printed(fmap), _hundredths(PRINTED_MAPS[name]))


def test_relu_of_the_diagonal_map_matches_the_printed_table():
    rectified = ops.relu(_feature_map("diagonal")).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(_as_printed(rectified), _hundredths(PRINTED_RELU_DIAGONAL))


@pytest.mark.parametrize("name", sorted(PRINTED_POOLED))
def test_max_pool_2x2_stride2_same_gives_the_printed_4x4(name):
    fmap = _feature_map(name)
    # 7 is odd: 'same' pads one row and column at the bottom/right, so the last row and column
    # are pooled on their own (4x4); 'valid' would drop them (3x3).
    pooled = ops.max_pool2d(fmap, 2, strides=2, padding="same").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(_as_printed(pooled), _hundredths(PRINTED_POOLED[name]))
    after_relu = ops.max_pool2d(ops.relu(fmap), 2, strides=2, padding="same").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(after_relu, pooled)  # every window holds a positive value
    assert ops.max_pool2d(fmap, 2, strides=2, padding="valid").shape == (1, 3, 3, 1)


# -- deck 001: G (x) H, lines 306-322 ------------------------------------------------------------
def test_one_dimensional_edge_filter():
    g = np.array([0, 0, 0, 1, 1, 1, 1, 1], np.float32).reshape(1, 1, 8, 1)  # a 1x8 image
    h = np.array([-1, 1], np.float32).reshape(1, 2, 1, 1)  # a 1x2 filter
    printed = [0, 0, 1, 0, 0, 0, 0, 0]
    # 'valid' has 8 - 2 + 1 = 7 positions: the step 0 -> 1 is found between samples 2 and 3.
    valid = ops.conv2d(g, h, padding="valid").numpy().ravel()
    np.testing.assert_array_equal(valid, printed[:7])
    # The slide's 8th value is the filter hanging over the right end with the missing sample taken
    # equal to its neighbour (edge replication: the step stays at 1), which gives 0.
    replicated = np.pad(g, ((0, 0), (0, 0), (0, 1), (0, 0)), mode="edge")
    np.testing.assert_array_equal(ops.conv2d(replicated, h).numpy().ravel(), printed)
    # Keras's 'same' zero-pads the right end instead, and reads a falling edge there (-1).
    same = ops.conv2d(g, h, padding="same").numpy().ravel()
    np.testing.assert_array_equal(same, printed[:7] + [-1])


# -- deck 001: the 6600 receptive-field example, lines 654-727 ---------------------------------
# The curve filter: 30 times the 0/1 table on lines 656-662 (the "pixel representation" copies on
# lines 686-692 and 715-721 have 8 columns, an extraction artefact; with their extra 30 on the
# last row the product would not be the 5 terms the slide sums).
CURVE_FILTER = 30 * np.array(
    [
        [0, 0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, 1, 0, 0],
        [0, 0, 0, 1, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 0],
        [0, 0, 0, 0, 0, 0, 0],
    ],
    np.float32,
)
CURVE_REGION = np.array(  # lines 703-709: the image region under the filter (top-left corner)
    [
        [0, 0, 0, 0, 0, 0, 30],
        [0, 0, 0, 0, 50, 50, 50],
        [0, 0, 0, 20, 50, 0, 0],
        [0, 0, 0, 50, 50, 0, 0],
        [0, 0, 0, 50, 50, 0, 0],
        [0, 0, 0, 50, 50, 0, 0],
        [0, 0, 0, 50, 50, 0, 0],
    ],
    np.float32,
)
OTHER_REGION = np.array(  # lines 674-680: a region without the curve: "Multiplication and Summation = 0"
    [
        [0, 0, 0, 0, 0, 0, 0],
        [0, 40, 0, 0, 0, 0, 0],
        [40, 0, 40, 0, 0, 0, 0],
        [40, 20, 0, 0, 0, 0, 0],
        [0, 50, 0, 0, 0, 0, 0],
        [0, 0, 50, 0, 0, 0, 0],
        [25, 25, 0, 50, 0, 0, 0],
    ],
    np.float32,
)


def test_curve_filter_response_is_6600_on_the_curve_and_0_elsewhere():
    kernel = CURVE_FILTER.reshape(7, 7, 1, 1)
    on_curve = ops.conv2d(CURVE_REGION.reshape(1, 7, 7, 1), kernel).numpy()
    assert on_curve.shape == (1, 1, 1, 1)
    assert on_curve.item() == (50 * 30) + (50 * 30) + (50 * 30) + (20 * 30) + (50 * 30) == 6600
    assert ops.conv2d(OTHER_REGION.reshape(1, 7, 7, 1), kernel).numpy().item() == 0


# -- deck 001: output sizes and parameter counts, lines 861-1110 and 2080-2160 -----------------
def _conv_shape(size, kernel, stride, padding="valid", channels=1, filters=1):
    x = np.zeros((1, size, size, channels), np.float32)
    return ops.conv2d(x, np.zeros((kernel, kernel, channels, filters), np.float32), stride, padding).shape


def test_output_size_formula_for_a_7x7_input_and_a_3x3_filter():
    assert conv_output_size(7, 3, 1, "valid") == 5 and _conv_shape(7, 3, 1) == (1, 5, 5, 1)
    assert conv_output_size(7, 3, 2, "valid") == 3 and _conv_shape(7, 3, 2) == (1, 3, 3, 1)
    # Stride 3 "doesn't fit": (7 - 3) / 3 + 1 = 2.33. Keras and neuronio floor it to 2 windows,
    # at columns 0-2 and 3-5, and the last column is never read.
    assert (7 - 3) / 3 + 1 == pytest.approx(2.33, abs=0.005)
    assert conv_output_size(7, 3, 3, "valid") == 2 and _conv_shape(7, 3, 3) == (1, 2, 2, 1)
    x = np.random.default_rng(0).normal(size=(1, 7, 7, 1)).astype(np.float32)
    k = np.ones((3, 3, 1, 1), np.float32)
    np.testing.assert_array_equal(ops.conv2d(x, k, 3).numpy(), ops.conv2d(x[:, :6, :6], k, 3).numpy())
    # "pad com 1 pixel de borda" -> "7x7 output!": 'same' pads (F - 1) / 2 = 1 on each side.
    assert conv_output_size(7, 3, 1, "same") == 7 and _conv_shape(7, 3, 1, "same") == (1, 7, 7, 1)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    np.testing.assert_allclose(ops.conv2d(x, k, 1, "same").numpy(), ops.conv2d(padded, k).numpy(), rtol=1e-6)


def test_ten_5x5_filters_with_pad_2_on_32x32x3():
    assert (32 + 2 * 2 - 5) // 1 + 1 == 32
    assert _conv_shape(32, 5, 1, "same", channels=3, filters=10) == (1, 32, 32, 10)
    x = np.zeros((1, 32, 32, 3), np.float32)
    explicit = ops.conv2d(ops.pad(x, ((0, 0), (2, 2), (2, 2), (0, 0))), np.zeros((5, 5, 3, 10), np.float32))
    assert explicit.shape == (1, 32, 32, 10)
    kernel_params, bias_params = 5 * 5 * 3 * 10, 10
    assert 5 * 5 * 3 + 1 == 76 and kernel_params + bias_params == 760


def test_alexnet_conv1_and_pool1():
    assert conv_output_size(227, 11, 4, "valid") == (227 - 11) // 4 + 1 == 55
    conv1 = ops.conv2d(np.zeros((1, 227, 227, 3), np.float32), np.zeros((11, 11, 3, 96), np.float32), strides=4)
    assert conv1.shape == (1, 55, 55, 96)
    weights = 11 * 11 * 3 * 96
    assert weights == 34_848 and round(weights, -3) == 35_000  # the slide's "(11x11x3)x96 = 35K"
    assert weights + 96 == 34_944 and round(weights + 96, -3) == 35_000  # with the 96 biases
    assert conv_output_size(55, 3, 2, "valid") == (55 - 3) // 2 + 1 == 27
    assert ops.max_pool2d(conv1, 3, strides=2).shape == (1, 27, 27, 96)


# -- deck 003: softmax and cross-entropy, lines 230-365 and 620-655 ----------------------------
def test_softmax_of_2_1_0():
    probabilities = ops.softmax(np.array([2.0, 1.0, 0.0], np.float32)).numpy()
    np.testing.assert_array_equal(np.round(probabilities, 2), np.array([0.67, 0.24, 0.09], np.float32))


@pytest.mark.parametrize(
    "probabilities, printed_terms, printed_total, printed_product",
    [
        ([0.6, 0.2, 0.1, 0.7], ["0.51", "1.61", "2.3", "0.36"], "4.8", "0.0084"),
        ([0.7, 0.9, 0.8, 0.6], ["0.36", "0.1", ".22", "0.51"], "1.2", "0.3024"),
    ],
)
def test_cross_entropy_of_the_two_models(probabilities, printed_terms, printed_total, printed_product):
    p = np.array(probabilities, np.float64)

    def decimals(text):
        return len(text.split(".")[1])

    # 1. Directly: -ln of each probability of the observed outcome, then the sum.
    terms = ops.negative(ops.log(p)).numpy()
    for term, text in zip(terms, printed_terms, strict=True):
        assert round(float(term), decimals(text)) == float(text)
    total = float(ops.sum(terms).numpy())
    assert round(total, 1) == float(printed_total)
    # 2. The fused ops agree: a sigmoid unit with logit ln(p / (1 - p)) and label 1, and a 2-class
    #    softmax with logits (ln p, ln(1 - p)) and label 0, give the same -ln p per point.
    logits = np.log(p / (1 - p))
    bce = ops.sigmoid_cross_entropy_with_logits(labels=np.ones(4), logits=logits).numpy()
    two_class = np.stack([np.log(p), np.log(1 - p)], axis=-1)
    sparse = ops.sparse_softmax_cross_entropy_with_logits(labels=np.zeros(4, int), logits=two_class).numpy()
    np.testing.assert_allclose(bce, terms, rtol=1e-12)
    np.testing.assert_allclose(sparse, terms, rtol=1e-12)
    # 3. The cross-entropy is minus the log of the product the slides start from.
    assert round(float(np.exp(-total)), 4) == float(printed_product)
