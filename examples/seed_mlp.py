"""The seed MLP of deck 004 (IFJ PAN, "How to build a Deep Neural Network - Keras tutorial",
slides "Init" to "Tie It All Together"), with only the imports changed from `keras` to `neuronio`.

784 -> Dense 512 relu -> Dropout 0.2 -> Dense 512 relu -> Dropout 0.2 -> Dense 512 relu
-> Dropout 0.2 -> Dense 10 softmax: 932,362 parameters, trained with RMSprop, batch 128, 10 epochs.
(The layer order is the one in the slide's `model.summary()` output; the extracted code block
has its Dropout lines out of order.)

    python examples/seed_mlp.py                          # the deck's full run on MNIST
    python examples/seed_mlp.py --samples 2048 --epochs 1   # a quick look
    python examples/seed_mlp.py --synthetic              # random images, when MNIST cannot be had

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import sys

from _common import load_mnist, parse_args

import neuronio as keras
from neuronio.layers import Dense, Dropout
from neuronio.models import Sequential
from neuronio.optimizers import Adam, RMSprop  # noqa: F401 - the deck imports both and uses RMSprop


def main(argv=None):
    args = parse_args(__doc__, argv, 10, 128, " (deck: 10)", " (deck: 128)")
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    batch_size = args.batch_size
    epochs = args.epochs

    # the data, split between train and test sets
    (x_train, y_train), (x_test, y_test) = load_mnist(args.synthetic)
    if args.samples:
        x_train, y_train = x_train[: args.samples], y_train[: args.samples]
        x_test, y_test = x_test[: args.samples], y_test[: args.samples]

    # reshape dataset
    x_train = x_train.reshape(len(x_train), 784)  # the deck: x_train.reshape(60000, 784)
    x_test = x_test.reshape(len(x_test), 784)
    # convert to float32
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    # normalize to one
    x_train /= 255
    x_test /= 255
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    num_classes = 10
    # convert class vectors to binary class matrices
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Dense(512, activation="relu", input_shape=(784,)))
    model.add(Dropout(0.2))
    model.add(Dense(512, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(512, activation="relu"))
    model.add(Dropout(0.2))
    model.add(Dense(num_classes, activation="softmax"))

    model.summary()

    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])

    history = model.fit(
        x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=1, validation_data=(x_test, y_test)
    )
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return {"model": model, "history": history, "score": score}


if __name__ == "__main__":
    main(sys.argv[1:])
