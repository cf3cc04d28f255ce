"""Layers that merge several inputs into one: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot, and Keras's lowercase functional forms (`add([a, b])` is `Add()([a, b])`)."""

import functools

import numpy as np

from neuronio.autodiff.tensor import as_array
from neuronio.errors import ShapeError
from neuronio.layers.layer import Layer, registry
from neuronio.ops import add as _add
from neuronio.ops import concatenate as _concatenate
from neuronio.ops import matmul, normalize, transpose, where
from neuronio.ops import maximum as _maximum
from neuronio.ops import minimum as _minimum
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

    supports_masking = True

    def call(self, inputs, mask=None):
        inputs = list(inputs)
        if not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return self._merge(inputs)
        # Each mask (N, steps) -> (N, steps, features) of its input, True where the input holds data.
        held = [None if m is None else np.broadcast_to(as_array(m).astype(bool)[..., None], x.shape) for x, m in
                zip(inputs, mask)]  # fmt: skip
        return self._merge_held(inputs, held)

    def _merge_held(self, inputs, held):
        """The merge when some inputs have masks (None: every entry held); Add, Subtract and
        Average merge the values as they are, as Keras does."""
        return self._merge(inputs)

    def compute_output_shape(self, input_shape):
        self._check_inputs(input_shape)
        return tuple(input_shape[0])

    def compute_mask(self, inputs, mask=None):
        """Keras 3's merge rule: when every input has a mask, a step is kept where any input keeps
        it; an input without a mask holds every step, so then the output has no mask."""
        if not isinstance(mask, (list, tuple)) or any(m is None for m in mask):
            return None
        return np.logical_or.reduce([as_array(m).astype(bool) for m in mask])


def _extreme_of_held(op, inputs, held):
    """op (maximum or minimum) over the entries the inputs hold, folding left to right: an entry an
    input does not hold is replaced by the running result (or, until some input holds it, the
    running result by that input), so it never wins; an entry no input holds keeps inputs[0]'s value."""
    output, output_held = inputs[0], held[0]
    for x, x_held in zip(inputs[1:], held[1:]):
        if x_held is not None:
            x = where(x_held, x, output)
        if output_held is not None:
            output = where(output_held, output, x)
        output_held = None if x_held is None or output_held is None else output_held | x_held
        output = op(output, x)
    return output


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

    def _merge_held(self, inputs, held):
        # Entries an input does not hold count as 1, the product's identity; when every input has a
        # mask, entries no input holds are 0 (Keras's rule for masked outputs).
        ones = [x if h is None else where(h, x, np.ones((), x.dtype)) for x, h in zip(inputs, held)]
        output = functools.reduce(_multiply, ones)
        if all(h is not None for h in held):
            output = where(np.logical_or.reduce(held), output, np.zeros((), output.dtype))
        return output


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

    def _merge_held(self, inputs, held):
        return _extreme_of_held(_maximum, inputs, held)


@registry.register("Minimum")
class Minimum(_Merge):
    """The elementwise minimum of its inputs."""

    def _merge(self, inputs):
        return functools.reduce(_minimum, inputs)

    def _merge_held(self, inputs, held):
        return _extreme_of_held(_minimum, inputs, held)


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

    supports_masking = True

    def call(self, inputs):
        return _concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs, mask=None):
        """Keras 3's rule: each input's mask spread over its entries (an input without a mask holds
        them all) is concatenated like the inputs, then a position of the output's mask is kept where
        any of its last-axis entries is held. Along the time axis the step masks are joined; along
        the feature axis a step is kept where any input keeps it (every step, if one has no mask)."""
        if not isinstance(mask, (list, tuple)) or all(m is None for m in mask):
            return None
        if len(mask) != len(inputs):
            raise ValueError(
                f"Concatenate '{self.name}': {len(inputs)} inputs but {len(mask)} masks were given; pass one "
                f"mask (or None) per input."
            )
        held = []
        for x, m in zip(inputs, mask):
            shape = np.shape(as_array(x))
            if m is None:
                held.append(np.ones(shape, bool))
                continue
            m = as_array(m).astype(bool)
            held.append(np.broadcast_to(m[..., None], shape) if m.ndim < len(shape) else m)
        return np.concatenate(held, axis=self.axis).any(axis=-1)

    def compute_output_shape(self, input_shape):
        axis = self._check_inputs(input_shape)
        sizes = [s[axis] for s in input_shape]
        out = list(input_shape[0])
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@registry.register("Dot")
class Dot(Layer):
    """The dot product of two inputs along one axis each, sample by sample (Keras's batch dot).

        y[n, i..., j...] = sum over k of a[n, i..., k] * b[n, k, j...]   (k on the axes chosen)

    The output keeps a's other axes, then b's; two vectors per sample give (batch, 1).

    Args:
        axes: one int for both inputs, or (axis of a, axis of b); negative counts from the end;
            never the batch axis 0.
        normalize: first scale both inputs to unit L2 norm along those axes, so the product is
            the cosine similarity.

    >>> import numpy as np
    >>> Dot(axes=1)([np.ones((2, 3), "float32"), np.ones((2, 3), "float32")]).numpy().tolist()
    [[3.0], [3.0]]
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = [axes, axes] if _is_int(axes) else list(axes) if isinstance(axes, (list, tuple)) else None
        if pair is None or len(pair) != 2 or not all(_is_int(a) for a in pair):
            raise ValueError(
                f"Dot '{self.name}': `axes` must be an int or a list/tuple of 2 ints; received axes={axes!r}."
            )
        self.axes = int(axes) if _is_int(axes) else [int(a) for a in axes]
        self._pair = [int(a) for a in pair]
        self.normalize = bool(normalize)

    def _resolve(self, shapes) -> tuple[int, int]:
        """The two contracted axes as non-negative ints, after checking ranks and sizes."""
        if not isinstance(shapes, list) or len(shapes) != 2:
            count = len(shapes) if isinstance(shapes, list) else 1
            raise ValueError(f"Dot '{self.name}' takes a list of exactly 2 inputs, [a, b]; received {count} input(s).")
        resolved = []
        for i, (shape, axis) in enumerate(zip(shapes, self._pair)):
            rank = len(shape)
            if rank < 2 or not -rank <= axis < rank or axis % rank == 0:
                raise ShapeError(
                    f"Dot '{self.name}': axes={self.axes} must name a non-batch axis of each input; input {i} has "
                    f"shape {tuple(shape)}."
                )
            resolved.append(axis % rank)
        size_a, size_b = shapes[0][resolved[0]], shapes[1][resolved[1]]
        if size_a is not None and size_b is not None and size_a != size_b:
            raise ShapeError(
                f"Dot '{self.name}': the contracted axes must have the same size; input 0 has {size_a} on axis "
                f"{resolved[0]} (shape {tuple(shapes[0])}) but input 1 has {size_b} on axis {resolved[1]} "
                f"(shape {tuple(shapes[1])})."
            )
        return resolved[0], resolved[1]

    def build(self, input_shape):
        self._resolve(input_shape)

    def call(self, inputs):
        a, b = inputs
        axis_a, axis_b = self._resolve([a.shape, b.shape])
        if self.normalize:
            a, b = normalize(a, axis=axis_a), normalize(b, axis=axis_b)
        rest_a = [d for i, d in enumerate(a.shape) if i not in (0, axis_a)]
        rest_b = [d for i, d in enumerate(b.shape) if i not in (0, axis_b)]
        n, k = a.shape[0], a.shape[axis_a]
        order_a = [0, *[i for i in range(1, a.ndim) if i != axis_a], axis_a]
        order_b = [0, axis_b, *[i for i in range(1, b.ndim) if i != axis_b]]
        left = transpose(a, order_a).reshape(n, -1, k)  # (N, Pa, K)
        right = transpose(b, order_b).reshape(n, k, -1)  # (N, K, Pb)
        y = matmul(left, right)  # (N, Pa, Pb)
        return y.reshape(n, *rest_a, *rest_b) if rest_a or rest_b else y.reshape(n, 1)

    def compute_output_shape(self, input_shape):
        axis_a, axis_b = self._resolve(input_shape)
        a, b = input_shape
        rest = [d for i, d in enumerate(a) if i not in (0, axis_a)] + [
            d for i, d in enumerate(b) if i not in (0, axis_b)
        ]
        return (a[0], *rest) if rest else (a[0], 1)

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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


def minimum(inputs, **kwargs):
    """`Minimum(**kwargs)(inputs)`: the elementwise minimum of a list of tensors."""
    return Minimum(**kwargs)(inputs)


def dot(inputs, axes=-1, **kwargs):
    """`Dot(axes, **kwargs)(inputs)`: the per-sample dot product of two tensors along `axes`."""
    return Dot(axes=axes, **kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """`Concatenate(axis, **kwargs)(inputs)`: the inputs joined along `axis`."""
    return Concatenate(axis=axis, **kwargs)(inputs)
