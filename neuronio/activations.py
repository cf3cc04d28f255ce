"""Activation functions with Keras 3's names and signatures, thin over `neuronio.ops`.

    Dense(64, activation="relu")         # resolved through `get`, saved as "relu"

Every name a user may type resolves through `registry` (canonical Keras names, aliases beside
them). Keras 3 writes a built-in activation into a layer config as a plain string, and so does
`serialize`.
"""

from neuronio import _custom_objects, ops
from neuronio._registry import Registry, function_envelope
from neuronio.autodiff.tape import is_recording
from neuronio.autodiff.tensor import Tensor, as_tensor

registry = Registry("activation")


@registry.register("linear", "identity")
def linear(x) -> Tensor:
    """The identity, f(x) = x (f'(x) = 1): what `activation=None` means."""
    return as_tensor(x)


identity = linear


@registry.register("binary_step")
def binary_step(x) -> Tensor:
    """1 for x >= 0, 0 otherwise; its derivative is 0 (the deck's table; not in Keras)."""
    return ops.binary_step(x)


@registry.register("sigmoid")
def sigmoid(x) -> Tensor:
    """1 / (1 + exp(-x)), the logistic "soft step"; f' = f (1 - f)."""
    return ops.sigmoid(x)


@registry.register("hard_sigmoid")
def hard_sigmoid(x) -> Tensor:
    """relu6(x + 3) / 6, Keras 3's piecewise-linear sigmoid (Keras 2 used 0.2 x + 0.5)."""
    return ops.hard_sigmoid(x)


@registry.register("tanh")
def tanh(x) -> Tensor:
    """Hyperbolic tangent; f' = 1 - f**2."""
    return ops.tanh(x)


@registry.register("arctan")
def arctan(x) -> Tensor:
    """Inverse tangent; f' = 1 / (x**2 + 1) (the deck's table; not in Keras)."""
    return ops.arctan(x)


@registry.register("relu")
def relu(x, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> Tensor:
    """max(x, 0), with Keras 3's options.

    Args:
        x: tensor.
        negative_slope: slope below `threshold` (0: plain relu).
        max_value: saturation value (None: no cap).
        threshold: values at or below it become 0 (or follow `negative_slope`).

    Returns:
        x if threshold < x (capped at max_value), else negative_slope * (x - threshold).

    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], negative_slope=0.5).numpy()
    array([-5. , -2.5,  0. ,  5. , 10. ], dtype=float32)
    """
    x = as_tensor(x)
    if max_value is None and threshold == 0.0:
        return ops.relu(x) if negative_slope == 0.0 else ops.leaky_relu(x, negative_slope)
    if max_value == 6 and threshold == 0.0 and negative_slope == 0.0:
        return ops.relu6(x)
    # Keras's composition: keep x above the threshold, cap it, then add the slope part below.
    y = ops.relu(x) if threshold == 0.0 else ops.where(x > threshold, x, 0.0)
    if max_value is not None:
        y = ops.clip(y, 0.0, max_value)
    if negative_slope != 0.0:
        y = y - ops.relu(threshold - x) * negative_slope
    return y


def fusable(activation, op_takes=("relu", "softmax")) -> str | None:
    """The name of `activation` when a layer may fuse it into its op, which fuses the activations
    `op_takes` (Dense's linear op "relu" and "softmax", Conv2D's conv2d "relu"), else None (the
    layer applies it after the op). The one place that
    decides what is fused: only the built-in relu and softmax with their default arguments, whose
    fused forms compute the same values and gradients (tests/layers/test_fused_activation.py).
    softmax only while no GradientTape records: in training it stays its own op, through which the
    cross-entropy losses find the logits (losses/crossentropy.py)."""
    try:
        name = _FUSABLE.get(activation)
    except TypeError:  # an unhashable callable object: never one of the built-ins
        return None
    if name not in op_takes or (name == "softmax" and is_recording()):
        return None
    return name


@registry.register("relu6")
def relu6(x) -> Tensor:
    """min(max(x, 0), 6)."""
    return ops.relu6(x)


@registry.register("leaky_relu")
def leaky_relu(x, negative_slope: float = 0.2) -> Tensor:
    """x for x > 0, negative_slope * x otherwise. The activation's default slope is 0.2; the
    LeakyReLU layer's is 0.3 (both as in Keras 3)."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


@registry.register("elu")
def elu(x, alpha: float = 1.0) -> Tensor:
    """x for x >= 0, alpha * (exp(x) - 1) otherwise; f' = f + alpha for x < 0."""
    return ops.elu(x, alpha=alpha)


@registry.register("selu")
def selu(x) -> Tensor:
    """scale * elu(x, alpha), alpha = 1.67326324..., scale = 1.05070098... (self-normalizing)."""
    return ops.selu(x)


@registry.register("softplus")
def softplus(x) -> Tensor:
    """log(1 + exp(x)); f' = 1 / (1 + exp(-x))."""
    return ops.softplus(x)


@registry.register("softsign")
def softsign(x) -> Tensor:
    """x / (1 + |x|)."""
    return ops.softsign(x)


@registry.register("exponential")
def exponential(x) -> Tensor:
    """exp(x)."""
    return ops.exp(x)


@registry.register("softmax")
def softmax(x, axis=-1) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`: scores to probabilities.

    >>> softmax([2.0, 1.0, 0.0]).numpy().round(2)
    array([0.67, 0.24, 0.09], dtype=float32)
    """
    return ops.softmax(x, axis=axis)


@registry.register("log_softmax")
def log_softmax(x, axis=-1) -> Tensor:
    """log(softmax(x)) along `axis`, computed stably."""
    return ops.log_softmax(x, axis=axis)


@registry.register("silu", "swish")
def silu(x) -> Tensor:
    """x * sigmoid(x) (Keras's alias: "swish")."""
    return ops.silu(x)


swish = silu


@registry.register("gelu")
def gelu(x, approximate: bool = False) -> Tensor:
    """x * Phi(x); exact (erf) by default as in keras.activations, the tanh form if approximate."""
    return ops.gelu(x, approximate=approximate)


@registry.register("celu")
def celu(x, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable elu: x for x > 0, alpha * (exp(x / alpha) - 1) otherwise."""
    return ops.celu(x, alpha=alpha)


@registry.register("glu")
def glu(x, axis: int = -1) -> Tensor:
    """Gated linear unit: a * sigmoid(b), a and b the two halves of x along `axis` (even size)."""
    return ops.glu(x, axis=axis)


@registry.register("hard_shrink")
def hard_shrink(x, threshold: float = 0.5) -> Tensor:
    """x where |x| > threshold, 0 elsewhere."""
    return ops.hard_shrink(x, threshold=threshold)


@registry.register("hard_silu", "hard_swish")
def hard_silu(x) -> Tensor:
    """x * relu6(x + 3) / 6, the piecewise form of silu (Keras's alias: "hard_swish")."""
    return ops.hard_silu(x)


hard_swish = hard_silu


@registry.register("hard_tanh")
def hard_tanh(x) -> Tensor:
    """clip(x, -1, 1)."""
    return ops.hard_tanh(x)


@registry.register("log_sigmoid")
def log_sigmoid(x) -> Tensor:
    """log(sigmoid(x)) = -softplus(-x), without overflow for large |x|."""
    return ops.log_sigmoid(x)


@registry.register("mish")
def mish(x) -> Tensor:
    """x * tanh(softplus(x)) (Misra 2019): smooth, unbounded above, bounded below near -0.31."""
    x = as_tensor(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


@registry.register("soft_shrink")
def soft_shrink(x, threshold: float = 0.5) -> Tensor:
    """x moved `threshold` towards 0, and 0 where |x| <= threshold."""
    return ops.soft_shrink(x, threshold=threshold)


@registry.register("sparse_plus")
def sparse_plus(x) -> Tensor:
    """0 for x <= -1, (x + 1)**2 / 4 for -1 < x < 1, x for x >= 1: a softplus with exact zeros."""
    return ops.sparse_plus(x)


@registry.register("sparse_sigmoid")
def sparse_sigmoid(x) -> Tensor:
    """0 for x <= -1, (x + 1) / 2 for -1 < x < 1, 1 for x >= 1: the derivative of sparse_plus."""
    return ops.sparse_sigmoid(x)


@registry.register("sparsemax")
def sparsemax(x, axis: int = -1) -> Tensor:
    """The Euclidean projection of x onto the probability simplex along `axis`: like softmax a
    distribution, but with exact zeros (Martins & Astudillo 2016).

    >>> sparsemax([1.0, 0.5, -2.0]).numpy()
    array([0.75, 0.25, 0.  ], dtype=float32)
    """
    return ops.sparsemax(x, axis=axis)


@registry.register("squareplus")
def squareplus(x, b: float = 4) -> Tensor:
    """(x + sqrt(x**2 + b)) / 2, an algebraic softplus (b >= 0)."""
    return ops.squareplus(x, b=b)


@registry.register("tanh_shrink")
def tanh_shrink(x) -> Tensor:
    """x - tanh(x)."""
    return ops.tanh_shrink(x)


@registry.register("threshold")
def threshold(x, threshold: float, default_value: float) -> Tensor:
    """x where x > threshold, else default_value. Both arguments are required, as in Keras, so
    the name alone (`activation="threshold"`) cannot be used in a layer: pass a function such as
    `lambda x: threshold(x, 0.1, 0.0)`."""
    return ops.threshold(x, threshold, default_value)


def output_shape(activation, shape) -> tuple:
    """The shape `activation` gives an input of `shape`: the same for every activation except
    glu, which halves its last axis (Dense and Activation use this for their symbolic shapes;
    a user's shape-changing function needs a layer of its own, or a Lambda with output_shape)."""
    shape = tuple(shape)
    if activation is glu and shape and shape[-1] is not None:
        return (*shape[:-1], shape[-1] // 2)
    return shape


def get(identifier):
    """The activation function an identifier names.

    Args:
        identifier: None (linear), a name ("relu", "swish"), a Keras config dict
            ({"class_name": "function", "config": "relu", ...}), or a callable (returned as is).

    Raises:
        UnknownNameError: for a name no activation has; the message lists the valid names.
        TypeError: for anything else.

    >>> get("swish") is silu, get(None) is linear
    (True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        return _lookup(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(
        f"Could not interpret activation identifier {identifier!r} ({type(identifier).__name__}): "
        f"give a name such as 'relu', a config dict, a callable, or None."
    )


def _lookup(name):
    """A registered activation, else the user's function of that name (registered with
    register_keras_serializable or passed in custom_objects / a custom_object_scope)."""
    if name in registry:
        return registry.lookup(name)
    custom = _custom_objects.lookup(name)
    if callable(custom):
        return custom
    return registry.lookup(name)  # UnknownNameError listing the valid names


def serialize(activation) -> str | dict:
    """The canonical name of a registered activation, as Keras 3 writes it into layer configs; a
    function registered with register_keras_serializable gets Keras's function envelope.

    >>> serialize(swish)
    'silu'
    """
    name = registry.name_of(activation)
    if name is None:
        custom = _custom_objects.registered_name(activation)
        if custom is not None:  # the user's function, as Keras 3 writes it
            return function_envelope(custom)
        raise ValueError(
            f"Cannot serialize activation {activation!r}: it is not a registered activation. "
            f"Use one of: {', '.join(registry.names())}; or register your function with "
            f"@neuronio.saving.register_keras_serializable()."
        )
    return name


def deserialize(config):
    """The inverse of serialize: a name, or a Keras config dict, resolved through the registry only.

    Keras 3 saves functions as {"module": ..., "class_name": "function", "config": "<name>", ...};
    older files put the name in "class_name". Nothing in a config is ever imported or evaluated.
    """
    if isinstance(config, str):
        return _lookup(config)
    if isinstance(config, dict):
        name = config.get("class_name")
        if name == "function":
            name = config.get("config")
        return _lookup(name)
    raise TypeError(f"activations.deserialize expects a name or a config dict; received {type(config).__name__}.")


__all__ = [
    "arctan",
    "binary_step",
    "celu",
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "identity",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]


_FUSABLE = {relu: "relu", softmax: "softmax"}  # fusable()'s table: the built-ins whose fused forms ops implement
