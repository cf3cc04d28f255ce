"""`utils.get_file`: fetch a file once into a cache folder, check its hash, unpack an archive.

The cache is `cache_dir/cache_subdir`, with `cache_dir` defaulting to `$NEURONIO_HOME` (~/.neuronio)
where Keras uses `$KERAS_HOME` (~/.keras). A download lands under a temporary name and is renamed
into place only once complete and, given a hash, verified. Archives are unpacked only when every
member stays inside the extraction folder: an absolute name, a `..` step, a link or a device
file is refused, not skipped.
"""

import hashlib
import os
import pathlib
import shutil
import tarfile
import urllib.parse
import warnings
import zipfile

from neuronio import config
from neuronio.callbacks.callback import _print_msg

ARCHIVE_FORMATS = ("tar", "zip")
_CHUNK = 1 << 16


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Download `origin` into the cache unless it is already there, and return its local path.

    Args:
        fname: the file's name in the cache; by default the last part of `origin`'s path. A name
            with a folder in it is refused (give the folder as `cache_dir`).
        origin: the URL (http, https, ftp or file).
        untar: Keras 2's spelling of `extract=True, archive_format="tar"`.
        md5_hash: Keras 2's spelling of `file_hash=..., hash_algorithm="md5"`.
        file_hash: the expected hex digest: a cached file that does not match is fetched again,
            a download that does not match is deleted and refused with a ValueError.
        cache_subdir: folder under `cache_dir` (an absolute path is used as it is).
        hash_algorithm: "sha256", "md5", or "auto" (sha256 for a 64-digit hash, else md5).
        extract: unpack the archive and return the folder it was unpacked into.
        archive_format: "auto" (tar, then zip), "tar", "zip", a list of those, or None (no unpacking).
        cache_dir: the cache's root; default `$NEURONIO_HOME`.
        force_download: fetch even when the cached file is there.

    Returns:
        The downloaded file's path, or with `extract` the extraction folder's (as Keras 3: for
        `fname="data.tar.gz"` the folder `data_extracted` beside the archive).
    """
    who = "get_file"
    if origin is None:
        raise ValueError(f'{who}: please specify the "origin" argument (the URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    root = pathlib.Path(os.path.expanduser(str(cache_dir))) if cache_dir is not None else config.neuronio_home()
    folder = root / cache_subdir
    folder.mkdir(parents=True, exist_ok=True)
    given = os.fspath(fname) if fname is not None else None
    if given:
        if os.sep in given or (os.altsep and os.altsep in given):
            raise ValueError(
                "Paths are no longer accepted as the `fname` argument. To specify the file's parent directory, "
                f"use the `cache_dir` argument. Received: fname={given}"
            )
        name = given
    else:
        name = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not name:
            raise ValueError(
                f"Can't parse the file name from the origin provided: '{origin}'. Please specify the `fname` argument."
            )
    unpack = extract or untar
    if unpack and given and "." in name:
        target, extract_to = folder / name, folder / f"{name[: name.find('.')]}_extracted"
    elif unpack:
        target, extract_to = folder / f"{name}_archive", folder / name
    else:
        target, extract_to = folder / name, None

    fetch = force_download or not target.exists()
    if not fetch and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        _print_msg(
            f"A local file was found, but it seems to be incomplete or outdated because the "
            f"{_algorithm(hash_algorithm, file_hash)} file hash does not match the original value of {file_hash} "
            "so we will re-download the data."
        )
        fetch = True
    if fetch:
        _download(origin, target, file_hash, hash_algorithm)
    if not unpack:
        return str(target)
    if fetch or not extract_to.exists():
        if not extract_archive(target, extract_to, "tar" if untar else archive_format):
            warnings.warn(f"{who}: could not extract {target} as {archive_format!r}.", stacklevel=2)
    return str(extract_to)


def _download(origin, target: pathlib.Path, file_hash, hash_algorithm) -> None:
    import urllib.error  # ~20 ms with urllib.request: only a download needs them
    import urllib.request

    _print_msg(f"Downloading data from {origin}")
    temp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        try:
            with urllib.request.urlopen(origin, timeout=60) as response, open(temp, "wb") as out:
                shutil.copyfileobj(response, out, _CHUNK)
        except urllib.error.HTTPError as exc:
            raise Exception(f"URL fetch failure on {origin}: {exc.code} -- {exc.msg}") from exc
        except urllib.error.URLError as exc:
            raise Exception(f"URL fetch failure on {origin}: {exc.errno} -- {exc.reason}") from exc
        if file_hash is not None and not validate_file(temp, file_hash, hash_algorithm):
            raise ValueError(
                f"Incomplete or corrupted file detected. The {_algorithm(hash_algorithm, file_hash)} file hash does "
                f"not match the provided value of {file_hash}."
            )
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()


def _algorithm(hash_algorithm: str, file_hash: str) -> str:
    if hash_algorithm in ("sha256", "md5"):
        return hash_algorithm
    if hash_algorithm == "auto":
        return "sha256" if len(file_hash) == 64 else "md5"
    raise ValueError(f"hash_algorithm must be 'sha256', 'md5' or 'auto'; received {hash_algorithm!r}.")


def hash_file(fpath, algorithm="sha256", chunk_size=65535) -> str:
    """Hex digest of a file's bytes ("sha256", "md5", or "auto" meaning sha256)."""
    digest = hashlib.md5() if algorithm == "md5" else hashlib.sha256()
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535) -> bool:
    """Whether the file's digest is `file_hash` (case-insensitive)."""
    return hash_file(fpath, _algorithm(algorithm, str(file_hash)), chunk_size) == str(file_hash).lower()


def extract_archive(file_path, path=".", archive_format="auto") -> bool:
    """Unpack a tar (any compression) or zip archive into `path`; True if one of the formats read it.

    Members that would land outside `path` (absolute names, `..`, links, devices) make it raise
    ValueError before anything is written; a half-written folder is removed.
    """
    if archive_format is None:
        return False
    formats = list(ARCHIVE_FORMATS) if archive_format == "auto" else [archive_format]
    formats = [f for group in formats for f in ([group] if isinstance(group, str) else group)]
    unknown = [f for f in formats if f not in ARCHIVE_FORMATS]
    if unknown:
        raise ValueError(f"archive_format must be 'auto', 'tar', 'zip', a list of them or None; received {unknown}.")
    file_path, path = pathlib.Path(file_path), pathlib.Path(path)
    for fmt in formats:
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                members = archive.getmembers()
                _check_names(file_path, path, [m.name for m in members])
                bad = [m.name for m in members if not (m.isreg() or m.isdir())]
                if bad:
                    raise ValueError(f"{file_path}: refusing to extract links or special files: {bad[:5]}")
                _into(path, lambda: archive.extractall(path, members=members, filter="data"))
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                _check_names(file_path, path, archive.namelist())
                _into(path, lambda: archive.extractall(path))
            return True
    return False


def _check_names(archive, path: pathlib.Path, names) -> None:
    root = path.resolve()
    for name in names:
        destination = (root / name).resolve()
        if pathlib.PurePath(name).is_absolute() or not destination.is_relative_to(root):
            raise ValueError(
                f"{archive}: member {name!r} would be written outside {path}; the archive is refused (path traversal)."
            )


def _into(path: pathlib.Path, unpack) -> None:
    existed = path.exists()
    try:
        unpack()
    except BaseException:
        if not existed:
            shutil.rmtree(path, ignore_errors=True)
        raise
