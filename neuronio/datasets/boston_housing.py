"""Boston house prices (Harrison and Rubinfeld, 1978): 506 suburbs, 13 features each, the median
home value in k$ as the target. Keras's `boston_housing.npz`, SHA-256 as Keras publishes it."""

from neuronio.datasets import _housing

FILENAME = "boston_housing.npz"
SHA256 = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"
N_FEATURES = 13


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston Housing dataset, split as Keras splits it.

    Args:
        path: where to cache the file, relative to `$NEURONIO_HOME/datasets`.
        test_split: the fraction of samples kept for the test set, in [0, 1).
        seed: the seed of the shuffle before splitting (np.random.RandomState).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: x of shape (N, 13), y of shape (N,).

    Raises:
        DatasetError: when the verified file can be neither found nor downloaded.
    """
    _housing.check_test_split(test_split)
    x, y = _housing.load_xy("Boston Housing", path, FILENAME, SHA256, N_FEATURES)
    return _housing.shuffled_split(x, y, test_split, seed)
