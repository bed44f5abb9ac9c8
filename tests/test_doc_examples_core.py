"""The torch.*, Tensor and torch.linalg ops PyTorch's own docstring examples use (tests/doc_examples.py):
unravel_index, renorm, gradient, histogramdd, isreal, nonzero_static, nextafter, empty_strided / empty_permuted /
new_empty_strided, Tensor.resize_, dim_order, as_strided_scatter, asarray's requires_grad, torch.qr / lu /
lu_unpack / lu_solve / triangular_solve / cholesky_inverse / geqrf, and linalg's inv_ex, solve_ex, matrix_power,
matrix_exp, matrix_rank, tensorinv, tensorsolve, householder_product, ldl_factor / ldl_solve. Values and gradients
against float64 numpy references; bad inputs raise torch's exception types."""
import math
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.autograd import gradcheck, gradgradcheck

try:
    import torch as real_torch
except ImportError:  # (tests must not need torch)
    real_torch = None
if real_torch is not None and real_torch is torch:
    real_torch = None

LA = torch.linalg


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def t(a, dtype=torch.float64, grad=False):
    return torch.tensor(np.asarray(a), dtype=dtype).requires_grad_(grad)


def close(actual, expected, tol=1e-10):
    np.testing.assert_allclose(np.asarray(actual.detach().numpy(), np.float64), expected, rtol=tol, atol=tol)


def spd(shape, seed=0):
    M = rand(shape, seed)
    return M @ np.swapaxes(M, -1, -2) + shape[-1] * np.eye(shape[-1])


# ---------------------------------------------------------------- torch.*
def test_unravel_index():
    for idx, shape in [([4, 1], (3, 2)), ([[1234], [5678]], (10, 10, 10, 10)), (4, (3, 2)), ([0, 5], 6)]:
        got = torch.unravel_index(torch.tensor(idx), shape)
        ref = np.unravel_index(np.asarray(idx), shape)
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            assert g.dtype == torch.int64 and g.tolist() == r.tolist()
    assert torch.unravel_index(torch.tensor([-1]), (2, 3))[1].tolist() == [2]  # (wraps, as torch's)
    with pytest.raises(TypeError, match="integer dtype"):
        torch.unravel_index(torch.tensor([1.5]), (2,))
    with pytest.raises(ValueError, match="negative"):
        torch.unravel_index(torch.tensor([1]), (2, -3))


def test_renorm_value_and_grad():
    x = rand((3, 4, 2))
    for p, dim, maxnorm in [(1, 0, 5.0), (2, 1, 1.0), (3, -1, 0.5)]:
        axes = tuple(i for i in range(3) if i != dim % 3)
        norms = (np.abs(x) ** p).sum(axes, keepdims=True) ** (1 / p)
        ref = np.where(norms > maxnorm, x * maxnorm / (norms + 1e-7), x)
        close(torch.renorm(t(x), p, dim, maxnorm), ref, 1e-9)
        close(t(x).renorm(p, dim, maxnorm), ref, 1e-9)
    assert gradcheck(lambda a: a.renorm(2, 0, 1.0), (t(x, grad=True),))
    y = t(x)
    assert y.renorm_(2, 0, 1.0) is y
    with pytest.raises(RuntimeError, match="maxnorm"):
        torch.renorm(t(x), 1, 0, -5)
    with pytest.raises(RuntimeError, match="non-positive-norm"):
        torch.renorm(t(x), -1, 0, 5)
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        torch.renorm(t([1.0, 2.0]), 2, 0, 5)
    with pytest.raises(IndexError):
        torch.renorm(t(x), 2, 5, 1)


def test_gradient():
    values = np.array([4.0, 1.0, 1.0, 16.0])
    coords = np.array([-2.0, -1.0, 1.0, 4.0])
    (g,) = torch.gradient(t(values), spacing=(t(coords),))
    close(g, np.gradient(values, coords))
    m = rand((3, 5))
    for kw, ref in [({}, np.gradient(m)), ({"spacing": 2.0}, np.gradient(m, 2.0)),
                    ({"dim": 1}, [np.gradient(m, axis=1)]), ({"spacing": [3.0, 2.0]}, np.gradient(m, 3.0, 2.0)),
                    ({"edge_order": 2}, np.gradient(m, edge_order=2)),
                    ({"spacing": (t([0.0, 1.0, 3.0]), t([0.0, 1.0, 2.0, 4.0, 7.0])), "edge_order": 2},
                     np.gradient(m, [0.0, 1.0, 3.0], [0.0, 1.0, 2.0, 4.0, 7.0], edge_order=2))]:
        got = torch.gradient(t(m), **kw)
        assert isinstance(got, tuple) and len(got) == len(ref)
        for a, b in zip(got, ref):
            close(a, b)
    ints = torch.gradient(torch.tensor([[1, 2, 4, 8], [10, 20, 40, 80]]))
    assert ints[0].dtype == torch.float32
    assert gradcheck(lambda a: torch.gradient(a, edge_order=2)[1], (t(m, grad=True),))
    with pytest.raises(RuntimeError, match="edge_order"):
        torch.gradient(t([1.0, 2.0]), edge_order=2)
    with pytest.raises(RuntimeError, match="only supports edge_order=1 and edge_order=2"):
        torch.gradient(t([1.0, 2.0, 4.0]), edge_order=3)
    with pytest.raises(RuntimeError, match="list of length"):
        torch.gradient(t([1.0, 2.0, 4.0]), spacing=[1.0, 2.0])
    with pytest.raises(RuntimeError, match="appears multiple times"):
        torch.gradient(t([1.0, 2.0, 4.0]), dim=(0, 0))


def test_histogramdd():
    x = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 0.0], [2.0, 2.0]])
    w = np.array([1.0, 2.0, 4.0, 8.0])
    hist, edges = torch.histogramdd(t(x, torch.float32), bins=[3, 3], weight=t(w, torch.float32))
    ref, ref_edges = np.histogramdd(x, bins=[3, 3], weights=w)
    close(hist, ref, 1e-6)
    assert isinstance(edges, tuple) and len(edges) == 2
    for e, r in zip(edges, ref_edges):
        close(e, r, 1e-6)
    hist, _ = torch.histogramdd(t(x), bins=2, range=[0.0, 1.0, 0.0, 2.0], density=True)
    close(hist, np.histogramdd(x, bins=2, range=[(0, 1), (0, 2)], density=True)[0])
    bins = [np.array([0.0, 0.5, 1.0, 2.5]), np.array([0.0, 1.0, 2.0])]
    hist, _ = torch.histogramdd(t(x), bins=[t(b) for b in bins])
    close(hist, np.histogramdd(x, bins=bins)[0])
    hist, _ = torch.histogramdd(t(x), [2, 2])
    close(hist, np.histogramdd(x, bins=[2, 2])[0])
    with pytest.raises(RuntimeError):
        torch.histogramdd(torch.tensor([[1, 2]]), bins=2)


def test_isreal_nonzero_static():
    assert torch.isreal(t([1.0, math.nan])).tolist() == [True, True]
    assert torch.isreal(torch.tensor([1, 2])).dtype == torch.bool
    x = torch.tensor([0, 1, 2, 0, 3])
    assert torch.nonzero_static(x, size=2).tolist() == [[1], [2]]
    assert torch.nonzero_static(x, size=6, fill_value=-7).tolist() == [[1], [2], [4], [-7], [-7], [-7]]
    m = torch.tensor([[1, 0], [0, 1]])
    assert m.nonzero_static(size=3).tolist() == [[0, 0], [1, 1], [-1, -1]]
    assert tuple(torch.nonzero_static(torch.tensor(1), size=2).shape) == (2, 0)
    with pytest.raises(RuntimeError, match="non-negative"):
        torch.nonzero_static(x, size=-1)


def test_nextafter():
    a = np.array([1.0, 2.0, 0.0, -1.0, np.inf])
    b = np.array([2.0, 1.0, 1.0, -2.0, 0.0])
    for dtype, npd in [(torch.float32, np.float32), (torch.float64, np.float64)]:
        got = torch.nextafter(t(a, dtype), t(b, dtype))
        assert got.dtype == dtype
        assert got.numpy().tolist() == np.nextafter(a.astype(npd), b.astype(npd)).tolist()
    assert t([1.0]).nextafter(t([2.0])).item() == np.nextafter(1.0, 2.0)
    assert np.isnan(torch.nextafter(t([math.nan]), t([1.0])).item())
    x, y = t([1.0, 3.0], grad=True), t([2.0, 1.0], grad=True)
    torch.nextafter(x, y).sum().backward()  # (torch's derivative: 1 in input, 0 in other)
    assert x.grad.tolist() == [1.0, 1.0] and y.grad.tolist() == [0.0, 0.0]
    with pytest.raises(NotImplementedError):
        torch.nextafter(torch.tensor([1]), torch.tensor([2]))


def test_set_flush_denormal():
    assert torch.set_flush_denormal(False) is True


def test_empty_strided_and_permuted():
    a = torch.empty_strided((2, 3), (1, 2))
    assert a.stride() == (1, 2) and tuple(a.shape) == (2, 3) and a.dtype == torch.float32
    assert torch.empty_strided((2, 3), (1, 2), dtype=torch.int64).dtype == torch.int64
    assert torch.empty_strided((2, 0), (5, 1)).numel() == 0
    assert torch.ones(1).new_empty_strided((2, 3), (3, 1), dtype=torch.float64).dtype == torch.float64
    assert torch.empty_permuted((2, 3, 5, 7), (0, 2, 3, 1)).stride() == (105, 1, 21, 3)
    assert torch.empty_permuted((2, 3, 5), (2, 0, 1)).stride() == (3, 1, 6)
    with pytest.raises(RuntimeError, match="dimensionality"):
        torch.empty_strided((2, 3), (1,))
    with pytest.raises(RuntimeError, match="Duplicate dim"):
        torch.empty_permuted((2, 3, 5), (2, 0, 0))
    with pytest.raises(RuntimeError, match="physical_layout"):
        torch.empty_permuted((2, 3, 5), (2, 0))


def test_dim_order():
    assert torch.empty((2, 3, 5, 7)).dim_order() == (0, 1, 2, 3)
    assert torch.ones(2, 3, 4).permute(2, 0, 1).dim_order() == (1, 2, 0)
    assert torch.ones(2, 3, 4).dim_order(ambiguity_check=True) == (0, 1, 2)
    with pytest.raises(RuntimeError, match="unique dim order"):
        torch.ones(2, 1, 4).dim_order(ambiguity_check=True)


def test_resize_():
    x = torch.tensor([[1, 2], [3, 4], [5, 6]])
    assert x.resize_(2, 2) is x and x.tolist() == [[1, 2], [3, 4]]
    y = torch.arange(1.0, 7.0)
    assert y.resize_(2, 3).tolist() == [[1, 2, 3], [4, 5, 6]]
    z = torch.tensor([1.0, 2.0])
    z.resize_((2, 3))  # grows: the old elements stay first
    assert tuple(z.shape) == (2, 3) and z.reshape(-1)[:2].tolist() == [1.0, 2.0] and z.is_contiguous()
    w = torch.ones(2, 3).t()
    assert w.resize_(3, 2).is_contiguous()
    assert torch.ones(3).resize_as_(torch.ones(1, 2)).shape == (1, 2)
    with pytest.raises(RuntimeError, match="require grad"):
        torch.ones(2, requires_grad=True).resize_(3)
    with pytest.raises(RuntimeError):
        torch.ones(2).resize_(-1)


def test_as_strided_scatter_value_and_grad():
    a = torch.arange(1.0, 5.0).reshape(2, 2)
    b = torch.zeros(3, 3)
    assert torch.as_strided_scatter(b, a, (2, 2), (1, 2)).tolist() == [[1, 3, 2], [4, 0, 0], [0, 0, 0]]
    base = rand((3, 4))
    src = rand((2, 3), 1)
    ref = base.copy().reshape(-1)
    np.lib.stride_tricks.as_strided(ref[1:], (2, 3), (4 * 8, 8))[...] = src
    got = t(base).as_strided_scatter(t(src), (2, 3), (4, 1), 1)
    close(got, ref.reshape(3, 4))
    assert gradcheck(lambda x, s: torch.as_strided_scatter(x, s, (2, 3), (4, 1), 1),
                     (t(base, grad=True), t(src, grad=True)))
    with pytest.raises(RuntimeError, match="src size"):
        torch.as_strided_scatter(torch.zeros(9), torch.ones(3, 2), (2, 2), (1, 2))
    with pytest.raises(RuntimeError):
        torch.as_strided_scatter(torch.zeros(9), torch.ones(2, 2), (2, 2), (1, 20))


def test_asarray_requires_grad():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a + 2
    c = torch.asarray(b, requires_grad=False)
    assert not c.requires_grad and c.grad_fn is None and c.data_ptr() == b.data_ptr()
    assert torch.asarray(b, requires_grad=True) is b
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = torch.asarray(b)
    assert e.grad_fn is not None
    assert torch.asarray(np.ones(2), requires_grad=True).requires_grad


# ------------------------------------------------------------- linalg
def test_inv_ex_solve_ex():
    A = spd((2, 4, 4))
    inverse, info = LA.inv_ex(t(A))
    close(inverse, np.linalg.inv(A), 1e-9)
    assert info.dtype == torch.int32 and info.tolist() == [0, 0]
    inverse, info = LA.inv_ex(t(np.zeros((2, 2))))
    assert info.item() == 1
    with pytest.raises(LA.LinAlgError, match="linalg.inv_ex"):
        LA.inv_ex(t(np.zeros((2, 2))), check_errors=True)
    B = rand((2, 4, 3))
    result, info = LA.solve_ex(t(A), t(B))
    close(result, np.linalg.solve(A, B), 1e-9)
    assert type(LA.solve_ex(t(A), t(B))).__name__ == "linalg_solve_ex"
    _, info = LA.solve_ex(t(np.zeros((2, 2))), t([1.0, 1.0]))
    assert info.item() == 1
    assert gradcheck(lambda a: LA.inv_ex(a)[0], (t(A[0], grad=True),))
    with pytest.raises(TypeError):
        LA.solve_ex(t(A))


def test_linalg_error_is_torch_name():
    assert LA.LinAlgError.__name__ == "_LinAlgError" and issubclass(LA.LinAlgError, RuntimeError)


def test_matrix_power():
    A = rand((2, 3, 3)) * 0.5
    for n in (0, 1, 2, 5, -1, -3):
        close(LA.matrix_power(t(A), n), np.linalg.matrix_power(A, n), 1e-9)
    close(torch.matrix_power(t(A), 3), np.linalg.matrix_power(A, 3), 1e-10)
    close(t(A).matrix_power(2), A @ A, 1e-12)
    assert LA.matrix_power(torch.ones(2, 2, dtype=torch.int64), 2).tolist() == [[2, 2], [2, 2]]
    assert gradcheck(lambda a: LA.matrix_power(a, 3), (t(A[0], grad=True),))
    assert gradcheck(lambda a: LA.matrix_power(a, -2), (t(A[0] + 2 * np.eye(3), grad=True),))
    with pytest.raises(RuntimeError, match="square"):
        LA.matrix_power(torch.ones(2, 3), 2)
    with pytest.raises(RuntimeError, match="floating point"):
        LA.matrix_power(torch.ones(2, 2, dtype=torch.int64), -1)


def _expm(A):
    """exp(A) in float64 by scaling and squaring a long Taylor series."""
    s = max(0, int(np.ceil(np.log2(max(np.abs(A).sum(-1).max(), 1e-300)))) + 1)
    X = A / 2 ** s
    term, total = np.eye(A.shape[-1]), np.eye(A.shape[-1])
    for k in range(1, 30):
        term = term @ X / k
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


def test_matrix_exp():
    close(LA.matrix_exp(t(np.stack([np.eye(2), 2 * np.eye(2)]))), np.stack([np.e * np.eye(2), np.e ** 2 * np.eye(2)]))
    for scale in (1e-3, 0.5, 3.0, 20.0):
        A = rand((2, 4, 4), 3) * scale
        ref = np.stack([_expm(a) for a in A])
        close(LA.matrix_exp(t(A)), ref, 1e-10 * max(1.0, np.abs(ref).max()))
        close(LA.matrix_exp(t(A, torch.float32)), ref, 1e-4 * max(1.0, np.abs(ref).max()))
    A = np.array([[0.0, -np.pi / 3], [np.pi / 3, 0.0]])
    close(torch.matrix_exp(t(A)), [[0.5, -np.sqrt(3) / 2], [np.sqrt(3) / 2, 0.5]])
    assert gradcheck(lambda a: LA.matrix_exp(a), (t(rand((3, 3), 4), grad=True),))
    with pytest.raises(RuntimeError, match="square"):
        LA.matrix_exp(torch.ones(2, 3))
    with pytest.raises(RuntimeError, match="floating point"):
        LA.matrix_exp(torch.ones(2, 2, dtype=torch.int64))


def test_matrix_rank():
    A = rand((3, 6, 4)) @ rand((4, 5), 1)
    rank = LA.matrix_rank(t(A))
    assert rank.dtype == torch.int64 and rank.tolist() == [4, 4, 4]
    assert LA.matrix_rank(t(np.ones((3, 3))), hermitian=True).item() == 1
    assert LA.matrix_rank(t(np.diag([1.0, 0.1, 0.01])), atol=0.05).item() == 2
    assert LA.matrix_rank(t(np.diag([1.0, 0.1, 0.01])), rtol=0.05).item() == 2
    assert LA.matrix_rank(t(np.diag([1.0, 0.1, 0.01])), tol=0.5).item() == 1
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        LA.matrix_rank(torch.ones(3))


def test_tensorinv_tensorsolve():
    A = rand((4, 6, 8, 3), 2)
    Ainv = LA.tensorinv(t(A), ind=2)
    assert tuple(Ainv.shape) == (8, 3, 4, 6)
    close(Ainv, np.linalg.tensorinv(A, ind=2), 1e-9)
    with pytest.raises(RuntimeError, match="strictly positive"):
        LA.tensorinv(t(A), ind=0)
    A = rand((2, 3, 6), 3)
    B = rand((2, 3), 4)
    close(LA.tensorsolve(t(A), t(B)), np.linalg.tensorsolve(A, B), 1e-9)
    A = rand((3, 2, 2, 3), 5)
    B = rand((2, 3), 6)
    close(LA.tensorsolve(t(A), t(B), dims=(0, 2)), np.linalg.tensorsolve(A, B, axes=(0, 2)), 1e-9)
    with pytest.raises(RuntimeError, match="prod"):
        LA.tensorsolve(torch.ones(2, 3, 6), torch.ones(3))


def test_cholesky_inverse():
    A = spd((2, 3, 3))
    L = np.linalg.cholesky(A)
    close(torch.cholesky_inverse(t(L)), np.linalg.inv(A), 1e-9)
    close(torch.cholesky_inverse(t(np.swapaxes(L, -1, -2)), upper=True), np.linalg.inv(A), 1e-9)
    close(t(L[0]).cholesky_inverse(), np.linalg.inv(A[0]), 1e-9)
    assert gradcheck(lambda m: torch.cholesky_inverse(m), (t(L[0], grad=True),))
    with pytest.raises(RuntimeError, match="square"):
        torch.cholesky_inverse(torch.ones(2, 3))


def test_triangular_solve():
    A = np.triu(rand((2, 3, 3))) + 3 * np.eye(3)
    b = rand((2, 3, 4), 1)
    X, M = torch.triangular_solve(t(b), t(A))
    close(X, np.linalg.solve(A, b))
    close(M, A)
    assert type(torch.triangular_solve(t(b), t(A))).__name__ == "triangular_solve"
    X, _ = torch.triangular_solve(t(b), t(A), upper=False)
    close(X, np.linalg.solve(np.tril(A), b))
    X, _ = t(b).triangular_solve(t(A), transpose=True)
    close(X, np.linalg.solve(np.swapaxes(A, -1, -2), b))
    X, _ = torch.triangular_solve(t(b), t(A), unitriangular=True)
    close(X, np.linalg.solve(np.triu(A, 1) + np.eye(3), b))
    assert gradcheck(lambda bb, aa: torch.triangular_solve(bb, aa, transpose=True)[0],
                     (t(b[0], grad=True), t(A[0], grad=True)))
    with pytest.raises(RuntimeError, match="Incompatible matrix sizes"):
        torch.triangular_solve(torch.ones(2, 3), torch.ones(3, 3))


def test_torch_qr():
    A = rand((5, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q, r = torch.qr(t(A))
        assert type(torch.qr(t(A))).__name__ == "qr"
        close(q @ r, A)
        assert tuple(q.shape) == (5, 3)
        q, r = t(A).qr(some=False)
    assert tuple(q.shape) == (5, 5) and tuple(r.shape) == (5, 3)
    close(q @ r, A)


def _unpack_ref(LU, pivots):
    n = LU.shape[-1]
    L, U = np.tril(LU, -1) + np.eye(n), np.triu(LU)
    P = np.eye(n)
    for i, p in enumerate(pivots):
        P[[i, p - 1]] = P[[p - 1, i]]
    return P.T, L, U


def test_torch_lu_family():
    A = rand((2, 4, 4))
    LU, pivots = torch.lu(t(A))
    assert pivots.dtype == torch.int32
    LU2, pivots2, infos = torch.lu(t(A), get_infos=True)
    assert infos.tolist() == [0, 0] and type(torch.lu(t(A), get_infos=True)).__name__ == "_lu_with_info"
    P, L, U = torch.lu_unpack(LU, pivots)
    assert type(torch.lu_unpack(LU, pivots)).__name__ == "lu_unpack"
    for b in range(2):
        rP, rL, rU = _unpack_ref(LU[b].numpy(), pivots[b].tolist())
        close(P[b], rP), close(L[b], rL), close(U[b], rU)
    close(P @ L @ U, A)
    P, L, U = torch.lu_unpack(LU, pivots, unpack_data=False)
    assert L.numel() == 0 and U.numel() == 0 and P.shape == (2, 4, 4)
    P, L, U = torch.lu_unpack(LU, pivots, unpack_pivots=False)
    assert P.numel() == 0
    b = rand((2, 4, 3), 1)
    close(torch.lu_solve(t(b), LU, pivots), np.linalg.solve(A, b))
    close(t(b).lu_solve(LU, pivots), np.linalg.solve(A, b))
    Ar = rand((5, 3), 2)  # rectangular
    LU, pivots = torch.linalg.lu_factor(t(Ar))
    P, L, U = torch.lu_unpack(LU, pivots)
    assert tuple(L.shape) == (5, 3) and tuple(U.shape) == (3, 3)
    close(P @ L @ U, Ar)
    assert gradcheck(lambda lu: torch.lu_unpack(lu, pivots)[1].sum() + torch.lu_unpack(lu, pivots)[2],
                     (LU.detach().requires_grad_(),))
    P, L, U = LA.lu(t(Ar))
    assert type(LA.lu(t(Ar))).__name__ == "linalg_lu" and tuple(L.shape) == (5, 3)
    close(P @ L @ U, Ar)
    assert gradcheck(lambda a: LA.lu(a)[1] + LA.lu(a)[2], (t(A[0], grad=True),))


def test_geqrf_householder_product():
    for shape in [(4, 3), (3, 3), (2, 5, 3)]:
        A = rand(shape)
        a, tau = torch.geqrf(t(A))
        assert type(torch.geqrf(t(A))).__name__ == "geqrf"
        Q = LA.householder_product(a, tau)
        R = np.triu(a.numpy())[..., :shape[-1], :]
        close(Q @ t(R), A)
        close(Q.mT @ Q, np.broadcast_to(np.eye(shape[-1]), Q.shape[:-2] + (shape[-1], shape[-1])))
        close(torch.orgqr(a, tau), Q.numpy())
        q_ref = np.linalg.qr(A)[0]  # LAPACK's signs: the same Q
        close(Q, q_ref, 1e-9)
    a = rand((4, 3))
    tau = np.array([1.2, 0.5, 0.0])
    assert gradcheck(LA.householder_product, (t(a, grad=True), t(tau, grad=True)))
    with pytest.raises(RuntimeError, match=r"input.shape\[-2\] must be greater than or equal to input.shape\[-1\]"):
        LA.householder_product(torch.ones(2, 3), torch.ones(1))
    with pytest.raises(RuntimeError, match="tau.shape"):
        LA.householder_product(torch.ones(3, 2), torch.ones(3))


def test_ldl_factor_solve():
    for A in (spd((4, 4)), rand((5, 5), 3) + rand((5, 5), 3).T, np.array([[0.0, 1.0], [1.0, 0.0]])):
        n = A.shape[-1]
        LD, pivots, info = LA.ldl_factor_ex(t(A))
        assert info.item() == 0 and pivots.dtype == torch.int32
        B = rand((n, 2), 1)
        close(LA.ldl_solve(LD, pivots, t(B)), np.linalg.solve(A, B), 1e-9)
        LD2, pivots2 = LA.ldl_factor(t(A))
        close(LD2, LD.numpy())
    A = spd((2, 3, 3))
    LD, pivots = LA.ldl_factor(t(A))
    assert pivots.tolist() == [[1, 2, 3], [1, 2, 3]]  # positive definite: no pivoting
    L = np.tril(LD.numpy(), -1) + np.eye(3)
    D = np.diagonal(LD.numpy(), 0, -2, -1)
    close(t(L @ (D[..., None] * np.swapaxes(L, -1, -2))), A)
    with pytest.raises(RuntimeError, match="square"):
        LA.ldl_factor(torch.ones(2, 3))


def test_linalg_ops_second_order():
    A = t(rand((3, 3), 7) * 0.3, grad=True)
    assert gradgradcheck(lambda a: LA.matrix_exp(a), (A,))
    assert gradgradcheck(lambda a: LA.matrix_power(a, 2), (A,))


def test_fake_quantize():
    x = np.array([0.0552, 0.9730, 0.3973, -1.0780, 0.25, 0.35, 30.0])
    got = torch.fake_quantize_per_tensor_affine(t(x, torch.float32), 0.1, 0, 0, 255)
    inv = np.float32(1) / np.float32(0.1)
    ref = (np.clip(np.round(x.astype(np.float32) * inv), 0, 255) - 0) * np.float32(0.1)
    close(got, ref, 1e-6)
    y = t(x * 10, torch.float32, grad=True)
    torch.fake_quantize_per_tensor_affine(y, 0.1, 0, 0, 255).sum().backward()
    assert y.grad.tolist() == [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0]  # straight through, zero where clamped
    m = t(x[:6].reshape(2, 3), torch.float32)
    zero_points = torch.tensor([0, 1], dtype=torch.int32)
    got = torch.fake_quantize_per_channel_affine(m, t([0.1, 0.2], torch.float32), zero_points, 0, 0, 255)
    s, z = np.array([[0.1], [0.2]], np.float32), np.array([[0], [1]])
    close(got, (np.clip(np.round(x[:6].reshape(2, 3) / s) + z, 0, 255) - z) * s, 1e-6)
    with pytest.raises(RuntimeError, match="quant_min"):
        torch.fake_quantize_per_tensor_affine(t(x), 0.1, 0, 5, 2)
    with pytest.raises(RuntimeError, match="zero_point"):
        torch.fake_quantize_per_tensor_affine(t(x), 0.1, 300, 0, 255)
    with pytest.raises(NotImplementedError):
        torch.fake_quantize_per_tensor_affine(torch.tensor([1, 2]), 0.1, 0, 0, 255)


def test_poisson():
    rates = np.array([0.0, 0.5, 3.0, 9.5, 10.0, 40.0, 1000.0])
    torch.manual_seed(0)
    draws = torch.poisson(t(np.repeat(rates[None], 4000, 0), torch.float32))
    assert draws.dtype == torch.float32 and bool((draws == draws.round()).all()) and bool((draws >= 0).all())
    d = draws.numpy().astype(np.float64)
    np.testing.assert_allclose(d.mean(0), rates, rtol=0.05, atol=0.05)  # mean and variance are the rate
    np.testing.assert_allclose(d.var(0), rates, rtol=0.1, atol=0.05)
    torch.manual_seed(0)
    assert torch.equal(torch.poisson(t(np.repeat(rates[None], 4000, 0), torch.float32)), draws)  # seeded
    g = torch.Generator().manual_seed(3)
    a = torch.poisson(t([5.0, 50.0]), generator=g)
    g.manual_seed(3)
    assert torch.equal(torch.poisson(t([5.0, 50.0]), generator=g), a)
    x = t([1.0, 20.0], grad=True)
    torch.poisson(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="non-negative"):
        torch.poisson(t([-1.0]))
    with pytest.raises(NotImplementedError):
        torch.poisson(torch.tensor([1, 2]))


def test_storages():
    x = torch.tensor([1, 2, 3])
    s = x.untyped_storage()
    assert torch.is_storage(s) and not torch.is_storage(x) and not torch.is_storage([1, 2, 3])
    assert s.nbytes() == 24 == len(s) and s.element_size() == 1 and s.data_ptr() == x.data_ptr()
    assert s.tolist()[:9] == [1, 0, 0, 0, 0, 0, 0, 0, 2] and x[1:].untyped_storage().data_ptr() == s.data_ptr()
    s[8] = 7  # shares memory
    assert x.tolist() == [1, 7, 3]
    assert repr(torch.UntypedStorage(2)) == " 0\n 0\n[torch.storage.UntypedStorage(device=cpu) of size 2]"
    ts = torch.TypedStorage(5, dtype=torch.float32)
    assert torch.is_storage(ts) and ts.size() == 5 and ts.nbytes() == 20 and ts.dtype == torch.float32
    assert repr(torch.TypedStorage([1.0, 2.0], dtype=torch.float32)) == \
        " 1.0\n 2.0\n[torch.storage.TypedStorage(dtype=torch.float32, device=cpu) of size 2]"
    with pytest.warns(UserWarning, match="TypedStorage is deprecated"):
        assert x.storage().tolist() == [1, 7, 3]


def test_grad_dtype():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad_dtype == torch.float32
    x.grad_dtype = torch.float64
    (x * 2).sum().backward()
    assert x.grad.dtype == torch.float64 and x.grad.tolist() == [2.0, 2.0]
    x.grad_dtype = None
    assert x.grad_dtype is None
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    w.grad_dtype = None
    (w.double() * 3).sum().backward()
    assert w.grad.dtype == torch.float32  # (double()'s backward casts back first, as torch's)
    y = x * 2
    with pytest.raises(RuntimeError, match="only be accessed on leaf"):
        _ = y.grad_dtype
    with pytest.raises(RuntimeError, match="only be set on leaf"):
        y.grad_dtype = torch.float64
    assert torch.tensor([1, 2]).grad_dtype == torch.int64


def test_inference_tensors_have_no_version():
    x = torch.ones(1, 2, 3, requires_grad=True)
    with torch.inference_mode():
        y = x * x
        z = torch.zeros(2)
    assert not y.requires_grad and y.is_inference() and z.is_inference() and torch.is_inference(y)
    with pytest.raises(RuntimeError, match="Inference tensors do not track version counter"):
        _ = y._version
    assert not x.is_inference() and x._version == 0 and not (y + 1).is_inference()
    with torch.no_grad():
        w = x * 2
    assert not w.is_inference() and w._version == 0


def _ref_window(name, n, **kw):
    """numpy's windows (their symmetric form; periodic: the symmetric one of n + 1 points, last dropped)."""
    if name == "kaiser_window":
        return np.kaiser(n, kw.get("beta", 12.0))
    if name == "hamming_window" and kw:
        k = np.arange(n)
        return kw["alpha"] - kw["beta"] * np.cos(2 * np.pi * k / (n - 1))
    return {"hann_window": np.hanning, "hamming_window": np.hamming, "blackman_window": np.blackman,
            "bartlett_window": np.bartlett}[name](n)


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
                                  "kaiser_window"])
def test_windows(name):
    fn = getattr(torch, name)
    for n in (2, 5, 6, 33):
        close(fn(n, False, dtype=torch.float64), _ref_window(name, n), 1e-12)
        close(fn(n, dtype=torch.float64), _ref_window(name, n + 1)[:-1], 1e-12)
        close(fn(n), _ref_window(name, n + 1)[:-1], 1e-6)
    assert fn(0).shape == (0,) and fn(1).tolist() == [1.0] and fn(4, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="non-negative window_length"):
        fn(-1)
    with pytest.raises(RuntimeError, match="floating point dtypes"):
        fn(3, dtype=torch.int64)
    if name == "hamming_window":
        close(fn(5, False, 0.5, 0.5, dtype=torch.float64), _ref_window(name, 5, alpha=0.5, beta=0.5), 1e-12)
    if name == "kaiser_window":
        close(fn(7, False, 5.0, dtype=torch.float64), np.kaiser(7, 5.0), 1e-12)


def test_cholesky_ex_cond_vander_diagonal():
    A = spd((2, 3, 3))
    L, info = LA.cholesky_ex(t(A))
    close(L, np.linalg.cholesky(A))
    assert info.tolist() == [0, 0] and type(LA.cholesky_ex(t(A))).__name__ == "linalg_cholesky_ex"
    U, _ = LA.cholesky_ex(t(A), upper=True)
    close(U, np.swapaxes(np.linalg.cholesky(A), -1, -2))
    L, info = LA.cholesky_ex(t([[1.0, 2.0], [2.0, 1.0]]))
    assert info.item() == 2
    with pytest.raises(LA.LinAlgError, match="linalg.cholesky_ex"):
        LA.cholesky_ex(t([[1.0, 2.0], [2.0, 1.0]]), check_errors=True)
    assert gradcheck(lambda a: LA.cholesky_ex((a + a.mT) / 2)[0], (t(A[0], grad=True),))  # (A symmetric)
    M = rand((2, 4, 4), 3)
    for p in (None, 2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf):
        close(LA.cond(t(M), p), np.linalg.cond(M, p), 1e-8)
    assert LA.cond(t([[1.0, 2.0], [2.0, 4.0]]), 1).item() == math.inf
    with pytest.raises(RuntimeError, match="square"):
        LA.cond(torch.ones(2, 3), 1)
    with pytest.raises(RuntimeError, match="invalid norm type"):
        LA.cond(torch.ones(2, 2), 3)
    x = rand((2, 4), 4)
    close(LA.vander(t(x)), np.stack([np.vander(r, increasing=True) for r in x]))
    close(LA.vander(t(x), N=2), np.stack([np.vander(r, 2, increasing=True) for r in x]))
    assert LA.vander(torch.tensor([1, 2, 3])).tolist() == [[1, 1, 1], [1, 2, 4], [1, 3, 9]]
    with pytest.raises(RuntimeError, match="N must be greater than 1"):
        LA.vander(t([1.0, 2.0]), N=1)
    assert LA.diagonal(torch.arange(9).reshape(3, 3), offset=1).tolist() == [1, 5]


def test_view_copies_and_aliases():
    x = t(rand((2, 3)))
    y = torch.transpose_copy(x, 0, 1)
    assert y.is_contiguous() and y.data_ptr() != x.data_ptr()
    close(y, x.numpy().T)
    assert torch.slice_copy(torch.arange(6), 0, 1, 5, 2).tolist() == [1, 3]
    parts = torch.split_copy(torch.arange(6), 2)
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3], [4, 5]]
    assert torch.view_copy(torch.arange(6), [2, 3]).shape == (2, 3)
    assert torch.expand_copy(torch.ones(3), [2, 3]).stride() == (3, 1)
    out = torch.empty(3, 2, dtype=torch.float64)
    assert torch.t_copy(x, out=out) is out
    assert torch.transpose_copy.__name__ == "transpose_copy"
    assert [p.tolist() for p in torch.unsafe_split(torch.arange(5), 2)] == [[0, 1], [2, 3], [4]]
    assert [p.shape[1] for p in x.unsafe_chunk(2, 1)] == [2, 1]
    assert [p.tolist() for p in torch.split_with_sizes(torch.arange(5), [2, 3])] == [[0, 1], [2, 3, 4]]
    assert torch.get_device(x) == -1 and torch.resize_as_(torch.ones(3), torch.ones(1, 2)).shape == (1, 2)


def test_mvlgamma_pdist_norms_ormqr():
    x = np.array([2.5, 3.0, 7.25])
    ref = [sum(math.lgamma(v - j / 2) for j in range(3)) + 3 * 2 / 4 * math.log(math.pi) for v in x]
    close(torch.mvlgamma(t(x), 3), ref)
    close(t(x).mvlgamma(3), ref)
    with pytest.raises(RuntimeError, match="p has to be greater than or equal to 1"):
        torch.mvlgamma(t(x), 0)
    pts = rand((5, 3))
    iu = np.triu_indices(5, 1)
    for p in (2, 1, 0.5, math.inf):
        ref = np.linalg.norm(pts[iu[0]] - pts[iu[1]], ord=p, axis=1)
        close(torch.pdist(t(pts), p), ref)
    assert torch.pdist(t(pts), 0).tolist() == [3.0] * 10
    assert gradcheck(torch.pdist, (t(pts, grad=True),))
    with pytest.raises(RuntimeError, match="2D"):
        torch.pdist(torch.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="non-negative"):
        torch.pdist(torch.ones(3, 4), -1)
    M = rand((2, 3, 4))
    with pytest.warns(UserWarning, match="nuclear_norm is deprecated"):
        close(torch.nuclear_norm(t(M)), np.linalg.norm(M, "nuc", axis=(-2, -1)))
    with pytest.warns(UserWarning, match="frobenius_norm is deprecated"):
        close(torch.frobenius_norm(t(M), dim=(1, 2)), np.linalg.norm(M, axis=(1, 2)))
    A = rand((5, 3), 1)
    a, tau = torch.geqrf(t(A))
    Q = np.linalg.qr(A, mode="complete")[0]
    C = rand((5, 2), 2)
    close(torch.ormqr(a, tau, t(C)), Q @ C, 1e-9)
    close(torch.ormqr(a, tau, t(C), transpose=True), Q.T @ C, 1e-9)
    close(a.ormqr(tau, t(C.T), left=False), C.T @ Q, 1e-9)
    with pytest.raises(RuntimeError, match="must be equal to input.shape"):
        torch.ormqr(a, tau, torch.ones(2, 3, dtype=torch.float64))


def test_aten_spellings_of_functional_ops():
    F = torch.nn.functional
    x, y = t(rand((4, 3))), t(rand((4, 3), 1) > 0, torch.float64)
    for reduction, name in ((0, "none"), (1, "mean"), (2, "sum")):
        close(torch.binary_cross_entropy_with_logits(x, y, reduction=reduction),
              F.binary_cross_entropy_with_logits(x, y, reduction=name).numpy())
        kl = F.kl_div(x, y.softmax(1), reduction="none")
        close(torch.kl_div(x, y.softmax(1), reduction), {"none": kl, "mean": kl.mean(), "sum": kl.sum()}[name].numpy())
    close(torch.binary_cross_entropy_with_logits(x, y), F.binary_cross_entropy_with_logits(x, y, reduction="none")
          .numpy())  # (torch's binding: 'none' when reduction is not given)
    with pytest.raises(TypeError, match="must be int, not str"):
        torch.binary_cross_entropy_with_logits(x, y, reduction="mean")
    close(torch.triplet_margin_loss(x, x * 2, x * 3, reduction=1), F.triplet_margin_loss(x, x * 2, x * 3).numpy())
    close(torch.constant_pad_nd(t([1.0, 2.0]), [1, 2], 5.0), [5.0, 1.0, 2.0, 5.0, 5.0])
    close(torch.norm_except_dim(x, 2, 0), np.linalg.norm(x.numpy(), axis=1, keepdims=True))
    out, mean, rstd = torch.native_layer_norm(x, [3], None, None, 1e-5)
    close(mean, x.numpy().mean(1, keepdims=True))
    close(rstd, 1 / np.sqrt(x.numpy().var(1, keepdims=True) + 1e-5))
    close(out, F.layer_norm(x, [3]).numpy())
    values, indices = torch.max_pool1d_with_indices(torch.arange(6.0).reshape(1, 1, 6), 2)
    assert values.tolist() == [[[1.0, 3.0, 5.0]]] and indices.tolist() == [[[1, 3, 5]]]
    for name in ("matrix_rank", "lstsq", "solve", "eig", "symeig"):
        with pytest.raises(RuntimeError, match="deprecated since version 1.9 and is now removed"):
            getattr(torch, name)(torch.eye(2))
    torch.set_deterministic_debug_mode("warn")
    assert torch.get_deterministic_debug_mode() == 1 and torch.are_deterministic_algorithms_enabled()
    torch.set_deterministic_debug_mode(0)
    assert torch.get_deterministic_debug_mode() == 0 and not torch.are_deterministic_algorithms_enabled()
    torch.set_anomaly_enabled(True)
    assert torch.is_anomaly_enabled()
    torch.set_anomaly_enabled(False)
    assert not torch.is_anomaly_enabled() and not torch.is_warn_always_enabled()


def test_in_place_blas_and_tensor_extras():
    A, B, C = rand((3, 4)), rand((3, 2), 1), rand((2, 4), 2)
    x = t(A)
    assert x.addmm_(t(B), t(C), beta=2, alpha=3) is x
    close(x, 2 * A + 3 * B @ C)
    close(t(A[0, :3]).addmv_(t(A[:, :3].T), t(A[1, :3])), A[0, :3] + A[:, :3].T @ A[1, :3])
    close(t(A).addr_(t(A[:, 0]), t(A[0])), A + np.outer(A[:, 0], A[0]))
    bb, cc = rand((2, 3, 2), 3), rand((2, 2, 4), 4)
    close(t(A).addbmm_(t(bb), t(cc)), A + np.einsum("bij,bjk->ik", bb, cc))
    close(t(np.stack([A, A])).baddbmm_(t(bb), t(cc)), np.stack([A, A]) + bb @ cc)
    w, a = t(A[:, :3], grad=True), t(rand((3, 3), 5), grad=True)
    m = w * 1
    m.addmm_(a, a, beta=2, alpha=3)  # (the graph keeps the old m)
    m.sum().backward()
    close(w.grad, np.full((3, 3), 2.0))
    close(torch.adjoint(t(A)), A.T)
    with pytest.raises(RuntimeError, match="only supported on matrices"):
        t(A[0]).adjoint()
    assert torch.ones(2).diagflat(1).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    src = torch.arange(6.0)
    y = torch.empty(0).set_(src)
    assert y.is_set_to(src) and y.data_ptr() == src.data_ptr()
    z = torch.empty(0).set_(src.untyped_storage(), 1, (2, 2), (2, 1))
    assert z.tolist() == [[1, 2], [3, 4]] and z.dtype == torch.float32
    assert torch.ones(3).set_().numel() == 0
    with pytest.raises(RuntimeError, match="leaf Variable"):
        torch.ones(2, requires_grad=True).set_(torch.ones(3))
    v = torch.arange(6.0)
    assert v.as_strided_((2, 2), (1, 2)) is v and v.tolist() == [[0, 2], [1, 3]]
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        assert torch.arange(6.0).resize(2, 3).shape == (2, 3)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="preserving the number of elements"):
        torch.arange(6.0).resize(2, 2)
    with pytest.raises(RuntimeError, match="removed"):
        torch.ones(2, 2).solve(torch.ones(2, 2))
    assert src.const_data_ptr() == src.data_ptr()


def test_event():
    e = torch.Event(device="cpu")
    assert repr(e) == "torch.Event device_type=cpu, device_index=-1, event_flag=0, event_id=0"
    with pytest.raises(RuntimeError, match="cpu backend doesn't support events"):
        e.record()
    if not torch.cuda.is_available():
        assert torch.Event().device.type == "cpu"


def test_unstable_sort_orders_ties_as_torch():
    x = torch.tensor([0, 1] * 9)  # torch.sort's docstring example, and torch's answer
    assert x.sort().indices.tolist() == [2, 16, 4, 6, 14, 8, 0, 10, 12, 9, 17, 15, 13, 11, 7, 5, 3, 1]
    assert x.sort(stable=True).indices.tolist() == list(range(0, 18, 2)) + list(range(1, 18, 2))
    assert torch.argsort(x).tolist() == x.sort().indices.tolist()
    rng = np.random.default_rng(0)
    for dtype in (torch.float32, torch.float64, torch.int64, torch.int32, torch.uint8, torch.float16):
        a = torch.tensor(rng.integers(0, 4, (3, 50)), dtype=dtype)
        for descending in (False, True):
            values, indices = a.sort(1, descending)
            ref = np.sort(a.float().numpy(), 1)
            assert values.float().numpy().tolist() == (ref[:, ::-1] if descending else ref).tolist()
            assert (np.sort(indices.numpy(), 1) == np.arange(50)).all()
            assert torch.equal(a.gather(1, indices), values)
    big = torch.tensor(rng.integers(0, 5, 40000))  # (torch: a radix sort, stable)
    assert big.sort().indices.tolist() == np.argsort(big.numpy(), kind="stable").tolist()
    z = t([0.0, -0.0, 0.0, -0.0])
    assert z.sort().values.tolist() == [0.0] * 4  # (-0 and +0 are equal, as in torch's comparison)


@pytest.mark.skipif(real_torch is None, reason="needs torch")
def test_unstable_sort_matches_torch():
    rng = np.random.default_rng(1)
    for dtype in ("float32", "float64", "int64", "int16", "float16"):
        for shape, dim in (((300,), 0), ((4, 70), 1), ((70, 3), 0), ((40000,), 0)):
            a = rng.integers(0, 6, shape).astype(dtype)
            for descending in (False, True):
                ours = torch.from_numpy(a).sort(dim, descending).indices.numpy()
                theirs = real_torch.from_numpy(a).sort(dim, descending).indices.numpy()
                assert (ours == theirs).all(), (dtype, shape, descending)
