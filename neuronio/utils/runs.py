"""A run: one model trained from data to a saved folder, and the runs that are saved.

`Run` is the one training pipeline behind `neuronio train`, the lab's Train page and `neuronio
train --model reader`:

    data -> model -> fit -> evaluate -> save (model.keras, history.json, history.csv) -> report

It takes plain settings (`RunSettings`), and each step is a method a front end may extend: the
lab adds its live curves and pause/stop as one Keras callback (`callbacks=`) and holds out its own
validation images; the reader draws its own training data and saves the network without its
training-only distortions. The steps themselves exist once, here.

Each run folder holds `model.keras` and `history.json` (model, dataset, test accuracy, history),
which is what the lab and `neuronio read` use to find a default model (`find_runs`, `best_run`).
"""

import dataclasses
import json
import pathlib
import time

from neuronio import config

HISTORY = "history.json"  # the record a run leaves next to its model.keras


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """What a run trains and how, as plain values: `neuronio train`'s flags and the lab's form both
    become one of these."""

    model: str  # a name in applications.decks.DECK_MODELS ("mlp", "cnn", ...), or "reader"
    dataset: str = "mnist"  # one of neuronio.datasets.prepared.IMAGE_DATASETS
    epochs: int = 10
    batch_size: int = 128
    seed: int = 0
    validation_split: float = 0.1  # the fraction `fit` holds out (from the end of the training set)
    samples: int | None = None  # the first N training images only (None: all)
    verbose: int = 1  # fit's progress output, Keras's `verbose`
    optimizer: str | None = None  # a name in neuronio.optimizers' registry; None: the deck's
    learning_rate: float | None = None  # None: the optimizer's default


def load_dataset(name: str, flat: bool | str, samples=None):
    """(x_train, y_train), (x_test, y_test) as float32 in [0, 1] and one-hot labels (10 classes)."""
    from neuronio.datasets import prepared
    from neuronio.utils import to_categorical

    (x_train, y_train), (x_test, y_test) = prepared.load(name, flat, samples)
    return (x_train, to_categorical(y_train, 10)), (x_test, to_categorical(y_test, 10))


def _say(line: str) -> None:
    print(line, flush=True)


def _quiet(line: str) -> None:
    del line


class Run:
    """One training run of a deck model: `execute()` walks the steps, each a method.

    out: the run folder (created by the caller; see `folder`); callbacks: Keras callbacks added to
    `fit`, the hook for live progress; log: where the run's lines go (default: printed, flushed at once);
    report: end with out/report.html, as `neuronio train` does; chief: False on the other processes
    of an MPI run (`neuronio train --workers N`), which train and evaluate in step with rank 0 but
    leave the printing, saving and report to it.
    """

    evaluate_batch_size = 512
    csv_log = True  # write out/history.csv as the history grows

    def __init__(
        self, settings: RunSettings, out: pathlib.Path | None = None, callbacks=(), log=None, report=False, chief=True
    ):
        self.settings = settings
        self.out = None if out is None else pathlib.Path(out)
        self.callbacks = list(callbacks)
        self.log = (log if log is not None else _say) if chief else _quiet
        self.report = report
        self.chief = chief

    def execute(self) -> dict:
        """Train, evaluate and save; returns the record written to history.json."""
        from neuronio.utils import set_random_seed

        # 1. Data and model, seeded.
        set_random_seed(self.settings.seed)
        (x_train, y_train), (x_test, y_test) = self.data()
        model = self.model(x_train)
        model.summary(print_fn=self.log)
        # 2. Training with Keras-style progress and the front end's callbacks.
        started = time.perf_counter()
        history = self.fit(model, x_train, y_train)
        seconds = time.perf_counter() - started
        # 3. Test-set evaluation, then everything saved.
        model = self.trained(model)
        results = self.evaluate(model, x_test, y_test)
        if not self.chief:
            return {}
        from neuronio import distribution

        distribution.set_distribution(None)  # rank 0 saves and reports alone (predict is collective)
        record = self.save(model, len(x_train), seconds, history, results)
        # 4. The report: every picture of what the network learned, in out/report.html.
        if self.report:
            from neuronio.visualize.report import report_after_training

            report_after_training(model, self.folder(), self.settings.dataset, x_test, y_test, record)
        return record

    # -- the steps ---------------------------------------------------------------------------------
    def data(self):
        """(x_train, y_train), (x_test, y_test), prepared as the deck model takes them."""
        from neuronio.applications.decks import DECK_MODELS

        flat = DECK_MODELS[self.settings.model][2]
        return load_dataset(self.settings.dataset, flat, self.settings.samples)

    def model(self, x_train):
        """The deck's model for inputs like x_train, compiled with the run's optimizer."""
        from neuronio.applications.decks import DECK_MODELS

        builder = DECK_MODELS[self.settings.model][0]
        model = builder(input_shape=x_train.shape[1:], num_classes=10)
        model.compile(optimizer=self.optimizer(), loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    def optimizer(self):
        """The settings' optimizer (the deck's by default) from the registry, at its learning rate."""
        from neuronio import optimizers
        from neuronio.applications.decks import DECK_MODELS

        name = self.settings.optimizer or DECK_MODELS[self.settings.model][1]
        if self.settings.learning_rate is None:
            return optimizers.get(name)
        return optimizers.registry.lookup(name)(learning_rate=self.settings.learning_rate)

    def fit(self, model, x, y) -> dict:
        """model.fit with the settings' batch size, epochs, validation split and verbosity; the history
        also goes to out/history.csv as it grows. Returns the history."""
        from neuronio.callbacks import CSVLogger

        s = self.settings
        csv = [CSVLogger(str(self.folder() / "history.csv"))] if self.csv_log else []
        history = model.fit(
            x,
            y,
            batch_size=s.batch_size,
            epochs=s.epochs,
            validation_split=s.validation_split,
            verbose=s.verbose,
            callbacks=[*csv, *self.callbacks],
        )
        return history.history

    def trained(self, model):
        """The model to evaluate and save (the one trained, unless a front end trains a wrapper)."""
        return model

    def evaluate(self, model, x_test, y_test) -> dict:
        """Test loss and accuracy, printed and returned for the record."""
        test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=self.evaluate_batch_size, verbose=0)
        self.log(f"Test loss: {test_loss:.4f}")
        self.log(f"Test accuracy: {test_accuracy:.4f}")
        return {"test_loss": float(test_loss), "test_accuracy": float(test_accuracy)}

    def details(self) -> dict:
        """Extra settings a front end records before the common ones (the lab: its optimizer)."""
        return {}

    def folder(self) -> pathlib.Path:
        """The run folder; `neuronio train` makes it before any data is loaded."""
        return self.out

    def save(self, model, samples: int, seconds: float, history: dict, results: dict) -> dict:
        """Write model.keras and history.json (what find_runs reads) into the run folder."""
        s, folder = self.settings, self.folder()
        model.save(folder / "model.keras")
        record = {
            "model": s.model,
            "dataset": s.dataset,
            **self.details(),
            "epochs": s.epochs,
            "batch_size": s.batch_size,
            "seed": s.seed,
            "samples": samples,
            "train_seconds": round(seconds, 1),
            **results,
            "history": history,
        }
        (folder / HISTORY).write_text(json.dumps(record, indent=2))
        self.log(self.saved_message(folder))
        return record

    def saved_message(self, folder: pathlib.Path) -> str:
        return f"Saved the model to {folder / 'model.keras'} and its history to {folder / HISTORY}"


# -- the runs that are saved ------------------------------------------------------------------------


@dataclasses.dataclass
class SavedRun:
    """A finished run folder: its model.keras and what its history.json says."""

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


def find_runs(dataset: str | None = None, root: pathlib.Path | None = None, model: str | None = None) -> list[SavedRun]:
    """Every finished run (a readable history.json next to a model.keras), best test accuracy first.

    `model` keeps only the runs of that model; by default every model but the reader's, whose
    eleven outputs the lab and the MNIST tools do not expect.
    """
    found = []
    for record_path in sorted((root or runs_dir()).glob(f"*/{HISTORY}")):
        try:
            record = json.loads(record_path.read_text())
            run = SavedRun(
                record_path.parent, str(record["model"]), str(record["dataset"]), float(record["test_accuracy"]), record
            )
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a half-written or foreign folder is not a run
        wanted = run.model == model if model is not None else run.model != READER
        if run.model_path.is_file() and wanted and (dataset is None or run.dataset == dataset):
            found.append(run)
    return sorted(found, key=lambda r: r.test_accuracy, reverse=True)


def best_run(dataset: str = "mnist", root: pathlib.Path | None = None, model: str | None = None) -> SavedRun | None:
    """The finished run with the best test accuracy on `dataset` (of `model`, as find_runs), or None."""
    runs = find_runs(dataset, root, model)
    return runs[0] if runs else None


NO_MODEL_HINT = (
    "No trained model was found under {root}. Train one first, e.g.\n"
    "    neuronio train --epochs 3\n"
    "(the course's MNIST CNN; it is saved there and used by default), or pass a .keras file."
)
