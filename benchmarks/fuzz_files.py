"""A long byte-fuzzing run over every kind of file neuronio saves, counting what happened.

    python benchmarks/fuzz_files.py --seconds 170            # prints the table
    python benchmarks/fuzz_files.py --seconds 170 --record   # and appends it to RESULTS.md

The same files, damage and loaders as the CI test (tests/fuzz/test_saved_files.py, a short
budget), for as long as asked: `.keras` archives and each member, `.weights.h5` with and without
neuronio's checksum, BackupAndRestore backups with and without it. Each case is a few random
byte edits (set, delete, insert, duplicate) and perhaps a cut. Allowed outcomes: a load ("ok")
or FileFormatError; among the latter, "time limit" counts the cases where libhdf5 did not finish
within --time-limit seconds and was stopped. Anything else (another exception, a case over the
time or memory bound) is counted as a failure and its seed printed, so it can be replayed with
`--replay KIND SEED`.
"""

import argparse
import collections
import datetime
import pathlib
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEAK_BYTES = 32 << 20


def run_case(kind, seed, valid, time_limit):
    """(outcome, detail) for one damaged file."""
    from neuronio.errors import FileFormatError
    from tests.fuzz.saved_files import damage, load

    data = damage(valid[kind], random.Random(seed))
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.monotonic()
        tracemalloc.start()
        try:
            outcome = load(kind, data, valid, folder)
        except FileFormatError as exc:
            outcome = "FileFormatError (time limit)" if "did not finish within" in str(exc) else "FileFormatError"
        except Exception as exc:  # noqa: BLE001 - counted, not hidden
            outcome = f"FAIL {type(exc).__name__}"
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        seconds = time.monotonic() - start
    if peak > PEAK_BYTES:
        outcome = "FAIL memory"
    elif seconds > 3 * time_limit + 5:
        outcome = "FAIL time"
    return outcome


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=170.0, help="how long to run")
    parser.add_argument("--time-limit", type=float, default=2.0, help="seconds of HDF5 parsing per case")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--record", action="store_true", help="append the table to benchmarks/RESULTS.md")
    parser.add_argument("--replay", nargs=2, metavar=("KIND", "SEED"), help="run one case and show its traceback")
    args = parser.parse_args(argv)

    from neuronio.saving import guard
    from tests.fuzz.saved_files import valid_files

    guard.PARSE_TIME_LIMIT = args.time_limit
    valid = valid_files()
    if args.replay:
        from tests.fuzz.saved_files import damage, load

        kind, seed = args.replay[0], int(args.replay[1])
        with tempfile.TemporaryDirectory() as folder:
            print(load(kind, damage(valid[kind], random.Random(seed)), valid, folder))
        return 0
    kinds = sorted(valid)
    counts = collections.defaultdict(collections.Counter)
    failures = []
    master = random.Random(args.seed)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        kind, seed = master.choice(kinds), master.randrange(2**32)
        outcome = run_case(kind, seed, valid, args.time_limit)
        counts[kind][outcome] += 1
        if outcome.startswith("FAIL"):
            failures.append((kind, seed, outcome))
            print(f"{outcome}: --replay {kind} {seed}", flush=True)

    outcomes = sorted({o for c in counts.values() for o in c})
    lines = [
        "| file | cases | " + " | ".join(outcomes) + " |",
        "|---|---|" + "---|" * len(outcomes),
    ]
    for kind in kinds:
        c = counts[kind]
        lines.append(f"| {kind} | {sum(c.values())} | " + " | ".join(str(c[o]) for o in outcomes) + " |")
    total = collections.Counter()
    for c in counts.values():
        total.update(c)
    lines.append(f"| all | {sum(total.values())} | " + " | ".join(str(total[o]) for o in outcomes) + " |")
    table = "\n".join(lines)
    print(table)
    print(f"{len(failures)} failures")
    if args.record:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
        command = "python benchmarks/fuzz_files.py " + " ".join(a for a in (argv or sys.argv[1:]) if a != "--record")
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as f:
            f.write(
                f"\n### Fuzzing saved files, {stamp}, commit {commit.stdout.strip()}\n\n"
                f"Byte-damaged files of each kind neuronio saves, loaded back (seed {args.seed}); the only "
                f"outcomes allowed are a load or FileFormatError, within the time and memory bounds. "
                f"Counts only (the number of cases depends on the machine's load). Command: `{command.strip()}`\n\n"
                f"{table}\n\n{len(failures)} failures.\n"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
