"""The Keras 3 fit surface against real Keras (torch backend): model.metrics names, what nested
layers report for trainable, one training step of a regularized and constrained model (loss and
every weight), and regularizers/constraints through `.keras` files in both directions."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

import neuronio  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]
RTOL, ATOL = 1e-5, 1e-6


def _regularized(lib):
    L = lib.layers
    return lib.Sequential(
        [
            lib.Input((4,)),
            L.Dense(
                3,
                activation="tanh",
                kernel_regularizer=lib.regularizers.L1L2(l1=0.01, l2=0.02),
                bias_regularizer=lib.regularizers.L2(0.1),
                activity_regularizer=lib.regularizers.L1(0.05),
                kernel_constraint=lib.constraints.MaxNorm(0.8),
                bias_constraint=lib.constraints.NonNeg(),
            ),
            L.Dense(
                2,
                kernel_regularizer=lib.regularizers.OrthogonalRegularizer(0.1),
                kernel_constraint=lib.constraints.UnitNorm(),
            ),
        ]
    )


def test_one_step_of_a_regularized_constrained_model_matches_keras():
    rng = np.random.default_rng(0)
    ours, theirs = _regularized(neuronio), _regularized(keras)
    weights = [rng.standard_normal(w.shape).astype("float32") * 0.5 for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    x, y = rng.standard_normal((8, 4)).astype("float32"), rng.standard_normal((8, 2)).astype("float32")
    for model, lib in ((ours, neuronio), (theirs, keras)):
        model.compile(optimizer=lib.optimizers.SGD(0.1), loss="mse")
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=RTOL)
    loss_ours = ours.train_on_batch(x, y)
    loss_theirs = theirs.train_on_batch(x, y)
    np.testing.assert_allclose(loss_ours, loss_theirs, rtol=RTOL)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def test_regularizers_and_constraints_cross_keras_files_both_ways(tmp_path):
    ours = _regularized(neuronio)
    ours.save(tmp_path / "ours.keras")
    loaded = keras.models.load_model(tmp_path / "ours.keras")
    dense = loaded.layers[0]
    assert dense.kernel_regularizer.get_config() == pytest.approx({"l1": 0.01, "l2": 0.02})
    assert type(dense.activity_regularizer).__name__ == "L1" and dense.kernel_constraint.max_value == 0.8
    assert type(dense.bias_constraint).__name__ == "NonNeg"
    _regularized(keras).save(tmp_path / "theirs.keras")
    back = neuronio.models.load_model(tmp_path / "theirs.keras")
    layer = back.layers[1]
    assert isinstance(layer.kernel_regularizer, neuronio.regularizers.OrthogonalRegularizer)
    assert isinstance(layer.kernel_constraint, neuronio.constraints.UnitNorm)
    assert back.layers[0].activity_regularizer.l1 == pytest.approx(0.05)


@pytest.mark.parametrize("metrics", [None, ["mae"]])
def test_metrics_names_match_keras(metrics):
    names = []
    for lib in (neuronio, keras):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
        model.compile("sgd", "mse", metrics=metrics)
        before = [m.name for m in model.metrics]
        model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
        names.append(
            (
                before,
                [m.name for m in model.metrics],
                model.evaluate(np.ones((4, 3)), np.ones((4, 1)), verbose=0, return_dict=True).keys(),
            )
        )
    assert names[0][0] == names[1][0] and names[0][1] == names[1][1]
    assert sorted(names[0][2]) == sorted(names[1][2])


def test_multi_output_metrics_and_evaluate_order_match_keras():
    results = []
    for lib in (neuronio, keras):
        inputs = lib.Input((3,))
        a = lib.layers.Dense(2, name="a", kernel_initializer="ones")(inputs)
        b = lib.layers.Dense(1, name="b", kernel_initializer="ones")(inputs)
        model = lib.Model(inputs, [a, b])
        model.compile("sgd", ["mse", "mse"], metrics=[["mae"], ["mae"]])
        data = (np.ones((4, 3)), [np.zeros((4, 2)), np.zeros((4, 1))])
        model.evaluate(*data, verbose=0)
        results.append(([m.name for m in model.metrics], model.evaluate(*data, verbose=0)))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=RTOL)


def test_trainable_reports_match_keras():
    reports = []
    for lib in (neuronio, keras):
        inner = lib.Sequential([lib.layers.Dense(2), lib.layers.BatchNormalization()])
        outer = lib.Sequential([lib.Input((3,)), inner, lib.layers.Dense(1)])
        outer.trainable = False
        frozen = (inner.layers[0].trainable, len(outer.trainable_weights), len(outer.non_trainable_weights))
        outer.trainable = True
        inner.layers[0].trainable = False
        reports.append((frozen, inner.layers[1].trainable, [w.name for w in outer.non_trainable_weights]))
    assert reports[0] == reports[1]


def test_input_rank_adjustment_matches_keras():
    for lib in (neuronio, keras):
        inputs = lib.Input((4, 1))
        model = lib.Model(inputs, lib.layers.Flatten()(inputs))
        assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 4)
