import subprocess
import sys

import pytest


def _run(code: str, env_extra: dict) -> str:
    import os

    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout


def test_allocator_tuning_runs_once_and_can_be_turned_off():
    code = "from neuronio import config; print(config.tune_allocator(), config.tune_allocator())"
    on = _run(code, {"NEURONIO_MALLOC_TUNING": "1"}).split()
    off = _run(code, {"NEURONIO_MALLOC_TUNING": "0"}).split()
    if sys.platform.startswith("linux"):
        assert on == ["True", "True"]  # glibc accepted M_TOP_PAD; the second call is a no-op
    assert off == ["False", "False"]  # switched off: nothing asked of malloc


def test_thread_pool_wait_policies_are_set_unless_the_user_set_them_or_opted_out():
    code = (
        "import os, neuronio; from neuronio import config; "
        "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('OPENBLAS_THREAD_TIMEOUT'), "
        "config.process_settings()['OPENBLAS_THREAD_TIMEOUT'])"
    )
    import os

    names = ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT", "NEURONIO_THREAD_SETTINGS")
    base = {k: v for k, v in os.environ.items() if k not in names}  # none of them set

    def run(extra):
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env={**base, **extra}, check=True
        ).stdout.split()

    # Imported before NumPy (neuronio imports config first): OpenBLAS reads the timeout.
    assert run({}) == ["PASSIVE", "4", "4"]
    assert run({"OMP_WAIT_POLICY": "ACTIVE"})[:2] == ["ACTIVE", "4"]  # the user's value wins
    assert run({"NEURONIO_THREAD_SETTINGS": "0"})[:2] == ["None", "None"]  # opted out: nothing set


# -- the libraries read the settings: asked of each library, not of os.environ -------------------------
_BASE_NAMES = ("OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT", "NEURONIO_THREAD_SETTINGS", "NUMBA_THREADING_LAYER")


def _fresh(code: str, extra: dict) -> subprocess.CompletedProcess:
    """`code` in a new interpreter whose environment holds none of the thread settings, plus `extra`."""
    import os

    base = {k: v for k, v in os.environ.items() if k not in _BASE_NAMES}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**base, **extra}, check=True
    )


_OPENBLAS_TIMEOUT = (
    "import ctypes, threadpoolctl; "
    "blas = [i for i in threadpoolctl.threadpool_info() if i['internal_api'] == 'openblas']; "
    "lib = ctypes.CDLL(blas[0]['filepath']) if blas else None; "
    "print(lib.openblas_thread_timeout() if lib is not None and hasattr(lib, 'openblas_thread_timeout') else 'n/a')"
)


def test_openblas_reads_the_thread_timeout_when_neuronio_is_imported_first():
    pytest.importorskip("threadpoolctl")
    # openblas_thread_timeout(): the value OpenBLAS read from OPENBLAS_THREAD_TIMEOUT when it loaded (0: unset).
    first = _fresh("import neuronio, numpy; " + _OPENBLAS_TIMEOUT, {}).stdout.strip()
    if first == "n/a":
        pytest.skip("NumPy's BLAS here is not an OpenBLAS that reports its thread timeout")
    assert first == "4"
    assert _fresh("import neuronio; " + _OPENBLAS_TIMEOUT, {"OPENBLAS_THREAD_TIMEOUT": "6"}).stdout.strip() == "6"
    assert _fresh("import neuronio; " + _OPENBLAS_TIMEOUT, {"NEURONIO_THREAD_SETTINGS": "0"}).stdout.strip() == "0"
    # NumPy first: OpenBLAS has read its environment before neuronio set anything, and `neuronio info` says so.
    late = _fresh(
        "import numpy, neuronio; " + _OPENBLAS_TIMEOUT + "; "
        "print(neuronio.config.process_settings()['OPENBLAS_THREAD_TIMEOUT'])",
        {},
    ).stdout.split("\n")
    assert late[0] == "0" and "NumPy was imported first" in late[1]


def test_gnu_openmp_under_onednn_reads_the_passive_wait_policy():
    from neuronio.ops import _onednn

    try:
        path = _onednn.library_path()
    except ImportError as exc:
        pytest.skip(f"oneDNN is not installed: {exc}")
    # omp_display_env prints the internal control variables GNU OpenMP read when oneDNN loaded it.
    code = (
        f"import ctypes, neuronio; ctypes.CDLL({path!r}); gomp = ctypes.CDLL('libgomp.so.1'); gomp.omp_display_env(0)"
    )
    assert "OMP_WAIT_POLICY = 'PASSIVE'" in _fresh(code, {}).stderr
    assert "OMP_WAIT_POLICY = 'ACTIVE'" in _fresh(code, {"OMP_WAIT_POLICY": "ACTIVE"}).stderr  # the user's wins


def test_numba_runs_its_parallel_kernels_on_the_workqueue_threading_layer():
    pytest.importorskip("numba")
    code = (
        "import numpy as np, neuronio; from neuronio import config, ops; config.set_kernels(('numba',)); "
        "ops.relu(np.ones(1 << 16, 'float32')); "  # large enough for the parallel build
        "import numba; print(numba.threading_layer())"
    )
    assert _fresh(code, {}).stdout.strip() == "workqueue"
