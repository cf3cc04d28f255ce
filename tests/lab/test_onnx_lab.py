"""`neuronio lab --onnx`: the Draw page computed by ONNX Runtime gives the page neuronio gives."""

import base64
import json

import numpy as np
import pytest

from tests.lab.conftest import drawing, drawing_body, ellipse

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


@pytest.fixture
def onnx_client(runs_root):
    from neuronio.lab.server import create_app

    return create_app(runs_root=runs_root, onnx=True).test_client()


def _maps(layer):
    values = layer["values"]
    return np.frombuffer(base64.b64decode(values["data"]), np.uint8), values["min"], values["max"]


def test_draw_page_in_onnx_runtime_matches_neuronio(client, onnx_client):
    body = drawing_body(drawing([ellipse()]))
    ours = client.post("/api/predict", json=body).get_json()
    theirs = onnx_client.post("/api/predict", json=body).get_json()
    assert theirs["prediction"] == ours["prediction"] == 0
    np.testing.assert_allclose(theirs["probabilities"], ours["probabilities"], atol=1e-4)  # rounded to 5 places
    assert [layer["name"] for layer in theirs["layers"]] == [layer["name"] for layer in ours["layers"]]
    for a, b in zip(ours["layers"], theirs["layers"]):
        assert a["kind"] == b["kind"] and a["shape"] == b["shape"]
        if a["kind"] == "maps":  # 8-bit feature maps: at most one level apart from rounding
            (qa, lo_a, hi_a), (qb, lo_b, hi_b) = _maps(a), _maps(b)
            assert abs(lo_a - lo_b) < 1e-4 and abs(hi_a - hi_b) < 1e-4
            assert np.abs(qa.astype(int) - qb.astype(int)).max() <= 1


def test_a_model_onnx_cannot_express_is_refused_with_the_reason(runs_root, onnx_client):
    from neuronio import layers
    from neuronio.models import Sequential

    class Doubler(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    folder = runs_root / "custom-run"
    folder.mkdir(parents=True)
    model = Sequential([layers.Input((28, 28, 1)), layers.Flatten(), Doubler(name="doubler"), layers.Dense(10)])
    # Saved without the custom class registered, it would not load at all; keep it in memory instead.
    from neuronio.lab.models import ModelEntry, _onnx_runtime
    from neuronio.lab.wire import LabInputError

    entry = ModelEntry("custom-run", folder / "model.keras", "lab", "mnist", None, {})
    probe = model
    with pytest.raises(LabInputError, match=r"cannot run in ONNX Runtime.*'doubler' \(Doubler\)") as caught:
        _onnx_runtime(entry, probe)
    assert caught.value.status == 422
    assert json.dumps({"error": str(caught.value)})  # the message travels as the JSON error
