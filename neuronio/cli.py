"""The `neuronio` command: `neuronio train` trains a deck model on a dataset (the main job).

neuronio train                        # the course's MNIST CNN on MNIST, as deck 000 trains it
neuronio train --model mlp --epochs 10
python -m neuronio train --model lenet --dataset fashion_mnist --out runs/lenet
python -m neuronio train --workers 2  # the same run, data-parallel over 2 processes (MPI)
"""

import argparse
import datetime
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

from neuronio import config
from neuronio.datasets.prepared import IMAGE_DATASETS
from neuronio.errors import NeuronioError


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
        choices=["mlp", "cnn", "lenet", "cifar-cnn", "lstm-mnist", "reader"],
        default="cnn",
        help="mlp: deck 004's MLP, 784-512-512-512-10 with Dropout 0.2 (RMSprop); cnn: the course's "
        "MNIST CNN, Conv 32 5x5 -> pool -> Conv 64 5x5 -> pool -> Dense 1000 (deck 000; Adam; the "
        "default); lenet: deck 001's LeNet-style net, Conv 12 and 25 5x5, Dense 180 and 100 (Adamax); "
        "cifar-cnn: deck 004's CIFAR-10 CNN, four 3x3 convs and Dense 512 (RMSprop); lstm-mnist: an LSTM(128) reading each image row by row, 28 steps of 28 pixels "
        "(Adam); reader: the "
        "course's MNIST CNN for `neuronio read`, taught MNIST's "
        "digits and the pieces the reader cuts from drawn strings of them, with an 11th class "
        "'not one digit' (about 25 minutes)",
    )
    train.add_argument(
        "--dataset",
        choices=IMAGE_DATASETS,
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
    train.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help="train data-parallel (neuronio.distribution) over this many local processes through "
        "mpiexec (the `distributed` extra); every N gives the same model, bit for bit, as --workers 1 "
        "(one process, no MPI). Threads per process are set so that workers x threads <= cores",
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


def train(args) -> int:
    from neuronio.utils.runs import Run, RunSettings

    dataset = args.dataset or ("cifar10" if args.model == "cifar-cnn" else "mnist")
    if args.model == "reader" and dataset != "mnist":
        raise NeuronioError(f"--model reader reads digits: it trains on mnist, not {dataset}.")
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or config.neuronio_home() / "runs" / f"{args.model}-{dataset}-{stamp}"
    workers = getattr(args, "workers", None)
    if workers is not None and args.model == "reader":
        raise NeuronioError("--workers trains the deck models; --model reader runs in one process.")
    if workers is not None and workers > 1 and not launched_by_mpi():
        return relaunch_with_mpiexec(workers, out, getattr(args, "argv", None))
    chief = start_distribution(workers is not None)
    if chief:
        _make_output_folder(out)
    settings = RunSettings(
        model=args.model,
        dataset=dataset,
        epochs=10 if args.epochs is None else args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        validation_split=args.validation_split,
        samples=args.samples,
        verbose=args.verbose,
    )
    if args.model == "reader":
        from neuronio.apps.reader_training import ReaderRun

        ReaderRun(settings, out, strings=args.strings).execute()
    else:  # the run ends with the report: every picture of what the network learned (needs matplotlib)
        Run(settings, out, report=True, chief=chief).execute()
    return 0


def launched_by_mpi() -> bool:
    from neuronio.distribution.communicator import launched_by_mpi as launched

    return launched()


def start_distribution(asked: bool) -> bool:
    """With --workers or under mpiexec, train data-parallel (neuronio.distribution); True on the
    process that prints and writes (rank 0)."""
    if not (asked or launched_by_mpi()):
        return True
    from neuronio import distribution

    distribution.set_distribution(distribution.DataParallel())
    return distribution.distribution().is_chief


def threads_per_worker(workers: int, cores: int | None = None) -> int:
    """BLAS threads per process so that workers x threads <= cores (at least 1)."""
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, cores // workers)


def relaunch_with_mpiexec(workers: int, out: pathlib.Path, argv=None) -> int:
    """`neuronio train --workers N ...` -> `mpiexec -n N python -m neuronio train ... --out OUT`, each
    process with threads_per_worker(N) BLAS/OpenMP/numba threads; returns mpiexec's exit code."""
    try:
        import mpi4py  # noqa: F401
    except ImportError as exc:
        raise NeuronioError(
            "--workers needs mpi4py and MPICH: pip install 'neuronio[distributed]' (PyPI wheels, no compiler)."
        ) from exc
    mpiexec = shutil.which("mpiexec", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("mpiexec")
    if mpiexec is None:
        raise NeuronioError(
            "--workers: no `mpiexec` found next to Python or on PATH; pip install 'neuronio[distributed]'."
        )
    argv = list(sys.argv[1:] if argv is None else argv)
    kept, skip = [], False
    for arg in argv:  # the same command without --workers, and with the resolved --out
        if skip or arg in ("--workers", "--out") or arg.startswith(("--workers=", "--out=")):
            skip = arg in ("--workers", "--out")
            continue
        kept.append(arg)
    threads = str(threads_per_worker(workers))
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, NUMBA_NUM_THREADS=threads)
    env["MKL_NUM_THREADS"] = threads
    command = [mpiexec, "-n", str(workers), sys.executable, "-m", "neuronio", *kept, "--out", str(out)]
    print(f"neuronio train: {workers} processes x {threads} thread(s): {' '.join(command[:3])} ...", flush=True)
    return subprocess.run(command, env=env).returncode


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # what --workers passes on to mpiexec
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
