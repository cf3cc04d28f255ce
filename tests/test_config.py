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
