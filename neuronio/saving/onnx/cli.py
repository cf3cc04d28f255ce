"""`neuronio export MODEL.keras MODEL.onnx`: a saved model as ONNX, for ONNX runtimes."""

import argparse
import pathlib

HELP = "write a saved .keras model as an ONNX file"
DESCRIPTION = (
    "Load a .keras model (saved by neuronio or Keras) and write it as ONNX (opset 17) for ONNX Runtime "
    "and other ONNX engines: same inputs and outputs as model.predict, batch size free. Needs the onnx "
    "extra: pip install 'neuronio[onnx]'."
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", type=pathlib.Path, metavar="MODEL.keras", help="the model to export")
    parser.add_argument("output", type=pathlib.Path, metavar="MODEL.onnx", help="the ONNX file to write")


def run(args) -> int:
    from neuronio.errors import NeuronioError
    from neuronio.saving import load_model
    from neuronio.saving.onnx import export_onnx

    if not args.model.is_file():
        raise NeuronioError(f"{args.model} is not a file; give the path of a .keras model.")
    model = load_model(args.model, compile=False)
    try:
        export_onnx(model, args.output, verbose=True)
    except ImportError as exc:
        raise NeuronioError(str(exc)) from exc
    return 0
