"""neuronio.distillation: Distiller, LogitsDistillation, FeatureDistillation (Keras's values are
compared in tests/reference/test_keras_distillation.py)."""

import numpy as np
import pytest

import neuronio
from neuronio import distillation, layers, losses, models, ops


def _model(name, hidden=6, seed=0):
    inputs = layers.Input((4,))
    x = layers.Dense(hidden, activation="relu", name=f"{name}_hidden")(inputs)
    model = models.Model(inputs, layers.Dense(3, name=f"{name}_out")(x), name=name)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype("float32") * 0.5 for w in model.get_weights()])
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 4)).astype("float32"), rng.integers(0, 3, 8)


def test_logits_distillation_math():
    teacher, student = np.array([[2.0, 0.0, -1.0]], "float32"), np.array([[0.5, 0.5, 0.0]], "float32")
    kl = distillation.LogitsDistillation(2.0, loss=losses.KLDivergence())
    p = np.exp(teacher / 2) / np.exp(teacher / 2).sum()
    q = np.exp(student / 2) / np.exp(student / 2).sum()
    expected = float(np.sum(p * np.log(p / q))) * 4.0  # softmax at T, KL, times T**2
    assert float(kl.compute_loss(teacher, student).numpy()) == pytest.approx(expected, rel=1e-5)
    mse = distillation.LogitsDistillation(2.0, loss="mse")
    assert float(mse.compute_loss(teacher, student).numpy()) == pytest.approx(np.mean((teacher / 2 - student / 2) ** 2))
    both = distillation.FeatureDistillation(loss=["mse", None])
    value = both.compute_loss([teacher, teacher], [student, np.zeros_like(student)])
    assert float(value.numpy()) == pytest.approx(np.mean((teacher - student) ** 2))


def test_distiller_trains_the_student_only_and_logs_its_losses():
    teacher, student = _model("t", seed=1), _model("s", seed=2)
    teacher_before = [w.copy() for w in teacher.get_weights()]
    student_before = [w.copy() for w in student.get_weights()]
    d = distillation.Distiller(
        teacher, student,
        [distillation.LogitsDistillation(3.0), distillation.FeatureDistillation("mse", "t_hidden", "s_hidden")],
        [1.0, 0.5], student_loss_weight=0.25,
    )  # fmt: skip
    d.compile(neuronio.optimizers.SGD(0.1), losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x, y = _data()
    history = d.fit(x, y, epochs=2, batch_size=4, verbose=0).history
    assert set(history) == {"loss", "accuracy", "student_loss", "distillation_loss", "total_loss"}
    np.testing.assert_allclose(history["loss"], history["total_loss"], rtol=1e-6)
    expected = [0.25 * s + 0.75 * dl for s, dl in zip(history["student_loss"], history["distillation_loss"])]
    np.testing.assert_allclose(history["total_loss"], expected, rtol=1e-5)
    assert all(np.array_equal(a, b) for a, b in zip(teacher_before, teacher.get_weights()))
    assert not all(np.array_equal(a, b) for a, b in zip(student_before, student.get_weights()))
    assert not teacher.trainable and len(d.trainable_weights) == len(student.trainable_weights)
    np.testing.assert_allclose(d.predict(x, verbose=0), student.predict(x, verbose=0))
    logs = d.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == set(history)


def test_student_loss_weight_one_ignores_the_teacher():
    d = distillation.Distiller(_model("t", seed=1), _model("s", seed=2), distillation.LogitsDistillation(),
                               student_loss_weight=1.0)  # fmt: skip
    d.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _data()
    logs = d.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["distillation_loss"] == 0.0 and logs["loss"] == pytest.approx(logs["student_loss"])


def test_config_round_trip():
    d = distillation.Distiller(_model("t"), _model("s"), [distillation.LogitsDistillation(2.5, loss="mse"),
                               distillation.FeatureDistillation(teacher_layer_name="t_hidden",
                                                                student_layer_name="s_hidden")],
                               [0.7, 0.3], student_loss_weight=0.4)  # fmt: skip
    twin = distillation.Distiller.from_config(d.get_config())
    assert twin.student_loss_weight == 0.4 and twin.distillation_loss_weights == [0.7, 0.3]
    assert twin.distillation_losses[0].temperature == 2.5 and twin.distillation_losses[1].teacher_layer_name == "t_hidden"
    assert [type(l).__name__ for l in twin.student.layers] == [type(l).__name__ for l in d.student.layers]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"student_loss_weight": 2}, "student_loss_weight must be between 0.0 and 1.0, got 2"),
        ({"distillation_losses": None}, "'distillation_losses' cannot be `None`"),
        ({"distillation_loss_weights": [1.0, 2.0]}, r"Number of distillation_loss_weights \(2\) must match number"),
        ({"distillation_losses": ["kl"]}, "must be a keras.distillation.DistillationLoss"),
        ({"distillation_losses": [distillation.FeatureDistillation(teacher_layer_name="nope")]}, "In teacher model"),
    ],
)
def test_bad_arguments(kwargs, message):
    args = {"teacher": _model("t"), "student": _model("s"), "distillation_losses": [distillation.LogitsDistillation()]}
    with pytest.raises(ValueError, match=message):
        distillation.Distiller(**{**args, **kwargs})


def test_bad_losses_and_compile():
    with pytest.raises(ValueError, match="temperature must be positive"):
        distillation.LogitsDistillation(0)
    with pytest.raises(ValueError, match="At least one loss must be non-`None`"):
        distillation.FeatureDistillation(loss=[None])
    d = distillation.Distiller(_model("t"), _model("s"), distillation.LogitsDistillation())
    with pytest.raises(ValueError, match="'loss' cannot be `None`"):
        d.compile("adam")

    class Vector(distillation.DistillationLoss):
        def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
            return ops.abs(teacher_outputs - student_outputs)

    bad = distillation.Distiller(_model("t"), _model("s"), Vector())
    bad.compile("sgd", "mse")
    x, _ = _data()
    with pytest.raises(ValueError, match="returned a non-scalar loss"):
        bad.fit(x, np.zeros((8, 3), "float32"), verbose=0)
