"""KerasFileEditor and model_from_json against real Keras 3: files written by one are read and
edited by the other, and the edited weights load."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

from neuronio import layers, models, saving  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]


def _keras_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3), keras.layers.BatchNormalization(),
                              keras.layers.Dense(1)])  # fmt: skip
    model.compile("adam", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    return model


def _flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}/"))
        else:
            out[prefix + key] = np.asarray(value)
    return out


def test_weights_dict_equals_keras_on_a_keras_file(tmp_path):
    _keras_model().save(tmp_path / "k.keras")
    ours = _flat(saving.KerasFileEditor(tmp_path / "k.keras").weights_dict)
    theirs = _flat(keras.saving.KerasFileEditor(str(tmp_path / "k.keras")).weights_dict)
    assert ours.keys() == theirs.keys()
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key])


def test_our_edited_file_loads_in_keras(tmp_path):
    original = _keras_model()
    original.save(tmp_path / "k.keras")
    editor = saving.KerasFileEditor(tmp_path / "k.keras")
    editor.delete_object("layers/batch_normalization")
    editor.delete_object("optimizer")
    editor.save(tmp_path / "edited.weights.h5")
    slim = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3), keras.layers.Dense(1)])
    slim.load_weights(tmp_path / "edited.weights.h5")
    np.testing.assert_array_equal(slim.layers[0].kernel.numpy(), original.layers[0].kernel.numpy())
    np.testing.assert_array_equal(slim.layers[1].bias.numpy(), original.layers[2].bias.numpy())
    assert saving.KerasFileEditor(tmp_path / "edited.weights.h5").compare(
        models.Sequential([layers.Input((2,)), layers.Dense(3), layers.Dense(1)])
    )["status"] == "success"


def test_keras_edits_our_file_and_we_load_it(tmp_path):
    model = models.Sequential([layers.Input((2,)), layers.Dense(3), layers.Dense(1)])
    model.save(tmp_path / "n.keras")
    editor = keras.saving.KerasFileEditor(str(tmp_path / "n.keras"))
    editor.delete_weight("layers/dense_1", "1")
    editor.add_weights("layers/dense_1", {"1": np.full((1,), 7.0, "float32")})
    editor.save(str(tmp_path / "k_edited.weights.h5"))
    model.load_weights(tmp_path / "k_edited.weights.h5")
    assert model.layers[1].bias.numpy().tolist() == [7.0]


def test_model_from_json_both_ways():
    theirs = _keras_model()
    ours = models.model_from_json(theirs.to_json())
    assert [type(x).__name__ for x in ours.layers] == [type(x).__name__ for x in theirs.layers]
    assert ours.compiled and type(ours.optimizer).__name__ == "Adam"
    back = keras.models.model_from_json(ours.to_json())
    assert [w.shape for w in back.get_weights()] == [w.shape for w in theirs.get_weights()]
