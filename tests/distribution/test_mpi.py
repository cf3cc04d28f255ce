"""Real `mpiexec -n 2` runs against one process, weights compared bit for bit.

Each test launches tests/distribution/train_script.py, once as one process and once under
mpiexec, with one BLAS thread per process (as `neuronio train --workers` sets it). "Identical"
means: every weight, the History, evaluate's and predict's results of each of the 2 ranks are
equal (np.array_equal) to those of the same script run as one process.
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

SCRIPT = pathlib.Path(__file__).with_name("train_script.py")
ROOT = pathlib.Path(__file__).resolve().parents[2]
MPIEXEC = shutil.which("mpiexec", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("mpiexec")
RUN_TIMEOUT = 120  # seconds for one launch: a hang fails the test instead of the CI job

try:
    import mpi4py  # noqa: F401

    HAVE_MPI4PY = True
except ImportError:
    HAVE_MPI4PY = False

pytestmark = [
    pytest.mark.skipif(not HAVE_MPI4PY, reason="mpi4py is not installed (pip install 'neuronio[distributed]')"),
    pytest.mark.skipif(MPIEXEC is None, reason="no mpiexec next to the Python executable or on PATH"),
]


def run(tmp_path, name: str, processes: int, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    command = [sys.executable, str(SCRIPT), "--out", str(tmp_path / name), *args]
    if processes > 1:
        command = [MPIEXEC, "-n", str(processes), *command]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tmp_path)


def trained(tmp_path, name: str, processes: int, *args: str) -> list[dict]:
    done = run(tmp_path, name, processes, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return [dict(np.load(tmp_path / f"{name}.rank{rank}.npz")) for rank in range(processes)]


def assert_bitwise_equal(reference: dict, other: dict) -> None:
    assert reference.keys() == other.keys()
    different = [key for key in reference if not np.array_equal(reference[key], other[key])]
    assert not different, f"differ: {different}"


@pytest.mark.parametrize("model", ["mlp", "cnn", "bn"])
def test_two_ranks_train_to_the_bits_of_one_process(tmp_path, model):
    # mlp: seed 004's MLP (Dropout); cnn: seed 000's CNN; bn: BatchNormalization and a seeded Dropout.
    # 128 training samples in batches of 64, micro-batches of 16: 4 per step, 2 per rank.
    (one,) = trained(tmp_path, "one", 1, "--model", model)
    for rank_result in trained(tmp_path, "two", 2, "--model", model):
        assert_bitwise_equal(one, rank_result)
    history = json.loads(str(one["history"]))
    assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(history["loss"]) == 2 and all(np.isfinite(history["loss"]))


def test_only_rank_0_writes_the_log_and_checkpoints(tmp_path):
    (one,) = trained(tmp_path, "one", 1, "--model", "bn", "--logs", "logs_one")
    for rank_result in trained(tmp_path, "two", 2, "--model", "bn", "--logs", "logs_two"):
        assert_bitwise_equal(one, rank_result)
    # One writer: the CSV (appended to, so a second writer would add rows) has one header and one
    # row per epoch, the same text as one process's.
    csv_one, csv_two = ((tmp_path / d / "log.csv").read_text() for d in ("logs_one", "logs_two"))
    assert csv_two == csv_one and len(csv_two.splitlines()) == 3
    assert sorted(p.name for p in (tmp_path / "logs_two").iterdir()) == [
        "epoch1.weights.h5",
        "epoch2.weights.h5",
        "log.csv",
    ]


@pytest.mark.parametrize("processes", [3, 4])
def test_three_and_four_ranks_too(tmp_path, processes):
    # 4 micro-batches per step dealt as 1+1+2 and 1+1+1+1 (more processes than the 2 cores is fine).
    (one,) = trained(tmp_path, "one", 1, "--model", "bn")
    for rank_result in trained(tmp_path, "many", processes, "--model", "bn"):
        assert_bitwise_equal(one, rank_result)


def test_another_decomposition_gives_other_bits(tmp_path):
    # The comparison above can fail: micro-batches of 32 instead of 16 round differently.
    (sixteen,) = trained(tmp_path, "sixteen", 1, "--model", "bn")
    (thirty_two,) = trained(tmp_path, "thirty_two", 1, "--model", "bn", "--micro-batch-size", "32")
    assert not np.array_equal(sixteen["arr_0"], thirty_two["arr_0"])


def test_a_hung_rank_ends_the_job_with_a_clear_error(tmp_path):
    done = run(tmp_path, "hang", 2, "--model", "bn", "--timeout", "3", "--fault", "hang,1,0,1")
    assert done.returncode != 0
    assert "rank 0 of 2 waited more than 3 s for the other processes" in done.stderr
    assert "DataParallel(timeout=...)" in done.stderr


def test_a_killed_rank_ends_the_job(tmp_path):
    done = run(tmp_path, "kill", 2, "--model", "bn", "--timeout", "30", "--fault", "kill,1,0,1")
    assert done.returncode != 0
    assert "BAD TERMINATION" in done.stdout + done.stderr  # MPICH's launcher names the dead process


def test_an_error_on_one_rank_ends_the_job_at_once_with_its_traceback(tmp_path):
    # Without the abort, the failed rank's MPI_Finalize and the others' collective would wait for
    # each other until the timeout (300 s here).
    started = time.perf_counter()
    done = run(tmp_path, "raise", 2, "--model", "bn", "--timeout", "300", "--fault", "raise,1,0,1")
    assert done.returncode != 0
    assert "RuntimeError: injected failure on rank 1" in done.stderr
    assert "rank 1 of 2 stopped on the error above; ending the whole job." in done.stderr
    assert time.perf_counter() - started < RUN_TIMEOUT / 2


def test_resuming_under_mpi_after_a_kill_matches_an_uninterrupted_run(tmp_path):
    (uninterrupted,) = trained(tmp_path, "whole", 1, "--model", "bn", "--epochs", "3", "--backup", "backup_one")
    backup = "backup_two"
    killed = run(tmp_path, "part", 2, "--model", "bn", "--epochs", "3", "--backup", backup, "--fault", "kill,0,1,1")
    assert killed.returncode != 0
    assert (tmp_path / backup / "latest.weights.h5").exists()  # written by rank 0 after epoch 1
    for rank_result in trained(tmp_path, "resumed", 2, "--model", "bn", "--epochs", "3", "--backup", backup):
        assert_bitwise_equal(uninterrupted, rank_result)
    assert not (tmp_path / backup / "latest.weights.h5").exists()  # deleted once, by rank 0


def test_neuronio_train_on_two_processes_saves_the_model_of_one(tmp_path):
    # `neuronio train --workers 2` under mpiexec (as --workers relaunches it) against --workers 1.
    script = str(SCRIPT.with_name("cli_script.py"))
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    common = ["train", "--model", "mlp", "--epochs", "1", "--verbose", "0"]
    runs = {}
    for workers, prefix in ((1, []), (2, [MPIEXEC, "-n", "2"])):
        out = tmp_path / f"workers{workers}"
        command = [*prefix, sys.executable, script, *common, "--workers", str(workers), "--out", str(out)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.count("Total params") == 1  # rank 0 alone prints
        runs[workers] = out
    from neuronio.saving import load_model

    one, two = (load_model(runs[w] / "model.keras") for w in (1, 2))
    for a, b in zip(one.weights, two.weights, strict=True):
        assert np.array_equal(a.data, b.data)
    histories = [json.loads((runs[w] / "history.json").read_text())["history"] for w in (1, 2)]
    assert histories[0] == histories[1]
