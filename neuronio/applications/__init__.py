"""neuronio.applications: the architectures the decks discuss, built from neuronio layers and
untrained (LeNet-5, the deck's AlexNet, VGG19, ResNet50/101/152 as Keras defines them), the
decks' own small models (`decks`), and the classic sequence models (`sequence`)."""

from neuronio.applications.alexnet import AlexNet
from neuronio.applications.decks import DECK_MODELS, cifar10_cnn, lenet_style, seed_cnn, seed_mlp
from neuronio.applications.lenet import LeNet5
from neuronio.applications.resnet import ResNet50, ResNet101, ResNet152
from neuronio.applications.sequence import gru_forecaster, lstm_classifier
from neuronio.applications.vgg import VGG19

__all__ = [
    "DECK_MODELS",
    "AlexNet",
    "LeNet5",
    "ResNet50",
    "ResNet101",
    "ResNet152",
    "VGG19",
    "cifar10_cnn",
    "gru_forecaster",
    "lenet_style",
    "lstm_classifier",
    "seed_cnn",
    "seed_mlp",
]
