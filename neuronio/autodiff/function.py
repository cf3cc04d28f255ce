"""The contract every differentiable op follows: forward on arrays, backward on arrays.

A subclass implements

    forward(*arrays) -> array          saves exactly what backward needs (save_for_backward)
    backward(dy) -> grad or tuple      one gradient per forward input, each of that input's
                                       shape and dtype, or None where no gradient is needed

Non-tensor arguments (strides, axis, labels, masks) are constructor attributes. `apply` runs
forward and, while a GradientTape records and some input requires a gradient, links the output
to this op so that the tape can call backward later.
"""

import numpy as np

from neuronio import config
from neuronio.autodiff import tape as _tape
from neuronio.autodiff.tensor import Tensor, _nonfinite_message, as_array
from neuronio.errors import DTypeError, NumericsError

# The native float dtypes: a set lookup is the cheapest test of "a float array" in apply(), which
# runs once per op call (non-native byte orders fall through to the dtype's kind).
_FLOAT_DTYPES = frozenset(np.dtype(code) for code in "efdg")


class Function:
    """Base of every op class (`MatMulOp`, `Conv2DOp`, ...)."""

    # Set by apply(): the input Tensors (only when recording), which of them need a gradient,
    # and what forward saved.
    inputs: tuple = ()
    needs_input_grad: tuple = ()
    saved: tuple = ()

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    def save_for_backward(self, *values) -> None:
        self.saved = values

    @property
    def name(self) -> str:
        return type(self).__name__

    def apply(self, *inputs) -> Tensor:
        """Run forward on the inputs' arrays and link the output into the graph if recording."""
        # A plain loop, not comprehensions (each a function call in Python 3.11): this runs once per
        # op call, and inference of a small model is mostly such bookkeeping (single-image latency).
        tensors, arrays = inputs, []
        for x in inputs:
            if not isinstance(x, Tensor):  # an array or a number among the inputs: convert each such one once
                tensors = tuple(x if isinstance(x, Tensor) else Tensor(as_array(x)) for x in inputs)
                arrays = [t.data for t in tensors]
                break
            arrays.append(x.data)
        for array in arrays:
            if array.dtype not in _FLOAT_DTYPES and array.dtype.kind != "f":  # the set first: faster
                raise DTypeError(
                    f"{self.name} expects floating-point inputs, but received dtype "
                    f"{array.dtype} (shape {array.shape}). Cast first, e.g. "
                    f"x.astype('{config.floatx()}')."
                )
        if config.check_numerics():
            for array in arrays:
                if not np.isfinite(array).all():
                    raise NumericsError(_nonfinite_message(array, f"input of {self.name}"))
        needs = tuple([t.requires_grad for t in tensors]) if _tape.is_recording() else ()
        record = True in needs
        self.needs_input_grad = needs if record else ()
        y = self.forward(*arrays)
        if type(y) is not np.ndarray:
            # NumPy returns scalars, not 0-d arrays, from arithmetic on 0-d arrays.
            y = np.asarray(y)
        if not record:
            self.saved = ()
            return Tensor(y)
        self.inputs = tensors
        return Tensor(y, requires_grad=True, node=self)
