"""Concatenate's output mask against real Keras 3 (torch backend): the inputs' masks, an input
without one holding every step, joined along the time axis or OR-ed along the feature axis; seen
directly (compute_mask) and through a mask-aware GlobalAveragePooling1D in a functional model."""

import numpy as np
import pytest

import neuronio
from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()
pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RNG = np.random.default_rng(0)
A = RNG.random((2, 3, 2)).astype("float32")
B = RNG.random((2, 4, 2)).astype("float32")
C = RNG.random((2, 3, 5)).astype("float32")
MA = np.array([[1, 1, 0], [1, 0, 0]], bool)
MB = np.array([[1, 0, 1, 0], [0, 0, 0, 0]], bool)
MC = np.array([[0, 0, 0], [0, 1, 0]], bool)

CASES = [
    ([A, B], [MA, MB], 1),
    ([A, B], [MA, None], 1),
    ([A, B], [None, MB], -2),
    ([A, C], [MA, MC], -1),
    ([A, C], [None, MC], 2),
    ([A, C], [None, None], -1),
]


@pytest.mark.parametrize("inputs,masks,axis", CASES)
def test_concatenate_compute_mask_is_keras(inputs, masks, axis):
    ours = neuronio.layers.Concatenate(axis=axis).compute_mask(inputs, masks)
    as_tensor = keras.ops.convert_to_tensor
    theirs = keras.layers.Concatenate(axis=axis).compute_mask(
        [as_tensor(x) for x in inputs], [None if m is None else as_tensor(m) for m in masks]
    )
    if theirs is None:
        assert ours is None
    else:
        np.testing.assert_array_equal(ours, keras.ops.convert_to_numpy(theirs))


IDS_A = np.array([[3, 0, 2], [0, 0, 1]])
IDS_B = np.array([[1, 2, 0, 0], [4, 0, 0, 3]])


def _model(K, axis):
    a, b = K.Input((3,), dtype="int32"), K.Input((4 if axis == 1 else 3,), dtype="int32")
    ea = K.layers.Embedding(5, 2, mask_zero=True, name="ea")(a)
    eb = K.layers.Embedding(5, 2, mask_zero=axis != 1, name="eb")(b)
    joined = K.layers.Concatenate(axis=axis)([ea, eb])
    model = K.Model([a, b], K.layers.GlobalAveragePooling1D()(joined))
    tables = RNG.random((2, 5, 2)).astype("float32")
    model.get_layer("ea").set_weights([tables[0]])
    model.get_layer("eb").set_weights([tables[1]])
    return model


@pytest.mark.parametrize("axis", [1, -1])
def test_a_masked_concatenation_pools_only_held_steps_as_in_keras(axis):
    ids = [IDS_A, IDS_B if axis == 1 else IDS_B[:, :3]]
    ours, theirs = _model(neuronio, axis), _model(keras, axis)
    theirs.set_weights(ours.get_weights())
    np.testing.assert_allclose(
        ours.predict(ids, verbose=0), keras.ops.convert_to_numpy(theirs.predict(ids, verbose=0)), rtol=1e-5, atol=1e-6
    )
