"""Layers that merge several inputs into one: Add, Subtract, Multiply, Average, Maximum, Concatenate,
and Keras's lowercase functional forms (`add([a, b])` is `Add()([a, b])`)."""

import functools

from neuronio.errors import ShapeError
from neuronio.layers.layer import Layer, registry
from neuronio.ops import add as _add
from neuronio.ops import concatenate as _concatenate
from neuronio.ops import maximum as _maximum
from neuronio.ops import multiply as _multiply
from neuronio.ops import subtract as _subtract


class _Merge(Layer):
    """Elementwise merge of a list of inputs of the same shape."""

    def _check_inputs(self, shapes):
        if not isinstance(shapes, list) or len(shapes) < 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' merges a list of at least 2 inputs; "
                f"received {'a single input' if not isinstance(shapes, list) else f'{len(shapes)} input'}."
            )
        first = shapes[0]
        for i, shape in enumerate(shapes[1:], start=1):
            if len(shape) != len(first) or any(
                a is not None and b is not None and a != b for a, b in zip(shape[1:], first[1:])
            ):
                raise ShapeError(
                    f"{type(self).__name__} '{self.name}' needs inputs of the same shape; input 0 has "
                    f"shape {tuple(first)} but input {i} has shape {tuple(shape)}."
                )

    def build(self, input_shape):
        self._check_inputs(input_shape)

    def call(self, inputs):
        return self._merge(list(inputs))

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        return tuple(input_shape[0])


@registry.register("Add")
class Add(_Merge):
    """The elementwise sum of its inputs: Add()([a, b]) = a + b (ResNet's shortcut)."""

    def _merge(self, inputs):
        return functools.reduce(_add, inputs)


@registry.register("Subtract")
class Subtract(_Merge):
    """The difference of exactly two inputs: Subtract()([a, b]) = a - b."""

    def _check_inputs(self, shapes):
        if isinstance(shapes, list) and len(shapes) != 2:
            raise ValueError(
                f"Subtract '{self.name}' takes exactly 2 inputs, [a, b] for a - b; received {len(shapes)} inputs."
            )
        super()._check_inputs(shapes)

    def _merge(self, inputs):
        return _subtract(inputs[0], inputs[1])


@registry.register("Multiply")
class Multiply(_Merge):
    """The elementwise product of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(_multiply, inputs)


@registry.register("Average")
class Average(_Merge):
    """The elementwise mean of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(_add, inputs) * (1.0 / len(inputs))


@registry.register("Maximum")
class Maximum(_Merge):
    """The elementwise maximum of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(_maximum, inputs)


@registry.register("Concatenate")
class Concatenate(Layer):
    """Joins its inputs along `axis` (default: the last, i.e. channels or features)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_inputs(self, shapes):
        if not isinstance(shapes, list) or len(shapes) < 2:
            raise ValueError(f"Concatenate '{self.name}' joins a list of at least 2 inputs.")
        rank = len(shapes[0])
        if not -rank <= self.axis < rank:
            raise ShapeError(f"Concatenate '{self.name}': axis={self.axis} is out of range for inputs of rank {rank}.")
        axis = self.axis % rank
        for i, shape in enumerate(shapes):
            others = [d for a, d in enumerate(shape) if a not in (0, axis)]
            reference = [d for a, d in enumerate(shapes[0]) if a not in (0, axis)]
            if len(shape) != rank or any(x is not None and y is not None and x != y for x, y in zip(others, reference)):
                raise ShapeError(
                    f"Concatenate '{self.name}' needs inputs whose shapes match except along axis "
                    f"{self.axis}; input 0 has shape {tuple(shapes[0])} but input {i} has shape {tuple(shape)}."
                )
        return axis

    def build(self, input_shape):
        self._check_inputs(input_shape)

    def call(self, inputs):
        return _concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        axis = self._check_inputs(input_shape)
        sizes = [s[axis] for s in input_shape]
        out = list(input_shape[0])
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


# -- Keras's functional forms: build the layer and call it on the list of inputs --------------------------
def add(inputs, **kwargs):
    """`Add(**kwargs)(inputs)`: the elementwise sum of a list of tensors."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """`Subtract(**kwargs)(inputs)`: inputs[0] - inputs[1]."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """`Multiply(**kwargs)(inputs)`: the elementwise product of a list of tensors."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """`Average(**kwargs)(inputs)`: the elementwise mean of a list of tensors."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """`Maximum(**kwargs)(inputs)`: the elementwise maximum of a list of tensors."""
    return Maximum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """`Concatenate(axis, **kwargs)(inputs)`: the inputs joined along `axis`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
