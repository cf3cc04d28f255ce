"""Layers that merge several inputs into one: Add, Multiply, Average, Maximum, Concatenate."""

import functools

from neuronio.errors import ShapeError
from neuronio.layers.layer import Layer, registry
from neuronio.ops import add, concatenate, maximum, multiply


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
        return functools.reduce(add, inputs)


@registry.register("Multiply")
class Multiply(_Merge):
    """The elementwise product of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(multiply, inputs)


@registry.register("Average")
class Average(_Merge):
    """The elementwise mean of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(add, inputs) * (1.0 / len(inputs))


@registry.register("Maximum")
class Maximum(_Merge):
    """The elementwise maximum of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(maximum, inputs)


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
        return concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        axis = self._check_inputs(input_shape)
        sizes = [s[axis] for s in input_shape]
        out = list(input_shape[0])
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
