"""The Keras 1 program of deck 003 ("Curso prático de deep learning com Python e Keras", slides
"Keras: High Level Wrapper"), with only the imports changed from `keras` to `neuronio`.

A two-layer network D=1000 -> H=100 (relu) -> D=1000 fitted by plain SGD with learning rate 1 to
N=64 random targets under the mean squared error, in one full batch per epoch for 50 epochs.
The deck's Keras 1 spellings stay: `Dense(input_dim=, output_dim=)`, `SGD(lr=)` and
`fit(nb_epoch=)` run as Keras 1 meant, each with a LegacyArgumentWarning that names today's
spelling (`units=`, `learning_rate=`, `epochs=`); Keras 3 would reject all three.

The targets are noise, so there is nothing to generalise: the loss falls because 100 hidden
units fit 64 points. The program prints the loss at the first and last epochs.

    python examples/keras1_sgd_mse.py
    python examples/keras1_sgd_mse.py --epochs 10 --samples 16

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import argparse
import sys

import numpy as np

from neuronio.layers.core import Activation, Dense
from neuronio.models import Sequential
from neuronio.optimizers import SGD


def parse_args(argv):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--epochs", type=int, default=50, help="nb_epoch (deck: 50)")
    parser.add_argument("--samples", type=int, default=64, help="N, the number of random points (deck: 64)")
    parser.add_argument("--seed", type=int, default=None, help="seed NumPy's global generator and neuronio")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.seed is not None:
        from neuronio.utils import set_random_seed

        set_random_seed(args.seed)  # also seeds np.random, which the deck's x and y come from
    nb_epoch = args.epochs

    # --- the slide (kept as the deck writes it) -------------------------------------------------
    # fmt: off
    N, D, H = args.samples, 1000, 100  # the deck has N, D, H = 64, 1000, 100

    model = Sequential()
    model.add(Dense(input_dim=D, output_dim=H))
    model.add(Activation('relu'))
    model.add(Dense(input_dim=H, output_dim=D))

    optimizer = SGD(lr=1e0)
    model.compile(loss='mean_squared_error',
                  optimizer=optimizer)

    x = np.random.randn(N, D)
    y = np.random.randn(N, D)
    history = model.fit(x, y, nb_epoch=nb_epoch,
                        batch_size=N, verbose=0)
    # fmt: on
    # --- end of the slide ----------------------------------------------------------------------

    losses = history.history["loss"]
    print(f"epoch 1: loss {losses[0]:.4f}")
    print(f"epoch {len(losses)}: loss {losses[-1]:.4f}")
    return {"model": model, "history": history}


if __name__ == "__main__":
    main(sys.argv[1:])
