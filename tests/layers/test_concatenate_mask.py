"""Concatenate's output mask (Keras 3's rule): masks joined along the time axis, OR-ed along the
feature axis; an input without a mask holds every step."""

import numpy as np
import pytest

from neuronio import layers

X3 = np.zeros((1, 3, 2), "float32")
X2 = np.zeros((1, 2, 4), "float32")
M3 = np.array([[True, False, True]])
M2 = np.array([[False, True]])


def test_along_time_the_step_masks_are_joined():
    assert layers.Concatenate(axis=1).compute_mask([X3, X2[:, :, :2]], [M3, M2]).tolist() == [
        [True, False, True, False, True]
    ]
    assert layers.Concatenate(axis=1).compute_mask([X3, X2[:, :, :2]], [None, M2]).tolist() == [
        [True, True, True, False, True]
    ]


def test_along_features_a_step_is_kept_where_any_input_keeps_it():
    other = np.zeros((1, 3, 5), "float32")
    assert layers.Concatenate().compute_mask([X3, other], [M3, np.array([[False, True, False]])]).tolist() == [
        [True, True, True]
    ]
    assert layers.Concatenate().compute_mask([X3, other], [M3, None]).tolist() == [[True, True, True]]
    assert layers.Concatenate().compute_mask([X3, other], [None, None]) is None


def test_one_mask_per_input_is_required():
    with pytest.raises(ValueError, match=r"Concatenate '.*': 2 inputs but 1 masks were given"):
        layers.Concatenate().compute_mask([X3, X3], [M3])
