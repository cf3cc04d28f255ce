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
from-logits path), `focal` (focal and generalized cross-entropies), `regression`, `probabilistic`
(KL divergence, Poisson, the hinge family), `overlap` (Dice, Tversky), `circle` (metric
learning), `ctc` (label sequences).

Labels (`y_true`) never receive a gradient. Only `y_pred` does.
"""

from neuronio.losses.base import (
    REDUCTIONS,  # noqa: F401
    Loss,
    LossFunctionWrapper,
    apply_mask,  # noqa: F401 (the trainer masks padded timesteps with it)
    deserialize,
    get,
    reduce_weighted_values,
    registry,
    serialize,
    standardize_reduction,  # noqa: F401
)
from neuronio.losses.circle import Circle, circle
from neuronio.losses.crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from neuronio.losses.ctc import CTC, ctc
from neuronio.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
)
from neuronio.losses.overlap import Dice, Tversky, dice, tversky
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


# -- resolution for compile -----------------------------------------------------------------------
def resolve(identifier, y_true_shape, y_pred_shape) -> Loss:
    """The Loss object `compile(loss=identifier)` trains with (Keras's compile_utils.get_loss).

    "crossentropy"/"ce" pick binary, sparse or categorical cross-entropy from the shapes
    (binary when y_pred's last axis is 1; sparse when y_true has lower rank, or a last axis of 1
    against several classes). Functions are wrapped in a LossFunctionWrapper named after the
    string the user wrote.
    """
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = binary_or_sparse(tuple(y_true_shape), tuple(y_pred_shape))
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


def binary_or_sparse(y_true_shape: tuple, y_pred_shape: tuple) -> tuple[bool, bool]:
    """Keras's is_binary_or_sparse_categorical, shared with metrics' "accuracy" resolution.

    One difference: predictions of shape (N,) (one score per sample) count as binary. Keras 3
    reads their last axis, N, as classes and takes an argmax across the batch.
    """
    true_last = y_true_shape[-1] if y_true_shape else 1
    pred_last = y_pred_shape[-1] if y_pred_shape else 1
    is_binary = pred_last == 1 or len(y_pred_shape) <= 1
    is_sparse = len(y_true_shape) < len(y_pred_shape) or (true_last == 1 and pred_last > 1)
    return is_binary, is_sparse


__all__ = [
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CTC",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "CategoricalHinge",
    "Circle",
    "CosineSimilarity",
    "Dice",
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
    "Tversky",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "categorical_hinge",
    "circle",
    "cosine_similarity",
    "ctc",
    "deserialize",
    "dice",
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
    "tversky",
]
