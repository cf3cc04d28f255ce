"""The image datasets the front ends offer, and how a network is fed them: named once here.

`neuronio train`, `neuronio report`, the lab and the reader all train on or test with the same
three datasets, each prepared the same way: pixels scaled from uint8 0..255 to float32 0..1, and
MNIST's (N, 28, 28) given its channel axis, (N, 28, 28, 1), or flattened for an MLP.

    (x_train, y_train), (x_test, y_test) = prepared.load("mnist", samples=6000)   # int labels
"""

import numpy as np

from neuronio.datasets import cifar10, fashion_mnist, mnist

# name -> module with Keras's load_data(); looked up at call time, so a test may stub load_data.
_MODULES = {"mnist": mnist, "fashion_mnist": fashion_mnist, "cifar10": cifar10}
IMAGE_DATASETS = tuple(_MODULES)  # ("mnist", "fashion_mnist", "cifar10")


def scale(x: np.ndarray) -> np.ndarray:
    """uint8 pixels 0..255 -> float32 0..1, as the decks divide by 255."""
    return np.asarray(x).astype(np.float32) / 255.0


def shape_for(x: np.ndarray, flat: bool | str = False) -> np.ndarray:
    """(N, H, W) -> (N, H, W, 1); (N, H, W, C) as is; flat: (N, H * W * C) for an MLP; flat="rows":
    (N, H, W * C), each image a sequence of H rows for a recurrent model."""
    if flat == "rows":
        return x.reshape(len(x), x.shape[1], -1)  # (N, 28, 28): 28 steps of 28 pixels
    if flat:
        return x.reshape(len(x), -1)
    return x if x.ndim == 4 else x[..., None]


def load_raw(name: str):
    """(x_train, y_train), (x_test, y_test) of an image dataset as its load_data() gives them
    (uint8 images); the name is checked against IMAGE_DATASETS."""
    if name not in _MODULES:
        raise ValueError(f"Unknown image dataset {name!r}; expected one of {', '.join(IMAGE_DATASETS)}.")
    return _MODULES[name].load_data()


def load(name: str, flat: bool | str = False, samples: int | None = None):
    """(x_train, y_train), (x_test, y_test): the first `samples` training images (all by default),
    scaled to [0, 1] and shaped by `shape_for`; labels as integer class ids, shape (N,)."""
    (x_train, y_train), (x_test, y_test) = load_raw(name)
    if samples is not None:
        x_train, y_train = x_train[:samples], y_train[:samples]
    return (
        (shape_for(scale(x_train), flat), np.asarray(y_train).reshape(-1)),
        (shape_for(scale(x_test), flat), np.asarray(y_test).reshape(-1)),
    )
