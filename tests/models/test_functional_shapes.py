"""Functional models' `input_shape` / `output_shape` (Keras 3's Functional properties): one shape
tuple for one tensor, a list of them for several, batch dimension None."""

import pytest

import neuronio as nn


def _two_in_two_out(lib):
    a, b = lib.Input((3,)), lib.Input((4, 5))
    merged = lib.layers.Concatenate()([a, lib.layers.Flatten()(b)])
    return lib.Model([a, b], [lib.layers.Dense(2)(merged), lib.layers.Dense(1)(merged)])


def test_one_input_one_output_give_one_tuple():
    inputs = nn.Input((16, 16, 3))
    model = nn.Model(inputs, nn.layers.Conv2D(4, 3, strides=2, padding="same")(inputs))
    assert model.input_shape == (None, 16, 16, 3)
    assert model.output_shape == (None, 8, 8, 4)


def test_several_inputs_and_outputs_give_lists():
    model = _two_in_two_out(nn)
    assert model.input_shape == [(None, 3), (None, 4, 5)]
    assert model.output_shape == [(None, 2), (None, 1)]


@pytest.mark.keras
def test_shapes_match_real_keras():
    keras = pytest.importorskip("keras")
    ours, theirs = _two_in_two_out(nn), _two_in_two_out(keras)
    assert ours.input_shape == [tuple(s) for s in theirs.input_shape]
    assert ours.output_shape == [tuple(s) for s in theirs.output_shape]
    inputs = keras.Input((5,))
    single = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    assert single.output_shape == (None, 2) and single.input_shape == (None, 5)
