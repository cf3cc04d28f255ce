"""What the example programs share around the decks' code: their command-line options and the
data loading with an explicit, never silent, synthetic fallback."""

import argparse

import numpy as np

from neuronio.datasets import cifar10, mnist
from neuronio.errors import DatasetError


def parse_args(
    doc: str, argv, epochs: int, batch_size: int, epochs_note: str = "", batch_note: str = "", data_name: str = "MNIST"
):
    """--epochs, --batch-size, --samples, --synthetic and --seed, with the program's defaults."""
    parser = argparse.ArgumentParser(description=" ".join(doc.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=epochs, help=f"training epochs{epochs_note}")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"batch size{batch_note}")
    parser.add_argument("--samples", type=int, default=None, help="use only the first N training and test images")
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help=f"random images of {data_name}'s shape instead of {data_name} (nothing learnable)",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed everything random, for a repeatable run")
    return parser.parse_args(argv)


def _random_images(shape: tuple, n_train: int, n_test: int, label_shape: tuple = ()):
    rng = np.random.default_rng(0)
    return (
        (
            rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
            rng.integers(0, 10, (n_train, *label_shape), dtype=np.uint8),
        ),
        (
            rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
            rng.integers(0, 10, (n_test, *label_shape), dtype=np.uint8),
        ),
    )


def load_mnist(synthetic: bool):
    """MNIST as `mnist.load_data()` gives it, or, only when asked, random images of its shape."""
    if synthetic:
        print("SYNTHETIC DATA: random 28x28 images with random labels, not MNIST; accuracy means nothing.")
        return _random_images((28, 28), 60000, 10000)
    try:
        return mnist.load_data()
    except DatasetError as error:
        raise SystemExit(
            f"{error}\n\nMNIST is not available. Run with --synthetic to use random images instead."
        ) from error


def load_cifar10(synthetic: bool, samples: int | None):
    """CIFAR-10 as `cifar10.load_data()` gives it; random images of its shape only when asked."""
    if synthetic:
        print("SYNTHETIC DATA: random 32x32x3 images with random labels, not CIFAR-10; accuracy means nothing.")
        return _random_images((32, 32, 3), min(samples or 50000, 50000), min(samples or 10000, 10000), (1,))
    try:
        return cifar10.load_data()
    except DatasetError as error:
        raise SystemExit(
            f"{error}\n\nCIFAR-10 is not available on this machine, so this program cannot train on it. "
            f"Place the archive as described above, or run with --synthetic to check the program on random "
            f"images of CIFAR-10's shape (it will learn nothing from them)."
        ) from error
