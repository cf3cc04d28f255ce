"""Errors at the parsing boundary: a fault in the file is a FileFormatError naming the file and the
fault, found where the config is parsed; a bug in a `from_config` (neuronio's or the user's) is
raised as itself, never dressed up as "a file neuronio cannot build"."""

import io
import json
import zipfile

import pytest

from neuronio import layers, optimizers
from neuronio.errors import FileFormatError
from neuronio.models import Model, Sequential, load_model


def _functional():
    a = layers.Input((4,), name="a")
    hidden = layers.Dense(3, activation="relu", name="hidden")(a)
    return Model(a, layers.Dense(2, name="out")(hidden))


def _sequential():
    return Sequential([layers.Input((4,)), layers.Dense(3, name="hidden"), layers.Dense(2, name="out")])


@pytest.fixture(params=["functional", "sequential"])
def saved(request, tmp_path):
    model = _functional() if request.param == "functional" else _sequential()
    model.compile(optimizer=optimizers.Adam(0.01), loss="mse")
    path = tmp_path / "m.keras"
    model.save(path)
    return path


def _rewrite_config(path, edit) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    path.write_bytes(buffer.getvalue())


@pytest.mark.parametrize("bug", [AttributeError, KeyError, IndexError])
def test_a_bug_in_a_layers_from_config_is_raised_as_itself(saved, monkeypatch, bug):
    def broken(cls, config):
        raise bug("planted bug in Dense.from_config")

    monkeypatch.setattr(layers.Dense, "from_config", classmethod(broken))
    with pytest.raises(bug, match="planted bug") as caught:
        load_model(saved)
    assert not isinstance(caught.value, FileFormatError)


def test_a_bug_in_an_optimizers_from_config_is_raised_as_itself(saved, monkeypatch):
    def broken(cls, config):
        raise AttributeError("planted bug in Adam.from_config")

    monkeypatch.setattr(optimizers.Adam, "from_config", classmethod(broken))
    with pytest.raises(AttributeError, match="planted bug"):
        load_model(saved)
    assert load_model(saved, compile=False) is not None  # only the compile state reaches the bug


def test_a_value_the_constructor_refuses_is_a_file_fault(saved):
    def edit(config):
        config["config"]["layers"][1]["config"]["units"] = -3

    _rewrite_config(saved, edit)
    with pytest.raises(FileFormatError, match=r"m\.keras.*cannot build"):
        load_model(saved)


@pytest.mark.parametrize(
    "edit, fault",
    [
        (lambda c: c["config"]["layers"].append(7), r"must be a JSON object; received 7"),
        (lambda c: c["config"]["layers"][1].update(config=[1, 2]), r"must be a JSON object; received \[1, 2\]"),
        (lambda c: c["config"]["layers"][1].update(class_name=5), r"expected a layer entry with a 'class_name'"),
        (lambda c: c["config"]["layers"][1].update(build_config={"input_shape": {"a": 1}}), r"input_shape must be"),
        (
            lambda c: c["compile_config"].update(optimizer={"class_name": "Adam", "config": [1]}),
            r"'config'; received \[1\]",
        ),
        (
            lambda c: c["compile_config"].update(optimizer={"config": {}}),
            r"optimizer must be a JSON object with a string",
        ),
        (lambda c: c["compile_config"].update(loss={"class_name": 3}), r"loss must be a JSON object with a string"),
    ],
)
def test_a_malformed_envelope_is_named_where_it_is_parsed(saved, edit, fault):
    _rewrite_config(saved, edit)
    with pytest.raises(FileFormatError, match=fault) as caught:
        load_model(saved)
    assert "m.keras" in str(caught.value)


@pytest.fixture
def saved_functional(tmp_path):
    path = tmp_path / "m.keras"
    _functional().save(path)
    return path


def _hidden(config):
    return next(entry for entry in config["config"]["layers"] if entry["name"] == "hidden")


@pytest.mark.parametrize(
    "edit, fault",
    [
        (lambda c: _hidden(c).update(inbound_nodes="x"), r"layer 'hidden': 'inbound_nodes' must be a list"),
        (lambda c: _hidden(c).update(inbound_nodes=[{"args": []}]), r"layer 'hidden': a node needs a non-empty 'args'"),
        (lambda c: _hidden(c).update(inbound_nodes=[{"args": [["a", 0]]}]), r"not a tensor reference"),
        (
            lambda c: _hidden(c).update(inbound_nodes=[{"args": [["a", 0, 0]], "kwargs": [1]}]),
            r"'kwargs' must be an object",
        ),
        (lambda c: _hidden(c).update(name=None), r"each layer entry needs a string 'name'"),
        (lambda c: _hidden(c).update(name="a"), r"two layers are named 'a'"),
        (lambda c: c["config"].update(input_layers="a"), r"'input_layers' must hold \[layer name, node index"),
        (lambda c: c["config"].update(output_layers=[["out", 0, True]]), r"'output_layers' must hold"),
        (lambda c: c["config"].update(output_layers=["nowhere", 0, 0]), r"refers to a layer 'nowhere' that does not"),
        (lambda c: c["config"].update(output_layers=["out", 0, 4]), r"output 4 of layer 'out', which has 1"),
        (lambda c: c["config"].update(output_layers=["out", 3, 0]), r"name a node of 'out' that is never made"),
    ],
)
def test_a_malformed_functional_graph_is_named(saved_functional, edit, fault):
    _rewrite_config(saved_functional, edit)
    with pytest.raises(FileFormatError, match=fault) as caught:
        load_model(saved_functional)
    assert "m.keras" in str(caught.value)
