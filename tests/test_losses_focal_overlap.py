"""Keras 3's focal and generalized cross-entropies, Dice, Tversky, Circle and CTC: exact values on
hand-computed examples, float64 gradient checks, names, configs and bad input. (Values against
real Keras: tests/reference/test_keras_focal_overlap_losses.py.)"""

import math

import numpy as np
import pytest

import neuronio
from neuronio import losses
from neuronio.autodiff import check_gradients
from neuronio.errors import ShapeError

EPS = 1e-7


def test_binary_focal_on_a_hand_computed_example():
    # p = 0.8 for a positive: p_t = 0.8, bce = -log 0.8, factor (0.2)^2; p = 0.3 for a negative:
    # p_t = 0.7, bce = -log 0.7, factor (0.3)^2.
    y_true, y_pred = np.array([[1.0, 0.0]]), np.array([[0.8, 0.3]])
    pos, neg = 0.04 * -math.log(0.8), 0.09 * -math.log(0.7)
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y_true, y_pred).numpy(), [(pos + neg) / 2], rtol=1e-6)
    balanced = losses.binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=True, alpha=0.25)
    np.testing.assert_allclose(balanced.numpy(), [(0.25 * pos + 0.75 * neg) / 2], rtol=1e-6)
    # gamma = 0 without balancing is binary cross-entropy.
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y_true, y_pred, gamma=0.0).numpy(),
                               losses.binary_crossentropy(y_true, y_pred).numpy(), rtol=1e-6)  # fmt: skip
    logits = np.log(y_pred / (1 - y_pred))
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y_true, logits, from_logits=True).numpy(),
                               [(pos + neg) / 2], rtol=1e-6)  # fmt: skip


def test_categorical_focal_on_a_hand_computed_example():
    y_true, y_pred = np.array([[0.0, 1.0, 0.0]]), np.array([[0.2, 0.7, 0.1]])
    expected = 0.25 * 0.3**2 * -math.log(0.7)
    np.testing.assert_allclose(losses.categorical_focal_crossentropy(y_true, y_pred).numpy(), [expected], rtol=1e-6)
    # Predictions are rescaled to sum to 1 first, as categorical_crossentropy does.
    np.testing.assert_allclose(losses.categorical_focal_crossentropy(y_true, 2 * y_pred).numpy(), [expected], rtol=1e-6)
    # gamma = 0, alpha = 1 is categorical cross-entropy.
    np.testing.assert_allclose(losses.categorical_focal_crossentropy(y_true, y_pred, alpha=1.0, gamma=0.0).numpy(),
                               losses.categorical_crossentropy(y_true, y_pred).numpy(), rtol=1e-6)  # fmt: skip


def test_generalized_cross_entropy_on_a_hand_computed_example():
    y_pred = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])
    expected = [(1 - 0.7**0.5) / 0.5, (1 - 0.25**0.5) / 0.5]
    np.testing.assert_allclose(losses.categorical_generalized_cross_entropy([1, 2], y_pred, q=0.5).numpy(), expected)
    np.testing.assert_allclose(
        losses.CategoricalGeneralizedCrossEntropy()([[1], [2]], y_pred).numpy(), np.mean(expected)
    )
    # q = 1 is one minus the true class's probability.
    np.testing.assert_allclose(losses.categorical_generalized_cross_entropy([1, 2], y_pred, q=1.0).numpy(), [0.3, 0.75])


def test_dice_and_tversky_on_hand_computed_examples():
    y_true = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    y_pred = np.array([[1.0, 0.5, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0]])
    # Whole batch: intersection 1.5, sums 3 and 3.
    assert float(losses.dice(y_true, y_pred)) == pytest.approx(1 - 3.0 / (6 + EPS), rel=1e-6)
    # Per sample: row 1 2*1.5 / (2 + 2); row 2 no overlap.
    np.testing.assert_allclose(losses.dice(y_true, y_pred, axis=1).numpy(), [1 - 3 / (4 + EPS), 1.0], rtol=1e-6)
    # Tversky: TP 1.5, missed mass sum(t (1 - p)) = 0.5 + 1 = 1.5, spilled sum((1 - t) p) = 0.5 + 1 = 1.5.
    got = float(losses.tversky(y_true, y_pred, alpha=0.2, beta=0.8))
    assert got == pytest.approx(1 - 1.5 / (1.5 + 0.2 * 1.5 + 0.8 * 1.5 + EPS), rel=1e-6)
    np.testing.assert_allclose(losses.tversky(y_true, y_pred).numpy(), losses.dice(y_true, y_pred).numpy(), rtol=1e-6)
    assert losses.Dice(axis=[1]).get_config()["axis"] == [1]  # a JSON list works as a tuple does
    np.testing.assert_allclose(losses.Dice(axis=[1])(y_true, y_pred).numpy(), (1 - 3 / (4 + EPS) + 1) / 2, rtol=1e-6)


def _unit(rows):
    rows = np.asarray(rows, dtype=float)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_circle_on_a_hand_computed_pair():
    # Two embeddings of one class, one of another, remove_diagonal: embedding 0's positive is 1,
    # its negative 2. Distances d01 = 1 - cos(a01), d02 = 1 - cos(a02).
    emb = _unit([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0]])
    d01, d02 = 1 - 0.8, 1 - 0.0
    gamma, m = 2.0, 0.25
    pos = -gamma * max(m + d01, 0) * (m - d01)
    neg = gamma * max(1 + m - d02, 0) * (1 - m - d02)
    got = losses.circle([0, 0, 1], emb, gamma=gamma, margin=m).numpy()
    assert got[0] == pytest.approx(math.log1p(math.exp(pos + neg)), rel=1e-12)
    # Embedding 2 has no positive pair: loss 0, left out of the Circle class's mean.
    assert got[2] == 0.0
    mean = float(losses.Circle(gamma=gamma, margin=m)([0, 0, 1], emb))
    assert mean == pytest.approx((got[0] + got[1]) / 2, rel=1e-12)


def test_ctc_is_ops_ctc_loss_with_keras_padding():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 5, 4))
    labels = np.array([[1, 3, 0], [2, 2, 1]])
    expected = neuronio.ops.ctc_loss(labels, logits, np.array([2, 3]), np.array([5, 5])).numpy()
    np.testing.assert_allclose(losses.ctc(labels, logits).numpy(), expected, rtol=1e-12)
    # One label over one step: -log softmax(logits)[label].
    one = np.array([[[0.5, 1.0, -1.0]]])
    log_p = one[0, 0] - np.log(np.exp(one[0, 0]).sum())
    np.testing.assert_allclose(losses.ctc(np.array([[2]]), one).numpy(), [-log_p[2]], rtol=1e-12)


RNG = np.random.default_rng(3)
GRADIENT_CASES = [
    (losses.BinaryFocalCrossentropy(apply_class_balancing=True, label_smoothing=0.1),
     RNG.integers(0, 2, (3, 2)).astype(float), RNG.uniform(0.1, 0.9, (3, 2))),
    (losses.BinaryFocalCrossentropy(from_logits=True, gamma=1.5), RNG.integers(0, 2, (3, 2)).astype(float),
     RNG.normal(size=(3, 2))),
    (losses.CategoricalFocalCrossentropy(), np.eye(3)[[0, 2]], RNG.uniform(0.1, 0.9, (2, 3))),
    (losses.CategoricalFocalCrossentropy(from_logits=True, label_smoothing=0.2), np.eye(3)[[1, 2]],
     RNG.normal(size=(2, 3))),
    (losses.CategoricalGeneralizedCrossEntropy(q=0.3), np.array([0, 2]), RNG.uniform(0.1, 0.9, (2, 3))),
    (losses.Dice(), RNG.integers(0, 2, (3, 4)).astype(float), RNG.uniform(0.05, 0.95, (3, 4))),
    (losses.Dice(axis=1), RNG.integers(0, 2, (3, 4)).astype(float), RNG.uniform(0.05, 0.95, (3, 4))),
    (losses.Tversky(alpha=0.3, beta=0.7, axis=(1,)), RNG.integers(0, 2, (3, 4)).astype(float),
     RNG.uniform(0.05, 0.95, (3, 4))),
    (losses.Circle(gamma=3.0), np.array([0, 1, 0, 1, 1]), _unit(RNG.normal(size=(5, 3)))),
    (losses.Circle(gamma=3.0, remove_diagonal=False), np.array([0, 1, 0, 1, 2]), _unit(RNG.normal(size=(5, 3)))),
    (losses.CTC(), np.array([[1, 2], [2, 0]]), RNG.normal(size=(2, 4, 3))),
]  # fmt: skip


@pytest.mark.parametrize(("loss", "y_true", "y_pred"), GRADIENT_CASES, ids=lambda v: getattr(v, "name", ""))
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "none"])
def test_gradient(loss, y_true, y_pred, reduction):
    loss = type(loss).from_config({**loss.get_config(), "reduction": reduction})
    weights = np.linspace(0.5, 1.5, len(y_true))
    check_gradients(lambda p: loss(y_true, p, sample_weight=weights), [y_pred], mode="full")


def test_circle_gradient_reaches_given_reference_embeddings():
    emb, ref = _unit(RNG.normal(size=(3, 2))), _unit(RNG.normal(size=(4, 2)))
    kwargs = {"ref_labels": np.array([0, 1, 1, 0]), "gamma": 2.0}
    check_gradients(lambda p, r: losses.circle([0, 1, 0], p, ref_embeddings=r, **kwargs), [emb, ref], mode="full")


NAMES = {
    "binary_focal_crossentropy": losses.binary_focal_crossentropy,
    "categorical_focal_crossentropy": losses.categorical_focal_crossentropy,
    "categorical_generalized_cross_entropy": losses.categorical_generalized_cross_entropy,
    "circle": losses.circle,
    "ctc": losses.ctc,
    "dice": losses.dice,
    "tversky": losses.tversky,
}
CLASSES = [losses.BinaryFocalCrossentropy, losses.CategoricalFocalCrossentropy,
           losses.CategoricalGeneralizedCrossEntropy, losses.Circle, losses.CTC, losses.Dice, losses.Tversky]  # fmt: skip


@pytest.mark.parametrize("name", sorted(NAMES))
def test_function_names(name):
    assert losses.get(name) is NAMES[name]
    assert losses.serialize(NAMES[name])["config"] == name


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_class_names_and_non_default_configs_round_trip(cls):
    assert type(losses.get(cls.__name__)) is cls
    assert cls().name == losses.get(cls.__name__).name
    loss = cls(reduction="sum", name="mine")
    envelope = losses.serialize(loss)
    assert envelope["module"] == "keras.losses" and envelope["registered_name"] is None
    assert losses.deserialize(envelope).get_config() == loss.get_config()


def test_non_default_arguments_survive_saving():
    for loss in (losses.BinaryFocalCrossentropy(alpha=0.6, gamma=1.0, apply_class_balancing=True),
                 losses.CategoricalGeneralizedCrossEntropy(q=0.9), losses.Circle(gamma=5.0, remove_diagonal=False),
                 losses.Tversky(alpha=0.1, beta=0.9, axis=(1, 2))):  # fmt: skip
        assert losses.deserialize(losses.serialize(loss)).get_config() == loss.get_config()


def test_compile_by_name_trains(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 4)).astype("float32")
    y = (x[:, :2] > 0).astype("float32")
    model = neuronio.models.Sequential([neuronio.layers.Input((4,)), neuronio.layers.Dense(2, activation="sigmoid")])
    model.compile(optimizer=neuronio.optimizers.SGD(0.5), loss="binary_focal_crossentropy")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "m.keras")
    loaded = neuronio.models.load_model(tmp_path / "m.keras")
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"CategoricalGeneralizedCrossEntropy: `q` must be in the interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    with pytest.raises(ValueError, match="`q` must not be 0"):
        losses.categorical_generalized_cross_entropy([0], [[0.5, 0.5]], q=0)
    with pytest.raises(ValueError, match="`gamma` must be >= 0"):
        losses.BinaryFocalCrossentropy(gamma=-1.0)
    with pytest.raises(ValueError, match=r"binary_focal_crossentropy expects labels in \[0, 1\]"):
        losses.binary_focal_crossentropy([[2.0]], [[0.5]])
    with pytest.raises(ShapeError, match=r"categorical_focal_crossentropy.*integer class ids.*to_categorical"):
        losses.categorical_focal_crossentropy(np.array([0, 2]), np.full((2, 3), 1 / 3))
    with pytest.raises(ShapeError, match=r"categorical_generalized_cross_entropy.*one-hot"):
        losses.categorical_generalized_cross_entropy(np.eye(3)[[0, 1]], np.full((2, 3), 1 / 3), q=0.5)
    with pytest.raises(ValueError, match=r"dice: `axis` must be None.*axis=\(1, 2, 3\)"):
        losses.dice(np.zeros((2, 3)), np.zeros((2, 3)), axis=5)
    with pytest.raises(ShapeError, match=r"dice: y_true and y_pred must have the same shape"):
        losses.dice(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ShapeError, match=r"circle: y_true must hold one integer class id per embedding"):
        losses.circle(np.zeros((3, 2)), _unit(np.ones((3, 2))))
    with pytest.raises(ShapeError, match=r"circle: y_pred must be embeddings of shape \(batch, dim\)"):
        losses.circle([0, 1], np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"ctc: y_true must be integer labels of shape \(batch_size, max_length\)"):
        losses.ctc(np.zeros(3), np.zeros((3, 4, 5)))
    with pytest.raises(ValueError, match=r"ctc: y_pred must be logits of shape"):
        losses.ctc(np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"ctc: labels must be in \[0, 5\).*0 is the blank"):
        losses.ctc(np.array([[1, 5]]), np.zeros((1, 4, 5)))


def test_one_class_categorical_focal_warns_and_points_to_the_binary_loss():
    with pytest.warns(UserWarning, match=r"y_pred.shape=\(2, 1\).*binary_focal_crossentropy"):
        losses.categorical_focal_crossentropy(np.ones((2, 1)), np.full((2, 1), 0.5))
