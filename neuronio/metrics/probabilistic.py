"""The running means of the probabilistic and hinge losses: KLDivergence, Poisson, Hinge,
SquaredHinge and CategoricalHinge (Keras's metric classes of the same names)."""

from neuronio import losses
from neuronio.metrics.base import _Wrapped, registry


@registry.register("KLDivergence", "kl_divergence")
class KLDivergence(_Wrapped):
    """The running mean of sum(y_true * log(y_true / y_pred)) per sample."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(losses.kl_divergence, name=name, dtype=dtype)


@registry.register("Poisson", "poisson")
class Poisson(_Wrapped):
    """The running mean of mean(y_pred - y_true * log(y_pred)) per sample."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(losses.poisson, name=name, dtype=dtype)


@registry.register("Hinge", "hinge")
class Hinge(_Wrapped):
    """The running mean of mean(max(1 - y_true * y_pred, 0)) per sample (0/1 labels become -1/1)."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(losses.hinge, name=name, dtype=dtype)


@registry.register("SquaredHinge", "squared_hinge")
class SquaredHinge(_Wrapped):
    """The running mean of mean(max(1 - y_true * y_pred, 0)^2) per sample."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(losses.squared_hinge, name=name, dtype=dtype)


@registry.register("CategoricalHinge", "categorical_hinge")
class CategoricalHinge(_Wrapped):
    """The running mean of the categorical hinge loss per sample (one-hot labels)."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(losses.categorical_hinge, name=name, dtype=dtype)
