"""ResNet v1 (He, Zhang, Ren and Sun, 2015) with bottleneck blocks, layer for layer as Keras's
`keras.applications.ResNet50/101/152`: the same names, epsilons, biases and shortcut placement.

Keras's v1 differs from the paper in two details, kept here so that summaries and weight files
match: every convolution has a bias (each followed by BatchNormalization, which makes the bias
redundant but counts in the 60,419,944), and the stride-2 of each downsampling block sits on its
first 1x1 convolution (as the original Caffe models), not on the 3x3.
"""

from neuronio import layers
from neuronio.applications._imagenet import check_pooling, check_weights, global_pool, image_input
from neuronio.models import Model

# Keras's (and the Caffe models') BatchNormalization epsilon: 1.001e-5, not the layer default 1e-3.
BN_EPSILON = 1.001e-5

# Residual blocks per stage (conv2 ... conv5); the stages have 64, 128, 256 and 512 bottleneck
# filters and output 4x as many channels.
STAGE_FILTERS = (64, 128, 256, 512)
DEPTHS = {"ResNet50": (3, 4, 6, 3), "ResNet101": (3, 4, 23, 3), "ResNet152": (3, 8, 36, 3)}


def _conv_bn(x, filters, kernel_size, name, strides=1, padding="valid"):
    """Conv2D (with bias, as Keras's v1) then BatchNormalization: `{name}_conv`, `{name}_bn`."""
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, name=f"{name}_conv")(x)
    return layers.BatchNormalization(axis=-1, epsilon=BN_EPSILON, name=f"{name}_bn")(x)


def bottleneck_block(x, filters, stride=1, conv_shortcut=True, name=None):
    """One residual block: out = relu(shortcut(x) + bn(conv1x1(relu(bn(conv3x3(relu(bn(conv1x1(x))))))))).

    The shortcut is x itself, or (conv_shortcut=True, each stage's first block) a strided 1x1
    convolution + BatchNormalization to 4*filters channels, named `{name}_0_conv`/`{name}_0_bn`.

    Input shape:  (N, H, W, C)
    Output shape: (N, H / stride, W / stride, 4 * filters)
    """
    if conv_shortcut:
        shortcut = _conv_bn(x, 4 * filters, 1, f"{name}_0", strides=stride)  # (N, H/s, W/s, 4F)
    else:
        shortcut = x  # C must be 4F
    x = _conv_bn(x, filters, 1, f"{name}_1", strides=stride)  # (N, H/s, W/s, F)
    x = layers.Activation("relu", name=f"{name}_1_relu")(x)
    x = _conv_bn(x, filters, 3, f"{name}_2", padding="same")  # (N, H/s, W/s, F)
    x = layers.Activation("relu", name=f"{name}_2_relu")(x)
    x = _conv_bn(x, 4 * filters, 1, f"{name}_3")  # (N, H/s, W/s, 4F)
    x = layers.Add(name=f"{name}_add")([shortcut, x])
    return layers.Activation("relu", name=f"{name}_out")(x)


def residual_stage(x, filters, blocks, stride1=2, name=None):
    """`blocks` bottleneck blocks named `{name}_block1` ...; the first projects (and strides)."""
    x = bottleneck_block(x, filters, stride=stride1, name=f"{name}_block1")
    for i in range(2, blocks + 1):
        x = bottleneck_block(x, filters, conv_shortcut=False, name=f"{name}_block{i}")
    return x


def _resnet(
    who, include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
) -> Model:
    """The builder behind ResNet50/101/152 (`who`): stem, four stages of DEPTHS[who], top."""
    check_weights(weights, who)
    check_pooling(pooling, who)
    inputs = image_input(input_tensor, input_shape, include_top, who)  # (N, 224, 224, 3)
    # Stem: 7x7/2 convolution, 3x3/2 max-pool, both on explicitly zero-padded inputs (as Caffe).
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)), name="conv1_pad")(inputs)  # (N, 230, 230, 3)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)  # (N, 112, 112, 64)
    x = layers.BatchNormalization(axis=-1, epsilon=BN_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)), name="pool1_pad")(x)  # (N, 114, 114, 64)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)  # (N, 56, 56, 64)
    # Stages conv2 ... conv5: 56x56x256, 28x28x512, 14x14x1024, 7x7x2048 (conv2 keeps the size:
    # the max-pool already halved it).
    for stage, (filters, blocks) in enumerate(zip(STAGE_FILTERS, DEPTHS[who], strict=True), start=2):
        x = residual_stage(x, filters, blocks, stride1=1 if stage == 2 else 2, name=f"conv{stage}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)  # (N, 2048)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)  # (N, classes)
    else:
        x = global_pool(x, pooling, avg_name="avg_pool", max_name="max_pool")
    return Model(inputs, x, name=name)


def ResNet50(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet50",
) -> Model:
    """ResNet-50 v1, untrained: stages of 3, 4, 6 and 3 bottleneck blocks; 25,636,712 parameters.

    Arguments as `ResNet152`.
    """
    return _resnet(
        "ResNet50", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def ResNet101(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet101",
) -> Model:
    """ResNet-101 v1, untrained: stages of 3, 4, 23 and 3 bottleneck blocks; 44,707,176 parameters.

    Arguments as `ResNet152`.
    """
    return _resnet(
        "ResNet101", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )


def ResNet152(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="resnet152",
) -> Model:
    """ResNet-152 v1, untrained: stages of 3, 8, 36 and 3 bottleneck blocks; 60,419,944 parameters,
    the "60 million synapses" of deck 002 (of which 60,268,520 trainable; the rest are
    BatchNormalization's moving means and variances).

    Args:
        include_top: end in avg_pool (GlobalAveragePooling2D) and the predictions Dense.
        weights: None only (random initialization); Keras's "imagenet" cannot be downloaded here.
        input_tensor: optional tensor from `Input()` to use as the model's input.
        input_shape: (height, width, channels), each side at least 32; None means (224, 224, 3)
            with the top and (None, None, 3) without it, as Keras.
        pooling: without the top, None (4-D features), "avg" or "max" (global pooling to 2-D).
        classes: size of the predictions layer.
        classifier_activation: activation of the predictions layer (None for logits).
        name: the model's name.

    Returns:
        A functional `Model`; for 224x224 inputs the last stage outputs 7x7x2048.

    Keras's default is weights="imagenet"; here the default is None, the only value available.
    """
    return _resnet(
        "ResNet152", include_top, weights, input_tensor, input_shape, pooling, classes, classifier_activation, name
    )
