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
