"""HDF5 bytes that may be damaged or hostile: a checksum on neuronio's own files, a time limit on
parsing everyone's.

libhdf5 parses a file's metadata in C with the GIL held, and some damaged files make it loop
forever (a cycle in its internal lists): no thread, signal handler or Ctrl-C can stop it. So:

1. Every HDF5 file neuronio writes (`.weights.h5`, the weights inside a `.keras` archive,
   BackupAndRestore's backups and ModelCheckpoint's files, which are the same two kinds) starts
   with a 512-byte HDF5 *user block*, a standard HDF5 feature that libhdf5, h5py and Keras skip.
   neuronio writes into it `NEURONIO-SHA256`, the SHA-256 of the rest of the file and its length.
   `verify` checks them before any byte reaches libhdf5: a mismatch (a torn disk block, a
   truncated copy, a flipped bit) is FileFormatError, and BackupAndRestore then falls back to its
   `.bkp` copy. Why a user block rather than a sidecar file or a zip comment: the checksum travels
   inside the one file that one atomic rename replaces (a sidecar needs a second rename, and a
   kill between the two would make a good file look damaged), it works for a bare `.weights.h5`
   (which has no zip to hold a comment), and Keras still reads the file.
2. A checksum proves only that the file is the one written, not that its writer was neuronio (a
   hostile file can carry a correct checksum of hostile bytes). So every HDF5 parse of a file a
   user hands to `load_model` or `load_weights`, and of a backup without a valid checksum, runs
   first in a forked child process with a time limit (`PARSE_TIME_LIMIT` seconds). A child that
   does not finish is killed, one that crashes (a segfault inside libhdf5) is reported, and
   either way the load fails with FileFormatError; only bytes the child parsed cleanly are parsed
   again in this process (libhdf5 does the same work on the same bytes). Where forking is not
   available or not safe (Windows; macOS, whose system libraries may crash a forked child) the
   parse runs in this process, unbounded.
"""

import contextlib
import hashlib
import math
import os
import select
import signal
import sys
import time
import warnings

from neuronio.errors import FileFormatError

USERBLOCK_SIZE = 512
_MAGIC = b"NEURONIO-SHA256\n"


# Seconds a child may spend parsing one file. A 500 MB model parses in about a second; this is
# what a loaded machine may need, and what a hostile file can cost at most.
def _time_limit_from_environment() -> float:
    text = os.environ.get("NEURONIO_HDF5_TIME_LIMIT", "60")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < math.inf:
        raise ValueError(
            f"NEURONIO_HDF5_TIME_LIMIT must be a positive number of seconds; received {text!r}. "
            f"Unset it for the default (60)."
        )
    return value


PARSE_TIME_LIMIT = _time_limit_from_environment()
FORK_AVAILABLE = hasattr(os, "fork") and sys.platform != "darwin"
# Bytes the child may allocate beyond the parse's own needs (which the caller adds).
MEMORY_BASE = 1 << 30


# -- checksums --------------------------------------------------------------------------------------
def seal(image: bytes) -> bytes:
    """An HDF5 image written with `userblock_size=USERBLOCK_SIZE`, with the checksum in its block."""
    body = memoryview(image)[USERBLOCK_SIZE:]
    header = _MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + str(len(body)).encode() + b"\n"
    return header.ljust(USERBLOCK_SIZE, b"\0") + bytes(body)


def verify(data: bytes, who: str, strict: bool = True) -> bool:
    """True if `data` carries neuronio's checksum and it matches; False if it carries none (a
    file neuronio did not write, or wrote before checksums). If it does not match:
    FileFormatError when `strict`, else a warning and False (the file is then parsed as a foreign
    one: a user may have edited it with h5py, which Keras allows)."""
    if not data.startswith(_MAGIC):
        return False
    fields = bytes(data[len(_MAGIC) : USERBLOCK_SIZE]).split(b"\n")
    try:
        digest, length = fields[0].decode("ascii"), int(fields[1])
    except (IndexError, ValueError, UnicodeDecodeError):
        raise FileFormatError(f"{who}: the checksum block at the start of the file is damaged.") from None
    body = memoryview(data)[USERBLOCK_SIZE:]
    if len(body) != length:
        detail = f"written with {length + USERBLOCK_SIZE} bytes, it holds {len(body) + USERBLOCK_SIZE}"
    elif hashlib.sha256(body).hexdigest() != digest:
        detail = "its bytes changed"
    else:
        return True
    fault = f"the file does not match the SHA-256 checksum neuronio wrote with it ({detail})"
    if strict:
        raise FileFormatError(f"{who}: {fault}: it is damaged.")
    warnings.warn(
        f"{who}: {fault}: it was damaged, or edited (e.g. with h5py), since neuronio wrote it. "
        f"Loading it with every check a foreign file gets.",
        stacklevel=5,
    )
    return False


# -- bounded parsing --------------------------------------------------------------------------------
def run_bounded(parse, who: str, time_limit: float | None = None, memory: int = 0) -> None:
    """Run `parse()` (which reads HDF5 bytes and raises FileFormatError on bad content) in a
    forked child first; raise FileFormatError if it fails there, hangs, or crashes.

    The child may also grow its address space by at most MEMORY_BASE + `memory` bytes (Linux),
    so that libhdf5's own allocations, which tracemalloc cannot see, are bounded too.

    Any other exception in the child (a bug, not the file's fault) is not reported here: the
    caller's own `parse()` in this process raises it with its real traceback.
    """
    if not FORK_AVAILABLE:
        return
    limit = PARSE_TIME_LIMIT if time_limit is None else time_limit
    read_end, write_end = os.pipe()
    try:
        with _h5py_lock():  # no other thread is inside h5py while the child is forked
            pid = os.fork()
    except OSError as exc:  # no memory or process slot for a child: parse here, unbounded
        os.close(read_end)
        os.close(write_end)
        warnings.warn(f"{who}: cannot start a process to parse the file in ({exc}); parsing it here.", stacklevel=4)
        return
    if pid == 0:  # the child: parse, report, and leave without running any cleanup of the parent's
        os.close(read_end)
        code = 0
        warnings.simplefilter("ignore")  # the parse in this process warns again, once
        _limit_address_space(MEMORY_BASE + memory)
        try:
            parse()
            message = b"ok"
        except FileFormatError as exc:
            message = b"format:" + str(exc).encode("utf-8", "replace")
        except BaseException:  # noqa: BLE001 - reported as "not the file's verdict"
            message = b"other"
        try:
            os.write(write_end, message[:65536])
        except OSError:
            code = 1
        os._exit(code)
    os.close(write_end)
    try:
        message, finished = _read_until(read_end, time.monotonic() + limit)
    finally:
        os.close(read_end)
    if not finished:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # SIGCHLD ignored by the application: the child was reaped already
        status = None
    if not finished:
        raise FileFormatError(
            f"{who}: parsing its HDF5 data did not finish within {limit:g} s; refused as damaged or "
            f"hostile (libhdf5 loops forever on some damaged files). If the file is good and only very "
            f"large, raise neuronio.saving.guard.PARSE_TIME_LIMIT (or NEURONIO_HDF5_TIME_LIMIT)."
        )
    if message.startswith(b"format:"):
        raise FileFormatError(message[len(b"format:") :].decode("utf-8", "replace"))
    if message not in (b"ok", b"other"):  # the child ended without a word: it crashed
        how = f"signal {os.WTERMSIG(status)}" if status is not None and os.WIFSIGNALED(status) else "no report"
        raise FileFormatError(
            f"{who}: parsing its HDF5 data crashed the HDF5 library ({how}); the file is damaged or hostile."
        )


def _read_until(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything the child writes, and whether it closed the pipe (finished) before the deadline."""
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), False
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def _limit_address_space(extra: int) -> None:
    """RLIMIT_AS = what the process maps now + `extra`; nothing where that cannot be known."""
    try:
        import resource

        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = mapped + extra
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


def _h5py_lock():
    try:
        from h5py._objects import phil
    except ImportError:  # a future h5py without its global lock
        return contextlib.nullcontext()
    return phil
