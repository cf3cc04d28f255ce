"""Atomic writes, and the clean-up of what killed ones leave behind.

Every write goes to a temporary file in the target's folder (`.<name>.<pid>.<8 hex digits>.tmp`),
is flushed to disk, and is then renamed over the target (`os.replace`, atomic on POSIX and
Windows): a crash, a kill or a full disk in the middle of a save leaves the previous file as it
was. A killed save leaves its temporary file behind; the next save into the same folder removes
the stale ones (`remove_stale_temps`), and never any other file.
"""

import os
import re
import secrets
import stat
import time

# -- atomic writes ----------------------------------------------------------------------------------
# The name atomic_write gives its temporary files, and nothing else does by accident: a leading dot,
# the target's name, the writer's pid, exactly 8 lowercase hex digits, ".tmp".
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.(?P<pid>[0-9]+)\.[0-9a-f]{8}\.tmp")
# A temporary file this old belongs to a save that was killed (a save takes seconds, not minutes),
# unless its writer is still running on this machine, in which case it is older still before it goes.
STALE_AFTER = 600.0
_STALE_AFTER_LIVE_WRITER = 24 * 3600.0


def remove_stale_temps(folder: str, now: float | None = None) -> list[str]:
    """Remove the temporary files that killed saves left in `folder`; return their names.

    Only regular files named as atomic_write names them are candidates, and of those only the ones
    not modified for STALE_AFTER seconds whose writing process is gone (or, if a process with that
    pid runs, not modified for a day). Nobody else's file is ever touched; errors are ignored (a
    clean-up must never make a save fail).
    """
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                continue
            age = now - info.st_mtime
            limit = _STALE_AFTER_LIVE_WRITER if _process_alive(int(match["pid"])) else STALE_AFTER
            if age < limit:
                continue
            os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            continue
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError, ValueError):
        return True  # someone else's live process, or a pid we cannot ask about: assume alive
    return True


def atomic_write(filepath: str, write, overwrite: bool = True) -> None:
    """Call `write(binary_file)` on a temporary file beside `filepath`, then rename it into place.

    On any error (including a full disk) the temporary file is removed and the error re-raised;
    `filepath` is untouched until the final rename.
    """
    filepath = os.fspath(filepath)
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{filepath} already exists; pass overwrite=True to replace it.")
    folder = os.path.dirname(os.path.abspath(filepath))
    remove_stale_temps(folder)
    temp = os.path.join(folder, f".{os.path.basename(filepath)}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # O_EXCL: never write through a file someone else created; 0o666 lets the umask decide the mode,
    # as open(filepath, "wb") would.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, filepath)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
