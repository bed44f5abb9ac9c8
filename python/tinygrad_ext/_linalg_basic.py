"""torch.linalg's dense solvers beside the SVD: LU (lu_factor, solve, inv, det, slogdet), triangular solves,
Cholesky (cholesky, cholesky_solve), Householder QR, the symmetric eigendecomposition (eigh, eigvalsh), and pinv
and lstsq on top of the SVD. The factorizations are the CPU kernels of csrc/cpu/lu.cpp (CUDA tensors go through
the host: _host.on_host); the rest are Tensor ops. The graph nodes are the registry's LINALG rows
(_ops.LINALG_OPS: linalg_lu_factor_ex, linalg_solve_ex, linalg_inv_ex, linalg_det, ...); the functions here check
their arguments, broadcast batch dims, call the row's op and raise on its `info`."""
import warnings

from . import _C, _linalg_ops, _ops, return_types
from ._host import on_host
from ._ops import _permutation_T, _solve_triangular
from ._reduction_ops import _return_type
from .tensor import Tensor, _broadcast_shape, _named, _needs_grad, _wrap, write_out


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError (torch._C._LinAlgError, the name its errors print): a singular or not
    positive-definite input."""


LinAlgError = _LinAlgError
_LINALG = _ops.LINALG_OPS  # the registry's ops (_registry.LINALG)


linalg_lu_factor_type = _return_type("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex_type = return_types.linalg_lu_factor_ex
linalg_slogdet_type = return_types.linalg_slogdet
slogdet_type = _return_type("slogdet", ("sign", "logabsdet"))
linalg_qr_type = return_types.linalg_qr
linalg_eigh_type = return_types.linalg_eigh
linalg_lstsq_type = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))


def _T(x):
    return x.transpose(-2, -1)


def _check_matrix(A, name, square=True, arg="A", *, kernel=None):
    """torch's input checks of a linalg op: a tensor of 2 or more dims, float32/float64, square; an op whose
    kernel is the dtype check (`kernel`: its CPU name) raises its NotImplementedError after the shape checks."""
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' must be Tensor, not {type(A).__name__}")
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    unsupported = not A.dtype.is_floating_point or A.dtype.itemsize < 4
    if unsupported and kernel is None:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {A.dtype._legacy[:-6]}")
    if square and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    if unsupported:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{A.dtype._legacy[:-6]}\'')


_NOT_FLOAT_OR_DOUBLE = "This function doesn't handle types other than float and double"


def _lu_dims(A, name):
    if isinstance(A, Tensor) and A.dim() < 2:
        raise RuntimeError(f"{name}: Expected tensor with 2 or more dimensions. Got size: {list(A.shape)} instead")


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


# ------------------------------------------------------------------------ LU
def _lu_message(k):
    return f"U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. If you still want to " \
        "perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"


def _lu(A):
    return _C.linalg_lu_factor(A._impl)


def _lu_factor_ex(A, name):
    if _needs_grad(A):
        if A.shape[-1] != A.shape[-2]:
            raise RuntimeError(f"{name}: the derivative of the LU factorization of non-square matrices is not "
                               "implemented; factor A.detach()")
    return _LINALG["linalg_lu_factor_ex"].apply(A, True, False)


@on_host
def lu_factor_ex(A, *, pivot=True, check_errors=False, out=None):
    """P A = L U with partial pivoting: (LU, pivots, info), LAPACK's getrf layout; differentiable for square A."""
    _lu_dims(A, "torch.lu_factor")
    _check_matrix(A, "linalg.lu_factor_ex", square=False, kernel="lu_cpu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, pivots, info = _lu_factor_ex(A, "linalg.lu_factor_ex")
    if check_errors:
        _raise_info(info._impl, A.dim() > 2, "linalg.lu_factor_ex", _lu_message, RuntimeError)
    result = linalg_lu_factor_ex_type(LU, pivots, info)
    return result if out is None else linalg_lu_factor_ex_type(*(o.copy_(r) for o, r in zip(out, result)))


@on_host
def lu_factor(A, *, pivot=True, out=None):
    _lu_dims(A, "torch.lu_factor")
    _check_matrix(A, "linalg.lu_factor", square=False, kernel="lu_cpu")
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
        if B.shape[-1] != n:
            raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                               f"XA = B ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
        X = lu_solve(LU, pivots, _T(B), adjoint=not adjoint)
        X = _named(_T(X), "LinalgLuSolveBackward0")
        return X if out is None else write_out(out, X)
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"AX = B ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")  # (torch's words, adjoint too)
    batch = list(_broadcast_shape(_broadcast_shape(LU.shape[:-2], B.shape[:-2]), pivots.shape[:-1]))
    LU, B = LU.expand(batch + [n, n]), B.expand(batch + list(B.shape[-2:]))
    pivots = pivots.expand(batch + [n]).contiguous()
    if adjoint:  # A^T = U^T L^T P^T: X = P L^-T U^-T B
        Z = _solve_triangular(_T(LU), B, False)
        Z = _solve_triangular(_T(LU), Z, True, unitriangular=True)
        X = _T(_permutation_T(pivots, n, LU)).matmul(Z)
    elif _needs_grad(LU, B):  # X = U^-1 L^-1 P^T B
        Z = _solve_triangular(LU, _permutation_T(pivots, n, LU).matmul(B), False, unitriangular=True)
        X = _solve_triangular(LU, Z, True)
    else:
        X = _wrap(_C.linalg_lu_solve(LU._impl, pivots._impl, B._impl))
    X = _named(X, "LinalgLuSolveBackward0")
    return X if out is None else write_out(out, X)


def _solve_message(k):
    return "The solver failed because the input matrix is singular."


def _solve_batched(A, B, left=True):
    """X with A X = B (X A = B when not left), A and B batched alike; LinAlgError for a singular A."""
    X, info = _LINALG["linalg_solve_ex"].apply(A, B, left, False)
    _raise_info(info._impl, A.dim() > 2, "torch.linalg.solve", _solve_message)
    return X


@on_host
def solve(A, B, *, left=True, out=None):
    """X with A X = B (X A = B when not left). B is a batch of vectors when it is 1-D or has A's shape less the
    last dim (as torch's); batch dims broadcast."""
    _check_matrix(A, "linalg.solve")
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg_solve(): argument 'B' (position 2) must be Tensor, not {type(B).__name__}")
    _same_dtype(A, B, "linalg.solve")
    n = A.shape[-1]
    vector = B.dim() == 1 or (B.dim() == A.dim() - 1 and tuple(B.shape) == tuple(A.shape[:-1]))  # (left or not)
    Bm = B.unsqueeze(-1) if vector else B
    Bl = Bm if left else _T(Bm)  # (the equation as A X = B)
    if Bl.dim() < 2 or Bl.shape[-2] != n:
        rows, cols = (Bl.shape[-2], Bl.shape[-1]) if Bl.dim() >= 2 else (1, Bl.shape[0])
        shape = f"{rows}x{cols}" if left else f"{cols}x{rows}"
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shape})")
    batch = _broadcast_shape(Bm.shape[:-2], A.shape[:-2])  # (torch's order: B's batch is tensor a)
    A = A.expand(list(batch) + [n, n])
    X = _solve_batched(A, B.expand(list(batch) + list(B.shape[-1 if vector else -2:])), left)
    return X if out is None else write_out(out, X)


def _inv_message(k):
    return f"The diagonal element {k} is zero, the inversion could not be completed because the input " \
           "matrix is singular."


@on_host
def inv(A, *, out=None):
    _check_matrix(A, "linalg.inv")
    result, info = _LINALG["linalg_inv_ex"].apply(A, False)
    _raise_info(info._impl, A.dim() > 2, "linalg.inv", _inv_message)
    return result if out is None else write_out(out, result)


@on_host
def inverse(input, *, out=None):
    return inv(input, out=out)


@on_host
def det(A, *, out=None):
    _check_matrix(A, "linalg.det")
    result = _LINALG["linalg_det"].apply(A)
    return result if out is None else write_out(out, result)


@on_host
def slogdet(A, *, out=None):
    _check_matrix(A, "linalg.slogdet")
    result = _LINALG["linalg_slogdet"].apply(A)
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
@on_host
def solve_triangular(A, B, *, upper, left=True, unitriangular=False, out=None):
    """X with A X = B (X A = B when not left) for triangular A: only its upper (lower) triangle is read."""
    _check_matrix(A, "linalg.solve_triangular", kernel="triangular_solve_cpu")
    _check_matrix(B, "linalg.solve_triangular", square=False, arg="B")
    _same_dtype(A, B, "linalg.solve_triangular")
    n = A.shape[-1]
    if B.shape[-2 if left else -1] != n:
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    batch = list(_broadcast_shape(A.shape[:-2], B.shape[:-2]))
    X = _solve_triangular(A.expand(batch + [n, n]), B.expand(batch + list(B.shape[-2:])), upper, left, unitriangular)
    return X if out is None else write_out(out, X)


# ------------------------------------------------------------------ Cholesky
def _cholesky_message(k):
    return "The factorization could not be completed because the input is not positive-definite " \
           f"(the leading minor of order {k} is not positive-definite)."


@on_host
def cholesky(A, *, upper=False, out=None):
    _check_matrix(A, "linalg.cholesky")
    L, info = _LINALG["linalg_cholesky_ex"].apply(A, upper, False)
    _raise_info(info._impl, A.dim() > 2, "linalg.cholesky", _cholesky_message)
    return L if out is None else write_out(out, L)


@on_host
def cholesky_solve(B, L, upper=False, *, out=None):
    """X with (L L^T) X = B for a Cholesky factor L (U^T U when upper): two triangular solves."""
    for X, arg, name in ((B, "input", "b"), (L, "input2", "u")):  # (torch's checks, in its order and words)
        if not isinstance(X, Tensor):
            raise TypeError(f"cholesky_solve(): argument '{arg}' must be Tensor, not {type(X).__name__}")
        if X.dim() < 2:
            raise RuntimeError(f"{name} should have at least 2 dimensions, but has {X.dim()} dimensions instead")
    if B.dtype != L.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {B.dtype._legacy[:-6]} and "
                           f"A of type {L.dtype._legacy[:-6]} instead.")
    n = L.shape[-1]
    if L.shape[-2] != n:
        raise RuntimeError(f"A must be batches of square matrices, but they are {L.shape[-2]} by {n} matrices")
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {n} by {n} but each b "
                           f"matrix is {B.shape[-2]} by {B.shape[-1]}")
    _check_matrix(L, "cholesky_solve", kernel="cholesky_solve_cpu")
    if upper:
        X = solve_triangular(L, solve_triangular(_T(L), B, upper=False), upper=True)
    else:
        X = solve_triangular(_T(L), solve_triangular(L, B, upper=False), upper=True)
    X = _named(X, "CholeskySolveBackward0")
    return X if out is None else write_out(out, X)


# ------------------------------------------------------------------------ QR
@on_host
def qr(A, mode="reduced", *, out=None):
    """(Q, R) by Householder reflections, LAPACK's signs; mode 'r' returns an empty Q."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', "
                           "or 'complete'")
    _check_matrix(A, "linalg.qr", square=False)
    result = _LINALG["linalg_qr"].apply(A, mode)
    return result if out is None else linalg_qr_type(*(o.copy_(r) for o, r in zip(out, result)))


# ---------------------------------------------------------------------- eigh
def _check_uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@on_host
def eigh(A, UPLO="L", *, out=None):
    """(eigenvalues ascending, eigenvectors as columns) of the symmetric matrix in A's lower (UPLO='L') or upper
    triangle; eigenvectors are unique up to sign (for distinct eigenvalues)."""
    _check_uplo(UPLO)
    _check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu")
    result = _LINALG["linalg_eigh"].apply(A, UPLO)
    return result if out is None else linalg_eigh_type(*(o.copy_(r) for o, r in zip(out, result)))


@on_host
def eigvalsh(A, UPLO="L", *, out=None):
    _check_uplo(UPLO)
    _check_matrix(A, "linalg.eigh", kernel="linalg_eigh_cpu")
    result = eigh(A, UPLO)[0] if _needs_grad(A) else _wrap(_C.linalg_eigh(A._impl, UPLO == "U", False)[0])
    return result if out is None else write_out(out, result)


# -------------------------------------------------------------- pinv, lstsq
def _tolerance(S, m, n, atol, rtol):
    """torch's cutoff max(atol, rtol * s_max) (..., 1); rtol defaults to eps * max(m, n) unless atol is given."""
    default = _finfo_eps(S) * max(m, n)
    # (a tensor tolerance is per matrix: it broadcasts with the batch dims)
    atol, rtol = (t.to(S.dtype).unsqueeze(-1) if isinstance(t, Tensor) else t for t in (atol, rtol))
    if rtol is None and isinstance(atol, Tensor):  # (torch's, elementwise: no default rtol where atol > 0)
        rtol = atol.gt(0).logical_not().to(S.dtype) * default
    elif rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else default
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
    result = _named(result, "LinalgPinvBackward0")
    return result if out is None else write_out(out, result)


_LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


@on_host
def lstsq(A, B, rcond=None, *, driver=None):
    """The minimum-norm least-squares solution of A X = B through the pseudo-inverse (rank from the singular
    values and rcond, default eps * max(m, n)), with torch's CPU outputs per driver (default 'gelsy'): residuals
    for a full-rank tall A (not with gelsy), the rank (not with gels), the singular values (gelsd, gelss)."""
    if isinstance(A, Tensor) and A.dim() < 2:
        raise RuntimeError("torch.linalg.lstsq: input must have at least 2 dimensions.")
    if isinstance(A, Tensor) and not (A.dtype.is_floating_point and A.dtype.itemsize >= 4):
        raise RuntimeError(_NOT_FLOAT_OR_DOUBLE)
    _check_matrix(A, "torch.linalg.lstsq", square=False)
    driver = "gelsy" if driver is None else driver
    if driver not in _LSTSQ_DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")
    if A.dtype != B.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's "
                           f"dtype {A.dtype._legacy[:-6]} and other's dtype {B.dtype._legacy[:-6]}")
    if not 0 <= A.dim() - B.dim() <= 1:
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and "
                           "(input.dim() - other.dim()) <= 1")
    vector = B.dim() == A.dim() - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size({-1 if vector else -2})")
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
    X = _named(X.squeeze(-1) if vector else X, "LinalgLstsqBackward0")
    residuals = _named(residuals, "LinalgLstsqBackward0")
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
