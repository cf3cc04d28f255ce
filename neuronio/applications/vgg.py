"""VGG19 (Simonyan and Zisserman, 2014, configuration E), layer for layer as `keras.applications.VGG19`."""

from neuronio import layers
from neuronio.applications._imagenet import check_pooling, check_weights, global_pool, image_input
from neuronio.models import Model

# (filters, number of 3x3 convolutions) of each block; every block ends in a 2x2 max-pool.
VGG19_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))


def VGG19(
    include_top=True,
    weights=None,
    input_tensor=None,
    input_shape=None,
    pooling=None,
    classes=1000,
    classifier_activation="softmax",
    name="vgg19",
) -> Model:
    """VGG19, untrained: 16 convolutions 3x3 'same' + ReLU in five blocks, then 4096-4096-classes.

    Layer names, order and sizes are Keras's (block1_conv1 ... block5_pool, flatten, fc1, fc2,
    predictions), so its summary matches Keras's: 143,667,240 parameters with the top (of which
    fc1 alone holds 7*7*512*4096 + 4096 = 102,764,544), 20,024,384 without it.

    Args:
        include_top: add the classifier (Flatten, fc1, fc2, predictions).
        weights: None only (random initialization); Keras's "imagenet" cannot be downloaded here.
        input_tensor: optional tensor from `Input()` to use as the model's input.
        input_shape: (height, width, channels), each side at least 32; None means (224, 224, 3)
            with the top and (None, None, 3) without it, as Keras.
        pooling: without the top, None (4-D features), "avg" or "max" (global pooling to 2-D).
        classes: size of the predictions layer.
        classifier_activation: activation of the predictions layer (None for logits).
        name: the model's name.

    Returns:
        A functional `Model`; for 224x224 inputs the features before the top are 7x7x512.

    Keras's default is weights="imagenet"; here the default is None, the only value available.
    """
    who = "VGG19"
    check_weights(weights, who)
    check_pooling(pooling, who)
    inputs = image_input(input_tensor, input_shape, include_top, who)  # (N, 224, 224, 3)
    x = inputs
    for block, (filters, n_convs) in enumerate(VGG19_BLOCKS, start=1):
        for i in range(1, n_convs + 1):
            x = layers.Conv2D(filters, (3, 3), padding="same", activation="relu", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)  # halves H and W
    # 224 -> 112 -> 56 -> 28 -> 14 -> 7: x is (N, 7, 7, 512)
    if include_top:
        x = layers.Flatten(name="flatten")(x)  # (N, 25088)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)  # (N, 4096)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)  # (N, 4096)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)  # (N, classes)
    else:
        x = global_pool(x, pooling)  # Keras leaves these two layers unnamed
    return Model(inputs, x, name=name)
