"""The Playground page: TensorFlow Playground's toy problems, learned by a real neuronio model.

Four 2-D datasets of two classes (XOR, circles, two spirals, two Gaussian blobs) in the square
[-6, 6]^2, with label noise and a train/test split; a Sequential of Dense layers with the chosen
activation ends in one sigmoid unit trained with binary cross-entropy by SGD. The page asks for a
few epochs at a time (`step`), and each answer carries what it draws: the losses and accuracies,
the output on a grid over the square (the decision boundary), every hidden neuron's output on a
coarser grid (its "region"), and the weights.

L2 regularisation is the optimizer's decoupled weight decay, `w <- w - lr * rate * w` before each
SGD step, which is exactly the gradient step of `rate / 2 * ||w||^2` added to the loss (and what
TensorFlow Playground does); biases are not decayed, as there.
"""

import secrets
import threading
import time

import numpy as np

from neuronio.lab import wire
from neuronio.lab.wire import LabInputError

DATASETS = ("xor", "circle", "spiral", "gauss")
# The decks' activation list (DESIGN: neuronio.activations).
ACTIVATIONS = (
    "linear",
    "binary_step",
    "sigmoid",
    "hard_sigmoid",
    "tanh",
    "arctan",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "exponential",
    "softmax",
    "silu",
    "gelu",
)
# Input features computed from the point (x1, x2), as in TensorFlow Playground.
FEATURES = {
    "x1": lambda p: p[:, 0],
    "x2": lambda p: p[:, 1],
    "x1^2": lambda p: p[:, 0] ** 2,
    "x2^2": lambda p: p[:, 1] ** 2,
    "x1*x2": lambda p: p[:, 0] * p[:, 1],
    "sin(x1)": lambda p: np.sin(p[:, 0]),
    "sin(x2)": lambda p: np.sin(p[:, 1]),
}
DOMAIN = 6.0  # points and grids live in [-6, 6]^2
BOUNDARY_GRID = 64  # the output drawn behind the points: 64x64 cells
NEURON_GRID = 24  # each neuron's little picture: 24x24 cells
MAX_SESSIONS = 16  # idle playgrounds beyond this are forgotten, oldest first
MAX_HIDDEN_LAYERS, MAX_UNITS = 6, 8
MAX_EPOCHS_PER_STEP = 100
# The work of one /step request, in SGD updates (epochs x batches per epoch). An update of these small
# networks costs about a millisecond, almost all of it per-batch overhead (the arithmetic of 900 points
# through 433 weights is tiny), so updates, not samples x weights, measure a request's time: 2,000 keep it
# to a few seconds and hold one epoch of the largest setting (900 training points in batches of 1). Above
# it the request is refused (400) with the numbers; at the old limits (100 epochs x 900 batches) one
# request held a core for ~90 s.
MAX_BATCHES_PER_STEP = 2000


def make_dataset(kind: str, n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, 2) float32 in about [-6, 6]^2, labels (n,) in {0, 1}); noise in [0, 0.5]."""
    if kind == "xor":
        points = rng.uniform(-5, 5, (n, 2))
        points += np.where(points > 0, 0.3, -0.3)  # a gap along the axes, as in TF Playground
        jitter = rng.uniform(-5, 5, (n, 2)) * noise  # the label is read off a jittered position
        labels = ((points[:, 0] + jitter[:, 0]) * (points[:, 1] + jitter[:, 1]) >= 0).astype(int)
    elif kind == "circle":
        radius = 5.0
        inner = np.arange(n) < n // 2
        r = np.where(inner, rng.uniform(0, 0.5 * radius, n), rng.uniform(0.7 * radius, radius, n))
        angle = rng.uniform(0, 2 * np.pi, n)
        points = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        jitter = rng.uniform(-radius, radius, (n, 2)) * noise
        labels = (np.hypot(*(points + jitter).T) < 0.5 * radius).astype(int)
    elif kind == "spiral":
        half = np.arange(n) % 2  # alternate the two arms
        i = np.arange(n) // 2 / max(1, n // 2)  # position along the arm in [0, 1)
        r = 5.0 * i
        t = 1.75 * i * 2 * np.pi + np.pi * half
        points = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (n, 2)) * noise * 2
        labels = half
    elif kind == "gauss":
        labels = (np.arange(n) % 2).astype(int)
        centres = np.where(labels[:, None] == 1, 2.0, -2.0)
        spread = 0.5 + 3.5 * (noise / 0.5)  # variance from 0.5 (no noise) to 4 (50%)
        points = centres + rng.normal(0.0, np.sqrt(spread), (n, 2))
    else:
        raise LabInputError(f"Unknown dataset {kind!r}; choose one of {', '.join(DATASETS)}.")
    return np.clip(points, -DOMAIN, DOMAIN).astype(np.float32), labels.astype(np.float32)


def features_of(points: np.ndarray, names: list[str]) -> np.ndarray:
    """(n, len(names)) float32 inputs of the network for (n, 2) points."""
    return np.stack([FEATURES[name](points) for name in names], axis=1).astype(np.float32)


def _grid(size: int) -> np.ndarray:
    """(size * size, 2) cell centres over [-6, 6]^2, row by row from the top (x2 = +6) down."""
    centres = (np.arange(size) + 0.5) / size * 2 * DOMAIN - DOMAIN
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1).astype(np.float32)


class PlaygroundSettings:
    """The page's choices, checked."""

    def __init__(self, body: dict):
        self.dataset = wire.choice(body, "dataset", DATASETS, default="xor")
        self.noise = wire.number(body, "noise", 0, 50, default=0) / 100
        self.train_percent = wire.integer(body, "train_percent", 10, 90, default=50)
        self.points = wire.integer(body, "points", 50, 1000, default=500)
        self.activation = wire.choice(body, "activation", ACTIVATIONS, default="tanh")
        self.learning_rate = wire.number(body, "learning_rate", 1e-5, 10, default=0.03)
        self.regularization = wire.choice(body, "regularization", ("none", "l2"), default="none")
        self.regularization_rate = wire.number(body, "regularization_rate", 0, 10, default=0.0)
        self.batch_size = wire.integer(body, "batch_size", 1, 100, default=10)
        self.seed = wire.integer(body, "seed", 0, 2**31 - 1, default=0)
        hidden = body.get("hidden", [4, 2])
        if not isinstance(hidden, list) or len(hidden) > MAX_HIDDEN_LAYERS:
            raise LabInputError(
                f"`hidden` must be a list of at most {MAX_HIDDEN_LAYERS} layer sizes, e.g. [4, 2]; received {hidden!r}."
            )
        self.hidden = [wire.integer({"units": u}, "units", 1, MAX_UNITS) for u in hidden]
        features = body.get("features", ["x1", "x2"])
        if (
            not isinstance(features, list)
            or not features
            or any(not isinstance(f, str) or f not in FEATURES for f in features)
        ):
            raise LabInputError(f"`features` must be a non-empty list of {', '.join(FEATURES)}; received {features!r}.")
        self.features = list(dict.fromkeys(features))


class PlaygroundSession:
    """One playground: its data, its neuronio model, and how far it has trained."""

    def __init__(self, settings: PlaygroundSettings):
        from neuronio import layers, optimizers
        from neuronio.initializers import GlorotUniform
        from neuronio.models import Model, Sequential

        self.settings = s = settings
        self.id = secrets.token_hex(8)
        self.lock = threading.Lock()
        self.last_used = time.monotonic()
        self.epoch = 0
        # 1. Data, split into train and test.
        rng = np.random.default_rng(s.seed)
        points, labels = make_dataset(s.dataset, s.points, s.noise, rng)
        order = rng.permutation(len(points))
        n_train = max(1, min(len(points) - 1, round(len(points) * s.train_percent / 100)))
        self.train_points, self.train_labels = points[order[:n_train]], labels[order[:n_train]]
        self.test_points, self.test_labels = points[order[n_train:]], labels[order[n_train:]]
        # 2. The network: Dense layers of the chosen activation, one sigmoid output unit.
        stack = [layers.Input(shape=(len(s.features),))]
        for i, units in enumerate(s.hidden):
            stack.append(
                layers.Dense(units, activation=s.activation, kernel_initializer=GlorotUniform(seed=s.seed + i))
            )
        stack.append(layers.Dense(1, activation="sigmoid", kernel_initializer=GlorotUniform(seed=s.seed + 99)))
        self.model = Sequential(stack)
        decay = s.regularization_rate if s.regularization == "l2" and s.regularization_rate > 0 else None
        optimizer = optimizers.SGD(learning_rate=s.learning_rate, weight_decay=decay)
        optimizer.exclude_from_weight_decay(var_names=["bias"])
        self.model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
        self.probe = Model(self.model.inputs, [layer.output for layer in self.model.layers])

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.train_points) // self.settings.batch_size)

    def train(self, epochs: int) -> None:
        x = features_of(self.train_points, self.settings.features)
        self.model.fit(x, self.train_labels[:, None], batch_size=self.settings.batch_size, epochs=epochs, verbose=0)
        self.epoch += epochs

    def _scores(self, points, labels) -> tuple[float, float]:
        from neuronio import config

        p = self.model.predict(features_of(points, self.settings.features), batch_size=1024, verbose=0)[:, 0]
        p = np.clip(p, config.epsilon(), 1 - config.epsilon())  # Keras's binary cross-entropy clipping
        loss = float(-(labels * np.log(p) + (1 - labels) * np.log(1 - p)).mean())
        return loss, float(((p > 0.5) == (labels > 0.5)).mean())

    def state(self) -> dict:
        """Everything the page draws after a step."""
        from neuronio.autodiff.tape import no_grad

        train_loss, train_accuracy = self._scores(self.train_points, self.train_labels)
        test_loss, test_accuracy = self._scores(self.test_points, self.test_labels)
        with no_grad():
            boundary = self.model(features_of(_grid(BOUNDARY_GRID), self.settings.features), training=False).data
            outputs = self.probe(features_of(_grid(NEURON_GRID), self.settings.features), training=False)
        neurons = []
        for out in outputs:  # each layer: (NEURON_GRID^2, units) -> one picture per unit
            maps = out.data.reshape(NEURON_GRID, NEURON_GRID, -1)
            neurons.append([wire.encode_u8(maps[..., u]) for u in range(maps.shape[-1])])
        return {
            "session": self.id,
            "epoch": self.epoch,
            "batches_per_epoch": self.batches_per_epoch,
            "train_loss": round(train_loss, 5),
            "test_loss": round(test_loss, 5),
            "train_accuracy": round(train_accuracy, 5),
            "test_accuracy": round(test_accuracy, 5),
            "boundary": wire.encode_u8(boundary.reshape(BOUNDARY_GRID, BOUNDARY_GRID), 0.0, 1.0),
            "neurons": neurons,
            "weights": [np.round(layer.get_weights()[0], 4).tolist() for layer in self.model.layers],
        }

    def data(self) -> dict:
        """The points (sent once), with every input feature's picture (used or not)."""
        grid = _grid(NEURON_GRID)
        return {
            "domain": DOMAIN,
            "features": self.settings.features,
            "feature_maps": {
                name: wire.encode_u8(feature(grid).reshape(NEURON_GRID, NEURON_GRID))
                for name, feature in FEATURES.items()
            },
            "train": np.column_stack([self.train_points, self.train_labels]).round(3).tolist(),
            "test": np.column_stack([self.test_points, self.test_labels]).round(3).tolist(),
        }


class Playgrounds:
    """The live playground sessions, by id; the oldest idle ones are dropped beyond MAX_SESSIONS."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sessions: dict[str, PlaygroundSession] = {}

    def new(self, body: dict) -> dict:
        session = PlaygroundSession(PlaygroundSettings(body))
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > MAX_SESSIONS:
                oldest = min(self._sessions.values(), key=lambda s: s.last_used)
                del self._sessions[oldest.id]
        with session.lock:
            return {**session.data(), **session.state()}

    def step(self, body: dict) -> dict:
        session_id = body.get("session")
        with self._lock:
            session = self._sessions.get(session_id) if isinstance(session_id, str) else None
        if session is None:
            raise LabInputError(
                "This playground has expired or never existed (the server keeps the 16 most recent). "
                "Press Reset to start a new one.",
                404,
            )
        epochs = wire.integer(body, "epochs", 1, MAX_EPOCHS_PER_STEP, default=1)
        batches = epochs * session.batches_per_epoch
        if batches > MAX_BATCHES_PER_STEP:
            raise LabInputError(
                f"One step may train at most {MAX_BATCHES_PER_STEP:,} batches; {epochs} epochs of "
                f"{session.batches_per_epoch:,} batches ({len(session.train_points):,} training points in batches "
                f"of {session.settings.batch_size}) are {batches:,}. Ask for at most "
                f"{MAX_BATCHES_PER_STEP // session.batches_per_epoch} epochs, or use a larger batch size."
            )
        with session.lock:
            session.last_used = time.monotonic()
            session.train(epochs)
            return session.state()
