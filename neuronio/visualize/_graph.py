"""The model as the pictures see it: its layer calls in order, and the values they produce.

Intermediate values come from neuronio's own API: a functional `Model(model.inputs, [layer
outputs])` over the same layers (so the same weights), which works for Sequential and functional
models alike and runs in inference mode without recording gradients (`predict_on_batch`).
"""

import numpy as np

from neuronio.errors import ShapeError
from neuronio.layers.core import InputLayer


def check_model(model, who: str) -> None:
    """A built Sequential or functional model, or a clear error."""
    from neuronio.models import Model

    if not isinstance(model, Model):
        raise TypeError(f"{who} expects a neuronio model (Sequential or functional); received {type(model).__name__}.")
    outputs = getattr(model, "outputs", None)
    if not outputs:
        raise ValueError(
            f"{who}: model '{model.name}' is not built yet, so its layers have no shapes. Give it an input "
            f"(layers.Input(shape=...) first, or input_shape= on the first layer) or call it on data first."
        )


def model_nodes(model, who: str) -> list:
    """Every layer call between the model's inputs and outputs, each after the calls it reads from
    (InputLayer calls included)."""
    check_model(model, who)
    order, seen = [], set()
    stack = [(t.node, False) for t in reversed(model.outputs)]
    while stack:  # iterative post-order walk: deep graphs must not hit the recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((t.node, False) for t in reversed(node.inputs) if id(t.node) not in seen)
    return order


def layer_node(model, layer, who: str):
    """The call of `layer` inside `model` (a layer may also have been called in other models)."""
    for node in model_nodes(model, who):
        if node.layer is layer:
            return node
    raise ValueError(f"{who}: layer '{layer.name}' is not part of model '{model.name}'.")


def resolve_layer(model, layer, who: str):
    """A layer given by name, by index in `model.layers`, or as the Layer itself."""
    check_model(model, who)
    names = ", ".join(f"'{each.name}'" for each in model.layers)
    if isinstance(layer, str):
        for each in model.layers:
            if each.name == layer:
                return each
        raise ValueError(f"{who}: model '{model.name}' has no layer named '{layer}'. Its layers: {names}.")
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not -len(model.layers) <= layer < len(model.layers):
            raise ValueError(
                f"{who}: model '{model.name}' has {len(model.layers)} layers; received layer={layer}. Its layers: {names}."
            )
        return model.layers[layer]
    if any(each is layer for each in model.layers):
        return layer
    raise ValueError(
        f"{who}: layer must be a name, an index or one of model '{model.name}'s layers; received {layer!r}. "
        f"Its layers: {names}."
    )


def output_shape(node) -> tuple:
    return node.outputs[0].shape


def is_spatial(node) -> bool:
    """Does the call produce feature maps (batch, H, W, C)?"""
    return len(node.outputs) == 1 and len(output_shape(node)) == 4


def check_inputs(model, x, who: str) -> np.ndarray:
    """x as a float array whose sample shape matches the model's (single) input."""
    if len(model.inputs) != 1:
        names = ", ".join(t.name for t in model.inputs)
        raise ValueError(
            f"{who} runs models with one input; model '{model.name}' has {len(model.inputs)} ({names}). "
            f"Build a model from the image input to the layers you want to see."
        )
    x = np.asarray(x)
    expected = tuple(model.inputs[0].shape[1:])
    if x.ndim != len(expected) + 1 or any(e is not None and e != d for e, d in zip(expected, x.shape[1:])):
        raise ShapeError(
            f"{who}: model '{model.name}' takes inputs of shape (batch, {', '.join(map(str, expected))}); "
            f"received x with shape {x.shape}. Reshape the data as it was for training."
        )
    return x.astype(model.inputs[0].dtype, copy=False) if x.dtype.kind in "iub" else x


def probe(model, tensors: list):
    """A functional model over `model`'s layers whose outputs are `tensors` (symbolic outputs)."""
    from neuronio.models import Model

    return Model(model.inputs, list(tensors), name=f"{model.name}_probe")


def batched_outputs(model, x, tensors: list, batch_size: int = 256):
    """Yield (start, [values of each tensor]) batch by batch, in inference mode."""
    outputs = probe(model, tensors)
    for start in range(0, len(x), batch_size):
        values = outputs.predict_on_batch(x[start : start + batch_size])
        yield start, values if isinstance(values, list) else [values]


def labels(y, n: int, who: str) -> np.ndarray:
    """Class indices from integer labels (N,) / (N, 1) or one-hot rows (N, K)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    elif y.ndim == 2:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != n:
        raise ShapeError(
            f"{who}: expected {n} labels, as integers (N,) or one-hot rows (N, K); received shape {np.shape(y)}."
        )
    if y.dtype.kind == "f" and not np.all(y == np.round(y)):
        raise ValueError(
            f"{who}: labels must be whole class numbers; received values such as {y[y != np.round(y)][:3]}."
        )
    return y.astype(np.int64)


def probabilities(outputs, who: str) -> np.ndarray:
    """Class probabilities (N, K) from a classifier's outputs.

    Rows that already are distributions (a softmax layer) are kept; logits get a softmax; a single
    sigmoid column p becomes the two classes [1 - p, p].
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.ndim != 2:
        raise ShapeError(
            f"{who} needs a classifier whose output is (batch, classes); this model outputs shape {outputs.shape}."
        )
    if outputs.shape[1] == 1:
        p = outputs[:, 0] if np.all((outputs >= 0) & (outputs <= 1)) else 1 / (1 + np.exp(-outputs[:, 0]))
        return np.stack([1 - p, p], axis=1)
    if np.all(outputs >= 0) and np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3):
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def predict_probabilities(model, x, who: str, batch_size: int = 256) -> np.ndarray:
    check_model(model, who)
    x = check_inputs(model, x, who)
    return probabilities(model.predict(x, batch_size=batch_size, verbose=0), who)


def display_name(layer) -> str:
    """'conv2d (Conv2D, relu)': name, class and activation, as the pictures label a layer."""
    activation = getattr(getattr(layer, "activation", None), "__name__", None)
    extra = f", {activation}" if activation and activation != "linear" else ""
    return f"{layer.name} ({type(layer).__name__}{extra})"


def is_input(node) -> bool:
    return isinstance(node.layer, InputLayer)
