"""The confusion matrix: which classes the model takes for which, as counts and row shares."""

import numpy as np

from neuronio.visualize import _graph, _style
from neuronio.visualize.classes import resolve_class_names


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """counts[t, p] = how many samples of true class t were predicted as class p.

    >>> confusion_matrix([0, 1, 1, 2], [0, 2, 1, 2]).tolist()
    [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"confusion_matrix: {y_true.size} true labels but {y_pred.size} predictions.")
    k = num_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= k):
        raise ValueError(f"confusion_matrix: labels must lie in [0, {k}); received values outside it.")
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def row_normalized(counts: np.ndarray) -> np.ndarray:
    """Each row divided by its total (the share of class t predicted as each p); empty rows stay 0."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)


def plot_confusion_matrix(model, x, y, class_names=None, batch_size: int = 256):
    """The confusion matrix of `model` on (x, y): counts, and each row as percentages.

    Rows are the true classes, columns the predicted ones; the diagonal holds the right answers,
    and the row-normalised panel reads as "of all true 4s, 3% were called 9".

    Args:
        model: a classifier; x, y: images as the model takes them and their labels (int or one-hot).
        class_names: None, a dataset name ("fashion_mnist", "cifar10") or a list of names.

    Returns:
        A matplotlib Figure with two panels (counts, row-normalised %).
    """
    who = "plot_confusion_matrix"
    p = _graph.predict_probabilities(model, x, who, batch_size)
    truth = _graph.labels(y, len(p), who)
    return confusion_figure(confusion_matrix(truth, p.argmax(axis=1), p.shape[1]), class_names)


def confusion_figure(counts: np.ndarray, class_names=None):
    """The two-panel picture of a (K, K) count matrix."""
    who = "plot_confusion_matrix"
    k = counts.shape[0]
    names = resolve_class_names(class_names, k, who)
    shares = row_normalized(counts)
    total = int(counts.sum())
    accuracy = np.trace(counts) / max(total, 1)
    side = 1.6 + 0.5 * k
    fig = _style.new_figure(who, 2 * side + 1.5, side + 0.6)
    axes = fig.subplots(1, 2)
    _matrix(axes[0], counts, names, [f"{int(v)}" for v in counts.ravel()], "counts", "images")
    _matrix(
        axes[1],
        100 * shares,
        names,
        [_percent(v) for v in shares.ravel()],
        "% of each true class (rows add to 100)",
        "%",
    )
    fig.suptitle(
        f"Confusion matrix: {int(np.trace(counts)):,} of {total:,} right ({100 * accuracy:.2f}%); "
        f"off the diagonal: the mistakes",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def _percent(share: float) -> str:
    if share in (0, 1):
        return f"{100 * share:.0f}"
    return f"{100 * share:.1f}"


def _matrix(ax, values, names, texts, title, unit) -> None:
    k = len(names)
    image = ax.imshow(values, cmap="Blues", vmin=0)
    if k <= 20:  # numbers stop being readable beyond ~20 classes
        dark = values.max() / 2
        for (t, p), text in zip(np.ndindex(k, k), texts):
            colour = "white" if values[t, p] > dark else ("#b0b0b0" if values[t, p] == 0 else "black")
            ax.text(p, t, text, ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(
        range(k),
        names,
        rotation=45 if max(map(len, names)) > 2 else 0,
        ha="right" if max(map(len, names)) > 2 else "center",
        fontsize=8,
    )
    ax.set_yticks(range(k), names, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title, fontsize=10)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04).set_label(unit)
