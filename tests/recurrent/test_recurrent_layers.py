"""Recurrent layers, Embedding and Masking: shapes, weights, config round trips, gradient checks
(check_layer), masks through Sequential and functional models, states, dropout and errors."""

import numpy as np
import pytest

import neuronio
from neuronio import config, initializers, layers, ops
from neuronio._legacy import LegacyArgumentWarning
from neuronio.autodiff import Tensor, check_gradients
from neuronio.layers import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    Dense,
    Embedding,
    GRUCell,
    Input,
    LSTMCell,
    Masking,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
)
from neuronio.models import Model, Sequential
from tests.helpers import check_layer

X_SHAPE = (2, 4, 3)
# The registered classes this module puts through check_layer (the cells inside RNN).
CHECKED = {"SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells",
           "Bidirectional", "Embedding", "Masking"}  # fmt: skip


class MinimalCell(neuronio.layers.Layer):
    """A user-written cell (Keras's documented example): h_t = tanh(x_t W + h_{t-1} U)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        h = ops.tanh(ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel))
        return h, [h]


CASES = [
    (SimpleRNN, {"units": 2}, (2, 2), ("kernel", "recurrent_kernel", "bias")),
    (SimpleRNN, {"units": 2, "return_sequences": True, "go_backwards": True, "activation": "relu"}, (2, 4, 2), None),
    (LSTM, {"units": 2}, (2, 2), ("kernel", "recurrent_kernel", "bias")),
    (LSTM, {"units": 2, "return_sequences": True, "use_bias": False}, (2, 4, 2), ("kernel", "recurrent_kernel")),
    (GRU, {"units": 2}, (2, 2), ("kernel", "recurrent_kernel", "bias")),
    (GRU, {"units": 2, "reset_after": False, "return_sequences": True}, (2, 4, 2), None),
    (LSTM, {"units": 2, "activation": "elu"}, (2, 2), None),  # no fused form: the tape's loop
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "out_shape", "names"), CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]
)
def test_recurrent_layer(cls, kwargs, out_shape, names):
    n_weights = 3 if kwargs.get("use_bias", True) else 2
    check_layer(cls, kwargs, X_SHAPE, out_shape, n_weights, expected_weight_names=names)


def _cfg(name, **kwargs):
    """A layer as a config: check_layer builds it afresh (float32, then float64)."""
    return {"class_name": name, "config": kwargs}


def test_rnn_with_builtin_and_stacked_cells():
    check_layer(RNN, {"cell": _cfg("LSTMCell", units=2)}, X_SHAPE, (2, 2), 3)
    cells = [_cfg("SimpleRNNCell", units=3), _cfg("GRUCell", units=2)]
    check_layer(RNN, {"cell": cells, "return_sequences": True}, X_SHAPE, (2, 4, 2), 6)


def test_user_cell_runs_through_the_tape_and_checks_its_gradients(rng):
    with config.floatx_scope("float64"):
        layer = RNN(MinimalCell(2), return_sequences=True)
        x = rng.standard_normal(X_SHAPE)
        layer(x)
        mask = np.array([[1, 1, 0, 1], [1, 0, 1, 1]], bool)
        err = check_gradients(lambda t: layer(t, mask=mask), [x], params=layer.trainable_weights)
    assert err < 1e-6


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_bidirectional(merge_mode):
    width = 4 if merge_mode == "concat" else 2
    layer = _cfg("LSTM", units=2, return_sequences=True)
    check_layer(Bidirectional, {"layer": layer, "merge_mode": merge_mode}, X_SHAPE, (2, 4, width), 6)


def test_bidirectional_backward_half_reads_the_reversed_sequence(rng):
    x = rng.standard_normal(X_SHAPE).astype("float32")
    bi = Bidirectional(GRU(3, return_sequences=True), merge_mode=None)
    forward, backward = bi(x)
    twin = GRU(3, return_sequences=True)
    twin(x)
    twin.set_weights(bi.backward_layer.get_weights())
    np.testing.assert_allclose(backward.numpy(), twin(x[:, ::-1]).numpy()[:, ::-1], rtol=1e-6, atol=1e-6)
    custom = Bidirectional(LSTM(2), backward_layer=LSTM(2, go_backwards=True))
    assert custom(x).shape == (2, 4)
    with pytest.raises(ValueError, match="go_backwards must be the opposite"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        Bidirectional(LSTM(2), merge_mode="max")


def test_return_state_and_initial_state(rng):
    x = rng.standard_normal(X_SHAPE).astype("float32")
    lstm = LSTM(3, return_sequences=True, return_state=True)
    seq, h, c = lstm(x)
    assert seq.shape == (2, 4, 3) and h.shape == c.shape == (2, 3)
    np.testing.assert_array_equal(seq.numpy()[:, -1], h.numpy())
    # Continuing from the final states equals running the whole sequence at once.
    first = lstm(x[:, :2])
    second = lstm(x[:, 2:], initial_state=[first[1], first[2]])
    np.testing.assert_allclose(second[0].numpy(), seq.numpy()[:, 2:], rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match=r"initial_state must be 2 array\(s\) of shapes \[\(2, 3\), \(2, 3\)\]"):
        lstm(x, initial_state=[h])


def test_stateful_carries_states_until_reset(rng):
    x = rng.standard_normal(X_SHAPE).astype("float32")
    gru = GRU(3, stateful=True)
    whole = GRU(3)
    whole(np.concatenate([x, x], axis=1))
    gru(x)
    whole.set_weights(gru.get_weights())
    gru.reset_states()
    gru(x)
    np.testing.assert_allclose(gru(x).numpy(), whole(np.concatenate([x, x], axis=1)).numpy(), rtol=1e-6, atol=1e-6)
    gru.reset_states()
    np.testing.assert_allclose(gru(x).numpy(), whole(x).numpy(), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="stateful with batch size 2, but received a batch of 1"):
        gru(x[:1])


def test_dropout_acts_in_training_only_and_keeps_gradients_right(rng):
    x = rng.standard_normal(X_SHAPE).astype("float32")
    check_layer(LSTM, {"units": 2, "dropout": 0.5, "recurrent_dropout": 0.5}, X_SHAPE, (2, 2), 3, training_differs=True)
    layer = SimpleRNN(3, recurrent_dropout=0.5)
    np.testing.assert_array_equal(layer(x).numpy(), layer(x, training=False).numpy())


def test_unit_forget_bias_and_orthogonal_recurrent_kernel():
    lstm = LSTM(3)
    lstm(np.zeros(X_SHAPE, "float32"))
    np.testing.assert_array_equal(lstm.cell.bias.numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    gru = GRU(4)
    gru(np.zeros(X_SHAPE, "float32"))
    assert gru.cell.bias.shape == (2, 12)
    u = gru.cell.recurrent_kernel.numpy()  # (4, 12): orthonormal rows
    np.testing.assert_allclose(u @ u.T, np.eye(4), atol=1e-5)
    assert initializers.get("orthogonal").get_config() == {"seed": None, "gain": 1.0}
    q = initializers.Orthogonal(gain=2.0, seed=1)((6, 3))
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(3), atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 axes"):
        initializers.Orthogonal()((3,))


def test_bad_arguments_fail_loudly():
    with pytest.raises(ValueError, match="`units` must be a positive int"):
        LSTM(0)
    with pytest.raises(ValueError, match=r"`dropout` must be a fraction in \[0, 1\)"):
        GRU(2, dropout=1.5)
    with pytest.raises(ValueError, match="kernel_regularizer.*not supported"):
        SimpleRNN(2, kernel_regularizer="l2")
    with pytest.raises(ValueError, match=r"expected ndim=3|rank 3|ndim"):
        LSTM(2)(np.zeros((2, 3), "float32"))


# -- Embedding and Masking ---------------------------------------------------------------------------
def test_embedding_gathers_rows_checks_gradients_and_masks_zero(rng):
    emb = Embedding(6, 3, mask_zero=True)
    ids = np.array([[1, 5, 0], [0, 2, 2]])
    out = emb(ids)
    np.testing.assert_array_equal(out.numpy(), emb.embeddings.numpy()[ids])
    np.testing.assert_array_equal(emb.compute_mask(ids), ids != 0)
    assert Embedding(6, 3).compute_mask(ids) is None
    assert [w.name for w in emb.weights] == ["embeddings"]
    assert np.abs(emb.embeddings.numpy()).max() <= 0.05  # Keras's "uniform" default
    with config.floatx_scope("float64"):
        emb64 = Embedding(6, 3)
        emb64(ids)
        assert check_gradients(lambda: emb64(ids), [], params=emb64.trainable_weights) < 1e-6
    assert Embedding.from_config(emb.get_config()).get_config() == emb.get_config()
    with pytest.warns(LegacyArgumentWarning, match="input_length"):
        Embedding(6, 3, input_length=4)


def test_embedding_and_masking_pass_check_layer():
    ids = lambda r, shape: r.integers(0, 6, shape)  # noqa: E731
    # Ids have no gradient (the table's is checked above), so check_grad is off here.
    check_layer(Embedding, {"input_dim": 6, "output_dim": 3}, (2, 4), (2, 4, 3), 1, input_sampler=ids,
                check_grad=False)  # fmt: skip
    check_layer(Masking, {"mask_value": 0.5}, X_SHAPE, X_SHAPE)


def test_masking_zeros_and_masks_padded_steps():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], "float32")
    layer = Masking()
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer.compute_mask(x), [[True, False, True]])
    x[0, 1] = -1.0
    np.testing.assert_array_equal(Masking(mask_value=-1.0)(x).numpy()[0, 1], [0.0, 0.0])


def _padded(rng):
    ids = rng.integers(1, 9, (3, 5))
    ids[0, 3:] = 0
    ids[1, :2] = 0
    return ids


@pytest.mark.parametrize("api", ["sequential", "functional"])
def test_mask_from_embedding_reaches_the_rnn(rng, api):
    """Padding steps change nothing: a masked sequence gives the state of its unpadded steps."""
    ids = _padded(rng)
    if api == "sequential":
        model = Sequential([Input((5,)), Embedding(9, 4, mask_zero=True), LSTM(3, return_sequences=True), LSTM(2)])
    else:
        inp = Input((5,))
        seq = LSTM(3, return_sequences=True)(Embedding(9, 4, mask_zero=True)(inp))
        model = Model(inp, Dense(2)(GRU(2)(seq)))
    full = model.predict(ids, verbose=0)
    trimmed = model.predict(np.concatenate([ids[:1, :3], ids[1:2, 2:5]]), verbose=0)
    np.testing.assert_allclose(full[:2], trimmed, rtol=1e-5, atol=1e-6)


def test_masked_model_trains(rng):
    ids = _padded(rng)
    y = np.array([0, 1, 1])
    model = Sequential([Input((5,)), Embedding(9, 4, mask_zero=True), Bidirectional(GRU(3)), Dense(2)])
    model.compile(optimizer="adam", loss=neuronio.losses.SparseCategoricalCrossentropy(from_logits=True))
    losses = model.fit(ids, y, epochs=15, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_save_and_load_keeps_predictions(tmp_path, rng):
    ids = _padded(rng)
    model = Sequential([
        Input((5,)), Embedding(9, 4, mask_zero=True), Bidirectional(LSTM(3, return_sequences=True)),
        RNN(StackedRNNCells([GRUCell(2), SimpleRNNCell(2)])), Dense(1),
    ])  # fmt: skip
    model.save(tmp_path / "m.keras")
    loaded = neuronio.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0))


def test_summary_and_plot_model_show_recurrent_models(tmp_path):
    pytest.importorskip("matplotlib")
    model = Sequential([Input((28, 28)), LSTM(128), Dense(10)])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "lstm (LSTM)" in text and "(None, 128)" in text and "80,384" in text
    assert "Total params: 81,674" in text
    neuronio.utils.plot_model(model, to_file=str(tmp_path / "m.png"), show_shapes=True)
    assert (tmp_path / "m.png").stat().st_size > 0


def test_layers_are_in_the_public_surface():
    for name in ("SimpleRNN", "LSTM", "GRU", "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells",
                 "Bidirectional", "Embedding", "Masking"):  # fmt: skip
        assert getattr(layers, name) is layers.registry.lookup(name)
    assert isinstance(LSTM(2).cell, LSTMCell)
    assert Tensor  # imported for the user-cell example's ops


def _seq2seq():
    enc_in, dec_in = Input((5, 3)), Input((6, 2))
    _, h, c = LSTM(4, return_state=True)(enc_in)
    out = LSTM(4, return_sequences=True)(dec_in, initial_state=[h, c])
    return Model([enc_in, dec_in], Dense(2)(out))


def test_functional_initial_state_from_another_layer(tmp_path, rng):
    """The encoder-decoder pattern: the decoder starts from the encoder's final states."""
    model = _seq2seq()
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "InputLayer", "LSTM", "LSTM", "Dense"]
    x = [rng.standard_normal((2, 5, 3)).astype("float32"), rng.standard_normal((2, 6, 2)).astype("float32")]
    encoder, decoder, dense = model.layers[2:]
    _, h, c = encoder(x[0])
    expected = dense(decoder(x[1], initial_state=[h, c])).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    model.save(tmp_path / "s2s.keras")
    loaded = neuronio.models.load_model(tmp_path / "s2s.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.compile(optimizer="adam", loss="mse")
    losses = model.fit(x, np.zeros((2, 6, 2), "float32"), epochs=5, verbose=0).history["loss"]
    assert losses[-1] < losses[0]


def test_a_cell_called_directly_makes_one_step(rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    h, c = np.zeros((2, 4), "float32"), np.zeros((2, 4), "float32")
    cell = LSTMCell(4)
    out, (h1, c1) = cell(x, [h, c])
    assert out.shape == (2, 4) and c1.shape == (2, 4)
    layer = RNN(cell)
    np.testing.assert_allclose(layer(x[:, None, :]).numpy(), out.numpy(), rtol=1e-6, atol=1e-6)
    stacked = StackedRNNCells([SimpleRNNCell(2), GRUCell(3)])
    out, states = stacked(x, [np.zeros((2, 2), "float32"), np.zeros((2, 3), "float32")])
    assert out.shape == (2, 3) and [s.shape for s in states] == [(2, 2), (2, 3)]


MASK = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], bool)


@pytest.mark.parametrize(
    "factory",
    [
        lambda: SimpleRNN(2, return_sequences=True, go_backwards=True),
        lambda: LSTM(2, return_sequences=True, dropout=0.3, recurrent_dropout=0.3),
        lambda: GRU(2, reset_after=False),
        lambda: Bidirectional(LSTM(2, return_sequences=True), merge_mode="mul"),
        lambda: Bidirectional(GRU(2, return_state=True), merge_mode="sum"),
    ],
    ids=["simple_backwards", "lstm_dropout", "gru_reset_before", "bidirectional_seq", "bidirectional_states"],
)
def test_layer_gradients_with_a_mask(rng, factory):
    """Input and every weight, whole sequences, padded steps masked, training mode (fixed dropout)."""
    with config.floatx_scope("float64"):
        layer = factory()
        x = rng.standard_normal(X_SHAPE)
        layer(x)

        def fn(t):
            config.set_random_seed(0)  # the same dropout masks in every evaluation
            out = layer(t, mask=MASK, training=True)
            return ops.concatenate([ops.reshape(o, (2, -1)) for o in out], axis=1) if isinstance(out, list) else out

        assert check_gradients(fn, [x], params=layer.trainable_weights) < 1e-6


def test_initial_states_are_zeros_of_the_state_sizes():
    assert [s.shape for s in LSTM(3).get_initial_state(2)] == [(2, 3), (2, 3)]
    assert [s.shape for s in GRUCell(4).get_initial_state(5)] == [(5, 4)]
    assert not np.any(SimpleRNNCell(2).get_initial_state(1)[0])
    assert LSTM(2, implementation=1).get_config()["units"] == 2  # Keras's switch is accepted
