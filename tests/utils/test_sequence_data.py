"""pad_sequences and timeseries_dataset_from_array: exact values worked out by hand, and errors."""

import numpy as np
import pytest

from neuronio import utils


def test_pad_sequences_pads_and_truncates_at_the_chosen_ends():
    seqs = [[1, 2, 3, 4], [5], []]
    np.testing.assert_array_equal(utils.pad_sequences(seqs, maxlen=3), [[2, 3, 4], [0, 0, 5], [0, 0, 0]])
    np.testing.assert_array_equal(
        utils.pad_sequences(seqs, maxlen=3, padding="post", truncating="post", value=9),
        [[1, 2, 3], [5, 9, 9], [9, 9, 9]],
    )
    assert utils.pad_sequences(seqs).shape == (3, 4) and utils.pad_sequences(seqs).dtype == np.int32


def test_pad_sequences_errors_say_what_to_pass():
    with pytest.raises(ValueError, match=r"`padding` must be 'pre' or 'post'; received padding='left'"):
        utils.pad_sequences([[1]], padding="left")
    with pytest.raises(ValueError, match=r"item 1 is 5\. Wrap single values in a list"):
        utils.pad_sequences([[1], 5])
    with pytest.raises(ValueError, match=r"`maxlen` must be a positive int or None; received maxlen=0"):
        utils.pad_sequences([[1]], maxlen=0)
    with pytest.raises(ValueError, match=r"cannot hold the string value 'x'; pass dtype=object"):
        utils.pad_sequences([[1]], value="x")
    with pytest.raises(
        ValueError, match=r"elements of sequence 1 have shape \(3,\), but earlier ones have shape \(2,\)"
    ):
        utils.pad_sequences([np.ones((1, 2)), np.ones((1, 3))], dtype="float32")


def test_timeseries_windows_and_targets_by_hand():
    data = np.arange(20)
    ds = utils.timeseries_dataset_from_array(
        data, data * 10, sequence_length=3, sequence_stride=4, sampling_rate=2, batch_size=2, start_index=1
    )
    # windows start at 1, 5, 9, 13 (a 3-step window at rate 2 spans 5 steps: the last start is 15)
    batches = list(ds)
    assert len(ds) == len(batches) == 2
    np.testing.assert_array_equal(batches[0][0], [[1, 3, 5], [5, 7, 9]])
    np.testing.assert_array_equal(batches[1][0], [[9, 11, 13], [13, 15, 17]])
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), [10, 50, 90, 130])
    x, y = ds.as_arrays()
    assert x.shape == (4, 3) and y.tolist() == [10, 50, 90, 130]
    np.testing.assert_array_equal(ds[-1][0], batches[1][0])
    with pytest.raises(IndexError, match=r"batch 2 out of range; the dataset has 2"):
        ds[2]


def test_timeseries_shuffle_is_seeded_and_keeps_every_window():
    data = np.arange(30)
    a = utils.timeseries_dataset_from_array(data, None, sequence_length=4, batch_size=5, shuffle=True, seed=3)
    b = utils.timeseries_dataset_from_array(data, None, sequence_length=4, batch_size=5, shuffle=True, seed=3)
    np.testing.assert_array_equal(a.as_arrays(), b.as_arrays())
    firsts = a.as_arrays()[:, 0]
    assert sorted(firsts.tolist()) == list(range(27)) and firsts.tolist() != list(range(27))
    np.testing.assert_array_equal(a.as_arrays()[:, 1:], a.as_arrays()[:, :-1] + 1)  # windows stay whole


def test_timeseries_single_windows_without_batching():
    ds = utils.timeseries_dataset_from_array(np.arange(6), None, sequence_length=4, batch_size=None)
    assert len(ds) == 3 and ds[2].tolist() == [2, 3, 4, 5]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"sequence_length": 0},
            r"`sequence_length` must be an int >= 1 for data of length 10; received sequence_length=0",
        ),
        ({"sequence_length": 3, "sampling_rate": 10}, r"`sampling_rate` must be an int from 1 to 9"),
        ({"sequence_length": 3, "start_index": 4, "end_index": 4}, r"`end_index` must be an int from 5 to 9"),
        (
            {"sequence_length": 6, "sampling_rate": 2},
            r"no window fits: a window spans .* = 11 steps, but data\[0:10\] has 10",
        ),
    ],
)
def test_timeseries_errors_name_the_argument(kwargs, message):
    with pytest.raises(ValueError, match=message):
        utils.timeseries_dataset_from_array(np.arange(10), None, **kwargs)
