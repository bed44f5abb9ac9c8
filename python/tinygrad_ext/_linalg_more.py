"""torch.linalg beyond the basic solvers, composed from them: the _ex variants (inv_ex, solve_ex), matrix_power,
matrix_exp (Taylor series with scaling and squaring), matrix_rank, tensorinv, tensorsolve, householder_product from
geqrf's reflectors, the LDL factorization (Bunch-Kaufman, csrc/cpu/lu.cpp) and its solve; and the older torch.*
spellings: torch.qr, torch.lu, lu_unpack, torch.lu_solve, triangular_solve, cholesky_inverse, geqrf, orgqr."""
import math
import warnings

from . import _C, _ops, return_types
from ._host import on_host
from ._linalg_basic import (_NOT_FLOAT_OR_DOUBLE, _check_matrix, _cholesky_message, _inv_message, _lu, _lu_dims,
                            _lu_factor_ex, _raise_info, _same_dtype, _solve_message, _T, _tolerance, cholesky_solve,
                            eigvalsh, inv, lu_factor, lu_factor_ex, lu_solve, qr, solve, solve_triangular)
from ._ops import _eye
from ._linalg_ops import _svdvals, addbmm, addmv, addr, baddbmm
from ._reduction_ops import _return_type
from .tensor import Tensor, _broadcast_shape, _check_inplace, _named, _needs_grad, _wrap, cat

linalg_cholesky_ex_type = return_types.linalg_cholesky_ex
linalg_inv_ex_type = return_types.linalg_inv_ex
linalg_solve_ex_type = return_types.linalg_solve_ex
linalg_ldl_factor_type = _return_type("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex_type = _return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
qr_type = _return_type("qr", ("Q", "R"))
geqrf_type = _return_type("geqrf", ("a", "tau"))
linalg_lu_type = _return_type("linalg_lu", ("P", "L", "U"))
lu_with_info_type = _return_type("_lu_with_info", ("LU", "pivots", "info"))
lu_unpack_type = _return_type("lu_unpack", ("P", "L", "U"))
triangular_solve_type = _return_type("triangular_solve", ("solution", "cloned_coefficient"))


def _copy_out(out, result):
    if out is None:
        return result
    if isinstance(result, tuple):
        return type(result)(*(o.copy_(r) for o, r in zip(out, result)))
    return out.copy_(result)


# ------------------------------------------------------------- _ex variants
@on_host
def inv_ex(A, *, check_errors=False, out=None):
    """(A^-1, info): info is 0, or the first zero pivot's 1-based index of a singular matrix (whose inverse is then
    meaningless); with check_errors a singular matrix raises LinAlgError as inv does."""
    _check_matrix(A, "linalg.inv")
    result = _ops.LINALG_OPS["linalg_inv_ex"].apply(A, check_errors)
    if check_errors:
        _raise_info(result.info._impl, A.dim() > 2, "linalg.inv_ex", _inv_message)
    return _copy_out(out, result)


@on_host
def solve_ex(A, B, *, left=True, check_errors=False, out=None):
    """(X, info) with A X = B (X A = B when not left); info as inv_ex's. For a singular A, X is meaningless."""
    _check_matrix(A, "linalg.solve")
    info = _wrap(_lu(A)[2])
    if check_errors:
        _raise_info(info._impl, A.dim() > 2, "linalg.solve_ex", _solve_message)
    if bool(info.ne(0).any()):
        nan = A.new_full([1], math.nan)
        X = solve(A.detach().where(info.eq(0).unsqueeze(-1).unsqueeze(-1), _eye(A.shape[-1], A)), B.detach(),
                  left=left)
        X = X.where(info.eq(0).reshape(list(info.shape) + [1] * (X.dim() - info.dim())), nan)
    else:
        X = solve(A, B, left=left)
    return _copy_out(out, linalg_solve_ex_type(X, info))


@on_host
def cholesky_ex(A, *, upper=False, check_errors=False, out=None):
    """(L, info): linalg.cholesky without raising; info is 0, or the order of the first leading minor that is not
    positive-definite (L is then incomplete). check_errors raises LinAlgError as cholesky does."""
    _check_matrix(A, "linalg.cholesky")
    result = _ops.LINALG_OPS["linalg_cholesky_ex"].apply(A, upper, check_errors)
    if check_errors:
        _raise_info(result.info._impl, A.dim() > 2, "linalg.cholesky_ex", _cholesky_message)
    return _copy_out(out, result)


# ---------------------------------------------------------------- powers
def _check_square(A, name):
    if not isinstance(A, Tensor):
        raise TypeError(f"{name}(): argument 'A' must be Tensor, not {type(A).__name__}")
    if A.dim() < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")


def matrix_power(A, n, *, out=None):
    """A^n by repeated squaring (torch's order of products); n < 0 inverts first, n = 0 gives the identity."""
    _check_square(A, "linalg.matrix_power")
    if n == 0:
        result = _eye(A.shape[-1], A).expand(list(A.shape)).clone()
        return _copy_out(out, result)
    if n < 0:
        A, n = inv(A), -n
    if n == 1:
        result = A.clone()
    elif n == 2:
        result = A.matmul(A)
    elif n == 3:
        result = A.matmul(A).matmul(A)
    else:
        result, z = None, None
        while n > 0:
            z = A if z is None else z.matmul(z)
            if n % 2:
                result = z if result is None else result.matmul(z)
            n //= 2
    return _copy_out(out, result)


_UNIT_ROUNDOFF = {4: 2.0 ** -24, 8: 2.0 ** -53}
_WARNED = [False]  # triangular_solve's deprecation


def matrix_exp(A):
    """exp(A): A / 2^s has a 1-norm at most 1 (the largest of the batch), exp of that by its Taylor series to the
    dtype's precision (Horner's rule: one matmul per term), then squared s times. Differentiable through the
    matmuls."""
    _check_square(A, "linalg.matrix_exp")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"linalg.matrix_exp: Expected a floating point or complex tensor as input. Got "
                           f"{A.dtype._legacy[:-6]}")
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    norm = float(A.detach().abs().sum(-2).amax())
    if not math.isfinite(norm):
        return A.new_full(list(A.shape), math.nan)
    s = max(0, math.ceil(math.log2(norm))) if norm > 1 else 0
    X = A / 2.0 ** s if s else A
    x, eps = norm / 2.0 ** s, _UNIT_ROUNDOFF.get(A.dtype.itemsize, 2.0 ** -24)
    terms, bound = 1, x
    while bound > eps and terms < 30:  # x^(m+1) / (m+1)! bounds the remainder of the first m terms
        terms += 1
        bound *= x / terms
    eye = _eye(n, A)
    E = eye + X / terms
    for k in range(terms - 1, 0, -1):
        E = eye + X.matmul(E) / k
    for _ in range(s):
        E = E.matmul(E)
    return _named(E, "LinalgMatrixExpBackward0")


# --------------------------------------------------------- rank, tensors
@on_host
def matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None, out=None):
    """The number of singular values (|eigenvalues| when hermitian) above max(atol, rtol * largest); tol= (torch's
    older spelling) is atol with rtol 0."""
    if A.dim() < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if not (A.dtype.is_floating_point and A.dtype.itemsize >= 4):
        raise RuntimeError(_NOT_FLOAT_OR_DOUBLE)
    if tol is not None:
        atol, rtol = tol, 0.0
    S = eigvalsh(A).abs() if hermitian else _svdvals(A)
    S = S.detach()
    rank = S.gt(_tolerance(S, A.shape[-2], A.shape[-1], atol, rtol)).sum(-1)
    return _copy_out(out, rank)


def tensorinv(A, ind=2, *, out=None):
    """The inverse of A read as a (prod(A.shape[:ind]) x prod(A.shape[ind:])) matrix, shaped A.shape[ind:] +
    A.shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {cols} != {rows}")
    result = inv(A.reshape(rows, cols)).reshape(list(A.shape[ind:]) + list(A.shape[:ind]))
    return _copy_out(out, result)


def tensorsolve(A, B, dims=None, *, out=None):
    """X with tensordot(A, X, X.dim()) = B: A's dims `dims` are moved last first; X has A.shape[B.dim():]."""
    if dims is not None:
        dims = [d % A.dim() for d in dims]
        A = A.movedim(dims, list(range(A.dim() - len(dims), A.dim())))
    result_shape = list(A.shape[B.dim():])
    rows, cols = B.numel(), math.prod(result_shape)
    if math.prod(A.shape[:B.dim()]) != cols or rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[other.ndim:]) == "
                           f"prod(self.shape[:other.ndim]), but got {cols} != {math.prod(A.shape[:B.dim()])}")
    result = solve(A.reshape(rows, cols), B.reshape(rows)).reshape(result_shape)
    return _copy_out(out, result)


# ---------------------------------------------------------------- Householder
@on_host
def geqrf(input, *, out=None):
    """(a, tau): LAPACK's QR layout, R in a's upper triangle and the Householder vectors below it. Not
    differentiable (as torch's)."""
    _check_matrix(input, "geqrf", square=False)
    a, tau = _C.linalg_geqrf(input.detach()._impl)
    return _copy_out(out, geqrf_type(_wrap(a), _wrap(tau)))


def householder_product(A, tau, *, out=None):
    """The first n columns of H_1 ... H_k, H_i = I - tau_i v_i v_i^T with v_i = (0, ..., 1, A[i+1:, i]) (geqrf's
    Q); the reflectors applied right to left, each one rank-1 update. Differentiable in A and tau."""
    name = "torch.linalg.householder_product"
    if A.dim() < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if tau.dim() < 1:
        raise RuntimeError(f"{name}: tau must have at least 1 dimension.")
    m, n, k = A.shape[-2], A.shape[-1], tau.shape[-1]
    if m < n:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if n < k:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if A.dim() - tau.dim() != 1 or tuple(A.shape[:-2]) != tuple(tau.shape[:-1]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    _same_dtype(A, tau, name)
    if not (A.dtype.is_floating_point and A.dtype.itemsize >= 4):
        raise NotImplementedError(f'"orgqr_cpu" not implemented for \'{A.dtype._legacy[:-6]}\'')
    eye = _wrap(_C.eye(m, n, A.dtype.id, *A.device._code))
    V = A.tril(-1) + eye
    Q = eye.expand(list(A.shape)).clone() if k == 0 else eye.expand(list(A.shape))
    for i in range(k - 1, -1, -1):
        v = V[..., :, i:i + 1]
        Q = Q - (tau[..., i:i + 1].unsqueeze(-1) * v).matmul(_T(v).matmul(Q))
    return _copy_out(out, _named(Q, "LinalgHouseholderProductBackward0"))


def orgqr(input, tau):
    return householder_product(input, tau)


def ormqr(input, tau, other, left=True, transpose=False, *, out=None):
    """op(Q) other (other op(Q) when not left) for geqrf's (input, tau): Q the full m x m product of the
    reflectors, op(Q) = Q^T when transpose. Differentiable (through householder_product)."""
    m = input.shape[-2]
    if (other.shape[-2] if left else other.shape[-1]) != m:
        raise RuntimeError(f"torch.ormqr: other.shape[{-2 if left else -1}] must be equal to input.shape[-2]")
    square = cat([input, input.new_zeros(list(input.shape[:-1]) + [m - input.shape[-1]])], -1) \
        if input.shape[-1] < m else input[..., :m]
    Q = householder_product(square, tau)
    Q = _T(Q) if transpose else Q
    return _copy_out(out, Q.matmul(other) if left else other.matmul(Q))


# ------------------------------------------------------------------------ LDL
@on_host
def ldl_factor_ex(A, *, hermitian=False, check_errors=False, out=None):
    """(LD, pivots, info) of P A P^T = L D L^T for symmetric A (its lower triangle read): LAPACK's sytrf layout."""
    _check_matrix(A, "torch.linalg.ldl_factor_ex")
    LD, pivots, info = (_wrap(t) for t in _C.linalg_ldl_factor(A.detach()._impl))
    if check_errors:
        _raise_info(info._impl, A.dim() > 2, "torch.linalg.ldl_factor_ex",
                    lambda k: f"The factorization could not be completed because the input is singular: D[{k - 1}, "
                              f"{k - 1}] is zero.", RuntimeError)
    return _copy_out(out, linalg_ldl_factor_ex_type(LD, pivots, info))


@on_host
def ldl_factor(A, *, hermitian=False, out=None):
    LD, pivots, info = ldl_factor_ex(A, hermitian=hermitian, check_errors=True)
    return _copy_out(out, linalg_ldl_factor_type(LD, pivots))


@on_host
def ldl_solve(LD, pivots, B, *, hermitian=False, out=None):
    """X with A X = B from ldl_factor's (LD, pivots); batch dims broadcast."""
    _check_matrix(LD, "torch.linalg.ldl_solve", arg="LD")
    _check_matrix(B, "torch.linalg.ldl_solve", square=False, arg="B")
    _same_dtype(LD, B, "torch.linalg.ldl_solve")
    n = LD.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"Incompatible matrix sizes for torch.linalg.ldl_solve: each A matrix is {n} by {n} but "
                           f"each b matrix is {B.shape[-2]} by {B.shape[-1]}")
    batch = list(_broadcast_shape(_broadcast_shape(LD.shape[:-2], B.shape[:-2]), pivots.shape[:-1]))
    X = _C.linalg_ldl_solve(LD.detach().expand(batch + [n, n])._impl, pivots.expand(batch + [n]).contiguous()._impl,
                            B.detach().expand(batch + list(B.shape[-2:]))._impl)
    return _copy_out(out, _wrap(X))


# ------------------------------------------------------------------ torch.*
_QR_WARNED = [False]


def qr_torch(input, some=True, *, out=None):
    """torch.qr / Tensor.qr (deprecated in torch for linalg.qr): (Q, R), reduced when some."""
    if not _QR_WARNED[0]:
        _QR_WARNED[0] = True
        warnings.warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch "
                      "release.\nThe boolean parameter 'some' has been replaced with a string parameter 'mode'.\n"
                      "Q, R = torch.qr(A, some)\nshould be replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if some "
                      "else 'complete')", UserWarning, stacklevel=2)
    return _copy_out(out, qr_type(*qr(input, "reduced" if some else "complete")))


def lu_torch(A, pivot=True, get_infos=False, out=None):
    """torch.lu / Tensor.lu: (LU, pivots), and info with get_infos (else a singular matrix raises)."""
    warnings.warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be "
                  "removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced "
                  "with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = torch.lu(A, "
                  "compute_pivots, get_infos=True)\nshould be replaced with\nLU, pivots, info = "
                  "torch.linalg.lu_factor_ex(A, compute_pivots)", UserWarning, stacklevel=2)
    if get_infos:
        return _copy_out(out, lu_with_info_type(*lu_factor_ex(A, pivot=pivot)))
    result = tuple(lu_factor(A, pivot=pivot))
    return result if out is None else tuple(o.copy_(r) for o, r in zip(out, result))


@on_host
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True, *, out=None):
    """(P, L, U) with A = P L U from lu_factor's packed (LU, pivots); L (..., m, k) unit lower, U (..., k, n)."""
    m, n = LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    empty = LU_data.new_zeros([0])
    L = U = P = empty
    if unpack_data:
        L = LU_data[..., :, :k].tril(-1) + _wrap(_C.eye(m, k, LU_data.dtype.id, *LU_data.device._code))
        U = LU_data[..., :k, :].triu()
    if unpack_pivots:
        pivots = LU_pivots
        if k < m:  # (rows past k are not swapped)
            rest = _wrap(_C.arange(k + 1, m + 1, 1, pivots.dtype.id, *pivots.device._code))
            pivots = cat([pivots, rest.expand(list(pivots.shape[:-1]) + [m - k])], -1)
        eye = _eye(m, LU_data).expand(list(pivots.shape[:-1]) + [m, m])
        P = _T(_wrap(_C.linalg_lu_solve(eye._impl, pivots.contiguous()._impl, eye._impl)))  # (getrf's P^T)
    return _copy_out(out, lu_unpack_type(P, L, U))


@on_host
def lu(A, *, pivot=True, out=None):
    """torch.linalg.lu: (P, L, U) with A = P L U, L unit lower (..., m, k) and U upper (..., k, n); differentiable
    for square A (through lu_factor)."""
    _lu_dims(A, "linalg.lu")
    _check_matrix(A, "linalg.lu", square=False, kernel="lu_cpu")
    if not pivot:
        raise RuntimeError("linalg.lu_factor: LU without pivoting is not implemented on the CPU")
    LU, pivots, _ = _lu_factor_ex(A, "linalg.lu")  # (a singular A factors fine: U has a zero on its diagonal)
    P, L, U = lu_unpack(LU, pivots)
    return _copy_out(out, linalg_lu_type(P, _named(L, "LinalgLuBackward0"), _named(U, "LinalgLuBackward0")))


def lu_solve_torch(b, LU_data, LU_pivots, *, out=None):
    """torch.lu_solve / Tensor.lu_solve (b first)."""
    return _copy_out(out, lu_solve(LU_data, LU_pivots, b))


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """(X, A.clone()) with op(A) X = b for triangular A, op(A) = A^T when transpose."""
    if not _WARNED[0]:  # (torch warns once per process)
        _WARNED[0] = True
        warnings.warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
                      "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments reversed "
                      "and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\n"
                      "should be replaced with\nX = torch.linalg.solve_triangular(A, B).", UserWarning, stacklevel=2)
    if A.dim() < 2 or b.dim() < 2:
        raise RuntimeError(f"torch.triangular_solve: Expected b to have at least 2 dimensions, but it has "
                           f"{b.dim()} dimensions instead" if b.dim() < 2 else
                           f"torch.triangular_solve: Expected A to have at least 2 dimensions, but it has "
                           f"{A.dim()} dimensions instead")
    if A.shape[-1] != A.shape[-2] or b.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"Incompatible matrix sizes for triangular_solve: each A matrix is {A.shape[-2]} by "
                           f"{A.shape[-1]} but each b matrix is {b.shape[-2]} by {b.shape[-1]}")
    X = solve_triangular(_T(A) if transpose else A, b, upper=upper != transpose, unitriangular=unitriangular)
    return _copy_out(out, triangular_solve_type(X, A.clone()))


@on_host
def cholesky_inverse(L, upper=False, *, out=None):
    """(L L^T)^-1 (U^T U when upper) from a Cholesky factor: cholesky_solve of the identity."""
    _check_matrix(L, "cholesky_inverse")
    result = cholesky_solve(_eye(L.shape[-1], L).expand(list(L.shape)), L, upper)
    return _copy_out(out, _named(result, "CholeskyInverseBackward0"))


def _in_place(name, fn):
    """Tensor.<name>: the product fn(self, ...) written into self, which takes its node (AddmmBackward0, ...) as
    torch's in-place variants (the products' formulas do not read self: no copy of it is kept)."""
    def method(self, *args, **kwargs):
        if _needs_grad(self, *args):
            _check_inplace(self)
            return self._rebase(fn(self, *args, **kwargs))
        return self.copy_(fn(self, *args, **kwargs))
    method.__name__ = method.__qualname__ = name
    return method


def adjoint(input):
    """The conjugate transpose of the last two dims (the transpose, for this library's real dtypes): a view."""
    if input.dim() < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input.dim()}-D tensor.")
    return input.transpose(-2, -1)


IN_PLACE = {name: _in_place(name, fn) for name, fn in (
    ("addmm_", lambda self, mat1, mat2, *, beta=1, alpha=1: self.addmm(mat1, mat2, beta=beta, alpha=alpha)),
    ("addmv_", addmv), ("addr_", addr), ("addbmm_", addbmm), ("baddbmm_", baddbmm))}
# Tensor.<name> (installed by __init__) and torch.<name>
METHODS = {"qr": qr_torch, "lu": lu_torch, "lu_solve": lu_solve_torch, "triangular_solve": triangular_solve,
           "cholesky_inverse": cholesky_inverse, "geqrf": geqrf, "orgqr": orgqr, "ormqr": ormqr,
           "matrix_power": matrix_power, "matrix_exp": matrix_exp, "adjoint": adjoint, **IN_PLACE}
FUNCTIONS = {**{k: v for k, v in METHODS.items() if k not in IN_PLACE}, "lu_unpack": lu_unpack}
