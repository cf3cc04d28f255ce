"""benchmarks/rnn_speed.py runs end to end on tiny sizes (--quick), as a user runs it, in a
subprocess; the figures themselves are never asserted (timings stay out of the suite)."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.torch
def test_rnn_speed_quick_prints_every_row():
    pytest.importorskip("torch")
    pytest.importorskip("threadpoolctl")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "rnn_speed.py"), "--quick"],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "| LSTM |" in out and "| GRU |" in out
    assert "Row-MNIST LSTM(128) epoch" in out
    assert "Peak RSS of BPTT over 50 steps" in out and "PyTorch" in out
