"""Keras 3's function-style initializer names (class aliases, as in Keras), Identity and
Orthogonal: values, shape rules, seeding, configs and the names saved in files."""

import re

import numpy as np
import pytest

import neuronio
from neuronio import initializers
from neuronio.utils import set_random_seed

# keras.initializers.<lowercase> is the class itself in Keras 3 (checked against Keras in
# tests/reference/test_keras_initializers.py).
LOWERCASE = {
    "constant": initializers.Constant,
    "glorot_normal": initializers.GlorotNormal,
    "glorot_uniform": initializers.GlorotUniform,
    "he_normal": initializers.HeNormal,
    "he_uniform": initializers.HeUniform,
    "identity": initializers.Identity,
    "lecun_normal": initializers.LecunNormal,
    "lecun_uniform": initializers.LecunUniform,
    "ones": initializers.Ones,
    "orthogonal": initializers.Orthogonal,
    "random_normal": initializers.RandomNormal,
    "random_uniform": initializers.RandomUniform,
    "truncated_normal": initializers.TruncatedNormal,
    "variance_scaling": initializers.VarianceScaling,
    "zeros": initializers.Zeros,
}


@pytest.mark.parametrize("name", sorted(LOWERCASE))
def test_lowercase_names_are_the_classes_and_strings_give_instances(name):
    cls = LOWERCASE[name]
    assert getattr(initializers, name) is cls
    made = initializers.get(name)
    assert type(made) is cls
    assert initializers.serialize(getattr(initializers, name)())["class_name"] == cls.__name__


def test_lowercase_forms_take_the_class_arguments():
    np.testing.assert_array_equal(initializers.constant(3.5)((2,)), [3.5, 3.5])
    np.testing.assert_array_equal(initializers.he_normal(seed=4)((3, 2)), initializers.HeNormal(seed=4)((3, 2)))
    assert initializers.IdentityInitializer is initializers.Identity
    assert initializers.OrthogonalInitializer is initializers.Orthogonal


def test_identity_is_gain_times_eye_for_any_2d_shape():
    np.testing.assert_array_equal(initializers.Identity()((3, 3)), np.eye(3, dtype="float32"))
    np.testing.assert_array_equal(initializers.Identity(gain=2.0)((2, 3)), [[2, 0, 0], [0, 2, 0]])
    np.testing.assert_array_equal(initializers.identity()((3, 2)), [[1, 0], [0, 1], [0, 0]])
    assert initializers.Identity()((2, 2), dtype="float64").dtype == np.float64
    assert initializers.Identity()((2, 2)).dtype == np.float32


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2), ()])
def test_identity_refuses_other_ranks(shape):
    with pytest.raises(
        ValueError,
        match=rf"Identity: .*only be used for 2-D matrices; received shape={re.escape(repr(shape))} of rank {len(shape)}",
    ):
        initializers.Identity()(shape)


def test_identity_keeps_its_gain_through_saving_and_names_as_keras():
    for name in ("Identity", "identity", "IdentityInitializer"):
        assert type(initializers.get(name)) is initializers.Identity
    envelope = initializers.serialize(initializers.Identity(gain=0.5))
    assert envelope == {"module": "keras.initializers", "class_name": "Identity", "config": {"gain": 0.5},
                        "registered_name": None}  # fmt: skip
    assert initializers.deserialize(envelope).gain == 0.5
    # A Keras file's Identity has an empty config: gain 1.
    assert initializers.deserialize({**envelope, "config": {}}).gain == 1.0


def test_a_dense_layer_starts_from_the_identity(tmp_path):
    model = neuronio.models.Sequential(
        [neuronio.layers.Input((3,)), neuronio.layers.Dense(3, kernel_initializer="identity", use_bias=False)]
    )
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (3, 3, 2, 4), (2, 2, 3, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_gain(shape):
    q = initializers.Orthogonal(gain=1.5, seed=3)(shape)
    assert q.shape == shape and q.dtype == np.float32
    m = q.reshape(-1, shape[-1]).astype(np.float64)
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_takes_the_haar_sign_convention():
    # Q's columns are signed so that R's diagonal is positive: q.T @ a has a positive diagonal.
    seed, shape = 11, (6, 4)
    q = initializers.Orthogonal(seed=seed)(shape, dtype="float64")
    a = np.random.default_rng(seed).standard_normal(shape)
    assert np.all(np.diag(q.T @ a) > 0)


def test_orthogonal_seeding():
    init = initializers.Orthogonal(seed=7)
    np.testing.assert_array_equal(init((4, 3)), init((4, 3)))  # a seeded initializer repeats, as in Keras
    np.testing.assert_array_equal(init((4, 3)), initializers.Orthogonal(seed=7)((4, 3)))
    assert not np.allclose(init((4, 3)), initializers.Orthogonal(seed=8)((4, 3)))
    unseeded = initializers.orthogonal()
    assert not np.allclose(unseeded((4, 3)), unseeded((4, 3)))  # unseeded: a fresh draw each call
    set_random_seed(5)
    first = initializers.Orthogonal()((4, 3))
    set_random_seed(5)
    np.testing.assert_array_equal(initializers.Orthogonal()((4, 3)), first)


def test_orthogonal_names_and_config():
    for name in ("Orthogonal", "orthogonal", "OrthogonalInitializer"):
        assert type(initializers.get(name)) is initializers.Orthogonal
    envelope = initializers.serialize(initializers.OrthogonalInitializer(gain=2.0, seed=1))
    assert envelope["class_name"] == "Orthogonal" and envelope["config"] == {"seed": 1, "gain": 2.0}
    with pytest.raises(ValueError, match=r"seed must be an int or None; received seed='a'"):
        initializers.Orthogonal(seed="a")


def test_fans_from_input_and_output_axes():
    assert initializers.compute_fans((3, 4, 5), input_axes=[0, 1], output_axes=[2]) == (12.0, 5.0)
    assert initializers.compute_fans((3, 4, 5), input_axes=[0], output_axes=[-1, 1]) == (3.0, 20.0)
    assert initializers.compute_fans((3, 4, 5)) == (12.0, 15.0)  # conv rule: receptive field 3
    # The uniform limit follows the fans the axes give: sqrt(6 / (12 + 5)) for Glorot.
    w = initializers.GlorotUniform(seed=0, input_axes=[0, 1], output_axes=[2])((3, 4, 5, 200), dtype="float64")
    limit = np.sqrt(6 / (12 + 5))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit


def test_fan_axes_are_checked_and_saved_only_when_given():
    assert "input_axes" not in initializers.HeNormal().get_config()
    config = initializers.HeNormal(seed=2, input_axes=(0,), output_axes=(1,)).get_config()
    assert config == {"seed": 2, "input_axes": [0], "output_axes": [1]}
    assert initializers.deserialize(initializers.serialize(initializers.HeNormal(**config))).get_config() == config
    with pytest.raises(ValueError, match="give input_axes and output_axes together"):
        initializers.VarianceScaling(input_axes=[0])
    with pytest.raises(ValueError, match=r"output_axes must be a list of ints; received output_axes='1'"):
        initializers.GlorotNormal(input_axes=[0], output_axes="1")
    with pytest.raises(ValueError, match=r"must be axes of the weight's shape \(2, 3\); axis 2 is not"):
        initializers.LecunUniform(input_axes=[0], output_axes=[2])((2, 3))
