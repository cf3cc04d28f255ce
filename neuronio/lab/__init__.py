"""neuronio lab: a local web page to draw a digit and watch every layer react, train a model live,
inspect what it learned, and play with small networks as in TensorFlow Playground.

    neuronio lab                    # opens the best model `neuronio train` saved
    neuronio lab my_model.keras     # or this one

The server is Flask (`pip install 'neuronio[lab]'`), listening on 127.0.0.1 unless told otherwise;
the page is plain HTML, CSS and JavaScript shipped in `neuronio/lab/static`, so it needs no network.

Modules:
    server.py       the Flask app: routes, request checks, JSON errors
    models.py       the models the lab may open, each known by an id the server issued
    draw.py         a drawing -> the MNIST-style 28x28 input -> probabilities and every activation
    training.py     one background training run at a time, streamed as server-sent events
    inspection.py   summary, filters, confusion matrix, top patches of the open model
    playground.py   2-D toy datasets and small dense networks trained step by step
    wire.py         request validation and array encodings shared by the above
    lab_cli.py      the `neuronio lab` command
"""
