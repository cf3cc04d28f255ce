"""Metrics: exact values on hand-made batches, per-sample running means, accuracy resolution, registry."""

import numpy as np
import pytest

from neuronio import losses, metrics
from neuronio.autodiff import GradientTape, Variable, is_recording
from neuronio.errors import FileFormatError, ShapeError, UnknownNameError

# Hand-made batches: 4 samples, 3 classes.
SCORES = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [0.2, 0.45, 0.35]], np.float32)
LABELS = np.array([0, 2, 2, 1])
ONE_HOT = np.eye(3, dtype=np.float32)[LABELS]


# -- function forms ----------------------------------------------------------------------------------
def test_categorical_and_sparse_accuracy_per_sample():
    expected = [1.0, 0.0, 1.0, 1.0]
    np.testing.assert_array_equal(metrics.categorical_accuracy(ONE_HOT, SCORES), expected)
    np.testing.assert_array_equal(metrics.sparse_categorical_accuracy(LABELS, SCORES), expected)
    np.testing.assert_array_equal(
        metrics.sparse_categorical_accuracy(LABELS[:, None].astype(np.float32), SCORES), expected
    )
    assert metrics.categorical_accuracy(ONE_HOT, SCORES).dtype == np.float32


def test_argmax_ties_go_to_the_first_index():
    tied = np.array([[0.4, 0.4, 0.2]], np.float32)
    assert metrics.sparse_categorical_accuracy([0], tied)[0] == 1.0
    assert metrics.sparse_categorical_accuracy([1], tied)[0] == 0.0


def test_binary_accuracy_threshold_and_shapes():
    y = np.array([[1], [0], [1], [0]], np.float32)
    p = np.array([[0.9], [0.5], [0.5], [0.2]], np.float32)  # 0.5 is not > 0.5: predicts 0
    np.testing.assert_array_equal(metrics.binary_accuracy(y, p), [[1.0], [1.0], [0.0], [1.0]])
    np.testing.assert_array_equal(metrics.binary_accuracy(y[:, 0], p), [[1.0], [1.0], [0.0], [1.0]])
    np.testing.assert_array_equal(metrics.binary_accuracy(y, p, threshold=0.4), [[1.0], [0.0], [1.0], [1.0]])


def test_top_k_counts_ties_at_the_boundary_as_in():
    # Sample 2's label 2 has the top score; sample 3's label 1 is first; sample 1's label 2 is second.
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(LABELS, SCORES, k=1), [1, 0, 1, 1])
    np.testing.assert_array_equal(metrics.sparse_top_k_categorical_accuracy(LABELS, SCORES, k=2), [1, 1, 1, 1])
    np.testing.assert_array_equal(metrics.top_k_categorical_accuracy(ONE_HOT, SCORES, k=2), [1, 1, 1, 1])
    # A tie for second place: both tied classes are in the top 2 (Keras's in_top_k).
    tied = np.array([[0.5, 0.25, 0.25]], np.float32)
    assert metrics.sparse_top_k_categorical_accuracy([2], tied, k=2)[0] == 1.0
    assert metrics.sparse_top_k_categorical_accuracy([2], tied, k=5)[0] == 1.0  # k >= classes: always in


def test_regression_functions():
    y = np.array([[1.0, 2.0], [0.0, 0.0]], np.float32)
    p = np.array([[2.0, 2.0], [0.0, -3.0]], np.float32)
    np.testing.assert_allclose(metrics.mean_squared_error(y, p), [0.5, 4.5])
    np.testing.assert_allclose(metrics.mean_absolute_error(y, p), [0.5, 1.5])
    expected = np.mean((np.log(np.maximum(p, 1e-7) + 1) - np.log(np.maximum(y, 1e-7) + 1)) ** 2, axis=-1)
    np.testing.assert_allclose(metrics.mean_squared_logarithmic_error(y, p), expected, rtol=1e-6)


def test_function_shape_errors():
    with pytest.raises(
        ShapeError,
        match=r"categorical_accuracy expects one-hot .* \(4, 3\); received y_true.shape=\(4,\)\. For integer labels use sparse_categorical_accuracy",
    ):
        metrics.categorical_accuracy(LABELS, SCORES)  # fmt: skip
    with pytest.raises(
        ShapeError,
        match=r"sparse_categorical_accuracy expects integer labels of shape \(4,\).*\(4, 3\)\. These look like one-hot labels",
    ):
        metrics.sparse_categorical_accuracy(ONE_HOT, SCORES)  # fmt: skip
    with pytest.raises(ShapeError, match=r"mean_squared_error: .*y_true.shape=\(4, 3\) and y_pred.shape=\(4, 2\)"):
        metrics.mean_squared_error(SCORES, SCORES[:, :2])


# -- stateful metrics: per-sample running means ---------------------------------------------------------
def test_uneven_batches_count_by_size():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(LABELS[:3], SCORES[:3])  # 2 of 3 right
    assert m.result() == pytest.approx(2 / 3)
    m.update_state(LABELS[3:], SCORES[3:])  # 1 of 1 right: 3 of 4, not the mean of 2/3 and 1
    assert m.result() == 0.75
    m.reset_state()
    assert m.result() == 0.0
    assert m(LABELS, SCORES) == 0.75  # __call__ updates and returns the result


def test_binary_accuracy_docstring_batches():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [0], [1]], [[0.9], [0.2], [0.3]])
    m.update_state([[0]], [[0.4]])
    assert m.result() == 0.75


def test_mean_and_sum_with_weights():
    m = metrics.Mean()
    m.update_state([1.0, 3.0, 5.0, 7.0])
    assert m.result() == 4.0
    m.reset_state()
    m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    assert m.result() == 2.0
    m.update_state(np.array([[2.0, 4.0]]))  # one sample, averaged over its entries
    assert m.result() == pytest.approx((1 + 3 + 3) / 3)
    s = metrics.Sum()
    s.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    assert s.result() == 4.0


def test_mean_of_batch_losses_weighted_by_batch_size():
    # How the trainer tracks the loss: one scalar per batch, weighted by the batch's size.
    m = metrics.Mean(name="loss")
    m.update_state(np.float32(2.0), sample_weight=32)
    m.update_state(np.float32(4.0), sample_weight=8)  # the short last batch
    assert m.result() == pytest.approx((2 * 32 + 4 * 8) / 40)


def test_keras2_module_aliases():
    assert metrics.mse is metrics.MSE is metrics.mean_squared_error
    assert metrics.mae is metrics.mean_absolute_error and metrics.msle is metrics.mean_squared_logarithmic_error
    assert losses.mse is losses.mean_squared_error and losses.MAE is losses.mean_absolute_error


def test_weighted_accuracy_and_mse():
    m = metrics.CategoricalAccuracy()
    m.update_state(ONE_HOT, SCORES, sample_weight=[1.0, 3.0, 0.0, 1.0])  # the wrong one weighs 3
    assert m.result() == pytest.approx(1 / 5 + 1 / 5)
    mse = metrics.MeanSquaredError()
    mse.update_state([[1.0, 2.0], [0.0, 0.0]], [[2.0, 2.0], [0.0, -3.0]], sample_weight=[3.0, 1.0])
    assert mse.result() == pytest.approx((3 * 0.5 + 4.5) / 4)
    with pytest.raises(ShapeError, match=r"sample_weight of shape \(3,\) does not fit the values of shape \(2,\)"):
        mse.update_state([[1.0], [0.0]], [[2.0], [0.0]], sample_weight=[1.0, 2.0, 3.0])


def test_root_mean_squared_error_is_root_of_running_mean():
    m = metrics.RootMeanSquaredError()
    m.update_state([[0.0], [0.0]], [[1.0], [3.0]])
    m.update_state([[0.0]], [[2.0]])
    assert m.result() == pytest.approx(np.sqrt((1 + 9 + 4) / 3))


def test_crossentropy_metrics_average_the_loss_functions():
    m = metrics.SparseCategoricalCrossentropy()
    m.update_state(LABELS[:1], SCORES[:1])
    m.update_state(LABELS[1:], SCORES[1:])
    expected = np.mean(-np.log(SCORES[np.arange(4), LABELS] / SCORES.sum(-1)))
    assert m.result() == pytest.approx(expected, rel=1e-6)
    masked = metrics.SparseCategoricalCrossentropy(ignore_class=2)
    masked.update_state(LABELS, SCORES)  # samples 1 and 2 are ignored: they leave the count too
    assert masked.result() == pytest.approx(-np.mean(np.log(SCORES[[0, 3], [0, 1]])), rel=1e-6)
    b = metrics.BinaryCrossentropy(from_logits=True)
    b.update_state([[1.0]], [[0.0]])
    assert b.result() == pytest.approx(np.log(2), rel=1e-6)


def test_metrics_never_record_on_the_tape():
    seen = []

    def probe(y_true, y_pred):
        seen.append(is_recording())
        return losses.mean_squared_error(y_true, y_pred)

    y_pred = Variable(np.ones((2, 1), np.float32))
    m = metrics.MeanMetricWrapper(probe)
    with GradientTape():
        m.update_state(np.zeros((2, 1)), y_pred)
        metrics.CategoricalAccuracy().update_state(ONE_HOT, Variable(SCORES))
    assert seen == [False] and m.result() == 1.0 and m.name == "probe"


# -- "accuracy"/"acc" resolution (Keras 3's compile_utils.get_metric) ------------------------------------
@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((32, 1), (32, 1), metrics.BinaryAccuracy),
        ((32,), (32, 1), metrics.BinaryAccuracy),
        # One score per sample is binary. (Keras 3 reads 32 as classes here: CategoricalAccuracy.)
        ((32,), (32,), metrics.BinaryAccuracy),
        ((32,), (32, 10), metrics.SparseCategoricalAccuracy),
        ((32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        ((32, 10), (32, 10), metrics.CategoricalAccuracy),
        ((32, 5, 10), (32, 5, 10), metrics.CategoricalAccuracy),
        ((32, 5), (32, 5, 10), metrics.SparseCategoricalAccuracy),
    ],
)
def test_accuracy_resolution_table(y_true_shape, y_pred_shape, expected):
    for name in ("accuracy", "acc", "Accuracy", "ACC"):
        metric = metrics.resolve(name, y_true_shape, y_pred_shape)
        assert type(metric) is expected
        assert metric.name == name  # the log key is what the user wrote


def test_resolved_binary_accuracy_threshold_is_half():
    assert metrics.resolve("acc", (4, 1), (4, 1)).threshold == 0.5


def test_resolve_other_identifiers():
    mse = metrics.resolve("mse", (4, 1), (4, 1))
    assert type(mse) is metrics.MeanSquaredError and mse.name == "mse"
    assert metrics.resolve("binary_accuracy", (4, 1), (4, 1)).name == "binary_accuracy"
    wrapped = metrics.resolve(metrics.sparse_categorical_accuracy, (4,), (4, 3))
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "sparse_categorical_accuracy"
    assert wrapped(LABELS, SCORES) == 0.75
    instance = metrics.TopKCategoricalAccuracy(k=2, name="top2")
    assert metrics.resolve(instance, (4, 3), (4, 3)) is instance and instance.name == "top2"
    with pytest.raises(ValueError, match="Expected a metric; received None"):
        metrics.resolve(None, (4,), (4, 3))


# -- registry and serialization ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, cls",
    [
        ("accuracy", metrics.Accuracy), ("binary_accuracy", metrics.BinaryAccuracy),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
        ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
        ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
        ("mse", metrics.MeanSquaredError), ("MSE", metrics.MeanSquaredError), ("mean_squared_error", metrics.MeanSquaredError),
        ("mae", metrics.MeanAbsoluteError), ("MAE", metrics.MeanAbsoluteError), ("msle", metrics.MeanSquaredLogarithmicError),
        ("rmse", metrics.RootMeanSquaredError), ("bce", metrics.BinaryCrossentropy),
        ("CategoricalAccuracy", metrics.CategoricalAccuracy), ("mean", metrics.Mean),
    ],
)  # fmt: skip
def test_get_names(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls


def test_get_errors_and_other_identifiers():
    with pytest.raises(
        ValueError, match=r"'acc' means binary, categorical or sparse categorical accuracy .* metrics\.resolve"
    ):
        metrics.get("acc")  # fmt: skip
    with pytest.raises(
        UnknownNameError, match=r"Unknown metric 'binary_acuracy'\. Did you mean 'binary_accuracy'.*Valid names: "
    ):
        metrics.get("binary_acuracy")  # fmt: skip
    assert metrics.get(None) is None
    assert type(metrics.get(metrics.Mean)) is metrics.Mean
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    with pytest.raises(TypeError, match="Cannot interpret 3 as a metric"):
        metrics.get(3)


ALL_METRICS = [
    metrics.Mean(name="loss"),
    metrics.Sum(),
    metrics.Accuracy(),
    metrics.BinaryAccuracy(threshold=0.3),
    metrics.CategoricalAccuracy(name="acc"),
    metrics.SparseCategoricalAccuracy(),
    metrics.TopKCategoricalAccuracy(k=2),
    metrics.SparseTopKCategoricalAccuracy(k=3),
    metrics.MeanSquaredError(),
    metrics.MeanAbsoluteError(),
    metrics.MeanSquaredLogarithmicError(),
    metrics.RootMeanSquaredError(),
    metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    metrics.CategoricalCrossentropy(axis=-1),
    metrics.SparseCategoricalCrossentropy(ignore_class=1),
    metrics.MeanMetricWrapper(metrics.top_k_categorical_accuracy, name="top2", k=2),
    metrics.MeanMetricWrapper(losses.categorical_crossentropy, from_logits=True),
]


@pytest.mark.parametrize("metric", ALL_METRICS, ids=lambda m: m.name)
def test_serialization_round_trip(metric):
    envelope = metrics.serialize(metric)
    assert envelope["module"] == "keras.metrics" and envelope["registered_name"] is None
    clone = metrics.deserialize(envelope)
    assert type(clone) is type(metric) and clone.get_config() == metric.get_config()
    if not isinstance(metric, (metrics.Sum,)) and type(metric) is not metrics.Mean:
        y_true = LABELS if "sparse" in type(metric).__name__.lower() or "sparse" in metric.name else ONE_HOT
        assert clone(y_true, SCORES) == metric(y_true, SCORES)


def test_keras_configs_exactly():
    assert metrics.serialize(metrics.BinaryAccuracy()) == {
        "module": "keras.metrics",
        "class_name": "BinaryAccuracy",
        "config": {"name": "binary_accuracy", "dtype": "float32", "threshold": 0.5},
        "registered_name": None,
    }
    assert metrics.TopKCategoricalAccuracy().get_config() == {
        "name": "top_k_categorical_accuracy",
        "dtype": "float32",
        "k": 5,
    }
    assert metrics.Mean().get_config() == {"name": "mean", "dtype": "float32"}
    assert metrics.serialize(metrics.binary_accuracy)["config"] == "binary_accuracy"
    assert metrics.deserialize(metrics.serialize(metrics.binary_accuracy)) is metrics.binary_accuracy
    with pytest.raises(FileFormatError, match="Refusing to load a lambda"):
        metrics.deserialize({"class_name": "__lambda__", "config": {}})
    with pytest.raises(TypeError, match="Cannot serialize the metric function"):
        metrics.serialize(_unregistered_metric)
    assert metrics.serialize(lambda y_true, y_pred: y_pred)["class_name"] == "__lambda__"


def _unregistered_metric(y_true, y_pred):
    return y_pred
