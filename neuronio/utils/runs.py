"""The runs `neuronio train` leaves under $NEURONIO_HOME/runs, and the best model among them.

Each run folder holds `model.keras` and `history.json` (model, dataset, test accuracy, history),
which is what the lab and `neuronio read` use to find a default model.
"""

import dataclasses
import json
import pathlib

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


def find_runs(dataset: str | None = None, root: pathlib.Path | None = None) -> list[Run]:
    """Every finished run (a readable history.json next to a model.keras), best test accuracy first."""
    found = []
    for record_path in sorted((root or runs_dir()).glob("*/history.json")):
        try:
            record = json.loads(record_path.read_text())
            run = Run(
                record_path.parent, str(record["model"]), str(record["dataset"]), float(record["test_accuracy"]), record
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a half-written or foreign folder is not a run
        if run.model_path.is_file() and (dataset is None or run.dataset == dataset):
            found.append(run)
    return sorted(found, key=lambda r: r.test_accuracy, reverse=True)


def best_run(dataset: str = "mnist", root: pathlib.Path | None = None) -> Run | None:
    """The finished run with the best test accuracy on `dataset`, or None if there is none."""
    runs = find_runs(dataset, root)
    return runs[0] if runs else None


NO_MODEL_HINT = (
    "No trained model was found under {root}. Train one first, e.g.\n"
    "    neuronio train --epochs 3\n"
    "(the seed CNN on MNIST; it is saved there and used by default), or pass a .keras file."
)
