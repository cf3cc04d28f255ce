"""The named-layer network of deck 002 ("Deep Learning: Session 4", slides "In previous
chapters..." and "ANNs. Keras"), with `tf.keras` replaced by `neuronio`, and its summary.

    my_first_neural_net = tf.keras.Sequential([
        layers.Input(shape=(3, ), name="input"),
        layers.Dense(units=5, activation="sigmoid", name="hidden"),
        layers.Dense(units=2, activation="softmax", name="output")
    ])
    my_first_neural_net.summary()

The slide's summary lists `hidden (Dense)  (None, 5)  20` and `output (Dense)  (None, 2)  12`,
"Total params: 32": each unit has one weight per input plus a bias, 3 * 5 + 5 = 20 and
5 * 2 + 2 = 12. As in Keras, a Sequential model's summary has no row for its Input; the same
network written with the functional API shows it as `input (InputLayer)`.

    python examples/named_layers_summary.py

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.)
"""

import argparse
import sys

import numpy as np

import neuronio as keras
from neuronio import layers


def parse_args(argv):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--seed", type=int, default=None, help="seed the initial weights, for a repeatable run")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.seed is not None:
        keras.utils.set_random_seed(args.seed)

    # --- the slide (kept as the deck writes it) -------------------------------------------------
    # fmt: off
    my_first_neural_net = keras.models.Sequential([
        layers.Input(shape=(3, ), name="input"),
        layers.Dense(units=5, activation="sigmoid", name="hidden"),
        layers.Dense(units=2, activation="softmax", name="output")
    ])
    my_first_neural_net.summary()
    # fmt: on
    # --- end of the slide ----------------------------------------------------------------------

    hidden, output = my_first_neural_net.get_layer("hidden"), my_first_neural_net.get_layer("output")
    print(f"hidden: 3 inputs * 5 units + 5 biases = {hidden.count_params()}")
    print(f"output: 5 inputs * 2 units + 2 biases = {output.count_params()}")

    # Y = F(x): three numbers in, two probabilities out (softmax: they sum to 1).
    x = np.array([[0.5, -1.0, 2.0]], dtype="float32")
    y = my_first_neural_net.predict(x, verbose=0)
    print(f"F({x[0].tolist()}) = [{y[0, 0]:.4f}, {y[0, 1]:.4f}], sum = {y[0].sum():.4f}")

    # The same network with the functional API: here the Input is a layer of the model.
    inputs = layers.Input(shape=(3,), name="input")
    hidden_out = layers.Dense(units=5, activation="sigmoid", name="hidden")(inputs)
    outputs = layers.Dense(units=2, activation="softmax", name="output")(hidden_out)
    functional = keras.models.Model(inputs, outputs, name="my_first_functional_net")
    functional.summary()
    return {"model": my_first_neural_net, "functional": functional}


if __name__ == "__main__":
    main(sys.argv[1:])
