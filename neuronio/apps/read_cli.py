"""`neuronio read`: the digit strings (ZIP codes, say) handwritten in images, as text.

neuronio read envelope.png
neuronio read scans/*.jpg --length 5 --lexicon zip_codes.txt --json
"""

import json
import sys

HELP = "read handwritten digit strings (e.g. ZIP codes) in images"
DESCRIPTION = (
    "Read the string of handwritten digits in each image (PNG, JPEG, ...; dark ink on light paper "
    "or light on dark) with an MNIST classifier: by default the most accurate MNIST model that "
    "`neuronio train` saved. Prints each reading with the classifier's confidence per digit and "
    "for the whole string. --length and --lexicon restrict the readings to valid ones and pick "
    "the most probable. Exits with 1 if any image could not be read."
)


def configure(parser) -> None:
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="picture files to read")
    parser.add_argument("--model", metavar="M.keras", help="MNIST classifier to use (default: the best saved run)")
    parser.add_argument("--length", type=int, metavar="N", help="every string has exactly N digits")
    parser.add_argument("--lexicon", metavar="FILE", help="file of valid codes, one per line: read the most probable")
    parser.add_argument(
        "--binarisation",
        choices=["otsu", "adaptive"],
        default="otsu",
        help="global Otsu threshold (default) or local thresholds for uneven lighting",
    )
    parser.add_argument("--json", action="store_true", help="print the readings as JSON")
    parser.add_argument(
        "--onnx",
        action="store_true",
        help="classify with ONNX Runtime (the model exported to ONNX in memory; needs neuronio[onnx])",
    )


def run(args) -> int:
    from neuronio.apps import reader
    from neuronio.errors import NeuronioError

    if args.length is not None and args.length < 1:
        print(f"neuronio read: --length must be a positive number of digits; received {args.length}.", file=sys.stderr)
        return 2
    # The model and the lexicon once, for every image.
    try:
        model = reader.load_reader_model(args.model)
        if args.onnx:
            from neuronio.saving.onnx.runtime import OnnxRuntimeModel

            model = OnnxRuntimeModel(model)
        codes = None
        if args.lexicon is not None:
            codes = reader.load_lexicon(args.lexicon)
            if args.length is not None:
                codes = [c for c in codes if len(c) == args.length]
                if not codes:
                    raise reader.ReadError(f"The lexicon {args.lexicon!r} has no code of {args.length} digits.")
    except (NeuronioError, OSError) as exc:
        print(f"neuronio read: {exc}", file=sys.stderr)
        return 1
    results, failed = [], 0
    for name in args.images:
        try:
            grey, scale = reader.load_image(name)
            reading = reader.read_grey(grey, model, args.length, codes, args.binarisation, scale)
        except (NeuronioError, OSError, MemoryError) as exc:
            failed += 1
            message = str(exc) if not isinstance(exc, MemoryError) else "not enough memory to read this image."
            results.append({"image": name, "error": message})
            if not args.json:
                print(f"neuronio read: {name}: {message}", file=sys.stderr)
            continue
        results.append({"image": name, **reading.to_dict()})
        if not args.json:
            print(_line(name, reading))
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failed else 0


def _line(name: str, reading) -> str:
    digits = " ".join(f"{c:.2f}" for c in reading.confidences)
    line = f"{name}: {reading.text}  (confidence {reading.confidence:.3f}; digits {digits})"
    others = [f"{text} {p:.3f}" for text, p in reading.alternatives[1:] if p >= 0.001]
    if others:
        line += "  next: " + ", ".join(others)
    return line
