"""A Distiller saved to `.keras` and loaded back: the same class, teacher, student, terms and
weights; a user's registered DistillationLoss comes back too; compile() being custom, the model is
loaded uncompiled with a warning (Keras's rule), and compiles by hand."""

import numpy as np
import pytest

import neuronio as keras
from neuronio.distillation import DistillationLoss, Distiller, FeatureDistillation, LogitsDistillation

X = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
Y = np.array([0, 1, 2, 0, 1, 2])


def _model(name):
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(5, activation="relu", name=f"{name}_hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, name=f"{name}_out")(hidden), name=name)


@keras.saving.register_keras_serializable(package="TestDistillerSaving")
class MeanGap(DistillationLoss):
    """|mean(teacher) - mean(student)| * scale: a user's distillation term."""

    def __init__(self, scale=1.0):
        self.scale = scale

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        return keras.ops.abs(keras.ops.mean(teacher_outputs) - keras.ops.mean(student_outputs)) * self.scale

    def get_config(self):
        return {"scale": self.scale}


def test_a_distiller_round_trips_through_a_keras_file(tmp_path):
    terms = [LogitsDistillation(3.0), FeatureDistillation("mae", "t_hidden", "s_hidden"), MeanGap(2.5)]
    distiller = Distiller(_model("t"), _model("s"), terms, [1.0, 0.5, 0.25], student_loss_weight=0.2)
    distiller.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    distiller.fit(X, Y, epochs=1, verbose=0)
    distiller.save(tmp_path / "d.keras")
    with pytest.warns(UserWarning, match=r"Distiller 'distiller': compile\(\) was not called as part of model loading"):
        loaded = keras.models.load_model(tmp_path / "d.keras")
    assert isinstance(loaded, Distiller) and not loaded.compiled
    assert [type(t) for t in loaded.distillation_losses] == [LogitsDistillation, FeatureDistillation, MeanGap]
    assert loaded.distillation_losses[2].scale == 2.5 and loaded.distillation_losses[0].temperature == 3.0
    assert loaded.distillation_loss_weights == [1.0, 0.5, 0.25] and loaded.student_loss_weight == 0.2
    assert loaded.teacher.trainable is False
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), distiller.predict(X, verbose=0))
    with pytest.raises(RuntimeError, match=r"must call model.compile"):
        loaded.evaluate(X, Y, verbose=0)
    loaded.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert loaded.evaluate(X, Y, verbose=0, return_dict=True) == pytest.approx(
        distiller.evaluate(X, Y, verbose=0, return_dict=True)
    )


def test_an_unknown_distillation_loss_is_named_with_the_fix():
    config = Distiller(_model("t"), _model("s"), LogitsDistillation()).get_config()
    config["distillation_losses"][0] = {
        "module": "mine",
        "class_name": "Nope",
        "config": {},
        "registered_name": "x>Nope",
    }
    with pytest.raises(ValueError, match=r"unknown distillation loss 'Nope'.*register_keras_serializable"):
        Distiller.from_config(config)
