"""The IoU family, R2Score, the correlation metrics and the rate-at-rate metrics on hand-computed
examples (exact values), their edge cases (zero denominators, unreachable targets, constant
labels), gradient checks of the correlation functions, errors, names and configs, compile and
fit by object and by string, and a compiled model's `.keras` file. Real Keras's values are in
tests/reference/test_keras_iou_rate_metrics.py."""

import numpy as np
import pytest

from neuronio import layers, losses, metrics, models
from neuronio.autodiff import check_gradients
from neuronio.errors import ShapeError

# -- IoU family -----------------------------------------------------------------------------------


def test_iou_of_chosen_classes_and_the_mean_over_all():
    # cm (rows true, cols pred) = [[1, 1, 0], [1, 1, 0], [0, 0, 0]]: classes 0 and 1 have TP 1, FP 1, FN 1.
    y_true, y_pred = [0, 0, 1, 1], [0, 1, 0, 1]
    assert metrics.IoU(3, target_class_ids=[0])(y_true, y_pred) == pytest.approx(1 / 3)
    # class 2 never occurs: its denominator is 0 and it is left out of the mean, not counted as 0.
    assert metrics.IoU(3, target_class_ids=[1, 2])(y_true, y_pred) == pytest.approx(1 / 3)
    assert metrics.IoU(3, target_class_ids=[2])(y_true, y_pred) == 0.0
    assert metrics.MeanIoU(3)(y_true, y_pred) == pytest.approx(1 / 3)
    assert isinstance(metrics.MeanIoU(3), metrics.IoU) and metrics.MeanIoU(3).target_class_ids == [0, 1, 2]


def test_iou_ignores_out_of_range_ids_and_the_ignore_class_and_resets():
    m = metrics.IoU(2, target_class_ids=[0, 1], ignore_class=1)
    m.update_state([0, 1, 0, 5, -1], [0, 0, 1, 0, 0])  # counted: (0, 0) and (0, 1)
    np.testing.assert_array_equal(m.total_cm.numpy(), [[1, 1], [0, 0]])
    assert m.result() == pytest.approx((1 / 2 + 0 / 1) / 2)  # class 1: TP 0, FP 1 -> 0
    m.reset_state()
    assert m.result() == 0.0 and not m.total_cm.numpy().any()


def test_binary_iou_thresholds_scores():
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])  # predicted 0, 0, 1, 1: cm [[1, 1], [1, 1]]
    assert m.result() == pytest.approx(1 / 3)
    equal = metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
    assert equal([1, 1, 0], [0.5, 0.49, 0.9]) == pytest.approx(1 / 3)  # >= threshold is class 1
    # Fractional weights need a float matrix; the int32 default truncates them and says so.
    weighted = metrics.BinaryIoU(threshold=0.3, dtype="float32")
    weighted.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    # cm = [[0.2, 0.4], [0.3, 0.1]]: class 0 0.2 / 0.9, class 1 0.1 / 0.8.
    assert weighted.result() == pytest.approx((0.2 / 0.9 + 0.1 / 0.8) / 2, rel=1e-6)
    with pytest.warns(UserWarning, match=r"BinaryIoU 'binary_io_u': float sample weights are cast .* int32"):
        metrics.BinaryIoU().update_state([0, 1], [0.1, 0.9], sample_weight=np.array([0.5, 1.5]))


def test_one_hot_iou_and_mean_iou_take_the_argmax():
    y_true = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
    y_pred = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    weights = [1, 2, 3, 4]
    # cm = [[0, 0, 6], [3, 0, 0], [0, 0, 1]]: iou = [0 / 9, 0 / 3, 1 / 7].
    one_hot = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    assert one_hot(y_true, y_pred, sample_weight=weights) == pytest.approx((0 + 1 / 7) / 2)
    assert metrics.OneHotMeanIoU(num_classes=3)(y_true, y_pred, sample_weight=weights) == pytest.approx(1 / 21)
    sparse_pred = metrics.OneHotMeanIoU(num_classes=3, sparse_y_pred=True)
    assert sparse_pred(y_true, [2, 2, 0, 2], sample_weight=weights) == pytest.approx(1 / 21)


def test_iou_arguments_are_checked():
    with pytest.raises(ValueError, match=r"IoU 'io_u': every target class id must be in \[0, 3\).*received "):
        metrics.IoU(3, target_class_ids=[0, 3])
    with pytest.raises(ValueError, match=r"OneHotMeanIoU 'one_hot_mean_io_u': `num_classes` must be a positive int"):
        metrics.OneHotMeanIoU(num_classes=0)
    with pytest.raises(ValueError, match=r"IoU needs num_classes, target_class_ids: pass an instance"):
        metrics.get("io_u")


# -- rate at rate ---------------------------------------------------------------------------------
Y5, P5 = [0, 0, 0, 1, 1], [0.0, 0.3, 0.8, 0.3, 0.8]


@pytest.mark.parametrize(
    ("cls", "target", "weights", "expected"),
    [
        # Thresholds in [0, 0.3): positives 0.3, 0.8, 0.3, 0.8 -> sensitivity 1, specificity 1/3;
        # [0.3, 0.8): positives 0.8, 0.8 -> sensitivity 1/2, specificity 2/3; from 0.8: none.
        ("SensitivityAtSpecificity", 0.5, None, 0.5),
        ("SpecificityAtSensitivity", 0.5, None, 2 / 3),
        ("PrecisionAtRecall", 0.5, None, 0.5),
        # weights [1, 1, 2, 2, 1]: at [0.3, 0.8) sensitivity 1/3 with specificity 2/4 >= 0.5.
        ("SensitivityAtSpecificity", 0.5, [1, 1, 2, 2, 1], 1 / 3),
        ("SpecificityAtSensitivity", 0.5, [1, 1, 2, 2, 2], 0.5),
        ("PrecisionAtRecall", 0.5, [2, 2, 2, 1, 1], 1 / 3),
        # Unreachable: no threshold gives specificity 1 with any positive found, nor precision 0.9.
        ("SensitivityAtSpecificity", 1.0, None, 0.0),
        ("RecallAtPrecision", 0.9, None, 0.0),
        ("RecallAtPrecision", 0.5, None, 1.0),
    ],
)
def test_rate_at_rate_on_a_hand_counted_example(cls, target, weights, expected):
    m = getattr(metrics, cls)(target)
    m.update_state(Y5, P5, sample_weight=weights)
    assert m.result() == pytest.approx(expected)
    m.reset_state()
    assert m.result() == 0.0


def test_rate_at_rate_splits_batches_clips_and_picks_a_column():
    whole, split = metrics.RecallAtPrecision(0.8), metrics.RecallAtPrecision(0.8)
    whole.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
    split.update_state([0, 0], [0.0, 0.5])
    split.update_state([1, 1], [0.3, 0.9])
    assert whole.result() == split.result() == pytest.approx(0.5)  # from 0.5 on: 0.9 alone, precision 1
    # Scores outside [0, 1] are clipped: 1.7 counts as 1.0, which is above every threshold but 1.
    assert metrics.PrecisionAtRecall(1.0, num_thresholds=3)([1, 0], [1.7, -2.0]) == 1.0
    column = metrics.SensitivityAtSpecificity(0.5, class_id=1)
    column.update_state([[1, 0], [0, 1], [1, 1]], [[0.9, 0.1], [0.2, 0.7], [0.8, 0.4]])  # column 1: [0, 1, 1]
    assert column.result() == pytest.approx(1.0)  # a threshold in [0.1, 0.4) finds both, rejects the negative
    one = metrics.SensitivityAtSpecificity(0.5, num_thresholds=1)  # one threshold: 0.5
    np.testing.assert_array_equal(one.thresholds, [0.5])
    assert one(Y5, P5) == pytest.approx(0.5)


def test_rate_at_rate_arguments_are_checked():
    with pytest.raises(ValueError, match=r"PrecisionAtRecall 'precision_at_recall': `recall` must be a number in "
                                         r"\[0, 1\]; received recall=1.5"):  # fmt: skip
        metrics.PrecisionAtRecall(recall=1.5)
    with pytest.raises(ValueError, match=r"`num_thresholds` must be an int > 0; received num_thresholds=0"):
        metrics.SpecificityAtSensitivity(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match=r"RecallAtPrecision needs precision: pass an instance"):
        metrics.get("recall_at_precision")
    with pytest.raises(ValueError, match=r"class_id=1 needs predictions of shape \(num_samples, num_classes\)"):
        metrics.SensitivityAtSpecificity(0.5, class_id=1)([0, 1], [0.2, 0.8])


# -- R2Score --------------------------------------------------------------------------------------
def test_r2_score_per_column_and_aggregated():
    y_true = np.array([[1.0, 0.0], [2.0, 2.0], [3.0, 4.0]])
    y_pred = np.array([[1.0, 1.0], [2.0, 2.0], [4.0, 3.0]])
    # Column 0: SS_res 1, SS_tot 2 -> 0.5. Column 1: SS_res 2, SS_tot 8 -> 0.75.
    np.testing.assert_allclose(metrics.R2Score(class_aggregation=None)(y_true, y_pred), [0.5, 0.75], rtol=1e-6)
    assert metrics.R2Score()(y_true, y_pred) == pytest.approx(0.625)
    weighted = metrics.R2Score(class_aggregation="variance_weighted_average")
    assert weighted(y_true, y_pred) == pytest.approx((2 * 0.5 + 8 * 0.75) / 10)
    # Adjusted, n = 6 entries seen (Keras counts batch x outputs), p = 2: 1 - 0.375 * 5 / 3.
    assert metrics.R2Score(num_regressors=2)(y_true, y_pred) == pytest.approx(1 - 0.375 * 5 / 3)


def test_r2_score_accumulates_batches_and_weights():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.normal(size=(7, 1)), rng.normal(size=(7, 1))
    weights = rng.uniform(0.5, 2.0, 7)
    m = metrics.R2Score()
    m.update_state(y_true[:3], y_pred[:3], sample_weight=weights[:3])
    m.update_state(y_true[3:], y_pred[3:], sample_weight=weights[3:])
    mean = np.average(y_true[:, 0], weights=weights)
    expected = 1 - np.sum(weights * (y_true - y_pred)[:, 0] ** 2) / np.sum(weights * (y_true[:, 0] - mean) ** 2)
    assert m.result() == pytest.approx(expected, rel=1e-5)


def test_r2_score_edge_cases():
    constant = metrics.R2Score()
    assert constant(np.ones((3, 1)), np.zeros((3, 1))) == 0.0  # SS_tot = 0: scored 0, as in Keras
    assert metrics.R2Score().result() == 0.0  # nothing seen yet
    constant.reset_state()
    assert np.isnan(constant.result())  # 0 / 0 after a reset, as in Keras
    with pytest.warns(UserWarning, match=r"more regressors than data points \(num_regressors=5, 3 values seen\)"):
        assert metrics.R2Score(num_regressors=5)([[1.0], [2.0], [3.0]], [[1.0], [2.0], [4.0]]) == pytest.approx(0.5)
    with pytest.raises(ShapeError, match=r"R2Score 'r2_score' expects 2-D inputs .* Reshape single outputs"):
        metrics.R2Score()(np.arange(3.0), np.arange(3.0))
    with pytest.raises(ValueError, match=r"`class_aggregation` must be one of .*received class_aggregation='mean'"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match=r"`num_regressors` must be an int >= 0; received num_regressors=-1"):
        metrics.R2Score(num_regressors=-1)


# -- correlation ----------------------------------------------------------------------------------
def test_correlation_functions_on_exact_cases():
    y_true = np.array([[1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0]])
    np.testing.assert_allclose(metrics.pearson_correlation(y_true, 3 * y_true + 1).numpy(), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(metrics.pearson_correlation(y_true, -y_true).numpy(), [-1.0, -1.0], rtol=1e-6)
    np.testing.assert_allclose(metrics.concordance_correlation(y_true, y_true).numpy(), [1.0, 1.0], rtol=1e-6)
    # Shifted by 1: cov = var(y), so 2 var / (2 var + 1): row 0 var 1.25 -> 2.5 / 3.5, row 1 var 0.25 -> 0.5 / 1.5.
    shifted = metrics.concordance_correlation(y_true, y_true + 1).numpy()
    np.testing.assert_allclose(shifted, [2.5 / 3.5, 0.5 / 1.5], rtol=1e-6)
    along_batch = metrics.pearson_correlation(y_true, y_true**2, axis=0).numpy()
    np.testing.assert_allclose(along_batch, [1.0, 1.0, 1.0, 1.0], rtol=1e-6)  # two points: always +-1
    assert np.isnan(metrics.pearson_correlation([[1.0, 1.0, 1.0]], [[1.0, 2.0, 3.0]]).numpy()).all()


@pytest.mark.parametrize("fn", [metrics.pearson_correlation, metrics.concordance_correlation])
@pytest.mark.parametrize("axis", [-1, 0])
def test_correlation_gradients(rng, fn, axis):
    y_true, y_pred = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    check_gradients(lambda p: fn(y_true, p, axis=axis), [y_pred], mode="full")


def test_correlation_metrics_average_per_sample_with_weights():
    y_true = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    y_pred = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])  # +1 and -1
    m = metrics.PearsonCorrelation()
    m.update_state(y_true, y_pred, sample_weight=[3.0, 1.0])
    assert m.result() == pytest.approx((3 - 1) / 4)
    assert metrics.ConcordanceCorrelation()(y_true, y_pred) == pytest.approx(0.0, abs=1e-6)
    assert metrics.ConcordanceCorrelation(axis=0).get_config() == {
        "name": "concordance_correlation",
        "dtype": "float32",
        "axis": 0,
    }


# -- names, configs, compile, saving --------------------------------------------------------------
def test_keras_metrics_loss_functions_are_the_loss_functions_themselves():
    names = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge",
             "squared_hinge", "categorical_hinge", "huber", "kl_divergence", "log_cosh",
             "mean_absolute_percentage_error", "poisson", "binary_focal_crossentropy", "categorical_focal_crossentropy"]  # fmt: skip
    for name in names:
        assert getattr(metrics, name) is getattr(losses, name), name
        assert name in metrics.__all__


NEW = [
    metrics.IoU(4, target_class_ids=[1, 3], ignore_class=0, sparse_y_pred=False, name="iou"),
    metrics.BinaryIoU(target_class_ids=[1], threshold=0.3),
    metrics.OneHotIoU(3, target_class_ids=[2], dtype="float32"),
    metrics.OneHotMeanIoU(3, sparse_y_pred=True),
    metrics.R2Score(class_aggregation=None, num_regressors=2),
    metrics.PearsonCorrelation(axis=0),
    metrics.ConcordanceCorrelation(),
    metrics.SensitivityAtSpecificity(0.3, num_thresholds=50, class_id=1),
    metrics.SpecificityAtSensitivity(0.7),
    metrics.PrecisionAtRecall(0.2, name="p_at_r"),
    metrics.RecallAtPrecision(0.9, num_thresholds=1),
]


@pytest.mark.parametrize("metric", NEW, ids=lambda m: type(m).__name__)
def test_config_and_envelope_round_trip(metric):
    config = metric.get_config()
    assert type(metric).from_config(config).get_config() == config
    envelope = metrics.serialize(metric)
    assert envelope["module"] == "keras.metrics" and envelope["registered_name"] is None
    assert metrics.deserialize(envelope).get_config() == config


@pytest.mark.parametrize(
    ("name", "cls"),
    [("r2_score", "R2Score"), ("pearson_correlation", "PearsonCorrelation"), ("binary_io_u", "BinaryIoU"),
     ("concordance_correlation", "ConcordanceCorrelation")],
)  # fmt: skip
def test_strings_name_the_classes_as_in_keras(name, cls):
    metric = metrics.resolve(name, (4, 2), (4, 2))
    assert type(metric).__name__ == cls and metric.name == name


def test_compiled_by_object_and_string_logs_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = (x[:, :1] + 0.3 * x[:, 1:2] > 0).astype("float32")
    model = models.Sequential([layers.Input((3,)), layers.Dense(1, activation="sigmoid")])
    chosen = [metrics.BinaryIoU(threshold=0.4), metrics.PrecisionAtRecall(0.5), "r2_score",
              metrics.PearsonCorrelation(axis=0), metrics.RecallAtPrecision(0.6, name="rap")]  # fmt: skip
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=chosen)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "binary_io_u", "precision_at_recall", "r2_score", "pearson_correlation",
                                    "rap"}  # fmt: skip
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    scores = model.predict(x, verbose=0)
    assert logs["binary_io_u"] == pytest.approx(metrics.BinaryIoU(threshold=0.4)(y, scores), rel=1e-6)
    assert logs["pearson_correlation"] == pytest.approx(np.corrcoef(y[:, 0], scores[:, 0])[0, 1], rel=1e-4)
    model.save(tmp_path / "m.keras")
    loaded = models.load_model(tmp_path / "m.keras")
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == pytest.approx(logs, rel=1e-6)
