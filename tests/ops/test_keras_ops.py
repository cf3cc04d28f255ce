"""OpCases for the keras.ops functions of math.py, creation.py, indexing.py, statistics.py,
products.py, nn.py and control.py: forward against NumPy, float32/float64 dtypes, and a full
float64 gradient check for every differentiable one (check_op). Constants (comparisons,
searches, creation) go through the same harness as floats with check_grad=False."""

import numpy as np
import pytest

from neuronio import ops
from neuronio.autodiff import GradientTape, Tensor, Variable
from neuronio.errors import ShapeError
from tests.helpers import OpCase, check_op


def _u(*shape, low=-1.0, high=1.0):
    return lambda rng: (rng.uniform(low, high, shape),)


def _uu(shape_a, shape_b, low=-1.0, high=1.0):
    return lambda rng: (rng.uniform(low, high, shape_a), rng.uniform(low, high, shape_b))


def _distinct(*shape):
    def sample(rng):
        n = int(np.prod(shape))
        return ((rng.permutation(n) * 0.1 - n * 0.05).reshape(shape) + rng.uniform(-0.02, 0.02, shape),)

    return sample


def _const(fn):
    """A constant-valued op seen as a float function of its float inputs."""
    return lambda *xs: Tensor(np.asarray(fn(*xs).numpy()).astype(xs[0].dtype))


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


UNARY = [  # name, sampler range, numpy reference
    ("sin", (-2, 2), np.sin),
    ("cos", (-2, 2), np.cos),
    ("tan", (-1, 1), np.tan),
    ("arcsin", (-0.9, 0.9), np.arcsin),
    ("arccos", (-0.9, 0.9), np.arccos),
    ("sinh", (-2, 2), np.sinh),
    ("cosh", (-2, 2), np.cosh),
    ("arcsinh", (-2, 2), np.arcsinh),
    ("arccosh", (1.1, 3), np.arccosh),
    ("arctanh", (-0.9, 0.9), np.arctanh),
    ("exp2", (-2, 2), np.exp2),
    ("expm1", (-2, 2), np.expm1),
    ("log2", (0.2, 3), np.log2),
    ("log10", (0.2, 3), np.log10),
    ("log1p", (-0.5, 3), np.log1p),
    ("cbrt", (0.2, 3), np.cbrt),
    ("reciprocal", (0.3, 3), np.reciprocal),
    ("rsqrt", (0.3, 3), lambda x: 1 / np.sqrt(x)),
    ("erf", (-2, 2), None),
    ("erfc", (-2, 2), None),
    ("erfinv", (-0.9, 0.9), None),
    ("sinc", (0.1, 2), np.sinc),
    ("deg2rad", (-90, 90), np.deg2rad),
    ("rad2deg", (-2, 2), np.rad2deg),
    ("nan_to_num", (-2, 2), np.nan_to_num),
    ("absolute", (0.1, 2), np.abs),
    ("fabs", (0.1, 2), np.abs),
    ("celu", (-2, 2), lambda x: np.where(x > 0, x, np.expm1(x))),
    ("hard_shrink", (0.6, 2), lambda x: x),
    ("soft_shrink", (0.6, 2), lambda x: x - 0.5),
    ("hard_silu", (-2.5, 2.5), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("hard_swish", (-2.5, 2.5), None),
    ("hard_tanh", (-0.9, 0.9), lambda x: x),
    ("log_sigmoid", (-3, 3), lambda x: np.log(_np_sigmoid(x))),
    ("sparse_plus", (-0.9, 0.9), lambda x: (x + 1) ** 2 / 4),
    ("sparse_sigmoid", (-0.9, 0.9), lambda x: (x + 1) / 2),
    ("squareplus", (-2, 2), lambda x: (x + np.sqrt(x * x + 4)) / 2),
    ("tanh_shrink", (-2, 2), lambda x: x - np.tanh(x)),
    ("swish", (-2, 2), lambda x: x * _np_sigmoid(x)),
    ("ravel", (-1, 1), np.ravel),
]
BINARY = [
    ("arctan2", (0.2, 2), np.arctan2),
    ("hypot", (0.2, 2), np.hypot),
    ("logaddexp", (-2, 2), np.logaddexp),
    ("logaddexp2", (-2, 2), np.logaddexp2),
    ("fmax", (-2, 2), np.fmax),
    ("fmin", (-2, 2), np.fmin),
    ("true_divide", (0.5, 2), np.true_divide),
    ("divide_no_nan", (0.5, 2), np.true_divide),
]
CONSTANT = [
    ("floor", np.floor),
    ("ceil", np.ceil),
    ("trunc", np.trunc),
    ("sign", np.sign),
    ("round", np.round),
    ("signbit", np.signbit),
    ("isnan", np.isnan),
    ("isinf", np.isinf),
    ("isfinite", np.isfinite),
    ("isneginf", np.isneginf),
    ("isposinf", np.isposinf),
    ("isreal", np.isreal),
    ("logical_not", np.logical_not),
    ("argsort", lambda x: np.argsort(x, axis=-1)),
    ("count_nonzero", np.count_nonzero),
    ("zeros_like", np.zeros_like),
    ("ones_like", np.ones_like),
    ("empty_like", np.zeros_like),
    ("stop_gradient", np.asarray),
    ("convert_to_tensor", np.asarray),
    ("array", np.asarray),
    ("any", np.any),
    ("all", np.all),
]
CONSTANT2 = [
    ("equal", np.equal),
    ("not_equal", np.not_equal),
    ("greater", np.greater),
    ("greater_equal", np.greater_equal),
    ("less", np.less),
    ("less_equal", np.less_equal),
    ("logical_and", np.logical_and),
    ("logical_or", np.logical_or),
    ("logical_xor", np.logical_xor),
    ("floor_divide", np.floor_divide),
    ("isclose", np.isclose),
    ("allclose", np.allclose),
    ("heaviside", np.heaviside),
    ("nextafter", np.nextafter),
]

CASES = [OpCase(n, getattr(ops, n), _u(2, 3, low=lo, high=hi), ref) for n, (lo, hi), ref in UNARY]
CASES += [OpCase(n, getattr(ops, n), _uu((2, 3), (2, 3), lo, hi), ref, binary=True) for n, (lo, hi), ref in BINARY]
CASES += [OpCase(n, _const(getattr(ops, n)), _u(2, 3, low=-2, high=2), ref, check_grad=False) for n, ref in CONSTANT]
CASES += [OpCase(n, _const(getattr(ops, n)), _uu((2, 3), (2, 3), -2, 2), ref, check_grad=False) for n, ref in CONSTANT2]
CASES += (
    [
        OpCase(
            "mod",
            ops.mod,
            lambda r: (r.uniform(0.1, 0.9, (2, 3)) + 2 * r.integers(0, 3, (2, 3)), r.uniform(1.1, 1.9, (2, 3))),
            np.mod,
        ),
        OpCase("fmod", ops.fmod, lambda r: (r.uniform(-3, 3, (2, 3)), r.uniform(1.1, 1.9, (2, 3))), None),
        OpCase("power_tensor_exponent", ops.power, _uu((2, 3), (2, 3), 0.5, 2), np.power),
        OpCase("ldexp", lambda x: ops.ldexp(x, np.array([1, -1, 2])), _u(2, 3), lambda x: np.ldexp(x, [1, -1, 2])),
        # creation: the result as a float function of a dummy input, so the harness runs
        OpCase("ones", lambda x: ops.ones((2, 3), x.dtype) + x * 0, _u(1), lambda x: np.ones((2, 3))),
        OpCase("zeros", lambda x: ops.zeros(3, x.dtype) + x * 0, _u(1), lambda x: np.zeros(3)),
        OpCase("empty", lambda x: ops.empty(3, x.dtype) + x * 0, _u(1), lambda x: np.zeros(3)),
        OpCase("full", lambda x: ops.full((2,), 3.5, x.dtype) + x * 0, _u(1), lambda x: np.full(2, 3.5)),
        OpCase(
            "full_like", lambda x: ops.full_like(x, 2.0), _u(2, 2), lambda x: np.full_like(x, 2.0), check_grad=False
        ),
        OpCase("arange", lambda x: ops.arange(0.0, 1.0, 0.25, x.dtype) + x * 0, _u(1), lambda x: np.arange(0, 1, 0.25)),
        OpCase(
            "linspace", lambda x: ops.linspace(0, 1, 5, dtype=x.dtype) + x * 0, _u(1), lambda x: np.linspace(0, 1, 5)
        ),
        OpCase(
            "logspace", lambda x: ops.logspace(0, 1, 3, dtype=x.dtype) + x * 0, _u(1), lambda x: np.logspace(0, 1, 3)
        ),
        OpCase(
            "geomspace", lambda x: ops.geomspace(1, 8, 4, dtype=x.dtype) + x * 0, _u(1), lambda x: np.geomspace(1, 8, 4)
        ),
        OpCase("eye", lambda x: ops.eye(3, 4, 1, x.dtype) + x * 0, _u(1), lambda x: np.eye(3, 4, 1)),
        OpCase("identity", lambda x: ops.identity(2, x.dtype) + x * 0, _u(1), lambda x: np.eye(2)),
        OpCase("tri", lambda x: ops.tri(3, dtype=x.dtype) + x * 0, _u(1), lambda x: np.tri(3)),
        OpCase("vander", lambda x: ops.vander(x, 3), _u(3), lambda x: np.vander(x, 3)),
        OpCase("vander_increasing", lambda x: ops.vander(x, 4, True), _u(2), lambda x: np.vander(x, 4, True)),
        OpCase("copy", ops.copy, _u(2, 3), np.copy),
        OpCase("bartlett", lambda x: ops.cast(ops.bartlett(5), x.dtype) + x * 0, _u(1), lambda x: np.bartlett(5)),
        OpCase("blackman", lambda x: ops.cast(ops.blackman(5), x.dtype) + x * 0, _u(1), lambda x: np.blackman(5)),
        OpCase("hamming", lambda x: ops.cast(ops.hamming(5), x.dtype) + x * 0, _u(1), lambda x: np.hamming(5)),
        OpCase("hanning", lambda x: ops.cast(ops.hanning(5), x.dtype) + x * 0, _u(1), lambda x: np.hanning(5)),
        OpCase("kaiser", lambda x: ops.cast(ops.kaiser(5, 2.0), x.dtype) + x * 0, _u(1), lambda x: np.kaiser(5, 2.0)),
        OpCase(
            "one_hot",
            lambda x: ops.one_hot(np.array([2, 0]), 3, dtype=x.dtype) + x * 0,
            _u(1),
            lambda x: np.eye(3)[[2, 0]],
        ),
        OpCase(
            "multi_hot",
            lambda x: ops.multi_hot(np.array([[2, 0]]), 4, dtype=x.dtype) + x * 0,
            _u(1),
            lambda x: np.array([[1.0, 0, 1, 0]]),
        ),
        OpCase(
            "meshgrid",
            lambda x, y: ops.meshgrid(x, y)[0],
            _uu(2, 3),
            lambda x, y: np.meshgrid(x, y)[0],
            check_grad=False,
        ),
        OpCase("tril", lambda x: ops.tril(x, -1), _u(3, 4), lambda x: np.tril(x, -1)),
        OpCase("triu", lambda x: ops.triu(x, 1), _u(2, 3, 4), lambda x: np.triu(x, 1)),
        OpCase("diag_vector", lambda x: ops.diag(x, 1), _u(3), lambda x: np.diag(x, 1)),
        OpCase("diag_matrix", lambda x: ops.diag(x, -1), _u(3, 4), lambda x: np.diag(x, -1)),
        OpCase("diagflat", ops.diagflat, _u(2, 2), np.diagflat),
        OpCase("diagonal", lambda x: ops.diagonal(x, 1, 0, 2), _u(3, 2, 4), lambda x: np.diagonal(x, 1, 0, 2)),
        OpCase("trace", lambda x: ops.trace(x, 0, 1, 2), _u(2, 3, 3), lambda x: np.trace(x, 0, 1, 2)),
        # indexing
        OpCase(
            "take", lambda x: ops.take(x, np.array([2, 0, 2]), axis=1), _u(2, 3), lambda x: np.take(x, [2, 0, 2], 1)
        ),
        OpCase("take_flat", lambda x: ops.take(x, np.array([[5, 1]])), _u(2, 3), lambda x: np.take(x, [[5, 1]])),
        OpCase(
            "take_along_axis",
            lambda x: ops.take_along_axis(x, np.array([[0, 2], [1, 1]]), 1),
            _u(2, 3),
            lambda x: np.take_along_axis(x, np.array([[0, 2], [1, 1]]), 1),
        ),
        OpCase("sort", lambda x: ops.sort(x, axis=0), _distinct(3, 4), lambda x: np.sort(x, axis=0)),
        OpCase("top_k", lambda x: ops.top_k(x, 2)[0], _distinct(3, 4), lambda x: -np.sort(-x, -1)[:, :2]),
        OpCase(
            "in_top_k",
            lambda x: _const(lambda v: ops.in_top_k(np.array([0, 3]), v, 2))(x),
            _distinct(2, 4),
            lambda x: (x > x[[0, 1], [0, 3]][:, None]).sum(-1) < 2,
            check_grad=False,
        ),
        OpCase(
            "argpartition",
            lambda x: Tensor(np.sort(ops.argpartition(x, 1).numpy()[:, :2], -1).astype(x.dtype)),
            _distinct(2, 4),
            lambda x: np.sort(np.argsort(x, -1)[:, :2], -1),
            check_grad=False,
        ),
        OpCase("flip", lambda x: ops.flip(x, 1), _u(2, 3), lambda x: np.flip(x, 1)),
        OpCase("fliplr", ops.fliplr, _u(2, 3), np.fliplr),
        OpCase("flipud", ops.flipud, _u(2, 3), np.flipud),
        OpCase("moveaxis", lambda x: ops.moveaxis(x, 0, -1), _u(2, 3, 4), lambda x: np.moveaxis(x, 0, -1)),
        OpCase("swapaxes", lambda x: ops.swapaxes(x, 0, 2), _u(2, 3, 4), lambda x: np.swapaxes(x, 0, 2)),
        OpCase("rot90", lambda x: ops.rot90(x, 3), _u(2, 3), lambda x: np.rot90(x, 3)),
        OpCase("rot90_k1", lambda x: ops.rot90(x, 1, (1, 2)), _u(2, 3, 2), lambda x: np.rot90(x, 1, (1, 2))),
        OpCase("roll", lambda x: ops.roll(x, 2, axis=1), _u(2, 3), lambda x: np.roll(x, 2, axis=1)),
        OpCase("roll_flat", lambda x: ops.roll(x, -1), _u(2, 3), lambda x: np.roll(x, -1)),
        OpCase("tile", lambda x: ops.tile(x, (2, 1, 3)), _u(2, 3), lambda x: np.tile(x, (2, 1, 3))),
        OpCase("repeat", lambda x: ops.repeat(x, 2, axis=0), _u(2, 3), lambda x: np.repeat(x, 2, axis=0)),
        OpCase(
            "repeat_flat",
            lambda x: ops.repeat(x, np.array([1, 0, 2, 1])),
            _u(2, 2),
            lambda x: np.repeat(x, [1, 0, 2, 1]),
        ),
        OpCase(
            "broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)), _u(3, 1), lambda x: np.broadcast_to(x, (2, 3, 4))
        ),
        OpCase("split", lambda x: ops.split(x, 2, axis=1)[1], _u(2, 4), lambda x: np.split(x, 2, 1)[1]),
        OpCase(
            "array_split", lambda x: ops.array_split(x, 3, axis=1)[0], _u(2, 4), lambda x: np.array_split(x, 3, 1)[0]
        ),
        OpCase("hsplit", lambda x: ops.hsplit(x, [1])[1], _u(2, 4), lambda x: np.hsplit(x, [1])[1]),
        OpCase("vsplit", lambda x: ops.vsplit(x, 2)[0], _u(2, 4), lambda x: np.vsplit(x, 2)[0]),
        OpCase("dsplit", lambda x: ops.dsplit(x, 2)[1], _u(1, 2, 4), lambda x: np.dsplit(x, 2)[1]),
        OpCase("unstack", lambda x: ops.unstack(x, axis=1)[2], _u(2, 3), lambda x: x[:, 2]),
        OpCase("hstack", lambda a, b: ops.hstack([a, b]), _uu((2, 1), (2, 3)), lambda a, b: np.hstack([a, b])),
        OpCase("vstack", lambda a, b: ops.vstack([a, b]), _uu(3, (2, 3)), lambda a, b: np.vstack([a, b])),
        OpCase("dstack", lambda a, b: ops.dstack([a, b]), _uu((2, 3), (2, 3)), lambda a, b: np.dstack([a, b])),
        OpCase("append", lambda a, b: ops.append(a, b), _uu((2, 2), 3), np.append),
        OpCase("slice", lambda x: ops.slice(x, (1, 0), (1, 2)), _u(3, 3), lambda x: x[1:2, 0:2]),
        OpCase(
            "slice_update",
            lambda x, u: ops.slice_update(x, (1, 1), u),
            _uu((3, 3), (2, 1)),
            lambda x, u: np.concatenate([x[:, :1], np.vstack([x[:1, 1:2], u]), x[:, 2:]], 1),
        ),
        OpCase(
            "scatter",
            lambda v: ops.scatter(np.array([[0, 1], [2, 0], [0, 1]]), v, (3, 2)),
            _u(3),
            lambda v: np.array([[0, v[0] + v[2]], [0, 0], [v[1], 0]]),
        ),
        OpCase(
            "scatter_update",
            lambda x, v: ops.scatter_update(x, np.array([[0, 1], [2, 0]]), v),
            _uu((3, 2), 2),
            lambda x, v: np.array([[x[0, 0], v[0]], x[1], [v[1], x[2, 1]]]),
        ),
        OpCase("where", lambda a, b: ops.where(a > 0, a, b), _uu((2, 3), (2, 3)), lambda a, b: np.where(a > 0, a, b)),
        OpCase(
            "select",
            lambda a, b: ops.select([a > 0.5, a < -0.5], [a, b], 0.0),
            _uu((2, 3), (2, 3)),
            lambda a, b: np.select([a > 0.5, a < -0.5], [a, b], 0.0),
        ),
        OpCase("get_item", lambda x: ops.get_item(x, (slice(None), 1)), _u(2, 3), lambda x: x[:, 1]),
        OpCase(
            "nonzero",
            lambda x: _const(lambda v: ops.nonzero(v > 0)[1])(x),
            _u(2, 3),
            lambda x: np.nonzero(x > 0)[1],
            check_grad=False,
        ),
        OpCase(
            "searchsorted",
            _const(lambda v: ops.searchsorted(np.array([-0.5, 0.0, 0.5]), v)),
            _u(4),
            lambda x: np.searchsorted([-0.5, 0.0, 0.5], x),
            check_grad=False,
        ),
        OpCase(
            "digitize",
            _const(lambda v: ops.digitize(v, np.array([-0.5, 0.5]))),
            _u(4),
            lambda x: np.digitize(x, [-0.5, 0.5]),
            check_grad=False,
        ),
        OpCase(
            "bincount",
            _const(lambda v: ops.bincount((v.numpy() > 0).astype(int) * 2)),
            _u(5),
            lambda x: np.bincount((x > 0).astype(int) * 2),
            check_grad=False,
        ),
        OpCase(
            "unique",
            _const(lambda v: ops.unique(ops.round(v))),
            _u(6, low=-2, high=2),
            lambda x: np.unique(np.round(x)),
            check_grad=False,
        ),
        OpCase(
            "isin",
            _const(lambda v: ops.isin(ops.round(v), np.array([0.0, 1.0]))),
            _u(5, low=-2, high=2),
            lambda x: np.isin(np.round(x), [0.0, 1.0]),
            check_grad=False,
        ),
        OpCase(
            "unravel_index",
            _const(lambda v: ops.unravel_index(np.array([1, 5]), (2, 3))[1]),
            _u(1),
            lambda x: np.array([1, 2]),
            check_grad=False,
        ),
        OpCase(
            "histogram",
            _const(lambda v: ops.histogram(v, bins=3, range=(-1, 1))[0]),
            _u(6),
            lambda x: np.histogram(x, 3, (-1, 1))[0],
            check_grad=False,
        ),
        # statistics
        OpCase("prod", lambda x: ops.prod(x, axis=1), _u(2, 3), lambda x: np.prod(x, axis=1)),
        OpCase("prod_with_zero", ops.prod, lambda r: (np.array([[0.0, 2.0], [3.0, -1.5]]),), np.prod),
        OpCase("cumsum", lambda x: ops.cumsum(x, axis=1), _u(2, 3), lambda x: np.cumsum(x, axis=1)),
        OpCase("cumprod", lambda x: ops.cumprod(x, axis=0), _u(3, 2), lambda x: np.cumprod(x, axis=0)),
        OpCase("cumprod_with_zero", ops.cumprod, lambda r: (np.array([1.5, 0.0, -2.0, 0.5]),), np.cumprod),
        OpCase("amax", lambda x: ops.amax(x, axis=0), _distinct(3, 2), lambda x: np.amax(x, axis=0)),
        OpCase("amin", lambda x: ops.amin(x, axis=1), _distinct(3, 2), lambda x: np.amin(x, axis=1)),
        OpCase(
            "average",
            lambda x: ops.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0])),
            _u(2, 3),
            lambda x: np.average(x, axis=1, weights=[1.0, 2.0, 3.0]),
        ),
        OpCase("median", lambda x: ops.median(x, axis=1), _distinct(2, 4), lambda x: np.median(x, axis=1)),
        OpCase(
            "quantile",
            lambda x: ops.quantile(x, np.array([0.2, 0.9]), axis=0),
            _distinct(5, 2),
            lambda x: np.quantile(x, [0.2, 0.9], axis=0),
        ),
        OpCase("percentile", lambda x: ops.percentile(x, 30.0), _distinct(2, 3), lambda x: np.percentile(x, 30.0)),
        OpCase("ptp", lambda x: ops.ptp(x, axis=1), _distinct(2, 3), lambda x: np.ptp(x, axis=1)),
        OpCase("diff", lambda x: ops.diff(x, 2, axis=0), _u(4, 2), lambda x: np.diff(x, 2, axis=0)),
        OpCase("norm", ops.norm, _u(2, 3), np.linalg.norm),
        OpCase(
            "norm_l1_axis",
            lambda x: ops.norm(x, 1, axis=-1),
            _u(2, 3, low=0.1, high=1),
            lambda x: np.linalg.norm(x, 1, axis=-1),
        ),
        OpCase(
            "norm_p3",
            lambda x: ops.norm(x, 3, axis=0, keepdims=True),
            _u(2, 3, low=0.1, high=1),
            lambda x: np.linalg.norm(x, 3, axis=0, keepdims=True),
        ),
        OpCase(
            "norm_matrix_inf",
            lambda x: ops.norm(x, np.inf, axis=(0, 1)),
            _u(3, 2, low=0.1, high=1),
            lambda x: np.linalg.norm(x, np.inf, axis=(0, 1)),
        ),
    ]
    + [
        OpCase(f"nan{n}", getattr(ops, f"nan{n}"), _distinct(2, 3), getattr(np, f"nan{n}"))
        for n in ("sum", "mean", "max", "min", "prod", "var", "std", "median", "cumsum", "cumprod")
    ]
    + [
        OpCase("nanquantile", lambda x: ops.nanquantile(x, 0.3), _distinct(2, 3), lambda x: np.nanquantile(x, 0.3)),
        OpCase("nanpercentile", lambda x: ops.nanpercentile(x, 30), _distinct(2, 3), lambda x: np.nanpercentile(x, 30)),
        OpCase("nanargmax", _const(ops.nanargmax), _distinct(2, 3), np.nanargmax, check_grad=False),
        OpCase("nanargmin", _const(ops.nanargmin), _distinct(2, 3), np.nanargmin, check_grad=False),
        # products and linear algebra
        OpCase("einsum", lambda a, b: ops.einsum("ij,jk->ik", a, b), _uu((2, 3), (3, 2)), lambda a, b: a @ b),
        OpCase(
            "einsum_summed_index",
            lambda a, b: ops.einsum("bij,k->bi", a, b),
            _uu((2, 2, 3), 2),
            lambda a, b: np.einsum("bij,k->bi", a, b),
        ),
        OpCase(
            "einsum_ellipsis_implicit",
            lambda a, b: ops.einsum("...i,...i", a, b),
            _uu((2, 3), (2, 3)),
            lambda a, b: np.einsum("...i,...i", a, b),
        ),
        OpCase(
            "tensordot",
            lambda a, b: ops.tensordot(a, b, axes=([1, 0], [0, 2])),
            _uu((2, 3, 2), (3, 2, 2)),
            lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])),
        ),
        OpCase("inner", ops.inner, _uu((2, 3), (4, 3)), np.inner),
        OpCase("outer", ops.outer, _uu(3, (2, 2)), np.outer),
        OpCase("kron", ops.kron, _uu((2, 2), (2, 3)), np.kron),
        OpCase("vdot", ops.vdot, _uu((2, 3), 6), np.vdot),
        OpCase("cross", ops.cross, _uu((2, 3), (2, 3)), np.cross),
        OpCase(
            "cross_axis0",
            lambda a, b: ops.cross(a, b, axis=0),
            _uu((3, 2), (3, 2)),
            lambda a, b: np.cross(a, b, axis=0),
        ),
        OpCase(
            "correlate", lambda a, b: ops.correlate(a, b, "same"), _uu(5, 3), lambda a, b: np.correlate(a, b, "same")
        ),
        OpCase(
            "correlate_full",
            lambda a, b: ops.correlate(a, b, "full"),
            _uu(2, 4),
            lambda a, b: np.correlate(a, b, "full"),
        ),
        OpCase("trapezoid", lambda y: ops.trapezoid(y, dx=0.5), _u(2, 4), lambda y: np.trapezoid(y, dx=0.5)),
        OpCase("cdist", ops.cdist, _uu((3, 2), (4, 2)), lambda a, b: np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))),
        OpCase("corrcoef", ops.corrcoef, _u(2, 5), np.corrcoef),
        OpCase("inv", ops.inv, lambda r: (r.uniform(-0.3, 0.3, (2, 3, 3)) + 2 * np.eye(3),), np.linalg.inv),
        OpCase("det", ops.det, lambda r: (r.uniform(-1, 1, (3, 3)) + np.eye(3),), np.linalg.det),
        OpCase(
            "slogdet",
            lambda x: ops.slogdet(x)[1],
            lambda r: (r.uniform(-1, 1, (3, 3)) + 2 * np.eye(3),),
            lambda x: np.linalg.slogdet(x)[1],
        ),
        OpCase(
            "logdet",
            ops.logdet,
            lambda r: (r.uniform(-0.3, 0.3, (3, 3)) + 2 * np.eye(3),),
            lambda x: np.log(np.linalg.det(x)),
        ),
        OpCase(
            "solve",
            ops.solve,
            lambda r: (r.uniform(-0.3, 0.3, (3, 3)) + 2 * np.eye(3), r.uniform(-1, 1, (3, 2))),
            np.linalg.solve,
        ),
        OpCase(
            "solve_triangular",
            lambda a, b: ops.solve_triangular(a, b, lower=True),
            lambda r: (r.uniform(-0.3, 0.3, (3, 3)) + 2 * np.eye(3), r.uniform(-1, 1, 3)),
            lambda a, b: np.linalg.solve(np.tril(a), b),
        ),
        # nn
        OpCase("glu", ops.glu, _u(2, 4), lambda x: x[:, :2] * _np_sigmoid(x[:, 2:])),
        OpCase("threshold", lambda x: ops.threshold(x, 0.1, -1.0), _u(2, 3, low=0.2, high=1), lambda x: x),
        OpCase(
            "sparsemax",
            ops.sparsemax,
            lambda r: (np.array([[0.1, 1.2, 0.5], [2.0, -1.0, 1.9]]),),
            lambda x: np.array([[0.0, 0.85, 0.15], [0.55, 0.0, 0.45]]),
        ),
        OpCase(
            "binary_crossentropy",
            lambda t, p: ops.binary_crossentropy(t, p),
            _uu((2, 3), (2, 3), 0.1, 0.9),
            lambda t, p: -(t * np.log(p) + (1 - t) * np.log(1 - p)),
        ),
        OpCase(
            "categorical_crossentropy",
            lambda t, p: ops.categorical_crossentropy(t, p, from_logits=True),
            _uu((2, 3), (2, 3)),
            lambda t, p: -(t * (p - np.log(np.exp(p).sum(-1, keepdims=True)))).sum(-1),
        ),
        OpCase(
            "sparse_categorical_crossentropy",
            lambda p: ops.sparse_categorical_crossentropy(np.array([2, 0]), p),
            _u(2, 3, low=0.1, high=0.9),
            lambda p: -np.log((p / p.sum(-1, keepdims=True))[[0, 1], [2, 0]]),
        ),
        OpCase("moments", lambda x: ops.moments(x, axes=(0,))[1], _u(3, 2), lambda x: np.var(x, 0)),
        OpCase("normalize", ops.normalize, _u(2, 3), lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True)),
        OpCase(
            "batch_normalization",
            lambda x, m: ops.batch_normalization(x, m, m * m + 1, axis=1, scale=m, offset=m),
            _uu((2, 3), 3),
            lambda x, m: (x - m) / np.sqrt(m * m + 1 + 1e-3) * m + m,
        ),
        OpCase(
            "layer_normalization",
            lambda x: ops.layer_normalization(x, epsilon=1e-3),
            _u(2, 4),
            lambda x: (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3),
        ),
        OpCase(
            "rms_normalization",
            lambda x: ops.rms_normalization(x, epsilon=1e-3),
            _u(2, 4),
            lambda x: x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-3),
        ),
        OpCase(
            "psnr",
            lambda a, b: ops.psnr(a, b, 1.0),
            _uu((2, 3), (2, 3)),
            lambda a, b: -10 * np.log10(((a - b) ** 2).mean()),
        ),
        OpCase("conv", lambda x, k: ops.conv(x, k, strides=2, padding="same"), _uu((1, 5, 3), (3, 3, 2)), None),
        OpCase("conv_dilated", lambda x, k: ops.conv(x, k, dilation_rate=2), _uu((1, 5, 5, 1), (2, 2, 1, 2)), None),
        OpCase(
            "conv_transpose",
            lambda x, k: ops.conv_transpose(x, k, strides=2, padding="same"),
            _uu((1, 3, 3, 2), (3, 3, 1, 2)),
            None,
        ),
        OpCase("conv_transpose_1d", lambda x, k: ops.conv_transpose(x, k, strides=2), _uu((1, 3, 2), (2, 1, 2)), None),
        OpCase("depthwise_conv", lambda x, k: ops.depthwise_conv(x, k), _uu((1, 4, 4, 2), (2, 2, 2, 2)), None),
        OpCase(
            "separable_conv",
            lambda x, d, p: ops.separable_conv(x, d, p),
            lambda r: (r.uniform(-1, 1, (1, 4, 4, 2)), r.uniform(-1, 1, (2, 2, 2, 1)), r.uniform(-1, 1, (1, 1, 2, 3))),
            None,
        ),
        OpCase("max_pool", lambda x: ops.max_pool(x, 2), _distinct(1, 4, 2), lambda x: x.reshape(1, 2, 2, 2).max(2)),
        OpCase("average_pool", lambda x: ops.average_pool(x, 2, 1), _u(1, 3, 3, 1), None),
        OpCase(
            "adaptive_average_pool",
            lambda x: ops.adaptive_average_pool(x, (2, 2)),
            _u(1, 4, 4, 1),
            lambda x: x.reshape(1, 2, 2, 2, 2, 1).mean((2, 4)),
        ),
        OpCase(
            "adaptive_max_pool",
            lambda x: ops.adaptive_max_pool(x, 1),
            _distinct(1, 3, 2),
            lambda x: x.max(1, keepdims=True),
        ),
        OpCase("depth_to_space", lambda x: ops.depth_to_space(x, 2), _u(1, 2, 2, 4), None),
        OpCase("space_to_depth", lambda x: ops.space_to_depth(x, 2), _u(1, 4, 2, 1), None),
        OpCase(
            "extract_sequences",
            lambda x: ops.extract_sequences(x, 3, 2),
            _u(2, 7),
            lambda x: np.stack([x[:, 0:3], x[:, 2:5], x[:, 4:7]], 1),
        ),
        OpCase(
            "dot_product_attention",
            lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
            lambda r: tuple(r.uniform(-1, 1, (1, 3, 1, 2)) for _ in range(3)),
            None,
        ),
        # control flow
        OpCase("cond", lambda x: ops.cond(True, lambda: ops.sin(x), lambda: x), _u(3), np.sin),
        OpCase("switch", lambda x: ops.switch(1, [lambda v: v, lambda v: v * 2.0], x), _u(3), lambda x: 2 * x),
        OpCase(
            "while_loop",
            lambda x: ops.while_loop(lambda i, v: i < 3, lambda i, v: (i + 1, v * 1.5), (0, x))[1],
            _u(3),
            lambda x: x * 1.5**3,
        ),
        OpCase("fori_loop", lambda x: ops.fori_loop(0, 3, lambda i, v: v * x, x), _u(3), lambda x: x**4),
        OpCase(
            "scan",
            lambda x: ops.scan(lambda c, v: (c + v, c * v), x[0] * 0, x)[1],
            _u(3, 2),
            lambda x: (
                np.stack([0 * x[0], x[0] * x[1]])
                if False
                else np.stack([np.zeros(2), x[0] * x[1], (x[0] + x[1]) * x[2]])
            ),
        ),
        OpCase("map", lambda x: ops.map(lambda v: ops.sum(v), x), _u(3, 2), lambda x: x.sum(1)),
        OpCase("vectorized_map", lambda x: ops.vectorized_map(lambda v: v * v, x), _u(3, 2), lambda x: x * x),
        OpCase("vectorize", lambda x: ops.vectorize(lambda v: ops.max(v))(x), _distinct(3, 2), lambda x: x.max(1)),
        OpCase(
            "associative_scan",
            lambda x: ops.associative_scan(lambda a, b: a + b, x, axis=1),
            _u(2, 3),
            lambda x: np.cumsum(x, 1),
        ),
        OpCase("custom_gradient", lambda x: _clipped_identity(x), _u(3), lambda x: x),
        OpCase(
            "jvp",
            lambda x: ops.jvp(lambda v: ops.sin(v) * v, (x,), (np.ones(3, x.dtype),))[1],
            _u(3),
            lambda x: np.cos(x) * x + np.sin(x),
            check_grad=False,
        ),
    ]
)


def _greedy(x, lengths):
    """Greedy CTC decoding written out naively: per row, best class per step, merge, drop blanks."""
    rows = []
    for row, n in zip(x, lengths):
        best = [int(np.argmax(step)) for step in row[:n]]
        labels = [c for i, c in enumerate(best) if c != 0 and (i == 0 or c != best[i - 1])]
        rows.append(labels + [-1] * (len(row) - len(labels)))
    return rows


def _int_case(name, ref, *extra):
    def fn(x):
        ints = Tensor(np.asarray(x.numpy(), dtype=np.float64).astype(np.int64))
        return Tensor(np.asarray(getattr(ops, name)(ints, *extra).numpy()).astype(x.dtype))

    return OpCase(name, fn, _u(5, low=0.1, high=9.9), lambda x: ref(x.astype(np.int64), *extra), check_grad=False)


CASES += [
    _int_case("bitwise_and", np.bitwise_and, 6),
    _int_case("bitwise_or", np.bitwise_or, 6),
    _int_case("bitwise_xor", np.bitwise_xor, 6),
    _int_case("bitwise_not", np.invert),
    _int_case("bitwise_invert", np.invert),
    _int_case("left_shift", np.left_shift, 2),
    _int_case("bitwise_left_shift", np.left_shift, 1),
    _int_case("right_shift", np.right_shift, 1),
    _int_case("bitwise_right_shift", np.right_shift, 2),
    _int_case("gcd", np.gcd, 6),
    _int_case("lcm", np.lcm, 4),
    # inspection: answers as float tensors so that the harness can compare them
    OpCase(
        "shape",
        lambda x: Tensor(np.array(ops.shape(x), x.dtype)),
        _u(2, 3),
        lambda x: np.array(x.shape),
        check_grad=False,
    ),
    OpCase(
        "ndim", lambda x: Tensor(np.array(ops.ndim(x), x.dtype)), _u(2, 3), lambda x: np.array(2.0), check_grad=False
    ),
    OpCase(
        "size", lambda x: Tensor(np.array(ops.size(x), x.dtype)), _u(2, 3), lambda x: np.array(6.0), check_grad=False
    ),
    OpCase(
        "dtype",
        lambda x: Tensor(np.array(ops.dtype(x) in ("float32", "float64"), x.dtype)),
        _u(2),
        lambda x: np.array(1.0),
        check_grad=False,
    ),
    OpCase(
        "is_tensor",
        lambda x: Tensor(np.array(ops.is_tensor(x) and not ops.is_tensor(x.numpy()), x.dtype)),
        _u(2),
        lambda x: np.array(1.0),
        check_grad=False,
    ),
    OpCase("convert_to_numpy", lambda x: Tensor(ops.convert_to_numpy(x)), _u(2), lambda x: x, check_grad=False),
]


CASES += [
    OpCase("real", ops.real, _u(2, 3), np.real),
    OpCase("conjugate", ops.conjugate, _u(2, 3), np.conjugate),
    OpCase("conj", ops.conj, _u(2, 3), np.conj),
    OpCase("imag", lambda x: ops.imag(x) + x * 0, _u(2, 3), np.imag),
    OpCase("angle", ops.angle, _u(2, 3), np.angle, check_grad=False),
    OpCase("i0", ops.i0, _u(2, 3, low=-3, high=3), np.i0),
    OpCase(
        "saturate_cast",
        lambda x: ops.cast(ops.saturate_cast(x * 200, "int8"), x.dtype),
        _u(4),
        lambda x: np.clip(np.trunc(x * 200), -128, 127),
        check_grad=False,
    ),
    OpCase("view", lambda x: Tensor(ops.view(x).numpy()), _u(3), lambda x: x, check_grad=False),
    OpCase(
        "segment_sum",
        lambda x: ops.segment_sum(x, np.array([0, 2, 0]), 4),
        _u(3, 2),
        lambda x: np.stack([x[0] + x[2], 0 * x[0], x[1], 0 * x[0]]),
    ),
    OpCase(
        "segment_max",
        lambda x: ops.segment_max(x, np.array([1, 0, 1])),
        _distinct(3, 2),
        lambda x: np.stack([x[1], np.maximum(x[0], x[2])]),
    ),
    OpCase(
        "segment_min",
        lambda x: ops.segment_min(x, np.array([1, 0, 1])),
        _distinct(3, 2),
        lambda x: np.stack([x[1], np.minimum(x[0], x[2])]),
    ),
    OpCase("unfold", lambda x: ops.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), _u(1, 2, 4, 5), None),
    OpCase("fold", lambda x: ops.fold(x, (4, 4), 2, padding=1, stride=2), _u(1, 8, 9), None),
    OpCase(
        "ctc_loss",
        lambda x: ops.ctc_loss(np.array([[1, 2, 2], [3, 0, 0]]), x, np.array([3, 1]), np.array([6, 4])),
        _u(2, 6, 4),
        None,
    ),
    OpCase(
        "ctc_decode",
        lambda x: ops.cast(ops.ctc_decode(x, np.array([5, 3]))[0], x.dtype),
        _u(2, 5, 4),
        lambda x: np.array([_greedy(x, [5, 3])]),
        check_grad=False,
    ),
    OpCase(
        "ctc_decode_scores",
        lambda x: ops.ctc_decode(x, np.array([5, 3]))[1],
        _distinct(2, 5, 4),
        lambda x: -np.array([[x[0].max(-1).sum()], [x[1, :3].max(-1).sum()]]),
    ),
    # decompositions: symmetric inputs go through x + x^T (their gradients are symmetrised)
    OpCase(
        "cholesky",
        lambda x: ops.cholesky(ops.matmul(x, ops.transpose(x)) + 3.0 * np.eye(3, dtype=x.dtype)),
        _u(3, 3),
        lambda x: np.linalg.cholesky(x @ x.T + 3 * np.eye(3)),
    ),
    OpCase(
        "cholesky_inverse",
        lambda x: ops.cholesky_inverse(ops.tril(x) + 2.0 * np.eye(3, dtype=x.dtype)),
        _u(3, 3),
        lambda x: np.linalg.inv((np.tril(x) + 2 * np.eye(3)) @ (np.tril(x) + 2 * np.eye(3)).T),
    ),
    OpCase("eigh", lambda x: ops.eigh(x + ops.transpose(x))[0], _u(3, 3), lambda x: np.linalg.eigh(x + x.T)[0]),
    OpCase(
        "eigh_vectors",
        lambda x: ops.square(ops.eigh(x + ops.transpose(x))[1]),
        _u(3, 3),
        lambda x: np.linalg.eigh(x + x.T)[1] ** 2,
    ),
    OpCase("svd", lambda x: ops.svd(x, compute_uv=False), _u(4, 3), lambda x: np.linalg.svd(x, compute_uv=False)),
    OpCase(
        "svd_vectors",
        lambda x: ops.square(ops.svd(x, full_matrices=False)[0]),
        _u(4, 3),
        lambda x: np.linalg.svd(x, full_matrices=False)[0] ** 2,
    ),
    OpCase("qr", lambda x: ops.qr(x)[1], _u(4, 3), lambda x: np.linalg.qr(x)[1]),
    OpCase("qr_q", lambda x: ops.qr(x)[0], _u(3, 3), lambda x: np.linalg.qr(x)[0]),
    OpCase("pinv", ops.pinv, _u(4, 3), np.linalg.pinv),
    OpCase("lstsq", ops.lstsq, _uu((4, 3), (4, 2)), lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0]),
    OpCase(
        "matrix_rank",
        _const(ops.matrix_rank),
        lambda r: (r.uniform(-1, 1, (4, 2)) @ r.uniform(-1, 1, (2, 3)),),
        lambda x: np.array(2.0),
        check_grad=False,
    ),
    OpCase("lu_factor", lambda x: ops.lu_factor(x)[0], _u(3, 3), None),
    OpCase(
        "rearrange",
        lambda x: ops.rearrange(x, "b (h p1) (w p2) c -> b h w (p1 p2 c)", p1=2, p2=1),
        _u(1, 4, 2, 3),
        lambda x: x.reshape(1, 2, 2, 2, 1, 3).transpose(0, 1, 3, 2, 4, 5).reshape(1, 2, 2, 6),
    ),
    OpCase(
        "segment_prod",
        lambda x: ops.segment_prod(x, np.array([1, 0, 1])),
        _u(3, 2),
        lambda x: np.stack([x[1], x[0] * x[2]]),
    ),
]


@ops.custom_gradient
def _clipped_identity(x):
    # forward: identity; backward: 2 * dy, a deliberately different rule that the test observes.
    return x, lambda dy: dy * 2.0


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "custom_gradient"], ids=lambda c: c.name)
def test_op(case):
    check_op(case)


def test_custom_gradient_uses_the_given_rule():
    x = Variable(np.array([1.0, 2.0], np.float32))
    with GradientTape() as tape:
        y = ops.sum(_clipped_identity(x))
    assert tape.gradient(y, x).numpy().tolist() == [2.0, 2.0]


def test_integer_inputs_follow_keras_dtypes():
    assert ops.arange(3).dtype == np.int32
    assert ops.sqrt(ops.arange(3)).dtype == np.float32
    assert ops.floor(ops.arange(3)).dtype == np.float32
    assert ops.mod(ops.arange(5), 3).numpy().tolist() == [0, 1, 2, 0, 1]
    assert ops.cumsum(ops.arange(3)).numpy().tolist() == [0, 1, 3]
    assert ops.concatenate([ops.arange(2), ops.arange(1)]).numpy().tolist() == [0, 1, 0]
    assert ops.where(np.array([True, False]), ops.arange(2), 5).numpy().tolist() == [0, 5]
    assert ops.top_k(np.array([3.0, 1.0, 2.0]), 2)[1].numpy().tolist() == [0, 2]
    a = ops.arange(4)
    assert (a + 1).dtype == np.int32 and (a * 2).numpy().tolist() == [0, 2, 4, 6]
    assert (a / 2).dtype == np.float32 and (a + 1.5).dtype == np.float32
    assert ops.sum(a).dtype == np.int32 and ops.mean(a).dtype == np.float32 and (-a).dtype == np.int32


def test_lu_factor_reassembles_the_matrix():
    a = np.random.default_rng(3).uniform(-1, 1, (4, 4))
    lu, pivots = (t.numpy() for t in ops.lu_factor(a))
    lower, upper = np.tril(lu, -1) + np.eye(4), np.triu(lu)
    permuted = a.copy()
    for k, p in enumerate(pivots):
        permuted[[k, p]] = permuted[[p, k]]
    np.testing.assert_allclose(lower @ upper, permuted, atol=1e-12)


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"give the sizes of all but one of \['h', 'p'\]"):
        ops.rearrange(np.ones((4, 2), np.float32), "(h p) w -> h p w")
    with pytest.raises(ShapeError, match=r"an axis of size 5 does not split into 2 equal parts"):
        ops.split(np.ones(5, np.float32), 2)
    with pytest.raises(ShapeError, match=r"inv expects square matrices .* received shape \(2, 3\)"):
        ops.inv(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"quantile: q must be in \[0, 1\]"):
        ops.quantile(np.ones(3, np.float32), 1.5)
    with pytest.raises(ValueError, match=r"only data_format='channels_last'"):
        ops.max_pool(np.ones((1, 4, 4, 1), np.float32), 2, data_format="channels_first")
    with pytest.raises(ValueError, match=r"cholesky: the matrix is not positive definite"):
        ops.cholesky(-np.eye(2))
    with pytest.raises(ValueError, match=r"top_k: k must be in \[0, 3\]"):
        ops.top_k(np.ones(3, np.float32), 4)
