"""A committee of classifiers: the (weighted) average of their class probabilities, used like a model.

    members = ["run1/model.keras", "run2/model.keras", trained_model]
    vote = neuronio.models.committee(members)
    vote.evaluate(x_test, y_test)          # [loss, accuracy] of the averaged probabilities
    vote.predict(x_test)                   # (N, K) averaged probabilities

Ciresan et al.'s "committee of 35 convolutional networks" (the decks' 0.23% MNIST row) is this
with equal weights: members that err on different images outvote each other's mistakes.
"""

import numpy as np

from neuronio import losses
from neuronio.errors import ShapeError
from neuronio.saving import load_model

# A member's outputs count as probabilities when every row sums to 1 within this (float32 softmax
# rows sum to 1 within ~1e-6; logits almost never do).
_PROBABILITY_TOLERANCE = 1e-3


class Committee:
    """Averages its members' class probabilities: p(x) = sum_i w_i p_i(x) / sum_i w_i.

    Members with a softmax output are averaged as they are; a member whose outputs are not
    probabilities (logits: a final Dense without softmax) is passed through a softmax first.
    A single output unit is read as a sigmoid probability (binary classification).

    Args:
        members: the models (built, with one output each; compiling is not needed).
        weights: one non-negative weight per member (None: equal weights).
    """

    def __init__(self, members, weights=None):
        self.members = list(members)
        if not self.members:
            raise ValueError("committee: received no members; give at least one model or .keras path.")
        if weights is None:
            weights = np.ones(len(self.members))
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(self.members),) or (weights < 0).any() or weights.sum() <= 0:
            raise ValueError(
                f"committee: `weights` must be {len(self.members)} non-negative numbers (one per member, not "
                f"all zero); received weights={weights.tolist()}."
            )
        self.weights = weights / weights.sum()
        self.input_shape, self.output_shape = _common_shapes(self.members)

    def __len__(self) -> int:
        return len(self.members)

    def count_params(self) -> int:
        """The parameters of all members together."""
        return int(sum(member.count_params() for member in self.members))

    def predict(self, x, batch_size=None, verbose=0) -> np.ndarray:
        """The averaged class probabilities, (N, K)."""
        total = 0.0
        for member, weight in zip(self.members, self.weights, strict=True):
            total = total + weight * _probabilities(member.predict(x, batch_size=batch_size, verbose=verbose))
        return np.asarray(total, dtype=np.float32)

    def evaluate(self, x, y, batch_size=None, verbose=0, return_dict=False):
        """[loss, accuracy] of the averaged probabilities, as `model.evaluate` gives them for a model
        compiled with a cross-entropy loss and metrics=["accuracy"] (a dict with return_dict=True).

        y: integer class ids (N,), one-hot rows (N, K), or 0/1 labels for a single output unit.
        """
        return _scores(self.predict(x, batch_size=batch_size, verbose=verbose), y, return_dict)

    def evaluate_members(self, x, y, batch_size=None, verbose=0) -> list[dict]:
        """Each member's own {"loss", "accuracy"}, in order (to see what the vote adds)."""
        return [
            _scores(_probabilities(m.predict(x, batch_size=batch_size, verbose=verbose)), y, True) for m in self.members
        ]

    def __repr__(self) -> str:
        return f"<Committee of {len(self)} members, input {self.input_shape}, output {self.output_shape}>"


def committee(models_or_paths, weights=None) -> Committee:
    """A Committee of models, given as models or as paths of saved `.keras` files (loaded without
    their compile state). See `Committee`."""
    if isinstance(models_or_paths, (str, bytes)) or not hasattr(models_or_paths, "__iter__"):
        raise TypeError(
            f"committee expects a list of models or .keras paths; received {type(models_or_paths).__name__}. "
            f"Wrap a single one in a list."
        )
    members = [_as_model(item) for item in models_or_paths]
    return Committee(members, weights)


def _as_model(item):
    if hasattr(item, "predict"):
        return item
    return load_model(item, compile=False)  # str or os.PathLike; FileNotFoundError / FileFormatError as usual


def _shape_of(model, which: str):
    tensors = getattr(model, which, None)
    if not tensors:
        return None
    return tuple(tensors[0].shape[1:]) if len(tensors) == 1 else "several"


def _common_shapes(members) -> tuple:
    """The members' shared (input, output) shapes without the batch axis; a clear error when they differ."""
    shapes = [(_shape_of(m, "inputs"), _shape_of(m, "outputs")) for m in members]
    for i, (shape_in, shape_out) in enumerate(shapes):
        name = getattr(members[i], "name", f"#{i}")
        if shape_in is None or shape_out is None:
            raise ValueError(
                f"committee: member {i} ('{name}') is not built, so its shapes are unknown. Give it an "
                f"Input (or call it on data) first."
            )
        if shape_in == "several" or shape_out == "several":
            raise ValueError(f"committee: member {i} ('{name}') has several inputs or outputs; members need one each.")
    if len(set(shapes)) > 1:
        listing = "; ".join(
            f"member {i} ('{getattr(m, 'name', i)}'): input {s[0]}, output {s[1]}"
            for i, (m, s) in enumerate(zip(members, shapes, strict=True))
        )
        raise ShapeError(
            f"committee: all members must take the same input shape and give the same output shape; "
            f"received {listing}. Build every member for the same images and the same classes."
        )
    return (None, *shapes[0][0]), (None, *shapes[0][1])


def _probabilities(outputs) -> np.ndarray:
    """Softmax rows as they are; logits through a (stable) softmax; one unit as a sigmoid probability."""
    outputs = np.asarray(outputs, dtype=np.float64)
    if outputs.shape[-1] == 1:
        return outputs
    is_probability = (outputs >= 0).all() and np.allclose(outputs.sum(axis=-1), 1.0, atol=_PROBABILITY_TOLERANCE)
    if is_probability:
        return outputs
    shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _scores(probabilities, y, return_dict: bool):
    """Cross-entropy (Keras's clipping) and accuracy of probabilities (N, K) against labels y."""
    probabilities = np.asarray(probabilities, dtype=np.float32)
    y = np.asarray(y)
    n, k = probabilities.shape
    if len(y) != n:
        raise ShapeError(f"committee: {n} predictions but {len(y)} labels; give one label per sample.")
    if k == 1:
        labels = y.reshape(n, 1).astype(np.float32)
        loss = losses.binary_crossentropy(labels, probabilities).numpy()
        accuracy = ((probabilities > 0.5) == (labels > 0.5)).mean()
    elif y.ndim == 2 and y.shape[1] == k:
        loss = losses.categorical_crossentropy(y.astype(np.float32), probabilities).numpy()
        accuracy = (probabilities.argmax(axis=-1) == y.argmax(axis=-1)).mean()
    else:
        labels = y.reshape(n)
        loss = losses.sparse_categorical_crossentropy(labels, probabilities).numpy()
        accuracy = (probabilities.argmax(axis=-1) == labels).mean()
    logs = {"loss": float(np.mean(loss)), "accuracy": float(accuracy)}
    return logs if return_dict else [logs["loss"], logs["accuracy"]]
