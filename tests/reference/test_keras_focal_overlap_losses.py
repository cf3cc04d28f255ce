"""Keras 3's focal, generalized cross-entropy, Dice, Tversky, Circle and CTC losses against real
Keras (torch backend): values and gradients under each reduction, weighted and not, the function
forms, configs, string names, and compiled models in `.keras` files both ways."""

import numpy as np
import pytest

import neuronio
from neuronio import losses
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

from tests.reference.test_keras_losses_metrics import _keras_value_and_grad, _neuronio_value_and_grad  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RTOL, ATOL = 2e-5, 2e-6
N, K = 6, 4


def _data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, K, N)
    scores = rng.normal(0, 1.5, (N, K)).astype("float32")
    embeddings = rng.normal(size=(N, 3))
    return {
        "probs": rng.dirichlet(np.ones(K), N).astype("float32"),
        "one_hot": np.eye(K, dtype="float32")[labels],
        "labels": labels,
        "binary": rng.integers(0, 2, (N, K)).astype("float32"),
        "scores": scores,
        "sigmoid": (1 / (1 + np.exp(-scores))).astype("float32"),
        "masks": rng.integers(0, 2, (N, 5, 5, 1)).astype("float32"),
        "mask_probs": rng.uniform(0.01, 0.99, (N, 5, 5, 1)).astype("float32"),
        "embeddings": (embeddings / np.linalg.norm(embeddings, axis=1, keepdims=True)).astype("float32"),
        "classes": np.array([0, 1, 0, 1, 2, 0]),
        "lonely": np.array([0, 1, 2, 3, 4, 0]),  # four embeddings without a positive pair: masked
        "ctc_labels": np.array([[1, 2, 2], [3, 0, 0], [1, 1, 0], [2, 3, 1], [3, 0, 0], [1, 0, 0]]),
        "ctc_logits": rng.normal(size=(N, 7, K)).astype("float32"),
        "weights": rng.uniform(0, 2, N).astype("float32"),
    }


DATA = _data()
LOSSES = [
    ("BinaryFocalCrossentropy", {}, "binary", "sigmoid"),
    ("BinaryFocalCrossentropy", {"apply_class_balancing": True, "gamma": 1.5, "label_smoothing": 0.1}, "binary",
     "sigmoid"),
    ("BinaryFocalCrossentropy", {"from_logits": True, "alpha": 0.6, "apply_class_balancing": True}, "binary", "scores"),
    ("CategoricalFocalCrossentropy", {}, "one_hot", "probs"),
    ("CategoricalFocalCrossentropy", {"from_logits": True, "label_smoothing": 0.2, "alpha": 0.5, "gamma": 3.0},
     "one_hot", "scores"),
    ("CategoricalGeneralizedCrossEntropy", {}, "labels", "probs"),
    ("CategoricalGeneralizedCrossEntropy", {"q": 0.8}, "labels", "probs"),
    ("Dice", {}, "masks", "mask_probs"),
    ("Dice", {"axis": (1, 2, 3)}, "masks", "mask_probs"),
    ("Tversky", {"alpha": 0.3, "beta": 0.7}, "masks", "mask_probs"),
    ("Tversky", {"axis": (1, 2, 3), "alpha": 0.7, "beta": 0.2}, "masks", "mask_probs"),
    ("Circle", {}, "classes", "embeddings"),
    ("Circle", {"gamma": 4.0, "margin": 0.25, "remove_diagonal": False}, "classes", "embeddings"),
    ("Circle", {}, "lonely", "embeddings"),
    ("CTC", {}, "ctc_labels", "ctc_logits"),
]  # fmt: skip


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", "none"])
@pytest.mark.parametrize(("class_name", "kwargs", "true_key", "pred_key"), LOSSES, ids=lambda v: str(v))
def test_value_and_gradient_match_keras(class_name, kwargs, true_key, pred_key, reduction):
    for weights in (None, DATA["weights"]):
        ours = getattr(losses, class_name)(reduction=reduction, **kwargs)
        theirs = getattr(keras.losses, class_name)(reduction=reduction, **kwargs)
        value, grad = _neuronio_value_and_grad(ours, DATA[true_key], DATA[pred_key], weights)
        k_value, k_grad = _keras_value_and_grad(theirs, DATA[true_key], DATA[pred_key], weights)
        np.testing.assert_allclose(value, k_value, rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(grad, k_grad, rtol=RTOL, atol=ATOL * max(np.abs(k_grad).max(), 1))


@pytest.mark.parametrize(("class_name", "kwargs", "true_key", "pred_key"), LOSSES, ids=lambda v: str(v))
def test_configs_are_keras_configs_both_ways(class_name, kwargs, true_key, pred_key):
    ours, theirs = getattr(losses, class_name)(**kwargs), getattr(keras.losses, class_name)(**kwargs)
    assert ours.get_config() == theirs.get_config()
    # Keras's own losses.deserialize misses CategoricalGeneralizedCrossEntropy; its file loader does not.
    assert keras.saving.deserialize_keras_object(losses.serialize(ours)).get_config() == theirs.get_config()
    assert losses.deserialize(keras.losses.serialize(theirs)).get_config() == ours.get_config()


FUNCTIONS = [
    ("binary_focal_crossentropy", {"gamma": 1.0}, "binary", "sigmoid"),
    ("categorical_focal_crossentropy", {"alpha": 1.0}, "one_hot", "probs"),
    ("categorical_generalized_cross_entropy", {"q": 0.3}, "labels", "probs"),
    ("dice", {"axis": (1, 2)}, "masks", "mask_probs"),
    ("tversky", {"alpha": 0.2, "beta": 0.8}, "masks", "mask_probs"),
    ("circle", {"gamma": 10}, "classes", "embeddings"),
    ("circle", {"ref_labels": np.array([2, 0, 1]), "ref_embeddings": np.eye(3, dtype="float32")}, "classes",
     "embeddings"),
    ("ctc", {}, "ctc_labels", "ctc_logits"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kwargs", "true_key", "pred_key"), FUNCTIONS, ids=lambda v: str(v)[:40])
def test_function_forms_match_keras(name, kwargs, true_key, pred_key):
    ours = getattr(losses, name)(DATA[true_key], DATA[pred_key], **kwargs).numpy()
    k_kwargs = {k: keras.ops.convert_to_tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    theirs = keras.ops.convert_to_numpy(
        getattr(keras.losses, name)(
            keras.ops.convert_to_tensor(DATA[true_key]), keras.ops.convert_to_tensor(DATA[pred_key]), **k_kwargs
        )
    )
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", ["binary_focal_crossentropy", "categorical_focal_crossentropy", "circle", "ctc",
                                  "dice", "tversky"])  # fmt: skip
def test_string_names_resolve_as_in_keras(name):
    assert losses.get(name).__name__ == keras.losses.get(name).__name__
    assert losses.serialize(losses.get(name)) == keras.losses.serialize(keras.losses.get(name))


# (loss for a library, input shape, output units, x, y): each compiled, fitted, saved and loaded.
COMPILED = {
    "focal": (lambda lib: lib.losses.BinaryFocalCrossentropy(gamma=1.5, apply_class_balancing=True), (3,), 2,
              DATA["scores"][:, :3], DATA["binary"][:, :2]),
    "tversky": (lambda lib: lib.losses.Tversky(alpha=0.2, beta=0.8, axis=(1,)), (3,), 2, DATA["scores"][:, :3],
                DATA["binary"][:, :2]),
    "dice_by_name": (lambda lib: "dice", (3,), 2, DATA["scores"][:, :3], DATA["binary"][:, :2]),
    "generalized": (lambda lib: lib.losses.CategoricalGeneralizedCrossEntropy(q=0.7), (3,), 2, DATA["scores"][:, :3],
                    DATA["labels"] % 2),
    "circle": (lambda lib: lib.losses.Circle(gamma=8.0), (3,), 3, DATA["scores"][:, :3], DATA["classes"]),
    "ctc_by_name": (lambda lib: "ctc", (7, 4), 4, DATA["ctc_logits"], DATA["ctc_labels"]),
}  # fmt: skip


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
@pytest.mark.parametrize("case", sorted(COMPILED))
def test_compiled_losses_cross_in_keras_files(tmp_path, direction, case):
    make, shape, units, x, y = COMPILED[case]
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    activation = "sigmoid" if case in ("focal", "tversky", "dice_by_name") else "softmax"
    activation = None if case in ("circle", "ctc_by_name") else activation
    model = source.models.Sequential([source.layers.Input(shape), source.layers.Dense(units, activation=activation)])
    model.compile(optimizer="sgd", loss=make(source))
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), rtol=1e-5)
