"""The seed CNN of deck 000 (CBPF, "Redes Neurais profundas e aplicações", Exemplo 3 "Reconhecimento
de caracteres manuscritos - rede neural CNN", slides "The simplest example I know"), with only the
imports changed from `keras` to `neuronio`.

Conv 32 5x5 relu -> max-pool 2x2 -> Conv 64 5x5 relu -> max-pool 2x2 -> Dense 1000 relu ->
Dense 10 softmax on MNIST; batch 128, 10 epochs, validation on the test set, and the deck's
custom callback `history` that records the training accuracy after each epoch.

The slides show the model, the constants and the `fit` call; the lines between them (reshape to
28x28x1, scale to [0, 1], one-hot labels, compile with Adam) and the `AccuracyHistory` callback
are those of the notebook the slides come from.

    python examples/seed_cnn.py                            # the deck's full run on MNIST
    python examples/seed_cnn.py --samples 2048 --epochs 2  # a quick look
    python examples/seed_cnn.py --synthetic                # random images, when MNIST cannot be had

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import sys

from _common import load_mnist, parse_args

import neuronio as keras
from neuronio.layers import Conv2D, Dense, Flatten, MaxPooling2D
from neuronio.models import Sequential


class AccuracyHistory(keras.callbacks.Callback):
    """The deck's `history`: the training accuracy at the end of each epoch.

    The notebook reads `logs.get('acc')`, the key Keras 2.0 wrote for metrics=['accuracy'];
    since Keras 2.3 (and in Keras 3 and neuronio) the key is the string you wrote, 'accuracy',
    and `logs.get('acc')` would silently give None.
    """

    def on_train_begin(self, logs=None):
        self.acc = []

    def on_epoch_end(self, epoch, logs=None):
        self.acc.append(logs.get("accuracy"))


def main(argv=None):
    args = parse_args(__doc__, argv, 10, 128, " (deck: 10)", " (deck: 128)")
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)

    batch_size = args.batch_size
    num_classes = 10
    epochs = args.epochs

    # input image dimensions
    img_x, img_y = 28, 28

    # load the MNIST data set, which already splits into train and test sets for us
    (x_train, y_train), (x_test, y_test) = load_mnist(args.synthetic)
    if args.samples:
        x_train, y_train = x_train[: args.samples], y_train[: args.samples]
        x_test, y_test = x_test[: args.samples], y_test[: args.samples]

    # reshape the data into a 4D tensor (sample_number, x_img_size, y_img_size, num_channels);
    # MNIST is greyscale, so there is one channel (RGB colour images would have 3)
    x_train = x_train.reshape(x_train.shape[0], img_x, img_y, 1)
    x_test = x_test.reshape(x_test.shape[0], img_x, img_y, 1)
    input_shape = (img_x, img_y, 1)

    # convert the data to the right type
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")
    x_train /= 255
    x_test /= 255
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    # convert class vectors to binary class matrices, for the categorical_crossentropy loss below
    y_train = keras.utils.to_categorical(y_train, num_classes)
    y_test = keras.utils.to_categorical(y_test, num_classes)

    model = Sequential()
    model.add(Conv2D(32, kernel_size=(5, 5), strides=(1, 1), activation="relu", input_shape=input_shape))
    model.add(MaxPooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Conv2D(64, (5, 5), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dense(1000, activation="relu"))
    model.add(Dense(num_classes, activation="softmax"))

    model.compile(loss=keras.losses.categorical_crossentropy, optimizer=keras.optimizers.Adam(), metrics=["accuracy"])

    history = AccuracyHistory()

    model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        verbose=1,
        validation_data=(x_test, y_test),
        callbacks=[history],
    )
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    print("Training accuracy per epoch (AccuracyHistory):", [round(a, 4) for a in history.acc])
    return {"model": model, "history": history, "score": score}


if __name__ == "__main__":
    main(sys.argv[1:])
