"""Compiled metrics: unique log keys (Keras 3's `_1` suffix and `weighted_` prefix), `metrics`
unweighted and `weighted_metrics` weighted by sample_weight, and weighted_metrics kept in the
compile config."""

import numpy as np
import pytest

import neuronio as keras

X = np.array([[1.0], [2.0], [3.0], [4.0]], "float32")
Y = np.array([[0.0], [0.0], [0.0], [0.0]], "float32")
W = np.array([2.0, 0.0, 1.0, 0.0], "float32")


def _identity_model():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    return model


def test_repeated_names_get_suffixes_and_weighted_clashes_a_prefix():
    model = _identity_model()
    model.compile(optimizer="sgd", loss="mae", metrics=["mae", "mae", "mse"], weighted_metrics=["mae", "mse", "mae"])
    logs = model.evaluate(X, Y, sample_weight=W, verbose=0, return_dict=True)
    # |y_pred - y| = 1, 2, 3, 4. A metric's weighted mean divides by the sum of the weights, the
    # loss (sum_over_batch_size) by the batch size.
    unweighted_mae, weighted_mae = 2.5, (2 * 1 + 1 * 3) / 3
    unweighted_mse, weighted_mse = (1 + 4 + 9 + 16) / 4, (2 * 1 + 1 * 9) / 3
    assert logs == pytest.approx(
        {
            "loss": (2 * 1 + 1 * 3) / 4,
            "mae": unweighted_mae,
            "mae_1": unweighted_mae,
            "mse": unweighted_mse,
            "weighted_mae": weighted_mae,
            "weighted_mse": weighted_mse,
            "weighted_mae_1": weighted_mae,
        }
    )
    assert model.metrics[1].keys() == ["mae", "mae_1", "mse", "weighted_mae", "weighted_mse", "weighted_mae_1"]


def test_a_weighted_metric_without_a_clash_keeps_its_name():
    model = _identity_model()
    model.compile(optimizer="sgd", loss="mae", weighted_metrics=["mse"])
    logs = model.evaluate(X, Y, sample_weight=W, verbose=0, return_dict=True)
    assert logs == pytest.approx({"loss": 5 / 4, "mse": 11 / 3})


def test_weighted_metrics_survive_the_compile_config_and_a_keras_file(tmp_path):
    model = _identity_model()
    model.compile(optimizer="sgd", loss="mae", metrics=["mae"], weighted_metrics=["mae"])
    assert model.get_compile_config()["weighted_metrics"] == ["mae"]
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    logs = loaded.evaluate(X, Y, sample_weight=W, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae", "weighted_mae"}
    assert logs["weighted_mae"] == pytest.approx(5 / 3) and logs["mae"] == pytest.approx(2.5)


def _two_outputs():
    inputs = keras.Input((3,))
    outputs = [keras.layers.Dense(1, name="a")(inputs), keras.layers.Dense(1, name="b")(inputs)]
    return keras.Model(inputs, outputs)


def test_a_flat_metrics_list_as_long_as_the_outputs_gives_one_entry_to_each_output():
    model = _two_outputs()
    model.compile(optimizer="sgd", loss=["mse", "mse"], metrics=["mae", "mse"])
    x, y = np.ones((4, 3), "float32"), [np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")]
    history = model.fit(x, y, verbose=0).history
    assert sorted(history) == ["a_loss", "a_mae", "b_loss", "b_mse", "loss"]


def test_a_flat_metrics_list_of_another_length_goes_to_every_output_as_in_keras_2():
    model = _two_outputs()
    model.compile(optimizer="sgd", loss=["mse", "mse"], metrics=["mae"])
    x, y = np.ones((4, 3), "float32"), [np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")]
    assert sorted(model.fit(x, y, verbose=0).history) == ["a_loss", "a_mae", "b_loss", "b_mae", "loss"]


def test_lists_of_metrics_must_be_one_per_output():
    model = _two_outputs()
    model.compile(optimizer="sgd", loss="mse", metrics=[["mae"], ["mse"], ["mae"]])
    x, y = np.ones((4, 3), "float32"), [np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")]
    with pytest.raises(ValueError, match=r"metrics is a list of 3 lists for a model with 2 outputs; give one list"):
        model.fit(x, y, verbose=0)
