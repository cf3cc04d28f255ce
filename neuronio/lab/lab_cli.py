"""`neuronio lab [MODEL.keras]`: serve the lab's web page on this machine.

neuronio lab                          # the best model `neuronio train` saved, on http://127.0.0.1:8000
neuronio lab runs/cnn/model.keras --port 8080
neuronio lab --host 0.0.0.0           # reachable from other machines (prints a warning)
"""

import contextlib
import io
import ipaddress
import logging
import pathlib
import sys

HELP = "serve the lab: draw a digit and watch every layer, train live, inspect a model, playground"
DESCRIPTION = (
    "Serve a local web page with four pages: Draw (draw a digit; see the 28x28 input, the class "
    "probabilities and every layer's activations), Train (train a deck model with live curves and "
    "mistakes), Inspect (summary, filters, confusion matrix, top-9 patches) and Playground (small "
    "networks on 2-D toy datasets, as TensorFlow Playground). Opens MODEL.keras, or else the best "
    "MNIST model `neuronio train` saved. Needs Flask: pip install 'neuronio[lab]'."
)


def configure(parser) -> None:
    parser.add_argument(
        "model",
        nargs="?",
        type=pathlib.Path,
        metavar="MODEL.keras",
        help="the model to open first (default: the best MNIST run under $NEURONIO_HOME/runs)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
    parser.add_argument(
        "--onnx",
        action="store_true",
        help="run the Draw page's model in ONNX Runtime (each model exported to ONNX; needs neuronio[onnx])",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default 127.0.0.1: this machine only); e.g. 0.0.0.0 exposes the lab "
        "to your network, without any login",
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args) -> int:
    try:
        from werkzeug.serving import make_server

        from neuronio.lab.server import create_app
    except ImportError as exc:
        print(f"neuronio lab needs Flask ({exc}). Install it with: pip install 'neuronio[lab]'", file=sys.stderr)
        return 1
    from neuronio.errors import FileFormatError
    from neuronio.saving import load_model

    if not 0 <= args.port <= 65535:
        print(f"neuronio lab: --port must be from 0 to 65535; received {args.port}.", file=sys.stderr)
        return 2
    # 1. The model named on the command line must open now, not at the first request.
    if args.model is not None:
        if not args.model.is_file():
            print(f"neuronio lab: no such model file: {args.model}", file=sys.stderr)
            return 1
        try:
            load_model(args.model, compile=False)
        except (FileFormatError, OSError) as exc:
            print(f"neuronio lab: cannot open {args.model}: {exc}", file=sys.stderr)
            return 1
    if args.onnx:
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError as exc:
            print(
                f"neuronio lab --onnx needs onnx and onnxruntime ({exc}): pip install 'neuronio[onnx]'", file=sys.stderr
            )
            return 1
    local = _is_loopback(args.host)
    app = create_app(model_path=args.model, local_only=local, onnx=args.onnx)
    store = app.extensions["neuronio_lab"]["store"]
    # 2. The server: threaded, so a training stream and drawing requests are served together.
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):  # Werkzeug prints its own account before it exits: ours replaces it
            server = make_server(args.host, args.port, app, threaded=True)
    except (OSError, SystemExit) as exc:  # werkzeug exits (after saying why) when the port is taken
        reason = exc.strerror if isinstance(exc, OSError) else (said.getvalue().splitlines() or ["in use"])[0]
        print(
            f"neuronio lab: cannot listen on {args.host}:{args.port} ({reason}). "
            f"Is another lab running? Try --port {args.port + 1 if args.port else 8001}.",
            file=sys.stderr,
        )
        return 1
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request while drawing
    if not local:
        print(
            f"WARNING: the lab listens on {args.host}, so any machine that can reach this one can use it: "
            f"there is no login, anyone can start training runs on this CPU and they are saved under "
            f"{store.runs_root}. Use --host only on a network you trust.",
            file=sys.stderr,
        )
    default = store.default_id()
    if default is None:
        print(store.no_model_hint())
        print("The Train and Playground pages work without one.")
    else:
        print(f"Opening model: {store.entry(default).path}")
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"neuronio lab: open http://{shown_host}:{server.server_port} in your browser (Ctrl-C to stop).")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nneuronio lab: stopped.")
    finally:
        server.server_close()
    return 0
