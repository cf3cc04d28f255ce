"""`neuronio lab`: its errors, and a real server started by the command."""

import json
import os
import pathlib
import socket
import subprocess
import sys
import urllib.request

import pytest

from neuronio.cli import main
from tests.lab.conftest import FIXTURE

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_lab_is_a_command(capsys):
    with pytest.raises(SystemExit):
        main(["lab", "--help"])
    out = capsys.readouterr().out
    assert "MODEL.keras" in out and "--port" in out and "--host" in out


def test_a_missing_or_damaged_model_file_is_a_clear_error(tmp_path, capsys):
    assert main(["lab", str(tmp_path / "nothing.keras")]) == 1
    assert "no such model file" in capsys.readouterr().err
    damaged = tmp_path / "damaged.keras"
    damaged.write_bytes(b"not a zip file")
    assert main(["lab", str(damaged)]) == 1
    assert f"cannot open {damaged}" in capsys.readouterr().err


def test_a_busy_port_is_a_clear_error(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["lab", str(FIXTURE), "--port", str(port)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"neuronio lab: cannot listen on 127.0.0.1:{port} (Address already in use). Is another lab running? "
        f"Try --port {port + 1}.\n"
    )  # said once: not Werkzeug's account as well
    assert main(["lab", "--port", "70000"]) == 2


def _serve(tmp_path, *args):
    """Start `python -m neuronio lab ...` and return (process, the URL it printed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEURONIO_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "neuronio", "lab", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    for line in process.stdout:
        if "open http://" in line:
            return process, line.split("open ")[1].split()[0]
    process.kill()
    raise AssertionError(f"no URL printed; stderr: {process.stderr.read()}")


def test_the_command_serves_the_given_model(tmp_path):
    process, url = _serve(tmp_path, str(FIXTURE))
    try:
        assert url.startswith("http://127.0.0.1:")
        models = json.load(urllib.request.urlopen(url + "/api/models", timeout=10))
        assert models["default"] == "given"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_exposing_the_lab_prints_a_warning_and_no_model_prints_how_to_train_one(tmp_path):
    process, url = _serve(tmp_path, "--host", "0.0.0.0")
    try:
        models = json.load(urllib.request.urlopen(url + "/api/models", timeout=10))
        assert models["default"] is None
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert "WARNING: the lab listens on 0.0.0.0" in err and "no login" in err
