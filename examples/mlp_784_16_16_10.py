"""The 784-16-16-10 MLP of deck 002 ("Deep Learning: Session 4", section 5 "DNNs", slide
"Complete Network"), written the way the deck writes its Keras models, with `tf.keras` replaced
by `neuronio`.

The slide counts its parameters by hand:

    Weights: 784 * 16 + 16 * 16 + 16 * 10 = 12,960
    Bias:    16 + 16 + 10                 =     42
    Trainable Params:                       13,002

and this program checks that `model.summary()` and `model.count_params()` say the same, then
trains the network on MNIST ("Training consist of finding the value for each trainable
parameters that minimize the cost function on the training dataset"). The deck's neurons use a
sigmoid ("Activation function (sigmoid, etc.)"); the output is a softmax over the 10 digits.

    python examples/mlp_784_16_16_10.py
    python examples/mlp_784_16_16_10.py --samples 2048 --epochs 2
    python examples/mlp_784_16_16_10.py --synthetic       # random images, when MNIST cannot be had

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import sys

from _common import load_mnist, parse_args

import neuronio as keras
from neuronio import layers

SLIDE_WEIGHTS = 784 * 16 + 16 * 16 + 16 * 10
SLIDE_BIASES = 16 + 16 + 10
SLIDE_TOTAL = 13002


def build_model():
    """784 pixels -> 16 -> 16 -> 10 digits."""
    return keras.models.Sequential(
        [
            layers.Input(shape=(784,), name="pixels"),
            layers.Dense(units=16, activation="sigmoid", name="hidden_1"),
            layers.Dense(units=16, activation="sigmoid", name="hidden_2"),
            layers.Dense(units=10, activation="softmax", name="digits"),
        ]
    )


def main(argv=None):
    args = parse_args(__doc__, argv, 10, 32, batch_note=" (Keras's default, 32)")
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)

    model = build_model()
    model.summary()
    total = model.count_params()
    print(f"Weights: 784 * 16 + 16 * 16 + 16 * 10 = {SLIDE_WEIGHTS:,}")
    print(f"Bias:    16 + 16 + 10 = {SLIDE_BIASES}")
    print(f"Trainable params: {total:,} (the slide: {SLIDE_TOTAL:,})")
    if total != SLIDE_WEIGHTS + SLIDE_BIASES or total != SLIDE_TOTAL:
        raise SystemExit(f"parameter count {total} differs from the slide's {SLIDE_TOTAL}")

    (x_train, y_train), (x_test, y_test) = load_mnist(args.synthetic)
    if args.samples:
        x_train, y_train = x_train[: args.samples], y_train[: args.samples]
        x_test, y_test = x_test[: args.samples], y_test[: args.samples]
    # Every pixel is an input: 28x28 -> 784 numbers in [0, 1].
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255

    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=1, validation_data=(x_test, y_test)
    )
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return {"model": model, "history": history, "score": score}


if __name__ == "__main__":
    main(sys.argv[1:])
