"""TensorBoard callback: the event files, read back with tensorboard's own reader, hold fit's history
under Keras 3's tags, steps and subfolders."""

import json

import numpy as np
import pytest

import neuronio as nn

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def read(directory):
    acc = event_accumulator.EventAccumulator(str(directory), size_guidance={event_accumulator.HISTOGRAMS: 0})
    acc.Reload()
    return acc


def scalars(acc, tag):
    """(steps, values) of a scalar tag."""
    events = acc.Scalars(tag)
    return [event.step for event in events], [event.value for event in events]


def small_model():
    nn.utils.set_random_seed(0)
    model = nn.Sequential(
        [nn.Input((4,)), nn.layers.Dense(3, activation="relu"), nn.layers.Dense(2, activation="softmax")]
    )
    model.compile(optimizer=nn.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(24, 4)).astype("float32"), rng.integers(0, 2, size=24)


def test_epoch_scalars_equal_history_in_train_and_validation_folders(tmp_path):
    x, y = data()
    model = small_model()
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        validation_data=(x[:8], y[:8]),
        verbose=0,
        callbacks=[nn.callbacks.TensorBoard(log_dir=tmp_path)],
    )
    train, val = read(tmp_path / "train"), read(tmp_path / "validation")
    assert set(train.Tags()["scalars"]) == {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"}
    assert set(val.Tags()["scalars"]) == {
        "epoch_loss",
        "epoch_accuracy",
        "evaluation_loss_vs_iterations",
        "evaluation_accuracy_vs_iterations",
    }
    for key in ("loss", "accuracy"):
        steps, values = scalars(train, f"epoch_{key}")
        assert steps == [0, 1, 2] and values == pytest.approx(history.history[key], rel=1e-6)
        steps, values = scalars(val, f"epoch_{key}")
        assert steps == [0, 1, 2] and values == pytest.approx(history.history[f"val_{key}"], rel=1e-6)
    # Evaluation during fit is stepped by the optimizer's iterations: 3 batches per epoch.
    steps, values = scalars(val, "evaluation_loss_vs_iterations")
    assert steps == [3, 6, 9] and values == pytest.approx(history.history["val_loss"], rel=1e-6)
    assert scalars(train, "epoch_learning_rate") == ([0, 1, 2], pytest.approx([0.1, 0.1, 0.1]))
    assert not any(tag.startswith("batch_") for tag in train.Tags()["scalars"])  # update_freq="epoch"


def test_batch_scalars_every_update_freq_batches_and_graph(tmp_path):
    x, y = data()
    model = small_model()
    batch_logs = []
    record = nn.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    model.fit(
        x, y, batch_size=4, epochs=2, verbose=0, callbacks=[record, nn.callbacks.TensorBoard(tmp_path, update_freq=4)]
    )
    train = read(tmp_path / "train")
    # 6 batches per epoch: global batches 1..12, written at 4, 8, 12.
    steps, values = scalars(train, "batch_loss")
    assert steps == [4, 8, 12] and values == pytest.approx([batch_logs[i]["loss"] for i in (3, 7, 11)], rel=1e-6)
    # The graph tab's "keras" summary: the model's config in Keras's schema.
    [event] = train.Tensors("keras")
    config = json.loads(event.tensor_proto.string_val[0])
    assert config["class_name"] == "Sequential"
    assert [layer["class_name"] for layer in config["config"]["layers"]] == ["InputLayer", "Dense", "Dense"]


def test_histograms_every_histogram_freq_epochs(tmp_path):
    x, y = data()
    model = small_model()
    model.fit(
        x, y, epochs=3, verbose=0, callbacks=[nn.callbacks.TensorBoard(tmp_path, histogram_freq=2, write_graph=False)]
    )
    train = read(tmp_path / "train")
    paths = [w.path for layer in model.layers for w in layer.weights]
    assert sorted(train.Tags()["histograms"]) == sorted(f"{p}/histogram" for p in paths)
    kernel = train.Histograms(f"{model.layers[-1].kernel.path}/histogram")
    assert [h.step for h in kernel] == [0, 2]
    last = kernel[-1].histogram_value
    weights = model.layers[-1].kernel.numpy()
    assert last.num == weights.size
    assert last.min == pytest.approx(weights.min()) and last.max == pytest.approx(weights.max())
    assert last.sum == pytest.approx(weights.sum(), abs=1e-5)


def test_write_images_writes_kernel_images(tmp_path):
    x, y = data()
    model = small_model()
    model.fit(
        x, y, epochs=1, verbose=0, callbacks=[nn.callbacks.TensorBoard(tmp_path, histogram_freq=1, write_images=True)]
    )
    train = read(tmp_path / "train")
    kernel_path = model.layers[-1].kernel.path
    assert f"{kernel_path}/image" in train.Tags()["images"]
    image = train.Images(f"{kernel_path}/image")[0]
    assert (image.height, image.width) == (2, 3)  # (3, 2) kernel: its long side across


def test_standalone_evaluate_writes_evaluation_scalars(tmp_path):
    x, y = data()
    model = small_model()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    loss, accuracy = model.evaluate(x, y, verbose=0, callbacks=[nn.callbacks.TensorBoard(tmp_path)])
    val = read(tmp_path / "validation")
    assert scalars(val, "evaluation_loss_vs_iterations") == ([3], pytest.approx([loss], rel=1e-6))
    assert scalars(val, "evaluation_accuracy_vs_iterations") == ([3], pytest.approx([accuracy], rel=1e-6))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"profile_batch": 2}, r"profiling is not available.*profile_batch=2 \(must be 0\)"),
        ({"profile_batch": (10, 20)}, r"profiling is not available"),
        ({"embeddings_freq": 1}, r"does not write projector embeddings"),
        ({"embeddings_metadata": "meta.tsv"}, r"does not write projector embeddings"),
        ({"update_freq": 0}, r"update_freq must be 'epoch', 'batch' or a positive integer; received 0"),
        ({"update_freq": "step"}, r"update_freq must be"),
        ({"histogram_freq": -1}, r"histogram_freq must be a non-negative integer; received -1"),
    ],
)
def test_arguments_it_cannot_honour_fail_loudly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.callbacks.TensorBoard(**kwargs)


def test_keras_defaults():
    callback = nn.callbacks.TensorBoard()
    assert (callback.log_dir, callback.histogram_freq, callback.write_graph, callback.write_images) == (
        "logs",
        0,
        True,
        False,
    )
    assert (callback.update_freq, callback.embeddings_freq, callback.embeddings_metadata) == ("epoch", 0, None)
    assert nn.callbacks.TensorBoard(update_freq="batch").update_freq == 1


def test_missing_writer_package_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "tensorboardX", None)
    x, y = data()
    model = small_model()
    with pytest.raises(ImportError, match=r"pip install neuronio\[tensorboard\]"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[nn.callbacks.TensorBoard(tmp_path)])
