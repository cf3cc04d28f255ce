"""GradientTape: record ops while it is open, then walk them backwards to get gradients.

    with GradientTape() as tape:
        loss = ops.mean((x @ w - y) ** 2)
    dw, = tape.gradient(loss, [w])

Recording happens only while a tape is open (as in TensorFlow), so plain inference keeps no graph
and no saved arrays. The walk is iterative, so a chain of any length cannot overflow the stack.
"""

import contextlib
import threading

import numpy as np

from neuronio.autodiff.tensor import Tensor, array_of

# The open tapes of this thread and how many `stop_recording` scopes are active. Thread-local
# so that a training run in one thread (the lab's) does not record another thread's ops.
_state = threading.local()


def _tapes() -> list:
    if not hasattr(_state, "tapes"):
        _state.tapes = []
        _state.paused = 0
    return _state.tapes


def is_recording() -> bool:
    """True while some GradientTape is open and not paused by `no_grad`/`stop_recording`."""
    return bool(getattr(_state, "tapes", None)) and _state.paused == 0  # no tape yet in this thread: False


class no_grad:  # noqa: N801 - used as a function: `with no_grad():`
    """Run the body without recording, even inside an open tape (e.g. for evaluation).

    A class rather than a generator context manager: predict runs one per batch, and for a single
    image this bookkeeping is a measurable part of the latency."""

    __slots__ = ()

    def __enter__(self):
        _tapes()
        _state.paused += 1

    def __exit__(self, *exc_info):
        _state.paused -= 1
        return False


class GradientTape:
    """Records differentiable ops run inside `with GradientTape() as tape:`.

    Args:
        persistent: allow several `gradient` calls; otherwise the graph's saved arrays are
            released by the first call.
        watch_accessed_variables: trainable Variables are watched without `tape.watch`
            (always true here; kept for TensorFlow's signature).

    >>> from neuronio import ops
    >>> x = Variable(np.array([3.0], dtype="float32"))
    >>> with GradientTape() as tape:
    ...     y = x * x
    >>> tape.gradient(y, x).numpy()
    array([6.], dtype=float32)
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._used = False

    def __enter__(self):
        _tapes().append(self)
        return self

    def __exit__(self, *exc_info):
        _tapes().remove(self)
        return False

    def watch(self, tensor) -> None:
        """Ask for gradients with respect to a Tensor that is not a trainable Variable."""
        for t in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.watch expects a Tensor, but received {type(t).__name__}. "
                    f"Wrap the value first: t = neuronio.constant(value); tape.watch(t)."
                )
            t.requires_grad = True

    @contextlib.contextmanager
    def stop_recording(self):
        """Pause recording inside the tape's block."""
        with no_grad():
            yield

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """d(target)/d(source) for each source, with the structure of `sources`.

        A non-scalar target is summed (as TensorFlow does) unless `output_gradients` gives the
        upstream gradient. A source the target does not depend on gets None, or zeros when
        `unconnected_gradients="zero"`.
        """
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(f"unconnected_gradients must be 'none' or 'zero'; received {unconnected_gradients!r}.")
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only compute one set of gradients. "
                "Use GradientTape(persistent=True) to call gradient() several times."
            )
        self._used = True
        single = isinstance(sources, Tensor)
        source_list = [sources] if single else list(sources)
        targets = target if isinstance(target, (list, tuple)) else [target]
        if output_gradients is None:
            seeds = [None] * len(targets)
        else:
            seeds = output_gradients if isinstance(output_gradients, (list, tuple)) else [output_gradients]
        grads = backpropagate(targets, seeds, release=not self.persistent)
        result = []
        for s in source_list:
            g = grads.get(id(s))
            if g is None and unconnected_gradients == "zero":
                g = np.zeros_like(s.data)
            result.append(None if g is None else Tensor(g))
        return result[0] if single else result


def backpropagate(targets, seeds, release: bool) -> dict:
    """Gradients of sum(targets) by reverse-mode accumulation; returns {id(tensor): grad}.

    Every tensor reachable from the targets gets an entry, keyed by id (the graph keeps them
    alive, so ids are unique while this runs).
    """
    # 1. Topological order by iterative depth-first search (children before parents).
    order, seen = [], set()
    for root in targets:
        stack = [(root, False)]
        while stack:
            tensor, expanded = stack.pop()
            if expanded:
                order.append(tensor)
                continue
            if id(tensor) in seen:
                continue
            seen.add(id(tensor))
            stack.append((tensor, True))
            if tensor.node is not None:
                for parent in tensor.node.inputs:
                    if id(parent) not in seen:
                        stack.append((parent, False))
    # 2. Seed with d(target)/d(target) = 1 (or the given output gradient).
    grads: dict[int, np.ndarray] = {}
    for root, seed in zip(targets, seeds):
        g = np.ones_like(root.data) if seed is None else np.asarray(array_of(seed))
        _accumulate(grads, root, g.astype(root.dtype, copy=False))
    # 3. Walk parents after all their consumers, calling each op's backward once.
    for tensor in reversed(order):
        node = tensor.node
        dy = grads.get(id(tensor))
        if node is None or dy is None or not node.inputs:
            continue
        dxs = node.backward(dy)
        if not isinstance(dxs, tuple):
            dxs = (dxs,)
        for parent, needs, dx in zip(node.inputs, node.needs_input_grad, dxs):
            if needs and dx is not None:
                assert dx.shape == parent.shape, (
                    f"{node.name}.backward returned a gradient of shape {dx.shape} for an input of shape {parent.shape}"
                )
                _accumulate(grads, parent, dx)
        if release:
            node.saved = ()
    return grads


def _accumulate(grads: dict, tensor: Tensor, g: np.ndarray) -> None:
    if type(g) is not np.ndarray:
        g = np.asarray(g)  # arithmetic on 0-d arrays gives NumPy scalars
    key = id(tensor)
    previous = grads.get(key)
    # A fresh sum, never `+=`: the first gradient may be an array another op also holds.
    grads[key] = g if previous is None else previous + g
