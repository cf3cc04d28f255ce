"""The largest gradient-check error per op family and over all layers, from the test suite's cases.

    python benchmarks/gradcheck_report.py            # prints the table and appends it to RESULTS.md

Every OpCase of tests/ops and every layer case of tests/layers is checked again here exactly as
the tests check it (float64 central differences: the full Jacobian on small inputs, a random
direction on realistic ones) and the largest |analytic - numeric| is reported per family. The
tests assert each error is within tolerance; this records how far inside it they are.
"""

import datetime
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAMILIES = [
    "elementwise",
    "linalg",
    "reduction",
    "shape",
    "activation",
    "conv",
    "pooling",
    "loss",
    "random",
    "normalization",
    "recurrent",
]


def main() -> int:
    import importlib

    from tests.helpers import check_layer, check_op
    from tests.layers import test_layers

    rows = []
    for family in FAMILIES:
        module = importlib.import_module(f"tests.ops.test_{family}")
        errors = {case.name: check_op(case) for case in module.CASES}
        worst = max(errors, key=errors.get)
        rows.append((f"ops: {family}", len(errors), errors[worst], worst))
    layer_errors = {}
    for cls, kwargs, in_shape, out_shape, n_train, n_frozen, names, differs in test_layers.CASES:
        name = f"{cls.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
        layer_errors[name] = check_layer(
            cls,
            kwargs,
            in_shape,
            out_shape,
            n_train,
            n_frozen,
            names,
            training_differs=differs,
            input_sampler=test_layers._away_from_zero,
        )
    worst = max(layer_errors, key=layer_errors.get)
    rows.append(("layers (input and every parameter)", len(layer_errors), layer_errors[worst], worst))
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    text = (
        "\n".join(
            [
                f"### Gradient checks, {stamp}, commit {commit}",
                "",
                "float64 central differences (eps 1e-6); tolerance atol 1e-6 + rtol 1e-5 * |numeric|. "
                "Command: `python benchmarks/gradcheck_report.py`",
                "",
                "| family | cases | largest error | where |",
                "|---|---|---|---|",
                *[f"| {family} | {n} | {err:.1e} | {where} |" for family, n, err, where in rows],
            ]
        )
        + "\n"
    )
    print(text)
    with open(ROOT / "benchmarks" / "RESULTS.md", "a") as f:
        f.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
