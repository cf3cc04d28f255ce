"""The LeNet-5-style Keras 1 program of deck 001 (UFG, "Aula 5 - Redes Neurais Convolucionais",
slide "Lenet 5 - 1995", from the Kaggle kernel "keras-cnn-inspired-by-lenet-5"), with only the
imports changed from `keras` to `neuronio`.

The code keeps its Keras 1 spellings, `Convolution2D(12, 5, 5, init='he_normal')`,
`Dense(..., init='he_normal')`, `np_utils.to_categorical` and `fit(nb_epoch=)`: neuronio runs
them as Keras 1 meant (12 filters of 5x5, stride 1) and emits a LegacyArgumentWarning naming
today's spelling for each. (Keras 3 rejects `init=` and `nb_epoch=`, and reads
`Convolution2D(12, 5, 5)` as a 5x5 kernel at stride 5.)

Conv 12 5x5 relu -> max-pool 2x2 -> Conv 25 5x5 relu -> max-pool 2x2 -> Dense 180 relu ->
Dropout 0.5 -> Dense 100 relu -> Dropout 0.5 -> Dense 10 softmax, cross-entropy, adamax.
The slide shows lines 52-77 (model and compile); the data preparation and the `fit` call around
them are filled in the Keras 1 way. neuronio is channels-last, so in_shape is (28, 28, 1).

    python examples/lenet_keras1.py --epochs 3
    python examples/lenet_keras1.py --samples 2048 --epochs 1
    python examples/lenet_keras1.py --synthetic          # random images, when MNIST cannot be had

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import sys

from _common import load_mnist, parse_args

import neuronio as keras
from neuronio.layers import Convolution2D, Dense, Dropout, Flatten, MaxPooling2D
from neuronio.models import Sequential
from neuronio.utils import np_utils


def main(argv=None):
    args = parse_args(__doc__, argv, 10, 128)
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)
    nb_classes = 10
    nb_epoch = args.epochs
    batch_size = args.batch_size

    (X_train, y_train), (X_test, y_test) = load_mnist(args.synthetic)
    if args.samples:
        X_train, y_train = X_train[: args.samples], y_train[: args.samples]
        X_test, y_test = X_test[: args.samples], y_test[: args.samples]
    X_train = X_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    X_test = X_test.reshape(-1, 28, 28, 1).astype("float32") / 255
    Y_train = np_utils.to_categorical(y_train, nb_classes)
    Y_test = np_utils.to_categorical(y_test, nb_classes)
    in_shape = (28, 28, 1)

    # --- the slide, lines 52-77 ----------------------------------------------------------------
    model = Sequential()
    # For an explanation on conv layers see http://cs231n.github.io/convolutional-networks/#conv
    # By default the stride/subsample is 1 and there is no zero-padding.
    # If you want zero-padding add a ZeroPadding layer or, if stride is 1 use border_mode="same"
    model.add(Convolution2D(12, 5, 5, activation="relu", input_shape=in_shape, init="he_normal"))

    # For an explanation on pooling layers see http://cs231n.github.io/convolutional-networks/#pool
    model.add(MaxPooling2D(pool_size=(2, 2)))

    model.add(Convolution2D(25, 5, 5, activation="relu", init="he_normal"))

    model.add(MaxPooling2D(pool_size=(2, 2)))

    # Flatten the 3D output to 1D tensor for a fully connected layer to accept the input
    model.add(Flatten())
    model.add(Dense(180, activation="relu", init="he_normal"))
    model.add(Dropout(0.5))
    model.add(Dense(100, activation="relu", init="he_normal"))
    model.add(Dropout(0.5))
    model.add(Dense(nb_classes, activation="softmax", init="he_normal"))  # Last layer with one output per class

    # The function to optimize is the cross entropy between the true label and the output (softmax) of the model
    # We will use adadelta to do the gradient descent see http://cs231n.github.io/neural-networks-3/#ada
    model.compile(loss="categorical_crossentropy", optimizer="adamax", metrics=["accuracy"])
    # --- end of the slide ----------------------------------------------------------------------

    model.summary()
    history = model.fit(
        X_train, Y_train, batch_size=batch_size, nb_epoch=nb_epoch, verbose=1, validation_data=(X_test, Y_test)
    )
    score = model.evaluate(X_test, Y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return {"model": model, "history": history, "score": score}


if __name__ == "__main__":
    main(sys.argv[1:])
