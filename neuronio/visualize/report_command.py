"""`neuronio report MODEL.keras`: every picture of a trained model in one HTML page.

neuronio report ~/.neuronio/runs/cnn-mnist-20250101-120000/model.keras
neuronio report model.keras --dataset fashion_mnist --out report/ --png
"""

import argparse
import pathlib
import sys
import time

from neuronio.datasets.prepared import IMAGE_DATASETS

HELP = "write one HTML page with every picture of a trained model"
DESCRIPTION = (
    "Load a .keras model, run it on a dataset's test set, and write DIR/report.html: the summary, the "
    "decks' layer table, the network diagram, the training history (from the history.json that "
    "`neuronio train` saves next to the model), test accuracy, confusion matrix, mistakes, filters, "
    "activation maps and the top-9 patches of each filter. The page is self-contained (pictures "
    "embedded) and opens without network access."
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=pathlib.Path, metavar="MODEL.keras", help="the trained model")
    parser.add_argument(
        "--dataset",
        choices=IMAGE_DATASETS,
        default=None,
        help="whose test set to use (default: the one in history.json next to the model, else mnist)",
    )
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        metavar="DIR",
        help="folder for report.html (default: the model's folder)",
    )
    parser.add_argument("--samples", type=int, default=None, help="use only the first N test images (default: all)")
    parser.add_argument("--png", action="store_true", help="also save every picture as a PNG file in DIR")


def run(args) -> int:
    from neuronio.errors import NeuronioError
    from neuronio.models import load_model
    from neuronio.visualize.report import _details, dataset_class_names, load_test_set, read_record, write_report

    if args.samples is not None and args.samples < 1:
        print(f"neuronio report: --samples must be at least 1; received {args.samples}.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        model = load_model(args.model)
        record = read_record(args.model)
        dataset = args.dataset or (record or {}).get("dataset") or "mnist"
        if dataset not in IMAGE_DATASETS:
            dataset = "mnist"
        x_test, y_test = load_test_set(dataset, model, args.samples)
        path = write_report(
            model,
            args.out or args.model.parent,
            x_test,
            y_test,
            class_names=dataset_class_names(dataset, model),
            history=record,
            save_pngs=args.png,
            details={"file": str(args.model), **_details(record), "dataset": dataset},
        )
    except (ImportError, NeuronioError, OSError, ValueError, TypeError) as exc:
        print(f"neuronio report: {exc}", file=sys.stderr)
        return 1
    print(f"Saved the report to {path} ({time.perf_counter() - started:.0f} s)")
    return 0
