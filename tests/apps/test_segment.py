"""The reader's segmentation: ink polarity, binarisation, components, merges and cuts."""

import pathlib

import numpy as np
import pytest

from neuronio.apps import segment
from neuronio.apps.image import load_image
from neuronio.apps.segment import ReadError

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def bar(height=40, width=6, slant=0.0, canvas=(60, 60), left=20, top=10):
    """A bilevel stroke, leaning right by `slant` columns per row upwards."""
    mask = np.zeros(canvas, dtype=bool)
    for r in range(height):
        x = left + int(round(slant * (height - 1 - r)))
        mask[top + r, x : x + width] = True
    return mask


def test_otsu_threshold_splits_two_grey_levels_between_them():
    values = np.r_[np.full(900, 0.2), np.full(100, 0.8)]
    assert 0.2 < segment.otsu_threshold(values) <= 0.8


def test_ink_image_finds_the_ink_whichever_way_the_page_is_printed():
    page = np.full((20, 30), 0.9, dtype=np.float32)
    page[5:15, 10:14] = 0.1  # dark ink on light paper
    ink, light_ink = segment.ink_image(page)
    inverted_ink, inverted_light = segment.ink_image(1.0 - page)
    assert (light_ink, inverted_light) == (False, True)
    np.testing.assert_allclose(ink, inverted_ink, atol=1e-6)
    assert ink[10, 12] > 0.8 and ink[0, 0] < 0.2


def test_a_blank_page_is_refused():
    with pytest.raises(ReadError, match="blank"):
        segment.ink_image(np.full((20, 30), 0.5, dtype=np.float32))


@pytest.mark.parametrize("method", ["otsu", "adaptive"])
def test_binarise_recovers_a_stroke_under_noise(method):
    rng = np.random.default_rng(0)
    truth = bar()
    ink = np.where(truth, 0.9, 0.1) + rng.normal(0, 0.05, truth.shape)
    mask = segment.binarise(ink.astype(np.float32), method)
    assert (mask == truth).mean() > 0.97


def test_stroke_width_and_slant_of_a_leaning_bar():
    mask = bar(height=40, width=5, slant=0.3, canvas=(60, 80))
    assert segment.stroke_width(mask) == pytest.approx(5, rel=0.25)
    assert segment.estimate_slant(mask) == pytest.approx(0.3, abs=0.051)


def test_two_touching_bars_are_one_component_with_a_cut_between_them():
    mask = bar(left=10, width=5, canvas=(60, 60)) | bar(left=35, width=5, canvas=(60, 60))
    mask[30:33, 15:35] = True  # a 3-pixel bridge joins them: 30 wide, 40 tall, so worth cutting
    page = segment.find_page(mask)
    assert len(page.components) == 1 and page.cuts[0]
    best = min(page.cuts[0], key=lambda cut: cut.ink)
    assert best.ink == 3  # through the bridge, nothing else
    assert 5 <= best.position <= 25  # between the bars, in the component's frame (it starts at x=10)


def test_pieces_of_a_broken_digit_are_merged_and_specks_dropped():
    mask = bar(height=40, left=20) | bar(height=40, left=40)
    mask[0:9, 21:27] = True  # a piece above the first bar, in its columns: same digit
    mask[55, 5] = True  # a speck
    page = segment.find_page(mask)
    assert len(page.components) == 2
    assert page.components[0].y0 == 0 and page.height == 40


def test_nothing_of_a_digit_s_size_is_no_digits_found():
    mask = np.zeros((50, 200), dtype=bool)
    mask[25:28, 10:190] = True  # a ruled line: 3 pixels tall
    with pytest.raises(ReadError, match="No digits found"):
        segment.find_page(mask)


def test_the_fixture_strings_segment_into_their_digits():
    expected = {"clean_0001.png": (5, 0), "touching_0001.png": (4, 1)}  # (components, components cut)
    for name, (n_components, n_cut) in expected.items():
        grey, _ = load_image(FIXTURES / "images" / name)
        ink, _ = segment.ink_image(grey)
        page = segment.find_page(segment.binarise(ink))
        assert len(page.components) == n_components
        assert sum(bool(cuts) for cuts in page.cuts) >= n_cut


def test_adaptive_binarisation_copes_with_lighting_that_defeats_one_global_threshold():
    truth = bar(height=40, width=4, canvas=(60, 120), left=30) | bar(height=40, width=4, canvas=(60, 120), left=80)
    lighting = np.linspace(0.0, 0.7, 120)[None, :] * np.ones((60, 1))  # the paper brightens left to right
    ink = (lighting + 0.3 * truth).astype(np.float32)
    assert (segment.binarise(ink, "otsu") == truth).mean() < 0.8  # the bright half becomes "ink"
    assert (segment.binarise(ink, "adaptive") == truth).mean() > 0.97
