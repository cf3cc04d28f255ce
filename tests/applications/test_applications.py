"""neuronio.applications: LeNet-5, the deck's AlexNet, VGG19 and ResNet50/101/152.

Parameter counts are exact (derived by hand or Keras's published totals), AlexNet's stage shapes
are seed 001's table, each model runs a forward pass on one image, and where Keras is installed
VGG19 and the ResNets are compared with `keras.applications` layer by layer (names, classes,
output shapes, parameter counts, key arguments) and, on small images with copied weights, output
for output.
"""

import numpy as np
import pytest

from neuronio import applications, layers
from neuronio.errors import ShapeError
from tests.helpers import keras_on_torch

# One image through float32 convolutions and a softmax: probabilities sum to 1 within a few
# float32 spacings of 1 (1000 terms, each rounded once).
SOFTMAX_SUM_TOL = 1e-5


def _output_shape(layer) -> tuple:
    return tuple(layer.output.shape)


def _forward_one_image(model, image_shape, seed=0):
    image = np.random.default_rng(seed).random((1, *image_shape), dtype=np.float32)
    return model.predict(image, verbose=0)


def _summary_text(model) -> str:
    chunks = []
    model.summary(print_fn=chunks.append)
    return "\n".join(chunks)


@pytest.fixture(scope="module")
def alexnet():
    return applications.AlexNet()


@pytest.fixture(scope="module")
def vgg19():
    return applications.VGG19()


@pytest.fixture(scope="module")
def resnet50():
    return applications.ResNet50()


@pytest.fixture(scope="module")
def resnet152():
    return applications.ResNet152()


# ---------------------------------------------------------------------------------------------
# LeNet-5
# ---------------------------------------------------------------------------------------------

# (output shape, parameters) of each layer for a 32x32x1 input; parameters = (KH*KW*C + 1) * F
# for a convolution and (D + 1) * U for a dense layer:
#   C1 (5*5*1 + 1) * 6 = 156; C3 (5*5*6 + 1) * 16 = 2,416 (full connection, not the paper's
#   1,516); C5 (5*5*16 + 1) * 120 = 48,120; F6 (120 + 1) * 84 = 10,164; output (84 + 1) * 10 = 850.
# Total 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706.
LENET5_LAYERS = {
    "C1": ((None, 28, 28, 6), 156),
    "S2": ((None, 14, 14, 6), 0),
    "C3": ((None, 10, 10, 16), 2416),
    "S4": ((None, 5, 5, 16), 0),
    "C5": ((None, 1, 1, 120), 48120),
    "flatten": ((None, 120), 0),
    "F6": ((None, 84), 10164),
    "output": ((None, 10), 850),
}
LENET5_PARAMS = 61706


def test_lenet5_layers_shapes_and_parameters():
    model = applications.LeNet5()
    got = {layer.name: (_output_shape(layer), layer.count_params()) for layer in model.layers}
    assert got == LENET5_LAYERS
    assert [layer.name for layer in model.layers] == list(LENET5_LAYERS)
    assert model.count_params() == LENET5_PARAMS
    assert isinstance(model.get_layer("S2"), layers.AveragePooling2D)
    assert model.get_layer("C3").get_config()["activation"] == "tanh"


def test_lenet5_pads_mnist_digits_to_the_papers_32x32_field():
    model = applications.LeNet5(input_shape=(28, 28, 1))
    first = model.layers[0]
    assert isinstance(first, layers.ZeroPadding2D) and first.name == "pad"
    assert _output_shape(first) == (None, 32, 32, 1)
    got = {layer.name: (_output_shape(layer), layer.count_params()) for layer in model.layers[1:]}
    assert got == LENET5_LAYERS
    assert model.count_params() == LENET5_PARAMS


def test_lenet5_forward_pass_on_one_digit():
    model = applications.LeNet5(input_shape=(28, 28, 1))
    probabilities = _forward_one_image(model, (28, 28, 1))
    assert probabilities.shape == (1, 10) and probabilities.dtype == np.float32
    assert abs(float(probabilities.sum()) - 1.0) < SOFTMAX_SUM_TOL


def test_lenet5_rejects_images_smaller_than_its_field():
    with pytest.raises(ShapeError, match=r"LeNet5: images must be at least 32x32; received input_shape=\(30, 30, 1\)"):
        applications.LeNet5(input_shape=(30, 30, 1))


# ---------------------------------------------------------------------------------------------
# AlexNet: seed 001's "Full (simplified) AlexNet architecture"
# ---------------------------------------------------------------------------------------------

# The deck's table, row by row (layer, shape after it).
ALEXNET_TABLE = [
    ("conv1", (55, 55, 96)),
    ("pool1", (27, 27, 96)),
    ("norm1", (27, 27, 96)),
    ("conv2", (27, 27, 256)),
    ("pool2", (13, 13, 256)),
    ("norm2", (13, 13, 256)),
    ("conv3", (13, 13, 384)),
    ("conv4", (13, 13, 384)),
    ("conv5", (13, 13, 256)),
    ("pool3", (6, 6, 256)),
    ("fc6", (4096,)),
    ("fc7", (4096,)),
    ("fc8", (1000,)),
]

# By hand, (KH*KW*C + 1) * F per convolution and (D + 1) * U per dense layer:
#   conv1 11*11*3*96 + 96        =     34,944  (the deck's "(11 x 11 x 3) x 96 = 35K" plus 96 biases)
#   conv2 5*5*96*256 + 256       =    614,656
#   conv3 3*3*256*384 + 384      =    885,120
#   conv4 3*3*384*384 + 384      =  1,327,488
#   conv5 3*3*384*256 + 256      =    884,992
#   fc6   6*6*256*4096 + 4096    = 37,752,832
#   fc7   4096*4096 + 4096       = 16,781,312
#   fc8   4096*1000 + 1000       =  4,097,000
#   total                        = 62,378,344
ALEXNET_PARAMS = {
    "conv1": 34944,
    "conv2": 614656,
    "conv3": 885120,
    "conv4": 1327488,
    "conv5": 884992,
    "fc6": 37752832,
    "fc7": 16781312,
    "fc8": 4097000,
}
ALEXNET_TOTAL = 62378344


def test_alexnet_stage_shapes_match_the_decks_table(alexnet):
    for name, shape in ALEXNET_TABLE:
        assert _output_shape(alexnet.get_layer(name)) == (None, *shape), name


def test_alexnet_layer_order_and_names(alexnet):
    assert [layer.name for layer in alexnet.layers] == [
        "conv1",
        "pool1",
        "norm1",
        "conv2",
        "pool2",
        "norm2",
        "conv3",
        "conv4",
        "conv5",
        "pool3",
        "flatten",
        "fc6",
        "drop6",
        "fc7",
        "drop7",
        "fc8",
    ]


def test_alexnet_parameter_counts(alexnet):
    assert alexnet.get_layer("conv1").count_params() == 34944
    got = {layer.name: layer.count_params() for layer in alexnet.layers if layer.count_params()}
    assert got == ALEXNET_PARAMS
    assert sum(ALEXNET_PARAMS.values()) == ALEXNET_TOTAL
    assert alexnet.count_params() == ALEXNET_TOTAL


def test_alexnet_layers_follow_the_paper(alexnet):
    conv1 = alexnet.get_layer("conv1").get_config()
    assert (conv1["kernel_size"], conv1["strides"], conv1["padding"]) == ([11, 11], [4, 4], "valid")
    assert all(alexnet.get_layer(f"conv{i}").get_config()["activation"] == "relu" for i in range(1, 6))
    pool = alexnet.get_layer("pool2").get_config()
    assert (pool["pool_size"], pool["strides"]) == ([3, 3], [2, 2])
    norm = alexnet.get_layer("norm1").get_config()
    assert (norm["depth_radius"], norm["bias"], norm["alpha"], norm["beta"]) == (2, 2.0, 1e-4, 0.75)
    assert alexnet.get_layer("drop6").get_config()["rate"] == 0.5
    assert alexnet.get_layer("fc8").get_config()["activation"] == "softmax"


def test_alexnet_forward_pass_on_one_image(alexnet):
    probabilities = _forward_one_image(alexnet, (227, 227, 3))
    assert probabilities.shape == (1, 1000) and probabilities.dtype == np.float32
    assert np.all(probabilities >= 0)
    assert abs(float(probabilities.sum()) - 1.0) < SOFTMAX_SUM_TOL


def test_alexnet_rejects_images_too_small_for_pool3():
    assert _output_shape(applications.AlexNet(input_shape=(67, 67, 3)).get_layer("pool3")) == (None, 1, 1, 256)
    with pytest.raises(ShapeError, match=r"AlexNet: images must be at least 67x67; received input_shape=\(66, 66, 3\)"):
        applications.AlexNet(input_shape=(66, 66, 3))


# ---------------------------------------------------------------------------------------------
# VGG19
# ---------------------------------------------------------------------------------------------

# Keras's totals: 143,667,240 with the top, 20,024,384 for the 16 convolutions alone.
VGG19_PARAMS = 143667240
VGG19_NOTOP_PARAMS = 20024384


def test_vgg19_parameters_and_layers(vgg19):
    assert vgg19.count_params() == VGG19_PARAMS
    assert vgg19.name == "vgg19"
    names = [layer.name for layer in vgg19.layers]
    assert names[1:4] == ["block1_conv1", "block1_conv2", "block1_pool"]
    assert names[-5:] == ["block5_pool", "flatten", "fc1", "fc2", "predictions"]
    assert _output_shape(vgg19.get_layer("block5_pool")) == (None, 7, 7, 512)
    # fc1: 7*7*512 inputs * 4096 + 4096 biases.
    assert vgg19.get_layer("fc1").count_params() == 7 * 7 * 512 * 4096 + 4096


def test_vgg19_forward_pass_on_one_image(vgg19):
    probabilities = _forward_one_image(vgg19, (224, 224, 3))
    assert probabilities.shape == (1, 1000) and probabilities.dtype == np.float32
    assert abs(float(probabilities.sum()) - 1.0) < SOFTMAX_SUM_TOL


def test_vgg19_without_top():
    model = applications.VGG19(include_top=False)
    assert model.count_params() == VGG19_NOTOP_PARAMS
    assert _output_shape(model.layers[-1]) == (None, None, None, 512)
    pooled = applications.VGG19(include_top=False, input_shape=(64, 64, 3), pooling="avg")
    assert _output_shape(pooled.layers[-1]) == (None, 512)
    assert pooled.predict(np.zeros((2, 64, 64, 3), np.float32), verbose=0).shape == (2, 512)


# ---------------------------------------------------------------------------------------------
# ResNet v1
# ---------------------------------------------------------------------------------------------

# Keras's totals; non-trainable parameters are BatchNormalization's moving means and variances.
RESNET_PARAMS = {"ResNet50": 25636712, "ResNet101": 44707176, "ResNet152": 60419944}
RESNET152_TRAINABLE = 60268520


def test_resnet152_parameters_are_the_decks_60_million(resnet152):
    assert resnet152.count_params() == RESNET_PARAMS["ResNet152"]
    assert sum(w.size for w in resnet152.trainable_weights) == RESNET152_TRAINABLE
    assert resnet152.name == "resnet152"
    # 3 + 8 + 36 + 3 = 50 bottleneck blocks of three convolutions, the stem and the classifier: 152.
    n_conv = sum(isinstance(layer, layers.Conv2D) and not layer.name.endswith("_0_conv") for layer in resnet152.layers)
    assert n_conv + 1 == 152


def test_resnet50_and_resnet101_parameters(resnet50):
    assert resnet50.count_params() == RESNET_PARAMS["ResNet50"]
    assert applications.ResNet101().count_params() == RESNET_PARAMS["ResNet101"]


def test_resnet_block_structure(resnet50):
    # Keras's v1: stride 2 on the first 1x1 of a downsampling block, bias on every convolution,
    # BatchNormalization epsilon 1.001e-5.
    assert resnet50.get_layer("conv3_block1_1_conv").get_config()["strides"] == [2, 2]
    assert resnet50.get_layer("conv3_block1_2_conv").get_config()["strides"] == [1, 1]
    assert resnet50.get_layer("conv3_block1_0_conv").get_config()["strides"] == [2, 2]
    assert all(layer.get_config()["use_bias"] for layer in resnet50.layers if isinstance(layer, layers.Conv2D))
    epsilons = {
        layer.get_config()["epsilon"] for layer in resnet50.layers if isinstance(layer, layers.BatchNormalization)
    }
    assert epsilons == {1.001e-5}
    for name, shape in [
        ("pool1_pool", (56, 56, 64)),
        ("conv2_block3_out", (56, 56, 256)),
        ("conv3_block4_out", (28, 28, 512)),
        ("conv4_block6_out", (14, 14, 1024)),
        ("conv5_block3_out", (7, 7, 2048)),
        ("avg_pool", (2048,)),
        ("predictions", (1000,)),
    ]:
        assert _output_shape(resnet50.get_layer(name)) == (None, *shape), name


def test_resnet50_forward_pass_on_one_image(resnet50):
    probabilities = _forward_one_image(resnet50, (224, 224, 3))
    assert probabilities.shape == (1, 1000) and probabilities.dtype == np.float32
    assert abs(float(probabilities.sum()) - 1.0) < SOFTMAX_SUM_TOL


def test_resnet152_forward_pass_on_one_image(resnet152):
    probabilities = _forward_one_image(resnet152, (224, 224, 3))
    assert probabilities.shape == (1, 1000) and probabilities.dtype == np.float32
    assert abs(float(probabilities.sum()) - 1.0) < SOFTMAX_SUM_TOL


def test_resnet_without_top_and_with_an_input_tensor():
    inputs = layers.Input(shape=(64, 64, 3))
    model = applications.ResNet50(include_top=False, input_tensor=inputs, pooling="max")
    assert model.inputs[0] is inputs
    assert model.layers[-1].name == "max_pool" and _output_shape(model.layers[-1]) == (None, 2048)
    assert applications.ResNet50(include_top=False).count_params() == RESNET_PARAMS["ResNet50"] - (2048 + 1) * 1000


# ---------------------------------------------------------------------------------------------
# Arguments shared with keras.applications
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("builder", [applications.VGG19, applications.ResNet50, applications.ResNet152])
def test_pretrained_weights_are_refused_with_the_reason(builder):
    with pytest.raises(ValueError, match=r"only weights=None .* received weights='imagenet'.*no pretrained"):
        builder(weights="imagenet")


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"input_shape": (31, 224, 3)}, ShapeError, r"at least 32x32; received input_shape=\(31, 224, 3\)"),
        ({"input_shape": (224, 224)}, ShapeError, r"must be \(height, width, channels\)"),
        ({"input_shape": (None, None, 3)}, ShapeError, r"input_shape must be fixed.*include_top=False"),
        ({"include_top": False, "pooling": "mean"}, ValueError, r"'avg' or 'max'; received pooling='mean'"),
        ({"input_tensor": np.zeros((1, 224, 224, 3))}, TypeError, r"returned by Input\(\); received ndarray"),
    ],
)
def test_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        applications.ResNet50(**kwargs)


@pytest.mark.parametrize("fixture", ["alexnet", "vgg19", "resnet50", "resnet152"])
def test_summary_prints_the_totals(fixture, request):
    model = request.getfixturevalue(fixture)
    text = _summary_text(model)
    assert f'Model: "{model.name}"' in text
    assert f"Total params: {model.count_params():,} (" in text


def test_lenet5_summary():
    assert "Total params: 61,706 (241.04 KB)" in _summary_text(applications.LeNet5())


# ---------------------------------------------------------------------------------------------
# Against keras.applications (built with weights=None; skipped without keras)
# ---------------------------------------------------------------------------------------------

# Constructor arguments that decide a layer's structure and arithmetic.
STRUCTURAL_KEYS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "use_bias",
    "activation",
    "units",
    "pool_size",
    "epsilon",
    "momentum",
    "center",
    "scale",
)


def _normalize(value):
    if isinstance(value, (list, tuple)):
        return [_normalize(v) for v in value]
    return value.lower() if isinstance(value, str) else value


def _describe(layer) -> tuple:
    config = layer.get_config()
    arguments = {key: _normalize(config[key]) for key in STRUCTURAL_KEYS if key in config}
    # Input layers are auto-named with a session counter ("input_layer_3") in both engines.
    name = None if type(layer).__name__ == "InputLayer" else layer.name
    return name, type(layer).__name__, _output_shape(layer), layer.count_params(), arguments


def _compare_with_keras(model, keras_model):
    ours = [_describe(layer) for layer in model.layers]
    theirs = [_describe(layer) for layer in keras_model.layers]
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs, strict=True):
        assert mine == reference
    assert model.count_params() == keras_model.count_params()


@pytest.mark.keras
@pytest.mark.parametrize(
    ("name", "fixture"),
    [
        pytest.param("VGG19", "vgg19", marks=pytest.mark.slow),
        ("ResNet50", "resnet50"),
        pytest.param("ResNet152", "resnet152", marks=pytest.mark.slow),
    ],
)
def test_layer_by_layer_against_keras(name, fixture, request):
    keras = keras_on_torch()
    keras_model = getattr(keras.applications, name)(weights=None)
    _compare_with_keras(request.getfixturevalue(fixture), keras_model)


# Copied weights, one float32 forward pass in each engine: differences are summation-order
# rounding, measured at 2.4e-6 of the largest output (ResNet50, 50 layers deep).
FORWARD_RTOL = 2e-5


@pytest.mark.keras
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ResNet50", {"input_shape": (32, 32, 3), "classifier_activation": None}),
        ("VGG19", {"include_top": False, "input_shape": (32, 32, 3), "pooling": "max"}),
    ],
)
def test_same_outputs_as_keras_with_the_same_weights(name, kwargs):
    keras = keras_on_torch()
    rng = np.random.default_rng(0)
    model = getattr(applications, name)(**kwargs)
    keras_model = getattr(keras.applications, name)(weights=None, **kwargs)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        if isinstance(layer, layers.BatchNormalization):
            # Non-trivial statistics, so that the moving mean, variance and epsilon all matter.
            c = weights[0].shape
            weights = [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.1, c), rng.normal(0, 0.1, c), rng.uniform(0.5, 1.5, c)]
            weights = [w.astype(np.float32) for w in weights]
            layer.set_weights(weights)
        keras_model.get_layer(layer.name).set_weights(weights)
    images = rng.random((2, 32, 32, 3), dtype=np.float32)
    ours = model.predict(images, verbose=0)
    # A torch tensor (keras.ops.convert_to_numpy would trip NumPy 2's copy= deprecation warning).
    theirs = keras_model(images, training=False).detach().cpu().numpy()
    assert ours.shape == theirs.shape
    assert np.abs(ours - theirs).max() <= FORWARD_RTOL * np.abs(theirs).max()
