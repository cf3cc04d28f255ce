"""Data-parallel training over MPI (neuronio.distribution): epoch time, communication, projection.

    python benchmarks/mpi_scaling.py            # seed CNN, one MNIST epoch per configuration; appends to RESULTS.md
    python benchmarks/mpi_scaling.py --quick    # random data, a few steps: checks that it runs (nothing appended)

Three configurations of the same training (seed 000's CNN, Adam, batch 128, micro-batches of 32):
  A. DataParallel in 1 process, 1 BLAS thread  (the bit-for-bit reference of every world size);
  B. DataParallel on 2 ranks (`mpiexec -n 2`), 1 thread each;
  C. plain fit in 1 process with 2 threads      (how one would use the 2 cores without MPI).
Each runs in its own process(es) after a warm-up of a few steps (numba's compilation), and
reports the epoch time, the time spent in collectives (waiting for the slowest rank included)
and the bytes each rank sent and received.

The projection to N machines on a 10 Gbit/s network uses the measured compute of A:
    t_step(N) = t_compute * ceil(m / N) / m + t_allgather(N)
    t_allgather(N) = (N - 1) * alpha + (N - 1) / N * S / B        (ring allgather)
where m = micro-batches per step, S = bytes gathered per step (every micro-batch's gradients,
state and outputs, measured on B), B = 1.25e9 bytes/s and alpha = 50 us per message hop; the
speed-up is t_step(1) / t_step(N), with t_step(1) = t_compute. Micro-batches are the unit of
work, so at most m processes are busy: the table says so where N > m.
"""

import argparse
import datetime
import json
import math
import os
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.accuracy import commit  # noqa: E402  (the short hash of HEAD, as every RESULTS.md entry names it)

BANDWIDTH = 10e9 / 8  # bytes per second on a 10 Gbit/s link
LATENCY = 50e-6  # seconds per hop of the ring
MACHINES = (4, 8, 16)


def worker(args) -> None:
    """One configuration's training; rank 0 prints one JSON line of measurements."""
    import numpy as np

    import neuronio
    from neuronio.applications.decks import seed_cnn

    if args.distributed:
        neuronio.distribution.set_distribution(
            neuronio.distribution.DataParallel(micro_batch_size=args.micro_batch_size)
        )
    neuronio.utils.set_random_seed(0)
    if args.quick:
        rng = np.random.default_rng(0)
        x = rng.random((3 * args.batch_size, 28, 28, 1), dtype=np.float32)
        y = neuronio.utils.to_categorical(rng.integers(0, 10, len(x)), 10)
    else:
        from neuronio.cli import load_dataset

        (x, y), _ = load_dataset("mnist", flat=False)
    model = seed_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[: 2 * args.batch_size], y[: 2 * args.batch_size], batch_size=args.batch_size, verbose=0)  # warm-up
    dist = neuronio.distribution.distribution()
    comm = dist.comm if dist is not None else None

    def counters():
        return (comm.seconds, comm.bytes_sent, comm.bytes_received, comm.collectives) if comm else (0, 0, 0, 0)

    # Counted from on_train_begin: after fit's one-time broadcast of rank 0's weights and seeds.
    before = []
    start_counting = neuronio.callbacks.LambdaCallback(on_train_begin=lambda logs: before.extend(counters()))
    started = time.perf_counter()
    model.fit(x, y, batch_size=args.batch_size, epochs=1, verbose=0, callbacks=[start_counting])
    seconds = time.perf_counter() - started
    after = counters()
    if dist is None or dist.is_chief:
        steps = math.ceil(len(x) / args.batch_size)
        print(
            json.dumps(
                {
                    "epoch_seconds": seconds,
                    "steps": steps,
                    "comm_seconds": after[0] - before[0],
                    "bytes_sent": after[1] - before[1],
                    "bytes_received": after[2] - before[2],
                    "collectives": after[3] - before[3],
                    "params": model.count_params(),
                    "micro_batches_per_step": math.ceil(args.batch_size / args.micro_batch_size),
                }
            ),
            flush=True,
        )


def launch(args, processes: int, threads: int, distributed: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    command = [sys.executable, __file__, "--worker", "--batch-size", str(args.batch_size)]
    command += ["--micro-batch-size", str(args.micro_batch_size)] + (["--quick"] if args.quick else [])
    command += ["--distributed"] if distributed else []
    if processes > 1:
        mpiexec = shutil.which("mpiexec", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("mpiexec")
        if mpiexec is None:
            sys.exit("mpi_scaling: no mpiexec; pip install 'neuronio[distributed]'.")
        command = [mpiexec, "-n", str(processes), *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"mpi_scaling: {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def projection(compute: float, gathered_bytes: float, m: int) -> list[tuple[int, float, float, float]]:
    """(N, t_step, t_allgather, speed-up) for each machine count, from the formula in the docstring."""
    rows = []
    for n in MACHINES:
        comm = (n - 1) * LATENCY + (n - 1) / n * gathered_bytes / BANDWIDTH
        step = compute * math.ceil(m / n) / m + comm
        rows.append((n, step, comm, compute / step))
    return rows


def report(args, a: dict, b: dict, c: dict) -> str:
    steps, m = a["steps"], a["micro_batches_per_step"]
    compute = a["epoch_seconds"] / steps
    gathered = (b["bytes_sent"] + b["bytes_received"]) / b["steps"]  # every rank's payload, per step
    lines = [
        f"### Data-parallel training over MPI, {datetime.datetime.now():%Y-%m-%d %H:%M}, commit {commit()}",
        "",
        f"Seed CNN ({a['params']:,} parameters), Adam, batch {args.batch_size}, micro-batches of "
        f"{args.micro_batch_size} ({m} per step), {steps} steps{' (--quick: random data)' if args.quick else ' (one MNIST epoch)'}. "
        f"Command: `python benchmarks/mpi_scaling.py{' --quick' if args.quick else ''}`",
        "",
        "| configuration | epoch | per step | in collectives per step | sent per step (rank 0) |",
        "|---|---|---|---|---|",
    ]
    for name, r in (
        ("A. DataParallel, 1 process x 1 thread", a),
        ("B. DataParallel, 2 ranks x 1 thread (mpiexec -n 2)", b),
        ("C. plain fit, 1 process x 2 threads", c),
    ):
        per_step = r["epoch_seconds"] / r["steps"]
        comm = f"{1e3 * r['comm_seconds'] / r['steps']:.1f} ms" if r["collectives"] else "-"
        sent = f"{r['bytes_sent'] / r['steps'] / 1e6:.2f} MB" if r["collectives"] else "-"
        lines.append(f"| {name} | {r['epoch_seconds']:.1f} s | {1e3 * per_step:.0f} ms | {comm} | {sent} |")
    lines += [
        "",
        f"Speed-up of B over A: {a['epoch_seconds'] / b['epoch_seconds']:.2f}x; over C: "
        f"{c['epoch_seconds'] / b['epoch_seconds']:.2f}x. Bytes gathered per step S = {gathered / 1e6:.2f} MB "
        f"(every micro-batch's gradients, state and outputs).",
        "",
        f"Projection at 10 Gbit/s (B = 1.25 GB/s, alpha = {LATENCY * 1e6:.0f} us): t_step(N) = t_compute * "
        f"ceil(m/N)/m + (N-1)*alpha + (N-1)/N * S/B, t_compute = {1e3 * compute:.0f} ms (A), m = {m}.",
        "",
        "| machines N | busy | t_allgather | t_step | speed-up |",
        "|---|---|---|---|---|",
    ]
    for n, step, comm, speedup in projection(compute, gathered, m):
        lines.append(f"| {n} | {min(n, m)} | {1e3 * comm:.1f} ms | {1e3 * step:.0f} ms | {speedup:.2f}x |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="random data, 3 steps: check that it runs")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--micro-batch-size", type=int, default=32)
    parser.add_argument("--no-append", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--distributed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0
    a = launch(args, processes=1, threads=1, distributed=True)
    b = launch(args, processes=2, threads=1, distributed=True)
    c = launch(args, processes=1, threads=2, distributed=False)
    text = report(args, a, b, c)
    print(text)
    if not (args.quick or args.no_append):
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as f:
            f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
