"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012) exactly as deck 001's "Full (simplified) AlexNet
architecture" table: one tower, no two-GPU split, the deck's layer names."""

from neuronio import layers
from neuronio.applications._imagenet import check_image_shape
from neuronio.models import Sequential

# The smallest square image that leaves pool3 with one pixel:
# 67 -conv1-> 15 -pool1-> 7 -conv2-> 7 -pool2-> 3 -conv3..5-> 3 -pool3-> 1.
MIN_SIZE = 67


def AlexNet(input_shape=(227, 227, 3), classes=1000, classifier_activation="softmax", name="alexnet") -> Sequential:
    """The deck's AlexNet, untrained: 5 convolutions, 3 max-pools, 2 NORM layers, 3 dense layers.

    For the deck's 227x227x3 input each row of its table is one layer here:

        layer   deck's description                       output      parameters
        conv1   CONV1 96 11x11 filters, stride 4, pad 0  55x55x96        34,944 (= 11*11*3*96 + 96, the deck's "35K")
        pool1   MAX POOL1 3x3, stride 2                  27x27x96             0
        norm1   NORM1                                    27x27x96             0
        conv2   CONV2 256 5x5, stride 1, pad 2           27x27x256      614,656
        pool2   MAX POOL2 3x3, stride 2                  13x13x256            0
        norm2   NORM2                                    13x13x256            0
        conv3   CONV3 384 3x3, stride 1, pad 1           13x13x384      885,120
        conv4   CONV4 384 3x3, stride 1, pad 1           13x13x384    1,327,488
        conv5   CONV5 256 3x3, stride 1, pad 1           13x13x256      884,992
        pool3   MAX POOL3 3x3, stride 2                  6x6x256              0
        fc6     FC6 4096 neurons                         4096        37,752,832
        fc7     FC7 4096 neurons                         4096        16,781,312
        fc8     FC8 1000 neurons (class scores)          1000         4,097,000

    62,378,344 parameters in all. Choices where the table is silent, each from the paper:
    - ReLU after every convolution and after fc6 and fc7 ("first use of ReLU").
    - NORM is `LocalResponseNormalization` with the paper's n=5, k=2, alpha=1e-4, beta=0.75.
    - Dropout 0.5 on the outputs of fc6 and fc7 (layers drop6, drop7; "we use dropout in the first
      two fully-connected layers", as in Caffe's reference AlexNet; torchvision drops the inputs of
      fc6 and fc7 instead). A Flatten layer joins pool3 to fc6.
    - "pad 2" and "pad 1" of the stride-1 convolutions are `padding="same"`, which for an odd
      kernel at stride 1 pads exactly (kernel - 1) / 2 on each side.

    Args:
        input_shape: (height, width, channels), each side at least 67.
        classes: number of class scores (fc8's units).
        classifier_activation: fc8's activation; None for logits.
        name: the model's name.

    Returns:
        A `Sequential` model.

    >>> AlexNet().get_layer("conv1").count_params()
    34944
    """
    input_shape = check_image_shape(input_shape, "AlexNet", MIN_SIZE)
    return Sequential(
        [
            layers.Input(shape=input_shape),  # 227x227x3
            layers.Conv2D(96, 11, strides=4, padding="valid", activation="relu", name="conv1"),  # 55x55x96
            layers.MaxPooling2D(3, strides=2, name="pool1"),  # 27x27x96
            layers.LocalResponseNormalization(name="norm1"),
            layers.Conv2D(256, 5, padding="same", activation="relu", name="conv2"),  # 27x27x256
            layers.MaxPooling2D(3, strides=2, name="pool2"),  # 13x13x256
            layers.LocalResponseNormalization(name="norm2"),
            layers.Conv2D(384, 3, padding="same", activation="relu", name="conv3"),  # 13x13x384
            layers.Conv2D(384, 3, padding="same", activation="relu", name="conv4"),  # 13x13x384
            layers.Conv2D(256, 3, padding="same", activation="relu", name="conv5"),  # 13x13x256
            layers.MaxPooling2D(3, strides=2, name="pool3"),  # 6x6x256
            layers.Flatten(name="flatten"),  # 9216
            layers.Dense(4096, activation="relu", name="fc6"),
            layers.Dropout(0.5, name="drop6"),
            layers.Dense(4096, activation="relu", name="fc7"),
            layers.Dropout(0.5, name="drop7"),
            layers.Dense(classes, activation=classifier_activation, name="fc8"),
        ],
        name=name,
    )
