"""The decks' programs in examples/ run, each on a small slice, and do what their slides say.

Each example is loaded from its file and its `main(argv)` called with options that keep the run
short (`--samples`, `--epochs`). Programs that train on MNIST use the real data from the default
data folder and are skipped, with the reason, when it cannot be loaded.
"""

import importlib.util
import math
import pathlib
import re
import sys
import warnings

import numpy as np
import pytest

from neuronio._legacy import LegacyArgumentWarning
from neuronio.datasets import cifar10, mnist
from neuronio.errors import DatasetError

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"
CHANCE_LOSS = math.log(10)  # cross-entropy of a uniform guess over 10 classes, 2.3026


def load_example(name: str):
    if str(EXAMPLES) not in sys.path:  # the examples import their shared helpers from examples/_common.py
        sys.path.insert(0, str(EXAMPLES))
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def mnist_available():
    from neuronio.datasets import mnist

    try:
        mnist.load_data()
    except DatasetError as error:
        pytest.skip(f"MNIST cannot be loaded on this machine, so the MNIST programs cannot run: {error}")


def legacy_messages(records) -> list[str]:
    return [str(r.message) for r in records if issubclass(r.category, LegacyArgumentWarning)]


# -- deck 002: the named-layer network and its summary ------------------------------------------


def test_named_layers_summary_matches_the_slide(capsys):
    result = load_example("named_layers_summary").main(["--seed", "0"])
    out = capsys.readouterr().out
    sequential_summary = out.split("hidden: 3 inputs")[0]
    rows = [line for line in sequential_summary.splitlines() if "(Dense)" in line]
    assert len(rows) == 2
    assert "hidden (Dense)" in rows[0] and "(None, 5)" in rows[0] and re.search(r"\b20\b", rows[0])
    assert "output (Dense)" in rows[1] and "(None, 2)" in rows[1] and re.search(r"\b12\b", rows[1])
    assert "Total params: 32" in sequential_summary
    assert "Trainable params: 32" in sequential_summary and "Non-trainable params: 0" in sequential_summary
    # A Sequential summary has no Input row (as in Keras and on the slide); the functional one does.
    assert "InputLayer" not in sequential_summary
    assert "input (InputLayer)" in out.split("hidden: 3 inputs")[1]
    model = result["model"]
    assert model.count_params() == 32 and result["functional"].count_params() == 32
    # The softmax output is a probability distribution.
    y = model.predict(np.array([[0.5, -1.0, 2.0]], dtype="float32"), verbose=0)
    assert y.shape == (1, 2) and abs(float(y.sum()) - 1) < 1e-6


# -- deck 002: the 784-16-16-10 MLP -------------------------------------------------------------


def test_mlp_784_16_16_10_has_the_slides_13002_parameters(capsys):
    example = load_example("mlp_784_16_16_10")
    model = example.build_model()
    model.summary()
    out = capsys.readouterr().out
    assert model.count_params() == 784 * 16 + 16 * 16 + 16 * 10 + 16 + 16 + 10 == 13002
    assert "Total params: 13,002" in out
    assert [layer.count_params() for layer in model.layers] == [784 * 16 + 16, 16 * 16 + 16, 16 * 10 + 10]


def test_mlp_784_16_16_10_learns_on_mnist(mnist_available, capsys):
    result = load_example("mlp_784_16_16_10").main(["--samples", "512", "--epochs", "2", "--seed", "0"])
    out = capsys.readouterr().out
    assert "Trainable params: 13,002 (the slide: 13,002)" in out
    losses = result["history"].history["loss"]
    assert len(losses) == 2 and losses[1] < losses[0]


def test_mnist_programs_say_how_to_run_without_mnist(monkeypatch):
    example = load_example("mlp_784_16_16_10")

    def unavailable():
        raise DatasetError("Could not obtain MNIST from any of its 3 sources: ...")

    monkeypatch.setattr(mnist, "load_data", unavailable)
    with pytest.raises(SystemExit, match=r"MNIST is not available\. Run with --synthetic"):
        example.main(["--epochs", "1"])


def test_mnist_programs_run_on_synthetic_images_only_when_asked(capsys):
    result = load_example("mlp_784_16_16_10").main(["--synthetic", "--samples", "64", "--epochs", "1"])
    assert "SYNTHETIC DATA" in capsys.readouterr().out
    assert len(result["history"].history["loss"]) == 1


# -- deck 003: XOR, the perceptron algorithm, the Keras 1 program ------------------------------


def test_xor_by_hand_and_learned_both_give_the_truth_table(capsys):
    result = load_example("xor_mlp").main([])
    truth = np.array([[0], [1], [1], [0]], dtype="float32")
    np.testing.assert_array_equal(result["by_hand"], truth)
    np.testing.assert_array_equal((result["probabilities"] > 0.5).astype("float32"), truth)
    assert result["accuracy"] == 1.0
    assert "accuracy 1.00" in capsys.readouterr().out


def test_perceptron_numpy_and_gradient_tape_agree_and_separate_the_points(capsys):
    result = load_example("perceptron_gradient_descent").main([])
    # Same start, same order of points, same update: only float32 rounding differs (the sigmoid
    # is evaluated in two different but equivalent forms). 100 epochs x 100 points = 10,000 steps.
    tolerance = 1e-5
    np.testing.assert_allclose(result["w_neuronio"], result["w_numpy"], rtol=tolerance, atol=tolerance)
    assert abs(result["b_neuronio"] - result["b_numpy"]) < tolerance
    assert result["w_numpy"].dtype == np.float32
    # The set is linearly separable and the learned line separates it.
    x, y = result["x"], result["y"]
    predictions = (x @ result["w_numpy"] + result["b_numpy"]) > 0
    np.testing.assert_array_equal(predictions, y == 1)
    assert result["accuracy"] == 1.0
    errors = result["errors"]
    assert all(later < earlier for earlier, later in zip(errors, errors[1:], strict=False))
    assert "largest difference between the two" in capsys.readouterr().out


def test_perceptron_update_is_the_gradient_of_the_cross_entropy():
    example = load_example("perceptron_gradient_descent")
    x, y = example.separable_points(5, seed=3)
    w, b = np.array([0.3, -0.2], dtype="float32"), np.float32(0.1)
    alpha = np.float32(0.5)
    w1, b1, _ = example.train_numpy(x[:1], y[:1], w, b, alpha, epochs=1)
    y_hat = 1 / (1 + np.exp(-(x[0] @ w + b)))
    np.testing.assert_allclose(w1, w - alpha * (y_hat - y[0]) * x[0], rtol=1e-6)
    np.testing.assert_allclose(b1, b - alpha * (y_hat - y[0]), rtol=1e-6)


def test_keras1_sgd_mse_runs_with_legacy_warnings_and_its_loss_falls(capsys):
    example = load_example("keras1_sgd_mse")
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        result = example.main(["--seed", "0"])
    messages = legacy_messages(records)
    assert any("`output_dim=`" in m and "`units=`" in m for m in messages)
    assert any("`lr=`" in m and "`learning_rate=`" in m for m in messages)
    assert any("`nb_epoch=`" in m and "`epochs=`" in m for m in messages)
    losses = result["history"].history["loss"]
    assert len(losses) == 50
    # Unit-variance targets: a fresh net's MSE is about 1.1; 50 full-batch SGD steps at lr 1
    # fit the 64 points markedly (about 0.88 here) and the loss never goes up on the way.
    assert losses[-1] < 0.9 * losses[0]
    assert all(later <= earlier for earlier, later in zip(losses, losses[1:], strict=False))
    assert result["model"].count_params() == (1000 * 100 + 100) + (100 * 1000 + 1000)
    assert "epoch 50: loss" in capsys.readouterr().out


# -- decks 000, 001, 004: the MNIST seed programs ------------------------------------------------


def test_seed_mlp_learns_on_mnist(mnist_available, capsys):
    result = load_example("seed_mlp").main(["--samples", "512", "--epochs", "2", "--seed", "0"])
    out = capsys.readouterr().out
    assert "Total params: 932,362" in out and "Test accuracy:" in out
    history = result["history"].history
    assert history["loss"][1] < history["loss"][0] < CHANCE_LOSS
    # 512 images, 8 steps: already far above chance (0.1) on unseen digits.
    loss, accuracy = result["score"]
    assert loss < CHANCE_LOSS - 0.5 and accuracy > 0.4


def test_seed_cnn_learns_on_mnist_and_its_callback_records_accuracy(mnist_available, capsys):
    result = load_example("seed_cnn").main(["--samples", "512", "--epochs", "2", "--seed", "0"])
    capsys.readouterr()
    history = result["history"]
    logged = result["model"].history.history
    assert logged["loss"][1] < logged["loss"][0] < CHANCE_LOSS
    # The deck's AccuracyHistory saw the same training accuracy, once per epoch.
    assert history.acc == logged["accuracy"] and len(history.acc) == 2
    assert history.acc[1] > history.acc[0]
    loss, accuracy = result["score"]
    assert loss < CHANCE_LOSS - 0.5 and accuracy > 0.4
    assert result["model"].count_params() == 832 + 51264 + 1024 * 1000 + 1000 + 10010


def test_lenet_keras1_runs_its_keras1_spellings_and_learns(mnist_available, capsys):
    example = load_example("lenet_keras1")
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        result = example.main(["--samples", "512", "--epochs", "2", "--seed", "0"])
    capsys.readouterr()
    messages = legacy_messages(records)
    assert any("Convolution2D(12, 5, 5)" in m and "Conv2D(12, (5, 5))" in m for m in messages)
    assert any("`init=`" in m and "kernel_initializer" in m for m in messages)
    assert any("`nb_epoch=`" in m for m in messages)
    model = result["model"]
    # Keras 1's meaning: 12 filters of 5x5 at stride 1 (28 -> 24), not a 5x5 kernel at stride 5.
    assert model.layers[0].compute_output_shape((None, 28, 28, 1)) == (None, 24, 24, 12)
    assert model.count_params() == (5 * 5 * 12 + 12) + (5 * 5 * 12 * 25 + 25) + (400 * 180 + 180) + 18100 + 1010
    losses = result["history"].history["loss"]
    assert losses[1] < losses[0]
    assert result["score"][0] < CHANCE_LOSS


# -- deck 001: the CIFAR-10 CNN ------------------------------------------------------------------


def test_cifar10_cnn_stops_and_asks_for_synthetic_when_cifar10_is_unavailable(monkeypatch):
    example = load_example("cifar10_cnn")

    def unavailable():
        raise DatasetError("Could not obtain CIFAR-10 from any of its 2 sources: ...")

    monkeypatch.setattr(cifar10, "load_data", unavailable)
    with pytest.raises(SystemExit, match=r"CIFAR-10 is not available.*run with --synthetic"):
        example.main(["--epochs", "1"])


def test_cifar10_cnn_runs_on_synthetic_images_of_cifar10s_shape(capsys):
    example = load_example("cifar10_cnn")
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        result = example.main(["--synthetic", "--samples", "64", "--epochs", "1", "--seed", "0"])
    out = capsys.readouterr().out
    assert "SYNTHETIC DATA" in out and "x_train shape: (64, 32, 32, 3)" in out
    assert "Total params: 1,250,858" in out  # deck 004's count for this network
    assert any("`lr=`" in m for m in legacy_messages(records))
    assert result["model"].optimizer.learning_rate == pytest.approx(1e-4)
    assert all(math.isfinite(v) for v in result["history"].history["loss"])


# -- sequences: a Conv1D forecaster on a generated series ----------------------------------------


def test_forecast_timeseries_beats_the_naive_forecast_and_plots_it(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    example = load_example("forecast_timeseries")
    out = tmp_path / "forecast.png"
    result = example.main(["--steps", "500", "--window", "24", "--epochs", "3", "--seed", "0", "--out", str(out)])
    printed = capsys.readouterr().out
    # 350 training steps give 350 - 24 windows; every one of the 150 test steps is forecast once.
    assert "326 training windows, 150 test windows" in printed
    losses = result["losses"]
    assert len(losses) == 3 and losses[2] < losses[1] < losses[0]
    # The naive forecast's error is about the noise (0.1^2, twice) plus one step's change; three
    # short epochs already cut it by more than a third (0.048 against 0.086 at seed 0).
    assert result["mse"] < 0.7 * result["naive_mse"]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "conv1d (Conv1D)" in printed and "Total params: 7,601" in printed


def test_forecast_timeseries_windows_pair_each_window_with_the_next_value():
    example = load_example("forecast_timeseries")
    series = example.make_series(40, 0.1, seed=1)
    x, y = example.windows(series, 8, batch_size=4).as_arrays()
    assert x.shape == (32, 8, 1) and y.shape == (32,)
    for i in (0, 13, 31):
        np.testing.assert_array_equal(x[i, :, 0], series[i : i + 8])
        assert y[i] == series[i + 8]


# -- issue 21: MNIST read row by row by an LSTM -----------------------------------------------------


def test_lstm_mnist_learns_row_by_row(mnist_available, capsys):
    result = load_example("lstm_mnist").main(["--samples", "512", "--epochs", "2", "--batch-size", "64", "--seed", "0"])
    out = capsys.readouterr().out
    assert "lstm (LSTM)" in out and "Total params: 81,674" in out and "Test accuracy:" in out
    history = result["history"].history
    assert history["loss"][1] < history["loss"][0] < CHANCE_LOSS
    loss, accuracy = result["score"]
    assert loss < CHANCE_LOSS and accuracy > 0.2  # 16 steps of an LSTM: clearly above chance (0.1)


@pytest.mark.slow  # the run's report predicts all 10,000 test images through the LSTM
def test_neuronio_train_runs_lstm_mnist(mnist_available, tmp_path, capsys):
    from neuronio import cli

    argv = ["train", "--model", "lstm-mnist", "--samples", "256", "--epochs", "1", "--verbose", "0"]
    assert cli.main([*argv, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "lstm_mnist" in out and "Test accuracy:" in out
    assert (tmp_path / "model.keras").exists()
    from neuronio.models import load_model

    assert load_model(tmp_path / "model.keras").input_shape == (None, 28, 28)


# -- issue 21: a character-level text generator -----------------------------------------------------


def test_char_rnn_learns_a_text_and_writes_samples_at_three_temperatures(tmp_path, capsys):
    text = tmp_path / "verse.txt"
    text.write_text("In the beginning God created the heaven and the earth.\n" * 80)
    example = load_example("char_rnn")
    argv = ["--text", str(text), "--epochs", "6", "--units", "32", "--length", "12", "--sample-length", "30"]
    result = example.main([*argv, "--batch-size", "64", "--seed", "0"])
    printed = capsys.readouterr().out
    losses = result["losses"]
    assert len(losses) == 6 and losses[-1] < 0.5 * losses[0]  # one repeated sentence: learned fast
    assert printed.count("--- temperature 0.2:") == 6 and "--- temperature 1.0:" in printed
    assert all(len(s) == 30 and set(s) <= set(result["chars"]) for e in result["samples"] for s in e.values())
    # At temperature 0.2, after six epochs, the model writes words of the sentence.
    assert any(word in result["samples"][-1][0.2] for word in ("the", "heaven", "earth", "God"))


def test_char_rnn_reads_the_king_james_genesis_from_debian():
    import shutil

    if shutil.which("bible") is None:
        pytest.skip("Debian's bible-kjv package is not installed (apt-get install bible-kjv)")
    text = load_example("char_rnn").bible_text(["Gen"])
    lines = text.splitlines()
    assert lines[0] == "In the beginning God created the heaven and the earth."
    assert lines[-1].startswith("So Joseph died, being an hundred and ten years old")
    assert len(lines) == 1533  # Genesis's verses, each once
