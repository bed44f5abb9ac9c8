"""torch.linalg: norms (vector_norm, matrix_norm, norm), svd and svdvals (a CPU kernel: CUDA tensors go through the
host, _host.on_host), cross, vecdot, matmul. The matrix norms ord 2, -2 and 'nuc' are the largest, smallest and summed
singular values. The solvers and factorizations (solve, inv, det, slogdet, lu_factor, cholesky, qr, eigh, pinv,
lstsq, ...) are _linalg_basic's (CPU kernels, likewise); the _ex variants, matrix_power/exp/rank, tensorinv/solve,
householder_product and the LDL factorization _linalg_more's."""
import math
import numbers

from . import _C, _dtype, _linalg_ops, _ops
from ._linalg_basic import (LinAlgError, cholesky, det, eigh, eigvalsh, inv, lstsq, lu_factor, lu_factor_ex,
                            lu_solve, pinv, qr, slogdet, solve, solve_triangular)
from ._linalg_more import (cholesky_ex, householder_product, inv_ex, ldl_factor, ldl_factor_ex, ldl_solve, lu,
                           matrix_exp, matrix_power, matrix_rank, solve_ex, tensorinv, tensorsolve)
from .tensor import cat as _ops_cat
from .tensor import matmul, write_out

__all__ = ["LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eigh", "eigvalsh",
           "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve", "lstsq", "lu",
           "lu_factor", "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power",
           "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd",
           "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"]


def _float_input(x, dtype, name):
    """x (float) in the dtype= given: torch checks x's dtype, then that dtype= is a float one x converts to
    without narrowing."""
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {x.dtype._legacy[:-6]}")
    if dtype is None:
        return x
    dtype = _dtype.as_dtype(dtype)
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name}: dtype should be floating point or complex, but got {dtype._legacy[:-6]}")
    if _C.promote_types(x.dtype.id, dtype.id) != dtype.id:
        raise RuntimeError(f"{name}: the dtype of the input ({x.dtype._legacy[:-6]}) should be convertible without "
                           f"narrowing to the specified dtype ({dtype._legacy[:-6]})")
    return x.to(dtype)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):  # torch's names
    if not isinstance(ord, numbers.Number) or isinstance(ord, bool):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' (position 2) must be Number, not {type(ord).__name__}")
    x = _float_input(x, dtype, "linalg.vector_norm")
    if x.numel() == 0 and (ord < 0 or ord == math.inf):
        raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                           "operation does not have an identity")
    result = x.norm(ord, dim, keepdim)
    return result if out is None else write_out(out, result)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if A.dim() < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    A = _float_input(A, dtype, "linalg.matrix_norm")
    d0, d1 = (_C.wrap_dim(d, A.dim()) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord == "fro":
        result = A.norm(2, [d0, d1], keepdim)
    elif ord in ("nuc", 2, -2):
        S = _ops.singular_values(A, (d0, d1))
        if ord == "nuc":
            result = S.sum(-1)
        elif ord == 2 and S.shape[-1] == 0:  # (torch: 0 for an empty matrix, while -2 has no identity)
            result = S.new_zeros(S.shape[:-1])
        else:
            result = S.amax(-1) if ord == 2 else S.amin(-1)
        if keepdim:
            result = result.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
    elif ord in (1, -1, math.inf, -math.inf):
        summed, reduced = (d0, d1) if abs(ord) == 1 else (d1, d0)  # column sums for 1, row sums for inf
        sums = A.abs().sum(summed, keepdim=True)
        result = sums.amax(reduced, keepdim=True) if ord > 0 else sums.amin(reduced, keepdim=True)
        if not keepdim:
            result = result.squeeze((d0, d1))
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    return result if out is None else write_out(out, result)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is not None and len(dim) not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype, out=out)
    if dim is None and ord is not None:
        if A.dim() not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                               f"{A.dim()}D.")
        if A.dim() == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype, out=out)
    if isinstance(ord, str):
        if dim is not None:  # (a string ord is a matrix norm: torch's matrix_norm checks)
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dim))}")
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype, out=out)


def _svd_driver(driver, name):
    if driver is not None:
        raise RuntimeError(f"torch.linalg.{name}: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")


def svd(A, full_matrices=True, *, driver=None, out=None):
    """(U, S, Vh) with A = U diag(S) Vh, S descending; singular vectors are unique up to sign."""
    _svd_driver(driver, "svd")
    result = _linalg_ops._linalg_svd(A, full_matrices)
    return result if out is None else type(result)(*(o.copy_(r) for o, r in zip(out, result)))


def svdvals(A, *, driver=None, out=None):
    _svd_driver(driver, "svdvals")
    result = _linalg_ops._svdvals(A)
    return result if out is None else write_out(out, result)


def cross(input, other, *, dim=-1, out=None):
    result = _linalg_ops._cross(input, other, dim, "linalg.cross")
    return result if out is None else write_out(out, result)


def vecdot(x, y, *, dim=-1, out=None):
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                           f"{x.dtype._legacy[:-6]}")
    if x.dtype != y.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x of type "
                           f"{x.dtype._legacy[:-6]} and y of type {y.dtype._legacy[:-6]} instead")
    result = (x * y).sum(dim)
    return result if out is None else write_out(out, result)


def multi_dot(tensors, *, out=None):
    """The chained product; a 1-D first (last) tensor is a row (column) vector, dropped from the result."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first_vec, last_vec = tensors[0].dim() == 1, tensors[-1].dim() == 1
    mats = [tensors[0].unsqueeze(0) if first_vec else tensors[0]] + tensors[1:-1] + \
        [tensors[-1].unsqueeze(1) if last_vec else tensors[-1]]
    for i, m in enumerate(mats):
        if m.dim() != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {m.dim()}D")
    result = _linalg_ops.matmul_chain(*mats)
    if first_vec:
        result = result.squeeze(0)
    if last_vec:
        result = result.squeeze(-1)
    return result if out is None else write_out(out, result)


def cond(A, p=None, *, out=None):
    """The condition number in the p-norm: largest over smallest singular value for p = None or 2 (any shape; -2:
    the inverse ratio), else matrix_norm(A, p) * matrix_norm(A^-1, p) for square A (inf where A is singular; 'nuc'
    from the singular values)."""
    if A.dim() < 2:
        raise RuntimeError(f"linalg.cond(ord={p}): The input tensor A must have at least 2 dimensions." if
                           isinstance(p, str) else "linalg.cond: The input tensor must have at least 2 dimensions.")
    if p in (None, 2, -2):
        S = svdvals(A)
        result = S.amax(-1) / S.amin(-1) if p != -2 else S.amin(-1) / S.amax(-1)
    elif p in ("fro", "nuc", math.inf, -math.inf, 1, -1):
        if A.dim() < 2 or A.shape[-1] != A.shape[-2]:
            raise RuntimeError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they are "
                               f"{A.shape[-2] if A.dim() > 1 else 1} by {A.shape[-1]} matrices")
        if p == "nuc":  # (from the singular values, as torch's)
            S = svdvals(A)
            result = S.sum(-1) * S.reciprocal().sum(-1)
        else:
            inverse, info = inv_ex(A)
            singular = info.ne(0)
            inverse = inverse.masked_fill(singular.unsqueeze(-1).unsqueeze(-1), 0)  # (its norm becomes inf below)
            result = (matrix_norm(A, p) * matrix_norm(inverse, p)).masked_fill(singular, math.inf)
    else:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    return result if out is None else write_out(out, result)


def vander(x, N=None):
    """The Vandermonde matrix (..., n, N) of x (..., n): columns x^0, x^1, ..., x^(N-1) (running products, in x's
    dtype); N defaults to n."""
    N = x.shape[-1] if N is None and x.dim() else N
    if N is None or N <= 1:
        raise RuntimeError("N must be greater than 1.")
    powers = x.unsqueeze(-1).expand(list(x.shape) + [N - 1]).cumprod(-1)
    return _ops_cat([x.new_ones(list(x.shape) + [1]), powers], -1)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """torch.diagonal with the last two dims by default."""
    return A.diagonal(offset, dim1, dim2)
