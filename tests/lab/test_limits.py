"""What a hostile or careless client can send: numbers JSON should not carry, bodies too deep or too
long (with and without Content-Length), and playground steps too long to compute. Every one is
answered with a 4xx and a message, never a 500, and none holds a connection or a core."""

import socket
import time

import pytest

from tests.lab.conftest import RUN_NAME, drawing, drawing_body, ellipse, served
from tests.lab.test_api import _error


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_in_integer_fields_are_refused_with_the_field_named(client, literal):
    train = f'{{"model": "mlp", "epochs": {literal}}}'
    _error(
        client.post("/api/train/start", data=train, content_type="application/json"),
        400,
        r"`epochs` must be a whole number from 1 to 100; received -?(nan|inf)\.",
    )
    predict = f'{{"model": "{RUN_NAME}", "width": {literal}, "height": 28, "pixels": ""}}'
    _error(
        client.post("/api/predict", data=predict, content_type="application/json"),
        400,
        r"`width` must be a whole number from 28 to 560; received -?(nan|inf)\.",
    )
    playground = f'{{"points": {literal}}}'
    _error(client.post("/api/playground/new", data=playground, content_type="application/json"), 400, r"`points`")


def test_whole_floats_are_still_accepted_as_integers(client):
    body = drawing_body(drawing([ellipse()]))
    body["width"] = float(body["width"])
    assert client.post("/api/predict", json=body).status_code == 200


def test_json_nested_too_deeply_answers_400(client):
    deep = "[" * 50_000 + "]" * 50_000
    _error(
        client.post("/api/train/start", data=deep, content_type="application/json"), 400, r"nests JSON .* too deeply"
    )
    _error(client.post("/api/predict", data="{", content_type="application/json"), 400, r"not valid JSON")


@pytest.fixture
def live_lab(runs_root):
    """(host, port) of the lab served by Werkzeug's threaded server, as `neuronio lab` serves it."""
    with served(runs_root) as url:
        host, port = url.removeprefix("http://").split(":")
        yield host, int(port)


def _answer_and_close_time(connection: socket.socket, timeout: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    connection.settimeout(timeout)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received, time.monotonic() - started


def test_a_chunked_body_over_the_limit_answers_413_and_the_connection_closes(live_lab):
    from neuronio.lab.server import MAX_BODY_BYTES

    connection = socket.create_connection(live_lab)
    connection.sendall(
        b"POST /api/playground/new HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b" " * 65536
    for _ in range(MAX_BODY_BYTES // len(chunk) + 2):  # a little over the limit; then the client waits, silent
        connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    answer, seconds = _answer_and_close_time(connection, timeout=20)
    connection.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"Request body too large: more than 1,024 KB received in chunks; the limit is 1,024 KB." in answer
    assert seconds < 5, f"the server kept the connection open {seconds:.1f} s after its 413"


def test_a_chunked_body_under_the_limit_is_read_whole(live_lab):
    import json

    body = json.dumps({"dataset": "xor", "points": 50, "padding": " " * 200_000}).encode()
    connection = socket.create_connection(live_lab)
    connection.sendall(
        b"POST /api/playground/new HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    for start in range(0, len(body), 65536):
        part = body[start : start + 65536]
        connection.sendall(b"%x\r\n%s\r\n" % (len(part), part))
    connection.sendall(b"0\r\n\r\n")
    answer, _ = _answer_and_close_time(connection, timeout=20)
    connection.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_a_playground_step_at_the_largest_settings_is_refused_at_once(client):
    largest = {"points": 1000, "train_percent": 90, "batch_size": 1, "hidden": [8] * 6, "features": ["x1", "x2"]}
    state = client.post("/api/playground/new", json=largest).get_json()
    assert state["batches_per_epoch"] == 900
    started = time.monotonic()
    _error(
        client.post("/api/playground/step", json={"session": state["session"], "epochs": 100}),
        400,
        r"One step may train at most 2,000 batches; 100 epochs of 900 batches \(900 training points in batches of "
        r"1\) are 90,000\. Ask for at most 2 epochs, or use a larger batch size\.",
    )
    assert time.monotonic() - started < 2  # refused before any training
    assert client.get("/api/playground/options").get_json()["max_batches_per_step"] == 2000


def test_a_playground_step_may_train_up_to_the_batch_limit(client, monkeypatch):
    from neuronio.lab import playground

    monkeypatch.setattr(playground, "MAX_BATCHES_PER_STEP", 50)
    state = client.post("/api/playground/new", json={"points": 50, "train_percent": 50, "batch_size": 5}).get_json()
    assert state["batches_per_epoch"] == 5  # 25 training points in batches of 5
    answer = client.post("/api/playground/step", json={"session": state["session"], "epochs": 10})
    assert answer.status_code == 200 and answer.get_json()["epoch"] == 10
    _error(client.post("/api/playground/step", json={"session": state["session"], "epochs": 11}), 400, r"are 55\.")


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ({"features": ["x1", ["x2"]]}, r"`features` must be a non-empty list of x1, x2"),
        ({"features": [{}]}, r"`features` must be a non-empty list"),
        ({"hidden": [[4]]}, r"`units` must be a whole number from 1 to 8; received \[4\]"),
        ({"dataset": ["xor"]}, r"Unknown dataset \['xor'\]"),
    ],
)
def test_values_of_the_wrong_json_type_are_refused_not_crashed_on(client, body, pattern):
    _error(client.post("/api/playground/new", json=body), 400, pattern)
