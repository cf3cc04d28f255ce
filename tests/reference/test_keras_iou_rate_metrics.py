"""The IoU family, R2Score, the correlation metrics and the rate-at-rate metrics against real Keras
(torch backend): results after several uneven, weighted batches, configs, the correlation
functions' values and gradients, keras.metrics's loss functions, string names, envelopes, and a
compiled model's `.keras` file in both directions. Skipped cleanly when keras or torch is absent."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
import torch  # noqa: E402

import neuronio  # noqa: E402
from neuronio import metrics  # noqa: E402
from neuronio.autodiff import GradientTape, Variable  # noqa: E402
from tests.reference.test_keras_more_losses_metrics import ATOL, RTOL, K, N  # noqa: E402
from tests.reference.test_keras_more_losses_metrics import _data as _shared_data  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING, pytest.mark.filterwarnings("ignore::UserWarning")]


def _data(rng):
    """The data of the other losses' and metrics' reference test, plus binary labels with scores
    and integer weights (the int32 IoU matrices keep them whole)."""
    data = _shared_data(rng)
    return {**data, "bits": rng.integers(0, 2, N), "scores": rng.uniform(0, 1, N).astype(np.float32),
            "counts": rng.integers(0, 4, N)}  # fmt: skip


METRICS = [
    # (class, kwargs, y_true key, y_pred key, weights key or None)
    ("IoU", {"num_classes": K, "target_class_ids": [0, 2]}, "class_ids", "pred_ids", None),
    (
        "IoU",
        {"num_classes": K, "target_class_ids": [1], "sparse_y_pred": False, "ignore_class": 0},
        "labels",
        "probs",
        "counts",
    ),
    ("BinaryIoU", {}, "bits", "scores", None),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "bits", "scores", "counts"),
    ("BinaryIoU", {"dtype": "float32"}, "bits", "scores", "weights"),
    ("OneHotIoU", {"num_classes": K, "target_class_ids": [0, 3]}, "one_hot", "probs", None),
    ("OneHotMeanIoU", {"num_classes": K}, "one_hot", "probs", "counts"),
    ("OneHotMeanIoU", {"num_classes": K, "dtype": "float32"}, "one_hot", "probs", "weights"),
    ("R2Score", {}, "targets", "outputs", None),
    ("R2Score", {"class_aggregation": None}, "targets", "outputs", "weights"),
    (
        "R2Score",
        {"class_aggregation": "variance_weighted_average", "num_regressors": 3},
        "targets",
        "outputs",
        "weights",
    ),
    ("R2Score", {"num_regressors": 40}, "targets", "outputs", None),  # too many: the plain score
    ("PearsonCorrelation", {}, "targets", "outputs", "weights"),
    ("PearsonCorrelation", {"axis": 0}, "targets", "outputs", None),  # last batch of 1: nan, as Keras
    ("ConcordanceCorrelation", {}, "targets", "outputs", "weights"),
    ("ConcordanceCorrelation", {"axis": 0}, "targets", "outputs", None),
    ("SensitivityAtSpecificity", {"specificity": 0.5}, "binary", "probs", None),
    (
        "SensitivityAtSpecificity",
        {"specificity": 0.7, "num_thresholds": 7, "class_id": 1},
        "binary",
        "probs",
        "weights",
    ),
    ("SpecificityAtSensitivity", {"sensitivity": 0.6}, "binary", "probs", "weights"),
    ("PrecisionAtRecall", {"recall": 0.8}, "binary", "probs", "weights"),
    ("PrecisionAtRecall", {"recall": 0.3}, "binary", "outputs", None),  # scores outside [0, 1]: clipped
    ("RecallAtPrecision", {"precision": 0.6}, "binary", "probs", None),
    ("RecallAtPrecision", {"precision": 0.6, "num_thresholds": 1}, "binary", "probs", "weights"),
    ("RecallAtPrecision", {"precision": 1.0}, "binary", "probs", None),  # unreachable: 0
]


@pytest.mark.parametrize(("class_name", "kwargs", "true_key", "pred_key", "weights_key"), METRICS)
def test_metric_result_after_several_batches_matches_keras(rng, class_name, kwargs, true_key, pred_key, weights_key):
    data = _data(rng)
    kwargs = {**kwargs, "name": "m"}
    ours, theirs = getattr(metrics, class_name)(**kwargs), getattr(keras.metrics, class_name)(**kwargs)
    for batch in (slice(0, 4), slice(4, 8), slice(8, 9)):  # uneven: 4, 4, 1
        weights = None if weights_key is None else data[weights_key][batch]
        ours.update_state(data[true_key][batch], data[pred_key][batch], sample_weight=weights)
        theirs.update_state(data[true_key][batch], data[pred_key][batch], sample_weight=weights)
        np.testing.assert_allclose(
            np.asarray(ours.result()), np.asarray(theirs.result()), rtol=RTOL, atol=ATOL, equal_nan=True
        )
    assert ours.get_config() == theirs.get_config()
    if not isinstance(ours, metrics.Mean):  # neuronio's running means keep float64 totals, not variables
        assert [v.path for v in ours.variables] == [v.path for v in theirs.variables]
    ours.reset_state()
    theirs.reset_state()
    np.testing.assert_allclose(np.asarray(ours.result()), np.asarray(theirs.result()), equal_nan=True)


@pytest.mark.parametrize("name", ["pearson_correlation", "concordance_correlation"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_correlation_functions_value_and_gradient_match_keras(rng, name, axis):
    y_true, y_pred = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    x = Variable(y_pred)
    with GradientTape() as tape:
        value = getattr(metrics, name)(y_true, x, axis=axis)
        total = value.sum()
    (grad,) = tape.gradient(total, [x])
    k_x = torch.tensor(y_pred, requires_grad=True)
    k_value = getattr(keras.metrics, name)(torch.tensor(y_true), k_x, axis=axis)
    k_value.sum().backward()
    np.testing.assert_allclose(value.numpy(), k_value.detach().numpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(grad.numpy(), k_x.grad.numpy(), rtol=1e-5, atol=1e-7)


LOSS_FUNCTIONS = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
                  "squared_hinge", "categorical_hinge", "huber", "kl_divergence", "log_cosh",
                  "mean_absolute_percentage_error", "poisson", "binary_focal_crossentropy", "categorical_focal_crossentropy"]  # fmt: skip


@pytest.mark.parametrize("name", LOSS_FUNCTIONS)
def test_keras_metrics_loss_functions_are_keras_losses_functions_in_both(name):
    assert getattr(keras.metrics, name) is getattr(keras.losses, name)
    assert getattr(metrics, name) is getattr(neuronio.losses, name)


@pytest.mark.parametrize(
    "name", ["r2_score", "binary_io_u", "pearson_correlation", "concordance_correlation", "io_u",
             "one_hot_io_u", "one_hot_mean_io_u", "precision_at_recall", "recall_at_precision",
             "sensitivity_at_specificity", "specificity_at_sensitivity"],
)  # fmt: skip
def test_string_names_resolve_as_in_keras(name):
    from keras.src.metrics import get as keras_get

    try:
        theirs = keras_get(name)
    except TypeError:  # a class with required arguments: Keras cannot build it from a name
        with pytest.raises(ValueError, match=r"needs .*: pass an instance"):
            metrics.get(name)
        return
    assert type(metrics.get(name)).__name__ == type(theirs).__name__
    assert metrics.get(name).get_config() == theirs.get_config()


def test_metric_envelopes_cross_between_engines():
    ours = [
        metrics.IoU(3, target_class_ids=[0, 2], ignore_class=1),
        metrics.BinaryIoU(target_class_ids=[1], threshold=0.3),
        metrics.OneHotMeanIoU(3, sparse_y_pred=True),
        metrics.R2Score(class_aggregation=None, num_regressors=1),
        metrics.PearsonCorrelation(axis=0),
        metrics.RecallAtPrecision(0.7, num_thresholds=20, class_id=2),
    ]
    for metric in ours:
        assert keras.metrics.deserialize(metrics.serialize(metric)).get_config() == metric.get_config()
    theirs = [keras.metrics.OneHotIoU(4, [1, 2], name="o"), keras.metrics.SpecificityAtSensitivity(0.4, 10),
              keras.metrics.ConcordanceCorrelation(axis=0)]  # fmt: skip
    for metric in theirs:
        assert metrics.deserialize(keras.metrics.serialize(metric)).get_config() == metric.get_config()


def _compiled(api):
    model = api.models.Sequential([api.layers.Input((3,)), api.layers.Dense(2, activation="sigmoid")])
    model.compile(
        optimizer="sgd",
        loss="binary_crossentropy",
        metrics=[
            api.metrics.BinaryIoU(threshold=0.4),
            api.metrics.OneHotMeanIoU(2),
            api.metrics.R2Score(),
            api.metrics.PearsonCorrelation(axis=0, name="pearson_over_batch"),
            api.metrics.ConcordanceCorrelation(),
            api.metrics.PrecisionAtRecall(0.5),
            api.metrics.SensitivityAtSpecificity(0.5, class_id=1),
            "pearson_correlation",
        ],
    )
    return model


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_compiled_model_with_these_metrics_crosses_engines(tmp_path, rng, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 16)]
    model = _compiled(source)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    expected = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    got = loaded.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert set(got) == set(expected)
    for key, value in expected.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-4, atol=1e-5, err_msg=key)
