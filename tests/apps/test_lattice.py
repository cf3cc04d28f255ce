"""Decoding the segmentation lattice: free, fixed length, lexicon; node costs and skips."""

import numpy as np
import pytest

from neuronio.apps import lattice


def small_lattice(node_costs=(0, 0, 0, 0), skips=()):
    """Nodes 0..3. Arcs: 0-1 reads "1", 1-2 "2", 2-3 "3", 0-2 "7" (the first two merged), 1-3 "8"."""
    arcs = [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3)]
    best = {0: (1, -0.1), 1: (2, -0.2), 2: (3, -0.3), 3: (7, -0.05), 4: (8, -1.0)}
    log_probs = np.full((5, 10), -5.0)
    for k, (digit, score) in best.items():
        log_probs[k, digit] = score
    return lattice.Lattice(4, arcs, log_probs, np.asarray(node_costs, dtype=float), list(skips))


def text(path):
    return "".join(str(d) for _, d in path)


def test_free_reading_is_the_best_path_of_any_length():
    score, path = lattice.best_free(small_lattice())
    assert text(path) == "73" and score == pytest.approx(-0.35)


def test_fixed_length_readings():
    for length, expected, score in [(3, "123", -0.6), (2, "73", -0.35), (1, "7", None)]:
        scores, path = lattice.best_coded(small_lattice(), np.full((1, length), -1))
        if score is None:  # no single arc spans the whole line
            assert path == [] and scores[0] == -np.inf
        else:
            assert text(path) == expected and scores[0] == pytest.approx(score)


def test_a_lexicon_picks_the_best_valid_code_even_against_a_better_free_reading():
    codes = np.array([[1, 2, 3], [9, 9, 9]])
    scores, path = lattice.best_coded(small_lattice(), codes)
    assert text(path) == "123"
    np.testing.assert_allclose(scores, [-0.6, -15.0])


def test_node_costs_are_paid_by_the_paths_through_the_node():
    lat = small_lattice(node_costs=(0, 1.0, 0, 0))
    assert lattice.best_coded(lat, np.array([[1, 2, 3]]))[0][0] == pytest.approx(-1.6)
    assert lattice.best_coded(lat, np.array([[1, 8]]))[0][0] == pytest.approx(-2.1)
    assert lattice.best_free(lat)[0] == pytest.approx(-0.35)  # "73" does not pass node 1


def test_a_skip_arc_leaves_a_piece_out_at_its_cost():
    lat = small_lattice(skips=[(1, 2, 0.1)])
    scores, path = lattice.best_coded(lat, np.array([[1, 3]]))
    assert text(path) == "13" and scores[0] == pytest.approx(-0.1 - 0.1 - 0.3)
    assert [k for k, _ in path] == [0, 2]  # the arcs 0-1 and 2-3


def test_penalties_grow_with_width_shortness_and_gaps_and_favour_digit_like_ink():
    features = {
        "width": np.array([0.6, 1.4, 0.6, 0.6]),
        "height": np.array([1.0, 1.0, 0.5, 1.0]),
        "gap": np.array([0.0, 0.0, 0.0, 0.25]),
        "whole": np.array([True, False, False, True]),
        "energy": np.array([20.0, 20.0, 20.0, 10.0]),
    }
    p = lattice.Penalties()
    penalty = lattice.arc_penalties(features, p)
    reference = 15.0  # the median energy of the uncut components (arcs 0 and 3)
    expected = [
        -p.energy * (20 - reference),
        p.wide * (1.4 - p.wide_start) - p.energy * (20 - reference),
        p.short * (p.short_below - 0.5) - p.energy * (20 - reference),
        p.gap * 0.25 - p.energy * (10 - reference),
    ]
    np.testing.assert_allclose(penalty, np.array(expected) - p.digit)


def test_a_component_wider_than_any_digit_is_still_offered_whole():
    """A thick 2 or a 5 with a long bar can be 1.7 digit heights wide: it must stay one candidate
    even when it has cuts, or a reading of the right length may not exist at all."""
    from neuronio.apps import segment

    mask = np.zeros((60, 200), dtype=bool)
    mask[10:50, 10:84] = True  # 74 pixels wide, 40 tall: wider than MAX_WIDTH (1.6) heights
    mask[20:40, 30:64] = False  # a hole, so that it is not one solid block
    mask[10:50, 120:128] = True  # a "1"
    page = segment.find_page(mask)
    assert len(page.components) == 2 and page.cuts[0] and page.height == 40
    arcs, inks, features = lattice.candidate_arcs(page)
    nodes = lattice.nodes_of(page)
    whole = (nodes.index((0, None)), nodes.index((1, None)))
    assert whole in arcs and features["width"][arcs.index(whole)] == pytest.approx(74 / 40)
    assert all(features["width"][k] <= lattice.MAX_WIDTH or arcs[k] == whole for k in range(len(arcs)))
