"""Every endpoint of the lab's server, with good and bad input, through Flask's test client."""

import base64
import json
import pathlib
import re
import time

import numpy as np
import pytest

from tests.lab.conftest import RUN_NAME, drawing, drawing_body, ellipse, wait_for_run

STATIC = pathlib.Path(__file__).resolve().parents[2] / "neuronio" / "lab" / "static"


def _save_run(runs_root, name, model, dataset="mnist", accuracy=0.5):
    folder = runs_root / name
    folder.mkdir(parents=True)
    model.save(folder / "model.keras")
    (folder / "history.json").write_text(json.dumps({"model": "x", "dataset": dataset, "test_accuracy": accuracy}))
    return name


def _dense_model(input_shape):
    from neuronio import layers
    from neuronio.models import Sequential

    return Sequential([layers.Input(shape=input_shape), layers.Dense(10, activation="softmax")])


def _error(response, status, pattern):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    message = response.get_json()["error"]
    assert re.search(pattern, message), message
    return message


# -- the page ---------------------------------------------------------------------------------------
def test_the_page_and_its_files_are_served_and_need_no_network(client):
    page = client.get("/")
    assert page.status_code == 200 and b"neuronio" in page.data
    for name in ("lab.js", "draw.js", "train.js", "inspect.js", "playground.js", "lab.css"):
        assert client.get(f"/static/{name}").status_code == 200
    # Nothing the page loads comes from elsewhere: no http(s) URL but the SVG namespace.
    for path in STATIC.iterdir():
        urls = set(re.findall(r"https?://[^\s\"')]+", path.read_text())) - {"http://www.w3.org/2000/svg"}
        assert not urls, f"{path.name} refers to {urls}"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


def test_static_files_cannot_leave_the_static_folder(client):
    assert client.get("/static/../server.py").status_code == 404
    assert client.get("/static/%2e%2e/server.py").status_code == 404


def test_unknown_endpoints_and_methods_answer_json(client):
    _error(client.get("/api/nothing"), 404, r"No such page or API endpoint: /api/nothing")
    _error(client.get("/api/predict"), 405, r"GET is not allowed on /api/predict")


def test_requests_naming_another_host_are_refused_unless_exposed(runs_root):
    from neuronio.lab.server import create_app

    local = create_app(runs_root=runs_root).test_client()
    _error(local.get("/api/models", headers={"Host": "evil.example:8000"}), 403, r"answers only at http://127\.0\.0\.1")
    assert local.get("/api/models", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    exposed = create_app(runs_root=runs_root, local_only=False).test_client()
    assert exposed.get("/api/models", headers={"Host": "lab.example:8000"}).status_code == 200


# -- models -----------------------------------------------------------------------------------------
def test_models_lists_runs_by_id_and_opens_the_best_mnist_run_by_default(client):
    data = client.get("/api/models").get_json()
    assert data["default"] == RUN_NAME and data["hint"] is None
    assert [m["id"] for m in data["models"]] == [RUN_NAME]
    assert data["models"][0]["label"] == f"{RUN_NAME} (neuronio train, test accuracy 96.1%)"
    assert "/" not in json.dumps(data["models"][0]["id"])  # ids, never paths


def test_a_model_named_on_the_command_line_comes_first(runs_root):
    from neuronio.lab.server import create_app
    from tests.lab.conftest import FIXTURE

    data = create_app(model_path=FIXTURE, runs_root=runs_root).test_client().get("/api/models").get_json()
    assert data["default"] == "given"
    assert data["models"][0]["label"] == "small_cnn.keras (command line)"


def test_without_any_model_the_page_is_told_how_to_train_one(tmp_path):
    from neuronio.lab.server import create_app

    client = create_app(runs_root=tmp_path / "nothing").test_client()
    data = client.get("/api/models").get_json()
    assert data["models"] == [] and data["default"] is None
    assert "neuronio train --epochs 3" in data["hint"]
    _error(
        client.post("/api/predict", json=drawing_body(np.zeros((28, 28), np.uint8))),
        404,
        r"No trained model was found under (?s:.*) neuronio train --epochs 3",
    )


# -- Draw -------------------------------------------------------------------------------------------
def test_predict_reads_a_drawn_one_and_a_drawn_zero(client):
    one = client.post("/api/predict", json=drawing_body(drawing([[(40, 140), (240, 140)]])))
    zero = client.post("/api/predict", json=drawing_body(drawing([ellipse()])))
    assert one.status_code == zero.status_code == 200
    assert one.get_json()["prediction"] == 1
    assert zero.get_json()["prediction"] == 0
    data = zero.get_json()
    assert abs(sum(data["probabilities"]) - 1) < 1e-3
    assert data["class_names"] == [str(d) for d in range(10)]


def test_predict_shows_the_mnist_input_and_every_layer(client):
    data = client.post("/api/predict", json=drawing_body(drawing([ellipse()]))).get_json()
    digit = np.frombuffer(base64.b64decode(data["input"]["data"]), np.uint8).reshape(28, 28)
    rows = np.flatnonzero(digit.any(axis=1))
    assert rows[-1] - rows[0] + 1 == 20  # the longer side (height) fills MNIST's 20-pixel box
    assert [(layer["name"], layer["kind"], layer["shape"]) for layer in data["layers"]] == [
        ("conv2d", "maps", [24, 24, 8]),
        ("max_pooling2d", "maps", [12, 12, 8]),
        ("conv2d_1", "maps", [8, 8, 16]),
        ("max_pooling2d_1", "maps", [4, 4, 16]),
        ("flatten", "note", [256]),
        ("dense", "bars", [32]),
        ("dense_1", "bars", [10]),
    ]
    maps = data["layers"][0]["values"]
    assert len(base64.b64decode(maps["data"])) == 24 * 24 * 8 and maps["min"] == 0.0  # after ReLU


def test_a_blank_drawing_predicts_nothing(client):
    data = client.post("/api/predict", json=drawing_body(np.zeros((280, 280), np.uint8))).get_json()
    assert data["has_ink"] is False and data["prediction"] is None


@pytest.mark.parametrize(
    ("change", "status", "pattern"),
    [
        ({"model": "no-such-run"}, 404, r"Unknown model id 'no-such-run'"),
        ({"model": "../../../etc/passwd"}, 404, r"Unknown model id"),
        ({"model": None}, 404, r"Unknown model id None"),
        ({"pixels": None}, 400, r"drawing is missing"),
        ({"pixels": "not base64!"}, 400, r"not valid base64"),
        ({"pixels": base64.b64encode(b"\0" * 10).decode()}, 400, r"10 pixels but width x height = 280 x 280 = 78,400"),
        ({"width": 5000}, 400, r"`width` must be from 28 to 560; received 5,000"),
        ({"height": "tall"}, 400, r"`height` must be a whole number"),
    ],
)
def test_predict_refuses_bad_drawings_and_model_choices(client, change, status, pattern):
    body = {**drawing_body(np.zeros((280, 280), np.uint8)), **change}
    _error(client.post("/api/predict", json=body), status, pattern)


def test_post_bodies_must_be_json_objects_of_bounded_size(client):
    _error(client.post("/api/predict", data="width=28"), 415, r"must send JSON .* received")
    _error(client.post("/api/predict", json=[1, 2]), 400, r"must be a JSON object")
    huge = json.dumps({"pixels": "A" * (1024 * 1024)})
    _error(
        client.post("/api/predict", data=huge, content_type="application/json"), 413, r"too large: 1,024 KB received"
    )


def test_a_model_that_cannot_read_drawings_says_so(client, runs_root):
    _save_run(runs_root, "tabular", _dense_model((3,)), dataset="other")
    body = drawing_body(drawing([ellipse()]), model="tabular")
    _error(client.post("/api/predict", json=body), 422, r"reads inputs of shape \(3,\), not 28x28 grey images")


def test_an_mlp_reads_the_drawing_flattened(client, runs_root):
    _save_run(runs_root, "flat", _dense_model((784,)))
    data = client.post("/api/predict", json=drawing_body(drawing([ellipse()]), model="flat")).get_json()
    assert [layer["shape"] for layer in data["layers"]] == [[10]]


def test_a_damaged_model_file_is_reported(client, runs_root):
    folder = runs_root / "broken"
    folder.mkdir()
    (folder / "model.keras").write_bytes(b"not a zip")
    (folder / "history.json").write_text(json.dumps({"model": "x", "dataset": "mnist", "test_accuracy": 0.1}))
    client.get("/api/models")
    _error(client.get("/api/inspect/summary?model=broken"), 422, r"Could not open model 'broken'")


# -- Inspect ----------------------------------------------------------------------------------------
def test_summary_lists_layers_and_what_can_be_inspected(client):
    data = client.get(f"/api/inspect/summary?model={RUN_NAME}").get_json()
    assert "Total params: 11,978" in data["text"]
    assert data["conv_layers"] == ["conv2d", "conv2d_1"]
    assert data["patch_layers"] == ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1"]
    assert data["receptive_fields"]["conv2d_1"] == {"size": [14, 14], "jump": [2, 2]}
    assert data["datasets"] == ["mnist", "fashion_mnist"] and data["dataset"] == "mnist"
    assert data["record"]["history"]["accuracy"] == [0.85, 0.95]
    _error(client.get("/api/inspect/summary"), 404, r"Unknown model id None")


def test_filters_are_the_kernels_of_a_conv_layer(client, app):
    data = client.get(f"/api/inspect/filters?model={RUN_NAME}&layer=conv2d").get_json()
    assert data["kind"] == "weights" and data["kernel_shape"] == [5, 5, 1, 8]
    kernel = app.extensions["neuronio_lab"]["store"].open(RUN_NAME).model.get_layer("conv2d").kernel.numpy()
    tiles = np.frombuffer(base64.b64decode(data["tiles"]["data"]), np.uint8).reshape(8, 5, 5)
    limit = np.abs(kernel).max()
    np.testing.assert_array_equal(tiles, np.rint((np.moveaxis(kernel[:, :, 0], 2, 0) + limit) * 255 / (2 * limit)))
    deeper = client.get(f"/api/inspect/filters?model={RUN_NAME}&layer=conv2d_1").get_json()
    assert deeper["kind"] == "channels" and deeper["tiles"]["shape"][0] == 16
    _error(client.get(f"/api/inspect/filters?model={RUN_NAME}&layer=dense"), 400, r"choose one of conv2d, conv2d_1")


def test_filters_of_a_model_without_convolutions(client, runs_root):
    _save_run(runs_root, "flat", _dense_model((784,)))
    _error(client.get("/api/inspect/filters?model=flat"), 422, r"has no convolution layer")


def test_confusion_matrix_and_its_cells(client):
    data = client.get(f"/api/inspect/confusion?model={RUN_NAME}&dataset=mnist&samples=500").get_json()
    counts = np.array(data["counts"])
    assert counts.shape == (10, 10) and counts.sum() == 500 and data["samples"] == 500
    assert data["accuracy"] == pytest.approx(np.trace(counts) / 500) and data["accuracy"] > 0.9
    true_class, predicted = np.unravel_index(np.argmax(counts - np.diag(np.diag(counts))), counts.shape)
    cell = client.get(
        f"/api/inspect/cell?model={RUN_NAME}&dataset=mnist&samples=500&true={true_class}&predicted={predicted}"
    ).get_json()
    assert cell["count"] == counts[true_class, predicted] == len(cell["indices"])
    assert cell["images"]["shape"] == [cell["count"], 28, 28]
    assert cell["confidence"] == sorted(cell["confidence"], reverse=True)


@pytest.mark.parametrize(
    ("query", "status", "pattern"),
    [
        (f"model={RUN_NAME}&dataset=cifar10", 400, r"Unknown dataset 'cifar10'; choose one of mnist, fashion_mnist"),
        (f"model={RUN_NAME}&samples=many", 400, r"`samples` must be a whole number; received 'many'"),
        (f"model={RUN_NAME}&samples=50", 400, r"`samples` must be from 100 to 10,000; received 50"),
        ("model=nope", 404, r"Unknown model id 'nope'"),
    ],
)
def test_confusion_refuses_bad_choices(client, query, status, pattern):
    _error(client.get(f"/api/inspect/confusion?{query}"), status, pattern)


def test_cell_refuses_bad_classes(client):
    base = f"/api/inspect/cell?model={RUN_NAME}&samples=100"
    _error(client.get(base + "&true=3"), 400, r"Missing `predicted`")
    _error(
        client.get(base + "&true=3&predicted=10"), 400, r"`predicted` must be a class number from 0 to 9; received 10"
    )


def test_top_patches_per_filter(client):
    data = client.get(f"/api/inspect/patches?model={RUN_NAME}&samples=200&layer=conv2d_1").get_json()
    assert data["field"] == {"size": [14, 14], "jump": [2, 2], "start": [0, 0]}
    assert data["patches"]["shape"] == [16, 9, 14, 14] and data["k"] == 9
    assert all(row == sorted(row, reverse=True) for row in data["activations"])
    _error(client.get(f"/api/inspect/patches?model={RUN_NAME}&layer=dense"), 400, r"Unknown layer 'dense' for patches")


# -- Train ------------------------------------------------------------------------------------------
def test_train_options_are_the_decks_choices(client):
    data = client.get("/api/train/options").get_json()
    assert [m["name"] for m in data["models"]] == ["mlp", "cnn", "lenet", "cifar-cnn", "lstm-mnist"]
    assert {o["name"]: o["learning_rate"] for o in data["optimizers"]}["sgd"] == 0.01
    assert data["class_names"]["fashion_mnist"][9] == "Ankle boot"


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ({"model": "resnet"}, r"Unknown model 'resnet'; choose one of mlp, cnn, lenet, cifar-cnn, lstm-mnist"),
        ({"model": "mlp", "optimizer": "adamw2"}, r"Unknown optimizer 'adamw2'"),
        ({"model": "mlp", "learning_rate": -1}, r"`learning_rate` must be from 1e-06 to 10; received -1"),
        ({"model": "mlp", "epochs": 0}, r"`epochs` must be from 1 to 100; received 0"),
        ({"model": "mlp", "batch_size": 2.5}, r"`batch_size` must be a whole number"),
        ({"model": "mlp", "samples": 10**9}, r"`samples` must be from 100 to 60,000"),
        ({"model": "mlp", "dataset": "/etc/passwd"}, r"Unknown dataset '/etc/passwd'"),
    ],
)
def test_train_start_refuses_bad_settings(client, body, pattern):
    _error(client.post("/api/train/start", json=body), 400, pattern)


@pytest.mark.slow  # the run ends by evaluating the LSTM on all 10,000 test images
def test_a_recurrent_run_trains_and_its_model_reads_a_drawing(client):
    """lstm-mnist reads images as 28 rows of 28 pixels; the lab trains it and Draw predicts with it."""
    client.post("/api/train/start", json={"model": "lstm-mnist", "samples": 200, "epochs": 1, "batch_size": 50})
    stream = client.get("/api/train/events").get_data(as_text=True)
    events = [json.loads(line[len("data: ") :]) for line in stream.splitlines() if line.startswith("data: ")]
    done = events[-1]
    assert done["type"] == "done" and done["state"] == "finished", events[-1]
    response = client.post("/api/predict", json=drawing_body(drawing([ellipse()]), done["model_id"]))
    assert response.status_code == 200
    assert len(response.get_json()["probabilities"]) == 10


def test_train_controls_need_a_run(client):
    _error(client.post("/api/train/pause", json={}), 409, r"No training run is in progress")
    _error(client.post("/api/train/jump", json={}), 404, r"Unknown training action 'jump'")
    _error(client.get("/api/train/events"), 409, r"No training run has been started")
    assert client.get("/api/train/status").get_json() == {"run": None, "state": "idle"}


def test_a_run_streams_its_progress_saves_its_model_and_allows_one_at_a_time(client, runs_root):
    settings = {"model": "mlp", "samples": 1000, "epochs": 2, "batch_size": 100}
    started = client.post("/api/train/start", json=settings)
    assert started.status_code == 202 and started.get_json()["settings"]["optimizer"] == "rmsprop"
    second = client.post("/api/train/start", json=settings)
    if second.status_code != 202:  # unless the first already ended (it is short)
        _error(second, 409, r"A training run is in progress \(mlp on mnist")
    # The event stream ends with the run; every event is numbered for a reconnecting page.
    stream = client.get("/api/train/events").get_data(as_text=True)
    events = [json.loads(line[len("data: ") :]) for line in stream.splitlines() if line.startswith("data: ")]
    ids = [int(line[len("id: ") :]) for line in stream.splitlines() if line.startswith("id: ")]
    assert ids == list(range(len(events)))
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "done" and kinds.count("epoch") == 2 and "batch" in kinds and "validation" in kinds
    batches = [e for e in events if e["type"] == "batch"]
    assert {"loss", "accuracy", "progress", "epoch", "steps"} <= set(batches[0])
    mistakes = [e for e in events if e["type"] == "validation"][-1]["mistakes"]
    assert mistakes["of"] == 100 and mistakes["images"]["shape"][1:] == [28, 28]
    done = events[-1]
    assert done["test_accuracy"] > 0.5 and done["state"] == "finished"
    # Resuming from an event number replays the rest only.
    tail = client.get(f"/api/train/events?from={len(events) - 1}").get_data(as_text=True)
    assert tail.count("data: ") == 1
    _error(client.get("/api/train/events?from=x"), 400, r"`from` must be an event number")
    # The saved run is a run folder like `neuronio train`'s, and opens in Draw.
    record = json.loads((runs_root / done["model_id"] / "history.json").read_text())
    assert record["source"] == "lab" and len(record["history"]["val_accuracy"]) == 2
    ids = [m["id"] for m in client.get("/api/models").get_json()["models"]]
    assert done["model_id"] in ids
    assert client.post("/api/predict", json=drawing_body(drawing([ellipse()]), done["model_id"])).status_code == 200


def test_a_run_can_be_paused_resumed_and_stopped_and_keeps_its_model(client, runs_root):
    client.post("/api/train/start", json={"model": "mlp", "samples": 6000, "epochs": 20, "batch_size": 32})
    deadline = time.monotonic() + 30
    while client.get("/api/train/status").get_json()["state"] != "training" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.post("/api/train/pause", json={}).get_json()["state"] == "paused"
    _error(
        client.post("/api/train/pause", json={}), 409, r"Only a run that is training can be paused; this run is paused"
    )
    assert client.post("/api/train/resume", json={}).get_json()["state"] == "training"
    assert client.post("/api/train/stop", json={}).status_code == 200
    status = wait_for_run(client)
    assert status["state"] == "stopped"
    assert "Stopped: test accuracy" in client.get("/api/train/events").get_data(as_text=True)
    record = json.loads((runs_root / status["model_id"] / "history.json").read_text())
    assert record["stopped_early"] is True and record["epochs_done"] < 20


def test_a_crashed_run_is_reported_and_the_server_keeps_serving(client, monkeypatch):
    import neuronio.utils.runs

    def broken_loader(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr(neuronio.utils.runs, "load_dataset", broken_loader)
    client.post("/api/train/start", json={"model": "mlp"})
    assert wait_for_run(client)["state"] == "failed"
    stream = client.get("/api/train/events").get_data(as_text=True)
    assert "The training run failed: RuntimeError: the disk is on fire" in stream
    assert client.get("/api/models").status_code == 200
    monkeypatch.undo()
    again = client.post("/api/train/start", json={"model": "mlp", "samples": 200, "epochs": 1})
    assert again.status_code == 202
    assert wait_for_run(client)["state"] == "finished"


# -- Playground -------------------------------------------------------------------------------------
def test_playground_options(client):
    data = client.get("/api/playground/options").get_json()
    assert data["datasets"] == ["xor", "circle", "spiral", "gauss"]
    assert "binary_step" in data["activations"] and "gelu" in data["activations"]


@pytest.mark.parametrize("dataset", ["xor", "circle", "spiral", "gauss"])
def test_playground_datasets_and_pictures(client, dataset):
    body = {"dataset": dataset, "noise": 20, "train_percent": 70, "points": 200, "hidden": [3, 2]}
    data = client.post("/api/playground/new", json=body).get_json()
    assert len(data["train"]) == 140 and len(data["test"]) == 60 and data["epoch"] == 0
    labels = np.array([p[2] for p in data["train"] + data["test"]])
    assert set(labels) == {0.0, 1.0}
    assert [len(layer) for layer in data["neurons"]] == [3, 2, 1]
    assert data["boundary"]["shape"] == [64, 64] and data["neurons"][0][0]["shape"] == [24, 24]
    assert [np.shape(w) for w in data["weights"]] == [(2, 3), (3, 2), (2, 1)]


def test_playground_learns_xor(client):
    state = client.post("/api/playground/new", json={"dataset": "xor", "learning_rate": 0.03}).get_json()
    for _ in range(20):
        state = client.post("/api/playground/step", json={"session": state["session"], "epochs": 5}).get_json()
        if state["test_accuracy"] > 0.95:
            break
    assert state["test_accuracy"] > 0.95 and state["epoch"] <= 100


def test_playground_l2_is_weight_decay_on_kernels_only(client, app):
    body = {"dataset": "gauss", "hidden": [2], "regularization": "l2", "regularization_rate": 0.5}
    state = client.post("/api/playground/new", json=body).get_json()
    session = app.extensions["neuronio_lab"]["playgrounds"]._sessions[state["session"]]
    optimizer = session.model.optimizer
    assert optimizer.weight_decay == 0.5
    bias, kernel = session.model.layers[0].bias, session.model.layers[0].kernel
    assert optimizer._decay_excluded_names.search(bias.name) and not optimizer._decay_excluded_names.search(kernel.name)


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ({"dataset": "moons"}, r"Unknown dataset 'moons'; choose one of xor, circle, spiral, gauss"),
        ({"hidden": [4] * 7}, r"at most 6 layer sizes"),
        ({"hidden": [9]}, r"`units` must be from 1 to 8; received 9"),
        ({"hidden": "4,2"}, r"`hidden` must be a list"),
        ({"activation": "rleu"}, r"Unknown activation 'rleu'"),
        ({"features": []}, r"`features` must be a non-empty list"),
        ({"features": ["x3"]}, r"`features` must be a non-empty list of x1, x2"),
        ({"learning_rate": 0}, r"`learning_rate` must be from 1e-05 to 10; received 0"),
        ({"noise": 80}, r"`noise` must be from 0 to 50"),
        ({"regularization": "l1"}, r"Unknown regularization 'l1'; choose one of none, l2"),
    ],
)
def test_playground_refuses_bad_settings(client, body, pattern):
    _error(client.post("/api/playground/new", json=body), 400, pattern)


def test_playground_step_needs_a_live_session(client):
    _error(client.post("/api/playground/step", json={"session": "nope"}), 404, r"expired or never existed")
    state = client.post("/api/playground/new", json={}).get_json()
    _error(
        client.post("/api/playground/step", json={"session": state["session"], "epochs": 1000}),
        400,
        r"`epochs` must be from 1 to 100",
    )
