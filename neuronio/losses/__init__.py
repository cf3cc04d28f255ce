"""Losses with Keras 3's names, arguments, formulas and reductions; class and function forms.

A loss function takes `(y_true, y_pred)` and returns one loss per sample (the last axis is
averaged or summed away); a `Loss` object also applies `sample_weight` and reduces to a scalar:

    >>> import numpy as np
    >>> y_true = np.array([[0.0, 1.0], [1.0, 0.0]], dtype="float32")
    >>> y_pred = np.array([[0.1, 0.9], [0.6, 0.4]], dtype="float32")
    >>> mean_squared_error(y_true, y_pred).numpy()
    array([0.01, 0.16], dtype=float32)
    >>> round(float(MeanSquaredError()(y_true, y_pred)), 6)
    0.085

Modules: `base` (Loss, reduction, shared checks), `crossentropy` (Keras's clipping and the fused
from-logits path), `regression`, `probabilistic` (KL divergence, Poisson, the hinge family).

Labels (`y_true`) never receive a gradient. Only `y_pred` does.
"""

import inspect

from neuronio import _lambdas, ops
from neuronio.errors import FileFormatError
from neuronio.losses.base import (
    REDUCTIONS,  # noqa: F401 (module attributes before the split)
    Loss,
    LossFunctionWrapper,
    apply_mask,  # noqa: F401 (the trainer masks padded timesteps with it)
    reduce_weighted_values,
    registry,
    standardize_reduction,  # noqa: F401
)
from neuronio.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from neuronio.losses.probabilistic import (
    KLD,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SquaredHinge,
    categorical_hinge,
    hinge,
    kl_divergence,
    kld,
    poisson,
    squared_hinge,
)
from neuronio.losses.regression import (
    MAE,
    MAPE,
    MSE,
    MSLE,
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
    RootMeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mae,
    mape,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    root_mean_squared_error,
    root_mean_squared_logarithmic_error,
)

# Classes Keras ships; others are neuronio's own and are saved with registered_name "neuronio>...".
_KERAS_CLASSES = {
    "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "MeanSquaredLogarithmicError",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy", "KLDivergence", "Poisson",
    "Hinge", "SquaredHinge", "CategoricalHinge", "Huber", "LogCosh", "CosineSimilarity", "MeanAbsolutePercentageError",
}  # fmt: skip


# -- lookup and serialization ---------------------------------------------------------------------
def get(identifier):
    """A loss from a name, a config dict, a Loss class or instance, or a function.

    Names resolve as in Keras: snake_case names ("categorical_crossentropy", "mse") give the
    function, class names ("CategoricalCrossentropy") an instance. neuronio's root losses
    ("rmse", "rmsle", ...) always give the class, because their root is taken after the batch
    average. None gives None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    obj = registry.lookup(identifier) if isinstance(identifier, str) else identifier
    if inspect.isclass(obj) and issubclass(obj, Loss):
        return obj()
    if callable(obj):
        return obj
    raise TypeError(f"Cannot interpret {identifier!r} as a loss: give a name, a Loss, or a function (y_true, y_pred).")


def resolve(identifier, y_true_shape, y_pred_shape) -> Loss:
    """The Loss object `compile(loss=identifier)` trains with (Keras's compile_utils.get_loss).

    "crossentropy"/"ce" pick binary, sparse or categorical cross-entropy from the shapes
    (binary when y_pred's last axis is 1; sparse when y_true has lower rank, or a last axis of 1
    against several classes). Functions are wrapped in a LossFunctionWrapper named after the
    string the user wrote.
    """
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = _binary_or_sparse(tuple(y_true_shape), tuple(y_pred_shape))
        fn = (
            binary_crossentropy
            if is_binary
            else sparse_categorical_crossentropy
            if is_sparse
            else categorical_crossentropy
        )
    else:
        fn = get(identifier)
    if isinstance(fn, Loss):
        return fn
    name = identifier if isinstance(identifier, str) else None
    return LossFunctionWrapper(fn, name=name)


def _binary_or_sparse(y_true_shape: tuple, y_pred_shape: tuple) -> tuple[bool, bool]:
    """Keras's is_binary_or_sparse_categorical, shared with metrics' "accuracy" resolution.

    One difference: predictions of shape (N,) (one score per sample) count as binary. Keras 3
    reads their last axis, N, as classes and takes an argmax across the batch.
    """
    true_last = y_true_shape[-1] if y_true_shape else 1
    pred_last = y_pred_shape[-1] if y_pred_shape else 1
    is_binary = pred_last == 1 or len(y_pred_shape) <= 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (true_last == 1 and pred_last > 1)
    return is_binary, is_sparse


def serialize(loss) -> dict:
    """Keras's envelope: {"module", "class_name", "config", "registered_name"}.

    A loss function is saved as Keras saves one: class_name "function", config its name.
    """
    if _lambdas.is_lambda(loss):
        return {"class_name": "__lambda__", "config": {"value": _lambdas.dump(loss)}}
    if inspect.isfunction(loss):
        name = registry.name_of(loss)
        if name is None:
            raise TypeError(f"Cannot serialize the loss function {loss!r}: only registered losses can be saved.")
        return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}
    name = registry.name_of(loss)
    if name is None or not isinstance(loss, Loss):
        raise TypeError(f"Cannot serialize loss {loss!r}: it is not a registered Loss or loss function.")
    keras_class = name in _KERAS_CLASSES
    return {
        "module": "keras.losses" if keras_class else "neuronio.losses",
        "class_name": name,
        "config": loss.get_config(),
        "registered_name": None if keras_class else f"neuronio>{name}",
    }


def deserialize(config_dict):
    """The inverse of serialize; also accepts a plain name. Resolves only through the registry."""
    if isinstance(config_dict, str):
        return get(config_dict)
    if not isinstance(config_dict, dict) or "class_name" not in config_dict:
        raise FileFormatError(
            f"A serialized loss must be a name or a dict with 'class_name'; received {config_dict!r}."
        )
    class_name = config_dict["class_name"]
    if class_name == "function":
        return registry.lookup(config_dict.get("config"))
    if class_name == "__lambda__":
        return _lambdas.load(config_dict.get("config"), "a lambda loss", ops)
    cls = registry.lookup(class_name)
    if not (inspect.isclass(cls) and issubclass(cls, Loss)):
        return cls
    return cls.from_config(dict(config_dict.get("config") or {}))


__all__ = [
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLD",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "RootMeanSquaredError",
    "RootMeanSquaredLogarithmicError",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "kld",
    "log_cosh",
    "mae",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "reduce_weighted_values",
    "registry",
    "resolve",
    "root_mean_squared_error",
    "root_mean_squared_logarithmic_error",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]
