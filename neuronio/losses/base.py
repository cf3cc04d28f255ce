"""The Loss base class, the reduction of per-sample losses, the helpers every loss function shares,
and the registry's lookup and serialization (get, serialize, deserialize: LossFunctionWrapper uses
them, so they live here; neuronio.losses re-exports them).

A loss function takes `(y_true, y_pred)` and returns one loss per sample; a `Loss` object also
applies `sample_weight` and reduces to a scalar (`reduce_weighted_values`). Labels (`y_true`)
never receive a gradient. Only `y_pred` does.
"""

import inspect

import numpy as np

from neuronio import _lambdas, config, ops
from neuronio._registry import Registry, envelope, function_envelope, parts
from neuronio.autodiff.tensor import Tensor, as_array, as_tensor
from neuronio.errors import FileFormatError, ShapeError

registry = Registry("loss")

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


# -- helpers shared by the function forms ---------------------------------------------------------
def _prediction(y_pred) -> Tensor:
    """y_pred as a float Tensor (integer arrays become floatx)."""
    y_pred = as_tensor(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = Tensor(y_pred.data.astype(config.floatx()))
    return y_pred


def _labels(y_true) -> np.ndarray:
    """y_true as a plain array: labels are constants, so a Tensor's graph is cut here."""
    return y_true.data if isinstance(y_true, Tensor) else as_array(y_true)


def match_ranks(y_true, y_pred):
    """Keras's squeeze_or_expand_to_same_rank: fix a rank difference of one size-1 last axis.

    (N,) labels against (N, 1) predictions become (N, 1); (N, T, 1) predictions against (N, T)
    labels become (N, T). Works on arrays and Tensors alike (both reshape); losses and metrics share it.
    """
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        if y_pred.ndim == 1:
            y_pred = y_pred.reshape((*y_pred.shape, 1))
        else:
            y_true = y_true.reshape(y_true.shape[:-1])
    elif y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
        if y_true.ndim == 1:
            y_true = y_true.reshape((*y_true.shape, 1))
        else:
            y_pred = y_pred.reshape(y_pred.shape[:-1])
    return y_true, y_pred


def _dense_pair(who: str, y_true, y_pred, class_hint: bool = False) -> tuple[np.ndarray, Tensor]:
    """Labels and predictions of one shape, labels cast to the predictions' float dtype.

    class_hint: on a mismatch that looks like integer class ids, suggest the sparse loss.
    """
    y_pred = _prediction(y_pred)
    y_true, y_pred = match_ranks(_labels(y_true), y_pred)
    if y_true.shape != y_pred.shape:
        hint = ""
        looks_sparse = y_pred.ndim >= 1 and y_pred.shape[-1] > 1 and y_true.shape == y_pred.shape[:-1]
        if class_hint and looks_sparse:
            hint = (
                f" y_true looks like integer class ids for {y_pred.shape[-1]} classes: use "
                f"sparse_categorical_crossentropy, or one-hot encode them first "
                f"(neuronio.utils.to_categorical(y, {y_pred.shape[-1]}))."
            )
        raise ShapeError(
            f"{who}: y_true and y_pred must have the same shape, but received "
            f"y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}.{hint}"
        )
    return y_true.astype(y_pred.dtype, copy=False), y_pred


def _check_axis(who: str, axis, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -ndim <= axis < ndim:
        raise ValueError(f"{who}: `axis` must be an int in [{-ndim}, {ndim}); received axis={axis!r}.")
    return int(axis) % ndim


def _check_smoothing(who: str, label_smoothing) -> float:
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{who}: `label_smoothing` must be in [0, 1]; received label_smoothing={label_smoothing}.")
    return float(label_smoothing)


def _safe_sqrt(x: Tensor) -> Tensor:
    """sqrt(x) with gradient 0 (not inf or nan) where x == 0, i.e. at a perfect fit."""
    positive = x.data > 0
    return ops.where(positive, ops.sqrt(ops.where(positive, x, 1.0)), 0.0)


# -- reduction ------------------------------------------------------------------------------------
def standardize_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: expected one of {', '.join(map(repr, REDUCTIONS))}; "
            f"received reduction={reduction!r}."
        )
    return reduction


def apply_mask(sample_weight, mask, reduction="sum_over_batch_size", dtype="float32"):
    """Keras's apply_mask: a boolean mask over the losses (ignored labels, padded timesteps) as
    sample weights. Under a mean, valid entries weigh total/valid and masked ones 0, so the mean
    runs over the valid entries only; the mask multiplies any sample_weight given (a (N,) weight
    spreads over the mask's other axes).
    """
    if mask is None:
        return sample_weight
    mask = np.asarray(mask, dtype=bool)
    weights = mask.astype(dtype)
    if reduction in ("mean", "sum_over_batch_size") and mask.any():
        weights *= mask.size / mask.sum()
    if sample_weight is None:
        return weights
    given = np.asarray(_labels(sample_weight), dtype=weights.dtype)
    if given.ndim == weights.ndim + 1 and given.shape[-1] == 1:
        given = given.reshape(weights.shape)  # (N, 1) weights for (N,) losses
    given = given.reshape(given.shape + (1,) * (weights.ndim - given.ndim))  # (N,) -> (N, 1, ...)
    return given * weights


def reduce_weighted_values(values: Tensor, sample_weight=None, reduction="sum_over_batch_size") -> Tensor:
    """Weight per-sample losses and reduce them, as Keras's `reduce_weighted_values`.

    "sum": sum(w * loss); "sum_over_batch_size" and "mean": that sum / number of losses;
    "mean_with_sample_weight": that sum / sum(w); "none"/None: w * loss, unreduced.
    """
    reduction = standardize_reduction(reduction)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(_labels(sample_weight), dtype=values.dtype)
        weights, values = match_ranks(weights, values)
        try:
            np.broadcast_shapes(weights.shape, values.shape)
        except ValueError:
            raise ShapeError(
                f"sample_weight of shape {weights.shape} does not fit the per-sample losses of shape "
                f"{values.shape}: give one weight per sample."
            ) from None
        values = ops.multiply(values, weights)
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    divisor = float(values.size)
    if reduction == "mean_with_sample_weight" and weights is not None:
        divisor = float(np.sum(weights))
    # Keras divides "no nan": an empty or all-zero-weight batch has loss 0.
    return ops.divide(total, divisor) if divisor else ops.multiply(total, 0.0)


# -- classes --------------------------------------------------------------------------------------
class Loss:
    """Base class: `call` gives per-sample losses; `__call__` weights and reduces them.

    Args:
        name: name of the instance (the class's snake_case name by default).
        reduction: "sum_over_batch_size" (mean over all losses), "sum", "mean",
            "mean_with_sample_weight" (sum / sum of weights), or "none"/None (no reduction).
    """

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        self.name = name or config.snake_case(type(self).__name__)
        self.reduction = standardize_reduction(reduction)

    def __call__(self, y_true, y_pred, sample_weight=None) -> Tensor:
        """The reduced loss: a scalar Tensor, or per-sample losses for reduction "none"."""
        return reduce_weighted_values(self.call(y_true, _prediction(y_pred)), sample_weight, self.reduction)

    def call(self, y_true, y_pred) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred).")

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


@registry.register("LossFunctionWrapper")
class LossFunctionWrapper(Loss):
    """A Loss from a function `fn(y_true, y_pred, **kwargs)` returning per-sample losses."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        if isinstance(fn, (str, dict)):
            fn = get(fn)  # by call time the package has loaded every loss module
        if not callable(fn):
            raise TypeError(f"LossFunctionWrapper needs a callable fn; received {fn!r}.")
        super().__init__(name=name or config.snake_case(getattr(fn, "__name__", "loss")), reduction=reduction)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), "fn": serialize(self.fn), **self._fn_kwargs}


class _Wrapped(LossFunctionWrapper):
    """A Keras loss class: one loss function plus its keyword arguments (no `fn` in the config)."""

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}


# -- lookup and serialization (through the registry, which every loss module fills) ----------------


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


def serialize(loss) -> dict:
    """Keras's envelope: {"module", "class_name", "config", "registered_name"}.

    A loss function is saved as Keras saves one: class_name "function", config its name.
    """
    if _lambdas.is_lambda(loss):
        return _lambdas.envelope(loss)
    if inspect.isfunction(loss):
        name = registry.name_of(loss)
        if name is None:
            raise TypeError(f"Cannot serialize the loss function {loss!r}: only registered losses can be saved.")
        return function_envelope(name)
    name = registry.name_of(loss)
    if name is None or not isinstance(loss, Loss):
        raise TypeError(f"Cannot serialize loss {loss!r}: it is not a registered Loss or loss function.")
    return envelope("losses", name, loss.get_config())


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
    name, inner = parts(config_dict, "loss")
    cls = registry.lookup(name)
    if not (inspect.isclass(cls) and issubclass(cls, Loss)):
        return cls
    return cls.from_config(inner)
