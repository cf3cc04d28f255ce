"""`neuronio read --onnx`: the same readings and confidences with ONNX Runtime as with neuronio."""

import json

import numpy as np
import pytest

from neuronio import cli
from neuronio.apps import load_reader_model, read_digits
from tests.apps.test_reader import FIXTURES, LABELS, LEXICON

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
from neuronio.saving.onnx.runtime import OnnxRuntimeModel  # noqa: E402

NAMES = ["images/clean_0000.jpg", "images/touching_0000.png"]


@pytest.fixture(scope="module")
def models():
    model = load_reader_model(FIXTURES / "small_cnn.keras")
    return model, OnnxRuntimeModel(model)


def test_onnx_runtime_gives_the_models_probabilities_and_logits(models):
    model, runtime = models
    x = np.random.default_rng(0).uniform(size=(4, 28, 28, 1)).astype("float32")
    probs = runtime.predict(x)
    np.testing.assert_allclose(probs, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    logits = runtime.logits(x)  # the scores before the final softmax: softmax(logits) == probs
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(e / e.sum(axis=1, keepdims=True), probs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_readings_agree_with_neuronios(models, name):
    model, runtime = models
    ours = read_digits(FIXTURES / name, model=model, expected_length=5)
    theirs = read_digits(FIXTURES / name, model=runtime, expected_length=5)
    assert theirs.text == ours.text == LABELS[name]["text"]
    np.testing.assert_allclose(theirs.confidences, ours.confidences, rtol=1e-4)


def test_read_command_with_onnx(capsys):
    paths = [str(FIXTURES / n) for n in NAMES]
    rc = cli.main(
        ["read", *paths, "--model", str(FIXTURES / "small_cnn.keras"), "--lexicon", str(LEXICON), "--onnx", "--json"]
    )
    assert rc == 0
    readings = json.loads(capsys.readouterr().out)
    assert [r["text"] for r in readings] == [LABELS[n]["text"] for n in NAMES]
