"""Normalization's `mean` / `variance` attributes (read by keras.io's and TensorFlow's regression
tutorials after adapt): the statistics in use, shaped to broadcast against the inputs, None before
the layer is built, as in Keras 3."""

import numpy as np
import pytest

from neuronio import layers

DATA = np.random.default_rng(0).normal([3.0, -2.0, 10.0], [2.0, 0.5, 4.0], size=(50, 3)).astype("float32")
IMAGES = np.random.default_rng(1).random((4, 2, 2, 3)).astype("float32")


def test_none_before_the_layer_is_built():
    layer = layers.Normalization()
    assert layer.mean is None and layer.variance is None


def test_adapted_statistics_broadcast_against_the_inputs():
    layer = layers.Normalization()
    layer.adapt(DATA)
    assert layer.mean.shape == (1, 3) and layer.variance.shape == (1, 3)
    np.testing.assert_allclose(layer.mean.numpy()[0], DATA.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(layer.variance.numpy()[0], DATA.var(axis=0), rtol=1e-4)
    images = layers.Normalization(axis=-1)
    images.adapt(IMAGES)
    assert images.mean.shape == (1, 1, 1, 3)


def test_given_statistics_are_broadcast_to_the_kept_axes():
    layer = layers.Normalization(mean=2.0, variance=4.0)
    layer.build((None, 3))
    np.testing.assert_array_equal(layer.mean.numpy(), [[2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(layer.variance.numpy(), [[4.0, 4.0, 4.0]])


@pytest.mark.keras
def test_statistics_match_real_keras():
    keras = pytest.importorskip("keras")
    for kwargs, data in [({}, DATA), ({"axis": -1}, IMAGES), ({"axis": None}, DATA)]:
        ours, theirs = layers.Normalization(**kwargs), keras.layers.Normalization(**kwargs)
        ours.adapt(data)
        theirs.adapt(data)
        for name in ("mean", "variance"):
            expected = keras.ops.convert_to_numpy(getattr(theirs, name))
            assert getattr(ours, name).shape == expected.shape, (kwargs, name)
            np.testing.assert_allclose(getattr(ours, name).numpy(), expected, rtol=1e-4, atol=1e-6)
    given, keras_given = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0]), keras.layers.Normalization(
        mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0])  # fmt: skip
    given.build((None, 3))
    keras_given.build((None, 3))
    np.testing.assert_allclose(given.mean.numpy(), keras.ops.convert_to_numpy(keras_given.mean))
    assert keras.layers.Normalization().mean is None
