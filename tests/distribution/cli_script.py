"""`neuronio train` on small random data instead of MNIST, without the report, for the MPI tests:
`python cli_script.py train --workers 1 ...` or `mpiexec -n 2 python cli_script.py train --workers 2 ...`."""

import sys

import numpy as np

from neuronio import cli
from neuronio.utils import runs, to_categorical


def load_dataset(name, flat, samples=None):
    rng = np.random.default_rng(0)
    x = rng.random((300, 784) if flat else (300, 28, 28, 1), dtype=np.float32)
    y = to_categorical(rng.integers(0, 10, 300), 10)
    return (x[:200], y[:200]), (x[200:], y[200:])


if __name__ == "__main__":
    runs.load_dataset = load_dataset  # what neuronio.utils.runs.Run.data reads
    sys.modules["matplotlib"] = None  # no report.html: `neuronio train` skips it with a note (faster)
    sys.exit(cli.main(sys.argv[1:]))
