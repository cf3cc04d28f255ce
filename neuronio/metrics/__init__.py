"""Metrics with Keras 3's names, formulas and running-mean semantics, computed on NumPy arrays.

A metric is stateful: `update_state(y_true, y_pred, sample_weight=None)` adds a batch,
`result()` returns the value so far, `reset_state()` starts over. Every mean is per sample, so a
short last batch counts by its size:

    >>> m = BinaryAccuracy()
    >>> m.update_state([[1], [0], [1]], [[0.9], [0.2], [0.3]])   # 2 of 3 right
    >>> m.update_state([[0]], [[0.4]])                           # 1 of 1 right
    >>> m.result()
    0.75

Metrics never record on a GradientTape: they read `Tensor.data` and work on plain arrays.
"accuracy"/"acc" in `compile` mean binary, categorical or sparse categorical accuracy depending on
the label and prediction shapes; `resolve` makes that choice, as Keras 3's compile does.
"""

import inspect

from neuronio import _lambdas, losses, ops
from neuronio._registry import envelope, parts
from neuronio.errors import FileFormatError
from neuronio.metrics.accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from neuronio.metrics.base import (
    Mean,
    MeanMetricWrapper,
    Metric,
    Sum,
    _function,
    _serialize_function,
    registry,
)
from neuronio.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from neuronio.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from neuronio.metrics.fscore_iou import F1Score, FBetaScore
from neuronio.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from neuronio.metrics.operating_point import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from neuronio.metrics.probabilistic import CategoricalHinge, Hinge, KLDivergence, Poisson, SquaredHinge
from neuronio.metrics.regression import (
    MAE,
    MSE,
    MSLE,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    R2Score,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    mae,
    mean_absolute_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
)

# Keras's keras.metrics exposes these loss functions themselves (the same objects as in keras.losses).
binary_crossentropy = losses.binary_crossentropy
binary_focal_crossentropy = losses.binary_focal_crossentropy
categorical_crossentropy = losses.categorical_crossentropy
categorical_focal_crossentropy = losses.categorical_focal_crossentropy
sparse_categorical_crossentropy = losses.sparse_categorical_crossentropy
categorical_hinge = losses.categorical_hinge
hinge = losses.hinge
squared_hinge = losses.squared_hinge
huber = losses.huber
kl_divergence = losses.kl_divergence
log_cosh = losses.log_cosh
mean_absolute_percentage_error = losses.mean_absolute_percentage_error
poisson = losses.poisson


# -- lookup, "accuracy" resolution, serialization -------------------------------------------------
def get(identifier):
    """A Metric from a name ("mse", "binary_accuracy", "CategoricalAccuracy"), a config dict, a
    Metric class or instance, or a function (returned as is). None gives None.

    "acc" (and "accuracy" in compile) depend on the data's shapes: use `resolve` for them.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier.lower() == "acc":
            raise ValueError(
                "The metric 'acc' means binary, categorical or sparse categorical accuracy depending on the "
                "labels' and predictions' shapes: call metrics.resolve('acc', y_true_shape, y_pred_shape), or "
                "name the metric (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy)."
            )
        identifier = registry.lookup(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        required = [
            p.name
            for p in inspect.signature(identifier.__init__).parameters.values()
            if p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"
        ]
        if required:
            raise ValueError(
                f"The metric {identifier.__name__} needs {', '.join(required)}: pass an instance, e.g. "
                f"metrics=[{identifier.__name__}({required[0]}=...)], not its name."
            )
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Cannot interpret {identifier!r} as a metric: give a name, a Metric, or a function.")


def resolve(identifier, y_true_shape, y_pred_shape) -> Metric:
    """The Metric that `compile(metrics=[identifier])` tracks, as Keras 3's compile_utils.get_metric.

    "accuracy"/"acc" (any case) become, from the shapes alone:
      - BinaryAccuracy (threshold 0.5) when y_pred's last axis is 1;
      - else SparseCategoricalAccuracy when y_true has lower rank than y_pred, or a last axis of 1
        against several classes;
      - else CategoricalAccuracy.
    Keras 3 ignores the loss here (Keras 2.2 looked at it): binary_crossentropy over several
    sigmoid outputs still gives CategoricalAccuracy. A string's metric is named exactly as
    written (the log key: "acc", "mse"); a function is wrapped and named after it.
    """
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        is_binary, is_sparse = losses.binary_or_sparse(tuple(y_true_shape), tuple(y_pred_shape))
        cls = BinaryAccuracy if is_binary else SparseCategoricalAccuracy if is_sparse else CategoricalAccuracy
        return cls(name=identifier)
    metric = get(identifier)
    if metric is None:
        raise ValueError("Expected a metric; received None.")
    if not isinstance(metric, Metric):
        metric = MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def serialize(metric) -> dict:
    """Keras's envelope: {"module", "class_name", "config", "registered_name"}."""
    if inspect.isfunction(metric):
        return _serialize_function(metric)
    name = registry.name_of(metric)
    if name is None or not isinstance(metric, Metric):
        raise TypeError(f"Cannot serialize metric {metric!r}: it is not a registered Metric or metric function.")
    return envelope("metrics", name, metric.get_config())


def deserialize(config_dict):
    """The inverse of serialize; also accepts a name. Resolves only through the registry."""
    if isinstance(config_dict, str):
        return get(config_dict)
    if not isinstance(config_dict, dict) or "class_name" not in config_dict:
        raise FileFormatError(
            f"A serialized metric must be a name or a dict with 'class_name'; received {config_dict!r}."
        )
    if config_dict["class_name"] == "function":
        return _function(config_dict)
    if config_dict["class_name"] == "__lambda__":
        return _lambdas.load(config_dict.get("config"), "a lambda metric", ops)
    name, inner = parts(config_dict, "metric")
    return registry.lookup(name).from_config(inner)


__all__ = [
    "AUC",
    "Accuracy",
    "BinaryAccuracy",
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalAccuracy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "MAE",
    "MSE",
    "MSLE",
    "Mean",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanMetricWrapper",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Metric",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "Precision",
    "PrecisionAtRecall",
    "R2Score",
    "Recall",
    "RecallAtPrecision",
    "RootMeanSquaredError",
    "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "Sum",
    "TopKCategoricalAccuracy",
    "TrueNegatives",
    "TruePositives",
    "accuracy",
    "binary_accuracy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "concordance_correlation",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mae",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "pearson_correlation",
    "poisson",
    "registry",
    "resolve",
    "serialize",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]
