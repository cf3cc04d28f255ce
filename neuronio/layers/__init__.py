"""neuronio.layers: Keras 3's layers (same names, arguments and defaults), plus the decks' Maxout,
APL, RReLU and LocalResponseNormalization."""

from neuronio.layers.activations import APL, ELU, LeakyReLU, Maxout, PReLU, ReLU, RReLU, Softmax
from neuronio.layers.bidirectional import Bidirectional
from neuronio.layers.convolutional import Conv2D, ZeroPadding2D
from neuronio.layers.core import Activation, Dense, Input, InputLayer
from neuronio.layers.embedding import Embedding, Masking
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.layers.legacy import Convolution2D
from neuronio.layers.merging import Add, Average, Concatenate, Maximum, Multiply
from neuronio.layers.normalization import BatchNormalization, LocalResponseNormalization
from neuronio.layers.pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from neuronio.layers.preprocessing import (
    ElasticDistortion,
    RandomCrop,
    RandomErasing,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from neuronio.layers.regularization import Dropout
from neuronio.layers.reshaping import Flatten, Reshape
from neuronio.layers.rnn import GRU, LSTM, RNN, SimpleRNN
from neuronio.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells

# Keras's short aliases.
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D

__all__ = [
    "APL",
    "Activation",
    "Add",
    "Average",
    "AveragePooling2D",
    "AvgPool2D",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Conv2D",
    "Convolution2D",
    "Dense",
    "Dropout",
    "ELU",
    "ElasticDistortion",
    "Embedding",
    "Flatten",
    "GRU",
    "GRUCell",
    "GlobalAveragePooling2D",
    "GlobalAvgPool2D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "InputSpec",
    "LSTM",
    "LSTMCell",
    "Layer",
    "LeakyReLU",
    "LocalResponseNormalization",
    "Masking",
    "MaxPool2D",
    "MaxPooling2D",
    "Maximum",
    "Maxout",
    "Multiply",
    "PReLU",
    "RNN",
    "RReLU",
    "RandomCrop",
    "RandomErasing",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "Reshape",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "StackedRNNCells",
    "ZeroPadding2D",
    "registry",
]
