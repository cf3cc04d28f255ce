"""neuronio.random, neuronio.backend and the keras.config names of neuronio.config."""

import numpy as np
import pytest

import neuronio as keras
from neuronio import config


def test_set_random_seed_repeats_the_global_stream():
    keras.utils.set_random_seed(3)
    first = [keras.random.normal((3,)).numpy(), keras.random.uniform((2,)).numpy()]
    keras.utils.set_random_seed(3)
    again = [keras.random.normal((3,)).numpy(), keras.random.uniform((2,)).numpy()]
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(keras.random.normal((3,)).numpy(), first[0])  # the stream moves on


def test_an_int_seed_repeats_and_a_seed_generator_advances():
    a = keras.random.uniform((4,), seed=7).numpy()
    np.testing.assert_array_equal(a, keras.random.uniform((4,), seed=7).numpy())
    gen, twin = keras.random.SeedGenerator(5), keras.random.SeedGenerator(5)
    draws = [keras.random.normal((3,), seed=gen).numpy() for _ in range(2)]
    assert not np.array_equal(draws[0], draws[1])
    np.testing.assert_array_equal(draws[0], keras.random.normal((3,), seed=twin).numpy())
    assert gen.state.numpy().tolist() == [5, 2] and gen.get_config()["seed"] == 5


def test_draws_have_keras_shapes_dtypes_and_ranges():
    r = keras.random
    assert r.normal((2, 3)).dtype == np.float32 and r.normal((2,), dtype="float64").dtype == np.float64
    t = r.truncated_normal((2000,), mean=1.0, stddev=2.0, seed=1).numpy()
    assert t.min() >= -3.0 and t.max() <= 5.0
    u = r.uniform((1000,), minval=-2.0, maxval=-1.0, seed=2).numpy()
    assert u.min() >= -2.0 and u.max() < -1.0
    i = r.randint((500,), 3, 6, seed=3)
    assert i.dtype == np.int32 and set(i.numpy().tolist()) == {3, 4, 5}
    c = r.categorical(np.log([[0.0001, 0.9998, 0.0001], [1.0, 1e-9, 1e-9]]), 50, seed=4).numpy()
    assert c.shape == (2, 50) and (c[0] == 1).mean() > 0.9 and (c[1] == 0).all()
    s = r.shuffle(np.arange(10.0), seed=5).numpy()
    assert sorted(s.tolist()) == list(range(10)) and s.tolist() != list(range(10))
    d = r.dropout(np.ones((100,), "float32"), 0.5, seed=6).numpy()
    assert set(d.tolist()) <= {0.0, 2.0}
    g, b = r.gamma((2000,), 3.0, seed=7).numpy(), r.beta((2000,), 2.0, 6.0, seed=8).numpy()
    assert abs(g.mean() - 3.0) < 0.2 and abs(b.mean() - 0.25) < 0.02
    assert r.binomial((3,), 10, 0.5, seed=9).dtype == np.float32


def test_bad_seeds_and_dtypes_are_refused():
    with pytest.raises(TypeError, match=r"seed must be None, an int, or a keras.random.SeedGenerator"):
        keras.random.normal((2,), seed="abc")
    with pytest.raises(ValueError, match=r"SeedGenerator: seed must be a non-negative int"):
        keras.random.SeedGenerator(-1)
    with pytest.raises(ValueError, match=r"Use randint for integers"):
        keras.random.normal((2,), dtype="int32")


def test_backend_names():
    b = keras.backend
    assert b.backend() == "numpy" and b.floatx() == "float32" and b.epsilon() == 1e-7
    assert b.image_data_format() == "channels_last"
    assert b.standardize_dtype(float) == "float32" and b.standardize_dtype(int) == "int32"
    assert b.result_type("int32", "float16") == "float16" and b.result_type("int8", "int32") == "int32"
    assert b.is_float_dtype("float64") and b.is_int_dtype("uint8")
    b.clear_session()
    assert b.get_uid("dense") == 1 and b.get_uid("dense") == 2
    with pytest.raises(ValueError, match=r"channels_last' only"):
        b.set_image_data_format("channels_first")
    b.set_epsilon(1e-5)
    try:
        assert keras.config.epsilon() == 1e-5
    finally:
        b.set_epsilon(1e-7)


def test_config_switches_keras_programs_call():
    c = keras.config
    c.disable_traceback_filtering()
    assert not c.is_traceback_filtering_enabled()
    c.enable_traceback_filtering()
    assert c.is_traceback_filtering_enabled()
    assert c.in_safe_mode()
    c.set_dtype_policy("float64")
    try:
        assert c.floatx() == "float64" and c.dtype_policy() == "float64"
    finally:
        c.set_dtype_policy("float32")
    with pytest.raises(ValueError, match=r"no mixed precision"):
        c.set_dtype_policy("mixed_float16")
    with pytest.raises(ValueError, match=r"NumPy only"):
        c.set_backend("jax")
    c.set_max_epochs(2)
    try:
        assert c.max_epochs() == 2
    finally:
        c.set_max_epochs(None)
    assert c.backend() == "numpy" and c.is_nnx_enabled() is False


def test_unsafe_deserialization_switch(monkeypatch):
    monkeypatch.setattr(config, "_SAFE_MODE", True)  # restored after the test
    keras.config.enable_unsafe_deserialization()
    assert not config.in_safe_mode()
