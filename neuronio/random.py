"""neuronio.random: Keras 3's `keras.random` (normal, uniform, truncated_normal, randint,
categorical, dropout, shuffle, gamma, beta, binomial, SeedGenerator).

Seeds work as in Keras:
- `seed=None` draws from the global generator, which `keras.utils.set_random_seed(s)` reseeds:
  every call gives new numbers, and the whole sequence repeats after reseeding;
- `seed=<int>` gives the same numbers at every call with that int;
- `seed=SeedGenerator(...)` gives new numbers at every call, the sequence fixed by the
  generator's own seed (its state is [seed, counter], as Keras's).
The same seed gives the same numbers in neuronio, run after run; they are not the numbers
Keras's backends draw (each backend has its own generator: Keras on torch and on jax disagree
too), so bitwise equality with Keras's streams is not a goal.
"""

import numpy as np

from neuronio import config, ops
from neuronio.autodiff.tensor import Tensor, Variable, as_tensor


class SeedGenerator:
    """A seed whose state advances at every draw, so each call gives fresh, reproducible numbers.

    >>> gen = SeedGenerator(42)
    >>> bool((normal((2,), seed=gen).numpy() != normal((2,), seed=gen).numpy()).all())
    True
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(config.rng().integers(0, 2**31 - 1))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"SeedGenerator: seed must be a non-negative int or None; received seed={seed!r}.")
        self._initial_seed = int(seed)
        self.name = name or config.unique_name("seed_generator")
        self.state = Variable(np.array([int(seed), 0], dtype=np.int64), name="seed_generator_state", trainable=False)

    def next(self, ordered=True) -> np.random.Generator:
        """A NumPy generator for the current state; the counter then moves on."""
        seed, counter = (int(v) for v in self.state.data)
        self.state.data[1] += 1
        return np.random.default_rng([seed, counter])

    def get_config(self) -> dict:
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config_dict):
        return cls(**config_dict)


def _rng(seed) -> np.random.Generator:
    if seed is None:
        return config.rng()
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"seed must be None, an int, or a keras.random.SeedGenerator; received {type(seed).__name__}. "
            f"Create one generator, gen = SeedGenerator(1337), and pass seed=gen at every call."
        )
    return np.random.default_rng(int(seed))


def _float_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype or config.floatx())
    if dtype.kind != "f":
        raise ValueError(f"This draw gives floats; received dtype={dtype.name}. Use randint for integers.")
    return dtype


def _shape(shape) -> tuple:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Draws from N(mean, stddev^2)."""
    values = _rng(seed).normal(float(mean), float(stddev), _shape(shape))
    return Tensor(values.astype(_float_dtype(dtype)))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None) -> Tensor:
    """Draws from U[minval, maxval)."""
    values = _rng(seed).uniform(float(minval), float(maxval), _shape(shape))
    return Tensor(values.astype(_float_dtype(dtype)))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None) -> Tensor:
    """Draws from N(mean, stddev^2), redrawing any beyond two standard deviations (as Keras)."""
    rng = _rng(seed)
    values = rng.standard_normal(_shape(shape))
    outside = np.abs(values) > 2.0
    while outside.any():  # each pass redraws the ~4.6% outside, so a few passes suffice
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return Tensor((values * float(stddev) + float(mean)).astype(_float_dtype(dtype)))


def randint(shape, minval, maxval, dtype="int32", seed=None) -> Tensor:
    """Integers drawn uniformly from [minval, maxval)."""
    return Tensor(_rng(seed).integers(int(minval), int(maxval), _shape(shape)).astype(dtype))


def categorical(logits, num_samples, dtype="int32", seed=None) -> Tensor:
    """`num_samples` class indices per row, drawn with probabilities softmax(logits[row])."""
    logits = np.asarray(as_tensor(logits).data, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"categorical expects logits of shape (batch, classes); received shape {logits.shape}.")
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    cumulative = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)  # (N, K)
    u = _rng(seed).random((logits.shape[0], int(num_samples)))  # (N, S)
    picks = (u[:, :, None] >= cumulative[:, None, :-1]).sum(axis=-1)  # how many thresholds u passed
    return Tensor(picks.astype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None) -> Tensor:
    """Zero a fraction `rate` of the inputs and scale the rest by 1 / (1 - rate)."""
    return ops.dropout(inputs, rate, noise_shape=noise_shape, rng=_rng(seed))


def shuffle(x, axis=0, seed=None) -> Tensor:
    """x with its entries permuted along `axis` (differentiable: a take)."""
    x = as_tensor(x)
    order = _rng(seed).permutation(x.shape[axis])
    return ops.take(x, order, axis=axis)


def gamma(shape, alpha, dtype=None, seed=None) -> Tensor:
    """Draws from Gamma(alpha, 1)."""
    return Tensor(_rng(seed).gamma(float(alpha), 1.0, _shape(shape)).astype(_float_dtype(dtype)))


def beta(shape, alpha, beta, dtype=None, seed=None) -> Tensor:
    """Draws from Beta(alpha, beta)."""
    return Tensor(_rng(seed).beta(float(alpha), float(beta), _shape(shape)).astype(_float_dtype(dtype)))


def binomial(shape, counts, probabilities, dtype=None, seed=None) -> Tensor:
    """Draws from Binomial(counts, probabilities), as floats (Keras's default dtype)."""
    values = _rng(seed).binomial(np.asarray(counts), np.asarray(probabilities), _shape(shape))
    return Tensor(values.astype(_float_dtype(dtype)))


__all__ = [
    "SeedGenerator",
    "beta",
    "binomial",
    "categorical",
    "dropout",
    "gamma",
    "normal",
    "randint",
    "shuffle",
    "truncated_normal",
    "uniform",
]
