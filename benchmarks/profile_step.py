"""Where a training step's time goes: milliseconds per step in each op's forward and backward.

    python benchmarks/profile_step.py                       # the seed CNN, 2 threads, 40 batches
    python benchmarks/profile_step.py --model cifar-cnn --batches 20
    NEURONIO_COMPILED_KERNELS=0 python benchmarks/profile_step.py   # NumPy only, without the `fast` extra

Every op class's forward and backward, and the optimizer's update, are wrapped in a timer for one
epoch over `--batches` batches of 128 (after a warm-up epoch); the table lists them by total time,
with the step time measured without the timers for comparison. Time alone: a second process on
these two cores distorts every figure (OpenBLAS's threads wait for a core).
"""

import argparse
import collections
import functools
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import speed  # noqa: E402  (the models and data of the speed benchmark)

BATCH = 128


def op_classes():
    """Every subclass of Function, however deep."""
    from neuronio.autodiff.function import Function

    found, stack = set(), [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return found


def timed(totals: dict, label: str, method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - started

    return wrapper


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="cnn", choices=speed.MODELS)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    model = speed.neuronio_model(args.model)
    x, y, _, _ = speed.data(args.model, BATCH * args.batches)
    with threadpool_limits(limits=args.threads), speed.compiled_threads(args.threads):
        speed.neuronio_epoch(model, x, y)  # warm-up: builds, compiles, allocator
        step_ms = min(speed.neuronio_epoch(model, x, y) for _ in range(2)) / args.batches * 1e3

        totals = collections.defaultdict(float)
        originals = []
        targets = [(cls, name) for cls in op_classes() for name in ("forward", "backward") if name in vars(cls)]
        if "update_step" in vars(type(model.optimizer)):
            targets.append((type(model.optimizer), "update_step"))
        for cls, name in targets:
            originals.append((cls, name, vars(cls)[name]))
            setattr(cls, name, timed(totals, f"{cls.__name__}.{name}", vars(cls)[name]))
        try:
            timed_ms = speed.neuronio_epoch(model, x, y) / args.batches * 1e3
        finally:
            for cls, name, method in originals:
                setattr(cls, name, method)

    print(
        f"{args.model}: {step_ms:.1f} ms per step of {BATCH} ({timed_ms:.1f} with the timers); {speed.kernels_fact()}"
    )
    print("| op | ms per step | share |")
    print("|---|---|---|")
    for label, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        ms = seconds / args.batches * 1e3
        if ms >= 0.05:
            print(f"| {label} | {ms:.2f} | {ms / timed_ms:.0%} |")
    rest = timed_ms - sum(totals.values()) / args.batches * 1e3
    print(f"| everything else (Python, tape, metrics, batching) | {rest:.2f} | {rest / timed_ms:.0%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
