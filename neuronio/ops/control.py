"""Control flow as Keras's ops spell it: cond, switch, while_loop, fori_loop, scan, map,
associative_scan, vectorized_map, vectorize, custom_gradient.

neuronio runs eagerly, so each is the plain Python loop or branch it stands for, and gradients
flow through whatever ops the branches and bodies call.
"""

import numpy as np

from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.ops.shape import getitem, stack


def cond(pred, true_fn, false_fn):
    """true_fn() if pred else false_fn()."""
    return true_fn() if bool(np.asarray(pred.data if isinstance(pred, Tensor) else pred)) else false_fn()


def switch(index, branches, *operands):
    """branches[index](*operands), the index clamped to the valid range (as Keras)."""
    i = int(np.clip(int(np.asarray(index.data if isinstance(index, Tensor) else index)), 0, len(branches) - 1))
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Apply body to loop_vars while cond(*loop_vars) holds (at most maximum_iterations times)."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    n = 0
    while bool(np.asarray(getattr(c := cond(*state), "data", c))) and (
        maximum_iterations is None or n < maximum_iterations
    ):
        out = body(*state)
        state = (out,) if single else tuple(out)
        n += 1
    return state[0] if single else state


def fori_loop(lower, upper, body_fun, init_val):
    """val = body_fun(i, val) for i in range(lower, upper)."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def _leading(xs, i):
    if isinstance(xs, (list, tuple)):
        return type(xs)(_leading(x, i) for x in xs)
    return getitem(as_tensor(xs), i)


def _stack(values):
    if isinstance(values[0], (list, tuple)):
        return type(values[0])(_stack([v[j] for v in values]) for j in range(len(values[0])))
    return stack([as_tensor(v) for v in values], axis=0)


def _length(xs):
    return _length(xs[0]) if isinstance(xs, (list, tuple)) else as_tensor(xs).shape[0]


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """carry, y = f(carry, x) over the leading axis of xs; returns (carry, stacked ys)."""
    n = _length(xs) if xs is not None else int(length)
    order = range(n - 1, -1, -1) if reverse else range(n)
    carry, ys = init, []
    for i in order:
        carry, y = f(carry, None if xs is None else _leading(xs, i))
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, (_stack(ys) if ys and ys[0] is not None else None)


def map(f, xs):  # noqa: A001 - the Keras name
    """f applied to each slice of xs along the leading axis, results stacked."""
    return _stack([f(_leading(xs, i)) for i in range(_length(xs))])


def vectorized_map(function, elements):
    """map, as Keras's vectorized_map computes it on a backend without vmap."""
    return map(function, elements)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan with an associative f along `axis` (a sequential loop: same values)."""
    x = as_tensor(elems)
    from neuronio.ops.indexing import moveaxis

    moved = moveaxis(x, axis, 0)
    order = range(moved.shape[0] - 1, -1, -1) if reverse else range(moved.shape[0])
    out, acc = [], None
    for i in order:
        acc = getitem(moved, i) if acc is None else f(acc, getitem(moved, i))
        out.append(acc)
    if reverse:
        out.reverse()
    return moveaxis(stack(out, axis=0), 0, axis)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """A function mapping pyfunc over the leading axis of its (tensor) arguments."""

    def wrapped(*args):
        n = as_tensor(args[0]).shape[0]
        return _stack([pyfunc(*[getitem(as_tensor(a), i) for a in args]) for i in range(n)])

    return wrapped


class _CustomGradientOp(Function):
    """y = the user's forward;  dx = the user's grad_fn(dy) (Keras's custom_gradient)."""

    def __init__(self, value, grad_fn):
        self.value, self.grad_fn = value, grad_fn

    def forward(self, *arrays):
        return self.value

    def backward(self, dy):
        grads = self.grad_fn(Tensor(dy))
        grads = grads if isinstance(grads, (list, tuple)) else (grads,)
        return tuple(None if g is None else np.asarray(g.data if isinstance(g, Tensor) else g) for g in grads)


def custom_gradient(f):
    """Decorator: f(*args) returns (y, grad_fn); the tape uses grad_fn(dy) for f's inputs."""

    def wrapped(*args):
        from neuronio.autodiff.tape import no_grad

        with no_grad():
            y, grad_fn = f(*args)
        tensors = [as_tensor(a) for a in args]
        return _CustomGradientOp(np.asarray(y.data if isinstance(y, Tensor) else y), grad_fn).apply(*tensors)

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    return wrapped


def jvp(fun, primals, tangents, has_aux=False):
    """(fun(*primals), J @ tangents): the Jacobian-vector product Keras computes in forward mode.

    neuronio differentiates in reverse mode only, so this takes one reverse pass per output
    entry (each gives a row of J, dotted with the tangents): exact, and meant for the small
    functions jvp is used on. Returns (outputs, tangents_out) or, with has_aux, (outputs,
    tangents_out, aux), outputs and tangents_out in fun's structure (a tensor or a list/tuple).
    """
    from neuronio import config
    from neuronio.autodiff.tape import GradientTape

    xs = [as_tensor(p) for p in primals]
    xs = [Tensor(x.data.astype(config.floatx())) if x.dtype.kind != "f" else Tensor(x.data) for x in xs]
    vs = [np.asarray(as_tensor(t).data, dtype=x.dtype) for t, x in zip(tangents, xs, strict=True)]
    with GradientTape(persistent=True) as tape:
        for x in xs:
            tape.watch(x)
        result = fun(*xs)
    outputs, aux = result if has_aux else (result, None)
    single = not isinstance(outputs, (list, tuple))
    flat = [outputs] if single else list(outputs)
    tangents_out = []
    for y in flat:
        rows = np.zeros(y.shape, dtype=y.dtype)
        for k in np.ndindex(*y.shape):  # a reverse pass per output entry (see the docstring)
            seed = np.zeros(y.shape, dtype=y.dtype)
            seed[k] = 1.0
            grads = tape.gradient(y, xs, output_gradients=seed, unconnected_gradients="zero")
            rows[k] = sum(float(np.sum(g.data * v)) for g, v in zip(grads, vs, strict=True))
        tangents_out.append(Tensor(rows))
    tangents_out = tangents_out[0] if single else type(outputs)(tangents_out)
    return (outputs, tangents_out, aux) if has_aux else (outputs, tangents_out)
