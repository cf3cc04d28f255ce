"""California house prices (Pace and Barry, 1997): 20,640 block groups of the 1990 census, 8
features each, the median house value in $ as the target. Keras's `california_housing.npz`,
SHA-256 as Keras publishes it."""

from neuronio.datasets import _housing

FILENAME = "california_housing.npz"
SHA256 = "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"
N_FEATURES = 8
SMALL = 600  # the "small" version: the first 600 samples, for quick experiments


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """Loads the California Housing dataset, split as Keras splits it.

    Args:
        version: "large" (all 20,640 samples) or "small" (the first 600).
        path: where to cache the file, relative to `$NEURONIO_HOME/datasets`.
        test_split: the fraction of samples kept for the test set, in [0, 1).
        seed: the seed of the shuffle before splitting (np.random.RandomState).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x of shape (N, 8), y of shape (N,).

    Raises:
        DatasetError: when the verified file can be neither found nor downloaded.
    """
    if version not in ("small", "large"):
        raise ValueError(f"Argument `version` must be one of 'small', 'large'. Received: version={version}")
    _housing.check_test_split(test_split)
    x, y = _housing.load_xy("California Housing", path, FILENAME, SHA256, N_FEATURES)
    if version == "small":
        x, y = x[:SMALL], y[:SMALL]
    return _housing.shuffled_split(x, y, test_split, seed)
