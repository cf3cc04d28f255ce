"""show_samples (deck 004's "visualization of results") and plot_mistakes."""

import numpy as np

from neuronio.errors import ShapeError
from neuronio.visualize import _graph, _style
from neuronio.visualize.classes import label_names, resolve_class_names


def show_samples(x, y=None, predictions=None, class_names=None, n: int = 25, columns: int | None = None):
    """A labelled grid of the first `n` images.

    With `predictions`, a right answer is titled with its class in blue and a wrong one in
    vermillion as "true → predicted".

    Args:
        x: images (N, H, W), (N, H, W, 1), (N, H, W, 3), or flat (N, 784).
        y: true labels, integers (N,) or one-hot (N, K); None for no titles.
        predictions: predicted classes (N,) or the model's output rows (N, K), e.g. model.predict(x).
        class_names: None (class numbers), a dataset name ("fashion_mnist") or a list of names.
        n: how many images to show (at most len(x)).
        columns: images per row (default: close to square).

    Returns:
        A matplotlib Figure.
    """
    who = "show_samples"
    images = _style.as_images(x, who)[:n]
    shown = len(images)
    if shown == 0:
        raise ValueError(f"{who}: there are no images to show (x has shape {np.shape(x)}, n={n}).")
    if predictions is not None and y is None:
        raise ValueError(f"{who}: predictions can only be judged against labels; pass y as well.")
    truth = None if y is None else _graph.labels(np.asarray(y)[:shown], shown, f"{who} (y)")
    guess = (
        None if predictions is None else _graph.labels(np.asarray(predictions)[:shown], shown, f"{who} (predictions)")
    )
    num_classes = 1 + max([0] + [int(v.max()) for v in (truth, guess) if v is not None])
    if np.ndim(predictions) == 2:
        num_classes = max(num_classes, np.shape(predictions)[1])
    names = label_names(class_names, num_classes, who)

    rows, cols = _style.grid_shape(shown, columns)
    fig = _style.new_figure(who, 1.5 * cols, 1.6 * rows + 0.6)
    limits = _style.image_limits(images)
    for i, ax in enumerate(fig.subplots(rows, cols, squeeze=False).ravel()):
        if i >= shown:
            ax.axis("off")
            continue
        _style.show_image(ax, images[i], limits)
        if truth is not None:
            _title(ax, names, truth[i], None if guess is None else guess[i])
    if guess is not None:
        right = int((guess == truth).sum())
        fig.suptitle(
            f"{right} of {shown} right.  Blue: right.  Vermillion: wrong, titled true → predicted.", fontsize=10
        )
    fig.tight_layout()
    return fig


def _title(ax, names, true_class, predicted_class) -> None:
    if predicted_class is None:
        ax.set_title(names[true_class], fontsize=9)
    elif predicted_class == true_class:
        ax.set_title(names[true_class], fontsize=9, color=_style.CORRECT)
    else:
        text = f"{names[true_class]} → {names[predicted_class]}"
        if len(text) > 16:  # long class names: two lines, or it runs into the next image's title
            text = text.replace(" → ", "\n→ ")
        ax.set_title(text, fontsize=9, color=_style.WRONG, fontweight="bold")


def most_confident_mistakes(probabilities, y, n: int = 12) -> np.ndarray:
    """Indices of the wrongly classified samples, the most confident first (at most n).

    Confidence is the probability given to the (wrong) predicted class; ties keep sample order.

    >>> p = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.3, 0.7]])
    >>> most_confident_mistakes(p, [1, 1, 0, 0]).tolist()
    [0, 3, 2]
    """
    p = np.asarray(probabilities)
    truth = _graph.labels(y, len(p), "most_confident_mistakes")
    predicted = p.argmax(axis=1)
    wrong = np.flatnonzero(predicted != truth)
    confidence = p[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:n]


def plot_mistakes(model, x, y, n: int = 12, class_names=None, batch_size: int = 256):
    """The `n` most confidently wrong images, each with its three most probable classes.

    Args:
        model: a classifier (softmax output, or logits).
        x, y: images as the model takes them, and their true labels (integers or one-hot).
        n: how many mistakes to show.
        class_names: None, a dataset name ("fashion_mnist") or a list of names.

    Returns:
        A matplotlib Figure; each mistake is titled "#index: true → predicted".
    """
    who = "plot_mistakes"
    p = _graph.predict_probabilities(model, x, who, batch_size)
    return mistakes_figure(x, y, p, n, class_names)


def mistakes_figure(x, y, p, n: int = 12, class_names=None):
    """plot_mistakes from precomputed probabilities (N, K)."""
    who = "plot_mistakes"
    if len(p) != len(x):
        raise ShapeError(f"{who}: {len(x)} images but {len(p)} rows of probabilities.")
    truth = _graph.labels(y, len(p), who)
    names = resolve_class_names(class_names, p.shape[1], who)
    chosen = most_confident_mistakes(p, truth, n)
    n_wrong = int((p.argmax(axis=1) != truth).sum())
    images = _style.as_images(x, who)
    limits = _style.image_limits(images[chosen]) if len(chosen) else (0.0, 1.0)
    pairs = 4  # mistakes per row
    rows = max(1, -(-len(chosen) // pairs))
    # Each mistake, in inches: its image, room for the class names, the bars, room for the percentages.
    label_room = 0.12 + 0.07 * max(len(name) for name in names)  # 8-pt text is about 0.07 inch a letter
    widths = [1.2, label_room, 1.0, 0.55]
    fig = _style.new_figure(who, sum(widths) * pairs + 0.3, 1.75 * rows + 0.9)
    if not len(chosen):
        fig.text(0.5, 0.5, f"No mistakes: all {len(p)} images are classified right.", ha="center", va="center")
        return fig
    grid = fig.add_gridspec(rows, 4 * pairs, width_ratios=widths * pairs, wspace=0.05, hspace=0.5)
    for slot, index in enumerate(chosen):
        r, c = divmod(slot, pairs)
        image_ax = fig.add_subplot(grid[r, 4 * c])
        _style.show_image(image_ax, images[index], limits)
        guess = int(p[index].argmax())
        image_ax.set_title(
            f"#{index}: {names[truth[index]]} → {names[guess]}", fontsize=9, color=_style.WRONG, loc="left"
        )
        _top3(fig.add_subplot(grid[r, 4 * c + 2]), p[index], int(truth[index]), names)
    fig.suptitle(
        f"The {len(chosen)} most confident mistakes ({n_wrong:,} wrong of {len(p):,}), titled #image number: "
        f"true → predicted.\nBars: the 3 most probable classes (vermillion: the wrong prediction, blue: the true "
        f"class when it is among them).",
        fontsize=10,
    )
    return fig


def _top3(ax, probabilities, true_class: int, names) -> None:
    top = np.argsort(-probabilities, kind="stable")[:3]
    colours = [
        _style.WRONG if i == 0 else (_style.CORRECT if k == true_class else _style.NEUTRAL) for i, k in enumerate(top)
    ]
    ax.barh(range(len(top)), probabilities[top], color=colours)
    ax.set_yticks(range(len(top)), [names[k] for k in top], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xticks([])
    for row, k in enumerate(top):
        ax.text(1.0, row, f" {100 * probabilities[k]:.1f}%", va="center", ha="left", fontsize=8, clip_on=False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
