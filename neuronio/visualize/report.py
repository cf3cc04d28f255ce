"""One self-contained HTML page with every picture of a trained model (`neuronio report`).

The page needs no network and no other file: pictures are PNGs embedded as data: URIs, the style
sheet is inline, and there is no script.
"""

import base64
import datetime
import html
import json
import pathlib
import time

import numpy as np

from neuronio.visualize import _graph, _style
from neuronio.visualize.activations import plot_activations
from neuronio.visualize.classes import CLASS_NAMES, resolve_class_names
from neuronio.visualize.confusion import confusion_figure, confusion_matrix
from neuronio.visualize.filters import conv_layers, plot_filters
from neuronio.visualize.history import plot_history
from neuronio.visualize.patches import receptive_fields, top_patches
from neuronio.visualize.samples import mistakes_figure, most_confident_mistakes, show_samples

_CSS = """
body { font-family: -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1b1b1b;
       max-width: 1180px; margin: 0 auto; padding: 1.5em 2em 4em; line-height: 1.5; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2.2em; border-bottom: 2px solid #1f4e79; padding-bottom: 0.2em; }
h3 { margin-bottom: 0.3em; }
.meta { color: #555; margin-top: 0; }
nav ol { columns: 2; }
pre { background: #f6f8fa; border: 1px solid #dde3ea; padding: 0.8em 1em; overflow-x: auto; font-size: 13px;
      line-height: 1.25; }
img { max-width: 100%; height: auto; border: 1px solid #e3e7ec; margin: 0.4em 0 1em; }
.how { background: #eef4fb; border-left: 4px solid #1f4e79; padding: 0.5em 1em; margin: 0.6em 0 1em; }
.big { font-size: 2.2em; font-weight: bold; color: #1f4e79; margin: 0.2em 0; }
.note { color: #8a4b00; }
"""


class _Page:
    """Sections and pictures collected in order; pictures are also kept as PNG bytes."""

    def __init__(self):
        self.sections, self.pngs = [], {}

    def section(self, anchor: str, title: str, how: str = "") -> list:
        parts = [f'<section id="{anchor}"><h2>{html.escape(title)}</h2>']
        if how:
            parts.append(f'<p class="how">{how}</p>')
        self.sections.append((anchor, title, parts))
        return parts

    def picture(self, parts: list, name: str, fig, alt: str) -> None:
        data = _style.to_png(fig, dpi=100)
        self.pngs[name] = data
        encoded = base64.b64encode(data).decode("ascii")
        parts.append(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">')

    def html(self, title: str, meta: str) -> str:
        toc = "".join(f'<li><a href="#{a}">{html.escape(t)}</a></li>' for a, t, _ in self.sections)
        body = "".join("".join(parts) + "</section>" for _, _, parts in self.sections)
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f'<h1>{html.escape(title)}</h1><p class="meta">{meta}</p>'
            f"<nav><ol>{toc}</ol></nav>{body}</body></html>\n"
        )


def write_report(
    model,
    out_dir,
    x_test,
    y_test,
    class_names=None,
    history=None,
    title: str | None = None,
    n_activations: int = 3,
    k: int = 9,
    patch_images: int | None = None,
    save_pngs: bool = False,
    details: dict | None = None,
) -> pathlib.Path:
    """Write `report.html` into out_dir: every picture of neuronio.visualize for one model.

    Sections: the summary, the decks' layer table, the network diagram, the training history,
    test accuracy, predictions on the first test images, the confusion matrix, the most confident
    mistakes, each conv layer's filters, activation maps for a few test images and each conv
    layer's top-k patches.

    Args:
        model: a trained classifier; x_test, y_test: test images as the model takes them, and
            their labels (integers or one-hot).
        class_names: None, a dataset name ("fashion_mnist") or a list of names.
        history: a History, its dict, or neuronio train's history.json record (None: no curves).
        patch_images: search the top patches in the first N test images only (None: all).
        save_pngs: also write each picture as a PNG file next to the page.
        details: extra "key: value" facts for the page header (dataset, epochs, ...).

    Returns:
        The path of the page.
    """
    who = "write_report"
    _style.require_matplotlib(who)
    _graph.check_model(model, who)
    x_test = _graph.check_inputs(model, x_test, who)
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    p = _graph.predict_probabilities(model, x_test, who)
    truth = _graph.labels(y_test, len(p), who)
    page = _Page()
    _text_sections(page, model)
    _history_section(page, history)
    _results_sections(page, x_test, truth, p, class_names)
    _filter_sections(page, model)
    _activation_section(page, model, x_test, truth, p, class_names, n_activations)
    _hidden_state_section(page, model, x_test)
    _patch_section(page, model, x_test[:patch_images], k)

    accuracy = float((p.argmax(axis=1) == truth).mean())
    facts = {"model": model.name, **(details or {}), "test accuracy": f"{100 * accuracy:.2f}%"}
    facts["written"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    meta = " · ".join(f"{html.escape(str(key))}: {html.escape(str(value))}" for key, value in facts.items())
    path = out_dir / "report.html"
    path.write_text(page.html(title or f"What model '{model.name}' learned", meta), encoding="utf-8")
    if save_pngs:
        for name, data in page.pngs.items():
            (out_dir / f"{name}.png").write_bytes(data)
    return path


def _text_sections(page, model) -> None:
    from neuronio.models.summary import sequential_ascii, summary_lines
    from neuronio.visualize.plot_model import plot_model

    # The model's own weights, as the lab and `summary()` of a model loaded without its optimizer count
    # them; Keras's total for a model loaded with its optimizer adds the optimizer's variables.
    lines = summary_lines(model, line_length=88, include_optimizer=False)
    optimizer = getattr(model, "optimizer", None)
    extra = 0
    if optimizer is not None and getattr(optimizer, "built", False):
        extra = sum(int(np.prod(v.shape)) for v in optimizer.variables)
    kept = (
        f" The file also keeps the optimizer's own variables ({extra:,} numbers: Adam keeps two per weight), "
        f"which Keras's <code>summary()</code> adds to the total for a model loaded with its optimizer; they "
        f"are not counted here."
        if extra
        else ""
    )
    parts = page.section(
        "summary",
        "Summary",
        "Keras's <code>model.summary()</code>: each layer, the shape of its output (None stands for the "
        f"batch size) and how many numbers it learns.{kept}",
    )
    parts.append(f"<pre>{html.escape(chr(10).join(lines))}</pre>")
    parts = page.section(
        "table",
        "Layer table",
        "The decks' table: the data's dimensions after each layer, channels first (C H W) as the deck "
        "prints them, and each layer's number and share of the weights (rounded here; the deck truncates "
        "to a whole percent).",
    )
    try:
        parts.append(f"<pre>{html.escape(sequential_ascii(model, percent='rounded'))}</pre>")
    except (ValueError, AttributeError, IndexError, TypeError) as exc:
        parts.append(f'<p class="note">No table for this model: {html.escape(str(exc))}</p>')
    parts = page.section(
        "diagram",
        "Network diagram",
        "The layers as a graph (<code>neuronio.utils.plot_model</code>), data flowing from top to bottom: "
        "each box holds a layer's input and output shapes and its number of parameters.",
    )
    fig = plot_model(
        model,
        to_file=None,
        show_shapes=True,
        show_layer_names=True,
        show_layer_activations=True,
        show_param_counts=True,
    )
    page.picture(parts, "model", fig, "network diagram")


def _history_section(page, history) -> None:
    parts = page.section(
        "history",
        "Training history",
        "Loss and accuracy after each epoch, on the training data (blue) and on the validation data held out "
        "from training (orange). When the validation curve turns worse while the training curve keeps "
        "improving, the network is over-fitting: memorising the training images instead of learning what "
        "carries over to new ones.",
    )
    if history is None:
        parts.append(
            '<p class="note">No history: the model was not trained by <code>neuronio train</code> (which saves '
            "history.json next to model.keras), or that file is missing.</p>"
        )
        return
    page.picture(parts, "history", plot_history(history), "training curves")


def _results_sections(page, x, truth, p, class_names) -> None:
    predicted = p.argmax(axis=1)
    right = int((predicted == truth).sum())
    parts = page.section(
        "accuracy",
        "Test accuracy",
        "Measured on test images the network never saw while training.",
    )
    parts.append(f'<p class="big">{100 * right / len(p):.2f}%</p>')
    parts.append(f"<p>{right:,} of {len(p):,} test images classified right; {len(p) - right:,} mistakes.</p>")
    parts = page.section(
        "predictions",
        "Predictions on test images",
        "The first test images, then the first ones the network gets wrong. Each is titled with its class: in "
        "blue when the network is right, in vermillion as <b>true → predicted</b> when it is wrong.",
    )
    wrong = np.flatnonzero(predicted != truth)[:10]
    first = np.setdiff1d(np.arange(min(len(p), 40)), wrong)[: 30 - len(wrong)]  # 40 - 10 wrong >= 30
    shown = np.concatenate([first, wrong])
    fig = show_samples(x[shown], truth[shown], p[shown], class_names, n=len(shown), columns=10)
    fig.suptitle(
        f"The first {len(first)} test images ({int((predicted[first] == truth[first]).sum())} right), then the first "
        f"{len(wrong)} mistakes.  Blue: right.  Vermillion: wrong, titled true → predicted.",
        fontsize=10,
    )
    page.picture(parts, "samples", fig, "predictions")
    parts = page.section(
        "confusion",
        "Confusion matrix",
        "Rows are the true classes, columns the predicted ones, so the diagonal holds the right answers. Left: "
        "counts. Right: each row as percentages, so a diagonal cell is that class's accuracy and an "
        "off-diagonal cell says how often one class is taken for another.",
    )
    counts = confusion_matrix(truth, predicted, p.shape[1])
    page.picture(parts, "confusion_matrix", confusion_figure(counts, class_names), "confusion matrix")
    parts = page.section(
        "mistakes",
        "Most confident mistakes",
        "The test images the network got wrong while being most sure of itself, each with the three classes "
        "it found most probable. Some are hard even for people; others show what it has not learned.",
    )
    page.picture(parts, "mistakes", mistakes_figure(x, truth, p, 12, class_names), "mistakes")


def _filter_sections(page, model) -> None:
    parts = page.section(
        "filters",
        "Filters",
        "The weights of each convolution layer, one tile per filter. A first-layer filter is a small image "
        "matched against every place of the input: red weights raise its output where the input is bright "
        "(ink), blue weights lower it, so a filter responds most to the pattern its red part draws. Deeper "
        "filters are matched against the previous layer's feature maps, one slice per map.",
    )
    layers = conv_layers(model)
    if not layers:
        parts.append('<p class="note">This model has no convolution layer, so it has no filters to show.</p>')
    for layer in layers:
        parts.append(f"<h3>{html.escape(_graph.display_name(layer))}</h3>")
        page.picture(parts, f"filters_{layer.name}", plot_filters(model, layer), f"filters of {layer.name}")


def _hidden_state_section(page, model, x) -> None:
    """For recurrent models only: each recurrent layer's state over time for the first test input."""
    from neuronio.visualize.recurrent import plot_hidden_states, recurrent_layers

    layers = recurrent_layers(model)
    if not layers:
        return
    parts = page.section(
        "hidden-states",
        "Hidden states over time",
        "For the first test input, read as a sequence (top), the state a recurrent layer carries from step to "
        "step (bottom): one row per unit, red positive, blue negative. Units that stay on for many steps "
        "remember; units that flicker follow the input.",
    )
    for layer in layers[:3]:
        page.picture(
            parts, f"hidden_{layer.name}", plot_hidden_states(model, x[0], layer), f"hidden states of {layer.name}"
        )


def _activation_section(page, model, x, truth, p, class_names, n_images) -> None:
    parts = page.section(
        "activations",
        "Activation maps: what the network sees",
        "For one test image, the output of every layer from top to bottom. Each small image is a feature "
        "map, one per filter: bright where the filter found its pattern, dark where it did not. Pooling "
        "halves the maps; the bars at the bottom are the dense layers and the predicted probabilities.",
    )
    chosen = list(range(min(max(n_images - 1, 1), len(x))))
    mistakes = most_confident_mistakes(p, truth, 1)
    if len(mistakes) and n_images > 1:
        chosen.append(int(mistakes[0]))
    names = resolve_class_names(class_names, p.shape[1], "write_report")
    for index in chosen:
        guess = int(p[index].argmax())
        verdict = "right" if guess == truth[index] else "a mistake"
        parts.append(
            f"<h3>Test image #{index}: true {html.escape(names[truth[index]])}, predicted "
            f"{html.escape(names[guess])} ({verdict})</h3>"
        )
        fig = plot_activations(model, x[index], class_names=class_names)
        page.picture(parts, f"activations_{index}", fig, f"activations for test image {index}")


def _patch_section(page, model, x, k) -> None:
    fields = receptive_fields(model)
    layers = [layer for layer in conv_layers(model) if layer.name in fields]
    sizes = ", ".join(f"{layer.name}: {fields[layer.name].size[0]}x{fields[layer.name].size[1]}" for layer in layers)
    parts = page.section(
        "patches",
        f"Top {k} patches that activate each filter",
        f"For each filter, the {k} places in the test images where it responds most, strongest first (one per "
        f"image), as the decks' 3x3 blocks. Each patch is the filter's receptive field: the part of the input "
        f"that one output of the layer depends on ({html.escape(sizes) or 'none'} pixels). Deeper layers see "
        f"larger parts of the digit and respond to larger shapes.",
    )
    if x.ndim != 4 or not layers:
        parts.append('<p class="note">This model has no convolution layer on images, so there are no patches.</p>')
        return
    for layer in layers:
        parts.append(f"<h3>{html.escape(_graph.display_name(layer))}</h3>")
        fig = top_patches(model, layer, x, k).plot()
        page.picture(parts, f"top_patches_{layer.name}", fig, f"top patches of {layer.name}")


# -- the command and the hook in `neuronio train` ----------------------------------------------------
def load_test_set(dataset: str, model, samples: int | None = None):
    """The test images of a dataset scaled to [0, 1] and shaped as the model takes them (as
    `neuronio train` prepares them), and their labels."""
    from neuronio.datasets import prepared
    from neuronio.errors import ShapeError

    _, (x, y) = prepared.load_raw(dataset)
    x, y = x[:samples], y[:samples]
    expected = tuple(model.inputs[0].shape[1:])
    if None in expected or int(np.prod(expected)) != x[0].size:
        raise ShapeError(
            f"Model '{model.name}' takes inputs of shape {expected}, but {dataset} images have shape {x.shape[1:]}. "
            f"Choose the dataset the model was trained on with --dataset."
        )
    return prepared.scale(x).reshape(len(x), *expected), y


def read_record(model_path: pathlib.Path) -> dict | None:
    """The history.json `neuronio train` saved next to the model, if it is there and readable."""
    try:
        record = json.loads((pathlib.Path(model_path).parent / "history.json").read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def dataset_class_names(dataset: str, model):
    """The dataset's class names when the model predicts that many classes, else None (numbers)."""
    names = CLASS_NAMES.get(dataset)
    return dataset if names and model.outputs[0].shape[-1] == len(names) else None


def report_after_training(model, out, dataset: str, x_test, y_test, record: dict) -> pathlib.Path | None:
    """Called at the end of `neuronio train`: write out/report.html, or say why not; then say how to
    open the report and the model. Returns the report's path (None when skipped)."""
    from neuronio.errors import NeuronioError

    out = pathlib.Path(out)
    path = None
    try:
        _style.require_matplotlib("the report")
    except ImportError:
        print("Skipped the report (report.html): it needs matplotlib. pip install 'neuronio[plot]'")
    else:
        started = time.perf_counter()
        try:
            path = write_report(
                model,
                out,
                x_test,
                y_test,
                class_names=dataset_class_names(dataset, model),
                history=record,
                details=_details(record),
            )
        except (NeuronioError, OSError, ValueError) as exc:
            print(f"Could not write the report: {exc}")
        else:
            print(f"Saved the report to {path} ({time.perf_counter() - started:.0f} s)")
    print(next_steps(out / "model.keras", path))
    return path


def next_steps(model_path: pathlib.Path, report_path: pathlib.Path | None) -> str:
    """The lines that end `neuronio train`: where the report is, and the command that opens the model."""
    import importlib.util
    import shlex

    lines = ["", "Next:"]
    if report_path is not None:
        lines.append(f"  the report, in your browser:  {pathlib.Path(report_path).resolve().as_uri()}")
    lab = f"neuronio lab {shlex.quote(str(model_path))}"
    needs = "" if importlib.util.find_spec("flask") else "   (after pip install 'neuronio[lab]')"
    lines.append(f"  draw digits for it, inspect it:  {lab}{needs}")
    return "\n".join(lines)


def _details(record: dict | None) -> dict:
    if not record:
        return {}
    keys = ("dataset", "epochs", "batch_size", "samples", "train_seconds")
    return {key.replace("_", " "): record[key] for key in keys if key in record}
