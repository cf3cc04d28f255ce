"""The runs `neuronio train` leaves under $NEURONIO_HOME/runs, and the best model among them.

Each run folder holds `model.keras` and `history.json` (model, dataset, test accuracy, history),
which is what the lab and `neuronio read` use to find a default model.
"""

import dataclasses
import json
import pathlib
import time

from neuronio import config


@dataclasses.dataclass
class Run:
    folder: pathlib.Path
    model: str
    dataset: str
    test_accuracy: float
    record: dict

    @property
    def model_path(self) -> pathlib.Path:
        return self.folder / "model.keras"


def runs_dir() -> pathlib.Path:
    return config.neuronio_home() / "runs"


READER = "reader"  # `neuronio train --model reader`: an 11th output, "not one digit", for `neuronio read` only


def find_runs(dataset: str | None = None, root: pathlib.Path | None = None, model: str | None = None) -> list[Run]:
    """Every finished run (a readable history.json next to a model.keras), best test accuracy first.

    `model` keeps only the runs of that model; by default every model but the reader's, whose
    eleven outputs the lab and the MNIST tools do not expect.
    """
    found = []
    for record_path in sorted((root or runs_dir()).glob("*/history.json")):
        try:
            record = json.loads(record_path.read_text())
            run = Run(
                record_path.parent, str(record["model"]), str(record["dataset"]), float(record["test_accuracy"]), record
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a half-written or foreign folder is not a run
        wanted = run.model == model if model is not None else run.model != READER
        if run.model_path.is_file() and wanted and (dataset is None or run.dataset == dataset):
            found.append(run)
    return sorted(found, key=lambda r: r.test_accuracy, reverse=True)


def best_run(dataset: str = "mnist", root: pathlib.Path | None = None, model: str | None = None) -> Run | None:
    """The finished run with the best test accuracy on `dataset` (of `model`, as find_runs), or None."""
    runs = find_runs(dataset, root, model)
    return runs[0] if runs else None


NO_MODEL_HINT = (
    "No trained model was found under {root}. Train one first, e.g.\n"
    "    neuronio train --epochs 3\n"
    "(the course's MNIST CNN; it is saved there and used by default), or pass a .keras file."
)


def fit_run(model, x, y, args, out: pathlib.Path) -> tuple[dict, float]:
    """`neuronio train`'s fit: the command's batch size, epochs, validation split and verbosity, the
    history also written to out/history.csv as it grows. Returns (history, training seconds)."""
    from neuronio.callbacks import CSVLogger

    started = time.perf_counter()
    history = model.fit(
        x,
        y,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_split=args.validation_split,
        verbose=args.verbose,
        callbacks=[CSVLogger(str(out / "history.csv"))],
    )
    return history.history, time.perf_counter() - started


def save_run(model, out: pathlib.Path, args, dataset: str, samples: int, seconds: float, history: dict, **results):
    """Write out/model.keras and out/history.json (what find_runs reads); returns the record."""
    model.save(out / "model.keras")
    record = {
        "model": args.model,
        "dataset": dataset,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "seed": args.seed,
        "samples": samples,
        "train_seconds": round(seconds, 1),
        **results,
        "history": history,
    }
    (out / "history.json").write_text(json.dumps(record, indent=2))
    return record
