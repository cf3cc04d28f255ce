"""The Train page: one training run at a time in a background thread, streamed to the page.

The run is `neuronio train`'s own `Run` (neuronio/utils/runs.py: data, the deck's model, fit,
evaluation, the saved folder), as `LabRun`, with one extra callback, `_StreamCallback`, which is
the only hook into the loop (as for every callback):
  - after each batch it records the running loss/accuracy (at most ~10 events a second), honours
    pause (it waits) and stop (`model.stop_training = True`, Keras's way of ending `fit` early);
  - every few seconds, and at each epoch's end, it predicts the held-out validation images and
    records their loss, accuracy and the current mistakes.
The page reads the events as server-sent events; each has an index, so a page that reconnects (or
is reloaded mid-run) replays the run so far and continues. Gradients are recorded on a tape that
is local to the training thread (`neuronio.autodiff.tape`), so the Draw and Playground requests
served meanwhile by other threads never land on it.

A finished (or stopped) run is evaluated on the test set and saved as a run folder next to
`neuronio train`'s, so the Draw and Inspect pages can open it. A run that raises is reported to
the page as an `error` event; the server goes on serving.
"""

import dataclasses
import datetime
import inspect
import json
import sys
import threading
import time
import traceback

import numpy as np

from neuronio.callbacks import Callback
from neuronio.datasets.prepared import IMAGE_DATASETS as DATASETS
from neuronio.lab import wire
from neuronio.lab.models import ModelEntry, ModelStore
from neuronio.lab.wire import LabInputError
from neuronio.utils.runs import Run, RunSettings
from neuronio.visualize.classes import CLASS_NAMES

# The optimizers the page offers: names in neuronio.optimizers' registry, each at Keras 3's default rate.
OPTIMIZERS = ("sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax", "nadam")
MODEL_DESCRIPTIONS = {
    "mlp": "deck 004's MLP: 784-512-512-512-10 with Dropout 0.2",
    "cnn": "the course's MNIST CNN (deck 000): Conv 32 5×5 → pool → Conv 64 5×5 → pool → Dense 1000",
    "lenet": "deck 001's LeNet-style net: Conv 12 and 25 5×5, Dense 180 and 100",
    "cifar-cnn": "deck 004's CIFAR-10 CNN: four 3×3 convs, Dense 512 (1.25 M parameters)",
    "lstm-mnist": "an LSTM(128) reading each image row by row: 28 steps of 28 pixels, Dense 10",
}
VALIDATION_FRACTION = 0.1  # held out from the chosen training images, as `neuronio train` does
PROBE_IMAGES = 1000  # validation images predicted for the live curve and the mistakes grid
PROBE_SECONDS = 3.0  # how often (wall clock) the validation images are predicted during an epoch
BATCH_EVENT_SECONDS = 0.1  # at most ~10 batch events a second reach the page
MISTAKES_SHOWN = 32
KEEPALIVE_SECONDS = 15.0


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    model: str
    dataset: str
    optimizer: str
    learning_rate: float
    batch_size: int
    epochs: int
    samples: int

    @classmethod
    def from_request(cls, body: dict) -> "TrainSettings":
        from neuronio.applications.decks import DECK_MODELS

        model = wire.choice(body, "model", tuple(DECK_MODELS))
        optimizer = wire.choice(body, "optimizer", tuple(OPTIMIZERS), default=DECK_MODELS[model][1])
        return cls(
            model=model,
            dataset=wire.choice(body, "dataset", DATASETS, default="cifar10" if model == "cifar-cnn" else "mnist"),
            optimizer=optimizer,
            learning_rate=wire.number(body, "learning_rate", 1e-6, 10.0, default=default_learning_rate(optimizer)),
            batch_size=wire.integer(body, "batch_size", 1, 1024, default=128),
            epochs=wire.integer(body, "epochs", 1, 100, default=1),
            samples=wire.integer(body, "samples", 100, 60000, default=6000),
        )


def options() -> dict:
    """What the Train page offers, with the decks' defaults."""
    from neuronio.applications.decks import DECK_MODELS

    return {
        "models": [
            {"name": name, "description": MODEL_DESCRIPTIONS.get(name, name), "optimizer": spec[1]}
            for name, spec in DECK_MODELS.items()
        ],
        "datasets": list(DATASETS),
        "optimizers": [{"name": name, "learning_rate": default_learning_rate(name)} for name in OPTIMIZERS],
        "class_names": {name: CLASS_NAMES[name] for name in DATASETS},
        "limits": {"batch_size": [1, 1024], "epochs": [1, 100], "samples": [100, 60000], "learning_rate": [1e-6, 10]},
    }


def default_learning_rate(name: str) -> float:
    """The learning rate the optimizer registered under `name` defaults to (Keras 3's)."""
    from neuronio import optimizers

    return inspect.signature(optimizers.registry.lookup(name)).parameters["learning_rate"].default


class TrainingRun:
    """One run's settings, state and event log; the thread appends, SSE readers wait on it."""

    def __init__(self, run_id: int, settings: TrainSettings):
        self.id = run_id
        self.settings = settings
        self.state = "starting"  # starting, loading, training, paused, evaluating, finished, stopped, failed
        self.events: list[dict] = []
        self.model_id: str | None = None
        self._changed = threading.Condition()
        self._resume = threading.Event()
        self._resume.set()
        self.stop_requested = False

    @property
    def active(self) -> bool:
        return self.state not in ("finished", "stopped", "failed")

    def emit(self, kind: str, **data) -> None:
        with self._changed:
            self.events.append({"type": kind, "run": self.id, "state": self.state, **data})
            self._changed.notify_all()

    def set_state(self, state: str, message: str) -> None:
        self.state = state
        self.emit("status", message=message)

    def events_after(self, index: int, timeout: float) -> list[dict]:
        """The events from `index` on, waiting up to `timeout` s for one if there are none yet."""
        with self._changed:
            if index >= len(self.events) and self.active:
                self._changed.wait(timeout)
            return self.events[index:]

    # -- controls (from request threads) --------------------------------------------------------------
    def pause(self) -> None:
        if self.state != "training":
            raise LabInputError(f"Only a run that is training can be paused; this run is {self.state}.", 409)
        self._resume.clear()
        self.set_state("paused", "Paused: press Resume to go on, or Stop to keep the model as it is.")

    def resume(self) -> None:
        if self.state != "paused":
            raise LabInputError(f"Only a paused run can be resumed; this run is {self.state}.", 409)
        self.state = "training"
        self._resume.set()
        self.emit("status", message="Training resumed.")

    def stop(self) -> None:
        if self.state not in ("loading", "training", "paused", "starting"):
            raise LabInputError(f"Only a run that is training can be stopped; this run is {self.state}.", 409)
        self.stop_requested = True
        self._resume.set()
        self.emit("status", message="Stopping after this batch; the model trained so far will be evaluated and saved.")

    def wait_while_paused(self) -> None:
        while not self._resume.wait(0.25):
            pass
        if self.state == "paused":
            self.state = "training"

    def describe(self) -> dict:
        return {
            "run": self.id,
            "state": self.state,
            "settings": dataclasses.asdict(self.settings),
            "model_id": self.model_id,
            "events": len(self.events),
        }


class _StreamCallback(Callback):
    """Streams a fit's progress into a TrainingRun and applies its pause/stop requests."""

    def __init__(self, run: TrainingRun, x_val: np.ndarray, y_val: np.ndarray):
        super().__init__()
        self.run = run
        self.x_val, self.labels = x_val, y_val.argmax(axis=1)
        self.last_event = self.last_probe = 0.0
        self.history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}

    def on_train_begin(self, logs=None):
        self.steps = self.params["steps"]
        self.last_probe = time.perf_counter()
        self.run.set_state("training", f"Training: {self.params['epochs']} epoch(s) of {self.steps} batches.")

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch, self.progress = epoch, float(epoch)

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        progress = self.progress = self.epoch + (batch + 1) / self.steps  # in epochs
        if now - self.last_event >= BATCH_EVENT_SECONDS or batch + 1 == self.steps:
            self.last_event = now
            self.run.emit("batch", epoch=self.epoch, batch=batch, steps=self.steps, progress=progress, **_rounded(logs))
        if now - self.last_probe >= PROBE_SECONDS and batch + 1 < self.steps:
            self._probe(progress)
        self.run.wait_while_paused()
        if self.run.stop_requested:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        val = self._probe(self.progress)  # a stopped epoch ends early, at its last batch
        for key in ("loss", "accuracy"):
            self.history[key].append(float(logs[key]))
            self.history[f"val_{key}"].append(val[f"val_{key}"])
        self.run.emit("epoch", epoch=epoch, **_rounded(logs), **val)

    def _probe(self, progress: float) -> dict:
        """Predict the validation images: their loss and accuracy, and the current mistakes."""
        from neuronio import config

        probabilities = self.model.predict(self.x_val, batch_size=250, verbose=0)  # (n, K)
        predicted = probabilities.argmax(axis=1)
        # Keras's categorical cross-entropy on probabilities: clipped to [eps, 1 - eps].
        true_p = np.clip(
            probabilities[np.arange(len(self.labels)), self.labels], config.epsilon(), 1 - config.epsilon()
        )
        val = {"val_loss": float(-np.log(true_p).mean()), "val_accuracy": float((predicted == self.labels).mean())}
        wrong = np.flatnonzero(predicted != self.labels)
        shown = wrong[:MISTAKES_SHOWN]
        mistakes = {
            "count": int(wrong.size),
            "of": int(len(self.labels)),
            "true": self.labels[shown].tolist(),
            "predicted": predicted[shown].tolist(),
            "confidence": [round(float(c), 3) for c in probabilities[shown, predicted[shown]]],
            "images": wire.encode_images(self.x_val[shown]),
        }
        self.run.emit("validation", progress=progress, mistakes=mistakes, **_rounded(val))
        self.last_probe = time.perf_counter()
        return val


def _rounded(logs: dict) -> dict:
    return {key: round(float(value), 5) for key, value in (logs or {}).items()}


class TrainingManager:
    """Starts runs (one at a time), keeps the latest for replay, and saves what they train."""

    def __init__(self, store: ModelStore, runs_root):
        self.store = store
        self.runs_root = runs_root
        self._lock = threading.Lock()
        self._next_id = 1
        self.current: TrainingRun | None = None

    def start(self, settings: TrainSettings) -> TrainingRun:
        with self._lock:
            if self.current is not None and self.current.active:
                s = self.current.settings
                raise LabInputError(
                    f"A training run is in progress ({s.model} on {s.dataset}, {self.current.state}). Wait for it "
                    f"to finish or stop it first: one run at a time.",
                    409,
                )
            run = TrainingRun(self._next_id, settings)
            self._next_id += 1
            self.current = run
        thread = threading.Thread(target=self._run, args=(run,), name=f"neuronio-lab-train-{run.id}", daemon=True)
        thread.start()
        return run

    def require_current(self) -> TrainingRun:
        if self.current is None:
            raise LabInputError("No training run has been started yet.", 409)
        return self.current

    def _run(self, run: TrainingRun) -> None:
        try:
            self._train(run)
        except Exception as exc:  # any failure ends this run only; the server keeps serving
            traceback.print_exc(file=sys.stderr)
            run.state = "failed"
            run.emit("error", message=f"The training run failed: {type(exc).__name__}: {exc}")

    def _train(self, run: TrainingRun) -> None:
        s = run.settings
        settings = RunSettings(
            model=s.model,
            dataset=s.dataset,
            epochs=s.epochs,
            batch_size=s.batch_size,
            seed=0,  # seeded like `neuronio train`
            validation_split=0.0,  # the page's run holds out its own validation images (LabRun.data)
            samples=s.samples,
            verbose=0,
            optimizer=s.optimizer,
            learning_rate=s.learning_rate,
        )
        lab_run = LabRun(settings, run, self.runs_root)
        record = lab_run.execute()
        folder = lab_run.folder()
        test_accuracy = record["test_accuracy"]
        entry = ModelEntry(folder.name, folder / "model.keras", "lab", s.dataset, test_accuracy, record)
        self.store.add(entry)
        run.model_id = entry.id
        run.state = "stopped" if run.stop_requested else "finished"
        run.emit(
            "done",
            message=f"{'Stopped' if run.stop_requested else 'Finished'}: test accuracy {test_accuracy:.2%} on "
            f"{lab_run.test_images:,} test images. Saved as {folder.name}; open it in Draw or Inspect.",
            model_id=entry.id,
            test_loss=round(record["test_loss"], 5),
            test_accuracy=round(test_accuracy, 5),
            class_names=CLASS_NAMES[s.dataset],
        )


class LabRun(Run):
    """The Train page's Run: the common steps, with the page's status messages, its own held-out
    validation images, the streaming callback (live curves, pause, stop) and a run folder named
    when the model is saved."""

    evaluate_batch_size = 500
    csv_log = False

    def __init__(self, settings: RunSettings, run: TrainingRun, runs_root):
        super().__init__(settings, log=lambda line: None)
        self.run, self.runs_root, self._folder = run, runs_root, None

    def data(self):
        """The first `samples` training images; the last tenth of them held out for validation."""
        self.run.set_state("loading", f"Loading {self.settings.dataset}...")
        (x, y), test = super().data()
        n_val = max(1, int(round(len(x) * VALIDATION_FRACTION)))
        x_train, y_train, x_val, y_val = x[:-n_val], y[:-n_val], x[-n_val:], y[-n_val:]
        self.stream = _StreamCallback(self.run, x_val[:PROBE_IMAGES], y_val[:PROBE_IMAGES])
        self.callbacks.append(self.stream)
        return (x_train, y_train), test

    def fit(self, model, x, y) -> dict:
        """Training; the callback streams progress and applies pause/stop. Its history holds the
        validation images' loss and accuracy at each epoch's end."""
        if not self.run.stop_requested:
            super().fit(model, x, y)
        return self.stream.history

    def evaluate(self, model, x_test, y_test) -> dict:
        self.test_images = len(x_test)
        self.run.set_state("evaluating", f"Evaluating on the {len(x_test):,} test images...")
        results = super().evaluate(model, x_test, y_test)
        return {"epochs_done": len(self.stream.history["loss"]), "stopped_early": self.run.stop_requested, **results}

    def details(self) -> dict:
        return {"source": "lab", "optimizer": self.settings.optimizer, "learning_rate": self.settings.learning_rate}

    def folder(self):
        """A new folder under the runs root, named when the model is first saved."""
        if self._folder is None:
            s = self.settings
            stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
            base = f"{s.model}-{s.dataset}-{stamp}-lab"
            folder, n = self.runs_root / base, 2
            while folder.exists():
                folder, n = self.runs_root / f"{base}-{n}", n + 1
            folder.mkdir(parents=True)
            self._folder = folder
        return self._folder


def sse_stream(run: TrainingRun, start: int):
    """Server-sent events from event `start` on, until the run ends; a comment keeps idle links alive."""
    index = start
    while True:
        events = run.events_after(index, KEEPALIVE_SECONDS)
        if not events:
            if not run.active:
                return
            yield ": still here\n\n"
            continue
        for event in events:
            yield f"id: {index}\ndata: {json.dumps(event)}\n\n"
            index += 1
        if not run.active and index >= len(run.events):
            return
