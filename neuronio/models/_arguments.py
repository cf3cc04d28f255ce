"""The scalar and weight arguments of fit, evaluate and the *_on_batch methods, checked before any work.

One function, `check_loop_arguments`, runs every check, so a careless call fails at once with the
argument, the value received and how to fix it, instead of a raw TypeError or ZeroDivisionError
deep in the loop, or a silent no-op (`epochs=-1`) or a wrong result (a negative `sample_weight`
makes the optimizer climb that sample's loss).

Error types follow Keras 3 where Keras raises (TypeError for a non-integer `epochs`, ValueError for
a bad `validation_freq` or `steps_per_epoch`); where Keras is silent (negative epochs or weights,
negative class ids in `class_weight`) neuronio raises ValueError.
"""

import numbers

import numpy as np

from neuronio.autodiff.tensor import array_of
from neuronio.errors import DTypeError, NumericsError
from neuronio.models.compile_metrics import data_of, log_value
from neuronio.models.streams import is_stream

_UNSET = object()
UNCHECKED = _UNSET  # pass as y= when a missing target is not an error (see Trainer._y_to_check)


def check_loop_arguments(
    who: str,
    *,
    y=_UNSET,
    epochs=_UNSET,
    initial_epoch=0,
    steps=None,
    validation_steps=None,
    validation_freq=1,
    class_weight=None,
    sample_weight=None,
    validation_data=None,
) -> None:
    """Raise TypeError/ValueError naming the first bad argument of `who` ("fit", "evaluate", ...).

    `steps` is fit's `steps_per_epoch` or evaluate's `steps`. Arguments a method does not take are
    left at their defaults, which pass.
    """
    steps_name = "steps_per_epoch" if who == "fit" else "steps"
    if y is None:
        raise ValueError(
            f"{who}: y is None, but the compiled loss compares the model's outputs with targets. "
            f"Pass the targets: model.{who}(x, y)."
        )
    if epochs is not _UNSET:
        _whole_number(who, "epochs", epochs, minimum=0, hint="(the index of the epoch to stop at)")
        _whole_number(who, "initial_epoch", initial_epoch, minimum=0, hint="(the epoch to start from)")
        if initial_epoch > epochs:
            raise ValueError(
                f"{who}: initial_epoch={initial_epoch} is past epochs={epochs}, so nothing would be trained. "
                f"`epochs` is the index of the last epoch, not a count from initial_epoch: pass "
                f"epochs={initial_epoch + epochs} to train {epochs} more."
            )
    for name, value in ((steps_name, steps), ("validation_steps", validation_steps)):
        if value is not None:
            _whole_number(who, name, value, minimum=1, hint="(or None for a whole pass over the data)")
    _check_validation_freq(who, validation_freq)
    if class_weight is not None:
        _check_class_weight(who, class_weight)
    if sample_weight is not None:
        _check_sample_weight(who, "sample_weight", sample_weight)
    if isinstance(validation_data, (tuple, list)) and len(validation_data) == 3 and validation_data[2] is not None:
        _check_sample_weight(who, "the sample_weight in validation_data", validation_data[2])


def validation_due(epoch: int, validation_freq) -> bool:
    """Whether to validate after `epoch` (0-based): every `validation_freq` epochs, or after the
    1-based epochs listed in it, as Keras does."""
    if isinstance(validation_freq, numbers.Integral):
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq


def _whole_number(who: str, name: str, value, minimum: int, hint: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{who}: {name} must be an int; received {name}={value!r} ({type(value).__name__}). "
            f"Pass a whole number, e.g. {name}={max(minimum, 1) + 2}."
        )
    if value < minimum:
        raise ValueError(f"{who}: {name} must be >= {minimum}{' ' + hint if hint else ''}; received {name}={value}.")


def _check_validation_freq(who: str, validation_freq) -> None:
    # Keras raises ValueError for every bad validation_freq (and ZeroDivisionError for 0, by accident).
    if isinstance(validation_freq, numbers.Integral) and not isinstance(validation_freq, bool):
        if validation_freq < 1:
            raise ValueError(
                f"{who}: validation_freq must be >= 1 (validate every N epochs); received "
                f"validation_freq={validation_freq}. Use validation_freq=1 to validate after every epoch."
            )
        return
    if isinstance(validation_freq, (list, tuple, set, frozenset, range)):
        bad = [e for e in validation_freq if isinstance(e, bool) or not isinstance(e, numbers.Integral) or e < 1]
        if not bad:
            return
        raise ValueError(
            f"{who}: validation_freq as a list names 1-based epochs to validate after; received "
            f"{bad[0]!r} in validation_freq={validation_freq!r}."
        )
    raise ValueError(
        f"{who}: validation_freq must be an int (every N epochs) or a list of epochs; received "
        f"validation_freq={validation_freq!r} ({type(validation_freq).__name__})."
    )


def _check_class_weight(who: str, class_weight) -> None:
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"{who}: class_weight must be a dict mapping class ids to weights, e.g. {{0: 1.0, 1: 5.0}}; "
            f"received {type(class_weight).__name__}."
        )
    for label, weight in class_weight.items():
        # A whole float (0.0, from np.unique of float labels) finds its class as Keras's lookup does.
        whole = isinstance(label, numbers.Integral) or (isinstance(label, numbers.Real) and float(label).is_integer())
        if isinstance(label, bool) or not whole or label < 0:
            raise ValueError(
                f"{who}: class_weight keys must be class ids (ints >= 0); received the key {label!r}. "
                f"Class ids are the integer labels, or the column of a one-hot label."
            )
        if isinstance(weight, bool) or not isinstance(weight, numbers.Real) or not np.isfinite(weight) or weight < 0:
            raise ValueError(
                f"{who}: class_weight[{label}] must be a finite number >= 0; received {weight!r}. "
                f"A negative weight would make training climb that class's loss."
            )


def _check_sample_weight(who: str, name: str, sample_weight) -> None:
    weights = np.asarray(array_of(sample_weight))
    if weights.dtype.kind not in "fiub":
        raise DTypeError(f"{who}: {name} must hold numbers; received dtype {weights.dtype}.")
    if weights.dtype.kind == "f" and not np.isfinite(weights).all():
        first = int(np.flatnonzero(~np.isfinite(weights.ravel()))[0])
        raise NumericsError(
            f"{who}: {name} holds NaN or infinity (first at flat index {first}); weights must be finite numbers >= 0."
        )
    if weights.size and weights.min() < 0:
        first = int(np.flatnonzero(weights.ravel() < 0)[0])
        raise ValueError(
            f"{who}: {name} must be >= 0, but received {float(weights.ravel()[first]):g} at flat index {first}. "
            f"A negative weight makes the optimizer climb that sample's loss; use 0 to ignore a sample."
        )


# -- fit/evaluate/predict's smaller arguments and results ----------------------------------------------
def count_samples(x) -> int:
    """The number of samples in a batch x (an array, or a nested list, tuple or dict of them)."""
    first = x
    while isinstance(first, (list, tuple, dict)):
        first = next(iter(first.values())) if isinstance(first, dict) else first[0]
    return len(data_of(first))


def pythonify(logs) -> dict:
    """A step's logs as {name: float or array} with sorted keys; nested dicts (compile_metrics) spread out."""
    flat = {}
    for key, value in (logs or {}).items():
        if isinstance(value, dict):
            flat.update(pythonify(value))
        else:
            flat[key] = log_value(value)
    return dict(sorted(flat.items()))


def to_numpy(outputs):
    if isinstance(outputs, (list, tuple)):
        return [np.asarray(data_of(o)) for o in outputs]
    return np.asarray(data_of(outputs))


def verbosity(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'; received verbose={verbose!r}.")
    return int(verbose)


def batch_size_arg(batch_size, who: str) -> int:
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"{who}: batch_size must be a positive int; received batch_size={batch_size!r}.")
    return int(batch_size)


def legacy_epochs(kwargs: dict, epochs):
    if "nb_epoch" in kwargs:
        from neuronio._legacy import renamed

        epochs = renamed("fit", "nb_epoch", "epochs", kwargs.pop("nb_epoch"))
    if kwargs:
        raise TypeError(f"fit got unexpected keyword arguments: {sorted(kwargs)}.")
    return epochs


def unpack_validation(validation_data):
    if is_stream(validation_data):
        return validation_data, None, None
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight); received "
            f"{type(validation_data).__name__} of length {len(validation_data) if hasattr(validation_data, '__len__') else '?'}."
        )
    x, y, *rest = validation_data
    return x, y, (rest[0] if rest else None)
