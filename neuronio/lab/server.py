"""The lab's Flask app: the page, its JSON API, and the checks every request passes.

Routes (all JSON unless said otherwise; errors are `{"error": message}` with a 4xx status):

    GET  /                        the page (static/index.html; its JS and CSS are in static/)
    GET  /api/models              the models the lab may open, by id, and the default one
    POST /api/predict             {model, width, height, pixels} -> probabilities and activations
    GET  /api/inspect/summary     ?model=                       summary, layers, what can be inspected
    GET  /api/inspect/filters     ?model=&layer=                one Conv2D layer's kernels
    GET  /api/inspect/confusion   ?model=&dataset=&samples=     the confusion matrix on test images
    GET  /api/inspect/cell        ... &true=&predicted=          the images of one cell
    GET  /api/inspect/patches     ?model=&dataset=&samples=&layer=  top-9 patches per filter
    GET  /api/train/options       the deck models, datasets, optimizers and limits
    POST /api/train/start         {model, dataset, optimizer, learning_rate, batch_size, epochs, samples}
    POST /api/train/pause|resume|stop
    GET  /api/train/status        the current (or last) run
    GET  /api/train/events        text/event-stream of the current run (resumes from Last-Event-ID)
    GET  /api/playground/options  datasets, activations, features, limits
    POST /api/playground/new      a playground's settings -> its data and first state
    POST /api/playground/step     {session, epochs} -> the state after training that much

Request checks: bodies over MAX_BODY_BYTES, with or without Content-Length, are refused (413) and the
connection closed; bodies that are not JSON objects, or nest too deeply to parse, and numbers that are
not finite where whole numbers belong answer 400 with a message; POST bodies must be JSON (415), which
also keeps other web sites' pages from posting forms here; when serving on the loopback
interface, a Host header other than localhost/127.0.0.1/[::1] is refused (403), so a web page
cannot reach the lab by DNS rebinding. Nothing a client sends is used as a file path: models are
named by the ids /api/models issued.
"""

import json
import pathlib
import sys
import traceback

from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from neuronio.errors import NeuronioError
from neuronio.lab import draw, inspection, playground, training, wire
from neuronio.lab.models import ModelStore
from neuronio.lab.wire import LabInputError
from neuronio.utils import runs

STATIC = pathlib.Path(__file__).parent / "static"
MAX_BODY_BYTES = 1024 * 1024  # a 560x560 drawing is ~420 KB as base64; nothing else comes close
DRAIN_SECONDS = 0.5  # after a 413: how long a silent client may keep the connection
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


def create_app(model_path=None, runs_root=None, local_only: bool = True, onnx: bool = False) -> Flask:
    """The lab as a Flask app (run it with `neuronio lab`, or test it with `app.test_client()`).

    Args:
        model_path: a .keras file to open first (the command line's MODEL.keras), or None for the
            best MNIST run under `runs_root`.
        runs_root: where runs are found and the Train page saves its models (default
            $NEURONIO_HOME/runs, where `neuronio train` saves).
        local_only: refuse requests whose Host header is not the loopback interface (see above);
            `neuronio lab --host` turns it off.
        onnx: compute the Draw page's predictions and layer outputs with ONNX Runtime on each
            model's ONNX export (`neuronio lab --onnx`; needs the `onnx` extra).
    """
    runs_root = pathlib.Path(runs_root) if runs_root is not None else runs.runs_dir()
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES + 1  # see _body
    store = ModelStore(runs_root, model_path, onnx=onnx)
    trainer = training.TrainingManager(store, runs_root)
    playgrounds = playground.Playgrounds()
    app.extensions["neuronio_lab"] = {"store": store, "trainer": trainer, "playgrounds": playgrounds}
    _checks_and_errors(app, local_only)
    _page_and_draw(app, store)
    _inspect(app, store, inspection.Inspector())
    _train(app, trainer)
    _playground(app, playgrounds)
    return app


def _body() -> dict:
    """The request's JSON object. The body is read here (not by Flask's silent get_json) so that a
    body over MAX_BODY_BYTES, chunked or not, answers 413, and JSON nested too deeply for Python's
    parser answers 400, both with a message."""
    # Werkzeug refuses a Content-Length over MAX_CONTENT_LENGTH (413) but silently cuts a chunked body at it:
    # the limit is set one byte higher, so a cut body is one byte too long and refused here.
    raw = request.get_data(cache=True)
    if len(raw) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()
    try:
        data = json.loads(raw)
    except RecursionError:
        raise LabInputError(
            "The request body nests JSON arrays or objects too deeply to read; the lab's requests are flat "
            'objects, e.g. {"model": "..."}.'
        ) from None
    except ValueError as exc:  # also UnicodeDecodeError
        raise LabInputError(f"The request body is not valid JSON ({exc}).") from None
    if not isinstance(data, dict):
        raise LabInputError('The request body must be a JSON object, e.g. {"model": "..."}.')
    return data


def _query(*int_keys) -> dict:
    """The query string as a dict, with `int_keys` converted (a clear message if they are not numbers)."""
    args = request.args.to_dict()
    for key in int_keys:
        if key in args:
            try:
                args[key] = int(args[key])
            except ValueError:
                raise LabInputError(f"`{key}` must be a whole number; received {args[key]!r}.") from None
    return args


def _checks_and_errors(app: Flask, local_only: bool) -> None:
    """Request checks before every route, security headers after, and every error as JSON."""

    @app.before_request
    def check_request():
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        if local_only and host not in LOCAL_HOSTS:
            raise LabInputError(
                f"This lab answers only at http://127.0.0.1 (received Host {request.host!r}). Start it with "
                f"--host to serve other machines.",
                403,
            )
        if request.method == "POST" and not request.is_json:
            raise LabInputError(
                f"POST requests must send JSON (Content-Type: application/json); received "
                f"{request.content_type or 'no content type'}.",
                415,
            )

    @app.after_request
    def headers(response):
        # Everything the page loads comes from this server: no CDN, no inline script.
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
            "connect-src 'self'; frame-ancestors 'none'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(LabInputError)
    def lab_error(exc):
        return jsonify(error=str(exc)), exc.status

    @app.errorhandler(NeuronioError)
    def neuronio_error(exc):  # e.g. a dataset that cannot be loaded, a model that rejects an input
        return jsonify(error=f"{type(exc).__name__}: {exc}"), 422

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if exc.code == 413:
            size = request.content_length
            limit = f"the limit is {MAX_BODY_BYTES // 1024:,} KB"
            if size:
                message = f"Request body too large: {size / 1024:,.0f} KB received; {limit}."
            else:  # sent in chunks, without Content-Length: refused once the limit was passed
                message = (
                    f"Request body too large: more than {MAX_BODY_BYTES // 1024:,} KB received in chunks; {limit}."
                )
        elif exc.code == 404:
            message = f"No such page or API endpoint: {request.path}."
        elif exc.code == 405:
            message = f"{request.method} is not allowed on {request.path}."
        else:
            message = exc.description
        if exc.code == 413:
            _stop_reading_soon()
        return jsonify(error=message), exc.code

    @app.errorhandler(Exception)
    def unexpected(exc):
        traceback.print_exc(file=sys.stderr)
        return jsonify(error=f"The server hit an unexpected error: {type(exc).__name__}: {exc}"), 500


def _stop_reading_soon() -> None:
    """After a 413, Werkzeug's server reads and discards the rest of the body before closing, so the
    client sees the answer rather than a reset; a client that stops sending without closing would hold
    that read (and the connection) until it gives up. A short timeout on the socket ends it instead."""
    connection = request.environ.get("werkzeug.socket")
    if connection is not None:
        connection.settimeout(DRAIN_SECONDS)


def _page_and_draw(app: Flask, store: ModelStore) -> None:
    @app.get("/")
    def index():
        return send_from_directory(STATIC, "index.html")

    @app.get("/static/<path:name>")
    def static_file(name):
        return send_from_directory(STATIC, name)  # safe_join: never leaves the static folder

    @app.get("/api/models")
    def models():
        store.refresh()
        default = store.default_id()
        return jsonify(models=store.describe(), default=default, hint=None if default else store.no_model_hint())

    @app.post("/api/predict")
    def predict():
        data = _body()
        loaded = store.open(data.get("model"))
        return jsonify(draw.predict_drawing(loaded, draw.decode_drawing(data)))


def _inspect(app: Flask, store: ModelStore, inspector: inspection.Inspector) -> None:
    def target():
        """(query, the open model, the dataset and number of test images asked for)."""
        args = _query("samples", "true", "predicted")
        loaded = store.open(args.get("model"))
        datasets = inspection.datasets_for(loaded)
        if not datasets:
            raise LabInputError(
                f"Model {loaded.entry.id!r} reads inputs of shape {loaded.input_shape}; no dataset fits."
            )
        default = loaded.dataset if loaded.dataset in datasets else datasets[0]
        dataset = wire.choice(args, "dataset", datasets, default=default)
        samples = wire.integer(args, "samples", *inspection.SAMPLE_RANGE, default=1000)
        return args, loaded, dataset, samples

    @app.get("/api/inspect/summary")
    def inspect_summary():
        return jsonify(inspection.summary(store.open(request.args.get("model"))))

    @app.get("/api/inspect/filters")
    def inspect_filters():
        return jsonify(inspection.filters(store.open(request.args.get("model")), request.args.get("layer")))

    @app.get("/api/inspect/confusion")
    def inspect_confusion():
        _, loaded, dataset, samples = target()
        return jsonify(inspector.confusion(loaded, dataset, samples))

    @app.get("/api/inspect/cell")
    def inspect_cell():
        args, loaded, dataset, samples = target()
        for key in ("true", "predicted"):
            if not isinstance(args.get(key), int):
                raise LabInputError(f"Missing `{key}`: the class numbers of the cell (row = true, column = predicted).")
        return jsonify(inspector.cell(loaded, dataset, samples, args["true"], args["predicted"]))

    @app.get("/api/inspect/patches")
    def inspect_patches():
        args, loaded, dataset, samples = target()
        return jsonify(inspector.patches(loaded, dataset, samples, args.get("layer")))


def _train(app: Flask, trainer: training.TrainingManager) -> None:
    @app.get("/api/train/options")
    def train_options():
        return jsonify(training.options())

    @app.post("/api/train/start")
    def train_start():
        run = trainer.start(training.TrainSettings.from_request(_body()))
        return jsonify(run.describe()), 202

    @app.post("/api/train/<action>")
    def train_control(action):
        if action not in ("pause", "resume", "stop"):
            raise LabInputError(f"Unknown training action {action!r}; use pause, resume or stop.", 404)
        run = trainer.current
        if run is None or not run.active:
            raise LabInputError("No training run is in progress.", 409)
        getattr(run, action)()
        return jsonify(run.describe())

    @app.get("/api/train/status")
    def train_status():
        run = trainer.current
        return jsonify(run.describe() if run else {"run": None, "state": "idle"})

    @app.get("/api/train/events")
    def train_events():
        run = trainer.require_current()
        start = request.headers.get("Last-Event-ID", request.args.get("from", "0"))
        try:
            start = int(start) + (1 if "Last-Event-ID" in request.headers else 0)
        except ValueError:
            raise LabInputError(f"`from` must be an event number; received {start!r}.") from None
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return Response(training.sse_stream(run, max(0, start)), mimetype="text/event-stream", headers=headers)


def _playground(app: Flask, playgrounds: playground.Playgrounds) -> None:
    @app.get("/api/playground/options")
    def playground_options():
        return jsonify(
            datasets=list(playground.DATASETS),
            activations=list(playground.ACTIVATIONS),
            features=list(playground.FEATURES),
            max_hidden_layers=playground.MAX_HIDDEN_LAYERS,
            max_units=playground.MAX_UNITS,
            max_epochs_per_step=playground.MAX_EPOCHS_PER_STEP,
            max_batches_per_step=playground.MAX_BATCHES_PER_STEP,
        )

    @app.post("/api/playground/new")
    def playground_new():
        return jsonify(playgrounds.new(_body()))

    @app.post("/api/playground/step")
    def playground_step():
        return jsonify(playgrounds.step(_body()))
