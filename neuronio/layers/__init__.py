"""neuronio.layers: Keras 3's layers (same names, arguments and defaults) and its lowercase merge
functions (`add`, `concatenate`, ...), plus the decks' Maxout, APL, RReLU and LocalResponseNormalization."""

from neuronio.layers.activations import APL, ELU, LeakyReLU, Maxout, PReLU, ReLU, RReLU, Softmax
from neuronio.layers.conv_variants import Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from neuronio.layers.convolutional import Conv2D, ZeroPadding2D
from neuronio.layers.core import Activation, Dense, Input, InputLayer
from neuronio.layers.image_preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.lambda_layer import Lambda
from neuronio.layers.layer import Layer, registry
from neuronio.layers.legacy import Convolution2D
from neuronio.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    multiply,
    subtract,
)
from neuronio.layers.normalization import BatchNormalization, LayerNormalization, LocalResponseNormalization
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
from neuronio.layers.regularization import Dropout, GaussianNoise, SpatialDropout2D
from neuronio.layers.reshaping import Cropping2D, Flatten, Reshape, UpSampling2D

# Keras's short aliases.
Convolution2DTranspose = Conv2DTranspose
SeparableConvolution2D = SeparableConv2D
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
    "CenterCrop",
    "Concatenate",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Cropping2D",
    "Dense",
    "DepthwiseConv2D",
    "Dropout",
    "ELU",
    "ElasticDistortion",
    "Flatten",
    "GaussianNoise",
    "GlobalAveragePooling2D",
    "GlobalAvgPool2D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "InputSpec",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "LocalResponseNormalization",
    "MaxPool2D",
    "MaxPooling2D",
    "Maximum",
    "Maxout",
    "Multiply",
    "Normalization",
    "PReLU",
    "RReLU",
    "RandomCrop",
    "RandomErasing",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "Rescaling",
    "Reshape",
    "Resizing",
    "SeparableConv2D",
    "SeparableConvolution2D",
    "Softmax",
    "SpatialDropout2D",
    "Subtract",
    "UpSampling2D",
    "ZeroPadding2D",
    "add",
    "average",
    "concatenate",
    "maximum",
    "multiply",
    "registry",
    "subtract",
]
