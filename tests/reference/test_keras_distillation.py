"""neuronio.distillation against keras.distillation: the same teacher, student, data and losses give
the same logs and the same trained student."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

import neuronio  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RTOL = 1e-5


def _model(lib, name, seed):
    inputs = lib.Input((4,))
    x = lib.layers.Dense(8, activation="relu", name=f"{name}_hidden")(inputs)
    model = lib.Model(inputs, lib.layers.Dense(3, name=f"{name}_out")(x), name=name)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()])
    return model


@pytest.mark.parametrize("student_loss_weight", [0.3, 0.0, 1.0])
def test_distiller_equals_keras(student_loss_weight):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 4)).astype("float32"), rng.integers(0, 3, 8)
    results = []
    for lib in (neuronio, keras):
        D = lib.distillation
        teacher, student = _model(lib, "t", 1), _model(lib, "s", 2)
        losses = [D.LogitsDistillation(2.0, loss=lib.losses.KLDivergence()), D.FeatureDistillation("mse", "t_hidden", "s_hidden"),
                  D.LogitsDistillation()]  # fmt: skip
        d = D.Distiller(teacher, student, losses, [1.0, 0.5, 0.2], student_loss_weight=student_loss_weight)
        d.compile(lib.optimizers.SGD(0.1), lib.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        history = d.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0).history
        results.append((history, student.get_weights(), d.evaluate(x, y, verbose=0, return_dict=True)))
    (ours, our_weights, our_eval), (theirs, their_weights, their_eval) = results
    assert set(ours) == set(theirs) and set(our_eval) == set(their_eval)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=RTOL, atol=1e-6)
        np.testing.assert_allclose(our_eval[key], their_eval[key], rtol=RTOL, atol=1e-6)
    for a, b in zip(our_weights, their_weights):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-6)


def test_loss_configs_equal_keras():
    for ours, theirs in [
        (neuronio.distillation.LogitsDistillation(4.0), keras.distillation.LogitsDistillation(4.0)),
        (neuronio.distillation.FeatureDistillation("mae", "a", "b"), keras.distillation.FeatureDistillation("mae", "a", "b")),
    ]:
        mine, their = ours.get_config(), theirs.get_config()
        assert mine.keys() == their.keys()
        assert mine["loss"]["config"] == their["loss"]["config"]
