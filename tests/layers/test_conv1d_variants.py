"""Conv1DTranspose, DepthwiseConv1D and SeparableConv1D through check_layer (shapes, weights,
symbolic call, config round trip, float64 gradient checks of input and weights), their values
against the 2-D layers they are built on, and their refusals of bad arguments."""

import numpy as np
import pytest

from neuronio import layers
from tests.helpers import check_layer

CASES = [
    # (class, kwargs, input shape, output shape, n trainable, weight names)
    (layers.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 3), (2, 8, 2),
     2, ("kernel", "bias")),
    (layers.Conv1DTranspose, {"filters": 3, "kernel_size": 2, "strides": 3, "output_padding": 1, "activation": "tanh"},
     (1, 3, 2), (1, 9, 3), 2, ("kernel", "bias")),
    (layers.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2}, (2, 5, 2), (2, 3, 4), 2, ("kernel", "bias")),
    (layers.DepthwiseConv1D, {"kernel_size": 2, "strides": 2, "padding": "same", "use_bias": False}, (1, 5, 3),
     (1, 3, 3), 1, ("kernel",)),
    (layers.SeparableConv1D, {"filters": 3, "kernel_size": 3, "padding": "same", "depth_multiplier": 2}, (2, 4, 2),
     (2, 4, 3), 3, ("depthwise_kernel", "pointwise_kernel", "bias")),
    (layers.DepthwiseConv1D, {"kernel_size": 2, "dilation_rate": 3}, (2, 6, 2), (2, 3, 2), 2, ("kernel", "bias")),
    (layers.Conv1DTranspose, {"filters": 2, "kernel_size": 3, "dilation_rate": 2}, (1, 3, 2), (1, 7, 2), 2,
     ("kernel", "bias")),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[1])}")
def test_layer(case):
    cls, kwargs, in_shape, out_shape, n_train, names = case
    check_layer(cls, kwargs, in_shape, out_shape, n_train, 0, names)


PAIRS = [
    (layers.Conv1DTranspose, layers.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2}),
    (layers.DepthwiseConv1D, layers.DepthwiseConv2D, {"kernel_size": 2, "depth_multiplier": 3, "padding": "same"}),
    (layers.SeparableConv1D, layers.SeparableConv2D, {"filters": 4, "kernel_size": 3, "strides": 2}),
]


@pytest.mark.parametrize(("one", "two", "kwargs"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_a_sequence_gives_what_the_2d_layer_gives_on_a_height_1_image(rng, one, two, kwargs):
    """The 1-D layer is the 2-D one with kernel height 1 and stride 1 along the height."""
    x = rng.standard_normal((2, 7, 3)).astype("float32")
    seq = one(**kwargs)
    image = two(**{**kwargs, "kernel_size": (1, kwargs["kernel_size"]), "strides": (1, kwargs.get("strides", 1))})
    seq(x)
    image(x[:, None])
    values = [w.numpy() for w in seq.weights]
    image.set_weights([v.reshape(w.shape) for v, w in zip(values, image.weights, strict=True)])
    np.testing.assert_allclose(seq(x).numpy(), image(x[:, None]).numpy()[:, 0], rtol=1e-6, atol=1e-6)


def test_configs_keep_one_axis_and_aliases_name_the_same_classes():
    layer = layers.Conv1DTranspose(2, (3,), strides=2, output_padding=(1,))
    config = layer.get_config()
    assert (config["kernel_size"], config["strides"], config["output_padding"], config["dilation_rate"]) == (
        [3],
        [2],
        [1],
        [1],
    )
    assert layers.Conv1DTranspose.from_config(config).output_padding == (1,)
    assert layers.Convolution1DTranspose is layers.Conv1DTranspose
    assert layers.SeparableConvolution1D is layers.SeparableConv1D
    assert layers.registry.lookup("Convolution1DTranspose") is layers.Conv1DTranspose


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: layers.Conv1DTranspose(2, 3, strides=2, output_padding=2), r"output_padding.*\[0, stride\).*=2"),
        (lambda: layers.Conv1DTranspose(2, (3, 3)), r"kernel_size.*tuple of 1 int"),
        (lambda: layers.DepthwiseConv1D(3, padding="causal"), r"padding.*'valid' or 'same'.*causal"),
        (lambda: layers.SeparableConv1D(2, 3, data_format="channels_first"), r"channels_last.*NLC.*\(0, 2, 1\)"),
        (lambda: layers.Conv1DTranspose(2, 3, strides=2, dilation_rate=2), r"strides > 1.*dilation_rate > 1"),
        (lambda: layers.DepthwiseConv1D(3, depth_multiplier=0), r"depth_multiplier.*positive int"),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_2d_input_is_refused_by_the_input_spec(rng):
    with pytest.raises(ValueError, match=r"ndim=3|rank 3|3 dimensions|expected ndim"):
        layers.SeparableConv1D(2, 3)(rng.standard_normal((2, 5, 5, 3)).astype("float32"))
