"""Train the small MNIST CNN that the lab's tests open: tests/lab/fixtures/small_cnn.keras.

    python scripts/make_lab_fixture.py            # about two minutes on 2 cores

The network is the seed CNN's shape scaled down (Conv 8 5x5 -> pool -> Conv 16 5x5 -> pool ->
Dense 32 -> softmax, 11,978 parameters), trained on the first 30,000 real MNIST training images
for 2 epochs, so that the browser test can draw a digit and expect the right answer while the
file stays small (about 180 KB with its Adam state; 96.1% test accuracy). Rerun it only when the file format changes.
"""

import argparse
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_OUT = ROOT / "tests" / "lab" / "fixtures" / "small_cnn.keras"


def small_cnn():
    from neuronio import layers
    from neuronio.models import Sequential

    return Sequential(
        [
            layers.Input(shape=(28, 28, 1)),
            layers.Conv2D(8, (5, 5), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Conv2D(16, (5, 5), activation="relu"),
            layers.MaxPooling2D((2, 2)),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ],
        name="small_cnn",
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help=f"where to save (default {DEFAULT_OUT})")
    parser.add_argument("--samples", type=int, default=30000, help="training images (default 30000)")
    parser.add_argument("--epochs", type=int, default=2, help="passes over them (default 2)")
    args = parser.parse_args(argv)

    from neuronio.datasets import mnist
    from neuronio.utils import set_random_seed

    set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x_train = x_train[: args.samples, ..., None].astype(np.float32) / 255.0  # (N, 28, 28, 1)
    x_test = x_test[..., None].astype(np.float32) / 255.0
    model = small_cnn()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train[: args.samples], batch_size=64, epochs=args.epochs, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    print(f"Test loss {loss:.4f}, test accuracy {accuracy:.4f} on the 10,000 MNIST test images")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    print(f"Saved {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
