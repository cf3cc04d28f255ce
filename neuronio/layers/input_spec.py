"""InputSpec: what a built layer accepts, and the one function that words shape errors."""

from neuronio.errors import ShapeError


class InputSpec:
    """Constraints on a layer's input: rank (`ndim`, `min_ndim`, `max_ndim`) and fixed axis sizes.

    Args:
        ndim: exact rank, batch axis included.
        min_ndim, max_ndim: bounds on the rank.
        axes: {axis: size} that must hold, e.g. {-1: 784} for a built Dense layer.
    """

    def __init__(self, ndim=None, min_ndim=None, max_ndim=None, axes=None):
        self.ndim = ndim
        self.min_ndim = min_ndim
        self.max_ndim = max_ndim
        self.axes = dict(axes or {})

    def __repr__(self) -> str:
        return f"InputSpec(ndim={self.ndim}, min_ndim={self.min_ndim}, max_ndim={self.max_ndim}, axes={self.axes})"


def _shape_str(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def expected_shape_str(spec: InputSpec) -> str:
    """The shape a spec asks for, with None for free axes: '(None, 784)', or '(None, ..., 784)'
    when only the rank's lower bound is fixed."""
    if spec.ndim is not None:
        dims = [None] * spec.ndim
        for axis, size in spec.axes.items():
            if -spec.ndim <= axis < spec.ndim:
                dims[axis] = size
        return _shape_str(dims)
    trailing = [spec.axes[a] for a in sorted(a for a in spec.axes if a < 0)]
    if not trailing:
        return f"rank >= {spec.min_ndim}" if spec.min_ndim else "any shape"
    return "(None, ..., " + ", ".join(str(d) for d in trailing) + ")"


def check_input(spec: InputSpec | None, shape: tuple, layer, index: int = 0) -> None:
    """Raise ShapeError naming the layer, what it expects and what it received."""
    if spec is None:
        return
    rank = len(shape)
    problem = None
    if spec.ndim is not None and rank != spec.ndim:
        problem = f"expected rank {spec.ndim} (shape {expected_shape_str(spec)})"
    elif spec.min_ndim is not None and rank < spec.min_ndim:
        problem = f"expected rank >= {spec.min_ndim} (shape {expected_shape_str(spec)})"
    elif spec.max_ndim is not None and rank > spec.max_ndim:
        problem = f"expected rank <= {spec.max_ndim}"
    else:
        for axis, size in spec.axes.items():
            if -rank <= axis < rank and shape[axis] is not None and shape[axis] != size:
                problem = f"expected axis {axis} to have size {size} (shape {expected_shape_str(spec)})"
                break
    if problem is None:
        return
    who = f"Input {index} of layer '{layer.name}' ({type(layer).__name__})"
    hint = ""
    if spec.axes.get(-1) is not None and rank > 2 and (spec.ndim == 2 or spec.min_ndim == 2):
        hint = " If these are images, add a Flatten layer before it."
    raise ShapeError(f"{who} is incompatible: {problem}, but received shape {_shape_str(shape)}.{hint}")


def is_shape_list(shape) -> bool:
    """True for a list of shapes ([(None, 3), (None, 3)]), False for one shape ((None, 3))."""
    return isinstance(shape, list) and (not shape or isinstance(shape[0], (tuple, list)))
