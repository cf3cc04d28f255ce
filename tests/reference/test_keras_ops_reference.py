"""neuronio.ops against real Keras 3 (torch backend): the same float64 inputs to the same
`keras.ops` name with the same arguments, values compared; a functional model built from ops on
symbolic tensors compared config by config, value by value, and through `.keras` files both ways;
and the random/backend names Keras programs use."""

import json

import numpy as np
import pytest

import neuronio
from neuronio import ops
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RNG = np.random.default_rng(0)


def _u(*shape, low=-1.0, high=1.0):
    return RNG.uniform(low, high, shape)


def _distinct(*shape):
    n = int(np.prod(shape))
    return (RNG.permutation(n) * 0.1 - n * 0.05).reshape(shape)


A, B, P = _u(2, 3), _u(2, 3), _u(2, 3, low=0.2, high=0.8)
IMG, KER = _u(1, 5, 5, 2), _u(3, 3, 2, 3)
SQ = _u(3, 3, low=-0.3, high=0.3) + 2 * np.eye(3)

# name, positional arguments, keyword arguments
CASES = [
    *[(n, (A,), {}) for n in "sin cos tan sinh cosh arcsinh arctan exp2 expm1 erf erfc sign floor ceil trunc "
      "round square negative absolute fabs cumsum cumprod sort argsort ravel flip fliplr flipud tril triu diag "
      "real celu hard_shrink soft_shrink hard_silu hard_swish hard_tanh log_sigmoid sparse_plus "
      "sparse_sigmoid squareplus tanh_shrink sigmoid softmax log_softmax relu relu6 silu swish elu selu "
      "softplus softsign hard_sigmoid leaky_relu gelu logsumexp isfinite signbit nan_to_num prod any all amax "
      "amin ptp median std var count_nonzero copy stop_gradient zeros_like ones_like".split()],
    *[(n, (P,), {}) for n in "arcsin arccos arctanh log log2 log10 log1p sqrt cbrt reciprocal rsqrt erfinv sinc "
      "i0".split()],
    *[(n, (A, B), {}) for n in "add subtract multiply maximum minimum fmax fmin arctan2 hypot logaddexp logaddexp2 "
      "equal not_equal greater greater_equal less less_equal isclose heaviside append outer cross "
      "logical_and logical_or logical_xor".split()],
    ("glu", (_u(2, 4),), {}), ("vdot", (_u(6), _u(6)), {}),
    *[(n, (P, P[::-1] + 0.5), {}) for n in "divide true_divide divide_no_nan power mod fmod floor_divide".split()],
    ("arange", (0.0, 1.0, 0.25), {}), ("linspace", (0.0, 2.0, 5), {}), ("logspace", (0.0, 2.0, 3), {}),
    ("geomspace", (1.0, 8.0, 4), {}), ("eye", (3, 4, 1), {}), ("identity", (3,), {}), ("tri", (3, 4, -1), {}),
    ("ones", ((2, 3),), {}), ("zeros", ((2,),), {}), ("full", ((2, 2), 3.5), {}), ("full_like", (A, 2.0), {}),
    ("one_hot", (np.array([0, 2, 1]), 3), {}), ("multi_hot", (np.array([[0, 2]]), 4), {}),
    ("bartlett", (5,), {}), ("blackman", (5,), {}), ("hamming", (5,), {}), ("hanning", (5,), {}),
    ("kaiser", (5, 2.0), {}), ("vander", (_u(3), 4), {}),
    ("take", (A, np.array([2, 0])), {"axis": 1}), ("take_along_axis", (A, np.array([[0, 2, 1], [1, 1, 0]]), 1), {}),
    ("top_k", (_distinct(2, 5), 3), {}), ("in_top_k", (np.array([0, 3]), _distinct(2, 5), 2), {}),
    ("roll", (A, 1), {"axis": 1}), ("rot90", (A,), {}), ("tile", (A, (2, 1)), {}), ("repeat", (A, 2), {"axis": 1}),
    ("broadcast_to", (_u(3), (2, 3)), {}), ("moveaxis", (_u(2, 3, 4), 0, -1), {}), ("swapaxes", (_u(2, 3, 4), 0, 2), {}),
    ("split", (_u(4, 2), 2), {}), ("array_split", (_u(5, 2), 2), {}), ("hstack", ([A, B],), {}),
    ("vstack", ([A, B],), {}), ("dstack", ([A, B],), {}), ("unstack", (A,), {"axis": 1}),
    ("expand_dims", (A, 1), {}), ("squeeze", (_u(2, 1, 3),), {}), ("reshape", (A, (3, 2)), {}),
    ("transpose", (_u(2, 3, 4), (1, 0, 2)), {}), ("concatenate", ([A, B],), {"axis": 1}), ("stack", ([A, B],), {}),
    ("where", (A > 0, A, B), {}), ("clip", (A, -0.5, 0.5), {}), ("pad", (A, ((1, 0), (0, 2))), {}),
    ("slice", (A, (0, 1), (2, 2)), {}), ("slice_update", (A, (0, 1), _u(1, 2)), {}),
    ("scatter", (np.array([[0, 1], [1, 2]]), np.array([1.5, -2.0]), (2, 3)), {}),
    ("scatter_update", (A, np.array([[0, 1], [1, 2]]), np.array([1.5, -2.0])), {}),
    ("searchsorted", (np.array([0.1, 0.5, 0.9]), np.array([0.3, 0.95])), {}),
    ("digitize", (A, np.array([-0.5, 0.5])), {}), ("select", ([A > 0.5, A < -0.5], [A, B], 0.0), {}),
    ("diagonal", (_u(3, 4), 1), {}), ("trace", (_u(3, 3),), {}), ("diagflat", (_u(2, 2),), {}),
    ("diff", (_u(4, 3), 2), {"axis": 0}), ("average", (A,), {"axis": 1, "weights": np.array([1.0, 2.0, 3.0])}),
    ("quantile", (_distinct(5, 2), 0.3), {"axis": 0}), ("percentile", (_distinct(2, 5), 70.0), {"axis": 1}),
    ("norm", (A,), {}), ("norm", (A,), {"ord": 1, "axis": -1}), ("norm", (_u(3, 3),), {"ord": "fro"}),
    ("norm", (_u(3, 3),), {"ord": np.inf, "axis": (0, 1)}),
    ("einsum", ("ij,kj->ik", A, B), {}), ("tensordot", (A, _u(3, 4)), {"axes": 1}), ("inner", (A, B), {}),
    ("kron", (_u(2, 2), _u(2, 3)), {}), ("matmul", (A, _u(3, 2)), {}), ("dot", (A, _u(3, 2)), {}),
    ("correlate", (_u(5), _u(3)), {"mode": "full"}), ("trapezoid", (A,), {}), ("cdist", (_u(3, 2), _u(4, 2)), {}),
    ("corrcoef", (_u(3, 6),), {}), ("det", (SQ,), {}), ("inv", (SQ,), {}), ("slogdet", (SQ,), {}),
    ("logdet", (SQ,), {}), ("solve", (SQ, _u(3, 2)), {}), ("solve_triangular", (SQ, _u(3, 2)), {"lower": True}),
    ("binary_crossentropy", (np.round(P), P), {}), ("binary_crossentropy", (np.round(P), A), {"from_logits": True}),
    ("categorical_crossentropy", (np.eye(3)[[0, 2]], P), {}),
    ("categorical_crossentropy", (np.eye(3)[[0, 2]], A), {"from_logits": True}),
    ("sparse_categorical_crossentropy", (np.array([0, 2]), P), {}),
    ("sparse_categorical_crossentropy", (np.array([0, 2]), A), {"from_logits": True}),
    ("moments", (A, (0,)), {}), ("normalize", (A,), {}), ("psnr", (P, P[::-1].copy(), 1.0), {}),
    ("batch_normalization", (A, _u(3), _u(3, low=0.5, high=1.0), 1), {"offset": _u(3), "scale": _u(3)}),
    ("layer_normalization", (A,), {"epsilon": 1e-3}), ("rms_normalization", (A,), {"epsilon": 1e-3}),
    ("conv", (IMG, KER), {"strides": 2, "padding": "same"}), ("conv", (IMG, KER), {"dilation_rate": 2}),
    ("conv", (_u(2, 7, 2), _u(3, 2, 4)), {"padding": "same"}),
    ("conv_transpose", (IMG, _u(3, 3, 4, 2)), {"strides": 2, "padding": "same"}),
    ("conv_transpose", (IMG, _u(2, 2, 4, 2)), {"strides": 2}),
    ("depthwise_conv", (IMG, _u(3, 3, 2, 2)), {"padding": "same"}),
    ("separable_conv", (IMG, _u(3, 3, 2, 2), _u(1, 1, 4, 3)), {}),
    ("max_pool", (IMG, 2), {"strides": 1}), ("average_pool", (IMG, 3), {"strides": 2, "padding": "same"}),
    ("max_pool", (_u(1, 6, 2), 2), {}), ("adaptive_average_pool", (_u(1, 5, 7, 2), (2, 3)), {}),
    ("adaptive_max_pool", (_u(1, 5, 7, 2), (2, 3)), {}),
    ("depth_to_space", (_u(1, 2, 2, 8), 2), {}), ("space_to_depth", (_u(1, 4, 4, 2), 2), {}),
    ("extract_sequences", (_u(2, 9), 4, 2), {}), ("segment_sum", (_u(4, 2), np.array([0, 0, 2, 1])), {}),
    ("segment_max", (_u(4, 2), np.array([0, 0, 2, 1])), {}),
    ("dot_product_attention", (_u(1, 3, 2, 4), _u(1, 5, 2, 4), _u(1, 5, 2, 4)), {}),
    ("unfold", (_u(1, 2, 4, 5), 2), {"stride": 1}),
    ("ctc_loss", (np.array([[1, 2, 2], [3, 0, 0], [4, 1, 0]]), _u(3, 6, 5, low=-2, high=2), np.array([3, 1, 2]),
                  np.array([6, 4, 5])), {}),
    ("ctc_decode", (_u(3, 6, 5, low=-2, high=2), np.array([6, 4, 5])), {}), ("bincount", (np.array([0, 2, 2, 3]),), {}),
    ("unique", (np.array([3, 1, 3, 2]),), {}), ("histogram", (_u(7),), {"bins": 4}),
    ("isin", (np.array([1, 2, 3]), np.array([2, 5])), {}), ("saturate_cast", (A * 300, "int8"), {}),
    ("cast", (A, "int32"), {}), ("cast", (np.array([1, 2]), "float32"), {}),
    ("rearrange", (_u(2, 4, 6, 3), "b (h p1) (w p2) c -> b h w (p1 p2 c)"), {"p1": 2, "p2": 3}),
    ("rearrange", (_u(2, 4, 6, 3), "b h w c -> b (c h) w"), {}),
    ("cholesky", (SQ @ SQ.T,), {}), ("cholesky", (SQ @ SQ.T,), {"upper": True}),
    ("cholesky_inverse", (np.tril(SQ),), {}), ("pinv", (_u(4, 3),), {}), ("lstsq", (_u(4, 3), _u(4, 2)), {}),
    ("matrix_rank", (_u(4, 3),), {}), ("lu_factor", (_u(3, 3),), {}), ("svd", (_u(4, 3),), {"compute_uv": False}),
]

# Keras's torch-backend sparsemax does not project onto the simplex (its rows do not sum to 1);
# neuronio's is checked against the definition in tests/ops/test_keras_ops.py.
KNOWN_KERAS_DIFFERENCES = {"sparsemax"}


def _keras(value):
    if isinstance(value, np.ndarray):
        return keras.ops.convert_to_tensor(value)
    if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
        return [keras.ops.convert_to_tensor(v) for v in value]
    return value


def _flat(result):
    if isinstance(result, (list, tuple)):
        return [r for item in result for r in _flat(item)]
    return [np.asarray(keras.ops.convert_to_numpy(result) if not isinstance(result, neuronio.Tensor)
                       else result.numpy())]


@pytest.mark.parametrize("name, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_values_match_keras(name, args, kwargs):
    expected = _flat(getattr(keras.ops, name)(*[_keras(a) for a in args], **kwargs))
    got = _flat(getattr(ops, name)(*args, **kwargs))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape, f"{name}: shape {g.shape} != Keras's {e.shape}"
        if e.dtype.kind == "b" or g.dtype.kind in "iub":
            np.testing.assert_array_equal(g, e.astype(g.dtype) if e.dtype.kind != "b" else e, err_msg=name)
        else:
            np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize(
    "expression",
    ["o.add(o.arange(4), 1)", "o.arange(4) * 2", "o.arange(4) / 2", "o.arange(4) + 1.5", "o.sum(o.arange(4))",
     "o.mean(o.arange(4))", "o.sqrt(o.arange(4))", "o.floor(o.arange(4))", "o.cumsum(o.arange(4))",
     "o.maximum(o.arange(4), 2)", "o.argsort(o.arange(4.0))", "o.one_hot(o.arange(3), 3)", "o.arange(0.0, 1.0, 0.5)",
     "o.ones((2,))", "o.mod(o.arange(5), 3)", "o.cast(o.arange(3), 'float32')"],
)
def test_integer_and_float_dtypes_follow_keras(expression):
    theirs = eval(expression, {"o": keras.ops})  # noqa: S307 - a fixed expression from this file
    ours = eval(expression, {"o": ops})  # noqa: S307
    assert ours.dtype.name == keras.backend.standardize_dtype(theirs.dtype), expression
    np.testing.assert_allclose(ours.numpy(), keras.ops.convert_to_numpy(theirs), rtol=1e-6)


def test_decompositions_with_sign_freedom_match_keras_up_to_signs():
    sym = SQ @ SQ.T
    w, v = ops.eigh(sym)
    kw, kv = (keras.ops.convert_to_numpy(t) for t in keras.ops.eigh(keras.ops.convert_to_tensor(sym)))
    np.testing.assert_allclose(w.numpy(), kw, rtol=1e-10)
    np.testing.assert_allclose(np.abs(v.numpy()), np.abs(kv), atol=1e-10)
    x = _u(4, 3)
    for full in (True, False):
        ours = [t.numpy() for t in ops.svd(x, full_matrices=full)]
        theirs = [keras.ops.convert_to_numpy(t) for t in keras.ops.svd(keras.ops.convert_to_tensor(x), full)]
        assert [a.shape for a in ours] == [b.shape for b in theirs]
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10)
        np.testing.assert_allclose(np.abs(ours[0][:, :3]), np.abs(theirs[0][:, :3]), atol=1e-10)
    q, r = (t.numpy() for t in ops.qr(x))
    kq, kr = (keras.ops.convert_to_numpy(t) for t in keras.ops.qr(keras.ops.convert_to_tensor(x)))
    np.testing.assert_allclose(np.abs(r), np.abs(kr), atol=1e-10)
    np.testing.assert_allclose(q @ r, x, atol=1e-12)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")  # inside Keras's jvp
def test_jvp_matches_keras_forward_mode():
    x, y, vx, vy = (_u(2, 3) for _ in range(4))
    ours = ops.jvp(lambda a, b: ops.sin(a) * b, (x, y), (vx, vy))
    theirs = keras.ops.jvp(lambda a, b: keras.ops.sin(a) * b, tuple(map(_keras, (x, y))), tuple(map(_keras, (vx, vy))))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), keras.ops.convert_to_numpy(t), rtol=1e-10)


def test_nonzero_gives_the_coordinates_keras_gives():
    # Keras's torch backend stacks them into one (ndim, count) tensor; NumPy and Keras's jax and
    # numpy backends give a tuple, which neuronio follows.
    mask = A > 0
    theirs = keras.ops.convert_to_numpy(keras.ops.nonzero(keras.ops.convert_to_tensor(mask)))
    np.testing.assert_array_equal(np.stack([t.numpy() for t in ops.nonzero(mask)]), theirs)


def _model(k):
    o = k.ops
    inputs = k.Input((4, 6))
    a = o.softmax(inputs, axis=1)
    b = o.sum(a * o.arange(6.0), axis=1, keepdims=True)
    c = o.reshape(b, (-1, 6))
    d = o.concatenate([c, c], axis=-1)
    e = o.clip(o.expand_dims(d, 1), 0.1, 3.0)
    h = o.where(-e > -2.5, -e, 0.0)  # c is 0, 1, ..., 5 up to rounding: keep the threshold off them
    i = h[..., 2:, None]
    j = o.mean(o.transpose(i, (0, 2, 1, 3)), axis=(-1, -2))
    m = o.einsum("bi,ij->bj", j, o.ones((10, 3)))
    return k.Model(inputs, [m, o.stack([c, c], axis=1), o.top_k(c, 2)[1], k.layers.Dense(2)(c) * 2 + 1])


def _entry(e):
    return json.loads(json.dumps({k: e[k] for k in ("module", "class_name", "config")}, default=str))


def test_a_model_of_ops_is_configured_computed_and_saved_as_keras_does(tmp_path):
    neuronio.config.clear_session()
    keras.backend.clear_session()
    ours, theirs = _model(neuronio), _model(keras)
    ours.get_layer("dense").set_weights([keras.ops.convert_to_numpy(w) for w in theirs.get_layer("dense").weights])
    ours_cfg, theirs_cfg = ours.get_config()["layers"], theirs.get_config()["layers"]
    assert [e["name"] for e in ours_cfg] == [e["name"] for e in theirs_cfg]
    for o, t in zip(ours_cfg[1:], theirs_cfg[1:]):
        if o["module"].startswith("keras.src.ops"):
            expected = _entry(t)
            # Keras writes every constructor argument; neuronio only those given (defaults are equal).
            expected["config"] = {k: v for k, v in expected["config"].items() if k in o["config"]}
            assert _entry(o) == expected
            strip = json.dumps(o["inbound_nodes"]).replace("float64", "float32")
            assert json.loads(strip) == json.loads(json.dumps(t["inbound_nodes"], default=str)), o["name"]
    x = RNG.uniform(0, 1, (2, 4, 6)).astype("float32")

    def compare(a, b):
        for p, q in zip(a, b):
            np.testing.assert_allclose(np.asarray(p), keras.ops.convert_to_numpy(q), rtol=1e-5, atol=1e-5)

    compare(ours.predict(x, verbose=0), theirs(x))
    ours.save(tmp_path / "ours.keras")
    compare(ours.predict(x, verbose=0), keras.saving.load_model(tmp_path / "ours.keras")(x))
    theirs.save(tmp_path / "theirs.keras")
    compare(neuronio.models.load_model(tmp_path / "theirs.keras").predict(x, verbose=0), theirs(x))


def test_argument_names_are_keras_s():
    """Keyword calls (ops.clip(x, x_min=0, x_max=1)) and the settings written into .keras files
    need Keras's parameter names, in Keras's order; neuronio may add parameters after them."""
    import inspect

    differ = []
    for name in ops.__all__:
        if not hasattr(keras.ops, name):
            continue
        ours = getattr(getattr(ops, name), "raw", getattr(ops, name))
        try:
            theirs_params = list(inspect.signature(getattr(keras.ops, name)).parameters)
            ours_params = list(inspect.signature(ours).parameters)
        except (TypeError, ValueError):
            continue
        if ours_params[: len(theirs_params)] != theirs_params:
            differ.append((name, theirs_params, ours_params))
    assert differ == []


def test_random_and_backend_names_exist_as_in_keras():
    for module, names in (
        ("random", ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
                    "shuffle", "truncated_normal", "uniform"]),
        ("backend", ["backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
                     "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
                     "set_floatx", "set_image_data_format", "standardize_dtype"]),
    ):
        theirs = {n for n in dir(getattr(keras, module)) if not n.startswith("_")}
        assert set(names) <= theirs and all(hasattr(getattr(neuronio, module), n) for n in names)
    for dtype in (float, int, bool, "float64", "uint8"):
        assert neuronio.backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)
    # (Keras caps float64 results at floatx in result_type; neuronio keeps NumPy's float64 there.)
    for pair in (("int32", "float16"), ("int8", "int32"), ("int32", "float32"), ("float16", "float32")):
        assert neuronio.backend.result_type(*pair) == keras.backend.result_type(*pair)
    keras_config = {n for n in dir(keras.config) if not n.startswith("_")}
    assert [n for n in keras_config if not hasattr(neuronio.config, n)] == []
    import inspect

    for module in ("random", "backend", "config"):  # Keras's parameter names, in Keras's order
        for name in dir(getattr(keras, module)):
            theirs, ours = getattr(getattr(keras, module), name), getattr(getattr(neuronio, module), name, None)
            if name.startswith("_") or not callable(theirs) or inspect.isclass(theirs) or ours is None:
                continue
            expected = list(inspect.signature(theirs).parameters)
            assert list(inspect.signature(ours).parameters)[: len(expected)] == expected, (module, name)


def _differentiable(case) -> bool:
    name, args, _ = case
    return any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in args) and name not in {
        "argsort", "count_nonzero", "isfinite", "signbit", "any", "all", "digitize", "searchsorted", "histogram",
        "saturate_cast", "in_top_k", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
        "isclose", "heaviside", "logical_and", "logical_or", "logical_xor", "cast", "bincount", "unique", "isin",
    }


GRAD_CASES = [c for c in CASES if _differentiable(c)]


@pytest.mark.parametrize("name, args, kwargs", GRAD_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(GRAD_CASES)])
def test_gradients_match_keras_on_torch(name, args, kwargs):
    """d sum(w * op(inputs)) / d inputs from torch's autograd through Keras's op and from
    neuronio's tape; an op with no gradient in one must have a zero gradient in the other."""
    import torch

    from neuronio.autodiff import GradientTape, Variable

    positions = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    leaves = {i: torch.tensor(args[i], requires_grad=True) for i in positions}
    theirs_out = getattr(keras.ops, name)(*[leaves.get(i, _keras(a)) for i, a in enumerate(args)], **kwargs)
    outs = [o for o in (theirs_out if isinstance(theirs_out, (list, tuple)) else [theirs_out])]
    weights = [np.random.default_rng(1).standard_normal(tuple(o.shape)) for o in outs]
    loss = sum((o * torch.tensor(w)).sum() for o, w in zip(outs, weights) if o.dtype.is_floating_point)
    if not torch.is_tensor(loss) or not loss.requires_grad:
        pytest.skip(f"keras.ops.{name} has no gradient on torch")
    try:
        theirs = torch.autograd.grad(loss, [leaves[i] for i in positions], allow_unused=True)
    except RuntimeError as exc:  # e.g. "derivative for aten::floor_divide is not implemented"
        pytest.skip(f"torch cannot differentiate keras.ops.{name}: {exc}")
    variables = {i: Variable(args[i]) for i in positions}
    with GradientTape() as tape:
        ours_out = getattr(ops, name)(*[variables.get(i, a) for i, a in enumerate(args)], **kwargs)
        outs = ours_out if isinstance(ours_out, (list, tuple)) else [ours_out]
        total = sum(ops.sum(o * w) for o, w in zip(outs, weights) if o.dtype.kind == "f")
    ours = tape.gradient(total, [variables[i] for i in positions], unconnected_gradients="zero")
    for i, g, t in zip(positions, ours, theirs):
        expected = np.zeros(args[i].shape) if t is None else t.detach().numpy()
        np.testing.assert_allclose(g.numpy(), expected, rtol=1e-5, atol=1e-7, err_msg=f"{name}: input {i}")
