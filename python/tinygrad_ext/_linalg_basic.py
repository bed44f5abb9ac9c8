"""torch.linalg's dense solvers beside the SVD: LU (lu_factor, solve, inv, det, slogdet), triangular solves,
Cholesky (cholesky, cholesky_solve), Householder QR, the symmetric eigendecomposition (eigh, eigvalsh), and pinv
and lstsq on top of the SVD. The factorizations are the CPU kernels of csrc/cpu/lu.cpp (CUDA tensors go through
the host: _host.on_host); the rest, and every gradient, are Tensor ops. Backward formulas read the
forward's results, recomputed from the inputs under create_graph so that higher derivatives are exact."""
import warnings

from . import _C, _linalg_ops, _ops
from ._host import on_host
from ._reduction_ops import _return_type
from .autograd.grad_mode import _state
from .tensor import Tensor, _broadcast_shape, _needs_grad, _wrap, cat


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (torch._C._LinAlgError, the name its errors print): a singular or not
    positive-definite input."""


LinAlgError = _LinAlgError


linalg_lu_factor_type = _return_type("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex_type = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_slogdet_type = _return_type("linalg_slogdet", ("sign", "logabsdet"))
slogdet_type = _return_type("slogdet", ("sign", "logabsdet"))
linalg_qr_type = _return_type("linalg_qr", ("Q", "R"))
linalg_eigh_type = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
linalg_lstsq_type = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def _T(x):
    return x.transpose(-2, -1)


def _eye(n, like):
    return _wrap(_C.eye(n, n, like.dtype.id, *like.device._code))


def _check_matrix(A, name, square=True, arg="A"):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(A).__name__}")
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if not A.dtype.is_floating_point or A.dtype.itemsize < 4:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {A.dtype._legacy[:-6]}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def _same_dtype(A, B, name):
    if A.dtype != B.dtype:
        raise RuntimeError(f"{name}: Expected A and B to have the same dtype, but found A of type "
                           f"{A.dtype._legacy[:-6]} and B of type {B.dtype._legacy[:-6]} instead")


def _raise_info(info, batched, name, message, error=LinAlgError):
    """error("name: message(k)") for the first matrix whose info k is nonzero, with torch's batch prefix."""
    flat = _wrap(info).reshape(-1)
    if flat.numel() == 0 or not bool(flat.ne(0).any()):
        return
    codes = flat.tolist()
    b = next(i for i, k in enumerate(codes) if k != 0)
    raise error(f"{name}: " + (f"(Batch element {b}): " if batched else "") + message(codes[b]))


def _recomputing():
    """Whether a backward runs under create_graph (its formulas must then be differentiable in the inputs)."""
    return _state[0]


# ------------------------------------------------------------------------ LU
def _lu_message(k):
    return f"U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. If you still want to " \
        "perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"


def _lu(A):
    return _C.linalg_lu_factor(A._impl)


def _permutation_T(pivots, n, like):
    """P^T (..., n, n) of P A = L U from getrf's pivots: the row swaps applied to the identity (by the LU solve
    with L = U = I)."""
    eye = _eye(n, like).expand(list(pivots.shape[:-1]) + [n, n])
    return _wrap(_C.linalg_lu_solve(eye._impl, pivots._impl, eye._impl))


class LinalgLuFactor(_ops.Op):
    """(LU, pivots, info) of a square A. Backward, with L, U unpacked from LU, gL = tril(gLU, -1), gU = triu(gLU)
    and phi = tril(L^T gL, -1) + triu(gU U^T): gA = P L^-T phi U^-T."""

    @staticmethod
    def forward(ctx, A):
        LU, pivots, info = _lu(A)
        ctx.save_for_backward(A, LU, pivots)
        return LU, pivots, info

    @staticmethod
    def backward(ctx, gLU, _gpivots, _ginfo):
        A, LU, pivots = ctx.saved_tensors
        LU = lu_factor_ex(A)[0] if _recomputing() else LU
        L, U = LU.tril(-1) + _eye(A.shape[-1], LU), LU.triu()
        phi = _T(L).matmul(gLU.tril(-1)).tril(-1) + gLU.triu().matmul(_T(U)).triu()
        G = _triangular(_T(L), phi, True, True)  # L^-T phi
        G = _T(_triangular(U, _T(G), True, False))  # L^-T phi U^-T
        return _T(_permutation_T(pivots, A.shape[-1], A)).matmul(G)


def _lu_factor_ex(A, name):
    if _needs_grad(A):
        if A.shape[-1] != A.shape[-2]:
            raise RuntimeError(f"{name}: the derivative of the LU factorization of non-square matrices is not "
                               "implemented; factor A.detach()")
        return LinalgLuFactor.apply(A)
    return tuple(_wrap(t) for t in _lu(A))


@on_host
def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """P A = L U with partial pivoting: (LU, pivots, info), LAPACK's getrf layout; differentiable for square A."""
    _check_matrix(A, "linalg.lu_factor_ex", square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, pivots, info = _lu_factor_ex(A, "linalg.lu_factor_ex")
    if check_errors:
        _raise_info(info._impl, A.dim() > 2, "linalg.lu_factor_ex", _lu_message, RuntimeError)
    result = linalg_lu_factor_ex_type(LU, pivots, info)
    return result if out is None else linalg_lu_factor_ex_type(*(o.copy_(r) for o, r in zip(out, result)))


@on_host
def lu_factor(A, *, pivot=True, out=None):
    _check_matrix(A, "linalg.lu_factor", square=False)
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, pivots, info = _lu_factor_ex(A, "linalg.lu_factor")
    _raise_info(info._impl, A.dim() > 2, "torch.linalg.lu_factor", _lu_message, RuntimeError)
    result = linalg_lu_factor_type(LU, pivots)
    return result if out is None else linalg_lu_factor_type(*(o.copy_(r) for o, r in zip(out, result)))


@on_host
def lu_solve(LU, pivots, B, *, left=True, adjoint=False, out=None):
    """X with A X = B (A^T X = B when adjoint; X A = B when not left) from lu_factor's (LU, pivots); batch dims
    broadcast. Differentiable in LU and B (through triangular solves)."""
    _check_matrix(LU, "linalg.lu_solve", arg="LU")
    _check_matrix(B, "linalg.lu_solve", square=False, arg="B")
    _same_dtype(LU, B, "linalg.lu_solve")
    n = LU.shape[-1]
    if not left:
        X = lu_solve(LU, pivots, _T(B), adjoint=not adjoint)
        X = _T(X)
        return X if out is None else out.copy_(X)
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AH' if adjoint else 'A'}X = B ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    batch = list(_broadcast_shape(_broadcast_shape(LU.shape[:-2], B.shape[:-2]), pivots.shape[:-1]))
    LU, B = LU.expand(batch + [n, n]), B.expand(batch + list(B.shape[-2:]))
    pivots = pivots.expand(batch + [n]).contiguous()
    if adjoint:  # A^T = U^T L^T P^T: X = P L^-T U^-T B
        Z = _triangular(_T(LU), B, False, False)
        Z = _triangular(_T(LU), Z, True, True)
        X = _T(_permutation_T(pivots, n, LU)).matmul(Z)
    elif _needs_grad(LU, B):  # X = U^-1 L^-1 P^T B
        Z = _triangular(LU, _permutation_T(pivots, n, LU).matmul(B), False, True)
        X = _triangular(LU, Z, True, False)
    else:
        X = _wrap(_C.linalg_lu_solve(LU._impl, pivots._impl, B._impl))
    return X if out is None else out.copy_(X)


def _solve_message(k):
    return "The solver failed because the input matrix is singular."


def _lu_solve(A, B, name):
    """X with A X = B: A (..., n, n) and B (..., n, k) of one batch; LinAlgError for a singular A."""
    LU, pivots, info = _lu(A)
    _raise_info(info, A.dim() > 2, name, _solve_message)
    return _C.linalg_lu_solve(LU, pivots, B._impl)


class LinalgSolve(_ops.Op):
    """X = A^-1 B (A, B batched alike). Backward: gB = A^-T g, gA = -gB X^T."""

    @staticmethod
    def forward(ctx, A, B):
        X = _lu_solve(A, B, "torch.linalg.solve")
        ctx.save_for_backward(A, B, X)
        return X

    @staticmethod
    def backward(ctx, g):
        A, B, X = ctx.saved_tensors
        X = _solve_batched(A, B) if _recomputing() else X
        gB = _solve_batched(_T(A), g)
        return -gB.matmul(_T(X)) if ctx.needs_input_grad[0] else None, gB


def _solve_batched(A, B):
    return LinalgSolve.apply(A, B) if _needs_grad(A, B) else _wrap(_lu_solve(A, B, "torch.linalg.solve"))


@on_host
def solve(A, B, *, left=True, out=None):
    """X with A X = B (X A = B when not left). B is a batch of vectors when it is 1-D or has A's shape less the
    last dim (as torch's); batch dims broadcast."""
    _check_matrix(A, "linalg.solve")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg_solve(): argument 'B' (position 2) must be Tensor, not {type(B).__name__}")
    _same_dtype(A, B, "linalg.solve")
    n = A.shape[-1]
    vector = B.dim() == 1 or (left and B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = B.unsqueeze(-1) if vector else B
    if not left:
        A, Bm = _T(A), _T(Bm)
    if Bm.dim() < 2 or Bm.shape[-2] != n:
        rows, cols = (Bm.shape[-2], Bm.shape[-1]) if Bm.dim() >= 2 else (1, Bm.shape[0])
        shape = f"{rows}x{cols}" if left else f"{cols}x{rows}"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shape})")
    batch = _broadcast_shape(A.shape[:-2], Bm.shape[:-2])
    A = A.expand(list(batch) + [n, n])
    Bm = Bm.expand(list(batch) + list(Bm.shape[-2:]))
    X = _solve_batched(A, Bm)
    X = X.squeeze(-1) if vector else (X if left else _T(X))
    return X if out is None else out.copy_(X)


def _inv_message(k):
    return f"The diagonal element {k} is zero, the inversion could not be completed because the input " \
           "matrix is singular."


class LinalgInv(_ops.Op):
    """A^-1. Backward: gA = -A^-T g A^-T."""

    @staticmethod
    def forward(ctx, A):
        Ainv = _inv_impl(A)
        ctx.save_for_backward(A, Ainv)
        return Ainv

    @staticmethod
    def backward(ctx, g):
        A, Ainv = ctx.saved_tensors
        AinvT = _T(inv(A) if _recomputing() else Ainv)
        return -AinvT.matmul(g).matmul(AinvT)


def _inv_impl(A):
    LU, pivots, info = _lu(A)
    _raise_info(info, A.dim() > 2, "linalg.inv", _inv_message)
    eye = _eye(A.shape[-1], A).expand(list(A.shape))
    return _C.linalg_lu_solve(LU, pivots, eye._impl)


@on_host
def inv(A, *, out=None):
    _check_matrix(A, "linalg.inv")
    result = LinalgInv.apply(A) if _needs_grad(A) else _wrap(_inv_impl(A))
    return result if out is None else out.copy_(result)


@on_host
def inverse(input, *, out=None):
    return inv(input, out=out)


def _lu_det_parts(A):
    """(U's diagonal (..., n), the permutation's sign (...)) of P A^T = L U: det A = det A^T, factored as torch's
    LAPACK call factors A's row-major memory (read column-major), so det rounds as torch's does."""
    LU, pivots, _ = _lu(_T(A))
    diag = _wrap(LU).diagonal(0, -2, -1)
    pivots = _wrap(pivots)
    rows = _wrap(_C.arange(1, A.shape[-1] + 1, 1, pivots.dtype.id, *A.device._code))
    swaps = pivots.ne(rows).sum(-1)
    perm_sign = 1 - 2 * swaps.remainder(2)
    return diag, perm_sign.to(A.dtype)


class LinalgDet(_ops.Op):
    """det A = sign(P) prod(diag U). Backward: g det A A^-T; where a matrix is singular, g times A's cofactor
    matrix from the SVD A = U S Vh: det(U) det(Vh) U diag(prod_{j != i} s_j) Vh (torch's approach)."""

    @staticmethod
    def forward(ctx, A):
        diag, perm_sign = _lu_det_parts(A)
        d = (diag.prod(-1) * perm_sign)._impl
        ctx.save_for_backward(A, d)
        return d

    @staticmethod
    def backward(ctx, g):
        A, d = ctx.saved_tensors
        d = det(A) if _recomputing() else d
        if bool(d.ne(0).all()):
            return (g * d).unsqueeze(-1).unsqueeze(-1) * _T(inv(A))
        return g.unsqueeze(-1).unsqueeze(-1) * _cofactor(A)


def _cofactor(A):
    U, S, Vh = _linalg_ops._linalg_svd(A, False)
    ones = S.new_ones(list(S.shape[:-1]) + [1])
    before = cat([ones, S[..., :-1].cumprod(-1)], -1)  # prod_{j < i} s_j
    after = cat([ones, S.flip(-1)[..., :-1].cumprod(-1)], -1).flip(-1)  # prod_{j > i} s_j
    others = before * after
    signs = (det(U.detach()) * det(Vh.detach())).unsqueeze(-1).unsqueeze(-1)
    return signs * (U * others.unsqueeze(-2)).matmul(Vh)


@on_host
def det(A, *, out=None):
    _check_matrix(A, "linalg.det")
    if _needs_grad(A):
        result = LinalgDet.apply(A)
    else:
        diag, perm_sign = _lu_det_parts(A)
        result = diag.prod(-1) * perm_sign
    return result if out is None else out.copy_(result)


class LinalgSlogdet(_ops.Op):
    """(sign, log|det A|); the sign has no gradient. Backward: g_logabsdet A^-T."""
    _non_differentiable_outputs = (0,)

    @staticmethod
    def forward(ctx, A):
        ctx.save_for_backward(A)
        return tuple(r._impl for r in _slogdet_values(A))

    @staticmethod
    def backward(ctx, g_sign, g_logabsdet):
        (A,) = ctx.saved_tensors
        return g_logabsdet.unsqueeze(-1).unsqueeze(-1) * _T(inv(A))


def _slogdet_values(A):
    diag, perm_sign = _lu_det_parts(A)
    sign = diag.sign().prod(-1) * perm_sign
    return sign, diag.abs().log().sum(-1)


@on_host
def slogdet(A, *, out=None):
    _check_matrix(A, "linalg.slogdet")
    result = linalg_slogdet_type(*(LinalgSlogdet.apply(A) if _needs_grad(A) else _slogdet_values(A)))
    return result if out is None else linalg_slogdet_type(*(o.copy_(r) for o, r in zip(out, result)))


@on_host
def slogdet_torch(input):
    """torch.slogdet / Tensor.slogdet."""
    return slogdet_type(*slogdet(input))


@on_host
def logdet(input):
    """log det: NaN for a negative determinant, -inf for a zero one."""
    sign, logabsdet = slogdet(input)
    return logabsdet + sign.log()


# ---------------------------------------------------------- triangular solves
class LinalgSolveTriangular(_ops.Op):
    """X = A^-1 B for triangular A (batched alike). Backward: gB = A^-T g, gA = -gB X^T on A's triangle."""

    @staticmethod
    def forward(ctx, A, B, upper, unitriangular):
        X = _C.linalg_solve_triangular(A._impl, B._impl, upper, unitriangular)
        ctx.save_for_backward(A, B, upper, unitriangular, X)
        return X

    @staticmethod
    def backward(ctx, g):
        A, B, upper, unit, X = ctx.saved_tensors
        X = _triangular(A, B, upper, unit) if _recomputing() else X
        gB = _triangular(_T(A), g, not upper, unit)
        gA = None
        if ctx.needs_input_grad[0]:
            gA = -gB.matmul(_T(X))
            gA = gA.triu(1 if unit else 0) if upper else gA.tril(-1 if unit else 0)
        return gA, gB, None, None


def _triangular(A, B, upper, unitriangular):
    if _needs_grad(A, B):
        return LinalgSolveTriangular.apply(A, B, upper, unitriangular)
    return _wrap(_C.linalg_solve_triangular(A._impl, B._impl, upper, unitriangular))


@on_host
def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (X A = B when not left) for triangular A: only its upper (lower) triangle is read."""
    _check_matrix(A, "linalg.solve_triangular")
    _check_matrix(B, "linalg.solve_triangular", square=False, arg="B")
    _same_dtype(A, B, "linalg.solve_triangular")
    if not left:
        A, B, upper = _T(A), _T(B), not upper
    n = A.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and "
                           f"{B.shape[-2]}x{B.shape[-1]} if left else {B.shape[-1]}x{B.shape[-2]})")
    batch = list(_broadcast_shape(A.shape[:-2], B.shape[:-2]))
    X = _triangular(A.expand(batch + [n, n]), B.expand(batch + list(B.shape[-2:])), upper, unitriangular)
    X = X if left else _T(X)
    return X if out is None else out.copy_(X)


# ------------------------------------------------------------------ Cholesky
def _cholesky_message(k):
    return "The factorization could not be completed because the input is not positive-definite " \
           f"(the leading minor of order {k} is not positive-definite)."


class LinalgCholesky(_ops.Op):
    """A = L L^T (L lower, from A's lower triangle). Backward, with Phi = tril(L^T gL) with its diagonal
    halved: gA = L^-T (Phi + Phi^T) L^-1 / 2, symmetric."""

    @staticmethod
    def forward(ctx, A):
        L, info = _C.linalg_cholesky(A._impl)
        _raise_info(info, A.dim() > 2, "linalg.cholesky", _cholesky_message)
        ctx.save_for_backward(A, L)
        return L

    @staticmethod
    def backward(ctx, gL):
        A, L = ctx.saved_tensors
        L = cholesky(A) if _recomputing() else L
        phi = _T(L).matmul(gL).tril()
        phi = (phi + _T(phi.tril(-1))) * 0.5
        gA = _triangular(_T(L), phi, True, False)  # L^-T phi
        return _T(_triangular(_T(L), _T(gA), True, False))  # (L^-T (L^-T phi)^T)^T = L^-T phi L^-1


@on_host
def cholesky(A, *, upper=False, out=None):
    _check_matrix(A, "linalg.cholesky")
    if _needs_grad(A):
        L = LinalgCholesky.apply(A)
    else:
        L, info = _C.linalg_cholesky(A._impl)
        _raise_info(info, A.dim() > 2, "linalg.cholesky", _cholesky_message)
        L = _wrap(L)
    L = _T(L) if upper else L
    return L if out is None else out.copy_(L)


@on_host
def cholesky_solve(B, L, upper=False, *, out=None):
    """X with (L L^T) X = B for a Cholesky factor L (U^T U when upper): two triangular solves."""
    _check_matrix(L, "cholesky_solve")
    _check_matrix(B, "cholesky_solve", square=False, arg="B")
    _same_dtype(L, B, "cholesky_solve")
    if upper:
        X = solve_triangular(L, solve_triangular(_T(L), B, upper=False), upper=True)
    else:
        X = solve_triangular(_T(L), solve_triangular(L, B, upper=False), upper=True)
    return X if out is None else out.copy_(X)


# ------------------------------------------------------------------------ QR
class LinalgQr(_ops.Op):
    """A = Q R (reduced, or complete with m <= n). Backward for m >= n, with M = gR R^T - Q^T gQ and
    N = triu(M) + triu(M, 1)^T: gA = (gQ + Q N) R^-T. For m < n, A = [X Y] with X = Q R1 square and R2 = Q^T Y:
    gY = Q gR2, and X's gradient is the square case's with gQ + Y gR2^T for gQ."""

    @staticmethod
    def forward(ctx, A, complete):
        Q, R = _C.linalg_qr(A._impl, complete, True)
        ctx.save_for_backward(A, complete, Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        A, complete, Q, R = ctx.saved_tensors
        m, n = A.shape[-2], A.shape[-1]
        if _recomputing():
            Q, R = qr(A)
        if m >= n:
            return _qr_backward_tall(Q, R, gQ, gR), None
        Y = A[..., m:]
        gR1 = None if gR is None else gR[..., :m]
        if gR is not None:
            gQ = Y.matmul(_T(gR[..., m:])) if gQ is None else gQ + Y.matmul(_T(gR[..., m:]))
        gX = _qr_backward_tall(Q, R[..., :m], gQ, gR1)
        gY = Q.matmul(gR[..., m:]) if gR is not None else A.new_zeros(list(Y.shape))
        return cat([gX, gY], -1), None


def _qr_backward_tall(Q, R, gQ, gR):
    M = 0
    if gR is not None:
        M = gR.matmul(_T(R))
    if gQ is not None:
        M = M - _T(Q).matmul(gQ)
    if not isinstance(M, Tensor):
        return Q.new_zeros(list(Q.shape[:-1]) + [R.shape[-1]])
    N = M.triu() + _T(M.triu(1))
    G = Q.matmul(N) if gQ is None else gQ + Q.matmul(N)
    return _T(_triangular(R, _T(G), True, False))  # G R^-T = (R^-1 G^T)^T


@on_host
def qr(A, mode="reduced", *, out=None):
    """(Q, R) by Householder reflections, LAPACK's signs; mode 'r' returns an empty Q."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    _check_matrix(A, "linalg.qr", square=False)
    m, n = A.shape[-2], A.shape[-1]
    complete = mode == "complete"
    if _needs_grad(A):
        if mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        if complete and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        result = linalg_qr_type(*LinalgQr.apply(A, complete))
    else:
        Q, R = _C.linalg_qr(A._impl, complete, mode != "r")
        result = linalg_qr_type(_wrap(Q), _wrap(R))
    return result if out is None else linalg_qr_type(*(o.copy_(r) for o, r in zip(out, result)))


# ---------------------------------------------------------------------- eigh
class LinalgEigh(_ops.Op):
    """A = V diag(L) V^T (L ascending). Backward: gA = V (diag(gL) + skew(V^T gV) / E) V^T, skew(X) =
    (X - X^T) / 2, E_ij = L_j - L_i (infinite for repeated eigenvalues when gV is given, as torch's)."""

    @staticmethod
    def forward(ctx, A, upper):
        L, V = _C.linalg_eigh(A._impl, upper, True)
        ctx.save_for_backward(A, upper, L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        A, upper, L, V = ctx.saved_tensors
        if _recomputing():
            L, V = eigh(A, "U" if upper else "L")
        inner = L.new_zeros(list(L.shape) + [L.shape[-1]]) if gL is None else gL.diag_embed()
        if gV is not None:
            W = _T(V).matmul(gV)
            E = L.unsqueeze(-2) - L.unsqueeze(-1)
            E = E + _eye(L.shape[-1], E)  # (the skew's diagonal is 0)
            inner = inner + (W - _T(W)) * 0.5 / E
        return V.matmul(inner).matmul(_T(V)), None


def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@on_host
def eigh(A, UPLO="L", *, out=None):
    """(eigenvalues ascending, eigenvectors as columns) of the symmetric matrix in A's lower (UPLO='L') or upper
    triangle; eigenvectors are unique up to sign (for distinct eigenvalues)."""
    _check_uplo(UPLO)
    _check_matrix(A, "linalg.eigh")
    if _needs_grad(A):
        result = linalg_eigh_type(*LinalgEigh.apply(A, UPLO == "U"))
    else:
        result = linalg_eigh_type(*(_wrap(t) for t in _C.linalg_eigh(A._impl, UPLO == "U", True)))
    return result if out is None else linalg_eigh_type(*(o.copy_(r) for o, r in zip(out, result)))


@on_host
def eigvalsh(A, UPLO="L", *, out=None):
    _check_uplo(UPLO)
    _check_matrix(A, "linalg.eigvalsh")
    result = eigh(A, UPLO)[0] if _needs_grad(A) else _wrap(_C.linalg_eigh(A._impl, UPLO == "U", False)[0])
    return result if out is None else out.copy_(result)


# -------------------------------------------------------------- pinv, lstsq
def _tolerance(S, m, n, atol, rtol):
    """torch's cutoff max(atol, rtol * s_max) (..., 1); rtol defaults to eps * max(m, n) unless atol is given."""
    if rtol is None:
        rtol = 0.0 if atol is not None and not (isinstance(atol, (int, float)) and atol <= 0) else \
            _finfo_eps(S) * max(m, n)
    smax = S.amax(-1, keepdim=True) if S.shape[-1] else S.new_zeros(list(S.shape[:-1]) + [1])
    tol = smax * rtol
    if atol is not None:
        tol = tol.maximum(atol if isinstance(atol, Tensor) else tol.new_full([1], float(atol)))
    return tol


def _finfo_eps(x):
    return 2.220446049250313e-16 if x.dtype.itemsize == 8 else 1.1920928955078125e-07


@on_host
def pinv(A, *, atol=None, rtol=None, hermitian=False, out=None):
    """The pseudo-inverse from the SVD (eigh when hermitian): singular values at or below
    max(atol, rtol * s_max) count as zero. Differentiable through the SVD (eigh)."""
    if A.dim() < 2 or not A.dtype.is_floating_point:
        raise RuntimeError(f"linalg.pinv({A.dtype._legacy[:-6]}{{{list(A.shape)}}}): expected a "
                           "tensor with 2 or more dimensions of float, double, cfloat or cdouble types")
    m, n = A.shape[-2], A.shape[-1]
    if hermitian:
        w, V = eigh(A)
        tol = _tolerance(w.abs(), m, n, atol, rtol)
        keep = w.abs() > tol
        winv = keep.to(w.dtype) / w.where(keep, w.new_ones([1]))
        result = (V * winv.unsqueeze(-2)).matmul(_T(V))
    else:
        U, S, Vh = _linalg_ops._linalg_svd(A, False)
        tol = _tolerance(S, m, n, atol, rtol)
        keep = S > tol
        sinv = keep.to(S.dtype) / S.where(keep, S.new_ones([1]))
        result = (_T(Vh) * sinv.unsqueeze(-2)).matmul(_T(U))
    return result if out is None else out.copy_(result)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


@on_host
def lstsq(A, B, rcond=None, *, driver=None):
    """The minimum-norm least-squares solution of A X = B through the pseudo-inverse (rank from the singular
    values and rcond, default eps * max(m, n)), with torch's CPU outputs per driver (default 'gelsy'): residuals
    for a full-rank tall A (not with gelsy), the rank (not with gels), the singular values (gelsd, gelss)."""
    _check_matrix(A, "torch.linalg.lstsq", square=False)
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    _same_dtype(A, B, "torch.linalg.lstsq")
    vector = B.dim() == A.dim() - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.dim() < 2 or Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2], A.shape[-1]
    U, S, Vh = _linalg_ops._linalg_svd(A, False)
    tol = _tolerance(S.detach(), m, n, None, None if rcond is None or rcond < 0 else rcond)
    keep = S > tol
    sinv = keep.to(S.dtype) / S.where(keep, S.new_ones([1]))
    X = (_T(Vh) * sinv.unsqueeze(-2)).matmul(_T(U).matmul(Bm))
    rank = keep.sum(-1)
    empty = A.new_zeros([0])
    residuals = empty
    if driver != "gelsy" and m > n and bool(rank.eq(n).all()):
        residuals = (A.matmul(X) - Bm).square().sum(-2)
        residuals = residuals.squeeze(-1) if vector else residuals
    X = X.squeeze(-1) if vector else X
    return linalg_lstsq_type(X, residuals, rank if driver != "gels" else rank.new_zeros([0]),
                             S.detach() if driver in ("gelsd", "gelss") else empty)


# ------------------------------------------------------------ torch.<name>
@on_host
def cholesky_deprecated(input, upper=False, *, out=None):
    """torch.cholesky / Tensor.cholesky (deprecated in torch for linalg.cholesky)."""
    warnings.warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future "
                  "PyTorch release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\n"
                  "and\nU = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
                  "This transform will produce equivalent results for all valid (symmetric positive definite) "
                  "inputs.", UserWarning, stacklevel=2)
    return cholesky(input, upper=upper, out=out)


@on_host
def det_torch(input):
    """torch.det / Tensor.det."""
    return det(input)


@on_host
def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"inverse": inverse, "det": det_torch, "logdet": logdet, "slogdet": slogdet_torch,
           "cholesky": cholesky_deprecated, "cholesky_solve": cholesky_solve, "pinverse": pinverse}
FUNCTIONS = METHODS
