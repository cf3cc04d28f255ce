"""compile/fit/evaluate/predict and friends: what a Keras user relies on."""

import numpy as np
import pytest

from neuronio import callbacks, layers, losses, optimizers
from neuronio.errors import DTypeError, NumericsError, ShapeError
from neuronio.models import Model, Sequential
from neuronio.utils import set_random_seed, to_categorical


def _blobs(n=240, seed=0):
    """Three well-separated Gaussian blobs in 4-D: any working classifier gets them right."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centers = np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], np.float32)
    x = centers[labels] + rng.normal(0, 0.5, (n, 4)).astype(np.float32)
    return x, labels


def _mlp(**compile_kwargs):
    model = Sequential(
        [layers.Input(shape=(4,)), layers.Dense(16, activation="relu"), layers.Dense(3, activation="softmax")]
    )
    model.compile(
        **{"optimizer": "adam", "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"], **compile_kwargs}
    )
    return model


def test_fit_learns_and_history_has_keras_keys():
    x, y = _blobs()
    model = _mlp(optimizer=optimizers.Adam(0.05))
    history = model.fit(x, y, epochs=8, batch_size=32, validation_split=0.25, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == list(range(8))
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["val_accuracy"][-1] > 0.95
    assert model.history is history


def test_log_key_is_the_string_the_user_wrote():
    x, y = _blobs(60)
    history = _mlp(metrics=["acc", "mae"], loss="categorical_crossentropy").fit(
        x, to_categorical(y, 3), epochs=1, verbose=0
    )
    assert sorted(history.history) == ["acc", "loss", "mae"]


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = _blobs(100)
    model = _mlp()
    history = model.fit(x, y, epochs=1, batch_size=10, validation_split=0.2, verbose=0)
    loss, acc = model.evaluate(x[80:], y[80:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(loss, rel=1e-6)
    assert history.history["val_accuracy"][0] == pytest.approx(acc, rel=1e-6)


def test_epoch_logs_average_per_sample_with_a_short_last_batch():
    x, y = _blobs(10)
    model = _mlp(optimizer=optimizers.SGD(0.0))  # no learning: every batch sees the same model
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    per_sample = losses.sparse_categorical_crossentropy(y, model(x)).numpy()
    assert history.history["loss"][0] == pytest.approx(per_sample.mean(), rel=1e-5)


def test_evaluate_returns_list_dict_or_float():
    x, y = _blobs(50)
    model = _mlp()
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, list) and len(result) == 2
    as_dict = model.evaluate(x, y, verbose=0, return_dict=True)
    assert as_dict == {"accuracy": result[1], "loss": result[0]}
    plain = _mlp(metrics=None)
    assert isinstance(plain.evaluate(x, y, verbose=0), float)


def test_predict_and_on_batch_methods():
    x, y = _blobs(50)
    model = _mlp()
    probabilities = model.predict(x, batch_size=7, verbose=0)
    assert probabilities.shape == (50, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), probabilities[:5], rtol=1e-6)
    before = model.get_weights()
    loss, acc = model.train_on_batch(x, y)
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    loss2, _ = model.test_on_batch(x, y)
    assert isinstance(loss, float) and isinstance(loss2, float) and 0 <= acc <= 1
    assert model.train_on_batch(x, y, return_dict=True).keys() == {"accuracy", "loss"}


def test_set_random_seed_repeats_weights_and_history():
    x, y = _blobs(64)

    def run():
        set_random_seed(7)
        model = Sequential(
            [
                layers.Input(shape=(4,)),
                layers.Dense(8, activation="relu"),
                layers.Dropout(0.3),
                layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        return model.get_weights(), history.history

    (w1, h1), (w2, h2) = run(), run()
    assert h1 == h2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))


def test_initial_epoch_and_verbose_zero_print_nothing(capsys):
    x, y = _blobs(40)
    history = _mlp().fit(x, y, epochs=3, initial_epoch=1, verbose=0)
    assert history.epoch == [1, 2]
    assert capsys.readouterr().out == ""


def test_verbose_two_prints_one_line_per_epoch(capsys):
    x, y = _blobs(40)
    _mlp().fit(x, y, epochs=2, batch_size=20, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("2/2 - ") and " - accuracy: " in lines[1] and " - loss: " in lines[1]


def test_user_callback_like_the_deck_accuracy_history():
    class AccuracyHistory(callbacks.Callback):
        def on_train_begin(self, logs={}):  # noqa: B006 - the deck's own code
            self.acc = []

        def on_epoch_end(self, batch, logs={}):  # noqa: B006
            self.acc.append(logs.get("acc"))

    x, y = _blobs(40)
    history = AccuracyHistory()
    _mlp(metrics=["acc"]).fit(x, y, epochs=3, verbose=0, callbacks=[history])
    assert len(history.acc) == 3 and all(0 <= a <= 1 for a in history.acc)


def test_early_stopping_restores_the_best_weights():
    x, y = _blobs(60)
    model = _mlp(optimizer=optimizers.SGD(0.0))
    stopper = callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    history = model.fit(x, y, epochs=10, verbose=0, shuffle=False, callbacks=[stopper])
    assert len(history.epoch) == 2  # no improvement after the first epoch


def test_weights_round_trip_and_count_params():
    model = _mlp()
    assert model.count_params() == 4 * 16 + 16 + 16 * 3 + 3
    clone = _mlp()
    clone.set_weights(model.get_weights())
    x, _ = _blobs(5)
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    assert model.get_layer(index=0) is model.layers[0]
    with pytest.raises(ValueError, match="No layer named 'nope'"):
        model.get_layer("nope")


def test_functional_model_with_two_inputs_shared_layer_and_two_outputs():
    a, b = layers.Input(shape=(4,), name="a"), layers.Input(shape=(4,), name="b")
    shared = layers.Dense(8, activation="relu", name="shared")
    merged = layers.Concatenate()([shared(a), shared(b)])
    out1 = layers.Dense(3, activation="softmax", name="cls")(merged)
    out2 = layers.Dense(1, name="reg")(layers.Multiply()([shared(a), shared(b)]))
    model = Model([a, b], [out1, out2])
    model.compile("adam", loss=["sparse_categorical_crossentropy", "mse"], metrics=[["accuracy"], []])
    x, y = _blobs(64)
    history = model.fit([x, x[::-1]], [y, x[:, :1]], epochs=2, verbose=0)
    assert {"loss", "cls_loss", "reg_loss", "cls_accuracy"} <= set(history.history)
    assert [w.name for w in model.get_layer("shared").weights] == ["kernel", "bias"]
    p1, p2 = model.predict([x, x], verbose=0)
    assert p1.shape == (64, 3) and p2.shape == (64, 1)
    clone = Model.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    q1, q2 = clone.predict([x, x], verbose=0)
    np.testing.assert_allclose(q1, p1, rtol=1e-6)
    np.testing.assert_allclose(q2, p2, rtol=1e-6)


def test_sequential_config_round_trip():
    model = _mlp()
    clone = Sequential.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == ["Dense", "Dense"]
    assert clone.count_params() == model.count_params()


def test_graph_disconnected_is_explained():
    a, b = layers.Input(shape=(2,)), layers.Input(shape=(2,))
    out = layers.Add()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected.*Pass it in Model"):
        Model(a, out)


def test_bad_data_gets_clear_errors():
    x, y = _blobs(20)
    model = _mlp()
    with pytest.raises(ValueError, match="x has 20 and y has 19"):
        model.fit(x, y[:19], verbose=0)
    with pytest.raises(NumericsError, match=r"NaN or infinite values in 1 sample\(s\) \(first at index 3\)"):
        bad = x.copy()
        bad[3, 1] = np.nan
        model.fit(bad, y, verbose=0)
    with pytest.raises(DTypeError, match="dtype object"):
        model.fit(np.array([[1, "a"]] * 20, dtype=object), y, verbose=0)
    with pytest.raises(ValueError, match="empty arrays"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ShapeError, match=r"layer 'dense' \(Dense\).*size 4.*received shape \(20, 5\)"):
        model.fit(np.ones((20, 5), np.float32), y, verbose=0)
    with pytest.raises(RuntimeError, match="must call model.compile"):
        Sequential([layers.Dense(1)]).fit(x, y, verbose=0)


def test_uint8_images_are_accepted():
    model = Sequential([layers.Input(shape=(2, 2, 1)), layers.Flatten(), layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    images = np.arange(32, dtype=np.uint8).reshape(8, 2, 2, 1)
    model.fit(images, np.zeros(8, np.int64), verbose=0)
    assert model.predict(images, verbose=0).dtype == np.float32


def test_keras1_nb_epoch_runs_with_a_warning():
    from neuronio._legacy import LegacyArgumentWarning

    x, y = _blobs(20)
    with pytest.warns(LegacyArgumentWarning, match="use `epochs=`"):
        history = _mlp().fit(x, y, nb_epoch=2, verbose=0)
    assert len(history.epoch) == 2


def test_calling_a_model_without_training_leaves_each_layer_its_own_default():
    # Keras: training=None reaches every layer, so an augmentation model called directly augments
    # while Dropout stays the identity; predict and evaluate always run in inference mode.
    x = np.tile(np.arange(64, dtype=np.float32).reshape(1, 8, 8, 1), (16, 1, 1, 1))
    augment = Sequential([layers.Input(shape=(8, 8, 1)), layers.RandomFlip("horizontal", seed=1), layers.Dropout(0.5)])
    flipped = (augment(x).numpy() != x).any(axis=(1, 2, 3))
    assert 0 < flipped.sum() < 16  # a coin per image
    assert np.isin(augment(x).numpy(), x).all()  # nothing zeroed or scaled by Dropout
    np.testing.assert_array_equal(augment.predict(x, verbose=0), x)
