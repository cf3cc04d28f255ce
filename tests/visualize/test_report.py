import base64
import json
import re
import sys

import numpy as np
import pytest

from neuronio import cli, datasets
from neuronio.utils import runs
from neuronio.visualize import _style, write_report

pytest.importorskip("matplotlib")

SECTIONS = [
    "summary",
    "table",
    "diagram",
    "history",
    "accuracy",
    "predictions",
    "confusion",
    "mistakes",
    "filters",
    "activations",
    "patches",
]
HISTORY = {"loss": [1.0, 0.7], "accuracy": [0.5, 0.6], "val_loss": [0.9, 0.8], "val_accuracy": [0.55, 0.6]}


def images_in(page: str) -> list[bytes]:
    sources = re.findall(r'<img alt="[^"]*" src="([^"]+)"', page)
    assert all(s.startswith("data:image/png;base64,") for s in sources)  # embedded, nothing fetched
    return [base64.b64decode(s.split(",", 1)[1]) for s in sources]


def test_the_report_is_one_self_contained_page_with_every_section(tiny_cnn, images, rng, tmp_path):
    labels = rng.integers(0, 3, len(images))
    path = write_report(tiny_cnn, tmp_path / "out", images, labels, class_names=["a", "b", "c"], history=HISTORY)
    page = path.read_text()
    assert path == tmp_path / "out" / "report.html"
    assert re.findall(r'<section id="([a-z]+)">', page) == SECTIONS
    assert not re.search(r"(src|href)=\"(https?:|//)", page)  # no network access needed
    assert "<script" not in page
    pictures = images_in(page)
    # diagram, history, predictions, confusion, mistakes, filters of 'conv', activations for
    # 2 images + the most confident mistake, top patches of 'conv'
    assert len(pictures) == 10
    assert all(p[:8] == b"\x89PNG\r\n\x1a\n" for p in pictures)
    accuracy = (tiny_cnn.predict(images, verbose=0).argmax(axis=1) == labels).mean()
    assert f"{100 * accuracy:.2f}%" in page
    assert "conv (Conv2D)" in page and "OPERATION" in page  # the summary and the decks' table
    assert "conv: 3x3" in page  # the receptive field size in the patches' explanation


def test_without_history_or_convolutions_the_page_says_so(rng, tmp_path):
    from neuronio import layers
    from neuronio.models import Sequential

    from .conftest import randomize

    mlp = randomize(Sequential([layers.Input(shape=(16,)), layers.Dense(4, activation="relu"), layers.Dense(2)]), rng)
    x, y = rng.random((12, 16)).astype(np.float32), rng.integers(0, 2, 12)
    page = write_report(mlp, tmp_path, x, y, save_pngs=True).read_text()
    assert re.findall(r'<section id="([a-z]+)">', page) == SECTIONS
    assert "No history" in page
    assert "has no convolution layer, so it has no filters" in page
    assert "no patches" in page
    assert (tmp_path / "confusion_matrix.png").exists() and (tmp_path / "model.png").exists()


@pytest.fixture
def fake_mnist(monkeypatch, rng):
    """8x8 'MNIST' so that the commands run in a second (the real loader is tested elsewhere)."""
    x = (255 * rng.random((40, 8, 8))).astype(np.uint8)
    y = rng.integers(0, 3, 40).astype(np.uint8)
    monkeypatch.setattr(datasets.mnist, "load_data", lambda: ((x, y), (x[:30], y[:30])))
    return x[:30], y[:30]


def test_the_report_command_writes_the_page_next_to_the_model(tiny_cnn, fake_mnist, tmp_path, capsys):
    tiny_cnn.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    tiny_cnn.save(tmp_path / "model.keras")
    (tmp_path / "history.json").write_text(json.dumps({"model": "cnn", "dataset": "mnist", "history": HISTORY}))
    assert cli.main(["report", str(tmp_path / "model.keras"), "--samples", "25"]) == 0
    assert "Saved the report to" in capsys.readouterr().out
    page = (tmp_path / "report.html").read_text()
    assert "25 test images" in page or "of 25 test images" in page
    assert 'id="history"' in page and "No history" not in page


def test_the_report_command_explains_user_errors_without_a_traceback(tiny_cnn, fake_mnist, tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "missing.keras")]) == 1
    assert "neuronio report:" in capsys.readouterr().err
    from neuronio import layers
    from neuronio.models import Sequential

    wrong = Sequential([layers.Input(shape=(5, 5, 1)), layers.Flatten(), layers.Dense(3, activation="softmax")])
    wrong.save(tmp_path / "wrong.keras")
    assert cli.main(["report", str(tmp_path / "wrong.keras"), "--out", str(tmp_path / "r")]) == 1
    assert "takes inputs of shape (5, 5, 1), but mnist images have shape (8, 8)" in capsys.readouterr().err


@pytest.fixture
def fake_training_data(monkeypatch, rng):
    def load(name, flat, samples=None):
        x = rng.random((48, 64 if flat else 8)).astype(np.float32)
        y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 48)]
        return (x[:32], y[:32]), (x[32:], y[32:])

    monkeypatch.setattr(runs, "load_dataset", load)


def test_neuronio_train_writes_the_report_at_the_end(fake_training_data, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--model", "mlp", "--epochs", "1", "--verbose", "0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"Saved the report to {out / 'report.html'}" in printed
    assert printed.endswith(  # the last words say how to see the report and open the model
        f"\nNext:\n  the report, in your browser:  {(out / 'report.html').resolve().as_uri()}\n"
        f"  draw digits for it, inspect it:  neuronio lab {out / 'model.keras'}\n"
    )
    page = (out / "report.html").read_text()
    assert re.findall(r'<section id="([a-z]+)">', page) == SECTIONS
    assert "epochs: 1" in page


def test_neuronio_train_skips_the_report_with_a_note_without_matplotlib(
    fake_training_data, tmp_path, monkeypatch, capsys
):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now fails
    with pytest.raises(ImportError, match=r"pip install 'neuronio\[plot\]'"):
        _style.require_matplotlib("plot_history")
    out = tmp_path / "run"
    assert cli.main(["train", "--model", "mlp", "--epochs", "1", "--verbose", "0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Skipped the report (report.html): it needs matplotlib" in printed
    assert "the report, in your browser" not in printed
    assert f"  draw digits for it, inspect it:  neuronio lab {out / 'model.keras'}" in printed
    assert (out / "model.keras").exists() and not (out / "report.html").exists()
