"""Fixtures of the lab's tests: a runs folder holding the small MNIST CNN, the app and its client.

tests/lab/fixtures/small_cnn.keras is made by scripts/make_lab_fixture.py (real MNIST, 96% test
accuracy, 11,978 parameters).
"""

import base64
import contextlib
import json
import pathlib
import shutil
import threading
import time

import numpy as np
import pytest

pytest.importorskip("flask", reason="the lab needs Flask: pip install 'neuronio[lab]'")

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "small_cnn.keras"
RUN_NAME = "cnn-mnist-20260101-000000"


def make_run(runs_root, name=RUN_NAME, record=None) -> pathlib.Path:
    """A run folder as `neuronio train` leaves it: the small CNN and its history.json."""
    folder = runs_root / name
    folder.mkdir(parents=True)
    shutil.copy(FIXTURE, folder / "model.keras")
    record = record or {
        "model": "cnn",
        "dataset": "mnist",
        "test_accuracy": 0.9607,
        "history": {"loss": [0.49, 0.17], "accuracy": [0.85, 0.95]},
    }
    (folder / "history.json").write_text(json.dumps(record))
    return folder


@contextlib.contextmanager
def served(runs_root):
    """The lab over `runs_root` served by Werkzeug's threaded server, as `neuronio lab` serves it, on a
    free port; yields its URL."""
    from werkzeug.serving import make_server

    from neuronio.lab.server import create_app

    server = make_server("127.0.0.1", 0, create_app(runs_root=runs_root), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def runs_root(tmp_path):
    """A runs folder as `neuronio train` leaves it, with the small CNN as its one MNIST run."""
    make_run(tmp_path / "runs")
    return tmp_path / "runs"


@pytest.fixture
def app(runs_root):
    from neuronio.lab.server import create_app

    return create_app(runs_root=runs_root)


@pytest.fixture
def client(app):
    return app.test_client()


def drawing(strokes, size=280, width=22) -> np.ndarray:
    """A (size, size) uint8 ink image of thick polylines, like the page's canvas (0 = paper)."""
    rows, cols = np.mgrid[0:size, 0:size]
    ink = np.zeros((size, size), dtype=bool)
    for stroke in strokes:
        for (y0, x0), (y1, x1) in zip(stroke[:-1], stroke[1:]):
            # distance from every pixel to the segment, one vectorised pass per segment
            dy, dx = y1 - y0, x1 - x0
            t = np.clip(((rows - y0) * dy + (cols - x0) * dx) / max(dy * dy + dx * dx, 1e-9), 0, 1)
            ink |= np.hypot(rows - (y0 + t * dy), cols - (x0 + t * dx)) <= width / 2
    return ink.astype(np.uint8) * 255


def ellipse(cy=140, cx=140, ry=90, rx=55, n=40):
    angles = np.linspace(0, 2 * np.pi, n)
    return [(cy - ry * np.cos(a), cx + rx * np.sin(a)) for a in angles]


def drawing_body(ink: np.ndarray, model="cnn-mnist-20260101-000000") -> dict:
    return {
        "model": model,
        "width": ink.shape[1],
        "height": ink.shape[0],
        "pixels": base64.b64encode(ink.tobytes()).decode(),
    }


def wait_for_run(client, timeout=120.0) -> dict:
    """Poll /api/train/status until the current run has ended; its final description."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get("/api/train/status").get_json()
        if status["state"] in ("finished", "stopped", "failed", "idle"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"the training run did not end within {timeout} s: {status}")
