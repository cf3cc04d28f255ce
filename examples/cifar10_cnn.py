"""The CIFAR-10 CNN of deck 001 (UFG, "Aula 5 - Redes Neurais Convolucionais", slides "Keras"
before "Juntando tudo..."), with only the imports changed from `keras` to `neuronio`.

    Conv 32 3x3 same, relu -> Conv 32 3x3, relu -> max-pool 2x2 ->
    Conv 64 3x3 same, relu -> Conv 64 3x3, relu -> max-pool 2x2 ->
    Flatten -> Dense 512, relu -> Dense 10, softmax;  SGD(lr=0.0001), categorical cross-entropy

1,250,858 parameters, the count deck 004 prints for the same network (with Dropout layers,
which have none). `SGD(lr=0.0001)` keeps the deck's Keras 1/2 spelling and runs with a
LegacyArgumentWarning (today: `learning_rate=`). The lines around the slide's code (loading,
scaling, one-hot labels, fit with batch 32 and validation on the test set, evaluate) are those of
Keras's `cifar10_cnn.py` example the slide comes from, without its data augmentation.

CIFAR-10 is downloaded from its authors' page by `neuronio.datasets.cifar10.load_data()`; where
that page cannot be reached the program stops and says so. `--synthetic` trains on random images
of CIFAR-10's shape instead, to check that the program runs; nothing is learned from them.

    python examples/cifar10_cnn.py --epochs 10
    python examples/cifar10_cnn.py --samples 2000 --epochs 1
    python examples/cifar10_cnn.py --synthetic --samples 256 --epochs 1

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import sys

from _common import load_cifar10, parse_args

import neuronio as keras
from neuronio.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D
from neuronio.models import Sequential


def main(argv=None):
    args = parse_args(__doc__, argv, 100, 32, " (Keras's example: 100)", " (Keras's example: 32)", data_name="CIFAR-10")
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    batch_size = args.batch_size
    num_classes = 10
    epochs = args.epochs

    # The data, split between train and test sets:
    (x_train, y_train), (x_test, y_test) = load_cifar10(args.synthetic, args.samples)
    if args.samples:
        x_train, y_train = x_train[: args.samples], y_train[: args.samples]
        x_test, y_test = x_test[: args.samples], y_test[: args.samples]
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # Convert class vectors to binary class matrices.
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    # --- the slides ----------------------------------------------------------------------------
    model = Sequential()

    model.add(Conv2D(32, (3, 3), padding="same", input_shape=x_train.shape[1:]))
    model.add(Activation("relu"))
    model.add(Conv2D(32, (3, 3)))
    model.add(Activation("relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))

    model.add(Conv2D(64, (3, 3), padding="same"))
    model.add(Activation("relu"))
    model.add(Conv2D(64, (3, 3)))
    model.add(Activation("relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))

    model.add(Flatten())
    model.add(Dense(512))
    model.add(Activation("relu"))
    model.add(Dense(num_classes))
    model.add(Activation("softmax"))

    # Inicializa o otimizador
    opt = keras.optimizers.SGD(lr=0.0001)

    # Treina o modelo
    model.compile(loss="categorical_crossentropy", optimizer=opt, metrics=["accuracy"])
    # --- end of the slides ---------------------------------------------------------------------

    model.summary()

    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    x_train /= 255
    x_test /= 255

    history = model.fit(
        x_train, y_train, batch_size=batch_size, epochs=epochs, validation_data=(x_test, y_test), shuffle=True
    )

    # Score trained model.
    scores = model.evaluate(x_test, y_test, verbose=1)
    print("Test loss:", scores[0])
    print("Test accuracy:", scores[1])
    return {"model": model, "history": history, "score": scores}


if __name__ == "__main__":
    main(sys.argv[1:])
