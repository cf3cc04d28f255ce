"""Weight initializers with Keras 3's names, defaults and formulas.

An initializer is called as `init(shape, dtype)` and returns a NumPy array. Random ones draw from
`config.rng()` (seeded by `utils.set_random_seed`), or from their own generator when given
`seed=`, in which case every call returns the same values, as in Keras.
"""

import math

import numpy as np

from neuronio import config
from neuronio._registry import Registry, envelope, from_envelope

registry = Registry("initializer")

# Keras draws its "normal" variance-scaling weights from a normal truncated at two standard
# deviations; dividing by the truncated normal's standard deviation keeps the variance exact.
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[float, float]:
    """(fan_in, fan_out) as Keras computes them; a conv kernel (KH, KW, C, F) has
    fan_in = KH*KW*C and fan_out = KH*KW*F. Given `input_axes` and `output_axes` (Keras 3.15's
    arguments, e.g. for an einsum kernel), the fans are the products of those axes' sizes."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        for axis in (*input_axes, *output_axes):
            if not -len(shape) <= axis < len(shape):
                raise ValueError(
                    f"input_axes={tuple(input_axes)} and output_axes={tuple(output_axes)} must be axes of the "
                    f"weight's shape {shape}; axis {axis} is not."
                )
        return float(math.prod(shape[a] for a in input_axes)), float(math.prod(shape[a] for a in output_axes))
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    receptive = math.prod(shape[:-2])
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


def _check_fan_axes(who: str, input_axes, output_axes):
    """Both None, or both sequences of ints (Keras reads them only together; one alone would be
    silently ignored there, so it is refused here)."""
    if (input_axes is None) != (output_axes is None):
        raise ValueError(
            f"{who}: give input_axes and output_axes together (or neither); received input_axes={input_axes!r}, "
            f"output_axes={output_axes!r}."
        )
    if input_axes is None:
        return None, None
    checked = []
    for name, axes in (("input_axes", input_axes), ("output_axes", output_axes)):
        if not isinstance(axes, (list, tuple)) or not all(
            isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes
        ):
            raise ValueError(f"{who}: {name} must be a list of ints; received {name}={axes!r}.")
        checked.append(list(int(a) for a in axes))
    return checked[0], checked[1]


class Initializer:
    """Base class: `__call__(shape, dtype)` returns an array; `get_config` its arguments."""

    def __call__(self, shape, dtype=None) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config_dict: dict):
        return cls(**config_dict)


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"{type(self).__name__}: seed must be an int or None; received seed={seed!r}.")
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        return config.rng() if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


def _float_dtype(dtype) -> np.dtype:
    return np.dtype(dtype or config.floatx())


def _normal(rng, shape, dtype) -> np.ndarray:
    """Standard normal samples drawn directly in float32 or float64 (float16 via float32)."""
    draw = np.float64 if _float_dtype(dtype) == np.float64 else np.float32
    return rng.standard_normal(shape, dtype=draw)


def _uniform(rng, shape, low, high, dtype) -> np.ndarray:
    """Uniform samples on [low, high), drawn directly in the weight's float type: drawing float64
    and casting takes about three times as long for a 25M-entry kernel (VGG19's fc1)."""
    draw = np.float64 if _float_dtype(dtype) == np.float64 else np.float32
    values = rng.random(shape, dtype=draw)
    values *= high - low
    values += low
    return values


def _truncated_normal(rng, shape, mean, stddev, dtype=None) -> np.ndarray:
    """Normal samples, redrawn until all lie within two standard deviations of the mean."""
    values = _normal(rng, shape, dtype)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = _normal(rng, int(outside.sum()), dtype)
        outside = np.abs(values) > 2
    values *= stddev
    values += mean
    return values


@registry.register("Zeros", "zeros", "zero")
class Zeros(Initializer):
    """All zeros (Keras's default for biases)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=dtype or config.floatx())


@registry.register("Ones", "ones", "one")
class Ones(Initializer):
    """All ones (Keras's default for BatchNormalization's gamma)."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=dtype or config.floatx())


@registry.register("Constant", "constant")
class Constant(Initializer):
    """Every entry equal to `value`."""

    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=dtype or config.floatx())

    def get_config(self):
        return {"value": self.value}


@registry.register("RandomNormal", "random_normal")
class RandomNormal(_Seeded):
    """Normal with the given mean and standard deviation."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        values = _normal(self._rng(), shape, dtype) * self.stddev + self.mean
        return values.astype(_float_dtype(dtype), copy=False)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@registry.register("RandomUniform", "random_uniform", "uniform")
class RandomUniform(_Seeded):
    """Uniform on [minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None):
        values = _uniform(self._rng(), shape, self.minval, self.maxval, dtype)
        return values.astype(_float_dtype(dtype), copy=False)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@registry.register("TruncatedNormal", "truncated_normal")
class TruncatedNormal(_Seeded):
    """Normal truncated at two standard deviations from the mean."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        values = _truncated_normal(self._rng(), shape, self.mean, self.stddev, dtype)
        return values.astype(_float_dtype(dtype), copy=False)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@registry.register("VarianceScaling", "variance_scaling")
class VarianceScaling(_Seeded):
    """Variance scale / n, n = fan_in, fan_out or their average (`mode`).

    distribution "truncated_normal": stddev sqrt(scale / n) / 0.8796 (truncated at 2 stddev);
    "untruncated_normal": stddev sqrt(scale / n); "uniform": limit sqrt(3 scale / n).
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(
        self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None, input_axes=None, output_axes=None
    ):
        super().__init__(seed)
        self.input_axes, self.output_axes = _check_fan_axes(type(self).__name__, input_axes, output_axes)
        if scale <= 0:
            raise ValueError(f"VarianceScaling: scale must be positive; received scale={scale}.")
        if mode not in self._MODES:
            raise ValueError(f"VarianceScaling: mode must be one of {self._MODES}; received mode={mode!r}.")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: distribution must be one of {self._DISTRIBUTIONS}; "
                f"received distribution={distribution!r}."
            )
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._rng()
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, dtype)
        elif self.distribution == "untruncated_normal":
            values = _normal(rng, shape, dtype) * math.sqrt(variance)
        else:
            limit = math.sqrt(3.0 * variance)
            values = _uniform(rng, shape, -limit, limit, dtype)
        return np.asarray(values).astype(_float_dtype(dtype), copy=False)

    def get_config(self):
        config_dict = {"scale": self.scale, "mode": self.mode, "distribution": self.distribution}
        return {**config_dict, **super().get_config(), **self._axes_config()}

    def _axes_config(self) -> dict:
        """Keras 3.15 writes input_axes/output_axes always (null by default); neuronio only when
        given, so its files stay readable by earlier Keras 3 releases."""
        return {} if self.input_axes is None else {"input_axes": self.input_axes, "output_axes": self.output_axes}


@registry.register("Identity", "identity", "IdentityInitializer")
class Identity(Initializer):
    """`gain` times the identity matrix (`np.eye(rows, cols)` for a non-square 2-D shape).

    Keras's own Identity leaves `gain` out of its config, so a gain other than 1 is lost in its
    files; neuronio writes it (Keras's constructor reads it back).
    """

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity: the identity matrix initializer can only be used for 2-D matrices; received "
                f"shape={shape} of rank {len(shape)}. Use it for a Dense kernel or another 2-D weight."
            )
        return self.gain * np.eye(*shape, dtype=_float_dtype(dtype))

    def get_config(self):
        return {"gain": self.gain}


@registry.register("Orthogonal", "orthogonal", "OrthogonalInitializer")
class Orthogonal(_Seeded):
    """A random orthogonal matrix (Saxe et al. 2014) times `gain`: Keras's default recurrent kernel.

    The shape is read as a matrix (prod(shape[:-1]), shape[-1]); the Q factor of a QR
    decomposition of a standard normal matrix, signs fixed by R's diagonal so that Q is uniform
    over orthogonal matrices, gives orthonormal rows or columns (whichever are fewer).
    """

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal: the shape must have at least 2 axes; received shape={shape}. Use another "
                f"initializer for biases and other vectors."
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._rng().standard_normal((max(rows, cols), min(rows, cols)))  # float64 for the QR
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))  # Haar-uniform: fix each column's sign
        if rows < cols:
            q = q.T
        return np.ascontiguousarray((self.gain * q).reshape(shape), dtype=_float_dtype(dtype))

    def get_config(self):
        return {"seed": self.seed, "gain": self.gain}


def _preset(class_name, alias, scale, mode, distribution, doc):
    class Preset(VarianceScaling):
        __doc__ = doc

        def __init__(self, seed=None, input_axes=None, output_axes=None):
            super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

        def get_config(self):
            return {"seed": self.seed, **self._axes_config()}

    Preset.__name__ = Preset.__qualname__ = class_name
    return registry.register(class_name, alias)(Preset)


GlorotUniform = _preset(
    "GlorotUniform",
    "glorot_uniform",
    1.0,
    "fan_avg",
    "uniform",
    "Uniform on [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)) (Keras's default for kernels).",
)
GlorotNormal = _preset(
    "GlorotNormal",
    "glorot_normal",
    1.0,
    "fan_avg",
    "truncated_normal",
    "Truncated normal, stddev = sqrt(2 / (fan_in + fan_out)).",
)
HeUniform = _preset(
    "HeUniform", "he_uniform", 2.0, "fan_in", "uniform", "Uniform on [-limit, limit], limit = sqrt(6 / fan_in)."
)
HeNormal = _preset(
    "HeNormal",
    "he_normal",
    2.0,
    "fan_in",
    "truncated_normal",
    "Truncated normal, stddev = sqrt(2 / fan_in) (the deck's LeNet `init='he_normal'`).",
)
LecunUniform = _preset(
    "LecunUniform", "lecun_uniform", 1.0, "fan_in", "uniform", "Uniform on [-limit, limit], limit = sqrt(3 / fan_in)."
)
LecunNormal = _preset(
    "LecunNormal", "lecun_normal", 1.0, "fan_in", "truncated_normal", "Truncated normal, stddev = sqrt(1 / fan_in)."
)


# Keras 3's function-style names are its classes under other names (keras.initializers.he_normal
# is HeNormal): `he_normal(seed=1)` makes an initializer, `he_normal()(shape)` draws.
constant = Constant
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
identity = IdentityInitializer = Identity
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
ones = Ones
orthogonal = OrthogonalInitializer = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
zeros = Zeros


def get(identifier) -> Initializer:
    """An Initializer from a name ("he_normal"), a config dict, an instance or a callable."""
    if identifier is None:
        raise ValueError("An initializer is required; received None.")
    if isinstance(identifier, str):
        return registry.lookup(identifier)()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Cannot interpret {identifier!r} as an initializer: give a name, an Initializer or a callable.")


def serialize(initializer) -> dict:
    """Keras's envelope: {"module", "class_name", "config", "registered_name"}."""
    name = registry.name_of(initializer)
    if name is None:
        raise TypeError(f"Cannot serialize initializer {initializer!r}: it is not a registered Initializer.")
    return envelope("initializers", name, initializer.get_config())


def deserialize(config_dict: dict) -> Initializer:
    """The inverse of serialize (resolves the class through the registry only)."""
    return from_envelope(registry, config_dict)


__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "IdentityInitializer",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "OrthogonalInitializer",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]
