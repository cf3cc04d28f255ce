"""`python -m neuronio train` with careless arguments: one line on stderr, no traceback, and exit
status 2 for a bad argument (argparse's convention) or 1 when the run cannot proceed.

Each case used to print a traceback, or (`--epochs -1`) exit 0 after saving an untrained model.
None of them may load data or train: the checks run before the dataset is touched, so these
tests pass with an empty NEURONIO_HOME and no network.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _train(tmp_path, *args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NEURONIO_HOME": str(tmp_path / "home")}
    return subprocess.run(
        [sys.executable, "-m", "neuronio", "train", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _assert_one_line(result, status, pattern):
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.search(pattern, lines[0]), lines[0]
    assert result.stdout == ""


@pytest.mark.parametrize(
    "args, pattern",
    [
        (["--epochs", "-1"], r"argument --epochs: must be a whole number >= 1, received -1"),
        (["--epochs", "0"], r"argument --epochs: must be a whole number >= 1, received 0"),
        (["--epochs", "2.5"], r"argument --epochs: must be a whole number >= 1, received '2\.5'"),
        (["--batch-size", "0"], r"argument --batch-size: must be a whole number >= 1, received 0"),
        (["--seed", "-5"], r"argument --seed: must be a whole number from 0 to 2\*\*32 - 1, received -5"),
        (["--samples", "0"], r"argument --samples: must be a whole number >= 1, received 0"),
        (["--validation-split", "1.5"], r"argument --validation-split: must be a fraction in \[0, 1\), received 1\.5"),
        (["--validation-split", "nan"], r"argument --validation-split: must be a fraction in \[0, 1\), received nan"),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else "",
)
def test_bad_numbers_exit_2_naming_the_argument(tmp_path, args, pattern):
    result = _train(tmp_path, *args, "--out", str(tmp_path / "run"))
    _assert_one_line(result, 2, r"^neuronio train: error: " + pattern + r" \(see neuronio train --help\)$")
    assert not (tmp_path / "run").exists()  # refused before anything was created


def test_out_naming_an_existing_file_exits_2(tmp_path):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    result = _train(tmp_path, "--out", str(existing))
    _assert_one_line(result, 2, rf"argument --out: {existing} exists and is not a folder")
    assert existing.read_text() == "keep me"


def _unwritable_folders(tmp_path) -> list[pathlib.Path]:
    """Folders that cannot be created or written here. Root ignores permission bits, so as root a
    path under /sys (read-only to writes of new entries) and under /dev/null stand in."""
    folders = [pathlib.Path("/dev/null/run")]
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        folders.append(locked / "run")
    elif pathlib.Path("/sys").is_dir():
        folders.append(pathlib.Path("/sys/neuronio-test-run"))
    return folders


def test_out_that_cannot_be_written_exits_1_before_loading_data(tmp_path):
    for folder in _unwritable_folders(tmp_path):
        try:
            folder.mkdir()
        except OSError:
            pass
        else:
            folder.rmdir()
            continue  # writable after all on this machine: nothing to test with it
        result = _train(tmp_path, "--epochs", "1", "--out", str(folder))
        _assert_one_line(result, 1, rf"^neuronio train: cannot write the output folder {folder} \(.+\); pass --out")
        assert not (tmp_path / "home" / "datasets").exists()  # no data was fetched
