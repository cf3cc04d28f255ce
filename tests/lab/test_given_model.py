"""`neuronio lab run/model.keras`: the model named on the command line, with what its run folder says."""

import re

from tests.lab.conftest import FIXTURE, RUN_NAME


def test_a_model_named_inside_its_run_folder_brings_its_history(runs_root):
    from neuronio.lab.server import create_app

    client = create_app(model_path=runs_root / RUN_NAME / "model.keras", runs_root=runs_root).test_client()
    models = client.get("/api/models").get_json()
    assert models["default"] == "given"
    assert models["models"][0]["label"] == "model.keras (command line, test accuracy 96.1%)"
    summary = client.get("/api/inspect/summary?model=given").get_json()
    assert summary["record"] == {"history": {"loss": [0.49, 0.17], "accuracy": [0.85, 0.95]}, "test_accuracy": 0.9607}
    assert summary["dataset"] == "mnist"


def test_a_model_without_a_history_beside_it_has_none(runs_root):
    from neuronio.lab.server import create_app

    client = create_app(model_path=FIXTURE, runs_root=runs_root).test_client()
    assert client.get("/api/inspect/summary?model=given").get_json()["record"] == {}


def test_the_summary_counts_the_weights_and_rounds_the_decks_shares(client):
    summary = client.get(f"/api/inspect/summary?model={RUN_NAME}").get_json()
    assert summary["total_params"] == 11_978
    assert re.search(r" Total params: 11,978 \(", summary["text"])
    rows = [line.split() for line in summary["table"].splitlines() if line.endswith("%")]
    counts, shares = [int(row[-2]) for row in rows], [row[-1] for row in rows]
    assert sum(counts) == 11_978
    assert shares == [f"{100 * n / 11_978:.1f}%" for n in counts]
    assert "26.8%" in shares  # 3,216 / 11,978 = 26.85%: the deck's truncation would print 26.0%
