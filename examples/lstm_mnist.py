"""MNIST read row by row by an LSTM: each image is a sequence of 28 steps of 28 pixels, an
LSTM(128) reads it top to bottom, and a Dense softmax layer names the digit from the last state
(the classic "sequential MNIST" of Keras's and PyTorch's RNN tutorials).

    python examples/lstm_mnist.py                             # the full run: 10 epochs (target >= 98.5% test accuracy)
    python examples/lstm_mnist.py --samples 2048 --epochs 1   # a quick look
    python examples/lstm_mnist.py --synthetic                 # random images, when MNIST cannot be had

The same model trains with `python -m neuronio train --model lstm-mnist`.
(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import sys

from _common import load_mnist, parse_args

import neuronio as keras
from neuronio.layers import LSTM, Dense, Input
from neuronio.models import Sequential


def main(argv=None):
    args = parse_args(__doc__, argv, 10, 128)
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)

    (x_train, y_train), (x_test, y_test) = load_mnist(args.synthetic)
    if args.samples:
        x_train, y_train = x_train[: args.samples], y_train[: args.samples]
        x_test, y_test = x_test[: args.samples], y_test[: args.samples]
    # (N, 28, 28) uint8 -> float32 in [0, 1]: 28 timesteps (rows) of 28 features (pixels).
    x_train = x_train.astype("float32") / 255
    x_test = x_test.astype("float32") / 255
    y_train = keras.utils.to_categorical(y_train, 10)
    y_test = keras.utils.to_categorical(y_test, 10)

    model = Sequential([Input(shape=(28, 28)), LSTM(128), Dense(10, activation="softmax")])
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, verbose=1, validation_data=(x_test, y_test)
    )
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return {"model": model, "history": history, "score": score}


if __name__ == "__main__":
    main(sys.argv[1:])
