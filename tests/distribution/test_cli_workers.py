"""`neuronio train --workers N`: the relaunch through mpiexec and the threads per process."""

import pytest

from neuronio import cli


@pytest.mark.parametrize("workers, cores, threads", [(1, 2, 2), (2, 2, 1), (2, 8, 4), (3, 8, 2), (4, 2, 1)])
def test_workers_times_threads_fit_in_the_cores(workers, cores, threads):
    assert cli.threads_per_worker(workers, cores) == threads


def test_workers_relaunches_the_same_command_through_mpiexec(monkeypatch, tmp_path, capsys):
    pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install 'neuronio[distributed]')")
    monkeypatch.setattr(cli.shutil, "which", lambda name, path=None: f"/opt/mpi/bin/{name}")
    launched = {}

    class Done:
        returncode = 0

    def run(command, env):
        launched.update(command=command, env=env)
        return Done()

    monkeypatch.setattr(cli.subprocess, "run", run)
    out = tmp_path / "run"
    argv = ["train", "--model", "mlp", "--workers", "2", "--epochs", "1", "--out", str(out)]
    assert cli.main(argv) == 0
    command = launched["command"]
    assert command[:3] == ["/opt/mpi/bin/mpiexec", "-n", "2"]
    assert command[4:] == ["-m", "neuronio", "train", "--model", "mlp", "--epochs", "1", "--out", str(out)]
    threads = str(cli.threads_per_worker(2))
    assert [launched["env"][k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS")] == [
        threads
    ] * 3
    assert not out.exists()  # the relaunched processes create it, not the launcher


def test_workers_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--workers", "0"])
    assert "--workers: must be a whole number >= 1, received 0" in capsys.readouterr().err
