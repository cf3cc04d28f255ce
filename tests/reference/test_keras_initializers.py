"""Keras 3's function-style initializer names, Identity and Orthogonal against real Keras (torch
backend): the same name table, the same values where the math fixes them, the same names in
configs, and `.keras` files both ways."""

import numpy as np
import pytest

import neuronio
from neuronio import initializers
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

LOWERCASE = ("constant glorot_normal glorot_uniform he_normal he_uniform identity lecun_normal lecun_uniform ones "
             "orthogonal random_normal random_uniform truncated_normal variance_scaling zeros").split()  # fmt: skip


@pytest.mark.parametrize("name", LOWERCASE + ["IdentityInitializer", "OrthogonalInitializer"])
def test_aliases_name_the_same_class_as_in_keras(name):
    theirs, ours = getattr(keras.initializers, name), getattr(initializers, name)
    assert isinstance(theirs, type) and isinstance(ours, type)
    assert ours.__name__ == theirs.__name__
    assert initializers.serialize(ours())["class_name"] == keras.initializers.serialize(theirs())["class_name"]


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 2)])
def test_identity_values_match_keras(shape):
    expected = keras.ops.convert_to_numpy(keras.initializers.Identity(gain=1.5)(shape))
    np.testing.assert_array_equal(initializers.Identity(gain=1.5)(shape), expected)


def test_identity_and_orthogonal_refuse_what_keras_refuses():
    for init in (keras.initializers.Identity(), initializers.Identity()):
        with pytest.raises(ValueError, match="2D matrices|2-D matrices"):
            init((3, 2, 2))
    for init in (keras.initializers.Orthogonal(), initializers.Orthogonal()):
        with pytest.raises(ValueError, match="at least two-dimensional|at least 2 axes"):
            init((3,))


def test_orthogonal_shapes_and_gain_as_keras():
    for shape in [(5, 3), (3, 5), (2, 2, 3, 4)]:
        theirs = keras.ops.convert_to_numpy(keras.initializers.Orthogonal(gain=2.0, seed=1)(shape))
        ours = initializers.Orthogonal(gain=2.0, seed=1)(shape)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
        # Different generators, the same law: both have the same singular values (all = gain).
        np.testing.assert_allclose(
            np.linalg.svd(ours.reshape(-1, shape[-1]), compute_uv=False),
            np.linalg.svd(theirs.reshape(-1, shape[-1]), compute_uv=False),
            rtol=1e-5,
        )
    assert initializers.Orthogonal(gain=2.0, seed=1).get_config() == keras.initializers.Orthogonal(
        gain=2.0, seed=1).get_config()  # fmt: skip


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_initializers_cross_in_keras_files(tmp_path, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    model = source.models.Sequential([
        source.layers.Input((3,)),
        source.layers.Dense(3, kernel_initializer=source.initializers.IdentityInitializer(gain=2.0)),
        source.layers.Dense(4, kernel_initializer=source.initializers.orthogonal(gain=0.5, seed=3)),
        source.layers.Dense(2, kernel_initializer="identity", bias_initializer=source.initializers.constant(0.25)),
    ])  # fmt: skip
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    first, second, third = (layer.kernel_initializer for layer in loaded.layers)
    assert type(first).__name__ == "Identity" and type(third).__name__ == "Identity"
    # Keras writes no gain for Identity (it is lost in its files); neuronio writes it.
    assert first.gain == (2.0 if source is neuronio else 1.0)
    assert type(second).__name__ == "Orthogonal" and (second.gain, second.seed) == (0.5, 3)
    assert loaded.layers[2].bias_initializer.value == 0.25
    for w, v in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(w, v)


@pytest.mark.parametrize(
    ("shape", "axes"),
    [
        ((3, 4), None),
        ((5,), None),
        ((2, 3, 4, 5), None),
        ((3, 4, 5), ([0, 1], [2])),
        ((3, 4, 5), ([0], [-1, 1])),
    ],  # fmt: skip
)
def test_fans_match_keras(shape, axes):
    from keras.src.initializers.random_initializers import compute_fans

    kwargs = {} if axes is None else {"input_axes": axes[0], "output_axes": axes[1]}
    assert initializers.compute_fans(shape, **kwargs) == tuple(float(f) for f in compute_fans(shape, **kwargs))


@pytest.mark.parametrize("name", ["GlorotUniform", "HeNormal", "LecunNormal", "VarianceScaling"])
def test_keras_3_15_configs_with_fan_axes_load(name):
    for kwargs in ({}, {"input_axes": (0,), "output_axes": (1,)}):
        envelope = keras.initializers.serialize(getattr(keras.initializers, name)(seed=4, **kwargs))
        ours = initializers.deserialize(envelope)
        assert (ours.input_axes, ours.output_axes) == ((None, None) if not kwargs else ([0], [1]))
        back = keras.initializers.deserialize(initializers.serialize(ours))
        assert back.get_config() == {**envelope["config"], **{k: list(v) for k, v in kwargs.items()}}
