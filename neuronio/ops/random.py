"""Random ops: dropout, drawing from the one seeded generator of `neuronio.config`.

`neuronio.utils.set_random_seed(s)` (or `config.set_random_seed`) reseeds that generator, so a
run repeats exactly; an explicit `rng` (a `np.random.Generator`) takes its place, e.g. for a
Dropout layer built with its own seed.
"""

import numpy as np

from neuronio import config
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError


class DropoutOp(Function):
    """y = x * mask,  dx = dy * mask,  mask = keep / (1 - rate) with keep ~ Bernoulli(1 - rate).

    The mask is drawn by the public function and given to the constructor, so forward and
    backward use the same one; it has the noise shape and broadcasts over x.
    """

    def __init__(self, mask: np.ndarray):
        self.mask = mask  # noise_shape, x's dtype: 0 or 1 / (1 - rate)

    def forward(self, x):
        return x * self.mask

    def backward(self, dy):
        return dy * self.mask  # the mask broadcasts to dy's shape, which is x's


def _noise_shape(x_shape: tuple, noise_shape) -> tuple:
    """Resolve None entries to x's sizes and check the shape broadcasts to x."""
    if noise_shape is None:
        return x_shape
    noise_shape = tuple(noise_shape)
    if len(noise_shape) != len(x_shape):
        raise ShapeError(
            f"dropout: noise_shape must have one entry per axis of x ({len(x_shape)}); "
            f"received noise_shape={noise_shape} for x.shape={x_shape}."
        )
    resolved = tuple(s if d is None else int(d) for d, s in zip(noise_shape, x_shape, strict=True))
    if any(d not in (1, s) for d, s in zip(resolved, x_shape, strict=True)):
        raise ShapeError(
            f"dropout: each noise_shape entry must be 1, None or x's size on that axis; received "
            f"noise_shape={noise_shape} for x.shape={x_shape}. E.g. (batch, 1, 1, channels) drops whole "
            f"feature maps."
        )
    return resolved


def dropout(x, rate: float, noise_shape=None, rng: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout: zero a random fraction `rate` of x and scale the rest by 1 / (1 - rate).

    The expected value of each unit is unchanged, so nothing needs rescaling at inference.

    Args:
        x: any shape, float.
        rate: fraction of units to drop, in [0, 1) (Keras's meaning, not a keep probability).
        noise_shape: shape of the random mask, broadcast over x; entries are 1, None (x's size)
            or x's size. None means x.shape (an independent draw per unit).
        rng: a `np.random.Generator`; by default `neuronio.config.rng()`, seeded by set_random_seed.

    Returns:
        Tensor of x's shape and dtype. With rate=0, x itself (nothing is drawn).

    >>> import numpy as np
    >>> y = dropout(np.ones((2, 4), "float32"), 0.5, rng=np.random.default_rng(0))
    >>> sorted(set(y.numpy().ravel().tolist()))
    [0.0, 2.0]
    """
    x = as_tensor(x)
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0 <= rate < 1:
        raise ValueError(
            f"dropout: `rate` is the fraction of units to drop and must be a number in [0, 1); received "
            f"rate={rate!r}. (A keep probability p corresponds to rate = 1 - p.)"
        )
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"dropout: `rng` must be a numpy.random.Generator or None; received {type(rng).__name__}. "
            f"Use np.random.default_rng(seed)."
        )
    shape = _noise_shape(x.shape, noise_shape)
    if rate == 0:
        return x
    rng = config.rng() if rng is None else rng
    # float32 uniforms are half the memory traffic of float64; P(u >= rate) = 1 - rate.
    keep = rng.random(shape, dtype=np.float32) >= rate
    mask = keep.astype(x.dtype) * (1.0 / (1.0 - float(rate)))  # noise_shape, x's dtype
    return DropoutOp(mask).apply(x)
