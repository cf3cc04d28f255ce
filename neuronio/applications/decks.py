"""The course decks' models, built exactly as the slides write them (shared by `neuronio train`,
the examples and the benchmarks)."""

from neuronio import layers
from neuronio.models import Sequential


def seed_mlp(input_shape=(784,), num_classes=10) -> Sequential:
    """Deck 004's MLP: 784 -> 512 -> 512 -> 512 -> 10, ReLU, Dropout 0.2 (932,362 parameters with
    the Dropout after each hidden layer)."""
    return Sequential(
        [
            layers.Input(shape=input_shape),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(num_classes, activation="softmax"),
        ],
        name="seed_mlp",
    )


def seed_cnn(input_shape=(28, 28, 1), num_classes=10) -> Sequential:
    """The course's MNIST CNN (deck 000): Conv 32 5x5 -> max-pool 2 -> Conv 64 5x5 -> max-pool 2 -> Dense 1000 -> softmax."""
    return Sequential(
        [
            layers.Input(shape=input_shape),
            layers.Conv2D(32, kernel_size=(5, 5), strides=(1, 1), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)),
            layers.Conv2D(64, (5, 5), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(1000, activation="relu"),
            layers.Dense(num_classes, activation="softmax"),
        ],
        name="seed_cnn",
    )


def lenet_style(input_shape=(28, 28, 1), num_classes=10) -> Sequential:
    """Deck 001's LeNet-5-style Keras 1 program (Convolution2D(12, 5, 5), init='he_normal'),
    written with today's spellings: 12 and 25 filters of 5x5, Dense 180 and 100 with Dropout 0.5."""
    return Sequential(
        [
            layers.Input(shape=input_shape),
            layers.Conv2D(12, (5, 5), activation="relu", kernel_initializer="he_normal"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Conv2D(25, (5, 5), activation="relu", kernel_initializer="he_normal"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Flatten(),
            layers.Dense(180, activation="relu", kernel_initializer="he_normal"),
            layers.Dropout(0.5),
            layers.Dense(100, activation="relu", kernel_initializer="he_normal"),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax", kernel_initializer="he_normal"),
        ],
        name="lenet_style",
    )


def cifar10_cnn(input_shape=(32, 32, 3), num_classes=10) -> Sequential:
    """Deck 004's CIFAR-10 CNN (Keras's cifar10_cnn example): 1,250,858 parameters."""
    return Sequential(
        [
            layers.Input(shape=input_shape),
            layers.Conv2D(32, (3, 3), padding="same", activation="relu"),
            layers.Conv2D(32, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Conv2D(64, (3, 3), padding="same", activation="relu"),
            layers.Conv2D(64, (3, 3), activation="relu"),
            layers.MaxPooling2D(pool_size=(2, 2)),
            layers.Dropout(0.25),
            layers.Flatten(),
            layers.Dense(512, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax"),
        ],
        name="cifar10_cnn",
    )


def lstm_mnist(input_shape=(28, 28), num_classes=10) -> Sequential:
    """MNIST read row by row: 28 steps of 28 pixels -> LSTM(128) -> Dense softmax (81,674 parameters)."""
    from neuronio.applications.sequence import lstm_classifier

    return lstm_classifier(input_shape=input_shape, num_classes=num_classes, units=128, name="lstm_mnist")


# The name `neuronio train --model` takes -> (builder, optimizer, input layout: True flat vectors,
# False images with a channel axis, "rows" sequences of image rows).
DECK_MODELS = {
    "mlp": (seed_mlp, "rmsprop", True),
    "cnn": (seed_cnn, "adam", False),
    "lenet": (lenet_style, "adamax", False),
    "cifar-cnn": (cifar10_cnn, "rmsprop", False),
    "lstm-mnist": (lstm_mnist, "adam", "rows"),
}
