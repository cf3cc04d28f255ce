"""Matrix decompositions of real matrices: cholesky, eigh, svd, qr (differentiable), and what is
built on them: cholesky_inverse, pinv, lstsq (compositions), matrix_rank and lu_factor
(constants, as indices and ranks have no gradient).

Forward passes are NumPy's LAPACK calls. The backward rules are the standard adjoints
(Murray 2016 for Cholesky; Giles 2008 for eigh; Townsend 2016 for the SVD; Walter and Lehmann
2018 for QR). Symmetric inputs (cholesky, eigh) read the lower triangle, so their gradient is
returned symmetrised, as PyTorch returns it. eig is out of scope: its results are complex.
"""

import numpy as np

from neuronio import config
from neuronio.autodiff.function import Function
from neuronio.autodiff.tensor import Tensor, as_tensor
from neuronio.errors import ShapeError
from neuronio.ops.elementwise import multiply, where
from neuronio.ops.linalg import matmul
from neuronio.ops.products import _mT
from neuronio.ops.shape import transpose


def _sym(a: np.ndarray) -> np.ndarray:
    return 0.5 * (a + _mT(a))


def _float(who: str, x, square: bool = False) -> Tensor:
    x = as_tensor(x)
    x = x if x.dtype.kind == "f" else Tensor(x.data.astype(config.floatx()))
    if x.ndim < 2 or (square and x.shape[-1] != x.shape[-2]):
        kind = "square matrices (..., M, M)" if square else "matrices (..., M, N)"
        raise ShapeError(f"{who} expects {kind}; received shape {x.shape}.")
    return x


def _inverse_gaps(values: np.ndarray) -> np.ndarray:
    """F[..., i, j] = 1 / (values_j - values_i) off the diagonal, 0 on it (and where equal)."""
    gaps = values[..., None, :] - values[..., :, None]
    return np.divide(1.0, gaps, out=np.zeros_like(gaps), where=gaps != 0)


class CholeskyOp(Function):
    """L = chol(A), A = L L^T;  dA = sym(L^-T phi(L^T dL) L^-1), phi = lower triangle with the
    diagonal halved."""

    def forward(self, a):
        y = np.linalg.cholesky(a)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        p = np.tril(_mT(y) @ dy)
        p -= 0.5 * np.eye(p.shape[-1], dtype=p.dtype) * p
        inv_y = np.linalg.inv(y)
        return _sym(_mT(inv_y) @ p @ inv_y)


class EighOp(Function):
    """A = V diag(w) V^T (eigenvalues ascending);  dA = sym(V (diag(dw) + F o (V^T dV)) V^T)."""

    def forward(self, a):
        w, v = np.linalg.eigh(a)
        self.save_for_backward(w, v)
        return np.concatenate([w[..., None, :], v], axis=-2)  # (..., 1 + M, M): w stacked over V

    def backward(self, dy):
        w, v = self.saved
        dw, dv = dy[..., 0, :], dy[..., 1:, :]
        inner = _inverse_gaps(w) * (_mT(v) @ dv)
        inner[..., np.arange(w.shape[-1]), np.arange(w.shape[-1])] += dw
        return _sym(v @ inner @ _mT(v))


class SvdOp(Function):
    """A = U diag(s) V^T (reduced);  dA by Townsend's formula, with F_ij = 1 / (s_j^2 - s_i^2):
    U [F o (U^T dU - dU^T U) S + diag(ds) + S F o (V^T dV - dV^T V)] V^T
    + (I - U U^T) dU S^-1 V^T + U S^-1 dV^T (I - V V^T)."""

    def forward(self, a):
        u, s, vt = np.linalg.svd(a, full_matrices=False)
        self.save_for_backward(u, s, _mT(vt))
        # one array holding (U, s, V): (..., M + 1 + N, K)
        return np.concatenate([u, s[..., None, :], _mT(vt)], axis=-2)

    def backward(self, dy):
        u, s, v = self.saved
        m = u.shape[-2]
        du, ds, dv = dy[..., :m, :], dy[..., m, :], dy[..., m + 1 :, :]
        f = _inverse_gaps(s * s)
        smat = s[..., None, :] * np.eye(s.shape[-1], dtype=s.dtype)
        inv_s = np.divide(1.0, s, out=np.zeros_like(s), where=s != 0)
        j = f * (_mT(u) @ du - _mT(du) @ u)
        k = f * (_mT(v) @ dv - _mT(dv) @ v)
        core = j @ smat + smat @ k
        core[..., np.arange(s.shape[-1]), np.arange(s.shape[-1])] += ds
        da = u @ core @ _mT(v)
        da += (du - u @ (_mT(u) @ du)) * inv_s[..., None, :] @ _mT(v)
        da += u @ (inv_s[..., :, None] * (_mT(dv) - (_mT(dv) @ v) @ _mT(v)))
        return da


class QrOp(Function):
    """A = Q R (reduced, M >= N);  dA = (dQ + Q copyltu(M)) R^-T, M = R dR^T - dQ^T Q,
    copyltu(M) = the lower triangle of M mirrored onto the upper one."""

    def forward(self, a):
        q, r = np.linalg.qr(a, mode="reduced")
        self.save_for_backward(q, r)
        return np.concatenate([q, r], axis=-2)  # (..., M + N, N)

    def backward(self, dy):
        q, r = self.saved
        m = q.shape[-2]
        dq, dr = dy[..., :m, :], dy[..., m:, :]
        mm = r @ _mT(dr) - _mT(dq) @ q
        copyltu = np.tril(mm) + _mT(np.tril(mm, -1))
        rhs = dq + q @ copyltu  # (..., M, N); dA = rhs R^-T, i.e. solve R dA^T = rhs^T
        return _mT(np.linalg.solve(r, _mT(rhs)))


def _split_rows(packed: Tensor, sizes: list) -> list:
    from neuronio.ops.shape import getitem

    parts, start = [], 0
    for n in sizes:
        parts.append(getitem(packed, (Ellipsis, slice(start, start + n), slice(None))))
        start += n
    return parts


def cholesky(x, upper=False) -> Tensor:
    """The lower Cholesky factor L of a symmetric positive-definite x (L^T with upper=True)."""
    x = _float("cholesky", x, square=True)
    try:
        y = CholeskyOp().apply(x)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"cholesky: the matrix is not positive definite ({exc}).") from None
    return transpose(y, (*range(y.ndim - 2), y.ndim - 1, y.ndim - 2)) if upper else y


def cholesky_inverse(x, upper=False) -> Tensor:
    """inv(A) from A's Cholesky factor x: inv(L L^T) (or inv(U^T U) with upper=True)."""
    from neuronio.ops.products import inv

    x = _float("cholesky_inverse", x, square=True)
    xt = transpose(x, (*range(x.ndim - 2), x.ndim - 1, x.ndim - 2))
    return inv(matmul(xt, x) if upper else matmul(x, xt))


def eigh(x) -> tuple:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric x, from its lower triangle."""
    x = _float("eigh", x, square=True)
    w, v = _split_rows(EighOp().apply(x), [1, x.shape[-1]])
    from neuronio.ops.shape import reshape

    return reshape(w, (*x.shape[:-2], x.shape[-1])), v


def svd(x, full_matrices=True, compute_uv=True):
    """Singular value decomposition x = u diag(s) vh; differentiable in its reduced form.

    With full_matrices=True and a non-square x, the extra columns of u (or rows of vh) are
    NumPy's and carry no gradient (PyTorch refuses that gradient outright).
    """
    from neuronio.ops.shape import reshape

    x = _float("svd", x)
    m, n = x.shape[-2:]
    packed = SvdOp().apply(x)
    u, s, v = _split_rows(packed, [m, 1, n])
    s = reshape(s, (*x.shape[:-2], min(m, n)))
    if not compute_uv:
        return s
    vh = transpose(v, (*range(v.ndim - 2), v.ndim - 1, v.ndim - 2))
    if full_matrices and m != n:
        full_u, _, full_vh = np.linalg.svd(x.data, full_matrices=True)
        from neuronio.ops.shape import concatenate

        if m > n:
            u = concatenate([u, Tensor(full_u[..., :, n:])], axis=-1)
        else:
            vh = concatenate([vh, Tensor(full_vh[..., m:, :])], axis=-2)
    return u, s, vh


def qr(x, mode="reduced") -> tuple:
    """x = q r with orthonormal q and upper-triangular r; differentiable for M >= N, mode='reduced'."""
    x = _float("qr", x)
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete'; received mode={mode!r}.")
    m, n = x.shape[-2:]
    if mode == "complete" or m < n:
        q, r = np.linalg.qr(x.data, mode=mode)
        return Tensor(q), Tensor(r)  # no gradient: the adjoint above needs M >= N, reduced
    q, r = _split_rows(QrOp().apply(x), [m, n])
    return q, r


def pinv(x, rcond=None) -> Tensor:
    """Moore-Penrose pseudo-inverse V diag(1/s) U^T, singular values below rcond * max(s) dropped."""
    x = _float("pinv", x)
    u, s, vh = svd(x, full_matrices=False)
    cutoff = (1e-15 if rcond is None else float(rcond)) * np.max(s.data, axis=-1, keepdims=True)
    keep = s.data > cutoff
    inv_s = where(keep, 1.0 / where(keep, s, 1.0), 0.0)  # (..., K)
    v = transpose(vh, (*range(vh.ndim - 2), vh.ndim - 1, vh.ndim - 2))
    ut = transpose(u, (*range(u.ndim - 2), u.ndim - 1, u.ndim - 2))
    from neuronio.ops.shape import expand_dims

    return matmul(multiply(v, expand_dims(inv_s, -2)), ut)


def lstsq(a, b, rcond=None) -> Tensor:
    """The least-squares solution x of a x = b: pinv(a) @ b."""
    return matmul(pinv(a, rcond), b)


def matrix_rank(x, tol=None) -> Tensor:
    """The number of singular values above `tol` (NumPy's default tolerance); int32."""
    return Tensor(np.asarray(np.linalg.matrix_rank(as_tensor(x).data, tol)).astype(np.int32))


class LuOp(Function):
    """A[perm] = L U (partial pivoting), packed as LU = (L - I) + U;
    dA[perm] = L^-T (tril(L^T dL, -1) + triu(dU U^T)) U^-T, with dL, dU the parts of dLU."""

    def forward(self, a):
        lu = np.array(a, copy=True)
        n = a.shape[-1]
        pivots = np.zeros(a.shape[:-1], dtype=np.int32)
        perm = np.broadcast_to(np.arange(n), a.shape[:-1]).copy()
        for index in np.ndindex(*a.shape[:-2]):  # matrices, then columns: no vectorised LU in NumPy
            m, order = lu[index], perm[index]
            for k in range(n):
                p = k + int(np.argmax(np.abs(m[k:, k])))
                pivots[index + (k,)] = p
                if p != k:
                    m[[k, p]] = m[[p, k]]
                    order[[k, p]] = order[[p, k]]
                if m[k, k] != 0:
                    m[k + 1 :, k] /= m[k, k]
                    m[k + 1 :, k + 1 :] -= np.outer(m[k + 1 :, k], m[k, k + 1 :])
        self.pivots = pivots
        self.save_for_backward(lu, perm)
        return lu

    def backward(self, dy):
        lu, perm = self.saved
        eye = np.eye(lu.shape[-1], dtype=lu.dtype)
        lower, upper = np.tril(lu, -1) + eye, np.triu(lu)
        phi = np.tril(_mT(lower) @ np.tril(dy, -1), -1) + np.triu(np.triu(dy) @ _mT(upper))
        g = _mT(np.linalg.inv(lower)) @ phi @ _mT(np.linalg.inv(upper))  # rows in pivoted order
        da = np.empty_like(g)
        np.put_along_axis(da, perm[..., None], g, axis=-2)
        return da


def lu_factor(x) -> tuple:
    """(lu, pivots): L (unit diagonal, below) and U (on and above) packed in one matrix, and the
    0-based row swaps of partial pivoting (SciPy's lu_factor, Keras's result). lu is
    differentiable, as PyTorch's is; the pivots are integers."""
    op = LuOp()
    lu = op.apply(_float("lu_factor", x, square=True))
    return lu, Tensor(op.pivots)
