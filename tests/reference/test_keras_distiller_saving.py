"""A Distiller through `.keras` files against real Keras 3 (torch backend): each engine loads the
other's file as a Distiller with the same teacher, student and distillation terms (the same weights
layout), predicts alike, and, its compile() being custom, comes back uncompiled with a warning;
compiled again by hand it evaluates alike."""

import warnings
import zipfile

import numpy as np
import pytest

import neuronio
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch
from tests.saving.test_subclassed_models import weight_groups

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 4)).astype("float32")
Y = RNG.integers(0, 3, 8)
TOL = {"rtol": 1e-5, "atol": 1e-6}


def _distiller(K):
    def model(name):
        inputs = K.Input((4,))
        hidden = K.layers.Dense(8, activation="relu", name=f"{name}_hidden")(inputs)
        return K.Model(inputs, K.layers.Dense(3, name=f"{name}_out")(hidden), name=name)

    D = K.distillation
    losses = [D.LogitsDistillation(2.0), D.FeatureDistillation("mse", "t_hidden", "s_hidden")]
    distiller = D.Distiller(model("t"), model("s"), losses, [1.0, 0.5], student_loss_weight=0.3)
    _compile(K, distiller)
    distiller.fit(X, Y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    return distiller


def _compile(K, distiller):
    distiller.compile(
        K.optimizers.SGD(0.1), K.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )


def _numpy(value):
    return np.asarray(keras.ops.convert_to_numpy(value))


@pytest.mark.parametrize("writer,reader", [(neuronio, keras), (keras, neuronio)])
def test_a_distiller_file_loads_in_the_other_engine(tmp_path, writer, reader):
    saved = _distiller(writer)
    saved.save(tmp_path / "d.keras")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = reader.models.load_model(tmp_path / "d.keras")
    assert any("was not called as part of model loading" in str(w.message) for w in caught)
    assert type(loaded).__name__ == "Distiller" and loaded.student_loss_weight == pytest.approx(0.3)
    assert [type(d).__name__ for d in loaded.distillation_losses] == ["LogitsDistillation", "FeatureDistillation"]
    np.testing.assert_allclose(_numpy(loaded.predict(X, verbose=0)), _numpy(saved.predict(X, verbose=0)), **TOL)
    for a, b in zip(loaded.teacher.get_weights(), saved.teacher.get_weights()):
        np.testing.assert_allclose(_numpy(a), _numpy(b), **TOL)
    _compile(reader, loaded)
    ours = loaded.evaluate(X, Y, verbose=0, return_dict=True)
    theirs = saved.evaluate(X, Y, verbose=0, return_dict=True)
    assert set(ours) == set(theirs)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], **TOL, err_msg=key)


def test_both_engines_write_the_same_weights_layout(tmp_path):
    groups = []
    for K in (neuronio, keras):
        _distiller(K).save(tmp_path / f"{K.__name__}.keras")
        with zipfile.ZipFile(tmp_path / f"{K.__name__}.keras") as archive:
            groups.append(weight_groups(archive.read("model.weights.h5")))
    assert groups[0] == groups[1]
