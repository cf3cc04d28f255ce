"""neuronio.layers: Keras 3's layers (same names, arguments and defaults), plus the decks' Maxout,
APL, RReLU and LocalResponseNormalization."""

from neuronio.layers.activations import APL, ELU, LeakyReLU, Maxout, PReLU, ReLU, RReLU, Softmax
from neuronio.layers.convolutional import Conv2D, Convolution2D, ZeroPadding2D
from neuronio.layers.convolutional1d import Conv1D
from neuronio.layers.core import Activation, Dense, Input, InputLayer
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry
from neuronio.layers.merging import Add, Average, Concatenate, Maximum, Multiply
from neuronio.layers.normalization import BatchNormalization, LocalResponseNormalization
from neuronio.layers.pooling import (
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
)
from neuronio.layers.pooling1d import AveragePooling1D, GlobalAveragePooling1D, GlobalMaxPooling1D, MaxPooling1D
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
from neuronio.layers.reshaping1d import Cropping1D, Permute, RepeatVector, UpSampling1D, ZeroPadding1D
from neuronio.layers.wrappers import TimeDistributed

# Keras's short aliases.
MaxPool2D = MaxPooling2D
AvgPool2D = AveragePooling2D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalMaxPool2D = GlobalMaxPooling2D
MaxPool1D = MaxPooling1D
AvgPool1D = AveragePooling1D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalMaxPool1D = GlobalMaxPooling1D
Convolution1D = Conv1D

__all__ = [
    "APL",
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "BatchNormalization",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Convolution1D",
    "Convolution2D",
    "Cropping1D",
    "Dense",
    "Dropout",
    "ELU",
    "ElasticDistortion",
    "Flatten",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "InputSpec",
    "Layer",
    "LeakyReLU",
    "LocalResponseNormalization",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Maxout",
    "Multiply",
    "PReLU",
    "Permute",
    "RReLU",
    "RandomCrop",
    "RandomErasing",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "RepeatVector",
    "Reshape",
    "Softmax",
    "TimeDistributed",
    "UpSampling1D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "registry",
]
