import json

import numpy as np
import pytest

from neuronio.callbacks import History
from neuronio.visualize import plot_history

pytest.importorskip("matplotlib")

LOGS = {
    "loss": [0.9, 0.5, 0.3, 0.2],
    "accuracy": [0.6, 0.8, 0.9, 0.95],
    "val_loss": [0.8, 0.6, 0.5, 0.55],
    "val_accuracy": [0.65, 0.75, 0.85, 0.84],
}


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_one_panel_per_quantity_with_training_and_validation_per_epoch():
    fig = plot_history(LOGS)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    for ax, name in zip(fig.axes, ["loss", "accuracy"]):
        lines = lines_by_label(ax)
        np.testing.assert_array_equal(lines["training"].get_xdata(), [1, 2, 3, 4])  # epochs count from 1
        np.testing.assert_array_equal(lines["training"].get_ydata(), LOGS[name])
        np.testing.assert_array_equal(lines["validation"].get_ydata(), LOGS[f"val_{name}"])
        assert ax.get_xlabel() == "epoch"


def test_best_validation_epoch_is_marked_lowest_loss_highest_accuracy():
    fig = plot_history(LOGS)
    loss_ax, accuracy_ax = fig.axes
    marker = loss_ax.collections[0]
    np.testing.assert_array_equal(marker.get_offsets(), [[3, 0.5]])  # val_loss is lowest at epoch 3
    assert "epoch 3" in marker.get_label()
    np.testing.assert_array_equal(accuracy_ax.collections[0].get_offsets(), [[3, 0.85]])


def test_accepts_a_history_its_record_file_and_metrics_without_validation(tmp_path):
    history = History()
    history.history = {"loss": [1.0, 0.5], "mae": [0.4, 0.3]}
    fig = plot_history(history)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "mae"]
    assert set(lines_by_label(fig.axes[1])) == {"training"}
    path = tmp_path / "history.json"
    path.write_text(json.dumps({"model": "cnn", "test_accuracy": 0.9, "history": LOGS}))
    assert [ax.get_title() for ax in plot_history(path).axes] == ["loss", "accuracy"]


def test_saves_as_png_and_svg(tmp_path):
    fig = plot_history(LOGS)
    fig.savefig(tmp_path / "h.png")
    fig.savefig(tmp_path / "h.svg")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "h.svg").read_bytes()[:500]


def test_empty_or_unreadable_history_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"plot_history expects the History that fit\(\) returns"):
        plot_history({})
    with pytest.raises(ValueError, match=r"cannot read a history from .*missing.json"):
        plot_history(tmp_path / "missing.json")


@pytest.mark.parametrize("epochs", [1, 2, 3, 12, 100])
def test_the_epoch_axis_is_ticked_in_whole_epochs_once_drawn(epochs, tmp_path):
    """A picture test: the figure is rendered, then the tick labels drawn under each panel are read."""
    rng = np.random.default_rng(epochs)
    logs = {key: list(rng.random(epochs)) for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
    fig = plot_history(logs)
    fig.savefig(tmp_path / "history.png", dpi=60)  # ticks and their labels are fixed when drawn
    for ax in fig.axes:
        low, high = ax.get_xlim()
        drawn = [
            (tick, label.get_text())
            for tick, label in zip(ax.get_xticks(), ax.get_xticklabels())
            if low <= tick <= high
        ]
        assert drawn and all(float(tick).is_integer() and 1 <= tick <= epochs for tick, _ in drawn), drawn
        assert all(text == str(int(tick)) for tick, text in drawn), drawn  # "1", never "0.945" or "1.050"
        assert low < 1 <= epochs < high  # every point inside the axes
        if epochs == 1:
            assert drawn == [(1, "1")]
