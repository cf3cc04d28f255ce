"""The perceptron's gradient-descent algorithm of deck 003 ("Curso prático de deep learning com
Python e Keras", slides "Algoritmo Gradiente Descendente" and the exercise
"ex_gradient_descent.ipynb"), implemented twice and checked to agree.

The slides' algorithm, for a prediction y_hat = sigmoid(w . x + b) and the cross-entropy error
E = -[y ln(y_hat) + (1 - y) ln(1 - y_hat)]:

    1. Start with random weights w_1, ..., w_n, b.
    2. For each point (x_1, ..., x_n):
       2.1 for i = 1 ... n:   w_i <- w_i - alpha (y_hat - y) x_i
       2.2                    b   <- b   - alpha (y_hat - y)
    3. Repeat until the error is small.

`train_numpy` writes those updates by hand: (y_hat - y) x_i is dE/dw_i, worked out on paper.
`train_neuronio` writes only the error E with neuronio ops, lets a GradientTape find dE/dw and
dE/db, and applies w <- w - alpha dE/dw. Started from the same weights and shown the points in
the same order, the two end with the same weights (to float32 rounding): the tape computes
exactly the deck's derivative.

Both loop over the points one at a time because that is the algorithm (step 2 updates after each
point); a batch version would average the same gradients over all points.

The data are 100 points in the unit square labelled by the line x_1 + x_2 = 1, without the points
closer than 0.05 to it, so a perceptron can separate them exactly.

    python examples/perceptron_gradient_descent.py
    python examples/perceptron_gradient_descent.py --epochs 20 --samples 50

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import argparse
import sys

import numpy as np

from neuronio import GradientTape, Variable, ops


def parse_args(argv):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=100, help="passes over the points (step 3)")
    parser.add_argument("--samples", type=int, default=100, help="number of points")
    parser.add_argument("--learning-rate", type=float, default=0.1, help="alpha")
    parser.add_argument("--seed", type=int, default=0, help="seed for the points and the initial weights")
    return parser.parse_args(argv)


def separable_points(n: int, seed: int, margin: float = 0.05):
    """n points in [0, 1]^2 with label 1 above the line x_1 + x_2 = 1 and 0 below, none within
    `margin` of the line (so the set is linearly separable). Returns float32 x (n, 2), y (n,)."""
    rng = np.random.default_rng(seed)
    points = np.empty((0, 2), dtype="float32")
    while len(points) < n:
        candidates = rng.random((2 * n, 2), dtype=np.float32)
        distance = (candidates.sum(axis=1) - 1) / np.sqrt(2)  # signed distance to the line
        points = np.concatenate([points, candidates[np.abs(distance) > margin]])
    x = points[:n]
    y = (x.sum(axis=1) > 1).astype("float32")
    return x, y


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def cross_entropy(x, y, w, b) -> float:
    """The deck's E(W, b) = -1/m sum [y ln(y_hat) + (1 - y) ln(1 - y_hat)], over all points."""
    y_hat = sigmoid(x @ w + b)
    return float(-np.mean(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat)))


def train_numpy(x, y, w, b, alpha: float, epochs: int, log_every: int = 0):
    """The slide's algorithm with its hand-derived update. Returns (w, b, errors per epoch)."""
    w, b = w.copy(), np.float32(b)
    errors = []
    for epoch in range(epochs):
        for x_point, y_point in zip(x, y, strict=True):  # step 2: for each point
            y_hat = sigmoid(x_point @ w + b)
            w = w - alpha * (y_hat - y_point) * x_point  # 2.1: every w_i at once
            b = b - alpha * (y_hat - y_point)  # 2.2
        errors.append(cross_entropy(x, y, w, b))
        if log_every and (epoch + 1) % log_every == 0:
            accuracy = np.mean((sigmoid(x @ w + b) > 0.5) == y)
            print(f"  epoch {epoch + 1:4d}  error {errors[-1]:.4f}  accuracy {accuracy:.2f}")
    return w, b, errors


def train_neuronio(x, y, w, b, alpha: float, epochs: int):
    """The same algorithm, with the gradient found by neuronio's GradientTape. Returns (w, b)."""
    w = Variable(w.reshape(-1, 1), name="w")  # (n, 1)
    b = Variable(np.array([b], dtype="float32"), name="b")  # (1,)
    for _ in range(epochs):
        for x_point, y_point in zip(x, y, strict=True):
            with GradientTape() as tape:
                z = ops.matmul(x_point[None, :], w) + b  # (1, 1): w . x + b
                # E for this point; the fused form is the deck's -[y ln s(z) + (1-y) ln(1-s(z))]
                # computed without overflow.
                error = ops.sigmoid_cross_entropy_with_logits(labels=[[y_point]], logits=z)
            dw, db = tape.gradient(error, [w, b])
            w.assign_sub(alpha * dw.numpy())
            b.assign_sub(alpha * db.numpy())
    return w.numpy()[:, 0], b.numpy()[0]


def main(argv=None):
    args = parse_args(argv)
    x, y = separable_points(args.samples, args.seed)
    alpha = np.float32(args.learning_rate)

    # 1. Start with random weights (the same ones for both implementations).
    rng = np.random.default_rng(args.seed + 1)
    w0 = rng.normal(scale=1 / np.sqrt(x.shape[1]), size=x.shape[1]).astype("float32")
    b0 = np.float32(0)

    print(f"{len(x)} points, {int(y.sum())} labelled 1; alpha {args.learning_rate}, {args.epochs} epochs")
    print("NumPy, the deck's update w_i <- w_i - alpha (y_hat - y) x_i:")
    w_np, b_np, errors = train_numpy(x, y, w0, b0, alpha, args.epochs, log_every=max(1, args.epochs // 10))
    w_nn, b_nn = train_neuronio(x, y, w0, b0, alpha, args.epochs)

    accuracy = float(np.mean((sigmoid(x @ w_np + b_np) > 0.5) == y))
    difference = float(max(np.max(np.abs(w_np - w_nn)), abs(b_np - b_nn)))
    print(f"NumPy:    w = {np.array2string(w_np, precision=5)}, b = {b_np:.5f}")
    print(f"neuronio: w = {np.array2string(w_nn, precision=5)}, b = {b_nn:.5f}  (GradientTape)")
    print(f"largest difference between the two: {difference:.2e}")
    print(f"error {errors[0]:.4f} after epoch 1 -> {errors[-1]:.4f} after epoch {len(errors)}; accuracy {accuracy:.2f}")
    return {
        "w_numpy": w_np,
        "b_numpy": b_np,
        "w_neuronio": w_nn,
        "b_neuronio": b_nn,
        "errors": errors,
        "accuracy": accuracy,
        "x": x,
        "y": y,
    }


if __name__ == "__main__":
    main(sys.argv[1:])
