"""Input/InputLayer, Dense, Activation and Identity."""

import numpy as np

from neuronio import activations
from neuronio.layers import legacy
from neuronio.layers.arguments import check_positive_int
from neuronio.layers.input_spec import InputSpec
from neuronio.layers.layer import Layer, registry

# Keras 2 kept Dropout, Flatten and Reshape in keras.layers.core; the decks import them from there.
from neuronio.layers.regularization import Dropout
from neuronio.layers.reshaping import Flatten, Reshape
from neuronio.layers.symbolic import Node, SymbolicTensor
from neuronio.layers.weight_options import add_kernel_and_bias, kernel_bias_config, set_kernel_bias_options
from neuronio.ops.linalg import linear, matmul


@registry.register("InputLayer")
class InputLayer(Layer):
    """The entry point of a model: it holds the shape of the data and does nothing else.

    Args:
        shape: shape of one sample, without the batch axis, e.g. (28, 28, 1).
        batch_size: optional fixed batch size.
        batch_shape: the full shape including the batch axis (instead of shape/batch_size).
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, batch_shape=None, name=None, sparse=None, **kwargs):
        kwargs.pop("input_shape", None)  # Keras 2 configs carry it alongside batch_shape
        legacy = kwargs.pop("batch_input_shape", None)
        super().__init__(name=name or None, dtype=dtype, **kwargs)
        if batch_shape is None:
            batch_shape = legacy
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer needs `shape` (one sample's shape, e.g. shape=(784,)).")
            if isinstance(shape, (int, np.integer)):
                shape = (shape,)
            batch_shape = (batch_size, *tuple(shape))
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.built = True
        tensor = SymbolicTensor(self.batch_shape, dtype=self.dtype, name=self.name)
        tensor.node = Node(self, [], [tensor], {})
        self._inbound_nodes.append(tensor.node)  # `self.output` is this tensor

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype, "sparse": False, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, batch_shape=None, name=None, sparse=None):  # noqa: N802
    """A symbolic input for a functional model: `x = Input(shape=(784,))` has shape (None, 784).

    >>> Input(shape=(28, 28, 1)).shape
    (None, 28, 28, 1)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, batch_shape=batch_shape, name=name)
    return layer.output


@registry.register("Dense")
class Dense(Layer):
    """Densely-connected layer: `outputs = activation(inputs @ kernel + bias)`.

    Args:
        units: size of the last output axis.
        activation: name ("relu"), callable, or None for linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer: name or Initializer.
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties added to the loss.
        kernel_constraint, bias_constraint: projections applied after each optimizer update.

    Input shape:  (batch, ..., input_dim)
    Output shape: (batch, ..., units)

    >>> Dense(3, activation="relu")(np.ones((2, 4), "float32")).shape
    (2, 3)
    """

    supports_masking = True  # passes a mask on unchanged, as in Keras

    def __init__(
        self,
        units=None,
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        units = legacy.dense_units(units, kwargs)
        if "init" in kwargs:
            kernel_initializer = legacy.renamed("Dense", "init", "kernel_initializer", kwargs.pop("init"))
        super().__init__(**kwargs)
        self.units = check_positive_int(f"Dense '{self.name}'", "units", units)
        self.activation = activations.get(activation)
        set_kernel_bias_options(self, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
                                bias_regularizer, kernel_constraint, bias_constraint)  # fmt: skip
        self.input_spec = InputSpec(min_ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"Dense '{self.name}': the last axis of the input must be known; received {input_shape}.")
        add_kernel_and_bias(self, (input_dim, self.units), self.units)
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs):
        if self.bias is None:
            return self.activation(matmul(inputs, self.kernel))  # (N, ..., D) @ (D, U) -> (N, ..., U)
        fused = activations.fusable(self.activation)  # "relu" rides in the op, else None
        y = linear(inputs, self.kernel, self.bias, activation=fused)  # (N, ..., D) @ (D, U) + (U,)
        return y if fused else self.activation(y)

    def compute_output_shape(self, input_shape):
        return activations.output_shape(self.activation, (*input_shape[:-1], self.units))

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            **kernel_bias_config(self),
        }


@registry.register("Activation")
class Activation(Layer):
    """Applies an activation function: `Activation("relu")`.

    Input shape: any.  Output shape: the same.
    """

    supports_masking = True  # passes a mask on unchanged, as in Keras

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return activations.output_shape(self.activation, input_shape)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


@registry.register("Identity")
class Identity(Layer):
    """Returns its input unchanged (a placeholder, e.g. where a model may or may not transform).

    Input shape: any.  Output shape: the same; a mask passes through.
    """

    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Identity", "Input", "InputLayer", "Reshape"]
