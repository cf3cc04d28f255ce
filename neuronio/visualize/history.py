"""plot_history: the training curves, one panel per quantity, training against validation."""

import json
import os
import pathlib

import numpy as np

from neuronio.visualize import _style

# Quantities that improve as they fall; everything else (accuracy, ...) improves as it rises.
_LOWER_IS_BETTER = ("loss", "error", "mse", "mae", "mape", "msle", "crossentropy", "hinge")


def _as_dict(history) -> dict:
    """The {key: [value per epoch]} dict from a History, a dict, `neuronio train`'s history.json
    record (with a "history" entry), or the path of such a JSON file."""
    if isinstance(history, (str, os.PathLike)):
        try:
            history = json.loads(pathlib.Path(history).read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"plot_history: cannot read a history from {str(history)!r} ({exc}).") from exc
    if hasattr(history, "history") and isinstance(history.history, dict):
        history = history.history
    if isinstance(history, dict) and isinstance(history.get("history"), dict):
        history = history["history"]
    if not isinstance(history, dict) or not history:
        raise ValueError(
            "plot_history expects the History that fit() returns, its .history dict, or neuronio train's "
            f"history.json; received {type(history).__name__} with nothing to plot."
        )
    return {str(key): np.asarray(values, dtype=np.float64).ravel() for key, values in history.items()}


def lower_is_better(name: str) -> bool:
    return any(word in name for word in _LOWER_IS_BETTER)


def plot_history(history):
    """Loss and every metric per epoch, training (blue) against validation (orange).

    One panel per quantity ("loss", "accuracy", ...), validation drawn in the same panel as its
    training curve, and the best validation epoch marked: a validation curve that turns up while the
    training curve keeps falling is over-fitting.

    Args:
        history: what `model.fit` returns (a History), its `.history` dict, or the history.json
            that `neuronio train` saves (the record or its path).

    Returns:
        A matplotlib Figure (`fig.savefig("history.png")` or ".svg").
    """
    values = _as_dict(history)
    names = []
    for key in values:
        name = key[4:] if key.startswith("val_") else key
        if name not in names:
            names.append(name)
    names.sort(key=lambda name: name != "loss")  # loss first, the others in the order fit logged them
    fig = _style.new_figure("plot_history", 4.6 * len(names), 3.6)
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    for ax, name in zip(axes, names):
        _panel(ax, name, values.get(name), values.get(f"val_{name}"))
    fig.tight_layout()
    return fig


def _panel(ax, name, train, validation) -> None:
    from matplotlib.ticker import MaxNLocator

    best = np.argmin if lower_is_better(name) else np.argmax
    for label, series, colour in (("training", train, _style.TRAIN), ("validation", validation, _style.VALIDATION)):
        if series is None or not len(series):
            continue
        epochs = np.arange(1, len(series) + 1)
        ax.plot(epochs, series, color=colour, marker="o" if len(series) <= 30 else None, label=label)
    if validation is not None and len(validation):
        i = int(best(validation))
        ax.scatter(
            [i + 1],
            [validation[i]],
            s=150,
            facecolors="none",
            edgecolors="black",
            zorder=3,
            label=f"best validation: epoch {i + 1}, {validation[i]:.4g}",
        )
    ax.set_title(name)
    ax.set_xlabel("epoch")
    ax.set_ylabel(name)
    # Whole epochs only. Half an epoch of room either side: with one point, the default margins would
    # leave the axis 0.945 to 1.055, too narrow for any whole number but 1, and the locator would fall
    # back to fractions.
    epochs = max(len(series) for series in (train, validation) if series is not None)
    ax.set_xlim(0.5, epochs + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
