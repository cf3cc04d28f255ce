"""Checks of layer constructor arguments shared by many layers: positive ints, channels_last,
unsupported options left at 1, windows that fit their input, and 2-D padding pairs.

Each raises a ValueError (a ShapeError for a window too large) naming the layer, the argument and
the value received. They sit below every layer module, so core, convolutional, pooling, reshaping
and regularization all import them from here rather than from each other.
"""

import numpy as np

from neuronio.errors import ShapeError


def check_positive_int(owner: str, name: str, value) -> int:
    """`value` as an int, or a ValueError naming the layer and the argument."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be a positive int; received {name}={value!r}.")
    return int(value)


def check_channels_last(owner: str, data_format, layout: str = "NHWC", transpose: str = "(0, 2, 3, 1)") -> None:
    """Refuse channels_first, saying how to move the channels of `layout` data last."""
    if data_format not in (None, "channels_last"):
        first = layout[0] + layout[-1] + layout[1:-1]  # NHWC -> NCHW, NLC -> NCL
        raise ValueError(
            f"{owner}: only data_format='channels_last' ({layout}) is implemented; received "
            f"data_format={data_format!r}. Transpose {first} data with x.transpose{transpose}."
        )


def check_one(owner: str, name: str, value) -> None:
    if value not in (1, (1,), [1], (1, 1), [1, 1]):
        raise ValueError(f"{owner}: only {name}=1 is implemented; received {name}={value!r}.")


def check_window_fits(layer, input_shape, window, oh, ow) -> None:
    """A ShapeError naming the layer when its window is larger than the (padded) input."""
    if (oh is not None and oh <= 0) or (ow is not None and ow <= 0):
        raise ShapeError(
            f"Layer '{layer.name}' ({type(layer).__name__}): a {window[0]}x{window[1]} window does not fit "
            f"inputs of shape {tuple(input_shape)} with padding='{layer.padding}'; the output would be "
            f"empty. Use padding='same', a smaller window, or fewer pooling steps before this layer."
        )


def normalize_padding_pairs(padding, owner: str, name: str = "padding"):
    """ZeroPadding2D's padding (Cropping2D's cropping) as ((top, bottom), (left, right))."""
    try:
        if isinstance(padding, int):
            pairs = ((padding, padding), (padding, padding))
        elif len(padding) == 2 and all(isinstance(p, int) for p in padding):
            pairs = ((padding[0], padding[0]), (padding[1], padding[1]))
        else:
            pairs = tuple((int(a), int(b)) for a, b in padding)
    except (TypeError, ValueError):
        pairs = None
    if pairs is None or len(pairs) != 2 or any(v < 0 for pair in pairs for v in pair):
        raise ValueError(
            f"{owner}: `{name}` must be an int, (rows, cols) or ((top, bottom), (left, right)) of "
            f"non-negative ints; received {name}={padding!r}."
        )
    return pairs
