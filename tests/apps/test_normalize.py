"""mnist_normalize: MNIST's own normalisation (20x20 box by pixel coverage, centre of mass at 14)."""

import numpy as np
import pytest

from neuronio.apps import mnist_normalize
from neuronio.apps.normalize import coverage_matrix
from neuronio.errors import DatasetError, ShapeError


def test_a_square_fills_the_box_and_lands_with_its_centre_of_mass_in_mnist_s_range():
    field = mnist_normalize(np.ones((10, 10), dtype=bool))
    expected = np.zeros((28, 28), dtype=np.float32)
    expected[4:24, 4:24] = 1.0  # centre of mass 13.5: the low end of MNIST's [13.5, 14.5)
    np.testing.assert_array_equal(field, expected)
    assert field.dtype == np.float32


def test_the_longer_side_becomes_20_pixels_and_the_aspect_ratio_is_kept():
    field = mnist_normalize(np.ones((40, 10), dtype=bool))  # scale 1/2: a 20 x 5 bar
    expected = np.zeros((28, 28), dtype=np.float32)
    expected[4:24, 12:17] = 1.0  # centre of mass (9.5, 2) -> rows 4.., columns 12..
    np.testing.assert_array_equal(field, expected)


def test_a_partly_covered_pixel_holds_the_fraction_covered():
    # 30 x 10 -> 20 x 6.67: six full columns and one two-thirds covered (MNIST's anti-aliasing)
    row = mnist_normalize(np.ones((30, 10), dtype=bool))[10]
    np.testing.assert_allclose(row[11:18], [1, 1, 1, 1, 1, 1, 2 / 3], rtol=1e-6)
    assert row[:11].sum() == 0 and row[18:].sum() == 0


def test_coverage_matrix_rows_are_output_pixels_and_preserve_ink():
    down = coverage_matrix(4, 2, 2.0)  # 4 pixels onto 2: each output pixel averages two
    np.testing.assert_allclose(down, [[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    up = coverage_matrix(2, 3, 3.0)  # 2 pixels onto 3: the middle one straddles both
    np.testing.assert_allclose(up, [[1, 0], [0.5, 0.5], [0, 1]])


def test_input_types_agree_and_blank_gives_zeros():
    rng = np.random.default_rng(0)
    mask = rng.random((37, 23)) > 0.6
    as_bool = mnist_normalize(mask)
    np.testing.assert_array_equal(mnist_normalize(mask.astype(np.uint8) * 255), as_bool)
    np.testing.assert_allclose(mnist_normalize(mask.astype(np.float64)), as_bool, atol=1e-6)
    assert mnist_normalize(np.zeros((5, 5))).sum() == 0
    assert 0.0 <= as_bool.min() and as_bool.max() <= 1.0


def test_wrong_shapes_are_refused_with_the_shape_received():
    with pytest.raises(ShapeError, match=r"2-D .*received an array of shape \(4, 4, 3\)"):
        mnist_normalize(np.ones((4, 4, 3)))
    with pytest.raises(ShapeError, match=r"shape \(0, 3\)"):
        mnist_normalize(np.ones((0, 3)))


def test_renormalising_mnist_digits_gives_mnist_s_box_and_centre_of_mass():
    from neuronio.datasets import mnist

    try:
        _, (x_test, _) = mnist.load_data()
    except DatasetError as exc:
        pytest.skip(f"MNIST cannot be loaded here: {exc}")
    digits = x_test[:200]
    big = np.repeat(np.repeat(digits, 3, axis=1), 3, axis=2) > 127  # (200, 84, 84) bilevel, as NIST's
    fields = np.stack([mnist_normalize(d) for d in big]).astype(np.float64)  # (200, 28, 28)
    rows, cols = np.mgrid[0:28, 0:28]
    mass = fields.sum(axis=(1, 2))
    com_row = (fields * rows).sum(axis=(1, 2)) / mass
    com_col = (fields * cols).sum(axis=(1, 2)) / mass
    assert np.all((13.5 <= com_row) & (com_row < 14.5)) and np.all((13.5 <= com_col) & (com_col < 14.5))
    longer = [max(np.ptp(np.flatnonzero(f.any(axis=1))), np.ptp(np.flatnonzero(f.any(axis=0)))) + 1 for f in fields]
    assert set(longer) == {20}  # the ink's extent, as in 59,987 of MNIST's 60,000 training digits
    # And the re-normalised digit looks like the original one.
    original = digits.reshape(200, -1) / 255.0
    correlation = [np.corrcoef(a, b)[0, 1] for a, b in zip(original, fields.reshape(200, -1))]
    assert np.median(correlation) > 0.9
