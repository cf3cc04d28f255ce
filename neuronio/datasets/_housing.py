"""The two house-price regression sets Keras ships as `x`/`y` npz files (boston_housing,
california_housing): one fetch-verify-read path, and Keras's shuffle and split."""

import numpy as np

from neuronio.datasets import _fetch
from neuronio.datasets._npz import read_npz
from neuronio.errors import FileFormatError

KERAS_BASE = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
_MAX_NPZ_BYTES = 8 << 20  # California's 20,640 x 9 float64 values are 1.5 MB; Boston's 53 kB


def check_test_split(test_split) -> None:
    if not 0 <= test_split < 1:
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 (exclusive of 1).")


def load_xy(what: str, path: str, filename: str, sha256: str, n_features: int):
    """The verified (x, y) arrays of `filename`, cached as `$NEURONIO_HOME/datasets/<path>`."""
    target = _fetch.datasets_dir() / path
    url = KERAS_BASE + filename

    def load(file):
        _fetch.check_sha256(_fetch.sha256_file(file), sha256, file)
        arrays = read_npz(file, ["x", "y"], _MAX_NPZ_BYTES, what=f"a {what} npz")
        x, y = arrays["x"], arrays["y"]
        if x.ndim != 2 or x.shape[1] != n_features or y.shape != (len(x),) or "f" not in (x.dtype.kind + y.dtype.kind):
            raise FileFormatError(
                f"{file}: expected x of shape (N, {n_features}) and y of shape (N,); found {x.shape} and {y.shape}."
            )
        return x, y

    return _fetch.first_available(
        what,
        [
            (f"cache {target}", lambda: load(target)),
            (url, lambda: _fetch.download(url, target, load, max_bytes=_MAX_NPZ_BYTES)),
        ],
        manual=f"To place it by hand, copy Keras's {filename} ({url}, SHA-256 {sha256}) to {target}.",
    )


def shuffled_split(x, y, test_split: float, seed):
    """Keras's order: one RandomState(seed) permutation, then the first int(n * (1 - test_split))
    samples for training."""
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (x[:cut].copy(), y[:cut].copy()), (x[cut:].copy(), y[cut:].copy())
