"""Bad input everywhere a user hands data to fit/evaluate/predict: each mistake gets the error type
and the words a user needs (which layer, which shapes, which loss to use), and nothing is lost:
a loss turning NaN stops training with the last good checkpoint intact."""

import numpy as np
import pytest

from neuronio import callbacks, layers, optimizers
from neuronio.errors import DTypeError, NumericsError, ShapeError
from neuronio.models import Model, Sequential, load_model


def mlp(loss="sparse_categorical_crossentropy"):
    model = Sequential(
        [layers.Input((784,)), layers.Dense(16, activation="relu"), layers.Dense(10, activation="softmax")]
    )
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    return model


def cnn():
    model = Sequential([layers.Input((28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(10)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    return model


def digits(rng, n=32):
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


# -- shapes ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_images_given_to_a_dense_model_name_the_layer_and_both_shapes(rng, method):
    model = mlp()
    x, y = rng.random((32, 28, 28), dtype=np.float32), rng.integers(0, 10, 32)
    args = (x,) if method == "predict" else (x, y)
    with pytest.raises(ShapeError, match=r"layer '(input_layer|dense)'.*784.*but received shape \(32, 28, 28\)"):
        getattr(model, method)(*args, verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_flat_images_given_to_a_cnn_name_the_input_and_rank(rng, method):
    model = cnn()
    x, y = rng.random((8, 784), dtype=np.float32), rng.integers(0, 10, 8)
    args = (x,) if method == "predict" else (x, y)
    with pytest.raises(ShapeError, match=r"layer '(input_layer|conv2d)'.*rank 4.*received shape \(8, 784\)"):
        getattr(model, method)(*args, verbose=0)


def test_images_without_a_channel_axis_get_one_as_in_keras(rng):
    # Keras adds the trailing axis of size 1 an Input((28, 28, 1)) asks for (Functional._adjust_input_rank).
    assert cnn().predict(rng.random((8, 28, 28), dtype=np.float32), verbose=0).shape == (8, 10)


def test_wrong_feature_count_names_expected_and_received(rng):
    with pytest.raises(ShapeError, match=r"784.*but received shape \(4, 100\)"):
        mlp().predict(rng.random((4, 100), dtype=np.float32), verbose=0)


def test_mismatched_lengths_name_both_counts(rng):
    x, y = digits(rng, 100)
    with pytest.raises(ValueError, match=r"x and y must hold the same number of samples, but x has 100 and y has 90"):
        mlp().fit(x, y[:90], verbose=0)
    with pytest.raises(ValueError, match=r"x has 100 and y has 90"):
        mlp().evaluate(x, y[:90], verbose=0)


def test_a_multi_input_model_given_one_array_says_how_many_it_needs(rng):
    a, b = layers.Input((3,)), layers.Input((3,))
    model = Model([a, b], layers.Dense(1)(layers.Concatenate()([a, b])))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"2 input"):
        model.predict(rng.random((4, 3), dtype=np.float32), verbose=0)


# -- labels against the loss --------------------------------------------------------------------------------
def test_integer_labels_out_of_range_name_the_range_and_the_label(rng):
    x, y = digits(rng)
    y[5] = 10
    with pytest.raises(ValueError, match=r"labels must be class ids in \[0, 10\) .* received the label 10"):
        mlp().fit(x, y, verbose=0)
    y[5] = -1
    with pytest.raises(ValueError, match=r"received the label -1"):
        mlp().evaluate(x, y, verbose=0)


def test_one_hot_labels_to_a_sparse_loss_say_which_loss_to_use(rng):
    x, y = digits(rng)
    one_hot = np.eye(10, dtype=np.float32)[y]
    with pytest.raises(ShapeError, match=r"look like one-hot labels\. Use categorical_crossentropy"):
        mlp("sparse_categorical_crossentropy").fit(x, one_hot, verbose=0)


def test_integer_labels_to_a_categorical_loss_say_which_loss_to_use(rng):
    x, y = digits(rng)
    with pytest.raises(
        ShapeError,
        match=r"looks like integer class ids\. Use sparse_categorical_crossentropy for "
        r"integer labels, or one-hot encode them",
    ):
        mlp("categorical_crossentropy").fit(x, y, verbose=0)


# -- values and dtypes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_inputs_name_the_argument_and_the_sample(rng, bad):
    x, y = digits(rng)
    x[3, 7] = bad
    with pytest.raises(
        NumericsError,
        match=r"fit: `x` contains NaN or infinite values in 1 sample\(s\) \(first at "
        r"index 3\)",
    ):
        mlp().fit(x, y, verbose=0)
    with pytest.raises(NumericsError, match=r"predict: `x` contains NaN"):
        mlp().predict(x, verbose=0)


def test_nan_labels_are_refused(rng):
    x, _ = digits(rng)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 32)]
    y[0, 0] = np.nan
    with pytest.raises(NumericsError, match=r"`y` contains NaN"):
        mlp("categorical_crossentropy").fit(x, y, verbose=0)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_empty_arrays_say_so(method):
    x, y = np.zeros((0, 784), np.float32), np.zeros((0,), np.int64)
    args = (x,) if method == "predict" else (x, y)
    with pytest.raises(ValueError, match=r"received empty arrays \(0 samples\)|received no samples"):
        getattr(mlp(), method)(*args, verbose=0)


def test_uint8_images_are_accepted_and_cast(rng):
    model = cnn()
    pixels = rng.integers(0, 256, (8, 28, 28, 1)).astype(np.uint8)
    labels = rng.integers(0, 10, 8)
    model.fit(pixels, labels, epochs=1, verbose=0)
    np.testing.assert_array_equal(model.predict(pixels, verbose=0), model.predict(pixels.astype(np.float32), verbose=0))
    assert model.predict(pixels, verbose=0).dtype == np.float32


@pytest.mark.parametrize("bad", [np.array([[1.0, "a"]] * 4, dtype=object), np.array([["a", "b"]] * 4)])
def test_object_and_string_arrays_are_refused_with_the_dtype(bad):
    model = Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(DTypeError, match=rf"`x` has dtype {bad.dtype}; expected numbers"):
        model.fit(bad, np.zeros((4, 1), np.float32), verbose=0)
    assert issubclass(DTypeError, TypeError)


# -- a loss turning NaN --------------------------------------------------------------------------------------
class PoisonWeights(callbacks.Callback):
    """Sets one weight to NaN when `epoch` starts, so that epoch's first loss is NaN."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.layers[0].kernel.data[0, 0] = np.nan


def test_terminate_on_nan_stops_and_the_last_good_checkpoint_survives(tmp_path, rng, capsys):
    x, y = digits(rng, 64)
    model = mlp()
    model.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    good = {}

    class RememberWeights(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            good[epoch] = self.model.get_weights()

    with pytest.warns(UserWarning, match=r"epoch 3 ended with loss=nan; keeping the backup of the last epoch"):
        history = model.fit(
            x,
            y,
            batch_size=16,
            epochs=6,
            verbose=0,
            callbacks=[
                callbacks.BackupAndRestore(tmp_path / "backup", delete_checkpoint=False),
                PoisonWeights(epoch=2),
                callbacks.TerminateOnNaN(),
                callbacks.ModelCheckpoint(tmp_path / "best.keras", monitor="loss", save_best_only=True),
                callbacks.ModelCheckpoint(tmp_path / "epoch{epoch}.keras"),
                RememberWeights(),
            ],
        )
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out
    assert history.epoch == [0, 1, 2]  # stopped during epoch 3
    assert np.isnan(history.history["loss"][-1])
    best = load_model(tmp_path / "best.keras")
    for got, expected in zip(best.get_weights(), good[1], strict=True):
        np.testing.assert_array_equal(got, expected)
    assert all(np.isfinite(w).all() for w in load_model(tmp_path / "epoch2.keras").get_weights())
    # The backup still holds epoch 2's state, so a restart resumes from there, not from NaN weights.
    restarted = mlp()
    restarted.compile(optimizer=optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    restarted.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(tmp_path / "backup")])
    for got, expected in zip(restarted.get_weights(), good[1], strict=True):
        np.testing.assert_array_equal(got, expected)
