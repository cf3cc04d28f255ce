"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998), as the common Keras rendition builds it."""

from neuronio import layers
from neuronio.applications._imagenet import check_image_shape
from neuronio.models import Sequential

# The paper's input field; C5's 5x5 kernels then cover all of S4's 5x5 maps.
FIELD = 32
MNIST_SIZE = 28


def LeNet5(input_shape=(32, 32, 1), classes=10, classifier_activation="softmax", name="lenet5") -> Sequential:
    """LeNet-5, untrained, with the paper's layer names and sizes (for a 32x32 input):

        layer    paper                                  output     parameters
        C1       6 feature maps, 5x5 convolutions       28x28x6          156 = (5*5*1 + 1) * 6
        S2       2x2 subsampling                        14x14x6            0
        C3       16 feature maps, 5x5 convolutions      10x10x16       2,416 = (5*5*6 + 1) * 16
        S4       2x2 subsampling                        5x5x16             0
        C5       120 feature maps, 5x5 convolutions     1x1x120       48,120 = (5*5*16 + 1) * 120
        flatten                                         120                0
        F6       84 units                               84            10,164 = (120 + 1) * 84
        output   10 units                               10               850 = (84 + 1) * 10

    61,706 parameters in all (the paper's own count is about 60,000). Where this rendition departs
    from the paper, as the common Keras ones do:
    - S2 and S4 are plain `AveragePooling2D(2)`; the paper scales each map's 2x2 sums by a
      trainable coefficient, adds a trainable bias and applies the sigmoid (12 and 32 parameters).
    - C3 connects every S2 map to every C3 map (2,416 parameters); the paper's Table I wires each
      C3 map to only 3, 4 or 6 of them (1,516 parameters) to break symmetry and save computation.
    - The activation is tanh; the paper's is the scaled 1.7159 * tanh(2a / 3).
    - The output layer is a Dense layer with softmax; the paper's are Euclidean RBF units.

    MNIST's 28x28 digits: the paper drew them centred in a 32x32 field, so for input_shape
    (28, 28, C) a `ZeroPadding2D(2)` layer named "pad" comes first (MNIST's background is 0), and
    the model then has the same sizes and parameters as for a 32x32 input. Other sizes are used as
    given, at least 32x32 (larger images make C5's output larger than 1x1, and F6 wider).

    Args:
        input_shape: (height, width, channels); (28, 28, C) is padded to 32x32.
        classes: number of output units.
        classifier_activation: the output layer's activation; None for logits.
        name: the model's name.

    Returns:
        A `Sequential` model.

    >>> LeNet5(input_shape=(28, 28, 1)).count_params()
    61706
    """
    pad_mnist = isinstance(input_shape, (tuple, list)) and tuple(input_shape[:2]) == (MNIST_SIZE, MNIST_SIZE)
    input_shape = check_image_shape(input_shape, "LeNet5", MNIST_SIZE if pad_mnist else FIELD)
    stack = [layers.Input(shape=input_shape)]
    if pad_mnist:
        stack.append(layers.ZeroPadding2D(2, name="pad"))  # 32x32
    stack += [
        layers.Conv2D(6, 5, activation="tanh", name="C1"),  # 28x28x6
        layers.AveragePooling2D(2, name="S2"),  # 14x14x6
        layers.Conv2D(16, 5, activation="tanh", name="C3"),  # 10x10x16
        layers.AveragePooling2D(2, name="S4"),  # 5x5x16
        layers.Conv2D(120, 5, activation="tanh", name="C5"),  # 1x1x120
        layers.Flatten(name="flatten"),  # 120
        layers.Dense(84, activation="tanh", name="F6"),  # 84
        layers.Dense(classes, activation=classifier_activation, name="output"),  # classes
    ]
    return Sequential(stack, name=name)
