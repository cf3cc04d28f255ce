"""The vision-guide layers against real Keras 3 (torch backend): the same weights and inputs give the
same outputs; one SGD step changes the weights identically; the parameter counts match; and a
model holding the layer crosses to Keras and back through `.keras` files with the same predictions."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

import neuronio  # noqa: E402
from tests.helpers import same_random_weights as _same_weights  # noqa: E402
from tests.reference.keras_layer_checks import (  # noqa: E402
    ATOL,
    RTOL,
    check_crossing,
    check_forward,
    check_keras_config,
    check_one_sgd_step,
)

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

# (layer class, constructor arguments, one sample's input shape)
LAYERS = [
    ("Conv2DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (4, 5, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": (2, 3), "strides": (3, 1), "activation": "relu"}, (3, 3, 2)),
    (
        "Conv2DTranspose",
        {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 1},
        (3, 3, 1),
    ),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "padding": "same", "strides": 2}, (5, 6, 3)),
    ("DepthwiseConv2D", {"kernel_size": (2, 3), "use_bias": False}, (4, 4, 2)),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "activation": "tanh"}, (5, 5, 3)),
    (
        "SeparableConv2D",
        {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same", "use_bias": False},
        (5, 4, 3),
    ),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (5, 2)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 1}, (4, 2)),
    ("Conv1DTranspose", {"filters": 2, "kernel_size": 4, "dilation_rate": 3, "padding": "same"}, (5, 2)),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": (3, 2), "dilation_rate": (2, 3)}, (4, 5, 2)),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2, "strides": 2, "padding": "same"}, (6, 3)),
    ("DepthwiseConv1D", {"kernel_size": 2, "use_bias": False}, (5, 2)),
    ("DepthwiseConv1D", {"kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (7, 2)),
    ("DepthwiseConv2D", {"kernel_size": 3, "dilation_rate": (2, 1), "depth_multiplier": 2}, (7, 6, 2)),
    ("SeparableConv2D", {"filters": 3, "kernel_size": 2, "dilation_rate": 2, "padding": "same"}, (5, 6, 2)),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "activation": "tanh"}, (6, 3)),
    ("SeparableConv1D", {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"}, (5, 3)),
    ("SeparableConv1D", {"filters": 3, "kernel_size": 2, "dilation_rate": 3}, (8, 2)),
    ("UpSampling2D", {"size": (2, 3)}, (3, 2, 2)),
    ("UpSampling2D", {"interpolation": "bilinear"}, (3, 4, 2)),
    ("Cropping2D", {"cropping": ((1, 2), (0, 1))}, (5, 4, 2)),
    ("LayerNormalization", {}, (6,)),
    ("LayerNormalization", {"axis": [1, 2, 3], "epsilon": 1e-5, "center": False}, (3, 2, 2)),
    ("LayerNormalization", {"axis": [-2, -1], "scale": False}, (3, 4)),
    ("LayerNormalization", {"rms_scaling": True}, (5,)),
    ("SpatialDropout2D", {"rate": 0.3}, (3, 3, 2)),
    ("GaussianNoise", {"stddev": 0.2}, (5,)),
    ("Rescaling", {"scale": 1 / 127.5, "offset": -1.0}, (3, 3, 1)),
    ("Normalization", {"mean": [1.0, -2.0, 0.5], "variance": [4.0, 0.25, 1.0]}, (2, 3)),
    ("Normalization", {"mean": 3.0, "variance": 2.0, "invert": True}, (4,)),
    ("Resizing", {"height": 5, "width": 3}, (3, 4, 2)),
    ("Resizing", {"height": 4, "width": 6, "interpolation": "nearest"}, (3, 5, 1)),
    ("Resizing", {"height": 3, "width": 3, "crop_to_aspect_ratio": True}, (4, 6, 2)),
    ("Resizing", {"height": 4, "width": 8, "pad_to_aspect_ratio": True, "fill_value": 0.5}, (5, 3, 2)),
    ("Resizing", {"height": 6, "width": 2, "pad_to_aspect_ratio": True, "interpolation": "nearest"}, (4, 5, 1)),
    ("CenterCrop", {"height": 3, "width": 2}, (6, 5, 2)),
    ("CenterCrop", {"height": 4, "width": 6}, (3, 5, 2)),
]
WEIGHTED = [
    case
    for case in LAYERS
    if case[0]
    in ("Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D", "LayerNormalization")
    + ("Conv1DTranspose", "DepthwiseConv1D", "SeparableConv1D")
]


def _ids(cases):
    return [f"{c[0]}-{i}" for i, c in enumerate(cases)]


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_forward_and_parameter_count_match_keras(rng, name, kwargs, shape):
    check_forward(neuronio, keras, rng, name, kwargs, shape)


@pytest.mark.parametrize(("name", "kwargs", "shape"), WEIGHTED, ids=_ids(WEIGHTED))
def test_one_sgd_step_matches_keras(rng, name, kwargs, shape):
    check_one_sgd_step(neuronio, keras, rng, name, kwargs, shape)


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_saved_layer_crosses_between_engines(tmp_path, rng, name, kwargs, shape, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    check_crossing(source, target, tmp_path, rng, name, kwargs, shape)


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_adapted_normalization_crosses_with_its_statistics(tmp_path, rng, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    data = rng.normal([1.0, 5.0, -3.0], [0.5, 2.0, 3.0], size=(64, 3)).astype("float32")
    norm = source.layers.Normalization()
    norm.adapt(data)
    model = source.models.Sequential([source.layers.Input((3,)), norm, source.layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=RTOL, atol=ATOL)


def test_adapt_matches_keras(rng):
    images = rng.random((7, 4, 4, 3)).astype("float32")
    ours, theirs = neuronio.layers.Normalization(), keras.layers.Normalization()
    ours.adapt(images)
    theirs.adapt(images)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_merge_functions_and_subtract_match_keras(tmp_path, rng):
    def build(api):
        a, b = api.layers.Input((4,)), api.layers.Input((4,))
        d = api.layers.Dense(4)(a)
        outputs = [
            api.layers.subtract([d, b]),
            api.layers.add([d, b]),
            api.layers.multiply([d, b]),
            api.layers.average([d, b]),
            api.layers.maximum([d, b]),
            api.layers.concatenate([d, b]),
        ]
        return api.models.Model([a, b], outputs)

    ours, theirs = build(neuronio), build(keras)
    _same_weights(ours, theirs, rng)
    x = [rng.standard_normal((3, 4)).astype("float32") for _ in range(2)]
    for a, b in zip(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)
    ours.save(tmp_path / "m.keras")
    for a, b in zip(keras.models.load_model(tmp_path / "m.keras").predict(x, verbose=0), ours.predict(x, verbose=0)):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_lambda_files_cross_only_with_safe_mode_off(tmp_path, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    model = source.models.Sequential([source.layers.Input((3,)), source.layers.Lambda(lambda x: x * 2.0 + 1.0)])
    model.save(tmp_path / "m.keras")
    with pytest.raises(ValueError, match=r"safe_mode=False"):
        target.models.load_model(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras", safe_mode=False)
    x = np.array([[1.0, -2.0, 0.5]], "float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), [[3.0, -3.0, 2.0]], rtol=RTOL)


def test_summary_shows_keras_parameter_counts():
    def build(api):
        layers = api.layers
        return api.models.Sequential(
            [
                layers.Input((8, 8, 3)),
                layers.Rescaling(1 / 255),
                layers.SeparableConv2D(8, 3, padding="same"),
                layers.DepthwiseConv2D(3, depth_multiplier=2),
                layers.LayerNormalization(),
                layers.Conv2DTranspose(4, 3, strides=2, padding="same"),
                layers.UpSampling2D(),
                layers.Cropping2D(2),
                layers.Resizing(6, 6),
                layers.CenterCrop(4, 4),
            ]
        )

    keras.backend.clear_session()  # Keras numbers names across its session: start both at "sequential"
    ours, theirs = build(neuronio), build(keras)
    assert [layer.count_params() for layer in ours.layers] == [layer.count_params() for layer in theirs.layers]
    assert [tuple(layer.output.shape) for layer in ours.layers] == [
        tuple(layer.output.shape) for layer in theirs.layers
    ]
    ours_text, theirs_text = [], []
    ours.summary(print_fn=ours_text.append)
    theirs.summary(print_fn=lambda line, **kwargs: theirs_text.append(line))
    assert "\n".join(ours_text).strip() == "\n".join(theirs_text).strip()


@pytest.mark.parametrize(("name", "kwargs", "shape"), LAYERS, ids=_ids(LAYERS))
def test_configs_are_keras_configs(name, kwargs, shape):
    check_keras_config(neuronio, keras, name, kwargs)
