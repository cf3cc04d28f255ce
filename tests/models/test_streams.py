"""fit/evaluate/predict read a PyDataset, a sequence of batches or a generator one batch at a time,
never turning it into an array (an endless source would never end, as it did before)."""

import signal
import warnings

import numpy as np
import pytest

import neuronio as keras
from neuronio import layers
from neuronio.utils import PyDataset, Sequence


@pytest.fixture(autouse=True)
def _time_limit():
    """A source that is materialised instead of streamed would loop forever: fail in 60 s instead."""

    def expire(*_):
        raise TimeoutError("fit did not stop: the data source was read past its steps")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def _model():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def _batch(i, n=2):
    return np.full((n, 3), 0.1 * i, "float32"), np.ones((n, 1), "float32")


class Batches(PyDataset):
    def __init__(self, n, limit=1000, **kwargs):
        super().__init__(**kwargs)
        self.n, self.limit, self.calls, self.begins, self.ends = n, limit, [], 0, 0

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        self.calls.append(index)
        if len(self.calls) > self.limit:  # guard: materialising would read it without end
            raise RuntimeError("read far beyond the steps asked for")
        return _batch(index % self.n)

    def on_epoch_begin(self):
        self.begins += 1

    def on_epoch_end(self):
        self.ends += 1


def test_an_endless_generator_with_steps_per_epoch_trains_batch_by_batch():
    pulled = []

    def endless():
        i = 0
        while True:
            pulled.append(i)
            yield _batch(i)
            i += 1

    history = _model().fit(endless(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    assert pulled == list(range(6))  # epoch 2 continues where epoch 1 stopped


def test_a_pydataset_is_read_by_index_each_epoch_with_on_epoch_end():
    data = Batches(3)
    _model().fit(data, epochs=2, shuffle=False, verbose=0)
    assert data.calls == [0, 1, 2, 0, 1, 2] and data.begins == data.ends == 2
    shuffled = Batches(3)
    _model().fit(shuffled, epochs=2, verbose=0)
    assert sorted(shuffled.calls[:3]) == [0, 1, 2] and sorted(shuffled.calls[3:]) == [0, 1, 2]


def test_pydataset_accepts_keras_constructor_arguments():
    data = Batches(1, workers=2, use_multiprocessing=False, max_queue_size=5)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (2, False, 5)
    assert data.num_batches == 1 and Sequence is PyDataset
    with pytest.raises(TypeError):
        Batches(1, foo=1)


def test_validation_data_from_a_generator_with_validation_steps():
    def endless():
        while True:
            yield _batch(1)

    history = _model().fit(Batches(2), epochs=2, validation_data=endless(), validation_steps=2, verbose=0)
    assert sorted(history.history) == ["loss", "val_loss"]


def test_evaluate_and_predict_read_sources_too():
    model = _model()
    x = np.concatenate([_batch(i)[0] for i in range(3)])
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(Batches(3), verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(iter([_batch(i) for i in range(3)]), verbose=0), expected, rtol=1e-6)
    y = np.ones((6, 1), "float32")
    assert model.evaluate(Batches(3), verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-6)


def test_a_plain_sequence_of_batches_is_accepted():
    class Plain:
        def __len__(self):
            return 2

        def __getitem__(self, index):
            return _batch(index)

    assert len(_model().fit(Plain(), epochs=2, verbose=0).history["loss"]) == 2


def test_a_finite_generator_that_runs_dry_stops_training_with_a_warning():
    model = _model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit((b for b in [_batch(0), _batch(1)]), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1
    assert any("ran out of data" in str(w.message) for w in caught)


def test_arguments_a_source_cannot_take_are_refused():
    model = _model()
    with pytest.raises(ValueError, match=r"`y` should not be passed"):
        model.fit(Batches(1), np.ones(2), verbose=0)
    with pytest.raises(ValueError, match=r"`validation_split` is only supported for tensors or NumPy arrays"):
        model.fit(Batches(1), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match=r"must yield a tuple"):
        model.fit((np.ones((2, 3)) for _ in range(2)), verbose=0)
