import subprocess
import sys


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
