"""Datasets with Keras's `load_data()`: `mnist`, `fashion_mnist`, `cifar10`, `cifar100`, `imdb`,
`reuters`, `boston_housing`, `california_housing`.

    (x_train, y_train), (x_test, y_test) = neuronio.datasets.mnist.load_data()

Each loader tries its sources in order (cache, local copies, network), checks every file's
SHA-256 before use, caches under `$NEURONIO_HOME/datasets` (default `~/.neuronio/datasets`),
and raises `neuronio.errors.DatasetError` naming every source it tried when none works.
"""

from neuronio.datasets import boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist, reuters

__all__ = [
    "boston_housing",
    "california_housing",
    "cifar10",
    "cifar100",
    "fashion_mnist",
    "imdb",
    "mnist",
    "reuters",
]
