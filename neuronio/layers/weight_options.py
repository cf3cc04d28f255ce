"""The `<weight>_regularizer=` / `<weight>_constraint=` arguments layers with weights take
(Dense's kernel and bias, BatchNormalization's gamma and beta, ...), stored and saved one way."""

from neuronio import constraints, initializers, regularizers


def set_weight_options(layer, weight: str, regularizer=None, constraint=None) -> None:
    """Resolve and store `layer.<weight>_regularizer` and `layer.<weight>_constraint`."""
    setattr(layer, f"{weight}_regularizer", regularizers.get(regularizer))
    setattr(layer, f"{weight}_constraint", constraints.get(constraint))


def weight_options(layer, weight: str) -> dict:
    """The add_weight keywords for `weight`: its regularizer and constraint."""
    return {
        "regularizer": getattr(layer, f"{weight}_regularizer"),
        "constraint": getattr(layer, f"{weight}_constraint"),
    }


def weight_options_config(layer, *weights: str) -> dict:
    """The config entries Keras writes for these weights (None when unset), regularizers first."""
    entries = {f"{w}_regularizer": regularizers.serialize(getattr(layer, f"{w}_regularizer")) for w in weights}
    entries.update({f"{w}_constraint": constraints.serialize(getattr(layer, f"{w}_constraint")) for w in weights})
    return entries


def add_kernel_and_bias(layer, kernel_shape: tuple, units: int) -> None:
    """`layer.kernel` of kernel_shape and `layer.bias` of (units,) (None without use_bias), each with
    the layer's initializer, regularizer and constraint: what Dense and the convolutions build."""
    layer.kernel = layer.add_weight(
        shape=kernel_shape, initializer=layer.kernel_initializer, name="kernel", **weight_options(layer, "kernel")
    )
    layer.bias = None
    if layer.use_bias:
        layer.bias = layer.add_weight(
            shape=(units,), initializer=layer.bias_initializer, name="bias", **weight_options(layer, "bias")
        )


def set_kernel_bias_options(layer, use_bias, kernel_initializer, bias_initializer, kernel_regularizer=None,
                            bias_regularizer=None, kernel_constraint=None, bias_constraint=None) -> None:  # fmt: skip
    """Resolve and store what Dense and the convolutions take for their kernel and bias: use_bias and
    each weight's initializer, regularizer and constraint (add_kernel_and_bias builds with them)."""
    layer.use_bias = bool(use_bias)
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    set_weight_options(layer, "kernel", kernel_regularizer, kernel_constraint)
    set_weight_options(layer, "bias", bias_regularizer, bias_constraint)


def kernel_bias_config(layer) -> dict:
    """The config entries Keras writes for a kernel and bias: use_bias, initializers, regularizers, constraints."""
    return {
        "use_bias": layer.use_bias,
        "kernel_initializer": initializers.serialize(layer.kernel_initializer),
        "bias_initializer": initializers.serialize(layer.bias_initializer),
        **weight_options_config(layer, "kernel", "bias"),
    }


def add_gamma_and_beta(layer, shape: tuple, scale: bool, center: bool) -> None:
    """`layer.gamma` (if scale) then `layer.beta` (if center), of `shape`, else None, each with the
    layer's initializer, regularizer and constraint: what the normalization layers build."""
    layer.gamma = layer.beta = None
    if scale:
        layer.gamma = layer.add_weight(
            shape=shape, initializer=layer.gamma_initializer, name="gamma", **weight_options(layer, "gamma")
        )
    if center:
        layer.beta = layer.add_weight(
            shape=shape, initializer=layer.beta_initializer, name="beta", **weight_options(layer, "beta")
        )


def set_gamma_beta_options(layer, gamma_initializer, beta_initializer, gamma_regularizer=None,
                           beta_regularizer=None, gamma_constraint=None, beta_constraint=None) -> None:  # fmt: skip
    """Resolve and store a normalization layer's initializer, regularizer and constraint of gamma and beta."""
    layer.gamma_initializer = initializers.get(gamma_initializer)
    layer.beta_initializer = initializers.get(beta_initializer)
    set_weight_options(layer, "beta", beta_regularizer, beta_constraint)
    set_weight_options(layer, "gamma", gamma_regularizer, gamma_constraint)


def gamma_beta_config(layer) -> dict:
    """The config entries Keras writes for gamma and beta: initializers, regularizers, constraints."""
    return {
        "beta_initializer": initializers.serialize(layer.beta_initializer),
        "gamma_initializer": initializers.serialize(layer.gamma_initializer),
        **weight_options_config(layer, "beta", "gamma"),
    }
