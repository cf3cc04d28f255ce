"""Shared test machinery: one declarative OpCase per op, check_layer for layers, and real Keras
on the torch backend for the reference tests (keras_on_torch).

Every op test goes through `check_op`, so "every gradient is checked" is a property of the
harness, not of each test's diligence (Chainer's FunctionTestCase, tinygrad's helper_test_op).
"""

import dataclasses
import os
import sys
from collections.abc import Callable

import numpy as np
import pytest

from neuronio import config
from neuronio.autodiff import Tensor, check_gradients

# Forward results in float32 are compared with a float64 reference: float32 keeps about 7
# significant digits, and a reduction or product of a few hundred terms loses one or two.
FORWARD_RTOL = 1e-5
FORWARD_ATOL = 1e-5
# Above this many input entries the full-Jacobian check is too slow (STYLE B3): use a direction.
FULL_JACOBIAN_MAX_ENTRIES = 400


@dataclasses.dataclass
class OpCase:
    """One op under test.

    fn: the public op called on Tensors, e.g. `lambda x, k: ops.conv2d(x, k, strides=2)`.
    inputs: rng -> tuple of float64 arrays (sampled away from kinks and ties).
    reference: obviously-correct NumPy version taking the same arrays (float64), or None when
        the forward is asserted elsewhere.
    binary: also run the broadcast grid (for elementwise binary ops).
    """

    name: str
    fn: Callable
    inputs: Callable
    reference: Callable | None = None
    binary: bool = False
    check_grad: bool = True


# Broadcast grid (autograd's binary_ufunc_check): each shape against each other that broadcasts.
BROADCAST_SHAPES = [(), (2,), (3, 2), (1, 2), (3, 1), (4, 3, 2)]


def check_op(case: OpCase, seed: int = 0) -> float:
    """Run every check on `case`; return the largest gradient error found."""
    rng = np.random.default_rng(seed)
    arrays = case.inputs(rng)
    # 1. Forward in float32 against the float64 reference; dtype is preserved.
    y32 = case.fn(*[Tensor(a.astype(np.float32)) for a in arrays])
    assert isinstance(y32, Tensor), f"{case.name} returned {type(y32).__name__}, not a Tensor"
    assert y32.dtype == np.float32, f"{case.name}: dtype mismatch, float32 in but {y32.dtype} out"
    if case.reference is not None:
        expected = np.asarray(case.reference(*arrays))
        assert y32.shape == expected.shape, f"{case.name}: shape {y32.shape} != reference {expected.shape}"
        np.testing.assert_allclose(
            y32.numpy(),
            expected,
            rtol=FORWARD_RTOL,
            atol=FORWARD_ATOL,
            err_msg=f"{case.name}: forward differs from the reference",
        )
    # 2. float64 stays float64 (the gradient-check path).
    y64 = case.fn(*[Tensor(a.astype(np.float64)) for a in arrays])
    assert y64.dtype == np.float64, f"{case.name}: float64 in but {y64.dtype} out"
    worst = 0.0
    # 3. Gradient check: full Jacobian on small inputs, a random direction on large ones.
    if case.check_grad:
        mode = "full" if sum(a.size for a in arrays) <= FULL_JACOBIAN_MAX_ENTRIES else "direction"
        worst = check_gradients(case.fn, [a.astype(np.float64) for a in arrays], mode=mode, seed=seed)
    # 4. Broadcast grid for binary ops: values and gradients for every pair of shapes.
    if case.binary:
        base = arrays
        for sa in BROADCAST_SHAPES:
            for sb in BROADCAST_SHAPES:
                try:
                    np.broadcast_shapes(sa, sb)
                except ValueError:
                    continue
                a = _like(base[0], sa, rng)
                b = _like(base[1], sb, rng)
                if case.reference is not None:
                    got = case.fn(Tensor(a), Tensor(b)).numpy()
                    np.testing.assert_allclose(got, case.reference(a, b), rtol=1e-12, atol=1e-12)
                worst = max(worst, check_gradients(case.fn, [a, b], mode="full", seed=seed))
    return worst


def _like(sample: np.ndarray, shape, rng) -> np.ndarray:
    """Values drawn from the same range as `sample`, in a new shape (float64)."""
    low, high = float(sample.min()), float(sample.max())
    return rng.uniform(low, high, size=shape) if shape else np.float64(rng.uniform(low, high)) * np.ones(())


def away_from(values: np.ndarray, points=(0.0,), margin: float = 0.05) -> np.ndarray:
    """Move entries within `margin` of a kink (e.g. relu's 0) out of that band."""
    values = np.array(values, dtype=np.float64)
    for p in points:
        near = np.abs(values - p) < margin
        values[near] = p + np.where(values[near] >= p, margin, -margin) * 2
    return values


def float64_scope():
    """Context: layers built inside create float64 weights (for gradient checks)."""
    return config.floatx_scope("float64")


def check_layer(
    layer_cls,
    init_kwargs: dict,
    input_shape: tuple,
    expected_output_shape: tuple,
    expected_num_trainable_weights: int = 0,
    expected_num_non_trainable_weights: int = 0,
    expected_weight_names: tuple | None = None,
    training_differs: bool = False,
    input_sampler=None,
    check_grad: bool = True,
    seed: int = 0,
):
    """Keras's run_layer_test, in about ten steps: build, shapes, weights, symbolic call,
    training vs inference, float32 and float64, gradient checks (input and every parameter),
    and a get_config round trip. Returns the largest gradient error."""
    from neuronio.autodiff import Tensor
    from neuronio.layers import Input

    rng = np.random.default_rng(seed)
    sample = input_sampler or (lambda r, shape: r.uniform(-1.0, 1.0, shape))
    x = sample(rng, input_shape)
    # 1. Eager call in float32: output shape and dtype.
    config.set_random_seed(seed)
    layer = layer_cls(**init_kwargs)
    y = layer(x.astype(np.float32))
    assert y.shape == tuple(expected_output_shape), f"{layer_cls.__name__}: output {y.shape} != {expected_output_shape}"
    assert y.dtype == np.float32, f"{layer_cls.__name__}: float32 in, {y.dtype} out"
    # 2. Weights: counts, names, dtype.
    assert len(layer.trainable_weights) == expected_num_trainable_weights, [w.name for w in layer.trainable_weights]
    assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights, [
        w.name for w in layer.non_trainable_weights
    ]
    if expected_weight_names is not None:
        assert tuple(w.name for w in layer.weights) == tuple(expected_weight_names), [w.name for w in layer.weights]
    assert all(w.dtype == np.float32 for w in layer.weights)
    # 3. Shape inference agrees with the eager call, symbolically and through compute_output_shape.
    symbolic_shape = (None, *input_shape[1:])
    assert tuple(layer.compute_output_shape(symbolic_shape)) == (None, *expected_output_shape[1:])
    fresh = layer_cls(**init_kwargs)
    out = fresh(Input(shape=input_shape[1:]))
    assert out.shape == (None, *expected_output_shape[1:]), f"symbolic output {out.shape}"
    # 4. Training vs inference.
    config.set_random_seed(seed)
    y_train = layer(x.astype(np.float32), training=True).numpy()
    y_infer = layer(x.astype(np.float32), training=False).numpy()
    if training_differs:
        assert not np.allclose(y_train, y_infer), f"{layer_cls.__name__}: training and inference agree"
    else:
        np.testing.assert_allclose(y_train, y_infer, rtol=1e-6, atol=1e-6)
    # 5. get_config round trip: same config, and the same outputs with the same weights.
    cfg = layer.get_config()
    clone = layer_cls.from_config(cfg)
    assert clone.get_config() == cfg, (clone.get_config(), cfg)
    clone(x.astype(np.float32))
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x.astype(np.float32)).numpy(), y_infer, rtol=1e-6, atol=1e-6)
    # 6. Gradient checks in float64, input and parameters, in training mode with a fixed mask.
    worst = 0.0
    if check_grad:
        with config.floatx_scope("float64"):
            layer64 = layer_cls(**init_kwargs)
            layer64(x)
            params = layer64.trainable_weights

            def fn(t):
                config.set_random_seed(seed)
                return layer64(t, training=True)

            x64 = Tensor(np.array(x, dtype=np.float64))
            n_entries = x.size + sum(p.size for p in params)
            mode = "full" if n_entries <= FULL_JACOBIAN_MAX_ENTRIES else "direction"
            worst = check_gradients(fn, [x64], params=params, mode=mode, seed=seed)
            if mode == "direction":
                worst = max(worst, check_gradients(fn, [x64], params=params, mode=mode, seed=seed + 1))
    return worst


# Raised inside Keras's torch backend under NumPy 2 (torch's __array__ lacks `copy`), not by neuronio.
KERAS_ARRAY_COPY_WARNING = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def same_random_weights(ours, theirs, rng, scale: float = 1.0) -> None:
    """Give a neuronio model and a Keras model the same random weights (Keras's order)."""
    values = [scale * rng.standard_normal(tuple(w.shape)).astype("float32") for w in theirs.weights]
    theirs.set_weights(values)
    ours.set_weights(values)


def assert_one_sgd_step_matches(ours, theirs, apis, rng, shape, rtol: float, atol: float) -> None:
    """Compile both models (same order as `apis`: neuronio, keras) with SGD(0.1) and MSE, take one
    train_on_batch step on the same random batch: the losses and the new weights must agree."""
    x = rng.standard_normal((4, *shape)).astype("float32")
    y = rng.standard_normal((4, *theirs.output_shape[1:])).astype("float32")
    for model, api in zip((ours, theirs), apis, strict=True):
        model.compile(optimizer=api.optimizers.SGD(learning_rate=0.1), loss="mse")
    np.testing.assert_allclose(ours.train_on_batch(x, y), theirs.train_on_batch(x, y), rtol=rtol)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def keras_on_torch():
    """Real Keras 3 on the torch backend (the `keras` extra), or a clean skip of the caller: of a
    test, or of a whole module when called at import time."""
    if "keras" not in sys.modules:
        os.environ["KERAS_BACKEND"] = "torch"  # Keras reads it once, on its first import
    pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "torch":
        pytest.skip("keras was already imported with another backend", allow_module_level=True)
    return keras


def scale_layer_class(lib):
    """A custom layer as Keras's guides write one (a weight in build, a constructor argument,
    no get_config), for `lib` = neuronio or keras: the custom-object and saving tests register
    it under the same name in both."""

    class Scale(lib.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w * self.factor

    return Scale


def subclassed_model_class(lib):
    """A subclassed model as Keras's guides write one (sublayers as attributes, in a list, in a
    dict and in a private attribute; a constructor argument; no get_config), for `lib` = neuronio
    or keras: the saving tests register it under the same name in both. Its attributes cover
    every way Keras keys a sublayer's weights: `bn/vars`, `blocks/dense_1/vars`, and
    `layers/dense_N/vars` for those whose attribute sorts after "layers" (`table`, `_private`, `zeta`)."""

    class Net(lib.Model):
        def __init__(self, width=3, **kwargs):
            super().__init__(**kwargs)
            self.width = width
            self.blocks = [lib.layers.Dense(width, activation="relu"), lib.layers.Dense(3)]
            self.table = {"b": lib.layers.Dense(2), "a": lib.layers.Dense(2)}
            self._private = lib.layers.Dense(2)
            self.bn = lib.layers.BatchNormalization()
            self.zeta = lib.layers.Dense(1)

        def call(self, x, training=False):
            h = self.blocks[1](self.blocks[0](x))
            h = self._private(self.table["a"](self.table["b"](h)))
            return self.zeta(self.bn(h, training=training))

    return Net
