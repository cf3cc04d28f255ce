"""XOR as a multilayer perceptron, from deck 003 ("Curso prático de deep learning com Python e
Keras", slides "XOR Perceptron" and "Quiz - Construir um XOR MultiLayer Perceptron").

    IN  IN  OUT
     1   1   0
     1   0   1
     0   1   1
     0   0   0

No single perceptron separates these four points: one line cannot put (1, 0) and (0, 1) on one
side and (0, 0) and (1, 1) on the other. The quiz builds XOR from three perceptrons, each a
logic gate with the step activation (1 if x >= 0 else 0):

    XOR(a, b) = AND(NOT(AND(a, b)), OR(a, b))

Part 1 wires those gates by hand in a neuronio Sequential model (weights set, not learned).
Part 2 lets a small MLP (2 -> 8 tanh -> 1 sigmoid, binary cross-entropy, SGD) learn the same
table from the four examples, which is what the deck's "Combinando Regiões" slides picture.

    python examples/xor_mlp.py
    python examples/xor_mlp.py --epochs 100 --seed 1

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import argparse
import sys

import numpy as np

import neuronio as keras
from neuronio import layers
from neuronio.optimizers import SGD

# The deck's truth table, in its row order.
X = np.array([[1, 1], [1, 0], [0, 1], [0, 0]], dtype="float32")
Y = np.array([[0], [1], [1], [0]], dtype="float32")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=300, help="training epochs (one step each: 4 points, batch 4)")
    parser.add_argument("--learning-rate", type=float, default=0.5, help="SGD learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed the initial weights (default 0)")
    return parser.parse_args(argv)


def xor_by_hand():
    """The quiz's answer as a two-layer perceptron network with step activations.

    Layer 1 computes NAND = NOT(AND(a, b)) = step(-a - b + 1.5) and OR = step(a + b - 0.5);
    layer 2 computes AND(NAND, OR) = step(nand + or - 1.5).
    """
    model = keras.models.Sequential(
        [
            layers.Input(shape=(2,), name="in"),
            layers.Dense(2, activation="binary_step", name="nand_and_or"),
            layers.Dense(1, activation="binary_step", name="and"),
        ]
    )
    model.get_layer("nand_and_or").set_weights(
        [np.array([[-1.0, 1.0], [-1.0, 1.0]], dtype="float32"), np.array([1.5, -0.5], dtype="float32")]
    )
    model.get_layer("and").set_weights([np.array([[1.0], [1.0]], dtype="float32"), np.array([-1.5], dtype="float32")])
    return model


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    # --- Part 1: the quiz, perceptrons wired by hand --------------------------------------------
    gates = xor_by_hand()
    by_hand = gates.predict(X, verbose=0)
    print("Part 1: XOR = AND(NOT(AND(a, b)), OR(a, b)) with step perceptrons")
    print("  IN  IN  OUT")
    for (a, b), out in zip(X.astype(int), by_hand[:, 0].astype(int), strict=True):
        print(f"   {a}   {b}   {out}")

    # --- Part 2: an MLP learns the table --------------------------------------------------------
    model = keras.models.Sequential(
        [
            layers.Input(shape=(2,)),
            layers.Dense(8, activation="tanh"),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(loss="binary_crossentropy", optimizer=SGD(learning_rate=args.learning_rate), metrics=["accuracy"])
    history = model.fit(X, Y, epochs=args.epochs, batch_size=4, verbose=0)
    probabilities = model.predict(X, verbose=0)
    loss, accuracy = model.evaluate(X, Y, verbose=0)
    print(f"Part 2: MLP 2-8-1 after {args.epochs} epochs: loss {loss:.4f}, accuracy {accuracy:.2f}")
    print("  IN  IN  P(OUT=1)  OUT")
    for (a, b), p in zip(X.astype(int), probabilities[:, 0], strict=True):
        print(f"   {a}   {b}   {p:.3f}     {int(p > 0.5)}")
    return {
        "by_hand": by_hand,
        "model": model,
        "history": history,
        "probabilities": probabilities,
        "accuracy": accuracy,
    }


if __name__ == "__main__":
    main(sys.argv[1:])
