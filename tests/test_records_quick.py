"""benchmarks/records.py's code paths, every row, on a tiny slice of random images (--quick --synthetic):
the files each run leaves, the RESULTS.md row, the committee, and a killed run resuming exactly.
The script runs in a subprocess, as a user runs it (tests never import benchmarks/)."""

import csv
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from neuronio.models import load_model

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "records.py"


def _run(*arguments, runs_dir, check=True):
    command = [
        sys.executable,
        str(SCRIPT),
        *arguments,
        "--quick",
        "--synthetic",
        "--verbose",
        "0",
        "--runs-dir",
        str(runs_dir),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.mark.slow
def test_every_row_runs_and_reports(tmp_path):
    result = _run("a-plain", "a-elastic", "b", "c", "d", runs_dir=tmp_path)
    lines = result.stdout.splitlines()
    header = lines.index("| row | model | test error | training time | params | epochs | command | commit |")
    rows = {line.split(" | ")[0][2:] for line in lines[header + 2 :]}
    assert {"a-plain", "a-elastic", "b", "c", "d"} <= rows
    quick = tmp_path / "quick"
    for run in ["a-plain-seed1", "a-elastic-seed1", "b-seed1", "b-seed2", "d-seed1"]:
        summary = json.loads((quick / run / "summary.json").read_text())
        assert summary["epochs"] == 1 and summary["test_samples"] == 128 and summary["train_samples"] == 192
        assert 0.0 <= summary["test_error"] <= 1.0 and summary["training_seconds"] >= 0
        assert summary["command"].startswith("python benchmarks/records.py a-plain a-elastic b c d --quick")
        assert len(summary["commit"]) in (7, 40) or summary["commit"] == "unknown"
        history = list(csv.DictReader((quick / run / "history.csv").open()))
        assert len(history) == 1 and {"loss", "val_accuracy", "epoch_seconds", "learning_rate"} <= set(history[0])
        assert (quick / run / "train_log.csv").exists() and not (quick / run / "backup").exists()
        load_model(quick / run / "model.keras")
    committee = json.loads((quick / "c-2members" / "summary.json").read_text())
    assert committee["members"] == 2 and len(committee["member_test_errors"]) == 2
    model = load_model(quick / "b-seed1" / "model.keras")
    assert [type(layer).__name__ for layer in model.layers[:2]] == ["RandomTranslation", "ElasticDistortion"]
    again = _run("a-plain", runs_dir=tmp_path)  # a finished run is reported, not trained again
    assert "finished before" in again.stdout and "| a-plain |" in again.stdout


@pytest.mark.slow
def test_a_killed_run_resumes_where_it_stopped_and_ends_as_an_uninterrupted_one(tmp_path):
    killed = _run("a-elastic", "--epochs", "3", "--simulate-kill-at-epoch", "2", runs_dir=tmp_path / "k", check=False)
    assert killed.returncode == 3, killed.stderr[-2000:]
    run = tmp_path / "k" / "quick" / "a-elastic-seed1-3epochs"
    assert (run / "backup" / "latest.weights.h5").exists() and not (run / "summary.json").exists()
    _run("a-elastic", "--epochs", "3", runs_dir=tmp_path / "k")
    _run("a-elastic", "--epochs", "3", runs_dir=tmp_path / "u")
    resumed = json.loads((run / "summary.json").read_text())
    whole = json.loads((tmp_path / "u" / "quick" / "a-elastic-seed1-3epochs" / "summary.json").read_text())
    assert resumed["resumed"] is True and whole["resumed"] is False
    for key in ("epochs", "test_error", "test_loss", "final_val_error", "params"):
        assert resumed[key] == whole[key], key
    histories = [
        list(csv.DictReader((r / "history.csv").open()))
        for r in (run, tmp_path / "u" / "quick" / "a-elastic-seed1-3epochs")
    ]
    assert [h["loss"] for h in histories[0]] == [h["loss"] for h in histories[1]] and len(histories[0]) == 3
    weights = [
        load_model(r / "model.keras").get_weights() for r in (run, tmp_path / "u" / "quick" / "a-elastic-seed1-3epochs")
    ]
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_bad_committee_size_is_refused(tmp_path):
    result = _run("c", "--members", "9", runs_dir=tmp_path, check=False)
    assert result.returncode != 0 and "--members must be between 1 and 7" in result.stderr
