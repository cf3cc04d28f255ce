"""Losses: Keras's formulas (NumPy references), reductions, gradients, fast path, errors, registry."""

import warnings

import numpy as np
import pytest

from neuronio import losses, ops
from neuronio.autodiff import GradientTape, Tensor, Variable, check_gradients
from neuronio.errors import FileFormatError, ShapeError, UnknownNameError
from tests.helpers import FORWARD_ATOL, FORWARD_RTOL

EPS = 1e-7


# -- NumPy references of Keras's formulas (float64, clipping at the prediction's precision) -------
def _clip(p):
    # Keras clips in the prediction's dtype: in float32, 1 - 1e-7 rounds to 0.99999988.
    dtype = p.dtype if p.dtype == np.float32 else np.float64
    return np.clip(p, dtype.type(EPS), dtype.type(1 - EPS)).astype(np.float64)


def _log_softmax(z, axis=-1):
    z = z.astype(np.float64)
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ref_categorical(y, p, from_logits=False, label_smoothing=0.0, axis=-1):
    y = y * (1 - label_smoothing) + label_smoothing / p.shape[axis]
    log_p = _log_softmax(p, axis) if from_logits else np.log(_clip(p / p.sum(axis=axis, keepdims=True)))
    return -(y * log_p).sum(axis=axis)


def ref_sparse(labels, p, from_logits=False):
    one_hot = np.eye(p.shape[-1])[labels]
    return ref_categorical(one_hot, p, from_logits)


def ref_binary(y, p, from_logits=False, label_smoothing=0.0):
    y = y * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        z = p.astype(np.float64)
        elementwise = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    else:
        q = _clip(p)
        elementwise = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    return elementwise.mean(axis=-1)


def ref_msle(y, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(y, EPS) + 1)) ** 2, axis=-1)


def _probabilities(rng, shape, with_extremes=True):
    z = rng.normal(size=shape) * 2
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    if with_extremes:  # exact 0 and 1 exercise Keras's clipping
        p[0] = 0.0
        p[0, 0] = 1.0
    return p.astype(np.float32)


def _close(got, expected):
    np.testing.assert_allclose(np.asarray(got), expected, rtol=FORWARD_RTOL, atol=FORWARD_ATOL)


# -- forward values against the references ---------------------------------------------------------
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_crossentropy_matches_keras_formula(rng, from_logits, label_smoothing):
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 6)]
    p = rng.normal(size=(6, 5)).astype(np.float32) if from_logits else _probabilities(rng, (6, 5))
    got = losses.categorical_crossentropy(y, p, from_logits=from_logits, label_smoothing=label_smoothing)
    assert got.shape == (6,) and got.dtype == np.float32
    _close(got.numpy(), ref_categorical(y, p, from_logits, label_smoothing))


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy_matches_keras_formula(rng, from_logits):
    labels = rng.integers(0, 4, 8)
    p = rng.normal(size=(8, 4)).astype(np.float32) if from_logits else _probabilities(rng, (8, 4))
    got = losses.sparse_categorical_crossentropy(labels, p, from_logits=from_logits)
    assert got.shape == (8,) and got.dtype == np.float32
    _close(got.numpy(), ref_sparse(labels, p, from_logits))
    # (N, 1) float labels, as Keras users often pass them, give the same.
    _close(losses.sparse_categorical_crossentropy(labels[:, None].astype(np.float32), p, from_logits).numpy(),
           ref_sparse(labels, p, from_logits))  # fmt: skip


@pytest.mark.parametrize("label_smoothing", [0.0, 0.3])
@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_crossentropy_matches_keras_formula(rng, from_logits, label_smoothing):
    y = rng.integers(0, 2, (6, 3)).astype(np.float32)
    p = rng.normal(size=(6, 3)).astype(np.float32)
    if not from_logits:
        p = 1 / (1 + np.exp(-p))
        p[0] = [0.0, 1.0, 1.0]
    got = losses.binary_crossentropy(y, p, from_logits=from_logits, label_smoothing=label_smoothing)
    assert got.shape == (6,) and got.dtype == np.float32
    _close(got.numpy(), ref_binary(y, p, from_logits, label_smoothing))


def test_regression_losses_match_keras_formulas(rng):
    y = rng.uniform(0, 3, (5, 4)).astype(np.float32)
    p = rng.uniform(-1, 3, (5, 4)).astype(np.float32)  # negatives: MSLE counts them as epsilon
    _close(losses.mean_squared_error(y, p).numpy(), np.mean((y - p) ** 2, axis=-1))
    _close(losses.mean_absolute_error(y, p).numpy(), np.mean(np.abs(y - p), axis=-1))
    _close(losses.mean_squared_logarithmic_error(y, p).numpy(), ref_msle(y, p))
    _close(losses.root_mean_squared_error(y, p).numpy(), np.sqrt(np.mean((y - p) ** 2, axis=-1)))
    _close(losses.root_mean_squared_logarithmic_error(y, p).numpy(), np.sqrt(ref_msle(y, p)))


def test_keras_documented_examples():
    # Values printed in Keras's docstrings (losses.py).
    cce = losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(cce.numpy(), [0.0513, 2.303], atol=5e-4)
    sparse = losses.sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(sparse.numpy(), [0.0513, 2.303], atol=5e-4)
    bce = losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(bce.numpy(), [0.916, 0.714], atol=5e-4)
    assert float(losses.MeanSquaredError()([1.0, 0.0, 1.0], [0.9, 0.1, 0.8])) == pytest.approx(0.02, abs=1e-7)
    assert float(losses.MeanAbsoluteError()([1.0, 0.3, 1.0], [1.9, 0.3, 1.8])) == pytest.approx(0.5666667, abs=1e-6)


def test_clipping_caps_a_certain_wrong_prediction():
    # p = 1 for the wrong class: Keras clips to 1 - 1e-7 in float32 (= 0.99999988), so the loss is
    # -log(1.1920929e-07) = 15.942385, not infinity; and p = 0 for the right class costs -log(1e-7).
    bce = losses.binary_crossentropy(np.array([[0.0]], np.float32), np.array([[1.0]], np.float32))
    assert float(bce.numpy()[0]) == pytest.approx(-np.log(1 - np.float32(1 - 1e-7)), rel=1e-6)
    cce = losses.categorical_crossentropy(np.array([[1.0, 0.0]], np.float32), np.array([[0.0, 1.0]], np.float32))
    assert float(cce.numpy()[0]) == pytest.approx(-np.log(np.float32(1e-7)), rel=1e-6)


def test_categorical_rescales_predictions_to_sum_one():
    y = np.array([[0.0, 1.0]], np.float32)
    assert float(losses.categorical_crossentropy(y, np.array([[1.0, 3.0]], np.float32)).numpy()[0]) == pytest.approx(
        -np.log(0.75)
    )


def test_categorical_over_another_axis(rng):
    y = np.moveaxis(np.eye(3, dtype=np.float32)[rng.integers(0, 3, (2, 4))], -1, 1)  # (2, 3, 4)
    z = rng.normal(size=(2, 3, 4)).astype(np.float32)
    _close(losses.categorical_crossentropy(y, z, from_logits=True, axis=1).numpy(), ref_categorical(y, z, True, axis=1))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    _close(losses.categorical_crossentropy(y, p, axis=1).numpy(), ref_categorical(y, p, axis=1))
    labels = np.argmax(y, axis=1)
    _close(losses.sparse_categorical_crossentropy(labels, z, from_logits=True, axis=1).numpy(),
           ref_categorical(y, z, True, axis=1))  # fmt: skip


def test_float64_stays_float64_and_integer_labels_are_accepted(rng):
    p = _probabilities(rng, (4, 3), with_extremes=False).astype(np.float64)
    assert losses.categorical_crossentropy(np.eye(3, dtype=np.int64)[[0, 1, 2, 0]], p).dtype == np.float64
    assert losses.binary_crossentropy(np.array([[1], [0], [1], [1]]), p[:, :1]).dtype == np.float64
    assert losses.sparse_categorical_crossentropy(np.array([0, 1, 2, 0], np.uint8), p).dtype == np.float64


def test_rank_one_labels_against_one_unit_predictions():
    # Keras's squeeze_or_expand_to_same_rank: (N,) labels and (N, 1) predictions are one column.
    y = np.array([1.0, 0.0, 1.0], np.float32)
    p = np.array([[0.8], [0.3], [0.6]], np.float32)
    _close(losses.binary_crossentropy(y, p).numpy(), ref_binary(y[:, None], p))
    _close(losses.mean_squared_error(y, p).numpy(), (y - p[:, 0]) ** 2)


# -- reductions and sample weights -------------------------------------------------------------------
PER_SAMPLE = np.array([1.0, 2.0, 3.0, 6.0], np.float32)
WEIGHTS = np.array([1.0, 0.5, 0.0, 2.0], np.float32)


@pytest.mark.parametrize(
    "reduction, weights, expected",
    [
        ("sum_over_batch_size", None, 3.0),
        ("sum_over_batch_size", WEIGHTS, (1 + 1 + 0 + 12) / 4),  # Keras divides by the count, not sum(w)
        ("mean", WEIGHTS, 14 / 4),
        ("sum", WEIGHTS, 14.0),
        ("mean_with_sample_weight", WEIGHTS, 14 / 3.5),
        ("mean_with_sample_weight", None, 3.0),
        ("none", WEIGHTS, [1.0, 1.0, 0.0, 12.0]),
        (None, None, PER_SAMPLE),
    ],
)
def test_reductions(reduction, weights, expected):
    # MSE against zeros of one-column predictions sqrt(v) gives per-sample losses v.
    y_pred = np.sqrt(PER_SAMPLE)[:, None]
    got = losses.MeanSquaredError(reduction=reduction)(np.zeros((4, 1), np.float32), y_pred, sample_weight=weights)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6)


def test_sample_weight_of_shape_n_by_one_and_bad_shape():
    loss = losses.MeanSquaredError(reduction="sum")
    y_pred = np.sqrt(PER_SAMPLE)[:, None]
    assert float(loss(np.zeros((4, 1)), y_pred, sample_weight=WEIGHTS[:, None])) == pytest.approx(14.0)
    with pytest.raises(ShapeError, match=r"sample_weight of shape \(3,\) does not fit .* \(4,\)"):
        loss(np.zeros((4, 1)), y_pred, sample_weight=np.ones(3))


def test_empty_and_zero_weight_batches_give_zero():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert float(loss(np.zeros((2, 1)), np.ones((2, 1), np.float32), sample_weight=np.zeros(2))) == 0.0


def test_ignore_class_is_left_out_of_the_mean(rng):
    labels = np.array([0, 2, 1, 2, 3])
    z = rng.normal(size=(5, 4)).astype(np.float32)
    per_sample = ref_sparse(np.where(labels == 2, 0, labels), z, from_logits=True)
    valid = labels != 2
    got = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)(labels, z)
    assert float(got) == pytest.approx(per_sample[valid].mean(), rel=1e-6)
    # Ignored labels may lie outside [0, K), as Keras's "void" classes (-1, 255) do.
    labels_void = np.where(valid, labels, 255)
    got_void = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255, reduction="none")(
        labels_void, z
    )
    np.testing.assert_allclose(got_void.numpy(), np.where(valid, per_sample, 0), rtol=1e-6)


# -- the deck's root losses -------------------------------------------------------------------------
def test_rmsle_takes_the_root_after_the_batch_mean():
    actual = np.array([[0.0], [1.0], [3.0]], np.float32)
    predicted = np.array([[1.0], [1.0], [1.0]], np.float32)
    # The deck: sqrt(1/n sum (log(p + 1) - log(a + 1))^2).
    deck = np.sqrt(np.mean((np.log(predicted + 1) - np.log(np.maximum(actual, EPS) + 1)) ** 2))
    assert float(losses.RootMeanSquaredLogarithmicError()(actual, predicted)) == pytest.approx(deck, rel=1e-6)
    assert float(losses.get("rmsle")(actual, predicted)) == pytest.approx(deck, rel=1e-6)
    per_sample = losses.RootMeanSquaredLogarithmicError(reduction="none")(actual, predicted).numpy()
    _close(per_sample, np.abs(np.log(2) - np.log(np.maximum(actual[:, 0], EPS) + 1)))
    rmse = losses.RootMeanSquaredError()(actual, predicted)
    assert float(rmse) == pytest.approx(np.sqrt(np.mean((actual - predicted) ** 2)), rel=1e-6)


def test_root_loss_gradient_is_zero_at_a_perfect_fit():
    y = Variable(np.ones((3, 1), np.float32))
    with GradientTape() as tape:
        loss = losses.RootMeanSquaredError()(np.ones((3, 1)), y)
    (dy,) = tape.gradient(loss, [y])
    assert float(loss) == 0.0
    np.testing.assert_array_equal(dy.numpy(), np.zeros((3, 1)))


# -- gradients (float64 central differences) -------------------------------------------------------
def _fixed_labels(rng):
    one_hot = np.eye(4)[rng.integers(0, 4, 3)]
    return one_hot, one_hot.argmax(-1), rng.integers(0, 2, (3, 4)).astype(np.float64), rng.uniform(0, 2, (3, 4))


def _gradient_cases(rng):
    one_hot, labels, binary, targets = _fixed_labels(rng)
    probs = rng.uniform(0.1, 0.9, (3, 4))
    logits = rng.normal(size=(3, 4))
    positive = rng.uniform(0.2, 2.5, (3, 4))
    return [
        ("categorical", lambda p: losses.categorical_crossentropy(one_hot, p, label_smoothing=0.1), probs),
        ("categorical_logits", lambda z: losses.categorical_crossentropy(one_hot, z, from_logits=True), logits),
        ("sparse", lambda p: losses.sparse_categorical_crossentropy(labels, p), probs),
        ("sparse_logits", lambda z: losses.sparse_categorical_crossentropy(labels, z, from_logits=True), logits),
        ("binary", lambda p: losses.binary_crossentropy(binary, p, label_smoothing=0.2), probs),
        ("binary_logits", lambda z: losses.binary_crossentropy(binary, z, from_logits=True), logits),
        ("mse", lambda p: losses.mean_squared_error(targets, p), logits),
        ("mae", lambda p: losses.mean_absolute_error(targets + 0.05, p), positive),
        ("msle", lambda p: losses.mean_squared_logarithmic_error(targets, p), positive),
        ("rmse_fn", lambda p: losses.root_mean_squared_error(targets, p), logits),
        ("rmsle_fn", lambda p: losses.root_mean_squared_logarithmic_error(targets, p), positive),
        ("RMSLE", lambda p: losses.RootMeanSquaredLogarithmicError()(targets, p), positive),
        ("RMSE_sum", lambda p: losses.RootMeanSquaredError(reduction="sum")(targets, p, sample_weight=[1, 2, 0.5]), logits),
        ("CCE_weighted", lambda p: losses.CategoricalCrossentropy()(one_hot, p, sample_weight=[0.5, 1, 2]), probs),
        ("SCCE_ignore", lambda z: losses.SparseCategoricalCrossentropy(True, ignore_class=int(labels[0]))(labels, z), logits),
        ("softmax_fast_path", lambda z: losses.categorical_crossentropy(one_hot, ops.softmax(z)), logits),
        ("sparse_softmax_fast_path", lambda z: losses.sparse_categorical_crossentropy(labels, ops.softmax(z)), logits),
        ("sigmoid_fast_path", lambda z: losses.binary_crossentropy(binary, ops.sigmoid(z)), logits),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "fn, x", [pytest.param(fn, x, id=name) for name, fn, x in _gradient_cases(np.random.default_rng(0))]
)
def test_gradient(fn, x):
    # Probabilities in [0.1, 0.9] keep clipping out of the way; MAE's kink at y_pred == y_true
    # is avoided by offsetting its targets; the fast-path cases compare the fused op's gradient
    # with differences of the clipped path (numeric evaluation does not record).
    check_gradients(fn, [x], mode="full")


def test_gradient_flows_to_y_pred_only():
    y_true = Variable(np.array([[0.0, 1.0]], np.float32))
    y_pred = Variable(np.array([[0.3, 0.7]], np.float32))
    with GradientTape() as tape:
        loss = losses.CategoricalCrossentropy()(y_true, y_pred)
    dtrue, dpred = tape.gradient(loss, [y_true, y_pred])
    assert dtrue is None
    # Through Keras's rescaling p / sum(p): d/dp0 = 1 / sum(p), d/dp1 = 1 / sum(p) - 1 / p1.
    np.testing.assert_allclose(dpred.numpy(), [[1.0, 1 - 1 / 0.7]], rtol=1e-6)


# -- the softmax/sigmoid fast path --------------------------------------------------------------------
@pytest.mark.parametrize(
    "loss, activation, fused_op, labels",
    [
        (losses.categorical_crossentropy, ops.softmax, "SoftmaxCrossEntropyOp", np.eye(5, dtype=np.float32)[[0, 3, 4, 1]]),
        (losses.sparse_categorical_crossentropy, ops.softmax, "SparseSoftmaxCrossEntropyOp", np.array([0, 3, 4, 1])),
        (losses.binary_crossentropy, ops.sigmoid, "SigmoidCrossEntropyOp", np.array([[1, 0, 0, 1, 1]] * 4, np.float32)),
    ],
)  # fmt: skip
def test_fast_path_uses_the_fused_op_and_equals_the_clipped_path(rng, loss, activation, fused_op, labels):
    z = Variable(rng.normal(size=(4, 5)).astype(np.float32))
    with GradientTape() as tape:
        fast = loss(labels, activation(z))
    assert fused_op in _ops_in_graph(fast)
    clipped = loss(labels, activation(z).numpy())  # a plain array has no history: the clipped path
    _close(fast.numpy(), clipped.numpy())
    (dz,) = tape.gradient(fast, [z])
    assert np.isfinite(dz.numpy()).all()


def _ops_in_graph(t: Tensor) -> set[str]:
    seen, stack = set(), [t]
    while stack:
        node = stack.pop().node
        if node is not None:
            seen.add(type(node).__name__)
            stack.extend(node.inputs)
    return seen


def test_fast_path_keeps_saturated_predictions_exact():
    # softmax([30, 0]) gives p(class 1) = 9e-14: clipping would cap the loss at 16.12, the logits
    # give the exact 30.0, and the gradient softmax(z) - y stays finite.
    z = Variable(np.array([[30.0, 0.0]], np.float32))
    with GradientTape() as tape:
        loss = losses.sparse_categorical_crossentropy([1], ops.softmax(z))
    assert float(loss.numpy()[0]) == pytest.approx(30.0, rel=1e-6)
    np.testing.assert_allclose(tape.gradient(loss, [z])[0].numpy(), [[1.0, -1.0]], atol=1e-6)
    clipped = losses.sparse_categorical_crossentropy([1], ops.softmax(z.numpy()))
    assert float(clipped.numpy()[0]) == pytest.approx(-np.log(1e-7), rel=1e-5)


def test_fast_path_needs_a_softmax_over_the_loss_axis(rng):
    z = Variable(rng.normal(size=(3, 4)).astype(np.float32))
    with GradientTape():
        loss = losses.categorical_crossentropy(np.eye(4)[[0, 1, 2]], ops.softmax(z, axis=0))
    assert "SoftmaxCrossEntropyOp" not in _ops_in_graph(loss)


def test_from_logits_on_softmax_output_warns(rng):
    z = Variable(rng.normal(size=(2, 3)).astype(np.float32))
    with GradientTape(), pytest.warns(UserWarning, match="produced by a softmax"):
        losses.categorical_crossentropy(np.eye(3)[[0, 1]], ops.softmax(z), from_logits=True)
    with GradientTape(), pytest.warns(UserWarning, match="produced by a sigmoid"):
        losses.binary_crossentropy(np.ones((2, 3)), ops.sigmoid(z), from_logits=True)


# -- errors ------------------------------------------------------------------------------------------
def test_shape_mismatch_names_both_shapes():
    with pytest.raises(
        ShapeError, match=r"mean_squared_error: y_true and y_pred .* y_true.shape=\(4, 2\) and y_pred.shape=\(4, 3\)"
    ):
        losses.mean_squared_error(np.zeros((4, 2)), np.zeros((4, 3), np.float32))
    with pytest.raises(ShapeError, match=r"binary_crossentropy: .*\(8,\) .*\(8, 3\).* sparse_categorical_crossentropy"):
        losses.binary_crossentropy(np.zeros(8), np.full((8, 3), 0.5, np.float32))  # fmt: skip


def test_categorical_given_integer_labels():
    with pytest.raises(
        ShapeError,
        match=r"y_true.shape=\(32,\), which looks like integer class ids\. Use sparse_categorical_crossentropy .*to_categorical\(y, 10\)",
    ):
        losses.categorical_crossentropy(np.zeros(32), np.full((32, 10), 0.1, np.float32))
    with pytest.raises(ShapeError, match=r"y_true.shape=\(32, 1\).*sparse_categorical_crossentropy"):
        losses.CategoricalCrossentropy()(np.zeros((32, 1)), np.full((32, 10), 0.1, np.float32))  # fmt: skip


def test_sparse_given_one_hot_labels():
    with pytest.raises(
        ShapeError,
        match=r"integer class ids of shape \(4,\), but received y_true.shape=\(4, 3\).*one-hot labels\. Use categorical_crossentropy",
    ):
        losses.sparse_categorical_crossentropy(np.eye(3)[[0, 1, 2, 0]], np.full((4, 3), 1 / 3, np.float32))  # fmt: skip


def test_sparse_labels_out_of_range_or_fractional():
    p = np.full((3, 10), 0.1, np.float32)
    with pytest.raises(ValueError, match=r"class ids in \[0, 10\) .* received the label 10\b"):
        losses.sparse_categorical_crossentropy([1, 10, 2], p)
    with pytest.raises(ValueError, match=r"\[0, 10\) .* label -1\b"):
        losses.sparse_categorical_crossentropy([1, -1, 2], p, from_logits=True)
    with pytest.raises(ValueError, match=r"expects integer class ids; received the label 1\.5"):
        losses.sparse_categorical_crossentropy(np.array([1.5, 0, 2]), p)


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"Invalid value for argument `reduction`.* received reduction='avg'"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match=r"`label_smoothing` must be in \[0, 1\]; received label_smoothing=1\.5"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"`axis` must be an int in \[-2, 2\); received axis=2"):
        losses.categorical_crossentropy(np.eye(2), np.eye(2, dtype=np.float32), axis=2)
    with pytest.raises(TypeError, match="needs a callable fn"):
        losses.LossFunctionWrapper(3)


def test_one_class_categorical_warns():
    with pytest.warns(UserWarning, match=r"y_pred.shape=\(2, 1\).*binary_crossentropy"):
        losses.categorical_crossentropy(np.ones((2, 1)), np.ones((2, 1), np.float32))


# -- registry, get, resolve, serialization ----------------------------------------------------------
@pytest.mark.parametrize(
    "name, expected",
    [
        ("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
        ("mean_squared_error", losses.mean_squared_error), ("mae", losses.mean_absolute_error),
        ("msle", losses.mean_squared_logarithmic_error), ("bce", losses.binary_crossentropy),
        ("binary_crossentropy", losses.binary_crossentropy),
        ("categorical_crossentropy", losses.categorical_crossentropy),
        ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
    ],
)  # fmt: skip
def test_get_names_give_keras_functions(name, expected):
    assert losses.get(name) is expected


@pytest.mark.parametrize(
    "name, cls",
    [
        ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
        ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
        ("BinaryCrossentropy", losses.BinaryCrossentropy), ("MeanSquaredError", losses.MeanSquaredError),
        ("MeanAbsoluteError", losses.MeanAbsoluteError), ("MeanSquaredLogarithmicError", losses.MeanSquaredLogarithmicError),
        ("rmsle", losses.RootMeanSquaredLogarithmicError), ("RMSLE", losses.RootMeanSquaredLogarithmicError),
        ("root_mean_squared_logarithmic_error", losses.RootMeanSquaredLogarithmicError),
        ("rmse", losses.RootMeanSquaredError), ("root_mean_squared_error", losses.RootMeanSquaredError),
    ],
)  # fmt: skip
def test_get_class_names_give_instances(name, cls):
    assert type(losses.get(name)) is cls


def test_get_other_identifiers():
    assert losses.get(None) is None
    assert type(losses.get(losses.BinaryCrossentropy)) is losses.BinaryCrossentropy
    instance = losses.MeanSquaredError()
    assert losses.get(instance) is instance

    def custom(y_true, y_pred):
        return ops.mean(y_pred, axis=-1)

    assert losses.get(custom) is custom
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits
    with pytest.raises(TypeError, match="Cannot interpret 3 as a loss"):
        losses.get(3)


def test_unknown_name_lists_valid_names():
    with pytest.raises(
        UnknownNameError,
        match=r"Unknown loss 'categorical_crossentropyy'\. Did you mean 'categorical_crossentropy'.*Valid names: .*binary_crossentropy.*mse",
    ):
        losses.get("categorical_crossentropyy")  # fmt: skip


ALL_CLASSES = [
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1, reduction="sum", name="cce"),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3),
    losses.SparseCategoricalCrossentropy(axis=1),
    losses.BinaryCrossentropy(label_smoothing=0.2, reduction=None),
    losses.MeanSquaredError(),
    losses.MeanAbsoluteError(reduction="mean_with_sample_weight"),
    losses.MeanSquaredLogarithmicError(),
    losses.RootMeanSquaredError(),
    losses.RootMeanSquaredLogarithmicError(name="rmsle"),
    losses.LossFunctionWrapper(losses.binary_crossentropy, name="wrapped", from_logits=True),
]


@pytest.mark.parametrize("loss", ALL_CLASSES, ids=lambda loss: type(loss).__name__)
def test_serialization_round_trip(rng, loss):
    envelope = losses.serialize(loss)
    assert set(envelope) == {"module", "class_name", "config", "registered_name"}
    clone = losses.deserialize(envelope)
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()
    assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()
    y, p = np.eye(3, dtype=np.float32)[[0, 1, 2, 1]], _probabilities(rng, (4, 3), with_extremes=False)
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        y = y.argmax(-1)  # axis=1 of a (4, 3) prediction is its class axis too
    np.testing.assert_array_equal(clone(y, p).numpy(), loss(y, p).numpy())


def test_keras_envelopes_exactly():
    assert losses.serialize(losses.CategoricalCrossentropy(from_logits=True)) == {
        "module": "keras.losses",
        "class_name": "CategoricalCrossentropy",
        "config": {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": True,
                   "label_smoothing": 0.0, "axis": -1},
        "registered_name": None,
    }  # fmt: skip
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": False,
        "ignore_class": None,
    }  # fmt: skip
    assert losses.serialize(losses.categorical_crossentropy) == {
        "module": "builtins", "class_name": "function", "config": "categorical_crossentropy", "registered_name": "function",
    }  # fmt: skip
    assert losses.deserialize(losses.serialize(losses.mean_squared_error)) is losses.mean_squared_error
    assert (
        losses.serialize(losses.RootMeanSquaredLogarithmicError())["registered_name"]
        == "neuronio>RootMeanSquaredLogarithmicError"
    )
    assert losses.deserialize("mse") is losses.mean_squared_error


def test_deserialize_refuses_lambdas_and_garbage():
    with pytest.raises(FileFormatError, match="Refusing to load a lambda"):
        losses.deserialize({"class_name": "__lambda__", "config": {"value": "..."}})
    with pytest.raises(FileFormatError, match="must be a name or a dict with 'class_name'"):
        losses.deserialize([1, 2])
    with pytest.raises(TypeError, match="only registered losses can be saved"):
        losses.serialize(_unregistered_loss)
    # A lambda is saved as Keras saves it (its bytecode); loading it needs safe_mode=False.
    assert losses.serialize(lambda y_true, y_pred: y_pred)["class_name"] == "__lambda__"


def _unregistered_loss(y_true, y_pred):
    return y_pred


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((8, 1), (8, 1), losses.binary_crossentropy),
        ((8,), (8,), losses.binary_crossentropy),  # one score per sample (Keras 3 says categorical)
        ((8,), (8, 1), losses.binary_crossentropy),
        ((8,), (8, 10), losses.sparse_categorical_crossentropy),
        ((8, 1), (8, 10), losses.sparse_categorical_crossentropy),
        ((8, 10), (8, 10), losses.categorical_crossentropy),
    ],
)
def test_resolve_crossentropy_from_shapes(y_true_shape, y_pred_shape, expected):
    for name in ("crossentropy", "CE"):
        loss = losses.resolve(name, y_true_shape, y_pred_shape)
        assert isinstance(loss, losses.LossFunctionWrapper) and loss.fn is expected and loss.name == name


def test_resolve_wraps_functions_and_keeps_instances():
    loss = losses.resolve("mse", (4, 1), (4, 1))
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.fn is losses.mean_squared_error and loss.name == "mse"
    assert loss.reduction == "sum_over_batch_size"
    instance = losses.BinaryCrossentropy(from_logits=True)
    assert losses.resolve(instance, (4, 1), (4, 1)) is instance
    assert isinstance(losses.resolve("rmsle", (4, 1), (4, 1)), losses.RootMeanSquaredLogarithmicError)


def test_no_warnings_on_the_common_paths(rng):
    z = Variable(rng.normal(size=(4, 3)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with GradientTape():
            losses.SparseCategoricalCrossentropy()([0, 1, 2, 0], ops.softmax(z))
            losses.CategoricalCrossentropy(from_logits=True)(np.eye(3)[[0, 1, 2, 0]], z)
