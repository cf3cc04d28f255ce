import json

from neuronio.utils.runs import best_run, find_runs


def _run(root, name, dataset, accuracy, with_model=True):
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "history.json").write_text(json.dumps({"model": "cnn", "dataset": dataset, "test_accuracy": accuracy}))
    if with_model:
        (folder / "model.keras").write_bytes(b"zip")
    return folder


def test_best_run_is_the_most_accurate_finished_run_on_the_dataset(tmp_path):
    _run(tmp_path, "a", "mnist", 0.98)
    best = _run(tmp_path, "b", "mnist", 0.991)
    _run(tmp_path, "c", "fashion_mnist", 0.999)
    _run(tmp_path, "d", "mnist", 0.999, with_model=False)  # no model.keras: unfinished
    (tmp_path / "e").mkdir()
    (tmp_path / "e" / "history.json").write_text("{not json")  # half-written: ignored
    assert best_run("mnist", tmp_path).folder == best
    assert [r.dataset for r in find_runs(root=tmp_path)] == ["fashion_mnist", "mnist", "mnist"]
    assert best_run("cifar10", tmp_path) is None


# -- the Run every front end trains with --------------------------------------------------------------
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from neuronio import callbacks, optimizers, utils  # noqa: E402
from neuronio.datasets import prepared  # noqa: E402
from neuronio.utils import runs  # noqa: E402


@pytest.fixture
def tiny_data(monkeypatch, rng):
    """A flat 64-feature, 10-class stand-in for MNIST: 40 training and 16 test rows, one-hot."""
    seen = []
    x = rng.random((56, 64)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 56)]

    def load(name, flat, samples=None):
        seen.append((name, flat, samples))
        return (x[:40], y[:40]), (x[40:], y[40:])

    monkeypatch.setattr(runs, "load_dataset", load)
    return seen


class _Counting(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_a_run_trains_evaluates_and_saves_the_folder_the_finders_read(tiny_data, tmp_path):
    settings = runs.RunSettings(model="mlp", dataset="mnist", epochs=2, batch_size=16, samples=40, verbose=0)
    counting, lines = _Counting(), []
    (tmp_path / "r").mkdir()  # the caller makes the folder (neuronio train checks it first)
    record = runs.Run(settings, tmp_path / "r", callbacks=[counting], log=lines.append).execute()
    assert tiny_data == [("mnist", True, 40)]  # the deck's MLP takes flat images
    assert counting.batches == 2 * 3  # 36 training rows after the 0.1 split: 3 batches of <= 16
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["history.csv", "history.json", "model.keras"]
    saved = json.loads((tmp_path / "r" / "history.json").read_text())
    assert saved == record
    assert list(record) == [
        "model", "dataset", "epochs", "batch_size", "seed", "samples", "train_seconds",
        "test_loss", "test_accuracy", "history",
    ]  # fmt: skip
    assert record["samples"] == 40 and len(record["history"]["val_loss"]) == 2
    assert lines[-3].startswith("Test loss: ") and lines[-1].startswith("Saved the model to ")
    assert best_run("mnist", tmp_path).folder == tmp_path / "r"


def test_the_optimizer_comes_from_the_registry_at_the_rate_asked():
    deck = runs.Run(runs.RunSettings(model="lenet")).optimizer()
    assert type(deck) is optimizers.Adamax  # the deck's own
    chosen = runs.Run(runs.RunSettings(model="mlp", optimizer="sgd", learning_rate=0.5)).optimizer()
    assert type(chosen) is optimizers.SGD and chosen.get_config()["learning_rate"] == 0.5


def test_the_same_seed_gives_the_same_run(tiny_data, tmp_path):
    settings = runs.RunSettings(model="mlp", epochs=1, batch_size=8, seed=3, verbose=0)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = runs.Run(settings, tmp_path / "a", log=lambda line: None).execute()
    utils.set_random_seed(99)  # whatever ran before, the run seeds itself
    second = runs.Run(settings, tmp_path / "b", log=lambda line: None).execute()
    assert first["history"] == second["history"] and first["test_loss"] == second["test_loss"]


def test_prepared_images_are_scaled_and_shaped_once_for_every_front_end(monkeypatch):
    from neuronio.datasets import mnist

    x = np.array([[[0, 255], [51, 102]]], np.uint8)  # one 2x2 image
    monkeypatch.setattr(mnist, "load_data", lambda: ((x, np.array([7])), (x, np.array([3]))))
    (x_train, y_train), (x_test, y_test) = prepared.load("mnist")
    assert x_train.dtype == np.float32 and x_train.shape == (1, 2, 2, 1)
    np.testing.assert_array_equal(x_train[0, :, :, 0], np.float32([[0, 255], [51, 102]]) / np.float32(255))
    assert prepared.load("mnist", flat=True)[0][0].shape == (1, 4)
    assert y_train.tolist() == [7] and y_test.tolist() == [3]
    with pytest.raises(
        ValueError, match=r"Unknown image dataset 'imdb'; expected one of mnist, fashion_mnist, cifar10"
    ):
        prepared.load("imdb")
