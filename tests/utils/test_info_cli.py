"""`neuronio info`: which kernel implementation each op runs, and the process settings."""

import json
import os
import subprocess
import sys


def _info(env: dict) -> dict:
    full = {k: v for k, v in os.environ.items() if k not in ("NEURONIO_KERNELS", "NEURONIO_COMPILED_KERNELS")}
    out = subprocess.run(
        [sys.executable, "-m", "neuronio", "info", "--json"], env={**full, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_info_reports_the_numpy_reference_when_the_priority_list_says_numpy():
    info = _info({"NEURONIO_KERNELS": "numpy"})
    assert info["kernels"] == ["numpy"]
    ops = {row["op"]: row for row in info["ops"]}
    assert {"conv2d", "max_pool2d", "batch_norm", "relu", "adam"} <= set(ops)  # every op a kernel replaces
    assert all(row["float32"] == row["float64"] == "numpy" for row in ops.values())
    assert info["process settings"]["OMP_WAIT_POLICY"] == os.environ.get("OMP_WAIT_POLICY", "PASSIVE")


def test_info_reports_numba_where_it_is_installed():
    try:
        import numba  # noqa: F401
    except ImportError:
        info = _info({"NEURONIO_KERNELS": "numba"})
        assert "numba" in info["ops"][0]["registered"]["numba"]  # the reason: numba is not installed
        return
    info = _info({"NEURONIO_KERNELS": "numba"})
    ops = {row["op"]: row for row in info["ops"]}
    assert ops["conv2d"]["float32"] == ops["conv2d"]["float64"] == "numba"
    assert ops["adam"]["float32"] == "numba"
