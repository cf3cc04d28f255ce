"""Products and small linear algebra: einsum, tensordot, inner, outer, kron, vdot, cross,
correlate, trapezoid, cdist, corrcoef, and det, inv, solve, slogdet, logdet, solve_triangular.

einsum is one Function whose backward is einsum again: the gradient of an operand contracts dy
with every other operand onto that operand's subscripts. The rest compose matmul, multiply,
sum and getitem, or (the linear algebra) have their textbook adjoints:
d inv(A) = -inv(A)^T dY inv(A)^T;  d det(A) = dy det(A) inv(A)^T;  for X = solve(A, B):
dB = solve(A^T, dX), dA = -dB X^T.
"""

import string

import numpy as np

from neuronio import config
from neuronio.autodiff.broadcast import sum_to_shape
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.elementwise import multiply, sqrt, subtract
from neuronio.ops.linalg import matmul
from neuronio.ops.reduction import mean, sum  # noqa: A004
from neuronio.ops.shape import getitem, normalize_axis, pad, reshape, stack, transpose


def _float(x) -> Tensor:
    x = as_tensor(x)
    return x if x.dtype.kind == "f" else Tensor(x.data.astype(config.floatx()))


# -- einsum ------------------------------------------------------------------------------------
def _parse(subscripts: str, shapes: list) -> tuple[list, str]:
    """Explicit subscripts: '...' spelled out with unused letters, and '->output' always given."""
    subscripts = subscripts.replace(" ", "")
    inputs, _, output = subscripts.partition("->")
    terms = inputs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands; received {len(shapes)}.")
    free = [c for c in string.ascii_letters if c not in subscripts]
    n_ellipsis = max(
        (len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes, strict=True) if "..." in t), default=0
    )
    dots = "".join(free[:n_ellipsis])
    terms = [
        t.replace("...", dots[n_ellipsis - (len(s) - len(t.replace("...", ""))) :])
        for t, s in zip(terms, shapes, strict=True)
    ]
    if "->" not in subscripts:
        letters = "".join(terms)
        output = dots + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in dots))
    else:
        output = output.replace("...", dots)
    return terms, output


class EinsumOp(Function):
    """y = einsum(terms -> output, *operands);
    d operand_i = einsum(output, terms of the others -> term_i)(dy, *others), broadcast along
    any index that only operand i has (it was summed away)."""

    def __init__(self, terms: list, output: str):
        self.terms, self.output = terms, output

    def forward(self, *operands):
        self.save_for_backward(operands)
        return np.einsum(",".join(self.terms) + "->" + self.output, *operands, optimize=True)

    def backward(self, dy):
        (operands,) = self.saved
        grads = []
        for i, (term, x) in enumerate(zip(self.terms, operands, strict=True)):
            if not self.needs_input_grad[i]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(self.terms) if j != i]
            known = set(self.output).union(*others) if others else set(self.output)
            target = "".join(c for c in dict.fromkeys(term) if c in known)
            spec = ",".join([self.output, *others]) + "->" + target
            g = np.einsum(spec, dy, *[o for j, o in enumerate(operands) if j != i], optimize=True)
            grads.append(_expand_to(g, target, term, x.shape))
        return tuple(grads)


def _expand_to(g: np.ndarray, have: str, want: str, shape: tuple) -> np.ndarray:
    """g (subscripts `have`) laid out as `want` with x's `shape`: missing letters broadcast,
    a letter repeated in `want` (a diagonal) gets g on that diagonal and zeros elsewhere."""
    if len(set(want)) != len(want):
        raise NotImplementedError(
            f"einsum: the gradient of an operand with a repeated index ({want!r}) is not implemented; "
            f"take the diagonal with ops.diagonal first."
        )
    sizes = dict(zip(want, shape, strict=True))
    g = np.einsum(f"{have}->{''.join(c for c in want if c in have)}", g)
    full = np.broadcast_to(
        np.expand_dims(g, tuple(i for i, c in enumerate(want) if c not in have)), tuple(sizes[c] for c in want)
    )
    return np.array(full, dtype=g.dtype)


def einsum(subscripts, *operands, **kwargs) -> Tensor:
    """Einstein summation over the operands (NumPy's einsum, explicit or implicit output)."""
    tensors = [_float(x) for x in operands]
    dtype = np.result_type(*[t.dtype for t in tensors])
    tensors = [t if t.dtype == dtype else Tensor(t.data.astype(dtype)) for t in tensors]
    terms, output = _parse(subscripts, [t.shape for t in tensors])
    return EinsumOp(terms, output).apply(*tensors)


# -- products composed from matmul and multiply ------------------------------------------------
def tensordot(x1, x2, axes=2) -> Tensor:
    """Sum of products over the given axes (NumPy's tensordot): transpose, reshape, one matmul."""
    a, b = _float(x1), _float(x2)
    if np.ndim(axes) == 0:
        axes_a, axes_b = list(range(a.ndim - int(axes), a.ndim)), list(range(int(axes)))
    else:
        axes_a, axes_b = (
            ([axes[0]] if np.ndim(axes[0]) == 0 else list(axes[0])),
            ([axes[1]] if np.ndim(axes[1]) == 0 else list(axes[1])),
        )
    axes_a = [normalize_axis("tensordot", i, a.ndim, a.shape) for i in axes_a]
    axes_b = [normalize_axis("tensordot", i, b.ndim, b.shape) for i in axes_b]
    if [a.shape[i] for i in axes_a] != [b.shape[i] for i in axes_b]:
        raise ShapeError(f"tensordot: axes {axes_a} of {a.shape} and {axes_b} of {b.shape} differ in size.")
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    k = int(np.prod([a.shape[i] for i in axes_a]))
    am = reshape(transpose(a, (*free_a, *axes_a)), (-1, k))  # (M, K)
    bm = reshape(transpose(b, (*axes_b, *free_b)), (k, -1))  # (K, P)
    return reshape(matmul(am, bm), tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b))


def inner(x1, x2) -> Tensor:
    """Sum of products over the last axes of x1 and x2 (a scalar factor multiplies)."""
    a, b = _float(x1), _float(x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


def outer(x1, x2) -> Tensor:
    """outer[i, j] = x1.flat[i] * x2.flat[j]."""
    return multiply(reshape(_float(x1), (-1, 1)), reshape(_float(x2), (1, -1)))


def kron(x1, x2) -> Tensor:
    """The Kronecker product: each entry of x1 times the whole of x2, in blocks."""
    a, b = _float(x1), _float(x2)
    n = max(a.ndim, b.ndim)
    a = reshape(a, (1,) * (n - a.ndim) + a.shape)
    b = reshape(b, (1,) * (n - b.ndim) + b.shape)
    inter_a = tuple(d for s in a.shape for d in (s, 1))
    inter_b = tuple(d for s in b.shape for d in (1, s))
    return reshape(
        multiply(reshape(a, inter_a), reshape(b, inter_b)), tuple(p * q for p, q in zip(a.shape, b.shape, strict=True))
    )


def vdot(x1, x2) -> Tensor:
    """Dot product of the flattened x1 and x2."""
    return sum(multiply(reshape(_float(x1), (-1,)), reshape(_float(x2), (-1,))))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None) -> Tensor:
    """Cross product of 3-vectors (or 2-vectors, giving the z component) along the vector axis."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _float(x1), _float(x2)
    a = _last(a, axisa)
    b = _last(b, axisb)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise ShapeError(f"cross: vectors must have 2 or 3 components; received shapes {a.shape} and {b.shape}.")

    def component(v, i):
        return getitem(v, (Ellipsis, i)) if i < v.shape[-1] else multiply(getitem(v, (Ellipsis, 0)), 0.0)

    ax, ay, az = (component(a, i) for i in range(3))
    bx, by, bz = (component(b, i) for i in range(3))
    z = subtract(multiply(ax, by), multiply(ay, bx))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    y = stack([subtract(multiply(ay, bz), multiply(az, by)), subtract(multiply(az, bx), multiply(ax, bz)), z], -1)
    return _last(y, axisc, back=True)


def _last(x: Tensor, axis: int, back: bool = False) -> Tensor:
    """Move the vector axis to the end (or, with back=True, from the end to `axis`)."""
    axis = normalize_axis("cross", axis, x.ndim, x.shape)
    order = list(range(x.ndim - 1))
    if back:
        order.insert(axis, x.ndim - 1)
    else:
        order = [i for i in range(x.ndim) if i != axis] + [axis]
    return transpose(x, tuple(order))


def correlate(x1, x2, mode="valid") -> Tensor:
    """Cross-correlation of two 1-D tensors (NumPy's correlate), as a window matrix times x2."""
    a, b = _float(x1), _float(x2)
    if a.ndim != 1 or b.ndim != 1:
        raise ShapeError(f"correlate expects 1-D tensors; received shapes {a.shape} and {b.shape}.")
    if a.shape[0] < b.shape[0]:  # NumPy swaps and reverses so that the longer one slides
        return getitem(correlate(b, a, mode), slice(None, None, -1))
    m = b.shape[0]
    widths = {"valid": (0, 0), "same": (m // 2, m - 1 - m // 2), "full": (m - 1, m - 1)}
    if mode not in widths:
        raise ValueError(f"correlate: mode must be 'valid', 'same' or 'full'; received mode={mode!r}.")
    before, after = widths[mode]
    padded = pad(a, ((before, after),))
    n_out = padded.shape[0] - m + 1
    windows = getitem(padded, np.arange(n_out)[:, None] + np.arange(m))  # (n_out, m)
    return matmul(windows, b)


def trapezoid(y, x=None, dx=1.0, axis=-1) -> Tensor:
    """The integral of y along `axis` by the trapezoidal rule (sample points x, or spacing dx)."""
    y = _float(y)
    axis = normalize_axis("trapezoid", axis, y.ndim, y.shape)
    lead = (slice(None),) * axis
    mid = getitem(y, (*lead, slice(1, None))) + getitem(y, (*lead, slice(None, -1)))
    if x is None:
        return sum(mid, axis=axis) * (0.5 * float(dx))
    xs = _float(x)
    steps = getitem(xs, slice(1, None)) - getitem(xs, slice(None, -1))
    if xs.ndim == 1:
        steps = reshape(steps, tuple(-1 if i == axis else 1 for i in range(y.ndim)))
    return sum(multiply(mid, steps), axis=axis) * 0.5


def cdist(x, y, p=2.0) -> Tensor:
    """Distances between each row of x (..., M, D) and each row of y (..., N, D): (..., M, N)."""
    a, b = _float(x), _float(y)
    d = subtract(reshape(a, (*a.shape[:-1], 1, a.shape[-1])), reshape(b, (*b.shape[:-2], 1, *b.shape[-2:])))
    from neuronio.ops.statistics import norm

    return norm(d, ord=p, axis=-1)


def corrcoef(x) -> Tensor:
    """Pearson correlation matrix of the rows of x (variables in rows, observations in columns)."""
    x = _float(x)
    x = x if x.ndim == 2 else reshape(x, (1, -1))
    centered = subtract(x, mean(x, axis=1, keepdims=True))
    cov = matmul(centered, transpose(centered))
    d = sqrt(getitem(cov, (np.arange(x.shape[0]), np.arange(x.shape[0]))))
    return cov / multiply(reshape(d, (-1, 1)), reshape(d, (1, -1)))


# -- linear algebra ----------------------------------------------------------------------------
def _mT(a: np.ndarray) -> np.ndarray:  # noqa: N802 - the matrix transpose, as NumPy names it
    return np.swapaxes(a, -1, -2)


class InvOp(Function):
    """Y = inv(A);  dA = -Y^T dY Y^T."""

    def forward(self, a):
        y = np.linalg.inv(a)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return -_mT(y) @ dy @ _mT(y)


class SlogdetOp(Function):
    """y = log|det(A)|;  dA = dy inv(A)^T (the sign has no gradient)."""

    def forward(self, a):
        sign, logabs = np.linalg.slogdet(a)
        self.save_for_backward(a)
        self.sign = sign
        return np.asarray(logabs)

    def backward(self, dy):
        (a,) = self.saved
        return np.asarray(dy)[..., None, None] * _mT(np.linalg.inv(a))


class SolveOp(Function):
    """X = solve(A, B) (A X = B);  dB = solve(A^T, dX),  dA = -dB X^T."""

    def __init__(self, vector: bool):
        self.vector = vector  # B is (..., M) rather than (..., M, K)

    def forward(self, a, b):
        x = np.linalg.solve(a, b[..., None] if self.vector else b)
        self.save_for_backward(a, x)
        return x[..., 0] if self.vector else x

    def backward(self, dy):
        a, x = self.saved
        dyk = dy[..., None] if self.vector else dy
        db = np.linalg.solve(_mT(a), dyk)
        da = -db @ _mT(x)
        return sum_to_shape(da, a.shape), db[..., 0] if self.vector else db


def inv(x) -> Tensor:
    """The inverse of each square matrix in x (..., M, M)."""
    x = _square("inv", x)
    return InvOp().apply(x)


def slogdet(x) -> tuple:
    """(sign, log|det|) of each square matrix; log|det| is differentiable."""
    x = _square("slogdet", x)
    op = SlogdetOp()
    logabs = op.apply(x)
    return Tensor(np.asarray(op.sign, dtype=x.dtype)), logabs


def logdet(x) -> Tensor:
    """log det(x) of each square matrix (NaN where det <= 0, as Keras)."""
    sign, logabs = slogdet(x)
    if (sign.data <= 0).any():
        raise ValueError("logdet: some matrix has det <= 0, so log det is undefined (use slogdet).")
    return logabs


def det(x) -> Tensor:
    """The determinant of each square matrix: sign * exp(log|det|), differentiable."""
    from neuronio.ops.elementwise import exp

    sign, logabs = slogdet(x)
    return multiply(sign, exp(logabs))


def solve(a, b) -> Tensor:
    """X with a @ X = b, for square a (..., M, M) and b (..., M) or (..., M, K)."""
    a = _square("solve", a)
    b = _float(b)
    b = b if b.dtype == a.dtype else Tensor(b.data.astype(a.dtype))
    return SolveOp(vector=b.ndim == a.ndim - 1).apply(a, b)


def solve_triangular(a, b, lower=False) -> Tensor:
    """solve for a triangular a: the other triangle of a is ignored, as Keras and SciPy do."""
    from neuronio.ops.creation import tril, triu

    a = _square("solve_triangular", a)
    return solve(tril(a) if lower else triu(a), b)


def _square(who: str, x) -> Tensor:
    x = _float(x)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise ShapeError(f"{who} expects square matrices (..., M, M); received shape {x.shape}.")
    return x
