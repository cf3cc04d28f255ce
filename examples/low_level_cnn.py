"""Deck 001's "coding in TensorFlow" slides, written with neuronio's eager ops.

The slides build a digit classifier from TensorFlow 1 pieces:

    x = tf.reshape(x, shape=[-1, 28, 28, 1])
    conv1 = tf.layers.conv2d(x, 32, 5, activation=tf.nn.relu)
    conv1 = tf.layers.max_pooling2d(conv1, 2, 2)
    conv2 = tf.layers.conv2d(conv1, 64, 3, activation=tf.nn.relu)
    conv2 = tf.layers.max_pooling2d(conv2, 2, 2)
    fc1 = tf.layers.dense(fc1, 1024)
    saida = tf.layers.dense(fc1, n_classes)
    loss_op = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(logits=..., labels=...))
    optimizer = tf.train.GradientDescentOptimizer(learning_rate=0.001)

Here the weights are plain Variables, the forward pass is a function of ops, a GradientTape
records it, and gradient descent is `v.assign_sub(lr * g)`: no layer, model or optimizer class.

    python examples/low_level_cnn.py                 # MNIST via neuronio.datasets.mnist
    python examples/low_level_cnn.py --synthetic     # a synthetic stand-in (no download)

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import argparse
import sys

import numpy as np

from neuronio import GradientTape, Variable, initializers, ops

NUM_CLASSES = 10


def init_params(seed: int, num_classes: int = NUM_CLASSES) -> dict[str, Variable]:
    """Glorot-uniform kernels and zero biases, tf.layers' defaults."""
    shapes = {
        "conv1": (5, 5, 1, 32),  # 32 filters of 5x5 over 1 channel
        "conv2": (3, 3, 32, 64),  # 64 filters of 3x3 over 32 channels
        "fc1": (5 * 5 * 64, 1024),  # 28 -conv5-> 24 -pool-> 12 -conv3-> 10 -pool-> 5
        "out": (1024, num_classes),
    }
    params = {}
    for i, (name, shape) in enumerate(shapes.items()):
        kernel = initializers.GlorotUniform(seed=seed + i)(shape, "float32")
        params[f"{name}/kernel"] = Variable(kernel, name=f"{name}/kernel")
        params[f"{name}/bias"] = Variable(np.zeros(shape[-1], np.float32), name=f"{name}/bias")
    return params


def conv_net(params: dict[str, Variable], x):
    """Logits (N, classes) for images x (N, 28, 28, 1)."""
    x = ops.relu(ops.conv2d(x, params["conv1/kernel"]) + params["conv1/bias"])  # (N, 24, 24, 32)
    x = ops.max_pool2d(x, 2, 2)  # (N, 12, 12, 32)
    x = ops.relu(ops.conv2d(x, params["conv2/kernel"]) + params["conv2/bias"])  # (N, 10, 10, 64)
    x = ops.max_pool2d(x, 2, 2)  # (N, 5, 5, 64)
    x = ops.flatten(x)  # (N, 1600)
    # As on the slide, fc1 has no activation (tf.layers.dense defaults to activation=None).
    x = ops.matmul(x, params["fc1/kernel"]) + params["fc1/bias"]  # (N, 1024)
    return ops.matmul(x, params["out/kernel"]) + params["out/bias"]  # (N, classes)


def prepare_images(x: np.ndarray) -> np.ndarray:
    """uint8 pixels (N, 28, 28) or (N, 784) -> float32 in [0, 1] of shape (N, 28, 28, 1)."""
    x = np.asarray(x)
    scale = 1.0 / 255.0 if x.dtype == np.uint8 else 1.0
    return (x.astype(np.float32) * scale).reshape(-1, 28, 28, 1)  # the slide's tf.reshape


def train(x, y, steps: int, batch_size: int, lr: float, seed: int, *, log_every: int = 0, params=None):
    """Plain minibatch gradient descent on the mean sparse softmax cross-entropy.

    Returns the list of the training losses, one per step (of that step's batch). Pass `params`
    (from init_params) to keep the trained weights.
    """
    x = prepare_images(x)
    y = np.asarray(y).astype(np.int64)
    params = init_params(seed) if params is None else params
    variables = list(params.values())
    rng = np.random.default_rng(seed)
    order, position = rng.permutation(len(x)), 0
    history = []
    for step in range(1, steps + 1):
        if position + batch_size > len(x):  # a new epoch: reshuffle
            order, position = rng.permutation(len(x)), 0
        batch = order[position : position + batch_size]
        position += batch_size
        with GradientTape() as tape:
            logits = conv_net(params, x[batch])
            loss = ops.mean(ops.sparse_softmax_cross_entropy_with_logits(labels=y[batch], logits=logits))
        grads = tape.gradient(loss, variables)
        for variable, grad in zip(variables, grads, strict=True):
            variable.assign_sub(lr * grad.numpy())
        history.append(float(loss.numpy()))
        if log_every and (step % log_every == 0 or step == 1):
            print(f"step {step:5d}  loss {history[-1]:.4f}")
    return history


def accuracy(params, x, y, batch_size: int = 500) -> float:
    """Fraction of images whose largest logit is the label (the slide's tf.argmax(logits, 1))."""
    x, y = prepare_images(x), np.asarray(y)
    hits = 0
    for start in range(0, len(x), batch_size):
        logits = conv_net(params, x[start : start + batch_size]).numpy()
        hits += int((logits.argmax(axis=1) == y[start : start + batch_size]).sum())
    return hits / len(x)


def synthetic_digits(n: int, seed: int = 0, noise: float = 0.3):
    """A SYNTHETIC stand-in for MNIST, for runs without the data: NOT handwritten digits.

    Each of the 10 classes is a fixed random blocky 28x28 pattern (a 7x7 binary grid scaled up
    by 4, the same for every seed); an image is its class's pattern plus Gaussian noise, as uint8
    like MNIST. The seed chooses the labels and the noise.
    """
    grids = np.random.default_rng(2024).random((NUM_CLASSES, 7, 7)) < 0.35  # the same for every seed
    templates = np.kron(grids, np.ones((4, 4))).astype(np.float32)  # (10, 28, 28)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, NUM_CLASSES, n)
    x = templates[y] + rng.normal(0.0, noise, (n, 28, 28))
    return (np.clip(x, 0.0, 1.0) * 255).astype(np.uint8), y.astype(np.uint8)


def load(synthetic: bool, seed: int):
    if synthetic:
        print("Using a SYNTHETIC dataset (class templates plus noise), not MNIST.")
        return synthetic_digits(6000, seed), synthetic_digits(1000, seed + 1)
    try:
        from neuronio.datasets import mnist
    except ImportError:
        sys.exit("neuronio.datasets.mnist is not available; pass --synthetic to run on synthetic data.")
    return mnist.load_data()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.01, help="gradient-descent step (the slide uses 0.001)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--synthetic", action="store_true", help="train on synthetic data instead of MNIST")
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = load(args.synthetic, args.seed)
    params = init_params(args.seed)
    train(x_train, y_train, args.steps, args.batch_size, args.lr, args.seed, log_every=args.log_every, params=params)
    print(f"test accuracy: {accuracy(params, x_test[:2000], y_test[:2000]):.4f}")


if __name__ == "__main__":
    main()
