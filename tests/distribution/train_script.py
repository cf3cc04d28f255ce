"""The training script the MPI tests launch, as `python train_script.py ...` (one process) or
`mpiexec -n 2 python train_script.py ...`: the same file, with the one distribution line.

Every rank writes its final weights and History to `<out>.rank<r>.npz`, so a test compares each
rank with the one-process run bit for bit.
"""

import argparse
import json
import os
import signal
import sys
import time

import numpy as np

import neuronio
from neuronio import layers
from neuronio.applications.decks import seed_cnn, seed_mlp


def build(name: str):
    if name == "mlp":
        return seed_mlp(input_shape=(20,), num_classes=4), (20,)
    if name == "cnn":
        return seed_cnn(input_shape=(16, 16, 1), num_classes=4), (16, 16, 1)
    # BatchNormalization (its moving statistics) and two Dropout streams (global and seeded).
    model = neuronio.Sequential(
        [
            layers.Input(shape=(8,)),
            layers.Dense(16),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.Dropout(0.3),
            layers.Dense(16, activation="relu"),
            layers.Dropout(0.2, seed=7),
            layers.Dense(4, activation="softmax"),
        ]
    )
    return model, (8,)


class Fault(neuronio.callbacks.Callback):
    """Make one rank hang or die (or the whole job stop) at a given epoch and batch."""

    def __init__(self, action: str, rank: int, epoch: int, batch: int):
        super().__init__()
        self.action, self.rank, self.at_epoch, self.at_batch = action, rank, epoch, batch
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) != (self.at_epoch, self.at_batch):
            return
        if neuronio.distribution.distribution().process_id != self.rank:
            return
        if self.action == "hang":
            time.sleep(3600)
        if self.action == "raise":
            raise RuntimeError(f"injected failure on rank {self.rank}")
        os.kill(os.getpid(), signal.SIGKILL)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--out", required=True)
    parser.add_argument("--samples", type=int, default=160)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--micro-batch-size", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=None)
    parser.add_argument("--backup", default=None)
    parser.add_argument("--logs", default=None, help="folder for a CSVLogger and a ModelCheckpoint")
    parser.add_argument("--fault", default=None, help="hang|kill|raise,rank,epoch,batch")
    args = parser.parse_args(argv)

    neuronio.distribution.set_distribution(
        neuronio.distribution.DataParallel(micro_batch_size=args.micro_batch_size, timeout=args.timeout)
    )
    neuronio.utils.set_random_seed(1)
    model, shape = build(args.model)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(args.samples, *shape)).astype("float32")
    y = neuronio.utils.to_categorical(rng.integers(0, 4, size=args.samples), 4)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    callbacks = []
    if args.backup:
        callbacks.append(neuronio.callbacks.BackupAndRestore(args.backup))
    if args.logs:
        os.makedirs(args.logs, exist_ok=True)
        callbacks.append(neuronio.callbacks.CSVLogger(os.path.join(args.logs, "log.csv"), append=True))
        callbacks.append(
            neuronio.callbacks.ModelCheckpoint(
                os.path.join(args.logs, "epoch{epoch}.weights.h5"), save_weights_only=True
            )
        )
    if args.fault:
        action, rank, epoch, batch = args.fault.split(",")
        callbacks.append(Fault(action, int(rank), int(epoch), int(batch)))
    history = model.fit(
        x, y, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.2, callbacks=callbacks, verbose=0
    )
    evaluated = model.evaluate(x, y, batch_size=48, verbose=0)
    predicted = model.predict(x[:50], batch_size=24, verbose=0)
    rank = neuronio.distribution.distribution().process_id
    np.savez(
        f"{args.out}.rank{rank}.npz",
        *[w.data for w in model.weights],
        history=json.dumps(history.history),
        evaluated=np.asarray(evaluated),
        predicted=predicted,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
