"""neuronio.layers: Keras 3's layers (same names, arguments and defaults) and its lowercase merge
functions (`add`, `concatenate`, ...), plus the decks' Maxout, APL, RReLU and LocalResponseNormalization."""

from neuronio.layers import op_node  # noqa: F401 - registers symbolic tensors' ops.* hook (OpLayer)
from neuronio.layers.activations import APL, ELU, LeakyReLU, Maxout, PReLU, ReLU, RReLU, Softmax
from neuronio.layers.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
)
from neuronio.layers.bidirectional import Bidirectional
from neuronio.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D
from neuronio.layers.conv_variants import Conv2DTranspose, DepthwiseConv2D, SeparableConv2D
from neuronio.layers.conv_variants1d import Conv1DTranspose, DepthwiseConv1D, SeparableConv1D
from neuronio.layers.convolutional import Conv2D, Convolution2D, ZeroPadding2D
from neuronio.layers.convolutional1d import Conv1D
from neuronio.layers.core import Activation, Dense, Identity, Input, InputLayer
from neuronio.layers.embedding import Embedding, Masking
from neuronio.layers.image_preprocessing import CenterCrop, Normalization, Rescaling, Resizing
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.lambda_layer import Lambda
from neuronio.layers.layer import Layer, registry
from neuronio.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from neuronio.layers.normalization import BatchNormalization, LayerNormalization, LocalResponseNormalization
from neuronio.layers.per_sample_normalization import GroupNormalization, UnitNormalization
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
from neuronio.layers.regularization import (
    ActivityRegularization,
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
)
from neuronio.layers.reshaping import Cropping2D, Flatten, Reshape, UpSampling2D
from neuronio.layers.reshaping1d import Cropping1D, Permute, RepeatVector, UpSampling1D, ZeroPadding1D
from neuronio.layers.rnn import GRU, LSTM, RNN, SimpleRNN
from neuronio.layers.rnn_cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from neuronio.layers.serialization import deserialize, serialize
from neuronio.layers.spectral_normalization import SpectralNormalization
from neuronio.layers.wrappers import TimeDistributed, Wrapper

# Keras's short aliases.
Convolution2DTranspose = Conv2DTranspose
Convolution1DTranspose = Conv1DTranspose
SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
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
    "ActivityRegularization",
    "AdaptiveAveragePooling1D",
    "AdaptiveAveragePooling2D",
    "AdaptiveMaxPooling1D",
    "AdaptiveMaxPooling2D",
    "Add",
    "AlphaDropout",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "BatchNormalization",
    "Bidirectional",
    "CenterCrop",
    "Concatenate",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Dot",
    "Dropout",
    "ELU",
    "ElasticDistortion",
    "Embedding",
    "Flatten",
    "GRU",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GroupNormalization",
    "Identity",
    "Input",
    "InputLayer",
    "InputSpec",
    "LSTM",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "LocalResponseNormalization",
    "Masking",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Maxout",
    "Minimum",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "RNN",
    "RReLU",
    "RandomCrop",
    "RandomErasing",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Resizing",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpectralNormalization",
    "StackedRNNCells",
    "Subtract",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "Wrapper",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "add",
    "average",
    "concatenate",
    "deserialize",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "registry",
    "serialize",
    "subtract",
]
