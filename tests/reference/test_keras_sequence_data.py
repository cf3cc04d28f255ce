"""pad_sequences and timeseries_dataset_from_array against real Keras 3: the same arrays, batch for
batch. Keras's timeseries datasets need tf.data or Grain; with neither installed that part skips."""

import itertools

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

from neuronio import preprocessing, utils  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

RAGGED = [[1], [2, 3], [], [4, 5, 6, 7], [8, 9, 10]]


@pytest.mark.parametrize(
    ("maxlen", "padding", "truncating", "value", "dtype"),
    [
        *itertools.product([None, 2, 3, 6], ["pre", "post"], ["pre", "post"], [0.0], ["int32"]),
        (3, "post", "pre", -1, "int64"),
        (None, "pre", "pre", 0.5, "float32"),
    ],
)
def test_pad_sequences_equals_keras(maxlen, padding, truncating, value, dtype):
    kwargs = {"maxlen": maxlen, "padding": padding, "truncating": truncating, "value": value, "dtype": dtype}
    ours = utils.pad_sequences(RAGGED, **kwargs)
    theirs = keras.utils.pad_sequences(RAGGED, **kwargs)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(preprocessing.sequence.pad_sequences(RAGGED, **kwargs), theirs)


def test_pad_sequences_of_vectors_and_strings_equals_keras():
    vectors = [np.ones((2, 3)), np.arange(12.0).reshape(4, 3)]
    np.testing.assert_array_equal(
        utils.pad_sequences(vectors, maxlen=3, dtype="float32"),
        keras.utils.pad_sequences(vectors, maxlen=3, dtype="float32"),
    )
    words = [["a", "b"], ["c"]]
    np.testing.assert_array_equal(
        utils.pad_sequences(words, dtype=object, value="<pad>"),
        keras.utils.pad_sequences(words, dtype=object, value="<pad>"),
    )


def _keras_batches(*args, **kwargs):
    pytest.importorskip("grain", reason="Keras's timeseries datasets need tf.data or Grain (pip install grain)")
    dataset = keras.utils.timeseries_dataset_from_array(*args, format="grain", **kwargs)
    return [
        tuple(np.asarray(part) for part in batch) if isinstance(batch, tuple) else (np.asarray(batch),)
        for batch in dataset
    ]


TIMESERIES = [
    {"sequence_length": 5},
    {"sequence_length": 5, "sequence_stride": 3, "sampling_rate": 2, "batch_size": 4},
    {"sequence_length": 4, "sequence_stride": 2, "batch_size": 3, "start_index": 5, "end_index": 40},
    {"sequence_length": 7, "sampling_rate": 3, "batch_size": 8, "start_index": 2},
    {"sequence_length": 3, "batch_size": 16, "end_index": 20},
]


@pytest.mark.parametrize("kwargs", TIMESERIES, ids=[str(sorted(k.items())) for k in TIMESERIES])
@pytest.mark.parametrize("with_targets", [True, False])
def test_timeseries_batches_equal_keras(kwargs, with_targets):
    data = np.arange(100, dtype="float32").reshape(50, 2) * 0.5
    targets = np.arange(50) * 10 if with_targets else None
    theirs = _keras_batches(data, targets, **kwargs)
    dataset = utils.timeseries_dataset_from_array(data, targets, **kwargs)
    assert len(dataset) == len(theirs)
    ours = [batch if isinstance(batch, tuple) else (batch,) for batch in dataset]
    for got, want in zip(ours, theirs, strict=True):
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert a.shape == b.shape
            np.testing.assert_array_equal(a, b)
    arrays = dataset.as_arrays()
    arrays = arrays if isinstance(arrays, tuple) else (arrays,)
    for whole, part in zip(arrays, zip(*ours, strict=True), strict=True):
        np.testing.assert_array_equal(whole, np.concatenate(part))
