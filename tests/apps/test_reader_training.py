"""The reader's own classifier: drawn strings, their pieces labelled from each digit's known ink,
the 11th output read as "not one digit", and `neuronio train --model reader` end to end."""

import json

import numpy as np
import pytest
import scipy.ndimage as ndi

from neuronio import cli, layers
from neuronio.apps import reader, reader_training
from neuronio.apps.classifier import classify, load_reader_model
from neuronio.apps.reader_training import NOT_A_DIGIT, Variation, draw_digit, draw_string, label_pieces
from neuronio.errors import DatasetError
from neuronio.models import Sequential
from neuronio.utils import runs


def ring(size=28) -> np.ndarray:
    """A "0": a grey ring in a 28x28 field, uint8 as MNIST's."""
    rows, cols = np.mgrid[0:size, 0:size]
    radius = np.hypot((rows - 14) / 9.0, (cols - 14) / 6.0)
    return np.clip(255 * (1 - np.abs(radius - 1) * 6), 0, 255).astype(np.uint8)


def bar(size=28) -> np.ndarray:
    """A "1": an upright grey bar."""
    digit = np.zeros((size, size), np.uint8)
    digit[4:24, 13:16] = 255
    return digit


STILL = Variation(rotation=0.0, aspect=(1.0, 1.0), stroke=(0.4, 0.4), jitter=0.0, touching=0.0, size_jitter=0.0)


def test_a_drawn_digit_is_a_tight_bilevel_trace_of_the_height_asked():
    rng = np.random.default_rng(0)
    for height in (24.0, 40.0, 60.0):
        mask = draw_digit(ring(), rng, height, 0.0, STILL)
        assert mask.dtype == bool
        assert mask[0].any() and mask[-1].any() and mask[:, 0].any() and mask[:, -1].any()  # tight
        # `height` is the grey's extent; the cut at 0.4 of the peak trims the soft fringe (6% here)
        assert height * 0.9 <= mask.shape[0] <= height + 1
        _, holes = ndi.label(~np.pad(mask, 1))
        assert holes == 2  # still a ring: the paper outside and the hole inside


def test_slant_leans_the_top_right_and_faint_strokes_survive_thinning():
    rng = np.random.default_rng(0)
    upright = draw_digit(bar(), rng, 40.0, 0.0, STILL)
    slanted = draw_digit(bar(), rng, 40.0, 0.4, STILL)
    top, bottom = slanted[2].nonzero()[0].mean(), slanted[-3].nonzero()[0].mean()
    assert top - bottom > 0.3 * 40 and slanted.shape[1] > upright.shape[1] + 10
    faint = (bar() * 0.4).astype(np.uint8)  # a stroke thinner than a pixel peaks at 0.4 in MNIST
    thin = Variation(**{**STILL.__dict__, "stroke": (0.7, 0.7)})
    assert draw_digit(faint, rng, 40.0, 0.0, thin).sum() > 0.5 * draw_digit(bar(), rng, 40.0, 0.0, thin).sum()


def test_separate_digits_never_touch_and_touching_pairs_always_do():
    rng = np.random.default_rng(1)
    digits = [draw_digit(d, rng, 36.0, 0.0, STILL) for d in (ring(), bar(), ring())]
    mask, owners = draw_string(digits, rng, STILL)
    assert np.array_equal(mask, owners.any(axis=0)) and owners.shape[0] == 3
    labels, n = ndi.label(mask, structure=np.ones((3, 3)))
    assert n == 3 and all(len(np.unique(labels[own])) == 1 for own in owners)
    together = Variation(**{**STILL.__dict__, "touching": 1.0})
    for seed in range(5):
        rng = np.random.default_rng(seed)
        mask, owners = draw_string([draw_digit(d, rng, 36.0, 0.0, STILL) for d in (ring(), ring())], rng, together)
        labels, n = ndi.label(mask, structure=np.ones((3, 3)))
        assert n == 1  # the only pair touches


def test_pieces_are_labelled_by_whose_ink_they_hold():
    rng = np.random.default_rng(2)
    digits = [draw_digit(d, rng, 40.0, 0.0, STILL) for d in (ring(), bar(), ring())]
    mask, owners = draw_string(digits, rng, STILL)
    page, _, scale = reader.find_page(reader_training.ink_of(mask, np.random.default_rng(0)))
    pieces = label_pieces(owners, page, scale)
    assert len(pieces) == len(reader.lattice_mod.candidate_arcs(page)[0])
    assert len(page.components) == 3 and not any(page.cuts)
    # No cuts: the arcs are the three components alone, two neighbours together, and all three.
    labels = [k for _, k, _ in pieces]
    assert sorted(k for k in labels if k != NOT_A_DIGIT) == [0, 1, 2]  # owner indices of the whole digits
    assert all(weight == 1.0 for _, _, weight in pieces)  # each piece is a whole digit or none
    assert labels.count(NOT_A_DIGIT) == len(labels) - 3  # every piece spanning two digits


def test_touching_digits_are_cut_into_their_own_pieces_and_the_pair_is_not_one_digit():
    together = Variation(**{**STILL.__dict__, "touching": 1.0, "overlap": 0.0})
    rng = np.random.default_rng(5)
    mask, owners = draw_string([draw_digit(d, rng, 40.0, 0.0, STILL) for d in (ring(), ring())], rng, together)
    page, _, scale = reader.find_page(reader_training.ink_of(mask, np.random.default_rng(0)))
    assert len(page.components) == 1 and page.cuts[0]  # one blob, with candidate cuts
    pieces = label_pieces(owners, page, scale)
    nodes = reader.lattice_mod.nodes_of(page)
    arcs = reader.lattice_mod.candidate_arcs(page)[0]
    whole = arcs.index((nodes.index((0, None)), nodes.index((1, None))))
    assert pieces[whole][1:] == (NOT_A_DIGIT, 1.0)  # the blob holds two digits
    assert {0, 1} <= {k for _, k, weight in pieces if weight == 1.0}  # some cut gives each ring its own piece


def test_synthetic_pieces_hold_digits_and_down_sampled_rejects():
    rng = np.random.default_rng(3)
    x = np.stack([ring(), bar()] * 5)
    y = np.array([0, 1] * 5)
    images, labels, weights = reader_training.synthetic_pieces(x, y, 12, rng, junk_per_digit=1.0)
    assert images.dtype == np.uint8 and images.shape[1:] == (28, 28) and len(images) == len(labels) == len(weights)
    digits, junk = np.isin(labels, (0, 1)), labels == NOT_A_DIGIT
    assert np.all(digits | junk) and (digits & (weights == 1)).sum() >= 12 * 3  # 3 digits a string cut well
    assert np.all(weights[junk] == 1) and np.all((weights > 0) & (weights <= 1))
    assert junk.sum() <= digits.sum() + 12  # about one reject per digit piece, rounded up per string


def test_pieces_do_not_depend_on_the_number_of_processes_drawing_them():
    x, y = np.stack([ring(), bar()] * 5), np.array([0, 1] * 5)
    n = reader_training.CHUNK + 5  # two chunks
    one = reader_training.synthetic_pieces(x, y, n, np.random.default_rng(4), per_digit=1)
    two = reader_training.synthetic_pieces(x, y, n, np.random.default_rng(4), per_digit=1, workers=2)
    assert all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))
    digits = int(np.isin(one[1], (0, 1)).sum())
    assert n * 2 <= digits <= n * 6  # one piece per digit at most (3 to 6 a string); most digits get one


def test_graded_labels_put_their_weight_on_the_digit_and_the_rest_on_not_a_digit():
    y = reader_training.targets(np.array([3, NOT_A_DIGIT, 7]), np.array([1.0, 1.0, 0.25], np.float32))
    expected = np.zeros((3, 11), np.float32)
    expected[0, 3] = expected[1, NOT_A_DIGIT] = 1.0
    expected[2, 7], expected[2, NOT_A_DIGIT] = 0.25, 0.75
    np.testing.assert_array_equal(y, expected)


def test_overlapping_digits_get_graded_pieces_between_the_sure_and_the_wrong():
    """Two rings overlapping by a tenth of their height: no cut gives either one all its ink and
    only its ink, so the best pieces are graded: weight (min(share, whole) - 0.7) / 0.2."""
    apart = Variation(**{**STILL.__dict__, "touching": 1.0, "overlap": 0.1})
    rng = np.random.default_rng(5)
    mask, owners = draw_string([draw_digit(d, rng, 40.0, 0.0, STILL) for d in (ring(), ring())], rng, apart)
    page, _, scale = reader.find_page(reader_training.ink_of(mask, np.random.default_rng(0)))
    pieces = label_pieces(owners, page, scale)
    graded = [(k, weight) for _, k, weight in pieces if 0 < weight < 1]
    assert graded and all(k in (0, 1) for k, _ in graded)


def test_an_eleven_output_model_gives_digit_probabilities_without_the_reject_share():
    model = Sequential([layers.Input((28, 28, 1)), layers.Flatten(), layers.Dense(11, activation="softmax")])
    weights = np.zeros((784, 11), np.float32)
    weights[:, NOT_A_DIGIT] = 0.01  # the more ink, the more "not one digit"
    model.layers[-1].set_weights([weights, np.zeros(11, np.float32)])
    digits = np.zeros((2, 28, 28), np.float32)
    digits[1, 4:24, 4:24] = 1.0  # 400 ink pixels: logit 4 for the reject class
    probs, energy = classify(model, digits)
    assert probs.shape == (2, 10) and energy is None
    np.testing.assert_allclose(probs[0], np.full(10, 1 / 11), rtol=1e-6)
    np.testing.assert_allclose(probs[1].sum(), 10 / (10 + np.exp(4.0)), rtol=1e-6)


def test_runs_keep_reader_models_apart_and_the_reader_prefers_them(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURONIO_HOME", str(tmp_path))
    model = Sequential([layers.Input((28, 28, 1)), layers.Flatten(), layers.Dense(10, activation="softmax")])
    for name, kind, accuracy in (("cnn-a", "cnn", 0.99), ("reader-a", "reader", 0.98)):
        folder = tmp_path / "runs" / name
        folder.mkdir(parents=True)
        model.save(folder / "model.keras")
        (folder / "history.json").write_text(json.dumps({"model": kind, "dataset": "mnist", "test_accuracy": accuracy}))
    assert [r.folder.name for r in runs.find_runs("mnist")] == ["cnn-a"]  # the lab's list: no reader
    assert runs.best_run("mnist", model=runs.READER).folder.name == "reader-a"
    loaded = []
    monkeypatch.setattr("neuronio.models.load_model", lambda path: loaded.append(path.parent.name) or model)
    load_reader_model(None)
    assert loaded == ["reader-a"]


def test_training_a_reader_on_another_dataset_is_refused(tmp_path, capsys):
    assert cli.main(["train", "--model", "reader", "--dataset", "fashion_mnist", "--out", str(tmp_path)]) == 1
    assert "trains on mnist, not fashion_mnist" in capsys.readouterr().err


def test_the_train_command_makes_a_reader_that_read_uses_by_default(tmp_path, monkeypatch, capsys):
    from neuronio.datasets import mnist

    try:
        mnist.load_data()
    except DatasetError as exc:
        pytest.skip(f"MNIST cannot be loaded here: {exc}")
    monkeypatch.setenv("NEURONIO_HOME", str(tmp_path))
    out = tmp_path / "runs" / "reader-test"
    argv = ["train", "--model", "reader", "--samples", "600", "--strings", "30", "--epochs", "2", "--verbose", "0"]
    assert cli.main([*argv, "--out", str(out)]) == 0
    record = json.loads((out / "history.json").read_text())
    assert record["model"] == "reader" and record["classes"] == 11 and record["strings"] == 30
    assert record["pieces"] > 30 * 3 and 0.5 < record["test_accuracy"] <= 1.0
    reader = load_reader_model(None)
    assert reader.outputs[0].shape[-1] == 11
    # Trained behind elastic distortions, saved without them: the plain seed CNN, as Keras reads it.
    assert [type(layer).__name__ for layer in reader.layers] == [
        "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dense"
    ]  # fmt: skip
    assert "neuronio read` uses it by default" in capsys.readouterr().out
