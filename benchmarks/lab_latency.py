"""How long the lab's Draw page waits for an answer with the seed CNN (target: under 50 ms).

    python benchmarks/lab_latency.py              # 100 timed drawings after 10 warm-up ones
    python benchmarks/lab_latency.py --runs 300

Three figures, each the median (and 90th percentile) over the same drawings:
  1. forward: the seed CNN's every-layer outputs for one 28x28 input (LoadedModel.activations);
  2. server: one POST /api/predict through Flask's test client: base64 decoding of a 280x280
     drawing, MNIST normalisation, the forward pass, and encoding every activation as JSON;
  3. HTTP: the same request over a real localhost connection to the threaded server `neuronio lab`
     runs, as the page makes it.
The weights are the seed CNN's initial ones (timing does not depend on their values). The
drawings are the strokes of a "0" shifted around, so that each request normalises new pixels.
Where threadpoolctl is installed, everything is timed again with OpenBLAS limited to one thread:
a single drawing's GEMMs are small, and on a busy machine OpenBLAS's worker threads wait for a core
(measured on the shared 2-core build machine: ~60 ms per forward with 2 threads, ~0.5 ms with 1).
"""

import argparse
import base64
import json
import logging
import os
import pathlib
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def drawings(n: int, size: int = 280) -> list[np.ndarray]:
    """n ink images of a thick ellipse (a drawn "0") at shifting places and sizes."""
    rows, cols = np.mgrid[0:size, 0:size]
    rng = np.random.default_rng(0)
    images = []
    for _ in range(n):
        cy, cx = rng.uniform(110, 170, 2)
        ry, rx = rng.uniform(70, 100), rng.uniform(40, 70)
        radius = np.hypot((rows - cy) / ry, (cols - cx) / rx)
        images.append(((np.abs(radius - 1) * min(ry, rx) < 11) * 255).astype(np.uint8))
    return images


def body(ink: np.ndarray) -> dict:
    return {"model": "given", "width": 280, "height": 280, "pixels": base64.b64encode(ink.tobytes()).decode()}


def summary(name: str, seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return f"{name:<9} median {statistics.median(ms):6.2f} ms   p90 {np.percentile(ms, 90):6.2f} ms   max {ms.max():6.2f} ms"


def measure(app, loaded, url, images, warmup) -> dict:
    """{stage: [seconds per drawing]} for the three stages, warm-up drawings left out."""
    from neuronio.apps.normalize import mnist_normalize

    client = app.test_client()

    def http(payload: bytes) -> None:
        request = urllib.request.Request(url, payload, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            json.load(response)

    timings = {"forward": [], "server": [], "HTTP": []}
    for i, ink in enumerate(images):
        x = mnist_normalize(ink).reshape(1, 28, 28, 1)
        started = time.perf_counter()
        loaded.activations(x)
        forward = time.perf_counter() - started
        started = time.perf_counter()
        answer = client.post("/api/predict", json=body(ink))
        served = time.perf_counter() - started
        assert answer.status_code == 200, answer.get_json()
        payload = json.dumps(body(ink)).encode()
        started = time.perf_counter()
        http(payload)
        over_http = time.perf_counter() - started
        if i >= warmup:
            timings["forward"].append(forward)
            timings["server"].append(served)
            timings["HTTP"].append(over_http)
    return timings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="timed drawings (default 100)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed drawings first (default 10)")
    args = parser.parse_args(argv)

    from werkzeug.serving import make_server

    from neuronio.applications.decks import seed_cnn
    from neuronio.lab.server import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:  # optional: also time with one BLAS thread (OpenBLAS's threads wait for cores on a busy machine)
        from threadpoolctl import threadpool_limits
    except ImportError:
        threadpool_limits = None
    with tempfile.TemporaryDirectory() as folder:
        # The lab serving a seed CNN saved as a .keras file, as `neuronio lab MODEL.keras` does.
        path = pathlib.Path(folder) / "seed_cnn.keras"
        model = seed_cnn()
        model.save(path)
        app = create_app(model_path=path, runs_root=pathlib.Path(folder) / "runs")
        loaded = app.extensions["neuronio_lab"]["store"].open("given")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}/api/predict"
        images = drawings(args.warmup + args.runs)
        print(
            f"neuronio lab, Draw-page latency: seed CNN ({model.count_params():,} parameters), 280x280 drawings, "
            f"{args.runs} runs, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
        )
        settings = [("default BLAS threads", None)] + ([("1 BLAS thread", 1)] if threadpool_limits else [])
        for label, limit in settings:
            if limit is None:
                timings = measure(app, loaded, url, images, args.warmup)
            else:
                with threadpool_limits(limits=limit, user_api="blas"):
                    timings = measure(app, loaded, url, images, args.warmup)
            print(f"-- {label}")
            for name, seconds in timings.items():
                print(summary(name, seconds))
            median_http = statistics.median(timings["HTTP"]) * 1000
            verdict = "under" if median_http < 50 else "OVER"
            print(f"Draw-page answer over HTTP: {median_http:.1f} ms median, {verdict} the 50 ms target.")
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
