"""The sequence models of neuronio.applications, and the report on a recurrent model."""

import numpy as np
import pytest

from neuronio import layers
from neuronio.applications import gru_forecaster, lstm_classifier
from neuronio.applications.decks import DECK_MODELS


def test_lstm_classifier_shapes_and_parameter_counts():
    model = lstm_classifier()  # MNIST rows: 4 * 128 * (28 + 128 + 1) + 129 * 10
    assert model.output_shape == (None, 10) and model.count_params() == 81_674
    text = lstm_classifier(input_shape=(20,), vocab_size=100, embedding_dim=8, units=4, bidirectional=True,
                           num_classes=2, activation="sigmoid")  # fmt: skip
    assert [type(layer).__name__ for layer in text.layers] == ["Embedding", "Bidirectional", "Dense"]
    assert text.layers[0].mask_zero and text.output_shape == (None, 1)
    assert DECK_MODELS["lstm-mnist"][0]().count_params() == 81_674


def test_gru_forecaster_learns_a_sine_wave(rng):
    """Next value of a noise-free sine from a window of 12: the loss falls well below the series' variance."""
    series = np.sin(np.arange(400) * 0.3).astype("float32")
    x = np.stack([series[i : i + 12] for i in range(380)])[..., None]  # (380, 12, 1)
    y = series[12:392, None]
    model = gru_forecaster(window=12, units=8, stacked=2)
    assert isinstance(model.layers[0], layers.GRU) and model.layers[0].return_sequences
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=12, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.25 * float(np.var(y)) and history[-1] < history[0]


def test_report_shows_a_recurrent_model(tmp_path, rng):
    pytest.importorskip("matplotlib")
    from neuronio.utils import to_categorical
    from neuronio.visualize.report import write_report

    model = lstm_classifier(input_shape=(28, 28), units=8)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = rng.random((40, 28, 28)).astype("float32")
    y = to_categorical(rng.integers(0, 10, 40), 10)
    history = model.fit(x, y, epochs=1, verbose=0)
    path = write_report(model, tmp_path, x, y, history={"history": history.history})
    page = path.read_text()
    for section in ("Summary", "Training history", "Confusion matrix", "Hidden states over time"):
        assert f"<h2>{section}</h2>" in page
    assert "lstm (LSTM)" in page and "no convolution layer" in page


def test_hidden_states_are_the_layers_own_states_in_time_order(rng):
    pytest.importorskip("matplotlib")
    from neuronio import visualize
    from neuronio.models import Sequential

    model = Sequential([
        layers.Input((6,)), layers.Embedding(9, 3),
        layers.Bidirectional(layers.GRU(2, return_sequences=True)), layers.LSTM(4, go_backwards=True), layers.Dense(2),
    ])  # fmt: skip
    ids = rng.integers(0, 9, (1, 6))
    sequence, states = visualize.hidden_states(model, ids[0], "lstm")
    assert sequence.shape == (6, 4) and states.shape == (6, 4)
    # The last state of a go_backwards layer is the state after reading step 0: row 0 in time order.
    np.testing.assert_allclose(states[0], model.layers[2](sequence[None]).numpy()[0], rtol=1e-6, atol=1e-6)
    _, both = visualize.hidden_states(model, ids[0], "bidirectional")
    np.testing.assert_allclose(both, sequence, rtol=1e-6, atol=1e-6)  # the LSTM reads the concat of both
    fig = visualize.plot_hidden_states(model, ids[0])
    assert len(fig.axes) == 3  # the sequence, the states and their colour bar
    with pytest.raises(TypeError, match="'dense' .*is not recurrent"):
        visualize.hidden_states(model, ids[0], "dense")
