"""The reader's digit classifier: which model, and its probabilities and energy for a batch of digits."""

import os
import pathlib

import numpy as np

from neuronio.apps.segment import ReadError
from neuronio.errors import FileFormatError


def load_reader_model(model=None):
    """The classifier to read with: a loaded model, a .keras path, or None for the best MNIST run.

    None picks, under $NEURONIO_HOME/runs, the best reader run (`neuronio train --model reader`,
    made for reading) or else the run with the best test accuracy on MNIST (what `neuronio train`
    saves); if there is none, the error says how to make one. Load the model once with this
    function and pass it to `read_digits` when reading many images.
    """
    from neuronio.models import load_model
    from neuronio.utils import runs

    if model is not None and not isinstance(model, (str, os.PathLike)):
        return model
    if model is None:
        run = runs.best_run("mnist", model=runs.READER) or runs.best_run("mnist")
        if run is None:
            raise ReadError(runs.NO_MODEL_HINT.format(root=runs.runs_dir()))
        path = run.model_path
    else:
        path = pathlib.Path(os.fspath(model))
        if not path.is_file():
            raise ReadError(f"No model file {str(path)!r}. Give a .keras file saved by neuronio or Keras.")
    try:
        return load_model(path)
    except (OSError, KeyError) as exc:
        raise FileFormatError(f"Cannot load the model {str(path)!r}: {exc}") from None


def classify(model, digits: np.ndarray) -> tuple:
    """Class probabilities and "energy" for MNIST-normalised digits (n, 28, 28).

    Returns (probs (n, 10), energy (n,) or None). The energy is logsumexp of the model's logits
    (its scores before the softmax): how much the input looks like any digit at all, which the
    probabilities, normalised per input, cannot say (Grathwohl et al. 2019, "Your classifier is
    secretly an energy based model": logit_y(x) = log p(y | x) + energy(x) = log p(x, y) + const).
    It is None for models whose logits cannot be reached (see `_logits`).
    """
    shape = _input_shape(model)
    if shape[-3:] == (28, 28, 1):
        batch = digits[..., None]
    elif shape[-2:] == (28, 28):
        batch = digits
    elif shape[-1] == 784 and len(shape) == 2:
        batch = digits.reshape(len(digits), 784)
    else:
        raise ReadError(
            f"The model expects inputs of shape {shape}; reading digits needs an MNIST classifier "
            "taking 28x28 images ((28, 28, 1), (28, 28) or (784,)) and giving 10 class scores."
        )
    logits = _logits(model, batch.astype(np.float32))
    if logits is None:
        out = np.asarray(model.predict(batch, verbose=0), dtype=np.float64)
        if out.min() >= 0 and np.allclose(out.sum(axis=-1), 1.0, atol=1e-3):
            out = np.log(np.maximum(out, 1e-12))  # probabilities: log-probabilities are logits
        energy_known = False
    else:
        out, energy_known = logits.astype(np.float64), True
    if out.ndim != 2 or out.shape[1] not in (10, 11):
        raise ReadError(f"The model gives outputs of shape {out.shape}; an MNIST classifier gives (n, 10).")
    top = out.max(axis=1, keepdims=True)
    energy = top[:, 0] + np.log(np.exp(out - top).sum(axis=1))  # (n,) logsumexp, computed stably
    probs = np.exp(out - energy[:, None])
    if out.shape[1] == 11:
        return probs[:, :10], None
    return probs, (energy if energy_known else None)


def _logits(model, batch: np.ndarray):
    """The logits of a Sequential model ending in softmax (a Dense with activation="softmax", or a
    Softmax/Activation("softmax") layer), computed layer by layer in inference mode; else None."""
    from neuronio import activations
    from neuronio.models import Sequential

    if hasattr(model, "logits"):  # an OnnxRuntimeModel (`neuronio read --onnx`)
        return model.logits(batch)
    if not isinstance(model, Sequential) or not model.layers:
        return None
    *body, last = model.layers
    softmax = activations.get("softmax")
    weights = last.get_weights()
    if getattr(last, "activation", None) is softmax and hasattr(last, "kernel") and weights:
        head = last  # Dense(..., activation="softmax"): its pre-activation is the logits
    elif last.__class__.__name__ == "Softmax" or getattr(last, "activation", None) is softmax:
        head, weights = None, []  # a separate softmax layer: the layer before it gives the logits
    else:
        return None
    h = batch
    for layer in body:
        h = layer(h, training=False)
    h = np.asarray(h.numpy() if hasattr(h, "numpy") else h, dtype=np.float64)
    if head is None:
        return h
    return h @ weights[0] + (weights[1] if len(weights) > 1 else 0.0)


def _input_shape(model) -> tuple:
    try:
        return tuple(model.inputs[0].shape)
    except (AttributeError, IndexError, TypeError):
        return (None, 28, 28, 1)
