"""The corpus: Keras 3 programs in the style of Keras's guides and keras.io's examples, each written
against `import keras` and run unchanged twice: with `keras` mapped to neuronio (the shim in
tests/programs/shim) and, where the `keras` extra is installed, with real Keras 3 on torch. So
the programs' assertions state Keras's behaviour, and neuronio must meet it.

All programs of one engine run in one subprocess (runner.py: a fresh `__main__` per program, the
engine imported once); the two engines' subprocesses run side by side.

    python -m pytest -q tests/programs
"""

import functools
import importlib.util
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROGRAMS = sorted(name for name in os.listdir(HERE) if name.startswith("p") and name.endswith(".py"))

# Programs that need a feature being built on another branch. strict=True: the mark fails the
# moment the feature lands, and is then removed here.
NEEDS: dict[str, str] = {}


def _run(engine: str) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT, KERAS_BACKEND="torch", PYTHONHASHSEED="0")
    paths = [os.path.join(HERE, name) for name in PROGRAMS]
    done = subprocess.run(
        [sys.executable, os.path.join(HERE, "runner.py"), engine, *paths],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=900,
    )
    results = {}
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            results[entry["program"]] = entry
    if not results:
        raise RuntimeError(f"the {engine} runner reported nothing:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return results


@functools.cache
def _runs() -> dict:
    """Both engines at once: two subprocesses on the two cores."""
    from concurrent.futures import ThreadPoolExecutor

    engines = ["neuronio"]
    if importlib.util.find_spec("keras") and importlib.util.find_spec("torch"):
        engines.append("keras")
    with ThreadPoolExecutor(len(engines)) as pool:
        return dict(zip(engines, pool.map(_run, engines)))


def _check(engine: str, program: str) -> None:
    runs = _runs()
    if engine not in runs:
        pytest.skip("real Keras is not installed (the `keras` extra)")
    result = runs[engine].get(program)
    assert result is not None, f"{program} did not report (the runner stopped before it)"
    assert result["ok"], f"{program} failed with {engine}:\n{result['error']}"
    if result.get("skipped"):
        pytest.skip(f"{program} skipped itself with {engine}: {result['skipped']}")


def _marks(program: str):
    reason = NEEDS.get(program)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def test_the_corpus_has_at_least_20_programs():
    assert len(PROGRAMS) >= 20, PROGRAMS


@pytest.mark.parametrize("program", [pytest.param(p, marks=_marks(p)) for p in PROGRAMS])
def test_program_runs_unchanged_on_neuronio(program):
    _check("neuronio", program)


@pytest.mark.keras
@pytest.mark.parametrize("program", PROGRAMS)
def test_program_runs_on_real_keras(program):
    """The same file on Keras 3 (torch): the program's assertions are Keras's behaviour."""
    _check("keras", program)
