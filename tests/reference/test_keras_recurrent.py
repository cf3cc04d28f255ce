"""Recurrent layers against real Keras 3 (torch backend): forward values with masks, one optimizer
step, `.keras` files in both directions, and summary() rows. Skipped when keras is absent."""

import numpy as np
import pytest

from tests.helpers import KERAS_ARRAY_COPY_WARNING, keras_on_torch

keras = keras_on_torch()

import neuronio  # noqa: E402

pytestmark = [pytest.mark.keras, KERAS_ARRAY_COPY_WARNING]

# float32 rounding over a few timesteps of GEMMs summed in different orders.
RTOL, ATOL = 1e-5, 1e-6
MASK = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1], [1, 1, 1, 1, 1]], bool)

RECURRENT = [
    ("SimpleRNN", {"units": 3}),
    ("SimpleRNN", {"units": 3, "activation": "relu", "go_backwards": True}),
    ("LSTM", {"units": 3}),
    ("LSTM", {"units": 3, "recurrent_activation": "hard_sigmoid", "unit_forget_bias": False}),
    ("GRU", {"units": 3}),
    ("GRU", {"units": 3, "reset_after": False, "go_backwards": True}),
    ("GRU", {"units": 3, "use_bias": False}),
]


def _ids(cases):
    return [f"{c[0]}-{i}" for i, c in enumerate(cases)]


def _copy_weights(source, target, rng=None):
    values = [np.asarray(w) for w in source.get_weights()]
    if rng is not None:
        values = [rng.standard_normal(v.shape).astype("float32") * 0.5 for v in values]
        source.set_weights(values)
    target.set_weights(values)


@pytest.mark.parametrize(("name", "kwargs"), RECURRENT, ids=_ids(RECURRENT))
@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
def test_forward_equals_keras_with_sequences_and_states(rng, name, kwargs, masked):
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    k = getattr(keras.layers, name)(return_sequences=True, return_state=True, **kwargs)
    n = getattr(neuronio.layers, name)(return_sequences=True, return_state=True, **kwargs)
    k.build((None, 5, 4))
    n(x)
    assert [tuple(w.shape) for w in k.weights] == [w.shape for w in n.weights]
    # Both "<layer>/<cell>/<weight>" (the layers' own names differ by their auto-numbering).
    assert [w.path.split("/", 1)[1] for w in k.weights] == [w.path.split("/", 1)[1] for w in n.weights]
    _copy_weights(k, n, rng)
    mask = MASK if masked else None
    got = [o.numpy() for o in n(x, mask=mask)]
    expected = [np.asarray(o.detach()) for o in k(x, mask=mask)]
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


def _models(api, masked):
    L = api.layers
    return api.models.Sequential([
        L.Input((5,)), L.Embedding(7, 4, mask_zero=masked),
        L.Bidirectional(L.LSTM(3, return_sequences=True), merge_mode="ave"),
        L.GRU(3, return_sequences=True), L.SimpleRNN(2), L.Dense(2),
    ])  # fmt: skip


def _ids_batch(rng):
    ids = rng.integers(1, 7, (4, 5))
    ids[0, 3:] = 0
    ids[2, :2] = 0
    return ids


@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
def test_one_adam_step_equals_keras(rng, masked):
    ids, y = _ids_batch(rng), np.array([0, 1, 1, 0])
    models = [_models(api, masked) for api in (keras, neuronio)]
    _copy_weights(models[0], models[1], rng)
    losses = []
    for api, model in zip((keras, neuronio), models):
        model.compile(
            optimizer=api.optimizers.Adam(0.01), loss=api.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        losses.append(model.train_on_batch(ids, y))
    np.testing.assert_allclose(losses[1], losses[0], rtol=RTOL, atol=ATOL)
    for a, b in zip(models[1].get_weights(), models[0].get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6)


def _stacked(api):
    L = api.layers
    inp = L.Input((5, 3))
    x = L.Masking()(inp)
    x = L.RNN(L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2, reset_after=False)]), return_sequences=True)(x)
    x = L.Bidirectional(L.SimpleRNN(2), merge_mode="concat")(x)
    return api.models.Model(inp, L.Dense(1)(x))


@pytest.mark.parametrize("build", [_models, _stacked], ids=["sequential", "functional_stacked"])
@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_keras_files_cross_both_ways(tmp_path, rng, build, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    if build is _models:
        model, x = build(source, True), _ids_batch(rng)
    else:
        model, x = build(source), rng.standard_normal((4, 5, 3)).astype("float32")
        x[0, 3:] = 0.0
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5 for w in model.get_weights()])
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == [type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


def _summary_lines(model) -> list:
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return lines


def _rows(model):
    text = "\n".join(_summary_lines(model))
    return [line for line in text.splitlines() if "(" in line and "params" not in line.lower()], [
        line.strip() for line in text.splitlines() if "params" in line.lower()
    ]


def test_summary_rows_equal_keras(rng):
    rows = []
    keras.backend.clear_session()  # layer names from "embedding", as neuronio's session gives them
    for api in (keras, neuronio):
        rows.append(_rows(_models(api, True)))
    (k_rows, k_totals), (n_rows, n_totals) = rows
    assert n_totals == k_totals
    strip = lambda r: [" ".join(line.replace("│", " ").split()) for line in r]  # noqa: E731
    assert strip(n_rows) == strip(k_rows)


def _seq2seq(api):
    L = api.layers
    enc_in, dec_in = L.Input((5, 3)), L.Input((6, 2))
    _, h, c = L.LSTM(4, return_state=True)(enc_in)
    out = L.LSTM(4, return_sequences=True)(dec_in, initial_state=[h, c])
    return api.models.Model([enc_in, dec_in], L.Dense(2)(out))


@pytest.mark.parametrize("direction", ["neuronio_to_keras", "keras_to_neuronio"])
def test_encoder_decoder_with_initial_state_crosses_both_ways(tmp_path, rng, direction):
    source, target = (neuronio, keras) if direction == "neuronio_to_keras" else (keras, neuronio)
    model = _seq2seq(source)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5 for w in model.get_weights()])
    model.save(tmp_path / "m.keras")
    loaded = target.models.load_model(tmp_path / "m.keras")
    x = [rng.standard_normal((3, 5, 3)).astype("float32"), rng.standard_normal((3, 6, 2)).astype("float32")]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=RTOL, atol=ATOL)


def test_encoder_decoder_summary_lists_initial_state_connections():
    texts = []
    for api in (keras, neuronio):
        if api is keras:
            keras.backend.clear_session()
        texts.append("\n".join(_summary_lines(_seq2seq(api))).strip())
    assert "lstm[0][1]" in texts[0] and texts[1] == texts[0]


DEFAULTS = [
    ("SimpleRNN", {"units": 3}),
    ("LSTM", {"units": 3}),
    ("GRU", {"units": 3}),
    ("SimpleRNNCell", {"units": 3}),
    ("LSTMCell", {"units": 3}),
    ("GRUCell", {"units": 3}),
    ("Embedding", {"input_dim": 5, "output_dim": 2}),
    ("Masking", {}),
]


def _comparable(config):
    """A config without names and dtype envelopes, initializers without Keras 3.15's null axes."""
    out = {}
    for key, value in config.items():
        if key in ("name", "dtype", "quantization_config"):
            continue
        if isinstance(value, dict) and "class_name" in value:
            inner = {k: v for k, v in (value.get("config") or {}).items() if v is not None or k == "seed"}
            value = (value["class_name"], inner)
        out[key] = value
    return out


@pytest.mark.parametrize(("name", "kwargs"), DEFAULTS, ids=[d[0] for d in DEFAULTS])
def test_default_arguments_equal_keras(name, kwargs):
    """Every default (unit_forget_bias, reset_after, orthogonal recurrent kernels, uniform
    embeddings, ...) as real Keras has it: the same config for the same constructor call."""
    ours = _comparable(getattr(neuronio.layers, name)(**kwargs).get_config())
    theirs = _comparable(getattr(keras.layers, name)(**kwargs).get_config())
    assert ours == theirs


WRAPPED = [
    ("bidirectional_concat_states", lambda L: L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True))),
    ("bidirectional_none", lambda L: L.Bidirectional(L.GRU(2, return_sequences=True), merge_mode=None)),
    ("bidirectional_ave_last", lambda L: L.Bidirectional(L.SimpleRNN(2), merge_mode="ave")),
    (
        "stacked_cells",
        lambda L: L.RNN(
            L.StackedRNNCells([L.LSTMCell(3), L.GRUCell(2, reset_after=False)]),
            return_sequences=True,
            return_state=True,
        ),
    ),
    ("rnn_gru_cell_backwards", lambda L: L.RNN(L.GRUCell(3), go_backwards=True, return_sequences=True)),
]


@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize(("name", "build"), WRAPPED, ids=[w[0] for w in WRAPPED])
def test_wrappers_and_stacked_cells_equal_keras(rng, name, build, masked):
    x = rng.standard_normal((3, 5, 4)).astype("float32")
    k, n = build(keras.layers), build(neuronio.layers)
    k.build((None, 5, 4))
    n(x)
    assert [tuple(w.shape) for w in k.weights] == [w.shape for w in n.weights]
    _copy_weights(k, n, rng)
    mask = MASK if masked else None
    got, expected = n(x, mask=mask), k(x, mask=mask)
    got = got if isinstance(got, list) else [got]
    # Keras nests a stacked cell's states per cell ([out, [h1, c1], [h2]]); neuronio lists them flat.
    expected = _flatten(expected)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a.numpy(), np.asarray(b.detach()), rtol=RTOL, atol=ATOL)


def _flatten(value) -> list:
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _flatten(item)]
    return [value]


def test_stateful_layer_carries_states_like_keras(rng):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    k = keras.layers.GRU(3, stateful=True, return_sequences=True)
    n = neuronio.layers.GRU(3, stateful=True, return_sequences=True)
    k.build((2, 4, 3))
    n(x)
    n.reset_states()
    _copy_weights(k, n, rng)
    for _ in range(2):  # the second batch starts from the first one's final states
        np.testing.assert_allclose(n(x).numpy(), np.asarray(k(x).detach()), rtol=RTOL, atol=ATOL)
    k.reset_states()
    n.reset_states()
    np.testing.assert_allclose(n(x).numpy(), np.asarray(k(x).detach()), rtol=RTOL, atol=ATOL)


def _tagger(api):
    """A sequence-to-sequence model whose output keeps the padding mask (Embedding mask_zero)."""
    L = api.layers
    return api.models.Sequential([
        L.Input((4,)), L.Embedding(6, 3, mask_zero=True), L.GRU(3, return_sequences=True),
        L.Dense(3, activation="softmax"),
    ])  # fmt: skip


def test_masked_timesteps_are_left_out_of_loss_and_metrics_like_keras(rng):
    ids = np.array([[1, 2, 0, 0], [3, 4, 5, 0], [0, 2, 2, 1]])
    y = rng.integers(0, 3, (3, 4))
    models = [_tagger(api) for api in (keras, neuronio)]
    _copy_weights(models[0], models[1], rng)
    results = []
    for api, model in zip((keras, neuronio), models):
        model.compile(optimizer=api.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        evaluated = model.evaluate(ids, y, verbose=0, return_dict=True)
        trained = model.train_on_batch(ids, y, return_dict=True)
        results.append((evaluated, trained))
    (k_eval, k_train), (n_eval, n_train) = results
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(n_eval[key], k_eval[key], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(n_train[key], k_train[key], rtol=RTOL, atol=ATOL)
    probabilities = models[1].predict(ids, verbose=0)
    unmasked = -np.log(np.take_along_axis(probabilities, y[..., None], -1)).mean()
    assert abs(n_eval["loss"] - unmasked) > 1e-3  # the mask changed the figure
    for a, b in zip(models[1].get_weights(), models[0].get_weights(), strict=True):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-6)
