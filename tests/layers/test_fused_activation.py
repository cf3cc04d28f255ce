"""Fused activations (activations.fusable): a layer whose activation rides inside its op computes
the same values and gradients as the op followed by the activation, and only the built-in relu
with its default arguments is fused."""

import functools

import numpy as np
import pytest

from neuronio import activations, layers, ops
from neuronio.autodiff import GradientTape, Variable


def test_only_the_builtin_relu_is_fused():
    assert activations.fusable(activations.get("relu")) == "relu"
    assert activations.fusable(activations.get("softmax")) == "softmax"
    assert activations.fusable(activations.get(None)) is None
    assert activations.fusable(activations.get("tanh")) is None
    assert activations.fusable(functools.partial(activations.relu, negative_slope=0.1)) is None
    assert activations.fusable(lambda x: activations.relu(x)) is None
    assert activations.fusable(functools.partial(activations.softmax, axis=0)) is None

    class Unhashable:
        __eq__ = object.__eq__
        __hash__ = None

        def __call__(self, x):
            return x

    assert activations.fusable(Unhashable()) is None


@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 5)])
@pytest.mark.parametrize("name", ["relu", "softmax"])
def test_dense_fused_activation_matches_the_unfused_layer_in_values_and_gradients(shape, name):
    rng = np.random.default_rng(0)
    x = Variable(rng.standard_normal(shape).astype(np.float32))
    fused = layers.Dense(4, activation=name)
    builtin = activations.get(name)
    plain = layers.Dense(4, activation=lambda t: builtin(t))  # a callable: not fused
    fused(x), plain(x)  # build
    plain.set_weights(fused.get_weights())
    upstream = rng.standard_normal((*shape[:-1], 4)).astype(np.float32)
    results = []
    for layer in (fused, plain):
        with GradientTape() as tape:
            loss = ops.sum(layer(x) * upstream)
        results.append((layer(x).numpy(), *[g.numpy() for g in tape.gradient(loss, [x, *layer.trainable_weights])]))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    if name == "relu":
        assert (results[0][0] == 0).any() and (results[0][0] > 0).any()  # both sides of the kink exercised


def test_softmax_is_fused_in_inference_only_so_that_losses_still_find_the_logits():
    from neuronio.ops.linalg import LinearOp
    from neuronio.ops.softmax import SoftmaxOp

    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    fused = layers.Dense(4, activation="softmax")
    plain = layers.Dense(4, activation=lambda t: activations.softmax(t))
    fused(x), plain(x)
    plain.set_weights(fused.get_weights())
    np.testing.assert_array_equal(fused(x).numpy(), plain(x).numpy())  # the same steps, in place
    with GradientTape() as tape:
        tape.watch(fused.kernel)
        y = fused(x)
    assert isinstance(y.node, SoftmaxOp)  # recorded: its own op
    assert activations.fusable(activations.softmax) == "softmax"  # not recording: fused
    assert activations.fusable(activations.relu) == "relu"
    with GradientTape():
        assert activations.fusable(activations.softmax) is None
        assert activations.fusable(activations.relu) == "relu"
    assert LinearOp("softmax").activation == "softmax"


def test_conv2d_relu_matches_the_unfused_layer_in_values_and_gradients():
    rng = np.random.default_rng(2)
    x = Variable(rng.standard_normal((2, 7, 7, 3)).astype(np.float32))
    fused = layers.Conv2D(4, 3, padding="same", activation="relu")
    plain = layers.Conv2D(4, 3, padding="same", activation=lambda t: activations.relu(t))  # a callable: not fused
    fused(x), plain(x)
    plain.set_weights(fused.get_weights())
    upstream = rng.standard_normal((2, 7, 7, 4)).astype(np.float32)
    results = []
    for layer in (fused, plain):
        with GradientTape() as tape:
            y = layer(x)
            loss = ops.sum(y * upstream)
        results.append((y.numpy(), *[g.numpy() for g in tape.gradient(loss, [x, *layer.trainable_weights])]))
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert (results[0][0] == 0).any() and (results[0][0] > 0).any()
    assert activations.fusable(activations.softmax, op_takes=("relu",)) is None  # conv2d fuses relu only
