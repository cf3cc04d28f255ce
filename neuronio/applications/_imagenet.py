"""What VGG19 and the ResNets share with Keras's `keras.applications`: the `weights` check, Keras's
input-shape rule (`imagenet_utils.obtain_input_shape`) and the `pooling` choice without a top."""

from neuronio import layers
from neuronio.errors import ShapeError
from neuronio.layers.core import InputLayer
from neuronio.layers.symbolic import SymbolicTensor

DEFAULT_SIZE = 224  # ImageNet crops, the size the published models were trained at
MIN_SIZE = 32  # Keras refuses smaller images: five stride-2 stages leave less than one pixel


def check_weights(weights, who: str) -> None:
    """Only random initialization exists here: no pretrained weights can be downloaded."""
    if weights is None:
        return
    raise ValueError(
        f"{who}: only weights=None (random initialization) is available; received weights={weights!r}. "
        f"neuronio ships no pretrained ImageNet weights and this machine cannot download Keras's. "
        f"Build the model with weights=None and train it, or copy trained arrays in with model.set_weights()."
    )


def check_pooling(pooling, who: str) -> None:
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{who}: `pooling` must be None, 'avg' or 'max'; received pooling={pooling!r}.")


def check_image_shape(input_shape, who: str, min_size: int, fixed: bool = True, hint: str = "") -> tuple:
    """`input_shape` as a (height, width, channels) tuple whose sides are at least `min_size`.

    fixed=True (a model ending in Flatten or Dense) also refuses None sides.
    """
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ShapeError(f"{who}: `input_shape` must be (height, width, channels); received input_shape={input_shape}.")
    if any(d is not None and d < min_size for d in input_shape[:2]):
        raise ShapeError(
            f"{who}: images must be at least {min_size}x{min_size}; received input_shape={input_shape}. "
            f"Resize or pad the images."
        )
    if fixed and None in input_shape:
        raise ShapeError(
            f"{who}: the classifier's size depends on the image size, so input_shape must be fixed; "
            f"received input_shape={input_shape}. Give the height and width{hint}."
        )
    return tuple(input_shape)


def image_input(input_tensor, input_shape, include_top: bool, who: str) -> SymbolicTensor:
    """The model's input: `input_tensor` (from `Input()`) or a new `Input(input_shape)`.

    As Keras: input_shape=None means (224, 224, 3) with the classifier top and (None, None, 3)
    without it; the top's Dense layers need a fixed size; height and width must be at least 32.
    """
    if input_tensor is not None:
        if not isinstance(input_tensor, SymbolicTensor) or not isinstance(input_tensor.node.layer, InputLayer):
            raise TypeError(
                f"{who}: `input_tensor` must be a tensor returned by Input(); received "
                f"{type(input_tensor).__name__} ({input_tensor!r})."
            )
        if input_shape is None:
            input_shape = input_tensor.shape[1:]
    if input_shape is None:
        input_shape = (DEFAULT_SIZE, DEFAULT_SIZE, 3) if include_top else (None, None, 3)
    input_shape = check_image_shape(input_shape, who, MIN_SIZE, fixed=include_top, hint=", or pass include_top=False")
    if input_tensor is not None:
        if tuple(input_tensor.shape[1:]) != input_shape:
            raise ShapeError(
                f"{who}: input_tensor has shape {input_tensor.shape} but input_shape={input_shape}; "
                f"pass only one of them."
            )
        return input_tensor
    return layers.Input(shape=input_shape)


def global_pool(x, pooling, avg_name=None, max_name=None):
    """The features of a headless model: as they are (None), averaged ('avg') or maxed ('max')."""
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x
