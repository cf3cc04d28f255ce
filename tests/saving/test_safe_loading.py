"""Loading never runs code from the file, and every damaged or foreign file gives FileFormatError
naming the file and the problem (never a raw KeyError or zipfile trace)."""

import builtins
import importlib
import io
import json
import pickle
import sys
import zipfile

import h5py
import numpy as np
import pytest

from neuronio import layers, ops
from neuronio.errors import FileFormatError
from neuronio.models import Sequential, load_model


@pytest.fixture
def saved(tmp_path):
    model = Sequential([layers.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    path = tmp_path / "m.keras"
    model.save(path)
    return path


def read_members(path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def write_archive(path, members: dict) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def with_config(source, target, edit) -> None:
    members = read_members(source)
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    write_archive(target, members)


# Weights edited with h5py no longer match neuronio's checksum: a warning, then the usual checks.
pytestmark = pytest.mark.filterwarnings("ignore:.*checksum neuronio wrote:UserWarning")


def with_weights(source, target, edit) -> None:
    members = read_members(source)
    buffer = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buffer, "r+") as f:
        edit(f)
    members["model.weights.h5"] = buffer.getvalue()
    write_archive(target, members)


def dense_entry(config):
    return config["config"]["layers"][1]


# -- no code from the file --------------------------------------------------------------------------
@pytest.mark.parametrize("class_name", ["TFOpLambda", "SlicingOpLambda", "TorchModuleWrapper"])
def test_code_holding_layers_are_refused(saved, tmp_path, class_name):
    def edit(config):
        dense_entry(config)["class_name"] = class_name
        dense_entry(config)["config"]["function"] = {"class_name": "__lambda__", "config": {"code": "ZGVm"}}

    with_config(saved, tmp_path / "bad.keras", edit)
    with pytest.raises(
        FileFormatError,
        match=rf"bad\.keras.*refusing to load a '{class_name}' layer: it holds "
        r"Python code, and loading never executes code from a file",
    ):
        load_model(tmp_path / "bad.keras")


def test_a_lambda_layer_is_refused_unless_the_user_opts_out_of_safe_mode(saved, tmp_path):
    # Lambda has one policy (neuronio.layers.lambda_layer): its stored bytecode loads only with
    # safe_mode=False, as in Keras; bytecode that does not unmarshal is a damaged file either way.
    def edit(config):
        dense_entry(config)["class_name"] = "Lambda"
        dense_entry(config)["config"] = {
            "name": "f",
            "function": {"class_name": "__lambda__", "config": {"code": "ZGVm"}},
        }

    with_config(saved, tmp_path / "bad.keras", edit)
    with pytest.raises(FileFormatError, match=r"bad\.keras.*Refusing to load the Lambda layer 'f'.*safe_mode=False"):
        load_model(tmp_path / "bad.keras")
    with pytest.raises(FileFormatError, match=r"Lambda layer 'f': its bytecode cannot be read"):
        load_model(tmp_path / "bad.keras", safe_mode=False)


def test_unknown_classes_are_refused_without_importing_their_module(saved, tmp_path):
    assert "antigravity" not in sys.modules

    def edit(config):
        dense_entry(config).update(module="antigravity", class_name="Fly", registered_name="antigravity>Fly")

    with_config(saved, tmp_path / "bad.keras", edit)
    with pytest.raises(
        FileFormatError,
        match=r"bad\.keras \(config\.json\): unknown layer class 'Fly' \(registered as 'antigravity>Fly'\)\. neuronio "
        r"loads only its own registered layers \(.*Dense.*\)",
    ):
        load_model(tmp_path / "bad.keras")
    assert "antigravity" not in sys.modules


def test_a_lambda_loss_in_the_compile_config_is_refused(saved, tmp_path):
    def edit(config):
        config["compile_config"]["loss"] = {"class_name": "__lambda__", "config": {"code": "ZGVm"}}

    with_config(saved, tmp_path / "bad.keras", edit)
    with pytest.raises(FileFormatError, match=r"Refusing to load a lambda in the compile state.*safe_mode=False"):
        load_model(tmp_path / "bad.keras")
    load_model(tmp_path / "bad.keras", compile=False)  # the model itself is fine


def test_lambda_loss_and_metric_round_trip_only_outside_safe_mode(tmp_path):
    from neuronio import layers, models

    model = models.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile("sgd", loss=lambda t, p: ops.mean(ops.square(p - t), axis=-1), metrics=[lambda t, p: p * 0.0 + 3.0])
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileFormatError, match=r"Refusing to load a lambda.*enable_unsafe_deserialization"):
        load_model(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras", safe_mode=False)
    expected = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(loaded.evaluate(x, y, verbose=0), expected, rtol=1e-6)
    assert expected[1] == pytest.approx(3.0)


def test_loading_uses_no_pickle_eval_or_foreign_import(saved, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError(f"loading called a code-running function with {args!r}")

    real_import_module = importlib.import_module

    def only_own_modules(name, *args, **kwargs):
        if not name.startswith("neuronio"):
            forbidden(name)
        return real_import_module(name, *args, **kwargs)

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(importlib, "import_module", only_own_modules)
    model = load_model(saved)
    assert model.compiled


def test_links_and_non_numeric_datasets_in_the_weights_are_refused(saved, tmp_path):
    def soft_link(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")

    with_weights(saved, tmp_path / "link.keras", soft_link)
    with pytest.raises(FileFormatError, match=r"link\.keras \(model\.weights\.h5\).*SoftLink, not stored data"):
        load_model(tmp_path / "link.keras")

    def external(f):
        del f["layers/dense/vars/1"]
        f["layers/dense/vars/1"] = h5py.ExternalLink("/etc/passwd", "/x")

    with_weights(saved, tmp_path / "ext.keras", external)
    with pytest.raises(FileFormatError, match=r"ExternalLink"):
        load_model(tmp_path / "ext.keras")

    def strings(f):
        del f["layers/dense/vars/1"]
        f["layers/dense/vars/1"] = np.array([b"abc", b"def", b"ghi"], dtype=object).astype(h5py.string_dtype())

    with_weights(saved, tmp_path / "str.keras", strings)
    with pytest.raises(FileFormatError, match=r"dense.*variable 1 has dtype object; expected numbers"):
        load_model(tmp_path / "str.keras")


def test_weights_of_the_wrong_shape_name_layer_and_shapes(saved, tmp_path):
    def reshape(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = np.zeros((5, 3), "float32")

    with_weights(saved, tmp_path / "bad.keras", reshape)
    with pytest.raises(
        FileFormatError,
        match=r"layer 'dense' \(layers/dense/vars\) variable 0 \('kernel'\) has "
        r"shape \(4, 3\), but the file stores shape \(5, 3\)",
    ):
        load_model(tmp_path / "bad.keras")


def test_missing_weights_are_named(saved, tmp_path):
    with_weights(saved, tmp_path / "bad.keras", lambda f: f.__delitem__("layers/dense_1"))
    with pytest.raises(FileFormatError, match=r"no saved weights for layer 'dense_1' \(layers/dense_1/vars\)"):
        load_model(tmp_path / "bad.keras")


# -- Keras's extra keys -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "value", "feature"),
    [
        ("quantization_config", {"mode": "int8"}, "quantization"),
        ("lora_rank", 4, "LoRA adapters"),
    ],
)
def test_keras_features_neuronio_lacks_are_refused_by_name(saved, tmp_path, key, value, feature):
    with_config(saved, tmp_path / "bad.keras", lambda config: dense_entry(config)["config"].update({key: value}))
    with pytest.raises(FileFormatError, match=rf"layer 'dense' \(Dense\) uses {feature} \({key}="):
        load_model(tmp_path / "bad.keras")


def test_keras_default_keys_are_accepted(saved, tmp_path, rng):
    def edit(config):
        config["config"]["layers"][0]["config"].update(ragged=False, optional=False)
        dense_entry(config)["config"].update(quantization_config=None, lora_rank=None, activity_regularizer=None)
        dense_entry(config)["config"]["kernel_initializer"]["config"].update(input_axes=None, output_axes=None)

    with_config(saved, tmp_path / "ok.keras", edit)
    x = rng.random((2, 4), dtype=np.float32)
    np.testing.assert_array_equal(
        load_model(tmp_path / "ok.keras").predict(x, verbose=0), load_model(saved).predict(x, verbose=0)
    )


def test_mixed_precision_policies_are_refused(saved, tmp_path):
    def edit(config):
        dense_entry(config)["config"]["dtype"] = {
            "module": "keras",
            "class_name": "DTypePolicy",
            "config": {"name": "mixed_float16"},
            "registered_name": None,
        }

    with_config(saved, tmp_path / "bad.keras", edit)
    with pytest.raises(FileFormatError, match=r"layer 'dense' \(Dense\) has dtype policy .*mixed_float16.*no mixed"):
        load_model(tmp_path / "bad.keras")


# -- damaged and foreign files ------------------------------------------------------------------------------
def test_every_truncation_gives_file_format_error(saved, tmp_path):
    data = saved.read_bytes()
    for length in sorted(
        {0, 1, 4, 30, 100, len(data) // 3, len(data) // 2, len(data) - 200, len(data) - 22, len(data) - 1}
    ):
        path = tmp_path / f"cut{length}.keras"
        path.write_bytes(data[:length])
        with pytest.raises(FileFormatError, match=rf"cut{length}\.keras"):
            load_model(path)


def test_flipped_bytes_give_file_format_error(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    members = zipfile.ZipFile(saved).infolist()
    for info in members:  # one byte inside each member's data: the CRC check catches it
        damaged = bytearray(data)
        offset = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
        damaged[offset] ^= 0xFF
        path = tmp_path / f"flip_{info.filename}.keras"
        path.write_bytes(bytes(damaged))
        with pytest.raises(FileFormatError, match=rf"flip_{info.filename}\.keras.*{info.filename}.*(CRC|damaged)"):
            load_model(path)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", r"the file is empty \(0 bytes\)"),
        (b"hello, I am text\n", r"not a \.keras archive: a \.keras file is a zip archive .* starts with b'hello, I'"),
        (b"\x89HDF\r\n\x1a\n" + bytes(100), r"this is an HDF5 file, not a \.keras zip archive.*load_weights"),
    ],
)
def test_wrong_kinds_of_file_are_named(tmp_path, content, words):
    path = tmp_path / "thing.keras"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=rf"thing\.keras: {words}"):
        load_model(path)


def test_archives_with_wrong_members_are_named(saved, tmp_path):
    members = read_members(saved)
    write_archive(tmp_path / "a.keras", {"other.txt": b"x"})
    with pytest.raises(FileFormatError, match=r"a\.keras: the archive has no 'config\.json' \(it holds other\.txt\)"):
        load_model(tmp_path / "a.keras")
    write_archive(tmp_path / "b.keras", {**members, "config.json": b"{not json"})
    with pytest.raises(FileFormatError, match=r"b\.keras \(config\.json\): not valid JSON"):
        load_model(tmp_path / "b.keras")
    write_archive(tmp_path / "c.keras", {**members, "config.json": b"[1, 2]"})
    with pytest.raises(FileFormatError, match=r"c\.keras \(config\.json\): expected a JSON object; received a list"):
        load_model(tmp_path / "c.keras")
    write_archive(tmp_path / "d.keras", {k: v for k, v in members.items() if k != "model.weights.h5"})
    with pytest.raises(FileFormatError, match=r"d\.keras: the archive has no 'model\.weights\.h5'"):
        load_model(tmp_path / "d.keras")
    write_archive(tmp_path / "e.keras", {**members, "model.weights.h5": b"not hdf5 at all"})
    with pytest.raises(FileFormatError, match=r"e\.keras \(model\.weights\.h5\): not a readable HDF5 weights file"):
        load_model(tmp_path / "e.keras")


def test_a_layer_alone_is_not_a_model(saved, tmp_path):
    with_config(saved, tmp_path / "bad.keras", lambda config: config.update(dense_entry(config)))
    with pytest.raises(FileFormatError, match=r"the top-level object is a 'Dense' layer, not a model"):
        load_model(tmp_path / "bad.keras")


def test_configs_neuronio_cannot_build_are_file_format_errors(saved, tmp_path):
    with_config(saved, tmp_path / "a.keras", lambda config: dense_entry(config)["config"].update(units=-3))
    with pytest.raises(
        FileFormatError,
        match=r"a\.keras \(config\.json\): describes a model neuronio cannot build "
        r"\(ValueError: .*units",
    ):
        load_model(tmp_path / "a.keras")
    with_config(saved, tmp_path / "b.keras", lambda config: config["compile_config"].update(loss="no_such_loss"))
    with pytest.raises(FileFormatError, match=r"no_such_loss.*load with compile=False"):
        load_model(tmp_path / "b.keras")


def test_missing_files_and_custom_objects(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No such file: .*nothing\.keras"):
        load_model(tmp_path / "nothing.keras")
    with pytest.raises(
        TypeError, match=r"custom_objects must be a dict mapping names to classes or functions; received list"
    ):
        load_model(tmp_path / "nothing.keras", custom_objects=["X"])


def test_file_format_error_is_a_value_error():
    assert issubclass(FileFormatError, ValueError)


def test_a_loaded_lambda_sees_np_and_ops_and_names_any_other_global(tmp_path):
    model = Sequential([layers.Input((2,)), layers.Lambda(lambda x: ops.square(x) + np.float32(1.0))])
    model.save(tmp_path / "ok.keras")
    x = np.array([[1.0, -2.0]], "float32")
    np.testing.assert_allclose(load_model(tmp_path / "ok.keras", safe_mode=False).predict(x, verbose=0), [[2.0, 5.0]])

    # A lambda from a Keras program reads the global `keras`, which a loaded file cannot provide.
    model = Sequential([layers.Input((2,)), layers.Lambda(_global_keras_lambda, output_shape=(2,))])
    model.save(tmp_path / "global.keras")
    loaded = load_model(tmp_path / "global.keras", safe_mode=False)
    with pytest.raises(NameError, match=r"Lambda layer .* uses the global name 'keras'.*Rebuild it in code"):
        loaded.predict(x, verbose=0)


_global_keras_lambda = lambda x: keras.ops.square(x)  # noqa: E731, F821 - `keras` is undefined on purpose


def test_enable_unsafe_deserialization_opts_in_for_the_whole_session(tmp_path, monkeypatch):
    from neuronio import config

    monkeypatch.setattr(config, "_SAFE_MODE", True)  # restored after the test
    model = Sequential([layers.Input((2,)), layers.Lambda(lambda x: x + 1.0)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileFormatError, match=r"Refusing to load the Lambda layer"):
        load_model(tmp_path / "m.keras")
    config.enable_unsafe_deserialization()
    assert not config.in_safe_mode()
    loaded = load_model(tmp_path / "m.keras")  # safe_mode=True by default, but the session opted in (as Keras)
    np.testing.assert_allclose(loaded.predict(np.zeros((1, 2), "float32"), verbose=0), [[1.0, 1.0]])
