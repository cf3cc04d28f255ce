"""The `neuronio` command: `neuronio train` trains a deck model on a dataset (the main job).

neuronio train                        # the course's MNIST CNN on MNIST, as deck 000 trains it
neuronio train --model mlp --epochs 10
python -m neuronio train --model lenet --dataset fashion_mnist --out runs/lenet
"""

import argparse
import datetime
import pathlib
import sys
import tempfile

import numpy as np

from neuronio import config
from neuronio.errors import NeuronioError

DATASETS = ("mnist", "fashion_mnist", "cifar10")


def _other_commands() -> dict:
    """Commands that live with their feature: each module has `configure(parser)` and `run(args)`.

    Imported only when the command line is parsed, so `neuronio train` loads none of them.
    """
    from neuronio.apps import read_cli
    from neuronio.lab import lab_cli
    from neuronio.saving.onnx import cli as export_cli
    from neuronio.utils import info_cli
    from neuronio.visualize import report_command

    return {
        "export": export_cli,
        "info": info_cli,
        "lab": lab_cli,
        "read": read_cli,
        "report": report_command,
    }


class _Parser(argparse.ArgumentParser):
    """argparse with one line per bad argument: the error and where to look, not the whole usage."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="neuronio",
        description="neuronio: deep learning from first principles on NumPy, with Keras's API.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in _other_commands().items():
        module.configure(commands.add_parser(name, help=module.HELP, description=module.DESCRIPTION))
    train = commands.add_parser(
        "train",
        help="train one of the course decks' models and save it",
        description="Train a deck model on a dataset with Keras-style progress, evaluate it on the "
        "test set, and save the model, its history and a summary to --out.",
    )
    train.add_argument(
        "--model",
        choices=["mlp", "cnn", "lenet", "cifar-cnn", "reader"],
        default="cnn",
        help="mlp: deck 004's MLP, 784-512-512-512-10 with Dropout 0.2 (RMSprop); cnn: the course's "
        "MNIST CNN, Conv 32 5x5 -> pool -> Conv 64 5x5 -> pool -> Dense 1000 (deck 000; Adam; the "
        "default); lenet: deck 001's LeNet-style net, Conv 12 and 25 5x5, Dense 180 and 100 (Adamax); "
        "cifar-cnn: deck 004's CIFAR-10 CNN, four 3x3 convs and Dense 512 (RMSprop); reader: the "
        "course's MNIST CNN for `neuronio read`, taught MNIST's "
        "digits and the pieces the reader cuts from drawn strings of them, with an 11th class "
        "'not one digit' (about 25 minutes)",
    )
    train.add_argument(
        "--dataset",
        choices=DATASETS,
        default=None,
        help="mnist (default; cifar10 for --model cifar-cnn), fashion_mnist or cifar10",
    )
    train.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help="passes over the training set (default 10, as the decks)",
    )
    train.add_argument(
        "--batch-size", type=_positive_int, default=128, help="samples per update (default 128, as the decks)"
    )
    train.add_argument(
        "--seed", type=_seed, default=0, help="random seed for weights, dropout and shuffling (default 0)"
    )
    train.add_argument(
        "--validation-split",
        type=_fraction,
        default=0.1,
        help="fraction of the training set held out for validation (default 0.1)",
    )
    train.add_argument("--samples", type=_positive_int, default=None, help="train on the first N training images only")
    train.add_argument(
        "--strings",
        type=_positive_int,
        default=None,
        help="--model reader: digit strings to draw and cut (default: one per 6 training images)",
    )
    train.add_argument("--verbose", type=int, choices=[0, 1, 2], default=1, help="progress output (Keras's verbose)")
    train.add_argument(
        "--out",
        type=_out_folder,
        default=None,
        help="output folder (default: $NEURONIO_HOME/runs/<model>-<dataset>-<time>)",
    )
    return parser


def _positive_int(text: str) -> int:
    """argparse type: a whole number >= 1 (argparse reports an ArgumentTypeError with exit status 2)."""
    value = _number(int, text, "a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, received {text}")
    return value


def _seed(text: str) -> int:
    value = _number(int, text, "a whole number from 0 to 2**32 - 1")
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 2**32 - 1, received {text}")
    return value


def _fraction(text: str) -> float:
    value = _number(float, text, "a fraction in [0, 1)")
    if not 0 <= value < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be a fraction in [0, 1), received {text}")
    return value


def _number(kind, text: str, expected: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {expected}, received {text!r}") from None


def _out_folder(text: str) -> pathlib.Path:
    path = pathlib.Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} exists and is not a folder; name a new or existing folder")
    return path


def _make_output_folder(out: pathlib.Path) -> None:
    """Create --out and check that it takes files, before any data is loaded or trained on."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as exc:
        raise NeuronioError(
            f"cannot write the output folder {out} ({exc.strerror or exc}); pass --out with a writable folder."
        ) from exc


def load_dataset(name: str, flat: bool, samples=None):
    """(x_train, y_train), (x_test, y_test) as float32 in [0, 1] and one-hot labels."""
    from neuronio import datasets
    from neuronio.utils import to_categorical

    (x_train, y_train), (x_test, y_test) = getattr(datasets, name).load_data()
    if samples is not None:
        x_train, y_train = x_train[:samples], y_train[:samples]

    def prepare(x):
        x = x.astype(np.float32) / 255.0
        if flat:
            return x.reshape(len(x), -1)
        return x if x.ndim == 4 else x[..., None]  # (N, 28, 28) -> (N, 28, 28, 1)

    return (prepare(x_train), to_categorical(y_train, 10)), (prepare(x_test), to_categorical(y_test, 10))


def train(args) -> int:
    from neuronio.applications.decks import DECK_MODELS
    from neuronio.utils import runs, set_random_seed

    dataset = args.dataset or ("cifar10" if args.model == "cifar-cnn" else "mnist")
    if args.model == "reader" and dataset != "mnist":
        raise NeuronioError(f"--model reader reads digits: it trains on mnist, not {dataset}.")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or config.neuronio_home() / "runs" / f"{args.model}-{dataset}-{stamp}"
    _make_output_folder(out)
    if args.epochs is None:
        args.epochs = 10
    if args.model == "reader":
        from neuronio.apps.reader_training import train_reader

        return train_reader(args, out)
    builder, optimizer, flat = DECK_MODELS[args.model]

    # 1. Data and model, seeded.
    set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_dataset(dataset, flat, args.samples)
    input_shape = x_train.shape[1:]
    model = builder(input_shape=input_shape, num_classes=10)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    # 2. Training with Keras-style progress; the history also goes to a CSV file as it grows.
    history, seconds = runs.fit_run(model, x_train, y_train, args, out)
    # 3. Test-set evaluation, then everything saved.
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    print(f"Test loss: {test_loss:.4f}")
    print(f"Test accuracy: {test_accuracy:.4f}")
    record = runs.save_run(
        model, out, args, dataset, len(x_train), seconds, history, test_loss=test_loss, test_accuracy=test_accuracy
    )
    print(f"Saved the model to {out / 'model.keras'} and its history to {out / 'history.json'}")
    # 4. The report: every picture of what the network learned, in out/report.html (needs matplotlib).
    from neuronio.visualize.report import report_after_training

    report_after_training(model, out, dataset, x_test, y_test, record)
    return 0


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    runners = {"train": train, **{name: module.run for name, module in _other_commands().items()}}
    try:
        return runners[args.command](args)
    except NeuronioError as exc:
        print(f"neuronio {args.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the disk filled up, a folder became read-only, ...: not a bug to trace
        print(f"neuronio {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nneuronio {args.command}: interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
