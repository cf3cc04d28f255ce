"""KerasFileEditor (inspect and edit a saved model's weights) and to_json/model_from_json.
Files written by real Keras are read in tests/reference/test_keras_file_editor.py."""

import json

import numpy as np
import pytest

from neuronio import layers, models, saving
from neuronio.errors import FileFormatError


def _model():
    model = models.Sequential(
        [layers.Input((2,)), layers.Dense(3, name="d1"), layers.BatchNormalization(name="bn"), layers.Dense(1, name="d2")]
    )
    model.compile("adam", "mse")
    model.fit(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
    return model


@pytest.fixture
def saved(tmp_path):
    model = _model()
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    return model, tmp_path


def test_weights_dict_mirrors_the_file(saved, capsys):
    model, folder = saved
    editor = saving.KerasFileEditor(folder / "m.keras")
    assert "Keras model file" in capsys.readouterr().out
    assert editor.config["class_name"] == "Sequential" and "keras_version" in editor.metadata
    w = editor.weights_dict
    assert list(w["layers"]) == ["batch_normalization", "dense", "dense_1"]
    np.testing.assert_array_equal(w["layers"]["dense"]["0"], model.layers[0].kernel.numpy())
    assert len(w["optimizer"]) == len(model.optimizer.variables)
    editor.summary()
    out = capsys.readouterr().out
    assert "Weights structure" in out and "0: shape=(2, 3), dtype=float32" in out
    weights_only = saving.KerasFileEditor(folder / "m.weights.h5")
    assert weights_only.config is None and weights_only.weights_dict.keys() == w.keys()


def test_edits_then_save_loads_into_the_edited_architecture(saved):
    model, folder = saved
    editor = saving.KerasFileEditor(folder / "m.keras")
    editor.delete_object("layers/batch_normalization")
    editor.delete_object("optimizer")
    editor.rename_object("dense_1", "dense_9")
    editor.rename_object("layers/dense_9", "dense_1")
    new_kernel = np.full((3, 1), 0.5, "float32")
    editor.delete_weight("dense_1", "0")
    editor.add_weights("layers/dense_1", {"0": new_kernel})
    editor.save(folder / "edited.weights.h5")
    slim = models.Sequential([layers.Input((2,)), layers.Dense(3), layers.Dense(1)])
    slim.load_weights(folder / "edited.weights.h5")
    np.testing.assert_array_equal(slim.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    np.testing.assert_array_equal(slim.layers[1].kernel.numpy(), new_kernel)
    assert editor.compare(slim) == {"status": "success", "error_count": 0, "match_count": 4}
    report = saving.KerasFileEditor(folder / "m.weights.h5").compare(slim)
    assert report["status"] == "error" and report["error_count"] == 2  # batch norm and the optimizer


def test_add_object_and_bad_edits(saved):
    _, folder = saved
    editor = saving.KerasFileEditor(folder / "m.weights.h5")
    editor.add_object("layers/extra", {"0": np.ones(2)})
    assert editor.weights_dict["layers"]["extra"]["0"].tolist() == [1.0, 1.0]
    cases = [
        (lambda: editor.rename_object("nope", "x"), "'nope' does not appear"),
        (lambda: editor.rename_object("dense", "dense_1"), "already exists"),
        (lambda: editor.add_object("layers/dense", {"0": np.ones(1)}), "already exists"),
        (lambda: editor.add_weights("dense", {"0": np.ones(1)}), "already has"),
        (lambda: editor.add_object("layers/x", [np.ones(1)]), "should be a dict"),
        (lambda: editor.delete_weight("dense", "7"), r"Weight 7 not found in object dense. Weights found: \['0', '1'\]"),
        (lambda: editor.save(folder / "out.keras"), "expected a `.weights.h5` extension"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


def test_ambiguous_names_need_a_path(tmp_path):
    inner = models.Sequential([layers.Input((2,)), layers.Dense(2)], name="inner")
    outer = models.Sequential([layers.Input((2,)), inner, layers.Dense(1)])
    outer.save_weights(tmp_path / "n.weights.h5")
    editor = saving.KerasFileEditor(tmp_path / "n.weights.h5")
    with pytest.raises(ValueError, match="occurs more than once.*try passing a complete path"):
        editor.delete_object("dense")
    editor.delete_object("layers/sequential/layers/dense")
    assert editor.weights_dict["layers"]["sequential"]["layers"] == {}


def test_refuses_other_files_and_links(tmp_path):
    with pytest.raises(ValueError, match="expected a `.keras` or `.weights.h5`"):
        saving.KerasFileEditor(tmp_path / "m.h5")
    import h5py

    path = tmp_path / "link.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_group("layers/dense/vars")
        f["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/x")
    with pytest.raises(FileFormatError, match="is a link; refused"):
        saving.KerasFileEditor(path)


def test_to_json_and_model_from_json_round_trip():
    model = _model()
    text = model.to_json(indent=1)
    envelope = json.loads(text)
    assert envelope["class_name"] == "Sequential" and "compile_config" in envelope
    twin = models.model_from_json(text)
    assert twin.compiled and [type(l).__name__ for l in twin.layers] == ["Dense", "BatchNormalization", "Dense"]
    assert [w.shape for w in twin.get_weights()] == [w.shape for w in model.get_weights()]
    assert models.save_model is saving.save_model
    with pytest.raises(ValueError, match="does not parse"):
        models.model_from_json("{not json")


def test_model_from_json_takes_custom_objects():
    class Twice(layers.Layer):
        def call(self, x):
            return x * 2

    model = models.Sequential([layers.Input((2,)), Twice(name="twice")])
    text = model.to_json()
    with pytest.raises(ValueError, match="Twice"):
        models.model_from_json(text)
    twin = models.model_from_json(text, custom_objects={"Twice": Twice})
    np.testing.assert_array_equal(twin.predict(np.ones((1, 2)), verbose=0), [[2.0, 2.0]])
