"""Committees: exact averages of known probabilities, weights, members from files, logits, a vote that
corrects each member's mistake, binary members, and the errors for members that do not fit together."""

import math

import numpy as np
import pytest

from neuronio import layers
from neuronio.errors import ShapeError
from neuronio.models import Committee, Sequential, committee

# Probabilities pass through float32 (the members' outputs); Keras's cross-entropy clips at 1e-7.
FLOAT32_TOLERANCE = 1e-6


def _constant_member(probabilities, softmax=True):
    """A model whose output is `probabilities` for every input: zero kernel, bias = log(probabilities)."""
    model = Sequential(
        [layers.Input((2,)), layers.Dense(len(probabilities), activation="softmax" if softmax else None)]
    )
    model.set_weights([np.zeros((2, len(probabilities)), np.float32), np.log(probabilities).astype(np.float32)])
    return model


def _inputs(n=4):
    return np.random.default_rng(0).random((n, 2)).astype(np.float32)


def test_predict_averages_the_members_probabilities():
    a, b = [0.7, 0.2, 0.1], [0.1, 0.3, 0.6]
    vote = committee([_constant_member(a), _constant_member(b)])
    np.testing.assert_allclose(vote.predict(_inputs()), np.tile([0.4, 0.25, 0.35], (4, 1)), atol=FLOAT32_TOLERANCE)
    weighted = committee([_constant_member(a), _constant_member(b)], weights=[3, 1])
    np.testing.assert_allclose(weighted.predict(_inputs())[0], [0.55, 0.225, 0.225], atol=FLOAT32_TOLERANCE)


def test_evaluate_gives_the_loss_and_accuracy_of_the_average():
    vote = committee([_constant_member([0.7, 0.2, 0.1]), _constant_member([0.1, 0.3, 0.6])])  # average 0.4 0.25 0.35
    y = np.array([0, 0, 2, 1])
    loss, accuracy = vote.evaluate(_inputs(), y)
    assert loss == pytest.approx(-(2 * math.log(0.4) + math.log(0.35) + math.log(0.25)) / 4, abs=FLOAT32_TOLERANCE)
    assert accuracy == 0.5  # the vote says class 0 for all four
    one_hot = np.eye(3)[y]
    assert vote.evaluate(_inputs(), one_hot, return_dict=True) == pytest.approx({"loss": loss, "accuracy": 0.5})
    members = vote.evaluate_members(_inputs(), y)
    assert [m["accuracy"] for m in members] == [0.5, 0.25]


def test_members_outputting_logits_are_softmaxed_first():
    probabilities = [0.5, 0.3, 0.2]
    logits_member = _constant_member(probabilities, softmax=False)  # outputs log(p): logits
    vote = committee([logits_member, _constant_member(probabilities)])
    np.testing.assert_allclose(vote.predict(_inputs())[0], probabilities, atol=FLOAT32_TOLERANCE)


def _member_wrong_on(k):
    """Reads one-hot inputs; right on every class except k, which it calls (k + 1) % 3 with confidence."""
    kernel = 2.0 * np.eye(3, dtype=np.float32)
    kernel[k] = 0.0
    kernel[k, (k + 1) % 3] = 3.0
    model = Sequential([layers.Input((3,)), layers.Dense(3, activation="softmax")])
    model.set_weights([kernel, np.zeros(3, np.float32)])
    return model


def test_the_vote_corrects_mistakes_the_members_make_on_different_images():
    x, y = np.eye(3, dtype=np.float32), np.arange(3)
    vote = committee([_member_wrong_on(k) for k in range(3)])
    assert [m["accuracy"] for m in vote.evaluate_members(x, y)] == pytest.approx([2 / 3] * 3)
    assert vote.evaluate(x, y)[1] == 1.0


def test_members_load_from_keras_files(tmp_path):
    paths = []
    for i, p in enumerate([[0.6, 0.4], [0.2, 0.8]]):
        paths.append(tmp_path / f"m{i}.keras")
        _constant_member(p).save(paths[-1])
    vote = committee([str(paths[0]), paths[1]])
    np.testing.assert_allclose(vote.predict(_inputs())[0], [0.4, 0.6], atol=FLOAT32_TOLERANCE)
    assert isinstance(vote, Committee) and len(vote) == 2
    assert vote.count_params() == 2 * (2 * 2 + 2)
    assert vote.input_shape == (None, 2) and vote.output_shape == (None, 2)
    with pytest.raises(FileNotFoundError):
        committee([tmp_path / "missing.keras"])


def test_binary_members_average_their_sigmoid_probability():
    def member(p):
        model = Sequential([layers.Input((2,)), layers.Dense(1, activation="sigmoid")])
        model.set_weights([np.zeros((2, 1), np.float32), np.array([math.log(p / (1 - p))], np.float32)])
        return model

    vote = committee([member(0.9), member(0.3)])
    np.testing.assert_allclose(vote.predict(_inputs())[:, 0], 0.6, atol=FLOAT32_TOLERANCE)
    loss, accuracy = vote.evaluate(_inputs(), np.array([1, 1, 0, 1]))
    assert accuracy == 0.75
    assert loss == pytest.approx(-(3 * math.log(0.6) + math.log(0.4)) / 4, abs=FLOAT32_TOLERANCE)


def test_members_of_different_shapes_are_refused_naming_each():
    wide = Sequential([layers.Input((3,)), layers.Dense(2, activation="softmax")], name="wide")
    narrow = Sequential([layers.Input((2,)), layers.Dense(2, activation="softmax")], name="narrow")
    with pytest.raises(
        ShapeError, match=r"same input shape.*member 0 \('wide'\): input \(3,\), output \(2,\); member 1"
    ):
        committee([wide, narrow])
    other_classes = Sequential([layers.Input((3,)), layers.Dense(4, activation="softmax")])
    with pytest.raises(ShapeError, match=r"output \(4,\)"):
        committee([wide, other_classes])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: committee([]), ValueError, r"received no members"),
        (lambda m: committee(m), TypeError, r"expects a list of models"),
        (lambda m: committee("model.keras"), TypeError, r"Wrap a single one in a list"),
        (lambda m: committee([m, m], weights=[1.0]), ValueError, r"2 non-negative numbers.*weights=\[1.0\]"),
        (lambda m: committee([m, m], weights=[-1, 2]), ValueError, r"non-negative"),
        (lambda m: committee([m]).evaluate(_inputs(), [0, 1]), ShapeError, r"4 predictions but 2 labels"),
    ],
)
def test_bad_calls_explain_themselves(call, error, message):
    with pytest.raises(error, match=message):
        call(_constant_member([0.5, 0.5]))


def test_an_unbuilt_member_is_refused():
    with pytest.raises(ValueError, match=r"member 0 .* is not built"):
        committee([Sequential([layers.Dense(2)])])
