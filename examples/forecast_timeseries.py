"""Forecast a time series one step ahead with a small 1-D convolutional network.

The series is generated: a mixture of three sines (periods 50, 17 and 7 steps) plus Gaussian noise,
all from one seed. `neuronio.utils.timeseries_dataset_from_array` cuts it into windows of
`--window` consecutive values, each with the value after it as its target (`targets[i]` belongs
to the window starting at i, so the targets are the series shifted by the window):

    windows = timeseries_dataset_from_array(series[:, None], series[window:], sequence_length=window)

The first 70% of the series trains the network (iterated batch by batch: `for x, y in train`), the
rest tests it. The network reads a window with two causal convolutions (the second dilated, so
together they see 13 steps), pools, and a Dense layer makes the forecast. It is compared with
the naive forecast "the next value equals the last one", and the forecasts over the test part
are drawn against the truth in a PNG.

    python examples/forecast_timeseries.py
    python examples/forecast_timeseries.py --epochs 5 --steps 1000 --out forecast.png

(run from the repository root with neuronio installed, e.g. `pip install -e .`, or PYTHONPATH=.;
the plot needs matplotlib: `pip install -e '.[plot]'`)
"""

import argparse
import pathlib
import sys

import numpy as np

import neuronio as keras
from neuronio import layers

PERIODS = (50, 17, 7)  # steps
AMPLITUDES = (1.0, 0.5, 0.3)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--steps", type=int, default=3000, help="length of the generated series (default 3000)")
    parser.add_argument("--window", type=int, default=48, help="past values the network sees (default 48)")
    parser.add_argument("--epochs", type=int, default=15, help="training epochs (default 15)")
    parser.add_argument("--batch-size", type=int, default=32, help="windows per batch (default 32)")
    parser.add_argument("--noise", type=float, default=0.1, help="standard deviation of the noise (default 0.1)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the series and the weights (default 0)")
    parser.add_argument("--out", default="forecast_timeseries.png", help="where to save the plot (PNG)")
    return parser.parse_args(argv)


def make_series(steps: int, noise: float, seed: int) -> np.ndarray:
    """(steps,) float32: the sine mixture plus N(0, noise^2) noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(steps)
    phases = rng.uniform(0, 2 * np.pi, len(PERIODS))
    clean = sum(a * np.sin(2 * np.pi * t / p + phase) for a, p, phase in zip(AMPLITUDES, PERIODS, phases))
    return (clean + rng.normal(0.0, noise, steps)).astype("float32")


def build_model(window: int):
    return keras.models.Sequential(
        [
            layers.Input((window, 1)),
            layers.Conv1D(16, 5, padding="causal", activation="relu"),
            layers.Conv1D(16, 5, padding="causal", dilation_rate=2, activation="relu"),
            layers.MaxPooling1D(2),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(1),
        ],
        name="conv1d_forecaster",
    )


def windows(series: np.ndarray, window: int, **kwargs):
    """Windows of `window` values (as (window, 1) sequences) with the value after each as target:
    T - window of them, the last one ending just before the series' last value."""
    data = series[:, None]  # (T, 1): one feature per step
    return keras.utils.timeseries_dataset_from_array(data, series[window:], sequence_length=window, **kwargs)


def plot(truth: np.ndarray, forecast: np.ndarray, naive_mse: float, mse: float, out: pathlib.Path):
    import matplotlib  # lazily: only the plot needs it

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4))
    shown = slice(0, min(len(truth), 300))
    ax.plot(truth[shown], color="black", linewidth=1.2, label="truth")
    ax.plot(forecast[shown], color="tab:orange", linewidth=1.2, label=f"Conv1D forecast (MSE {mse:.4f})")
    ax.set_title(f"One-step forecast on the test part (naive last-value MSE {naive_mse:.4f})")
    ax.set_xlabel(f"test step (the first {shown.stop} of {len(truth)})")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    series = make_series(args.steps, args.noise, args.seed)
    split = int(0.7 * len(series))
    train = windows(series[:split], args.window, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test = windows(series[split - args.window :], args.window, batch_size=args.batch_size)
    print(f"series of {len(series)} steps: {train.num_samples} training windows, {test.num_samples} test windows")

    model = build_model(args.window)
    model.compile(optimizer=keras.optimizers.Adam(0.003), loss="mse")
    model.summary()
    losses = []
    for epoch in range(args.epochs):
        batch_losses = [model.train_on_batch(x, y) * len(x) for x, y in train]  # one pass, batch by batch
        losses.append(float(sum(batch_losses) / train.num_samples))
        print(f"epoch {epoch + 1}/{args.epochs}: training MSE {losses[-1]:.4f}")

    x_test, y_test = test.as_arrays()  # (N, window, 1), (N,)
    forecast = model.predict(x_test, verbose=0)[:, 0]
    mse = float(np.mean((forecast - y_test) ** 2))
    naive_mse = float(np.mean((x_test[:, -1, 0] - y_test) ** 2))  # "tomorrow equals today"
    print(f"test MSE {mse:.4f}; naive last-value forecast {naive_mse:.4f}; noise floor {args.noise**2:.4f}")
    out = pathlib.Path(args.out)
    plot(y_test, forecast, naive_mse, mse, out)
    print(f"plot of forecast against truth: {out}")
    return {"model": model, "losses": losses, "mse": mse, "naive_mse": naive_mse, "plot": out}


if __name__ == "__main__":
    main(sys.argv[1:])
