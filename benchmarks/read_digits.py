"""How well `neuronio read` reads 5-digit strings made of MNIST test digits (scripts/make_read_eval.py).

    PYTHONPATH=. python benchmarks/read_digits.py                      # the eval set (made if missing)
    PYTHONPATH=. python benchmarks/read_digits.py --model run/model.keras --count 200

Reports, for clean spacing and for strings with a touching pair, read freely, with the length
given (5) and with the lexicon of 1,000 valid codes:
- string accuracy: the whole string right;
- digit accuracy: 1 - (edit distance to the truth) / 5, averaged, so a missed or extra digit
  costs one digit and shifts nothing else;
- the mean reading time per image (load, segment, classify, decode; the model loaded once).

The model defaults to the one `neuronio read` takes: the best reader run under $NEURONIO_HOME/runs
(`neuronio train --model reader`), else the best MNIST run (`neuronio train`).
The eval set is written to $NEURONIO_HOME/read_eval/<split>-seed<seed>-n<count> the first time.
"""

import argparse
import json
import pathlib
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODES = ("free", "length 5", "lexicon")


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the fewest insertions, deletions and substitutions turning a into b."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def load_generator():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_read_eval", ROOT / "scripts" / "make_read_eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def evaluate(folder: pathlib.Path, model, limit=None, penalties=None, binarisation="otsu", verbose=True) -> dict:
    """Read every image of an eval folder in each mode; returns {kind: {mode: stats}} and the failures."""
    from neuronio.apps import reader
    from neuronio.errors import NeuronioError

    generator = load_generator()
    rows = generator.read_labels(folder)
    lexicon = reader.load_lexicon(folder / "lexicon.txt")
    kinds = sorted({r["kind"] for r in rows}, key=["clean", "touching"].index)
    if limit:
        rows = [r for kind in kinds for r in [r for r in rows if r["kind"] == kind][:limit]]
    results = {kind: {mode: {"strings": 0, "digits": 0.0, "n": 0, "seconds": 0.0} for mode in MODES} for kind in kinds}
    failures = []
    for count, row in enumerate(rows, start=1):
        truth = row["text"]
        for mode in MODES:
            started = time.perf_counter()
            try:
                grey, scale = reader.load_image(folder / row["file"])
                reading = reader.read_grey(
                    grey,
                    model,
                    expected_length=len(truth) if mode == "length 5" else None,
                    codes=lexicon if mode == "lexicon" else None,
                    binarisation=binarisation,
                    scale=scale,
                    penalties=penalties,
                ).text
            except NeuronioError as exc:
                reading = f"<{exc.__class__.__name__}>"
            stats = results[row["kind"]][mode]
            stats["seconds"] += time.perf_counter() - started
            stats["n"] += 1
            stats["strings"] += reading == truth
            stats["digits"] += max(0.0, 1.0 - edit_distance(reading, truth) / len(truth))
            if reading != truth:
                failures.append((row["file"], mode, truth, reading))
        if verbose and count % 100 == 0:
            print(f"  {count}/{len(rows)} images read", file=sys.stderr)
    return results, failures


def table(results: dict) -> str:
    lines = [
        "| strings | mode | images | string accuracy | digit accuracy | time per image |",
        "|---|---|---|---|---|---|",
    ]
    for kind, modes in results.items():
        for mode, s in modes.items():
            n = max(s["n"], 1)
            lines.append(
                f"| {kind} | {mode} | {s['n']} | {s['strings'] / n:.2%} | {s['digits'] / n:.2%} "
                f"| {1000 * s['seconds'] / n:.0f} ms |"
            )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", help="a .keras MNIST classifier (default: the best reader run, else the best MNIST run)"
    )
    parser.add_argument("--data", type=pathlib.Path, help="an eval folder made by scripts/make_read_eval.py")
    parser.add_argument("--count", type=int, default=1000, help="images of each kind when making the set")
    parser.add_argument("--split", choices=["dev", "eval"], default="eval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="read only the first N images of each kind")
    parser.add_argument("--binarisation", choices=["otsu", "adaptive"], default="otsu")
    parser.add_argument("--failures", type=pathlib.Path, help="write the misread images' list here (JSON)")
    args = parser.parse_args(argv)

    from neuronio import config
    from neuronio.apps.reader import load_reader_model
    from neuronio.utils import runs

    folder = args.data or config.neuronio_home() / "read_eval" / f"{args.split}-seed{args.seed}-n{args.count}"
    if not (folder / "labels.csv").is_file():
        print(f"Making the {args.split} set in {folder} ...", file=sys.stderr)
        load_generator().make_set(folder, args.count, args.split, args.seed)
    model = load_reader_model(args.model)
    run = (runs.best_run("mnist", model=runs.READER) or runs.best_run("mnist")) if args.model is None else None
    described = f"{run.folder.name} (MNIST test accuracy {run.test_accuracy:.4f})" if run else args.model
    results, failures = evaluate(folder, model, args.limit, binarisation=args.binarisation)
    print(f"neuronio read on {folder} with the model {described}; binarisation {args.binarisation}")
    print(table(results))
    if args.failures:
        args.failures.write_text(json.dumps(failures, indent=1))
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
