"""neuronio.backend: Keras 3's `keras.backend` names (epsilon, floatx, image_data_format,
clear_session, backend, is_keras_tensor, standardize_dtype, result_type, get_uid, ...).

The settings themselves live in `neuronio.config` (the only globals, STYLE C12); this module is
the namespace Keras programs reach them by.
"""

import numpy as np

from neuronio.config import (
    backend,
    clear_session,
    epsilon,
    floatx,
    get_uid,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from neuronio.ops import _symbolic

_PYTHON_TYPES = {float: "float32", int: "int32", bool: "bool"}


def is_keras_tensor(x) -> bool:
    """Whether x is a symbolic tensor (from `Input()` or a layer called on one)."""
    return _symbolic.is_symbolic(x) and not isinstance(x, (list, tuple, dict))


def standardize_dtype(dtype=None) -> str:
    """A dtype as Keras names it: None -> floatx, Python float -> 'float32', np/str dtypes by name."""
    if dtype is None:
        return floatx()
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    if dtype == "float":  # Keras refuses the bare word too
        raise ValueError("Invalid dtype: float. Name the width, e.g. 'float32'.")
    try:
        return np.dtype(getattr(dtype, "name", dtype)).name
    except TypeError:
        raise ValueError(f"Invalid dtype: {dtype!r}.") from None


def is_float_dtype(dtype) -> bool:
    return np.dtype(standardize_dtype(dtype)).kind == "f"


def is_int_dtype(dtype) -> bool:
    return np.dtype(standardize_dtype(dtype)).kind in "iu"


def result_type(*dtypes) -> str:
    """The dtype an op on these dtypes gives, by Keras's rule: ints meeting floats give the
    float (int32 + float32 -> float32, where NumPy would say float64)."""
    names = [standardize_dtype(d) for d in dtypes] or [floatx()]
    floats = [n for n in names if np.dtype(n).kind == "f"]
    if floats:
        return np.result_type(*floats).name
    return np.result_type(*names).name


__all__ = [
    "backend",
    "clear_session",
    "epsilon",
    "floatx",
    "get_uid",
    "image_data_format",
    "is_float_dtype",
    "is_int_dtype",
    "is_keras_tensor",
    "result_type",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
    "standardize_dtype",
]
