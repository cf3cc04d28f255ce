"""The augmentation layers against real Keras 3 (torch backend): the same affine maps for the same
random draws, the same resampled pixels, the same resize and crop arithmetic, and `.keras` files
that open in both directions. Skipped cleanly when keras is absent."""

import json

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
import torch  # noqa: E402

from neuronio import layers  # noqa: E402
from neuronio.layers import preprocessing  # noqa: E402
from neuronio.models import Sequential, load_model  # noqa: E402

pytestmark = [
    pytest.mark.keras,
    KERAS_ARRAY_COPY_WARNING,
]

# Keras computes the maps and the bilinear weights in float32, neuronio in float64 then rounds:
# pixel values in [0, 1] agree to a few float32 spacings.
ATOL = 2e-6
N, H, W = 6, 11, 9


def _draws(seed, low, high):
    return np.random.default_rng(seed).uniform(low, high, N)


def test_translation_maps_match_keras():
    ours = layers.RandomTranslation((-0.2, 0.3), 0.1)._transforms(N, H, W, np.random.default_rng(0))
    rng = np.random.default_rng(0)
    dy, dx = rng.uniform(-0.2, 0.3, N) * H, rng.uniform(-0.1, 0.1, N) * W
    theirs = keras.layers.RandomTranslation(0.1, 0.1)._get_translation_matrix(
        torch.tensor(np.stack([dx, dy], 1), dtype=torch.float32)
    )
    np.testing.assert_allclose(ours, np.asarray(theirs)[:, :6], atol=1e-5)


def test_rotation_maps_match_keras():
    ours = layers.RandomRotation((-0.1, 0.2))._transforms(N, H, W, np.random.default_rng(1))
    degrees = torch.tensor(_draws(1, -36.0, 72.0), dtype=torch.float32)
    zeros, ones = torch.zeros(N), torch.ones(N)
    theirs = keras.layers.RandomRotation(0.1)._compute_affine_matrix(
        0.5, 0.5, degrees, zeros, zeros, ones, zeros, zeros, H, W
    )
    np.testing.assert_allclose(ours, np.asarray(theirs)[:, :6], atol=1e-5)


@pytest.mark.parametrize("width_factor", [None, (-0.3, 0.1)])
def test_zoom_maps_match_keras(width_factor):
    ours = layers.RandomZoom((-0.2, 0.4), width_factor)._transforms(N, H, W, np.random.default_rng(2))
    rng = np.random.default_rng(2)
    zy = 1 + rng.uniform(-0.2, 0.4, N)
    zx = zy if width_factor is None else 1 + rng.uniform(*width_factor, N)
    zooms = torch.tensor(np.stack([zx, zy], 1), dtype=torch.float32)
    theirs = keras.layers.RandomZoom(0.1)._get_zoom_matrix(zooms, H, W)
    np.testing.assert_allclose(ours, np.asarray(theirs)[:, :6], atol=1e-5)


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect"])  # Keras's torch backend lacks "wrap"
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_resampled_pixels_match_keras_affine_transform(fill_mode, interpolation):
    rng = np.random.default_rng(3)
    images = rng.random((N, H, W, 2)).astype(np.float32)
    transforms = layers.RandomRotation(0.15)._transforms(N, H, W, rng)  # rotations reach well outside the image
    transforms[:, 2] += rng.uniform(-3, 3, N)  # and shifts
    theirs = keras.ops.image.affine_transform(
        images,
        np.pad(transforms, ((0, 0), (0, 2))).astype(np.float32),
        interpolation=interpolation,
        fill_mode=fill_mode,
        fill_value=0.3,
    )
    ours = preprocessing.affine_transform(images, transforms, interpolation, fill_mode, 0.3)
    np.testing.assert_allclose(ours, np.asarray(theirs), atol=ATOL)


@pytest.mark.parametrize(("height", "width"), [(5, 4), (17, 13), (11, 4)])
def test_resize_matches_keras(height, width):
    images = np.random.default_rng(4).random((2, H, W, 3)).astype(np.float32)
    theirs = keras.ops.image.resize(images, (height, width), interpolation="bilinear", antialias=False)
    np.testing.assert_allclose(preprocessing.resize(images, height, width), np.asarray(theirs), atol=ATOL)


@pytest.mark.parametrize(("shape", "target"), [((11, 9), (5, 4)), ((12, 12), (6, 9)), ((8, 20), (16, 16))])
def test_center_crop_arithmetic_matches_keras(shape, target):
    images = np.random.default_rng(5).random((2, *shape, 1)).astype(np.float32)
    top, left = keras.layers.RandomCrop(*target).get_random_transformation(images, training=False)
    ours = layers.RandomCrop(*target)._center_crop_and_resize(images)
    crop_h = max(min(shape[0], int(shape[1] * target[0] / target[1])), 1)
    crop_w = max(min(shape[1], int(shape[0] * target[1] / target[0])), 1)
    window = images[:, top : top + crop_h, left : left + crop_w]
    expected = keras.ops.image.resize(window, target, interpolation="bilinear", antialias=False)
    np.testing.assert_allclose(ours, np.asarray(expected), atol=ATOL)


KERAS_CLASSES = [
    ("RandomTranslation", {"height_factor": 0.1, "width_factor": [-0.2, 0.1], "fill_mode": "constant"}),
    ("RandomRotation", {"factor": 0.05, "interpolation": "nearest", "seed": 3}),
    ("RandomZoom", {"height_factor": [-0.2, 0.1], "width_factor": None, "fill_value": 0.5}),
    ("RandomFlip", {"mode": "horizontal", "seed": 4}),
    ("RandomCrop", {"height": 6, "width": 5, "seed": 2}),
    ("RandomErasing", {"factor": 0.5, "scale": [0.1, 0.2], "value_range": [0, 1], "seed": 5}),
    ("RandomErasing", {"factor": [0.2, 1.0], "fill_value": 0.0}),
]


@pytest.mark.parametrize(("name", "kwargs"), KERAS_CLASSES, ids=[c[0] for c in KERAS_CLASSES])
def test_configs_are_keras_configs(name, kwargs):
    theirs = getattr(keras.layers, name)(**kwargs, name="aug").get_config()
    ours = getattr(layers, name)(**kwargs, name="aug").get_config()
    theirs.pop("dtype")
    ours.pop("dtype")
    assert ours == json.loads(json.dumps(theirs))  # as written to config.json (tuples become lists)


def _augmenting_model(api):
    return api.Sequential(
        [
            api.Input((8, 8, 1)),
            api.layers.RandomTranslation(0.1, 0.1),
            api.layers.RandomRotation(0.1),
            api.layers.RandomZoom(0.1),
            api.layers.RandomFlip(),
            api.layers.Flatten(),
            api.layers.Dense(3, activation="softmax"),
        ]
    )


class _Neuronio:
    """neuronio under the names Keras's module has, for `_augmenting_model`."""

    Sequential, Input, layers = Sequential, layers.Input, layers


@pytest.mark.parametrize("direction", ["neuronio->keras", "keras->neuronio"])
def test_models_with_augmentation_cross_between_engines(tmp_path, direction):
    x = np.random.default_rng(6).random((4, 8, 8, 1)).astype(np.float32)
    path = str(tmp_path / "augmenting.keras")
    source = _augmenting_model(_Neuronio if direction == "neuronio->keras" else keras)
    source.set_weights([np.random.default_rng(7).standard_normal(w.shape).astype(np.float32) for w in source.weights])
    source.save(path)
    restored = keras.models.load_model(path) if direction == "neuronio->keras" else load_model(path)
    np.testing.assert_allclose(
        np.asarray(restored.predict(x, verbose=0)), np.asarray(source.predict(x, verbose=0)), rtol=1e-5, atol=1e-6
    )
    assert [type(layer).__name__ for layer in restored.layers][:4] == [
        "RandomTranslation",
        "RandomRotation",
        "RandomZoom",
        "RandomFlip",
    ]
