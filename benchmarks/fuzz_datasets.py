"""A long byte-fuzzing run over every dataset file neuronio reads, counting the outcomes.

    python benchmarks/fuzz_datasets.py                    # 2,000 cases per file kind
    python benchmarks/fuzz_datasets.py --cases 200 --no-append
    python benchmarks/fuzz_datasets.py --seconds 150      # share a time budget among the kinds

The file kinds, the damage (a few random byte edits, perhaps a cut) and the limits are those of
tests/fuzz/test_dataset_parsers.py, which runs a few dozen cases of each in CI. Here every case is
classified instead of stopping at the first failure:

    loaded            the damaged file still parsed, and met the format's invariants
    FileFormatError   the documented error
    <other type>      any other exception: a bug
    over time         a case that took longer than the test's deadline (2 s)
    over memory       a case that allocated more than the test's PEAK_BYTES (16 MiB)

A table of the counts per file kind (never timings: those depend on the machine's load) is
printed and, unless --no-append, appended to benchmarks/RESULTS.md with the command and commit.
"""

import argparse
import collections
import contextlib
import datetime
import io
import pathlib
import subprocess
import sys
import time
import tracemalloc

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

from neuronio.errors import FileFormatError  # noqa: E402
from tests.fuzz import test_dataset_parsers as fuzz  # noqa: E402

COLUMNS = ("loaded", "FileFormatError", "other errors", "over time", "over memory")


def classify(target, data: bytes) -> list[str]:
    """The outcome labels of one case: its result or error type, plus any limit it broke."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = target.read(data)
        target.check(result)
        labels = ["loaded"]
    except FileFormatError:
        labels = ["FileFormatError"]
    except Exception as exc:  # noqa: BLE001 - counting every other type is the point
        labels = [type(exc).__name__]
    finally:
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    if seconds > fuzz.DEADLINE.total_seconds():
        labels.append("over time")
    if peak > fuzz.PEAK_BYTES:
        labels.append("over memory")
    return labels


class _TimeUp(Exception):
    """Raised inside the case loop to end it when the time budget is spent."""


def run_target(target, cases: int, seconds: float | None) -> collections.Counter:
    counts = collections.Counter()
    stop_at = None if seconds is None else time.monotonic() + seconds

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        phases=[Phase.generate],  # no shrinking: every case is counted, none is a failure
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @given(fuzz.damaged(target.base))
    def one_case(data):
        if stop_at is not None and time.monotonic() > stop_at:
            raise _TimeUp
        counts["cases"] += 1
        for label in classify(target, data):
            counts[label] += 1

    with contextlib.suppress(_TimeUp), contextlib.redirect_stdout(io.StringIO()):  # hypothesis's report
        one_case()
    return counts


def table(results: dict[str, collections.Counter]) -> str:
    lines = ["| file kind | cases | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2) + "|"]
    for name, counts in results.items():
        others = {k: v for k, v in counts.items() if k not in ("cases", *COLUMNS)}
        other_text = ", ".join(f"{k} {v}" for k, v in sorted(others.items())) or "0"
        cells = [counts["loaded"], counts["FileFormatError"], other_text, counts["over time"], counts["over memory"]]
        lines.append(f"| {name} | {counts['cases']} | " + " | ".join(str(c) for c in cells) + " |")
    total = sum((c for c in results.values()), collections.Counter())
    bad = sum(v for k, v in total.items() if k not in ("cases", "loaded", "FileFormatError"))
    lines.append(f"\nTotal: {total['cases']} cases, {total['loaded']} loaded, {total['FileFormatError']} FileFormatError, "
                 f"{bad} outcomes outside the contract.")  # fmt: skip
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases per file kind (default 2000)")
    parser.add_argument("--seconds", type=float, default=None, help="total time budget, shared equally among kinds")
    parser.add_argument("--no-append", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args(argv)
    per_target = None if args.seconds is None else args.seconds / len(fuzz.TARGETS)
    results = {}
    for target in fuzz.TARGETS:
        results[target.name] = run_target(target, args.cases, per_target)
        print(f"{target.name}: {dict(results[target.name])}", flush=True)
    text = table(results)
    print(text)
    if not args.no_append:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip()
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        command = "python benchmarks/fuzz_datasets.py " + " ".join(argv if argv is not None else sys.argv[1:])
        section = (
            f"\n### Dataset file fuzzing, {stamp}, commit {commit}\n\n"
            f"Counts only (no timings). Limits per case: {fuzz.DEADLINE.total_seconds():g} s, "
            f"{fuzz.PEAK_BYTES >> 20} MiB of Python allocations. Command: `{command.strip()}`\n\n{text}\n"
        )
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as results_file:
            results_file.write(section)
    others = sum(v for c in results.values() for k, v in c.items() if k not in ("cases", "loaded", "FileFormatError"))
    return 1 if others else 0


if __name__ == "__main__":
    sys.exit(main())
