"""neuronio against PyTorch on the decks' models, on this CPU, in one process run.

    python benchmarks/speed.py                      # all four models, 3 alternating repeats, appends to RESULTS.md
    python benchmarks/speed.py --models cnn --repeats 5 --no-append
    python benchmarks/speed.py --quick              # a smoke run on a few batches (not for the record)
    python benchmarks/speed.py --kernels numpy,onednn   # only some kernel configurations

For each model (the seed MLP, the seed CNN, the LeNet-style net, the CIFAR-10 CNN), float32,
batch 128, the same thread count for both engines, and for each kernel configuration installed
(KERNEL_CONFIGS: NumPy only; numba, the `fast` extra without oneDNN; onednn, the `fast` extra as a
user installs it: oneDNN's convolutions, numba's kernels elsewhere):
  - one training epoch of each configuration and of PyTorch, alternating, `--repeats` times: the
    ratio neuronio / PyTorch of each repeat's pair (median, with min-max over the repeats);
  - inference throughput (batch 1000) and single-image latency, as ratios too: the same output on
    both sides, class probabilities (neuronio's `predict` ends in the models' softmax layer; PyTorch's
    net ends in logits, as its training loss wants, so its inference adds the softmax a user applies);
  - neuronio's achieved GFLOP/s during training against the float32 GEMM peak measured here;
  - peak resident memory of each engine training one epoch, each in its own subprocess, and the
    seed CNN's peak after each of 3 epochs (flat, or growing?).
With --scaling it also times the seed CNN's epoch against the number of samples, the batch size
and the thread count. Timings never go into the test suite (DESIGN).

PyTorch (`pip install 'neuronio[reference]'`, torch==2.13.0 CPU) is only ever the reference.
Figures mean something only on an otherwise idle machine.
"""

import argparse
import contextlib
import datetime
import json
import os
import pathlib
import platform
import resource
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# isort: off
# neuronio's process settings first, as a user's `import neuronio` before NumPy applies them: the
# thread pools' wait policies (config.process_settings) reach OpenBLAS and GNU OpenMP before they
# load. PyTorch's OpenMP pool, in this process too, reads OMP_WAIT_POLICY as well; run with
# NEURONIO_THREAD_SETTINGS=0 to measure both engines with the libraries' defaults.
import neuronio.config  # noqa: E402, F401
import numpy as np  # noqa: E402
# isort: on

BATCH = 128
MODELS = ("mlp", "cnn", "lenet", "cifar-cnn")
# label -> neuronio's kernel priority list (config.set_kernels / NEURONIO_KERNELS)
KERNEL_CONFIGS = {"numpy": ("numpy",), "numba": ("numba",), "onednn": ("onednn", "numba")}


# The models in both engines, their data and FLOPs: benchmarks/speed_models.py.
from speed_models import data, neuronio_model, to_torch, torch_model, training_flops  # noqa: E402


# -- timing -------------------------------------------------------------------------------------------
def neuronio_epoch(model, x, y, batch=BATCH):
    started = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    return time.perf_counter() - started


def torch_epoch(net, optimizer, xt, yt, batch=BATCH):
    import torch

    loss_fn = torch.nn.CrossEntropyLoss()
    net.train()
    started = time.perf_counter()
    order = torch.randperm(len(xt))
    for i in range(0, len(xt), batch):
        idx = order[i : i + batch]
        optimizer.zero_grad()
        loss_fn(net(xt[idx]), yt[idx]).backward()
        optimizer.step()
    return time.perf_counter() - started


def latency(fn, calls=200) -> float:
    fn()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def gemm_peak(n=2048, repeats=5) -> float:
    """The best float32 GFLOP/s NumPy's BLAS reaches on an n x n x n product, measured now."""
    a = np.random.default_rng(0).random((n, n), dtype=np.float32)
    b = np.random.default_rng(1).random((n, n), dtype=np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def summary(values):
    return statistics.median(values), min(values), max(values)


def use_kernels(label):
    from neuronio import config

    config.set_kernels(KERNEL_CONFIGS[label])


def bench_model(name, args, threads, labels):
    """One row per kernel configuration: epochs alternating with PyTorch's, inference, latency."""
    import torch

    samples = args.samples or (50000 if name == "cifar-cnn" else 60000)
    x, y, labels_int, source = data(name, samples)
    net, optimizer = torch_model(name)
    xt, yt = to_torch(x), torch.from_numpy(labels_int)
    models = {}
    # Warm-up: one short pass each (allocations, thread pools, lazy builds, kernel compilation).
    for label in labels:
        use_kernels(label)
        models[label] = neuronio_model(name)
        neuronio_epoch(models[label], x[: 4 * BATCH], y[: 4 * BATCH])
    torch_epoch(net, optimizer, xt[: 4 * BATCH], yt[: 4 * BATCH])
    ours, theirs = {label: [] for label in labels}, []
    for _ in range(args.repeats):
        for label in labels:
            use_kernels(label)
            ours[label].append(neuronio_epoch(models[label], x, y))
        theirs.append(torch_epoch(net, optimizer, xt, yt))
    n_infer = min(len(x), 10000)
    net.eval()

    def probabilities(batch):
        return torch.softmax(net(batch), dim=1)

    with torch.no_grad():
        infer_theirs = min(
            _timed(lambda: [probabilities(xt[i : i + 1000]) for i in range(0, n_infer, 1000)]) for _ in range(3)
        )
        lat_theirs = latency(lambda: probabilities(xt[:1]))
    train_flops, infer_flops = training_flops(name)
    rows = []
    for label in labels:
        use_kernels(label)
        model = models[label]
        infer_ours = min(_timed(lambda m=model: m.predict(x[:n_infer], batch_size=1000, verbose=0)) for _ in range(3))
        lat_ours = latency(lambda m=model: m.predict_on_batch(x[:1]))
        rows.append(
            {
                "model": name,
                "kernels": label,
                "data": source,
                "samples": samples,
                "threads": threads,
                "repeats": args.repeats,
                "epoch_neuronio_s": summary(ours[label]),
                "epoch_torch_s": summary(theirs),
                "ratio": summary([a / b for a, b in zip(ours[label], theirs)]),
                "infer_neuronio_per_s": n_infer / infer_ours,
                "infer_torch_per_s": n_infer / infer_theirs,
                "latency_neuronio_ms": lat_ours * 1e3,
                "latency_torch_ms": lat_theirs * 1e3,
                "train_mflop_per_sample": train_flops / 1e6,
                "infer_mflop_per_sample": infer_flops / 1e6,
                "achieved_gflops": train_flops * samples / statistics.median(ours[label]) / 1e9,
            }
        )
    return rows


# -- memory, each engine in its own process -----------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    over from the parent across fork and exec, so a child would report the benchmark's own peak."""
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def memory_child(engine, name, samples, epochs):
    """Run in a subprocess: train `epochs` epochs and print the peak RSS after each (MB).

    neuronio's kernels are the configuration in NEURONIO_KERNELS, set by `peak_memory`."""
    x, y, labels, _ = data(name, samples)
    peaks = []
    if engine == "neuronio":
        model = neuronio_model(name)
        for _ in range(epochs):
            neuronio_epoch(model, x, y)
            peaks.append(peak_rss_mb())
    else:
        import torch

        torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
        net, optimizer = torch_model(name)
        xt, yt = to_torch(x), torch.from_numpy(labels)
        for _ in range(epochs):
            torch_epoch(net, optimizer, xt, yt)
            peaks.append(peak_rss_mb())
    print(json.dumps(peaks))


def peak_memory(engine, name, samples, epochs=1, label="numpy"):
    env = {**os.environ, "NEURONIO_KERNELS": ",".join(KERNEL_CONFIGS[label])}
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", engine, name, str(samples), str(epochs)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- scaling facts -------------------------------------------------------------------------------------
def scaling(args, label):
    from threadpoolctl import threadpool_limits

    use_kernels(label)
    rows = []
    x, y, _, _ = data("cnn", 60000)
    model = neuronio_model("cnn")
    neuronio_epoch(model, x[: 4 * BATCH], y[: 4 * BATCH])
    for n in (10000, 30000, 60000):
        rows.append(("samples", n, neuronio_epoch(model, x[:n], y[:n])))
    for batch in (32, 128, 512):
        rows.append(("batch", batch, neuronio_epoch(model, x[:20000], y[:20000], batch=batch) * 3))
    for threads in (1, 2):
        with threadpool_limits(limits=threads), compiled_threads(threads):
            rows.append(("threads", threads, neuronio_epoch(model, x[:20000], y[:20000]) * 3))
    return rows


@contextlib.contextmanager
def compiled_threads(threads):
    """Limit numba's thread pool as threadpoolctl limits OpenBLAS's and OpenMP's (oneDNN's)."""
    try:
        import numba
    except ImportError:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def available_configs(wanted) -> tuple[list, list]:
    """The kernel configurations that run here, and a note for each that does not."""
    from neuronio import optimizers  # noqa: F401 (Adam registers its kernel)
    from neuronio.ops import _kernels

    table = _kernels.registered()
    labels, notes = [], []
    for label in wanted:
        if label not in KERNEL_CONFIGS:
            raise SystemExit(
                f"--kernels: unknown configuration {label!r}; expected some of {', '.join(KERNEL_CONFIGS)}"
            )
        missing = []
        for name in KERNEL_CONFIGS[label]:
            mine = [ops[name] for ops in table.values() if name in ops]
            if name != "numpy" and not any(implementation.get() is not None for implementation in mine):
                missing.append(f"{name} ({next((i.error for i in mine if i.error), 'nothing registered')})")
        if missing:
            notes.append(f"{label} not run: {', '.join(missing)} unavailable")
        else:
            labels.append(label)
    return labels, notes


def kernels_fact(labels=None) -> str:
    """What each configuration runs (the `neuronio info` table, float32), for the machine facts;
    labels None: what this process runs as it is configured."""
    from neuronio import config
    from neuronio.ops import _kernels

    previous = config.kernels()
    parts = []
    if labels is None:
        parts.append("in use = [" + ", ".join(f"{row['op']}: {row['float32']}" for row in _kernels.report()) + "]")
    for label in labels or ():
        use_kernels(label)
        ops = ", ".join(f"{row['op']}: {row['float32']}" for row in _kernels.report())
        parts.append(f"{label} = [{ops}]")
    config.set_kernels(previous)
    parts.append("settings " + ", ".join(f"{k}={v}" for k, v in config.process_settings().items()))
    return "; ".join(parts)


# -- report ---------------------------------------------------------------------------------------------
def machine_facts(threads, labels=None) -> str:
    import torch

    blas = "?"
    try:
        cfg = np.show_config(mode="dicts")
        info = cfg["Build Dependencies"]["blas"]
        blas = f"{info['name']} {info.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older NumPy: leave it unknown
        pass
    cpu = platform.processor() or "?"
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {threads} threads, NumPy {np.__version__} with {blas}, "
        f"torch {torch.__version__}, Python {platform.python_version()}; neuronio kernels: {kernels_fact(labels)}"
    )


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def fmt(triple, scale=1.0, digits=2):
    median, low, high = (v * scale for v in triple)
    return f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def report(results, memory, scaling_rows, peak, facts, command, notes) -> str:
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        f"### Speed, {stamp}, commit {commit()}",
        "",
        f"Machine: {facts}. GEMM peak measured now: {peak:.1f} GFLOP/s (float32, 2048^3). Command: `{command}`",
        *(["", "Not measured: " + "; ".join(notes)] if notes else []),
        "",
        "Ratios are neuronio / PyTorch, measured in this run (below 1: neuronio is faster or smaller).",
        "",
        "| model | kernels | data | epoch ratio median (min-max) | epoch s n / PT | train MFLOP/sample | "
        "achieved GFLOP/s (% of peak) | inference ratio (img/s n / PT) | 1-image latency ratio (ms n / PT) | "
        "peak RSS ratio (MB n / PT) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        mem = memory.get((r["model"], r["kernels"]), {})
        rss = "-"
        if mem:
            rss = f"{mem['neuronio'] / mem['torch']:.2f} ({mem['neuronio']:.0f} / {mem['torch']:.0f})"
        lines.append(
            f"| {r['model']} | {r['kernels']} | {r['data']} {r['samples']} | {fmt(r['ratio'])} | "
            f"{r['epoch_neuronio_s'][0]:.1f} / {r['epoch_torch_s'][0]:.1f} | {r['train_mflop_per_sample']:.1f} | "
            f"{r['achieved_gflops']:.1f} ({100 * r['achieved_gflops'] / peak:.0f}%) | "
            f"{r['infer_torch_per_s'] / r['infer_neuronio_per_s']:.2f} "
            f"({r['infer_neuronio_per_s']:.0f} / {r['infer_torch_per_s']:.0f}) | "
            f"{r['latency_neuronio_ms'] / r['latency_torch_ms']:.2f} "
            f"({r['latency_neuronio_ms']:.2f} / {r['latency_torch_ms']:.2f}) | {rss} |"
        )
    for (_, label), peaks in sorted((k, v) for k, v in memory.items() if k[0] == "cnn-epochs"):
        lines += ["", f"Seed CNN, {label} kernels, peak RSS after each of {len(peaks)} epochs (MB): "]
        lines[-1] += ", ".join(f"{v:.0f}" for v in peaks)
    if scaling_rows:
        lines += [
            "",
            "Seed CNN epoch time (s; batch and thread rows scaled from 20,000 samples to 60,000):",
            "",
            "| varied | value | epoch s |",
            "|---|---|---|",
        ]
        lines += [f"| {kind} | {value} | {seconds:.1f} |" for kind, value, seconds in scaling_rows]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=None, help="samples per epoch (default: the full set)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--scaling", action="store_true")
    parser.add_argument("--quick", action="store_true", help="a few batches, 1 repeat: a smoke run, not a record")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    parser.add_argument(
        "--kernels",
        default=",".join(KERNEL_CONFIGS),
        help="kernel configurations to measure, of "
        + ", ".join(f"{k} ({'+'.join(v)})" for k, v in KERNEL_CONFIGS.items()),
    )
    parser.add_argument(
        "--memory-child", nargs=4, metavar=("ENGINE", "MODEL", "SAMPLES", "EPOCHS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.memory_child:
        engine, name, samples, epochs = args.memory_child
        return memory_child(engine, name, int(samples), int(epochs))
    if args.quick:
        args.samples, args.repeats, args.no_append = 8 * BATCH, 1, True
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(args.threads)
    os.environ["BENCH_THREADS"] = str(args.threads)
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    labels, notes = available_configs([k.strip() for k in args.kernels.split(",") if k.strip()])
    if not labels:
        raise SystemExit("no kernel configuration can run here: " + "; ".join(notes))
    with threadpool_limits(limits=args.threads), compiled_threads(args.threads):
        peak = gemm_peak()
        results = []
        for name in names:
            for r in bench_model(name, args, args.threads, labels):
                results.append(r)
                print(json.dumps(r), flush=True)
        scaling_rows = scaling(args, labels[-1]) if args.scaling else []
    memory = {}
    if not args.skip_memory:
        for name in names:
            samples = args.samples or (50000 if name == "cifar-cnn" else 60000)
            torch_peak = peak_memory("torch", name, samples)[-1]
            for label in labels:
                memory[(name, label)] = {"neuronio": peak_memory("neuronio", name, samples, label=label)[-1]}
                memory[(name, label)]["torch"] = torch_peak
        if "cnn" in names:
            for label in labels:
                memory[("cnn-epochs", label)] = peak_memory("neuronio", "cnn", args.samples or 60000, 3, label)
    text = report(
        results,
        memory,
        scaling_rows,
        peak,
        machine_facts(args.threads, labels),
        "python benchmarks/speed.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        notes,
    )
    print(text)
    if not args.no_append:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
