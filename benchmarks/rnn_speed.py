"""neuronio's recurrent layers against PyTorch's nn.LSTM / nn.GRU, on this CPU, in one process run.

    python benchmarks/rnn_speed.py                  # the issue's sizes, 5 alternating repeats, appends to RESULTS.md
    python benchmarks/rnn_speed.py --repeats 9 --no-append
    python benchmarks/rnn_speed.py --quick          # a smoke run on tiny sizes (not for the record)

What it measures, float32, the same thread count for both engines:
  - LSTM and GRU forward + backward on one batch (batch 64, 100 steps, 128 -> 256 units,
    return_sequences, loss = sum of the outputs; gradients of every weight and the input),
    neuronio and PyTorch alternating, `--repeats` times: median time and the ratio
    neuronio / PyTorch (median, min-max);
  - one training epoch of the row-MNIST LSTM (28 steps of 28 pixels, LSTM(128), Dense(10),
    Adam, batch 128), on MNIST when it can be loaded, else on random images of its shape;
  - peak resident memory of BPTT over 1,000 steps (LSTM, batch 16, 128 -> 256), each engine in
    its own subprocess, after each of 3 epochs: a growing figure would mean a leak.
Timings never go into the test suite (DESIGN). PyTorch (`pip install 'neuronio[reference]'`) is
only the reference.
"""

import argparse
import datetime
import json
import os
import pathlib
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import speed  # noqa: E402 - the shared timing, memory and machine helpers

SIZES = {"batch": 64, "steps": 100, "features": 128, "units": 256}
QUICK_SIZES = {"batch": 4, "steps": 6, "features": 8, "units": 16}
MEMORY = {"batch": 16, "steps": 1000, "features": 128, "units": 256, "epochs": 3}
QUICK_MEMORY = {"batch": 2, "steps": 50, "features": 8, "units": 16, "epochs": 2}


# -- one batch forward + backward -----------------------------------------------------------------
def neuronio_step(kind, sizes):
    """A function running forward + backward once on a fixed batch, in neuronio."""
    from neuronio import ops
    from neuronio.autodiff import GradientTape, Tensor
    from neuronio.layers import GRU, LSTM

    layer = (LSTM if kind == "lstm" else GRU)(sizes["units"], return_sequences=True)
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((sizes["batch"], sizes["steps"], sizes["features"])).astype("float32"))
    layer(x)

    def step():
        with GradientTape() as tape:
            tape.watch(x)
            loss = ops.sum(layer(x, training=True))
        tape.gradient(loss, [x, *layer.trainable_weights])

    return step


def torch_step(kind, sizes):
    import torch

    net = (torch.nn.LSTM if kind == "lstm" else torch.nn.GRU)(sizes["features"], sizes["units"], batch_first=True)
    x = torch.randn(sizes["batch"], sizes["steps"], sizes["features"], requires_grad=True)

    def step():
        net.zero_grad()
        x.grad = None
        out, _ = net(x)
        out.sum().backward()

    return step


def bench_step(kind, sizes, repeats):
    ours_fn, theirs_fn = neuronio_step(kind, sizes), torch_step(kind, sizes)
    ours_fn()
    theirs_fn()  # warm-up: allocations, thread pools
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(speed._timed(ours_fn))
        theirs.append(speed._timed(theirs_fn))
    return {
        "kind": kind,
        "neuronio_ms": speed.summary([t * 1e3 for t in ours]),
        "torch_ms": speed.summary([t * 1e3 for t in theirs]),
        "ratio": speed.summary([a / b for a, b in zip(ours, theirs)]),
    }


# -- the row-MNIST LSTM epoch ---------------------------------------------------------------------
def row_mnist(samples):
    from neuronio.datasets import mnist
    from neuronio.errors import DatasetError

    try:
        (x, y), _ = mnist.load_data()
        source = "MNIST"
    except DatasetError:
        rng = np.random.default_rng(0)
        x, y, source = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8), rng.integers(0, 10, 60000), "random"
    x = x[:samples].astype("float32") / 255
    return x, y[:samples].astype("int64"), f"{source} {len(x)}"


def bench_epoch(samples, repeats, batch=128):
    import torch

    from neuronio.applications.decks import lstm_mnist
    from neuronio.utils import to_categorical

    x, labels, source = row_mnist(samples)
    y = to_categorical(labels, 10)
    model = lstm_mnist()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    lstm, head = torch.nn.LSTM(28, 128, batch_first=True), torch.nn.Linear(128, 10)
    params = [*lstm.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
    xt, yt = torch.from_numpy(x), torch.from_numpy(labels)

    def torch_epoch():
        loss_fn = torch.nn.CrossEntropyLoss()
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), batch):
            idx = order[i : i + batch]
            optimizer.zero_grad()
            out, _ = lstm(xt[idx])
            loss_fn(head(out[:, -1]), yt[idx]).backward()
            optimizer.step()

    speed.neuronio_epoch(model, x[: 2 * batch], y[: 2 * batch], batch)
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(speed.neuronio_epoch(model, x, y, batch))
        theirs.append(speed._timed(torch_epoch))
    return {
        "data": source,
        "neuronio_s": speed.summary(ours),
        "torch_s": speed.summary(theirs),
        "ratio": speed.summary([a / b for a, b in zip(ours, theirs)]),
    }


# -- memory of BPTT over long sequences, each engine in its own process ------------------------------
def memory_child(engine, sizes):
    """Run in a subprocess: `epochs` passes of forward + backward over one long batch; print the
    peak RSS (MB) after each."""
    sizes = json.loads(sizes)
    step = (neuronio_step if engine == "neuronio" else torch_step)("lstm", sizes)
    if engine == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    peaks = []
    for _ in range(sizes["epochs"]):
        for _ in range(4):  # an "epoch": a few batches
            step()
        peaks.append(speed.peak_rss_mb())
    print(json.dumps(peaks))


def peak_memory(engine, sizes):
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", engine, json.dumps(sizes)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- report ---------------------------------------------------------------------------------------------
def report(steps, epoch, memory, sizes, mem_sizes, facts, command) -> str:
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    s = sizes
    lines = [
        f"### Recurrent speed, {stamp}, commit {speed.commit()}",
        "",
        f"Machine: {facts}. Command: `{command}`",
        "",
        f"Forward + backward of one batch (batch {s['batch']}, {s['steps']} steps, {s['features']} -> "
        f"{s['units']} units, return_sequences), median (min-max) over the repeats:",
        "",
        "| layer | neuronio ms | PyTorch ms | ratio n/PT |",
        "|---|---|---|---|",
    ]
    for r in steps:
        lines.append(f"| {r['kind'].upper()} | {speed.fmt(r['neuronio_ms'], digits=1)} | "
                     f"{speed.fmt(r['torch_ms'], digits=1)} | {speed.fmt(r['ratio'])} |")  # fmt: skip
    lines += [
        "",
        f"Row-MNIST LSTM(128) epoch ({epoch['data']}, batch 128, Adam): neuronio "
        f"{speed.fmt(epoch['neuronio_s'], digits=1)} s, PyTorch {speed.fmt(epoch['torch_s'], digits=1)} s, "
        f"ratio {speed.fmt(epoch['ratio'])}.",
        "",
        f"Peak RSS of BPTT over {mem_sizes['steps']} steps (LSTM, batch {mem_sizes['batch']}, "
        f"{mem_sizes['features']} -> {mem_sizes['units']}) after each of {mem_sizes['epochs']} epochs (MB): "
        f"neuronio {', '.join(f'{m:.0f}' for m in memory['neuronio'])}; "
        f"PyTorch {', '.join(f'{m:.0f}' for m in memory['torch'])}.",
        "",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="alternating repeats per measurement (default 5)")
    parser.add_argument("--samples", type=int, default=None, help="row-MNIST images per epoch (default 60000)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS / torch threads for both engines (default 2)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, 2 repeats, nothing appended")
    parser.add_argument("--no-append", action="store_true", help="print the results without appending to RESULTS.md")
    parser.add_argument("--memory-child", nargs=2, metavar=("ENGINE", "SIZES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(*args.memory_child)
        return 0
    import torch
    from threadpoolctl import threadpool_limits

    sizes, mem_sizes = (QUICK_SIZES, QUICK_MEMORY) if args.quick else (SIZES, MEMORY)
    repeats = 2 if args.quick else args.repeats
    samples = 256 if args.quick else (args.samples or 60000)
    torch.set_num_threads(args.threads)
    os.environ["BENCH_THREADS"] = str(args.threads)
    with threadpool_limits(limits=args.threads):
        steps = [bench_step(kind, sizes, repeats) for kind in ("lstm", "gru")]
        epoch = bench_epoch(samples, repeats)
    memory = {engine: peak_memory(engine, mem_sizes) for engine in ("neuronio", "torch")}
    command = "python benchmarks/rnn_speed.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = report(steps, epoch, memory, sizes, mem_sizes, speed.machine_facts(args.threads), command.strip())
    print(text)
    if not (args.quick or args.no_append):
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
