"""Data-parallel training over MPI (neuronio.distribution): epoch time, communication, projection.

    python benchmarks/mpi_scaling.py            # seed CNN, one MNIST epoch per configuration; appends to RESULTS.md
    python benchmarks/mpi_scaling.py --quick    # random data, a few steps: checks that it runs (nothing appended)
    python benchmarks/mpi_scaling.py --micro-batch-size 8   # 16 micro-batches per step: work for 16 machines

Three configurations of the same training (seed 000's CNN, Adam, batch 128, micro-batches of 32):
  A. DataParallel in 1 process, 1 BLAS thread  (the bit-for-bit reference of every world size);
  B. DataParallel on 2 ranks (`mpiexec -n 2`), 1 thread each;
  C. plain fit in 1 process with 2 threads      (how one would use the 2 cores without MPI).
Each runs in its own process(es) after a warm-up of a few steps (numba's compilation), and
reports the epoch time, the time spent in collectives (waiting for the slowest rank included)
and the bytes each rank sent and received.

The projection to N machines on a 10 Gbit/s network uses the measured compute of A:
    t_step(N) = t_compute * ceil(m / N) / m + t_comm(N)
    t_comm(N) = 2 (N - 1) alpha + (k_N + 1) (N - 1) / N * G / B + (N - 1) / N * R / B
where m = micro-batches per step, G = bytes of one flat gradient (4 per parameter), k_N = the
largest number of gradient subtrees a process sends in the alltoall (from the deal of m
micro-batches to N processes; the allgather of the summed slices adds one more G), R = the
other per-step results (outputs, losses, states) of all micro-batches, measured on B,
B = 1.25e9 bytes/s and alpha = 50 us per message (pairwise alltoall and ring allgather: N - 1
steps each); pickling and copying are left out. The speed-up is t_compute / t_step(N). Micro-batches are the unit of work, so at
most m processes are busy: the table says so where N > m.
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
        from neuronio.utils.runs import load_dataset

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


def subtrees_sent(m: int, n: int) -> int:
    """k_N: the most gradient subtrees one of n processes sends for m micro-batches (data_parallel._cover)."""
    from neuronio.distribution.data_parallel import _cover

    return max(len(_cover((0, m), (r * m // n, (r + 1) * m // n))) for r in range(n))


def projection(compute: float, gradient_bytes: float, other_bytes: float, m: int) -> list[tuple]:
    """(N, k_N, t_comm, t_step, speed-up) for each machine count, from the formula in the docstring."""
    rows = []
    for n in MACHINES:
        k = subtrees_sent(m, n)
        comm = 2 * (n - 1) * LATENCY + ((k + 1) * gradient_bytes + other_bytes) * (n - 1) / n / BANDWIDTH
        step = compute * math.ceil(m / n) / m + comm
        rows.append((n, k, comm, step, compute / step))
    return rows


def report(args, a: dict, b: dict, c: dict) -> str:
    steps, m = a["steps"], a["micro_batches_per_step"]
    compute = a["epoch_seconds"] / steps
    gradient = 4 * a["params"]  # float32: the trainable weights of the seed CNN are all of its weights
    # B's traffic per step beyond the gradients (2 ranks, 1 subtree each: 2 G sent, 2 G received, halved by (N-1)/N):
    other = max((b["bytes_sent"] + b["bytes_received"]) / b["steps"] - 2 * gradient, 0.0)
    lines = [
        f"### Data-parallel training over MPI, {datetime.datetime.now():%Y-%m-%d %H:%M}, commit {commit()}",
        "",
        f"Seed CNN ({a['params']:,} parameters), Adam, batch {args.batch_size}, micro-batches of "
        f"{args.micro_batch_size} ({m} per step), {steps} steps{' (--quick: random data)' if args.quick else ' (one MNIST epoch)'}. "
        f"Command: `python benchmarks/mpi_scaling.py{' --quick' if args.quick else ''}`",
        "",
        "| configuration | epoch | per step | in collectives per step | sent / received per step (rank 0) |",
        "|---|---|---|---|---|",
    ]
    for name, r in (
        ("A. DataParallel, 1 process x 1 thread", a),
        ("B. DataParallel, 2 ranks x 1 thread (mpiexec -n 2)", b),
        ("C. plain fit, 1 process x 2 threads", c),
    ):
        per_step = r["epoch_seconds"] / r["steps"]
        comm = f"{1e3 * r['comm_seconds'] / r['steps']:.1f} ms" if r["collectives"] else "-"
        sent = (
            f"{r['bytes_sent'] / r['steps'] / 1e6:.2f} / {r['bytes_received'] / r['steps'] / 1e6:.2f} MB"
            if r["collectives"]
            else "-"
        )
        lines.append(f"| {name} | {r['epoch_seconds']:.1f} s | {1e3 * per_step:.0f} ms | {comm} | {sent} |")
    lines += [
        "",
        f"Speed-up of B over A: {a['epoch_seconds'] / b['epoch_seconds']:.2f}x; over C: "
        f"{c['epoch_seconds'] / b['epoch_seconds']:.2f}x. One gradient G = {gradient / 1e6:.2f} MB; the other "
        f"results of a step (outputs, losses, states) R = {other / 1e6:.3f} MB.",
        "",
        f"Projection at 10 Gbit/s (B = 1.25 GB/s, alpha = {LATENCY * 1e6:.0f} us): t_step(N) = t_compute * "
        f"ceil(m/N)/m + 2(N-1) alpha + ((k_N+1) G + R) (N-1)/N / B, t_compute = {1e3 * compute:.0f} ms (A), m = {m}.",
        "",
        "| machines N | busy | k_N | t_comm | t_step | speed-up |",
        "|---|---|---|---|---|---|",
    ]
    for n, k, comm, step, speedup in projection(compute, gradient, other, m):
        lines.append(f"| {n} | {min(n, m)} | {k} | {1e3 * comm:.1f} ms | {1e3 * step:.0f} ms | {speedup:.2f}x |")
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
