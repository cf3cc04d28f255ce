"""The models are named by what they are, as a student knows them, wherever a user reads about them."""

import pathlib
import re

import pytest

from neuronio.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
INTERNAL_NAME = re.compile(r"\bseed[ -]?(0\d\d|CNN|MLP)\b", re.IGNORECASE)  # the course materials' file names


def test_train_help_names_the_models_by_what_they_are(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert not INTERNAL_NAME.search(text), INTERNAL_NAME.search(text)
    assert "cnn: the course's MNIST CNN, Conv 32 5x5 -> pool -> Conv 64 5x5 -> pool -> Dense 1000" in text
    assert "mlp: deck 004's MLP, 784-512-512-512-10 with Dropout 0.2" in text


def test_the_train_page_names_the_models_by_what_they_are(client):
    models = {m["name"]: m["description"] for m in client.get("/api/train/options").get_json()["models"]}
    assert models["cnn"] == "the course's MNIST CNN (deck 000): Conv 32 5×5 → pool → Conv 64 5×5 → pool → Dense 1000"
    assert models["mlp"].startswith("deck 004's MLP")
    assert not any(INTERNAL_NAME.search(text) for text in models.values()), models


def test_the_readme_and_the_no_model_hint_say_the_same():
    from neuronio.utils.runs import NO_MODEL_HINT

    assert not INTERNAL_NAME.search((ROOT / "README.md").read_text())
    assert not INTERNAL_NAME.search(NO_MODEL_HINT)
