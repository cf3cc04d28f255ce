"""Keras 3's remaining metrics on hand-computed examples (exact values), their names and configs,
and custom `Metric` subclasses keeping state in `add_variable`/`add_weight`, in fit's logs."""

import numpy as np
import pytest

from neuronio import layers, metrics, models
from neuronio.errors import ShapeError

Y_TRUE = np.array([1, 0, 1, 1, 0, 0])
SCORES = np.array([0.9, 0.8, 0.6, 0.3, 0.2, 0.7])


def test_precision_and_recall_count_at_their_thresholds():
    # At 0.5: predicted positive 0.9 (right), 0.8 (wrong), 0.6 (right), 0.7 (wrong) -> 2 of 4; found 2 of 3.
    assert metrics.Precision()(Y_TRUE, SCORES) == pytest.approx(0.5)
    assert metrics.Recall()(Y_TRUE, SCORES) == pytest.approx(2 / 3)
    recall = metrics.Recall(thresholds=[0.1, 0.65, 0.85])
    recall.update_state(Y_TRUE, SCORES)
    np.testing.assert_allclose(recall.result(), [1.0, 1 / 3, 1 / 3])
    weighted = metrics.Precision()
    weighted.update_state(Y_TRUE, SCORES, sample_weight=[3, 1, 0, 1, 1, 1])  # right 3 + 0, wrong 1 + 1
    assert weighted.result() == pytest.approx(0.6)


def test_the_four_confusion_counts():
    # At 0.5: predicted positive 0.9, 0.8, 0.6, 0.7 against labels 1, 0, 1, 0; negatives 0.3 (label 1), 0.2 (0).
    counts = {cls: getattr(metrics, cls)()(Y_TRUE, SCORES) for cls in ("TruePositives", "FalsePositives",
              "TrueNegatives", "FalseNegatives")}  # fmt: skip
    assert counts == {"TruePositives": 2.0, "FalsePositives": 2.0, "TrueNegatives": 1.0, "FalseNegatives": 1.0}
    np.testing.assert_array_equal(metrics.FalseNegatives(thresholds=[0.0, 0.65])(Y_TRUE, SCORES), [0.0, 2.0])
    assert type(metrics.resolve("true_positives", (6,), (6,))).__name__ == "TruePositives"


def test_precision_top_k_and_class_id():
    y_true = np.array([[0, 1, 1], [1, 0, 0]])
    y_pred = np.array([[0.9, 0.8, 0.7], [0.6, 0.1, 0.2]])
    # top 1: class 0 in both rows; right only in the second.
    assert metrics.Precision(top_k=1)(y_true, y_pred) == pytest.approx(0.5)
    assert metrics.Recall(class_id=1)(y_true, y_pred) == pytest.approx(1.0)


def test_auc_of_a_perfect_a_reversed_and_a_tied_ranking():
    y_true = np.array([0, 0, 1, 1])
    assert metrics.AUC()(y_true, [0.1, 0.2, 0.8, 0.9]) == pytest.approx(1.0)
    assert metrics.AUC()(y_true, [0.9, 0.8, 0.2, 0.1]) == pytest.approx(0.0)
    assert metrics.AUC()(y_true, [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.5)
    # 200 thresholds: the exact ROC AUC (fraction of rightly ordered pairs) up to the bucket width.
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 400)
    scores = np.clip(rng.normal(0.35 + 0.3 * labels, 0.2), 0, 1)
    pairs = (scores[labels == 1][:, None] > scores[labels == 0][None, :]).mean()
    assert metrics.AUC()(labels, scores) == pytest.approx(pairs, abs=5e-3)
    assert metrics.AUC(curve="PR")(y_true, [0.1, 0.2, 0.8, 0.9]) == pytest.approx(1.0)


def test_f1_score_per_class_and_averaged():
    y_true = np.eye(3)[[0, 1, 2, 2]]
    y_pred = np.array([[0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    # argmax predictions 0, 2, 2, 1: class 0 f1 = 1, class 1 = 0, class 2: precision 1/2, recall 1/2.
    np.testing.assert_allclose(metrics.F1Score()(y_true, y_pred), [1.0, 0.0, 0.5], atol=1e-6)
    assert metrics.F1Score(average="macro")(y_true, y_pred) == pytest.approx(0.5, abs=1e-6)
    assert metrics.F1Score(average="weighted")(y_true, y_pred) == pytest.approx((1 + 0 + 2 * 0.5) / 4, abs=1e-6)
    assert metrics.F1Score(average="micro")(y_true, y_pred) == pytest.approx(0.5, abs=1e-6)
    with pytest.raises(ShapeError, match=r"F1Score 'f1_score' expects 2-D inputs"):
        metrics.F1Score()(np.zeros(3), np.zeros(3))


def test_mean_iou_over_the_classes_that_occur():
    # Confusion (rows true, cols pred): class 0: TP 1, FP 1, FN 1 -> 1/3; class 1: TP 1, FP 1, FN 1 -> 1/3;
    # class 2 never occurs and is left out.
    m = metrics.MeanIoU(num_classes=3)
    assert m([0, 0, 1, 1], [0, 1, 0, 1]) == pytest.approx(1 / 3)
    np.testing.assert_array_equal(m.total_cm.numpy(), [[1, 1, 0], [1, 1, 0], [0, 0, 0]])
    m.reset_state()
    assert m.result() == 0.0


class BinaryTruePositives(metrics.Metric):
    """The keras.io "custom metric" example, written with Keras 3's add_variable."""

    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros", name="true_positives")
        self.seen = self.add_weight(name="seen", shape=(), initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        hits = (np.asarray(y_true) == 1) & (np.asarray(y_pred) > 0.5)
        if sample_weight is not None:
            hits = hits * np.asarray(sample_weight).reshape(hits.shape[0], *([1] * (hits.ndim - 1)))
        self.true_positives.assign_add(np.sum(hits).astype("float32"))
        self.seen.assign_add(np.float32(len(y_true)))

    def result(self):
        return self.true_positives


def test_custom_metric_with_add_variable_updates_resets_and_reports_in_fit_logs():
    m = BinaryTruePositives()
    assert [v.name for v in m.variables] == ["true_positives", "seen"]
    m.update_state([[1], [1], [0]], [[0.9], [0.2], [0.8]])
    assert float(m.result()) == 1.0 and float(m.seen) == 3.0
    m.reset_state()  # the default: every variable back to zeros
    assert float(m.result()) == 0.0 and float(m.seen) == 0.0
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = models.Sequential([layers.Input((4,)), layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=[BinaryTruePositives(), "auc", "precision"])
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    expected = float(np.sum((y == 1) & (model.predict(x, verbose=0) > 0.5)))
    assert set(history.history) == {"loss", "binary_true_positives", "auc", "precision"}
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["binary_true_positives"] == expected
    assert 0.0 <= logs["auc"] <= 1.0


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("auc", "AUC"),
        ("precision", "Precision"),
        ("recall", "Recall"),
        ("f1_score", "F1Score"),
        ("kl_divergence", "KLDivergence"),
        ("poisson", "Poisson"),
        ("hinge", "Hinge"),
        ("squared_hinge", "SquaredHinge"),
        ("categorical_hinge", "CategoricalHinge"),
        ("mape", "MeanAbsolutePercentageError"),
        ("log_cosh_error", "LogCoshError"),
        ("cosine_similarity", "CosineSimilarity"),
    ],
)
def test_string_names_resolve_and_log_under_the_name_written(name, cls):
    metric = metrics.resolve(name, (4, 3), (4, 3))
    assert type(metric).__name__ == cls and metric.name == name
    envelope = metrics.serialize(metric)
    assert envelope["module"] == "keras.metrics"
    assert metrics.deserialize(envelope).get_config() == metric.get_config()


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"Precision: every threshold must be in \[0, 1\]; received thresholds=1.5"):
        metrics.Precision(thresholds=1.5)
    with pytest.raises(ValueError, match=r"AUC 'auc': `curve` must be one of ROC, PR, PRGAIN; received curve='XY'"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match=r"AUC 'auc': `num_thresholds` must be an int > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"multi_label.*not implemented"):
        metrics.AUC(multi_label=True)
    with pytest.raises(ValueError, match=r"F1Score 'f1_score': `average` must be one of"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match=r"MeanIoU 'mean_io_u': `num_classes` must be a positive int"):
        metrics.MeanIoU(num_classes=0)
    with pytest.raises(ValueError, match=r"MeanIoU needs num_classes: pass an instance.*MeanIoU\(num_classes=...\)"):
        metrics.get("mean_io_u")
