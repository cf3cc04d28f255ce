"""keras.utils names beyond the data pipelines: Config, Progbar, images, get_file, split_dataset,
get_source_inputs, model_to_dot, interactive logging. Keras's own values are compared in
tests/reference/test_keras_utils.py."""

import hashlib
import http.server
import io
import logging
import pathlib
import tarfile
import threading
import zipfile

import numpy as np
import pytest

from neuronio import backend, callbacks, config, layers, models, utils


# -- Config -----------------------------------------------------------------------------------------
def test_config_is_a_freezable_attribute_dict():
    cfg = utils.Config(learning_rate=0.1, momentum=0.9)
    cfg.seed = 123
    cfg["use_ema"] = True
    assert (cfg.seed, cfg["learning_rate"], len(cfg), "momentum" in cfg) == (123, 0.1, 4, True)
    assert list(cfg) == ["learning_rate", "momentum", "seed", "use_ema"]
    assert cfg.as_dict() == {"learning_rate": 0.1, "momentum": 0.9, "seed": 123, "use_ema": True}
    assert cfg.to_json() == '{"learning_rate": 0.1, "momentum": 0.9, "seed": 123, "use_ema": true}'
    cfg.freeze()
    assert cfg.frozen
    for mutate in (lambda: setattr(cfg, "x", 1), lambda: cfg.update(x=1), lambda: cfg.pop("seed"),
                   lambda: cfg.__setitem__("x", 1), lambda: cfg.__delitem__("seed")):  # fmt: skip
        with pytest.raises(ValueError, match="frozen"):
            mutate()
    cfg.unfreeze()
    assert cfg.pop("seed") == 123 and "seed" not in cfg
    with pytest.raises(AttributeError, match="Unknown attribute: 'momentun'. Did you mean 'momentum'"):
        cfg.momentun  # noqa: B018


# -- the re-exported names ---------------------------------------------------------------------------
def test_utils_repeats_backend_and_config_names_as_the_same_objects():
    assert utils.clear_session is backend.clear_session
    assert utils.Progbar is callbacks.Progbar
    assert utils.standardize_dtype is backend.standardize_dtype and utils.standardize_dtype(float) == "float32"
    x = layers.Input((3,))
    assert utils.is_keras_tensor(x) and not utils.is_keras_tensor(np.zeros(3))


def test_disabled_interactive_logging_sends_fit_output_to_the_logger(capsys, caplog):
    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    utils.disable_interactive_logging()
    try:
        assert not utils.is_interactive_logging_enabled()
        with caplog.at_level(logging.INFO, logger="neuronio"):
            model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=1)
            bar = utils.Progbar(2, verbose=1)
            bar.update(2, [("loss", 0.5)])
    finally:
        utils.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records if r.name == "neuronio"]
    assert "Epoch 1/2" in messages and "Epoch 2/2" in messages
    assert any(m.startswith("1/1 ") and "loss:" in m for m in messages)
    assert messages[-1].startswith("2/2 ") and messages[-1].endswith("loss: 0.5000")
    assert all("\r" not in m and "\x1b" not in m for m in messages)
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=1, verbose=2)
    assert "loss:" in capsys.readouterr().out


# -- images ----------------------------------------------------------------------------------------
def test_array_to_img_scales_to_0_255_and_img_to_array_inverts_it():
    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    img = utils.array_to_img(x)
    assert img.mode == "RGB" and img.size == (2, 2)
    np.testing.assert_array_equal(utils.img_to_array(img), np.floor(x / 11 * 255))
    assert utils.array_to_img(x[..., :1]).mode == "L"
    assert utils.array_to_img(np.full((2, 2, 1), 300.0), scale=False).mode == "I"
    assert utils.array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    first = utils.img_to_array(img, data_format="channels_first")
    assert first.shape == (3, 2, 2) and first.dtype == np.float32
    assert utils.img_to_array(utils.array_to_img(x[..., :1])).shape == (2, 2, 1)
    with pytest.raises(ValueError, match="rank 3"):
        utils.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Unsupported channel number: 2"):
        utils.array_to_img(np.zeros((2, 2, 2)))


def test_save_img_and_load_img_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (6, 8, 3)).astype("float32")
    path = tmp_path / "a.png"
    utils.save_img(path, x, scale=False)
    img = utils.load_img(path)
    assert img.size == (8, 6)
    np.testing.assert_array_equal(utils.img_to_array(img), x)
    assert utils.load_img(str(path), color_mode="grayscale").mode == "L"
    assert utils.load_img(io.BytesIO(path.read_bytes()), color_mode="rgba").mode == "RGBA"
    small = utils.load_img(path, target_size=(3, 4), interpolation="nearest")
    np.testing.assert_array_equal(utils.img_to_array(small), x[1::2, 1::2])  # PIL samples pixel centres: rows 1, 3, 5
    cropped = utils.load_img(path, target_size=(6, 6), keep_aspect_ratio=True)
    np.testing.assert_array_equal(utils.img_to_array(cropped), x[:, 1:7])  # the centred 6x6 window
    with pytest.warns(UserWarning, match="JPEG format does not support RGBA"):
        utils.save_img(tmp_path / "b.jpg", np.zeros((4, 4, 4)))
    assert utils.load_img(tmp_path / "b.jpg").format == "JPEG"
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(path, color_mode="cmyk")
    with pytest.raises(ValueError, match="Invalid interpolation method cubic"):
        utils.load_img(path, target_size=(2, 2), interpolation="cubic")
    with pytest.raises(TypeError, match="path-like"):
        utils.load_img(3)


def _write_images(root: pathlib.Path, counts: dict, size=(5, 7)):
    """counts: class -> number of images; image k of class c has every pixel = 10 * c + k."""
    for c, (name, n) in enumerate(sorted(counts.items())):
        (root / name).mkdir(parents=True)
        for k in range(n):
            utils.save_img(root / name / f"img_{k}.png", np.full((*size, 3), 10 * c + k, "float32"), scale=False)
    (root / "notes.txt").write_text("not an image")


def test_image_dataset_from_directory_batches_labels_and_splits(tmp_path, capsys):
    _write_images(tmp_path, {"cat": 3, "dog": 2})
    ds = utils.image_dataset_from_directory(tmp_path, image_size=(4, 4), batch_size=2, shuffle=False)
    assert "Found 5 files belonging to 2 classes." in capsys.readouterr().out
    assert ds.class_names == ["cat", "dog"] and len(ds) == 3
    x, y = ds[0]
    assert x.shape == (2, 4, 4, 3) and x.dtype == np.float32 and y.dtype == np.int32
    values = [float(b[0][i, 0, 0, 0]) for b in ds for i in range(len(b[1]))]
    labels = [int(v) for b in ds for v in b[1]]
    assert values == [0, 1, 2, 10, 11] and labels == [0, 0, 0, 1, 1]
    cat = utils.image_dataset_from_directory(tmp_path, label_mode="categorical", image_size=(4, 4), shuffle=False)
    np.testing.assert_array_equal(cat[0][1], np.eye(2, dtype="float32")[[0, 0, 0, 1, 1]])
    binary = utils.image_dataset_from_directory(tmp_path, label_mode="binary", image_size=(4, 4), shuffle=False)
    assert binary[0][1].shape == (5, 1) and binary[0][1].dtype == np.float32
    gray = utils.image_dataset_from_directory(tmp_path, labels=None, color_mode="grayscale", image_size=(4, 4))
    assert isinstance(gray[0], np.ndarray) and gray[0].shape == (5, 4, 4, 1)
    train, val = utils.image_dataset_from_directory(
        tmp_path, validation_split=0.4, subset="both", seed=3, image_size=(4, 4), batch_size=None
    )
    assert (len(train), len(val)) == (3, 2)
    seen = {float(x[0, 0, 0]) for x, _ in train} | {float(x[0, 0, 0]) for x, _ in val}
    assert seen == {0, 1, 2, 10, 11}  # disjoint and complete
    model = models.Sequential([layers.Input((4, 4, 3)), layers.Rescaling(1 / 255), layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"validation_split": 0.2}, "If `subset` is set, `validation_split` must be set"),
        ({"validation_split": 0.2, "subset": "training"}, "you must provide a `seed`"),
        ({"label_mode": "binary", "class_names": ["cat", "dog", "eel"]}, "did not match"),
        ({"labels": [0, 1, 1]}, "Expected the lengths of `labels` to match"),
        ({"labels": None, "class_names": ["cat"]}, "only pass `class_names` if"),
        ({"color_mode": "cmyk"}, "`color_mode` must be one of"),
        ({"label_mode": "sparse"}, "`label_mode` argument must be one of"),
    ],
)
def test_image_dataset_from_directory_refuses_bad_arguments(tmp_path, kwargs, message):
    _write_images(tmp_path, {"cat": 1, "dog": 1})
    with pytest.raises(ValueError, match=message):
        utils.image_dataset_from_directory(tmp_path, image_size=(4, 4), **kwargs)


# -- get_file --------------------------------------------------------------------------------------
def test_get_file_caches_and_checks_hashes(tmp_path, capsys):
    source = tmp_path / "src" / "data.bin"
    source.parent.mkdir()
    source.write_bytes(b"hello neuronio")
    sha, md5 = hashlib.sha256(b"hello neuronio").hexdigest(), hashlib.md5(b"hello neuronio").hexdigest()
    path = utils.get_file(origin=source.as_uri(), file_hash=sha, cache_dir=tmp_path / "cache")
    assert path == str(tmp_path / "cache" / "datasets" / "data.bin")
    assert "Downloading data from" in capsys.readouterr().out
    source.write_bytes(b"changed")  # the cached copy is used: no second download
    assert utils.get_file("data.bin", source.as_uri(), md5_hash=md5, cache_dir=tmp_path / "cache") == path
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected. The sha256"):
        utils.get_file("other.bin", source.as_uri(), file_hash=sha, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / "datasets" / "other.bin").exists()
    with pytest.raises(ValueError, match="Paths are no longer accepted"):
        utils.get_file("sub/x.bin", source.as_uri(), cache_dir=tmp_path)


def test_get_file_defaults_to_neuronio_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURONIO_HOME", str(tmp_path / "home"))
    source = tmp_path / "f.txt"
    source.write_text("x")
    path = utils.get_file(origin=source.as_uri(), cache_subdir="mine")
    assert pathlib.Path(path) == tmp_path / "home" / "mine" / "f.txt"


def test_get_file_extracts_tar_and_zip(tmp_path):
    tar_path = tmp_path / "pack.tar.gz"
    with tarfile.open(tar_path, "w:gz") as archive:
        info = tarfile.TarInfo("pack/a.txt")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"hi"))
    folder = utils.get_file("pack.tar.gz", tar_path.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert pathlib.Path(folder) == tmp_path / "c" / "datasets" / "pack_extracted"
    assert (pathlib.Path(folder) / "pack" / "a.txt").read_text() == "hi"
    zip_path = tmp_path / "z.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("inner/b.txt", "zip")
    folder = utils.get_file(origin=zip_path.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert pathlib.Path(folder) == tmp_path / "c" / "datasets" / "z.zip"
    assert (pathlib.Path(folder) / "inner" / "b.txt").read_text() == "zip"


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/absolute_escape.txt", "a/../../escape.txt"])
def test_get_file_refuses_archives_that_write_outside_their_folder(tmp_path, name):
    zip_path = tmp_path / "evil.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr(name, "owned")
    with pytest.raises(ValueError, match="path traversal"):
        utils.get_file("evil.zip", zip_path.as_uri(), extract=True, cache_dir=tmp_path / "c")
    assert not (tmp_path / "c" / "escape.txt").exists() and not (tmp_path / "c" / "datasets" / "escape.txt").exists()
    assert not (tmp_path / "c" / "datasets" / "evil_extracted").exists()


def test_get_file_refuses_tar_links(tmp_path):
    tar_path = tmp_path / "link.tar"
    with tarfile.open(tar_path, "w") as archive:
        info = tarfile.TarInfo("passwd")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(info)
    with pytest.raises(ValueError, match="links or special files"):
        utils.get_file("link.tar", tar_path.as_uri(), extract=True, cache_dir=tmp_path / "c")


def test_get_file_over_http(tmp_path):
    (tmp_path / "served.txt").write_text("served")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/served.txt"
        path = utils.get_file(origin=url, cache_dir=tmp_path / "c")
        assert pathlib.Path(path).read_text() == "served"
        with pytest.raises(Exception, match="URL fetch failure on .*404"):
            utils.get_file(origin=url.replace("served", "missing"), cache_dir=tmp_path / "c")
    finally:
        server.shutdown()
        server.server_close()


# -- split_dataset -----------------------------------------------------------------------------------
def test_split_dataset_keeps_the_kind_of_data():
    x, y = np.arange(10).reshape(10, 1), np.arange(10) * 10
    left, right = utils.split_dataset(x, left_size=0.8)
    np.testing.assert_array_equal(left[:, 0], np.arange(8))
    np.testing.assert_array_equal(right[:, 0], [8, 9])
    (lx, ly), (rx, ry) = utils.split_dataset((x, y), right_size=3, shuffle=True, seed=1)
    assert sorted([*lx[:, 0], *rx[:, 0]]) == list(range(10)) and len(rx) == 3
    np.testing.assert_array_equal(ly, lx[:, 0] * 10)
    left, right = utils.split_dataset({"a": x, "b": y}, left_size=2, right_size=2)
    np.testing.assert_array_equal(left["b"], [0, 10]) and np.testing.assert_array_equal(right["b"], [80, 90])
    batches = utils.timeseries_dataset_from_array(np.arange(20), np.arange(20), sequence_length=2, batch_size=4)
    left, right = utils.split_dataset(batches, left_size=3)
    assert (len(left), len(right)) == (3, len(batches) - 3)
    np.testing.assert_array_equal(right[0][1], batches[3][1])


def test_split_dataset_shuffles_as_keras_tf_path_does():
    """Keras's tf path: random.seed(seed); random.shuffle(samples); left = first, right = last."""
    import random

    samples = list(range(10))
    random.Random(5).shuffle(samples)
    left, right = utils.split_dataset(np.arange(10), left_size=0.6, right_size=0.3, shuffle=True, seed=5)
    assert left.tolist() == samples[:6] and right.tolist() == samples[-3:]


@pytest.mark.parametrize(
    ("left", "right", "error", "message"),
    [
        (None, None, ValueError, "specify either `left_size` or `right_size`"),
        ("a", None, TypeError, "Invalid `left_size` Type"),
        (0, 0, ValueError, "Both `left_size` and `right_size` are zero"),
        (10, None, ValueError, "`left_size` should be either a positive integer smaller than 10"),
        (0.7, 0.5, ValueError, "greater than 1"),
        (6, 6, ValueError, "should be smaller than the 10"),
        (0.01, None, ValueError, "left side dataset split will be empty"),
    ],
)
def test_split_dataset_refuses_bad_sizes(left, right, error, message):
    with pytest.raises(error, match=message):
        utils.split_dataset(np.arange(10), left_size=left, right_size=right)


# -- graph helpers -----------------------------------------------------------------------------------
def _two_input_model():
    a, b = layers.Input((3,), name="a"), layers.Input((3,), name="b")
    out = layers.Dense(2, name="dense")(layers.Add(name="add")([a, b]))
    return a, b, out, models.Model([a, b], out)


def test_get_source_inputs_walks_back_to_the_inputs():
    a, b, out, _ = _two_input_model()
    assert utils.get_source_inputs(out) == [a, b]
    assert utils.get_source_inputs(a) == [a]
    plain = np.zeros(3)
    assert utils.get_source_inputs(plain) is plain


def test_model_to_dot_has_one_node_per_layer_and_the_edges():
    pytest.importorskip("pydot")
    a, b, out, model = _two_input_model()
    dot = utils.model_to_dot(model, show_shapes=True, rankdir="LR", dpi=96)
    labels = {n.get_name(): n.get("label") for n in dot.get_nodes() if n.get_name() not in ("node", "edge")}
    assert len(labels) == 4
    by_layer = {layer.name: str(id(layer)) for layer in model.layers}
    assert "a (InputLayer)" in labels[by_layer["a"]] and "Output shape: (None, 2)" in labels[by_layer["dense"]]
    edges = {(e.get_source(), e.get_destination()) for e in dot.get_edges()}
    assert edges == {(by_layer["a"], by_layer["add"]), (by_layer["b"], by_layer["add"]),
                     (by_layer["add"], by_layer["dense"])}  # fmt: skip
    assert dot.get("rankdir") == "LR" and dot.get("dpi") == 96
    with pytest.raises(ValueError, match="rankdir"):
        utils.model_to_dot(model, rankdir="XY")


def test_model_to_dot_without_pydot_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pydot", None)
    with pytest.raises(ImportError, match=r"neuronio\[dot\]"):
        utils.model_to_dot(_two_input_model()[3])


def test_get_file_force_download_md5_and_untar(tmp_path):
    source = tmp_path / "v.txt"
    source.write_text("one")
    cache = tmp_path / "c"
    path = utils.get_file(origin=source.as_uri(), cache_dir=cache, hash_algorithm="md5",
                          file_hash=hashlib.md5(b"one").hexdigest())  # fmt: skip
    source.write_text("two")
    assert pathlib.Path(utils.get_file(origin=source.as_uri(), cache_dir=cache)).read_text() == "one"
    assert pathlib.Path(utils.get_file(origin=source.as_uri(), cache_dir=cache, force_download=True)).read_text() == "two"
    assert path == str(cache / "datasets" / "v.txt")
    # a cached file whose hash no longer matches is fetched again
    source.write_text("three")
    fresh = utils.get_file(origin=source.as_uri(), cache_dir=cache, file_hash=hashlib.sha256(b"three").hexdigest())
    assert pathlib.Path(fresh).read_text() == "three"
    tar_path = tmp_path / "old.tar"
    with tarfile.open(tar_path, "w") as archive:
        info = tarfile.TarInfo("x.txt")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"x"))
    folder = utils.get_file("old", tar_path.as_uri(), untar=True, cache_dir=cache)
    assert folder == str(cache / "datasets" / "old") and (pathlib.Path(folder) / "x.txt").read_text() == "x"
    assert (cache / "datasets" / "old_archive").exists()
