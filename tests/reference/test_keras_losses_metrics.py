"""neuronio's losses and metrics against real Keras 3 (torch backend) on random data: loss values,
their gradients with respect to y_pred, running metric results over uneven batches, configs, and
the "accuracy" resolution. Skipped cleanly when keras or torch is absent."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
import torch  # noqa: E402
from keras.src.trainers import compile_utils  # noqa: E402

from neuronio import losses, metrics, ops  # noqa: E402
from neuronio.autodiff import GradientTape, Variable  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

# Both engines compute in float32 with the same formulas; they differ only in summation order and
# fused kernels (torch's log_softmax, nll_loss), a few float32 spacings of the values involved.
RTOL = 2e-5
ATOL = 2e-6
N, K = 9, 5


def _data(rng):
    logits = (rng.normal(size=(N, K)) * 3).astype(np.float32)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    probs[0, 0], probs[1] = 0.0, np.eye(K)[2]  # exact 0 and 1: Keras's clipping
    labels = rng.integers(0, K, N)
    return {
        "logits": logits,
        "probs": probs.astype(np.float32),
        "labels": labels,
        "one_hot": np.eye(K, dtype=np.float32)[labels],
        "binary": rng.integers(0, 2, (N, K)).astype(np.float32),
        "sigmoid": (1 / (1 + np.exp(-logits))).astype(np.float32),
        "targets": rng.uniform(0, 3, (N, K)).astype(np.float32),
        "outputs": rng.uniform(-0.5, 3, (N, K)).astype(np.float32),  # negatives: MSLE's epsilon
        "weights": rng.uniform(0, 2, N).astype(np.float32),
    }


# (neuronio loss, keras loss, y_true key, y_pred key, use sample_weight)
def _cases():
    cases = []
    for reduction in ("sum_over_batch_size", "sum", "mean_with_sample_weight", "none"):
        for weighted in (False, True):
            kw = {"reduction": reduction}
            cases += [
                ("CategoricalCrossentropy", kw, "one_hot", "probs", weighted),
                ("SparseCategoricalCrossentropy", kw, "labels", "probs", weighted),
                ("BinaryCrossentropy", kw, "binary", "sigmoid", weighted),
                ("MeanSquaredError", kw, "targets", "outputs", weighted),
                ("MeanAbsoluteError", kw, "targets", "outputs", weighted),
                ("MeanSquaredLogarithmicError", kw, "targets", "outputs", weighted),
            ]
    for from_logits in (False, True):
        y_pred = "logits" if from_logits else "probs"
        cases += [
            ("CategoricalCrossentropy", {"from_logits": from_logits, "label_smoothing": 0.1}, "one_hot", y_pred, True),
            ("SparseCategoricalCrossentropy", {"from_logits": from_logits}, "labels", y_pred, False),
            ("SparseCategoricalCrossentropy", {"from_logits": from_logits, "ignore_class": 2}, "labels", y_pred, False),
            ("BinaryCrossentropy", {"from_logits": from_logits, "label_smoothing": 0.2}, "binary",
             "logits" if from_logits else "sigmoid", True),
        ]  # fmt: skip
    return cases


def _keras_value_and_grad(loss, y_true, y_pred, weights):
    x = torch.tensor(y_pred, requires_grad=True)
    value = loss(torch.tensor(y_true), x, sample_weight=None if weights is None else torch.tensor(weights))
    value.sum().backward()
    return value.detach().numpy(), x.grad.numpy()


def _neuronio_value_and_grad(loss, y_true, y_pred, weights):
    x = Variable(y_pred)
    with GradientTape() as tape:
        value = loss(y_true, x, sample_weight=weights)
        total = value if value.ndim == 0 else value.sum()
    (dx,) = tape.gradient(total, [x])
    return value.numpy(), dx.numpy()


@pytest.mark.parametrize("class_name, kwargs, y_true_key, y_pred_key, weighted", _cases())
def test_loss_value_and_gradient_match_keras(rng, class_name, kwargs, y_true_key, y_pred_key, weighted):
    data = _data(rng)
    weights = data["weights"] if weighted else None
    ours = getattr(losses, class_name)(**kwargs)
    theirs = getattr(keras.losses, class_name)(**kwargs)
    value, grad = _neuronio_value_and_grad(ours, data[y_true_key], data[y_pred_key], weights)
    k_value, k_grad = _keras_value_and_grad(theirs, data[y_true_key], data[y_pred_key], weights)
    np.testing.assert_allclose(value, k_value, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(grad, k_grad, rtol=RTOL, atol=ATOL * np.abs(k_grad).max())
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize("name", ["mean_squared_error", "mean_absolute_error", "mean_squared_logarithmic_error"])
def test_loss_functions_match_keras_on_rank_mismatch(rng, name):
    # (N,) labels against (N, 1) predictions: Keras expands the labels.
    y, p = rng.uniform(0, 2, N).astype(np.float32), rng.uniform(0, 2, (N, 1)).astype(np.float32)
    ours = getattr(losses, name)(y, p).numpy()
    np.testing.assert_allclose(ours, getattr(keras.losses, name)(y, p).cpu().numpy(), rtol=RTOL, atol=ATOL)


def test_softmax_fast_path_matches_keras_clipped_value_and_gradient(rng):
    data = _data(rng)
    z = Variable(data["logits"])
    with GradientTape() as tape:
        ours = losses.SparseCategoricalCrossentropy()(data["labels"], ops.softmax(z))
    (dz,) = tape.gradient(ours, [z])
    zt = torch.tensor(data["logits"], requires_grad=True)
    theirs = keras.losses.SparseCategoricalCrossentropy()(torch.tensor(data["labels"]), torch.softmax(zt, -1))
    theirs.backward()
    # Logits scaled by 3 keep every softmax probability above 1e-7 here, so clipping is inactive.
    assert torch.softmax(zt, -1).min() > 1e-7
    np.testing.assert_allclose(float(ours), float(theirs.detach()), rtol=RTOL)
    np.testing.assert_allclose(dz.numpy(), zt.grad.numpy(), rtol=1e-4, atol=1e-7)


# -- metrics --------------------------------------------------------------------------------------------
METRIC_CASES = [
    ("BinaryAccuracy", {}, "binary", "sigmoid"),
    ("BinaryAccuracy", {"threshold": 0.3}, "binary", "sigmoid"),
    ("CategoricalAccuracy", {}, "one_hot", "probs"),
    ("SparseCategoricalAccuracy", {}, "labels", "probs"),
    ("TopKCategoricalAccuracy", {"k": 2}, "one_hot", "probs"),
    ("SparseTopKCategoricalAccuracy", {"k": 3}, "labels", "probs"),
    ("MeanSquaredError", {}, "targets", "outputs"),
    ("MeanAbsoluteError", {}, "targets", "outputs"),
    ("MeanSquaredLogarithmicError", {}, "targets", "outputs"),
    ("RootMeanSquaredError", {}, "targets", "outputs"),
    ("CategoricalCrossentropy", {"label_smoothing": 0.1}, "one_hot", "probs"),
    ("SparseCategoricalCrossentropy", {"from_logits": True}, "labels", "logits"),
    ("BinaryCrossentropy", {}, "binary", "sigmoid"),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("class_name, kwargs, y_true_key, y_pred_key", METRIC_CASES)
def test_metric_running_result_matches_keras(rng, class_name, kwargs, y_true_key, y_pred_key, weighted):
    data = _data(rng)
    ours = getattr(metrics, class_name)(**kwargs)
    theirs = getattr(keras.metrics, class_name)(**kwargs)
    for batch in (slice(0, 4), slice(4, 8), slice(8, 9)):  # uneven: 4, 4, 1
        weights = data["weights"][batch] if weighted else None
        y_true, y_pred = data[y_true_key][batch], data[y_pred_key][batch]
        ours.update_state(y_true, y_pred, sample_weight=weights)
        theirs.update_state(y_true, y_pred, sample_weight=weights)
        np.testing.assert_allclose(ours.result(), float(theirs.result()), rtol=RTOL, atol=ATOL)
    assert ours.get_config() == theirs.get_config()


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape",
    [((8, 1), (8, 1)), ((8,), (8, 1)), ((8,), (8, 10)), ((8, 1), (8, 10)), ((8, 10), (8, 10)), ((8, 3), (8, 3, 10))],
)
def test_accuracy_resolution_matches_keras_compile(y_true_shape, y_pred_shape):
    for name in ("accuracy", "acc"):
        theirs = compile_utils.get_metric(name, np.zeros(y_true_shape), np.zeros(y_pred_shape))
        ours = metrics.resolve(name, y_true_shape, y_pred_shape)
        assert type(ours).__name__ == type(theirs).__name__ and ours.name == theirs.name == name
    theirs = compile_utils.get_metric("mse", np.zeros(y_true_shape), np.zeros(y_pred_shape))
    assert metrics.resolve("mse", y_true_shape, y_pred_shape).name == theirs.name == "mse"


def test_loss_envelopes_load_in_keras():
    for loss in (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), losses.BinaryCrossentropy()):
        restored = keras.losses.deserialize(losses.serialize(loss))
        assert restored.get_config() == loss.get_config()
    keras_cce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ours = losses.deserialize(keras.losses.serialize(keras_cce))
    assert ours.get_config() == keras_cce.get_config()
    assert metrics.deserialize(keras.metrics.serialize(keras.metrics.BinaryAccuracy(threshold=0.3))).threshold == 0.3
