"""The `.keras` archive and `.weights.h5` files: layout as Keras 3 writes it, round trips, and the
compile state (optimizer with its slots) restored so that training continues exactly."""

import io
import json
import zipfile

import h5py
import numpy as np
import pytest

from neuronio import layers, optimizers
from neuronio.models import Model, Sequential, load_model
from neuronio.saving import keras_archive


def small_cnn():
    return Sequential(
        [
            layers.Input((8, 8, 3)),
            layers.Conv2D(4, 3, activation="relu", padding="same"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(5, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(3, activation="softmax"),
        ]
    )


def two_in_two_out():
    """Shared layer, merges, a nested Sequential, two outputs (the functional cases Keras nests)."""
    a, b = layers.Input((4,), name="a"), layers.Input((4,), name="b")
    shared = layers.Dense(3, name="fc_shared")
    x = layers.Add()([shared(a), shared(b)])
    inner = Sequential([layers.Input((3,)), layers.Dense(2, name="inner_d")], name="inner")
    y1 = inner(x)
    y2 = layers.Dense(1, activation="sigmoid", name="out2")(layers.Concatenate()([x, layers.Multiply()([a, b])]))
    return Model([a, b], [y1, y2])


def members(path):
    with zipfile.ZipFile(path) as zf:
        return zf.infolist(), {info.filename: zf.read(info.filename) for info in zf.infolist()}


def h5_tree(data: bytes) -> dict:
    tree = {}
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(
            lambda name, obj: tree.__setitem__(name, obj.shape if isinstance(obj, h5py.Dataset) else dict(obj.attrs))
        )
    return tree


# -- layout -----------------------------------------------------------------------------------------
def test_archive_members_are_keras_s_three_files_stored_in_keras_s_order(tmp_path, rng):
    model = small_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(rng.random((16, 8, 8, 3)), rng.integers(0, 3, 16), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    infos, data = members(tmp_path / "m.keras")
    assert [i.filename for i in infos] == ["metadata.json", "config.json", "model.weights.h5"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    assert infos[0].date_time == infos[1].date_time == (1980, 1, 1, 0, 0, 0)
    metadata = json.loads(data["metadata.json"])
    assert list(metadata) == ["keras_version", "date_saved"]
    assert metadata["keras_version"] == "3.8.0"
    assert len(metadata["date_saved"]) == 19 and metadata["date_saved"][10] == "@"


def test_config_json_uses_keras_s_envelopes_and_keys(tmp_path):
    model = small_cnn()
    model.compile(optimizer=optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.save(tmp_path / "m.keras")
    config = json.loads(members(tmp_path / "m.keras")[1]["config.json"])
    assert (config["module"], config["class_name"], config["registered_name"]) == ("keras", "Sequential", None)
    assert config["build_config"] == {"input_shape": [None, 8, 8, 3]}
    assert config["config"]["dtype"]["class_name"] == "DTypePolicy"
    input_layer, conv, bn = config["config"]["layers"][:3]
    assert input_layer["config"] == {
        "batch_shape": [None, 8, 8, 3],
        "dtype": "float32",
        "sparse": False,
        "name": "input_layer",
        "ragged": False,
        "optional": False,
    }
    assert conv["module"] == "keras.layers" and conv["build_config"] == {"input_shape": [None, 8, 8, 3]}
    assert conv["config"]["dtype"] == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    }
    for key in (
        "kernel_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "bias_constraint",
    ):
        assert conv["config"][key] is None
    assert bn["config"]["synchronized"] is False
    compile_config = config["compile_config"]
    assert compile_config["optimizer"]["class_name"] == "Adam"
    assert compile_config["loss"] == "sparse_categorical_crossentropy"
    assert compile_config["metrics"] == ["accuracy"]
    assert set(compile_config) == {
        "optimizer",
        "loss",
        "loss_weights",
        "metrics",
        "weighted_metrics",
        "run_eagerly",
        "steps_per_execution",
        "jit_compile",
    }


def test_weights_h5_paths_follow_keras_s_class_name_keys(tmp_path):
    model = two_in_two_out()
    model.compile(optimizer=optimizers.SGD(momentum=0.9), loss=["mse", "binary_crossentropy"])
    model.optimizer.build(model.trainable_weights)
    model.save(tmp_path / "m.keras")
    tree = h5_tree(members(tmp_path / "m.keras")[1]["model.weights.h5"])
    # Keys come from the class name in `model.layers` order; the layer's own name is an attribute.
    assert tree["vars"] == {"name": model.name}
    assert tree["layers/dense/vars"] == {"name": "fc_shared"}
    assert tree["layers/dense_1/vars"] == {"name": "out2"}
    assert tree["layers/dense/vars/0"] == (4, 3) and tree["layers/dense_1/vars/0"] == (7, 1)
    assert tree["layers/input_layer/vars"] == {"name": "a"} and tree["layers/input_layer_1/vars"] == {"name": "b"}
    assert tree["layers/sequential/layers/dense/vars/0"] == (3, 2)
    assert tree["layers/sequential/vars"] == {"name": "inner"}
    assert tree["optimizer/vars"] == {"name": model.optimizer.name}
    # iteration, learning_rate, then one momentum per trainable weight
    assert [tree[f"optimizer/vars/{i}"] for i in range(8)] == [(), (), (4, 3), (3,), (3, 2), (2,), (7, 1), (1,)]


# -- round trips ------------------------------------------------------------------------------------
@pytest.mark.parametrize("build", [small_cnn, two_in_two_out], ids=["sequential", "functional"])
def test_save_load_predicts_the_same_numbers(tmp_path, rng, build):
    model = build()
    inputs = (
        rng.random((6, 8, 8, 3), dtype=np.float32)
        if build is small_cnn
        else [rng.random((6, 4), dtype=np.float32), rng.random((6, 4), dtype=np.float32)]
    )
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    assert [w.name for w in loaded.weights] == [w.name for w in model.weights]
    for got, expected in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    expected, got = model.predict(inputs, verbose=0), loaded.predict(inputs, verbose=0)
    for e, g in zip(
        expected if isinstance(expected, list) else [expected], got if isinstance(got, list) else [got], strict=True
    ):
        np.testing.assert_array_equal(g, e)
    assert not loaded.compiled  # compile state is saved only for compiled models


def test_neuronio_only_layers_save_under_the_neuronio_namespace(tmp_path, rng):
    model = Sequential(
        [
            layers.Input((6, 6, 4)),
            layers.LocalResponseNormalization(depth_radius=1),
            layers.APL(num_hinges=2),
            layers.RReLU(),
            layers.Flatten(),
            layers.Maxout(3, num_pieces=2),
        ]
    )
    model.save(tmp_path / "m.keras")
    entries = json.loads(members(tmp_path / "m.keras")[1]["config.json"])["config"]["layers"][1:]
    assert [(e["module"], e["registered_name"]) for e in entries if e["class_name"] != "Flatten"] == [
        ("neuronio.layers", "neuronio>LocalResponseNormalization"),
        ("neuronio.layers", "neuronio>APL"),
        ("neuronio.layers", "neuronio>RReLU"),
        ("neuronio.layers", "neuronio>Maxout"),
    ]
    loaded = load_model(tmp_path / "m.keras")
    x = rng.random((3, 6, 6, 4), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_unzipped_folder_round_trip(tmp_path, rng):
    model = small_cnn()
    model.save(tmp_path / "folder", zipped=False)
    assert sorted(p.name for p in (tmp_path / "folder").iterdir()) == [
        "config.json",
        "metadata.json",
        "model.weights.h5",
    ]
    x = rng.random((2, 8, 8, 3), dtype=np.float32)
    np.testing.assert_array_equal(load_model(tmp_path / "folder").predict(x, verbose=0), model.predict(x, verbose=0))


def test_save_weights_and_load_weights(tmp_path, rng):
    model, other = small_cnn(), small_cnn()
    model.save_weights(tmp_path / "w.weights.h5")
    other.load_weights(tmp_path / "w.weights.h5")
    for got, expected in zip(other.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
    model.save(tmp_path / "m.keras")
    third = small_cnn()
    third.load_weights(tmp_path / "m.keras")  # the weights inside an archive, as Keras allows
    for got, expected in zip(third.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_load_weights_of_another_model_changes_nothing(tmp_path):
    small_cnn().save_weights(tmp_path / "w.weights.h5")
    model = Sequential([layers.Input((8, 8, 3)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(2)])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"w\.weights\.h5.*(no saved weights|expects|shape)"):
        model.load_weights(tmp_path / "w.weights.h5")
    for got, expected in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_load_weights_skip_mismatch_warns_and_loads_the_rest(tmp_path):
    source = Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(2)])
    source.save_weights(tmp_path / "w.weights.h5")
    target = Sequential([layers.Input((4,)), layers.Dense(3), layers.Dense(5)])
    with pytest.warns(UserWarning, match=r"Skipping layer 'dense_3'.*shape \(3, 5\).*\(3, 2\)"):
        target.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(target.layers[0].get_weights()[0], source.layers[0].get_weights()[0])


# -- compile state --------------------------------------------------------------------------------------
OPTIMIZERS = {
    "sgd_momentum": lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True),
    "rmsprop": lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    "adam": lambda: optimizers.Adam(0.01, amsgrad=True),
    "adamax": lambda: optimizers.Adamax(0.01),
    "nadam": lambda: optimizers.Nadam(0.01),
    "adagrad": lambda: optimizers.Adagrad(0.05),
    "adadelta": lambda: optimizers.Adadelta(1.0),
}


@pytest.mark.parametrize("make_optimizer", OPTIMIZERS.values(), ids=OPTIMIZERS.keys())
def test_training_continues_exactly_after_save_and_load(tmp_path, rng, make_optimizer):
    """2 epochs, save, load, 1 more epoch == 3 epochs without stopping (weights bit for bit)."""
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 3, 40)

    def fresh():
        model = Sequential(
            [
                layers.Input((6,)),
                layers.Dense(8, activation="tanh"),
                layers.BatchNormalization(),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.set_weights(
            [np.full_like(w, 0.1) + 0.01 * np.arange(w.size).reshape(w.shape) % 0.3 for w in model.get_weights()]
        )
        model.compile(optimizer=make_optimizer(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    straight = fresh()
    straight.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    first = fresh()
    first.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    first.save(tmp_path / "m.keras")
    resumed = load_model(tmp_path / "m.keras")
    assert type(resumed.optimizer) is type(first.optimizer)
    assert int(resumed.optimizer.iterations.data) == 6
    for got, expected in zip(resumed.optimizer.variables, first.optimizer.variables, strict=True):
        np.testing.assert_array_equal(got.data, expected.data)
    resumed.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for got, expected in zip(resumed.get_weights(), straight.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)


def test_loss_and_metric_objects_round_trip_through_compile_config(tmp_path, rng):
    from neuronio import losses, metrics

    model = Sequential([layers.Input((3,)), layers.Dense(4)])
    model.compile(
        optimizer="sgd",
        loss=losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=[metrics.CategoricalAccuracy(), "mae"],
    )
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert isinstance(loaded.loss, losses.CategoricalCrossentropy)
    assert loaded.loss.get_config() == model.loss.get_config()
    x, y = rng.random((5, 3), dtype=np.float32), np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 0]]
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    assert load_model(tmp_path / "m.keras", compile=False).compiled is False


# -- argument errors --------------------------------------------------------------------------------------
def test_save_names_the_formats_it_writes(tmp_path):
    model = small_cnn()
    with pytest.raises(
        ValueError,
        match=r"ends in '\.keras'\. Received: filepath=.*model\.h5\. To save only the weights, use model\.save_weights",
    ):
        model.save(tmp_path / "model.h5")
    with pytest.raises(ValueError, match=r"must end in '\.weights\.h5'.*w\.h5"):
        model.save_weights(tmp_path / "w.h5")
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match=r"m\.keras already exists; pass overwrite=True"):
        model.save(tmp_path / "m.keras", overwrite=False)


def test_unbuilt_models_warn_on_save_and_refuse_weights(tmp_path):
    model = Sequential([layers.Dense(3)])
    with pytest.warns(UserWarning, match="not built yet"):
        model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"not built yet.*Input"):
        model.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match=r"not built yet"):
        model.load_weights(tmp_path / "w.weights.h5")


def test_saved_file_opens_while_a_new_one_is_written_over_it(tmp_path):
    """The target is replaced by a rename, so a reader holding the old file keeps reading it."""
    model = small_cnn()
    model.save(tmp_path / "m.keras")
    with open(tmp_path / "m.keras", "rb") as old:
        model.save(tmp_path / "m.keras")
        assert zipfile.ZipFile(old).testzip() is None
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temporary file left
    assert keras_archive.KERAS_SCHEMA_VERSION == "3.8.0"


# -- ModelCheckpoint writing real files ---------------------------------------------------------------------
def test_model_checkpoint_templates_best_only_and_weights_only(tmp_path, rng):
    from neuronio import callbacks

    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = Sequential([layers.Input((6,)), layers.Dense(4, activation="relu"), layers.Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    saved_at = {}

    class Remember(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            saved_at[epoch] = (logs["val_loss"], self.model.get_weights())

    history = model.fit(
        x,
        y,
        epochs=4,
        validation_split=0.25,
        verbose=0,
        callbacks=[
            callbacks.ModelCheckpoint(tmp_path / "e{epoch:02d}-{val_loss:.3f}-{accuracy:.2f}.keras"),
            callbacks.ModelCheckpoint(tmp_path / "best.weights.h5", save_best_only=True, save_weights_only=True),
            Remember(),
        ],
    )
    names = sorted(p.name for p in tmp_path.glob("e*.keras"))
    assert names == [
        f"e{e + 1:02d}-{history.history['val_loss'][e]:.3f}-{history.history['accuracy'][e]:.2f}.keras"
        for e in range(4)
    ]
    best_epoch = int(np.argmin(history.history["val_loss"]))
    fresh = Sequential([layers.Input((6,)), layers.Dense(4, activation="relu"), layers.Dense(2, activation="softmax")])
    fresh.load_weights(tmp_path / "best.weights.h5")
    for got, expected in zip(fresh.get_weights(), saved_at[best_epoch][1], strict=True):
        np.testing.assert_array_equal(got, expected)
    last = load_model(tmp_path / names[-1])
    for got, expected in zip(last.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, expected)
