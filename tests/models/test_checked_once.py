"""The *_on_batch methods scan x for NaN and infinity once, at the data boundary (ArrayData, whose
error names the argument); the model's conversion of those same arrays skips its own scan, and only
within that call: every other array, and the same array afterwards, is scanned."""

import numpy as np
import pytest

import neuronio as keras
from neuronio.autodiff.tensor import as_array, checked_inputs
from neuronio.errors import NumericsError


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    return model


def test_nan_in_x_is_reported_by_the_boundary_of_each_on_batch_method():
    model, x, y = _model(), np.ones((4, 3), "float32"), np.ones((4, 2), "float32")
    x[2, 1] = np.nan
    with pytest.raises(NumericsError, match=r"predict_on_batch: `x` contains NaN .* \(first at index 2\)"):
        model.predict_on_batch(x)
    with pytest.raises(NumericsError, match=r"test_on_batch: `x` contains NaN"):
        model.test_on_batch(x, y)
    with pytest.raises(NumericsError, match=r"train_on_batch: `x` contains NaN"):
        model.train_on_batch(x, y)


def test_the_skip_holds_for_those_very_arrays_and_only_inside_the_call():
    model, x = _model(), np.ones((4, 3), "float32")
    np.testing.assert_array_equal(model.predict_on_batch(x), model(x).data)
    x[0, 0] = np.inf  # changed after predict_on_batch returned: the next call scans it again
    with pytest.raises(NumericsError, match=r"contains 0 NaN and 1 infinite values"):
        model(x)
    bad = np.full((1, 3), np.nan, "float32")
    with checked_inputs([np.ones((1, 3), "float32")]):
        with pytest.raises(NumericsError, match=r"contains 3 NaN"):  # another array object: scanned
            as_array(bad)
        with pytest.raises(NumericsError, match=r"contains 3 NaN"):
            as_array(bad.copy())  # equal values do not count, only the very object
    with checked_inputs([bad]):
        assert as_array(bad) is bad  # the caller vouched for this object (the caller's own check)
    with pytest.raises(NumericsError, match=r"contains 3 NaN"):
        as_array(bad)  # the scope has ended


def test_a_custom_predict_step_passing_other_arrays_to_the_model_gets_them_scanned():
    class Poisoning(keras.Sequential):
        def predict_step(self, data):
            return self(np.full_like(data, np.nan), training=False)

    model = Poisoning([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(NumericsError, match=r"contains 6 NaN"):
        model.predict_on_batch(np.ones((2, 3), "float32"))
