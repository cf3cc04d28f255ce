"""Keras 3's remaining losses: exact values on hand-computed examples, float64 gradient checks on
tiny inputs (away from kinks), string names, configs and bad input."""

import numpy as np
import pytest

from neuronio import losses
from neuronio.autodiff import check_gradients
from neuronio.errors import ShapeError


def test_values_on_hand_computed_examples():
    y_true = np.array([[0.0, 1.0], [2.0, -1.0]])
    y_pred = np.array([[0.5, 0.5], [0.0, 2.0]])
    # Huber, delta 1: errors (0.5, -0.5) -> 0.125 each; (-2, 3) -> 1.5 and 2.5.
    np.testing.assert_allclose(losses.huber(y_true, y_pred).numpy(), [0.125, 2.0])
    # Huber, delta 2.5: -2 is quadratic (2.0), 3 linear (2.5 * 3 - 3.125 = 4.375).
    np.testing.assert_allclose(losses.huber(y_true, y_pred, delta=2.5).numpy(), [0.125, (2.0 + 4.375) / 2])
    np.testing.assert_allclose(losses.log_cosh(y_true, y_pred).numpy(), np.log(np.cosh(y_pred - y_true)).mean(-1))
    # MAPE: |0 - 0.5| / eps dominates the first sample, as in Keras.
    np.testing.assert_allclose(losses.mape([[2.0, -4.0]], [[1.0, -5.0]]).numpy(), [100 * (0.5 + 0.25) / 2])
    np.testing.assert_allclose(losses.cosine_similarity([[1.0, 0.0]], [[3.0, 3.0]]).numpy(), [-np.sqrt(0.5)], rtol=1e-6)
    np.testing.assert_allclose(losses.cosine_similarity([[1.0, 2.0]], [[-2.0, -4.0]]).numpy(), [1.0], rtol=1e-6)
    np.testing.assert_allclose(
        losses.poisson([[1.0, 3.0]], [[2.0, 1.0]]).numpy(), [(2 - np.log(2) + 1 - 0) / 2], rtol=1e-6
    )
    p, q = np.array([[0.2, 0.8]]), np.array([[0.5, 0.5]])
    np.testing.assert_allclose(losses.kl_divergence(p, q).numpy(), [np.sum(p * np.log(p / q))], rtol=1e-6)


def test_hinge_family_on_hand_computed_examples():
    scores = np.array([[0.3, -2.0, 0.8]])
    # 0/1 labels become -1/1: margins 1 - (1)(0.3), 1 - (-1)(-2), 1 - (1)(0.8) = 0.7, 0 (clipped), 0.2.
    np.testing.assert_allclose(losses.hinge([[1.0, 0.0, 1.0]], scores).numpy(), [0.3], rtol=1e-6)
    np.testing.assert_allclose(losses.hinge([[1.0, -1.0, 1.0]], scores).numpy(), [0.3], rtol=1e-6)
    np.testing.assert_allclose(losses.squared_hinge([[1.0, 0.0, 1.0]], scores).numpy(), [(0.49 + 0.04) / 3], rtol=1e-6)
    # Categorical hinge: best wrong score 0.8, right score 0.3 -> 0.8 - 0.3 + 1.
    np.testing.assert_allclose(losses.categorical_hinge([[1.0, 0.0, 0.0]], scores).numpy(), [1.5], rtol=1e-6)
    np.testing.assert_allclose(losses.categorical_hinge([[0.0, 0.0, 1.0]], [[0.1, -3.0, 2.0]]).numpy(), [0.0])


RNG = np.random.default_rng(7)
GRADIENT_CASES = [
    (losses.KLDivergence(), RNG.dirichlet(np.ones(3), 2), RNG.dirichlet(np.ones(3), 2)),
    (losses.Poisson(), RNG.poisson(2.0, (2, 3)).astype(float), RNG.uniform(0.5, 3.0, (2, 3))),
    (losses.Huber(delta=0.7), RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2)) + 0.05),
    (losses.LogCosh(), RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))),
    (losses.CosineSimilarity(), RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))),
    (losses.Hinge(), RNG.integers(0, 2, (3, 2)).astype(float), RNG.choice([-1.6, -0.4, 0.3, 2.1], (3, 2))),
    (losses.SquaredHinge(), RNG.choice([-1.0, 1.0], (3, 2)), RNG.choice([-1.6, -0.4, 0.3, 2.1], (3, 2))),
    (losses.CategoricalHinge(), np.eye(3)[[0, 2]], np.array([[0.1, 0.5, -0.3], [0.2, 0.9, 1.4]])),
    (losses.MeanAbsolutePercentageError(), RNG.uniform(1, 2, (2, 3)), RNG.uniform(-1, 0.5, (2, 3))),
]


@pytest.mark.parametrize(("loss", "y_true", "y_pred"), GRADIENT_CASES, ids=lambda v: getattr(v, "name", ""))
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "none"])
def test_gradient(loss, y_true, y_pred, reduction):
    loss = type(loss).from_config({**loss.get_config(), "reduction": reduction})
    weights = np.linspace(0.5, 1.5, len(y_true))
    check_gradients(lambda p: loss(y_true, p, sample_weight=weights), [y_pred], mode="full")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("kld", "kl_divergence"),
        ("KLD", "kl_divergence"),
        ("kl_divergence", "kl_divergence"),
        ("poisson", "poisson"),
        ("huber", "huber"),
        ("log_cosh", "log_cosh"),
        ("cosine_similarity", "cosine_similarity"),
        ("hinge", "hinge"),
        ("squared_hinge", "squared_hinge"),
        ("categorical_hinge", "categorical_hinge"),
        ("mape", "mean_absolute_percentage_error"),
        ("MAPE", "mean_absolute_percentage_error"),
    ],
)
def test_string_names_give_the_functions(name, expected):
    assert losses.get(name).__name__ == expected
    assert losses.resolve(name, (2, 3), (2, 3)).name == name  # the log key is what the user wrote


@pytest.mark.parametrize(
    "cls",
    [
        losses.KLDivergence,
        losses.Poisson,
        losses.Huber,
        losses.LogCosh,
        losses.CosineSimilarity,
        losses.Hinge,
        losses.SquaredHinge,
        losses.CategoricalHinge,
        losses.MeanAbsolutePercentageError,
    ],
)
def test_class_names_configs_and_serialization_round_trip(cls):
    loss = cls(reduction="sum")
    assert losses.get(cls.__name__).name == cls().name
    envelope = losses.serialize(loss)
    assert envelope["module"] == "keras.losses" and envelope["registered_name"] is None
    assert losses.deserialize(envelope).get_config() == loss.get_config()


def test_non_default_arguments_survive_saving():
    assert losses.deserialize(losses.serialize(losses.Huber(delta=0.3))).get_config()["delta"] == 0.3
    assert losses.deserialize(losses.serialize(losses.CosineSimilarity(axis=0))).get_config()["axis"] == 0
    assert "delta" not in losses.Huber().get_config()  # Keras's own config has no delta


def test_mismatched_shapes_are_named():
    with pytest.raises(ShapeError, match=r"huber: y_true and y_pred must have the same shape.*\(2, 3\).*\(2, 4\)"):
        losses.huber(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ShapeError, match=r"categorical_hinge.*integer class ids.*to_categorical"):
        losses.categorical_hinge(np.array([0, 2]), np.zeros((2, 3)))
