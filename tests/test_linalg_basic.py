"""torch.linalg's solvers beside the SVD (lu_factor, solve, inv, det, slogdet, logdet, solve_triangular, cholesky,
cholesky_solve, qr, eigh, eigvalsh, pinv, lstsq) against numpy.linalg in float64 and float32: values, batched and
broadcast shapes, empty batches, torch's errors for singular / not positive-definite inputs, and gradcheck /
gradgradcheck in float64. Compared with torch itself where it is importable."""
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext._host import _to, on_host
from tinygrad_ext.autograd import gradcheck, gradgradcheck

try:
    import torch as real_torch
except ImportError:  # (tests must not need torch)
    real_torch = None
if real_torch is not None and real_torch is torch:
    real_torch = None

LA = torch.linalg
DTYPES = [(torch.float64, 1e-10), (torch.float32, 2e-4)]


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def well_conditioned(shape, seed=0):
    """Random square matrices with a dominant diagonal (condition numbers near 1)."""
    n = shape[-1]
    return rand(shape, seed) + 3 * np.eye(n)


def spd(shape, seed=0):
    M = rand(shape, seed)
    return M @ np.swapaxes(M, -1, -2) + shape[-1] * np.eye(shape[-1])


def t(a, dtype=torch.float64, grad=False):
    return torch.tensor(np.asarray(a), dtype=dtype).requires_grad_(grad)


def close(actual, expected, tol):
    np.testing.assert_allclose(actual.detach().numpy().astype(np.float64), expected, rtol=tol, atol=tol)


# ---------------------------------------------------------------- LU family
@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (3, 5, 5), (2, 3, 6, 6), (40, 40), (2, 130, 130)])
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_det_inv_slogdet_values(shape, dtype, tol):
    A = rand(shape) / np.sqrt(shape[-1] / 2)  # (determinants within float32's range)
    close(LA.det(t(A, dtype)), np.linalg.det(A), tol * 10)
    close(torch.det(t(A, dtype)), np.linalg.det(A), tol * 10)
    close(LA.inv(t(A, dtype)), np.linalg.inv(A), tol * 100)
    close(t(A, dtype).inverse(), np.linalg.inv(A), tol * 100)
    sign, logabs = LA.slogdet(t(A, dtype))
    ref_sign, ref_logabs = np.linalg.slogdet(A)
    close(sign, ref_sign, 0)
    close(logabs, ref_logabs, tol)
    assert type(t(A).slogdet()).__name__ == "slogdet" and type(LA.slogdet(t(A))).__name__ == "linalg_slogdet"
    assert sign.dtype == logabs.dtype == dtype


def test_logdet():
    A = spd((3, 4, 4))
    close(torch.logdet(t(A)), np.linalg.slogdet(A)[1], 1e-12)
    neg = np.diag([-1.0, 2.0, 3.0])
    assert np.isnan(torch.logdet(t(neg)).item())
    assert torch.logdet(t(np.zeros((2, 2)))).item() == -np.inf
    sign, logabs = LA.slogdet(t(np.zeros((2, 2))))
    assert sign.item() == 0 and logabs.item() == -np.inf


def test_det_of_singular_is_zero_and_permutation_signs():
    assert LA.det(t(np.ones((3, 3)))).item() == 0
    P = np.eye(4)[[1, 0, 3, 2]]  # two swaps
    assert LA.det(t(P)).item() == 1
    P = np.eye(3)[[1, 2, 0]]
    assert LA.det(t(P)).item() == 1
    assert LA.det(t(np.eye(3)[[1, 0, 2]])).item() == -1


@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_lu_factor(dtype, tol):
    A = rand((3, 5, 5))
    LU, pivots = LA.lu_factor(t(A, dtype))
    assert pivots.dtype == torch.int32 and tuple(pivots.shape) == (3, 5)
    LU = LU.numpy().astype(np.float64)
    for b in range(3):
        L = np.tril(LU[b], -1) + np.eye(5)
        U = np.triu(LU[b])
        PA = A[b].copy()
        for i, p in enumerate(pivots[b].tolist()):
            PA[[i, p - 1]] = PA[[p - 1, i]]
        np.testing.assert_allclose(L @ U, PA, atol=tol * 10)
        assert np.abs(L).max() <= 1 + 1e-6  # partial pivoting
    for shape in [(4, 6), (6, 4), (60, 130), (130, 60), (97, 97)]:  # (blocked beyond 48 columns)
        A = rand(shape)
        LU, pivots, info = LA.lu_factor_ex(t(A))
        k = min(shape)
        assert tuple(pivots.shape) == (k,) and info.item() == 0
        L = np.tril(LU.numpy(), -1)[:, :k] + np.eye(shape[0], k)
        U = np.triu(LU.numpy())[:k]
        PA = A.copy()
        for i, p in enumerate(pivots.tolist()):
            PA[[i, p - 1]] = PA[[p - 1, i]]
        np.testing.assert_allclose(L @ U, PA, atol=1e-12)
        assert np.abs(L).max() <= 1
    _, _, info = LA.lu_factor_ex(t(np.zeros((2, 3, 3))))
    assert info.tolist() == [1, 1]


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("grad", [False, True])
def test_lu_solve(left, adjoint, grad):
    A = rand((2, 4, 4))
    B = rand((4, 3) if left else (3, 4), 1)  # broadcast over A's batch
    LU, pivots = LA.lu_factor(t(A))
    X = LA.lu_solve(LU.requires_grad_(grad), pivots, t(B, grad=grad), left=left, adjoint=adjoint)
    M = np.swapaxes(A, -1, -2) if adjoint else A
    ref = np.linalg.solve(M, B) if left else np.swapaxes(np.linalg.solve(np.swapaxes(M, -1, -2), B.T), -1, -2)
    close(X, ref, 1e-12)


@pytest.mark.parametrize("a_shape, b_shape", [
    ((4, 4), (4,)), ((4, 4), (4, 2)), ((3, 4, 4), (3, 4)), ((3, 4, 4), (4, 2)), ((3, 4, 4), (2, 1, 4, 5)),
    ((1, 4, 4), (3, 4, 1)), ((0, 4, 4), (0, 4)), ((3, 4, 4), (4,)), ((4, 4), (4, 0)), ((0, 0), (0,)),
    ((150, 150), (150, 3))])
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_solve(a_shape, b_shape, dtype, tol):
    A, B = well_conditioned(a_shape), rand(b_shape, 1)
    X = LA.solve(t(A, dtype), t(B, dtype))
    vector = len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1 and b_shape == a_shape[:-1])
    Bm = B[..., None] if vector else B
    ref = np.linalg.solve(A, Bm)
    ref = ref[..., 0] if vector else ref
    assert tuple(X.shape) == ref.shape
    close(X, ref, tol * 10)


def test_solve_left_false():
    A, B = well_conditioned((2, 4, 4)), rand((3, 4), 1)
    X = LA.solve(t(A), t(B), left=False)
    close(X, np.swapaxes(np.linalg.solve(np.swapaxes(A, -1, -2), B.T), -1, -2), 1e-12)


@pytest.mark.skipif(real_torch is None, reason="torch is not importable")
def test_solve_shapes_match_torch():
    for a_shape, b_shape in [((3, 2, 2), (2, 2)), ((3, 2, 2), (3, 2)), ((2, 2), (4, 1, 2, 5)), ((1, 2, 2), (2,))]:
        A, B = well_conditioned(a_shape), rand(b_shape)
        ref = real_torch.linalg.solve(real_torch.tensor(A), real_torch.tensor(B))
        close(LA.solve(t(A), t(B)), ref.numpy(), 1e-12)


def test_singular_errors():
    assert issubclass(LA.LinAlgError, RuntimeError)
    Z = t(np.zeros((2, 2)))
    with pytest.raises(LA.LinAlgError, match=r"^torch\.linalg\.solve: The solver failed because the input matrix "
                       r"is singular\.$"):
        LA.solve(Z, t(np.ones(2)))
    with pytest.raises(LA.LinAlgError, match=r"^torch\.linalg\.solve: \(Batch element 1\): The solver failed"):
        LA.solve(t(np.stack([np.eye(2), np.zeros((2, 2))])), t(np.ones((2, 2))))
    msg = (r"^linalg\.inv: The diagonal element 2 is zero, the inversion could not be completed because the input "
           r"matrix is singular\.$")
    with pytest.raises(LA.LinAlgError, match=msg):
        LA.inv(t(np.array([[1.0, 2.0], [2.0, 4.0]])))
    with pytest.raises(LA.LinAlgError, match=r"^linalg\.inv: \(Batch element 0\): The diagonal element 1 is zero"):
        torch.inverse(t(np.zeros((3, 2, 2))))
    with pytest.raises(RuntimeError, match=r"^torch\.linalg\.lu_factor: U\[2,2\] is zero and using it on lu_solve"):
        LA.lu_factor(t(np.ones((2, 3))))


def test_bad_inputs():
    cases = [
        (lambda: LA.solve(t(np.ones((2, 3))), t(np.ones(2))),
         "linalg.solve: A must be batches of square matrices, but they are 2 by 3 matrices"),
        (lambda: LA.inv(t(np.ones((2, 3)))), "linalg.inv: A must be batches of square matrices, but they are 2 by 3"),
        (lambda: LA.det(t(np.ones(3))), "linalg.det: The input tensor A must have at least 2 dimensions."),
        (lambda: LA.inv(torch.ones(2, 2, dtype=torch.int64)),
         "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
        (lambda: LA.solve(t(np.eye(2)), t(np.ones(3))),
         r"linalg.solve: Incompatible shapes of A and B for the equation AX = B \(2x2 and 3x1\)"),
        (lambda: LA.solve(t(np.eye(2)), t(np.ones((4, 2)))),
         r"linalg.solve: Incompatible shapes of A and B for the equation AX = B \(2x2 and 4x2\)"),
        (lambda: LA.solve(t(np.eye(2)), t(np.ones(2), torch.float32)),
         "linalg.solve: Expected A and B to have the same dtype, but found A of type Double and B of type Float"),
        (lambda: LA.cholesky(t(np.ones((2, 3)))), "linalg.cholesky: A must be batches of square matrices"),
        (lambda: LA.eigh(t(np.ones((2, 2))), UPLO="X"), "Expected UPLO argument to be 'L' or 'U', but got X"),
        (lambda: LA.qr(t(np.ones((2, 3))), mode="x"), "qr received unrecognized mode 'x'"),
        (lambda: LA.lstsq(t(np.ones((5, 3))), t(np.ones((4, 2)))),
         r"torch.linalg.lstsq: input.size\(-2\) should match other.size\(-2\)"),
        (lambda: LA.lstsq(t(np.ones((5, 3))), t(np.ones((5, 2))), driver="bad"), "parameter `driver` should be one"),
        (lambda: LA.solve_triangular(t(np.eye(2)), t(np.ones(2)), upper=True),
         "linalg.solve_triangular: The input tensor B must have at least 2 dimensions."),
    ]
    for fn, msg in cases:
        with pytest.raises(RuntimeError, match=msg):
            fn()
    with pytest.raises(TypeError):
        LA.solve_triangular(t(np.eye(2)), t(np.ones((2, 1))))  # upper is keyword-only and required


@pytest.mark.parametrize("op", ["det", "inv", "slogdet", "logdet"])
def test_empty(op):
    fn = {"det": LA.det, "inv": LA.inv, "slogdet": lambda a: LA.slogdet(a)[1], "logdet": torch.logdet}[op]
    assert tuple(fn(t(np.zeros((0, 3, 3)))).shape) == ((0, 3, 3) if op == "inv" else (0,))
    r = fn(t(np.zeros((2, 0, 0))))
    assert r.shape[0] == 2
    if op == "det":
        assert r.tolist() == [1.0, 1.0]


# ------------------------------------------------------- triangular, Cholesky
@pytest.mark.parametrize("upper", [False, True])
@pytest.mark.parametrize("unitriangular", [False, True])
@pytest.mark.parametrize("left", [True, False])
def test_solve_triangular(upper, unitriangular, left):
    A = rand((2, 4, 4)) + 4 * np.eye(4)
    B = rand((2, 4, 3) if left else (2, 3, 4), 1)
    X = LA.solve_triangular(t(A), t(B), upper=upper, left=left, unitriangular=unitriangular)
    T = np.triu(A) if upper else np.tril(A)
    if unitriangular:
        T = T - T * np.eye(4) + np.eye(4)
    ref = np.linalg.solve(T, B) if left else np.swapaxes(np.linalg.solve(np.swapaxes(T, -1, -2),
                                                                        np.swapaxes(B, -1, -2)), -1, -2)
    close(X, ref, 1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (5, 5), (3, 4, 4), (0, 3, 3), (30, 30)])
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_cholesky(shape, dtype, tol):
    A = spd(shape)
    L = LA.cholesky(t(A, dtype))
    close(L, np.linalg.cholesky(A) if A.size else A, tol * 10)
    U = LA.cholesky(t(A, dtype), upper=True)
    close(U, np.swapaxes(np.linalg.cholesky(A), -1, -2) if A.size else A, tol * 10)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        close(t(A, dtype).cholesky(), np.linalg.cholesky(A) if A.size else A, tol * 10)
    assert "torch.cholesky is deprecated" in str(w[0].message)


def test_cholesky_reads_lower_triangle_and_errors():
    A = spd((4, 4))
    junk = np.tril(A) + np.triu(rand((4, 4), 3), 1)
    close(LA.cholesky(t(junk)), np.linalg.cholesky(A), 1e-12)
    msg = (r"^linalg\.cholesky: The factorization could not be completed because the input is not positive-definite "
           r"\(the leading minor of order 3 is not positive-definite\)\.$")
    with pytest.raises(LA.LinAlgError, match=msg):
        LA.cholesky(t(np.diag([1.0, 2.0, -1.0, 4.0])))
    with pytest.raises(LA.LinAlgError, match=r"^linalg\.cholesky: \(Batch element 2\): The factorization"):
        LA.cholesky(t(np.stack([np.eye(2), np.eye(2), -np.eye(2)])))
    with pytest.raises(LA.LinAlgError, match="order 1 is not positive-definite"):
        LA.cholesky(t(np.full((2, 2), np.nan)))


def test_cholesky_solve():
    A = spd((2, 4, 4))
    B = rand((2, 4, 3), 1)
    L = np.linalg.cholesky(A)
    close(torch.cholesky_solve(t(B), t(L)), np.linalg.solve(A, B), 1e-12)
    close(torch.cholesky_solve(t(B), t(np.swapaxes(L, -1, -2)), upper=True), np.linalg.solve(A, B), 1e-12)


# ----------------------------------------------------------------- QR, eigh
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 6, 4), (1, 1), (0, 3), (3, 0), (2, 0, 4, 4)])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_qr(shape, mode, dtype, tol):
    A = rand(shape)
    Q, R = LA.qr(t(A, dtype), mode=mode)
    q, r = np.linalg.qr(A, mode="complete" if mode == "complete" else "reduced")
    assert tuple(R.shape) == r.shape
    close(R, r, tol * 10)  # LAPACK's signs
    if mode == "r":
        assert Q.numel() == 0
        return
    assert tuple(Q.shape) == q.shape
    close(Q, q, tol * 10)
    Qn, Rn = Q.numpy().astype(np.float64), R.numpy().astype(np.float64)
    np.testing.assert_allclose(Qn @ Rn, A, atol=tol * 10)


@pytest.mark.parametrize("shape", [(1, 1), (5, 5), (3, 4, 4), (0, 3, 3), (24, 24)])
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_eigh(shape, dtype, tol):
    A = rand(shape)
    S = A + np.swapaxes(A, -1, -2)
    w, V = LA.eigh(t(S, dtype))
    ref_w, ref_V = np.linalg.eigh(S)
    close(w, ref_w, tol * 10)
    close(LA.eigvalsh(t(S, dtype)), ref_w, tol * 10)
    Vn = V.numpy().astype(np.float64)
    np.testing.assert_allclose(S @ Vn, Vn * w.numpy().astype(np.float64)[..., None, :], atol=tol * 50)
    np.testing.assert_allclose(np.abs(np.sum(Vn * ref_V, -2)), np.ones(ref_w.shape), atol=tol * 50)  # up to sign
    junk = np.tril(S) + np.triu(rand(shape, 5), 1)
    close(LA.eigvalsh(t(junk, dtype)), ref_w, tol * 10)
    junk = np.triu(S) + np.tril(rand(shape, 5), -1)
    close(LA.eigvalsh(t(junk, dtype), UPLO="U"), ref_w, tol * 10)


@pytest.mark.parametrize("spectrum", ["two_clusters", "rank_deficient", "graded", "wide_range"])
@pytest.mark.parametrize("dtype, tol", DTYPES)
def test_eigh_structured(spectrum, dtype, tol):
    """Repeated, zero, graded and widely spread eigenvalues of a 60x60 matrix: orthonormal vectors, A V = V L."""
    w = {"two_clusters": np.r_[np.ones(30), 2 * np.ones(30)], "rank_deficient": np.r_[np.zeros(58), 1, 1e-12],
         "graded": np.logspace(-12, 0, 60), "wide_range": np.r_[np.ones(59) * 1e-8, 1e8]}[spectrum]
    Q = np.linalg.qr(rand((60, 60)))[0]
    S = (Q * w) @ Q.T
    S = (S + S.T) / 2
    L, V = LA.eigh(t(S, dtype))
    L, V = L.numpy().astype(np.float64), V.numpy().astype(np.float64)
    scale = np.abs(w).max()
    np.testing.assert_allclose(L / scale, np.sort(w) / scale, atol=tol * 100)
    np.testing.assert_allclose(V.T @ V, np.eye(60), atol=tol * 500)
    np.testing.assert_allclose((S @ V - V * L) / scale, 0, atol=tol * 100)


# ------------------------------------------------------------- pinv, lstsq
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 6, 4)])
def test_pinv(shape):
    A = rand(shape)
    close(LA.pinv(t(A)), np.linalg.pinv(A), 1e-10)
    close(torch.pinverse(t(A)), np.linalg.pinv(A), 1e-10)
    R = rand(shape[:-1] + (2,)) @ rand(shape[:-2] + (2, shape[-1]), 1)  # rank 2
    close(LA.pinv(t(R)), np.linalg.pinv(R), 1e-8)
    S = A[..., :3, :3] + np.swapaxes(A[..., :3, :3], -1, -2)
    close(LA.pinv(t(S), hermitian=True), np.linalg.pinv(S, hermitian=True), 1e-10)
    close(LA.pinv(t(A), atol=1e9), np.zeros(np.swapaxes(A, -1, -2).shape), 0)


def test_lstsq():
    A, B = rand((2, 6, 3)), rand((2, 6, 2), 1)
    ref = np.stack([np.linalg.lstsq(A[i], B[i], rcond=None)[0] for i in range(2)])
    sol, res, rank, sv = LA.lstsq(t(A), t(B))
    close(sol, ref, 1e-10)
    assert rank.tolist() == [3, 3] and res.numel() == 0 and sv.numel() == 0
    sol, res, rank, sv = LA.lstsq(t(A), t(B), driver="gelsd")
    close(res, np.stack([np.linalg.lstsq(A[i], B[i], rcond=None)[1] for i in range(2)]), 1e-10)
    close(sv, np.linalg.svd(A, compute_uv=False), 1e-10)
    W = rand((3, 5))  # wide: the minimum-norm solution
    close(LA.lstsq(t(W), t(rand(3, 2))).solution, np.linalg.lstsq(W, rand(3, 2), rcond=None)[0], 1e-10)
    v = LA.lstsq(t(A[0]), t(B[0, :, 0])).solution
    close(v, ref[0, :, 0], 1e-10)


def test_nan_inputs_give_nan():
    nan = t(np.full((2, 2), np.nan))
    for r in [LA.eigh(nan).eigenvalues, LA.eigh(nan).eigenvectors, LA.qr(nan).Q, LA.det(nan), LA.inv(nan),
              LA.solve(nan, t(np.ones(2)))]:
        assert np.isnan(r.numpy()).all()


def test_cuda_goes_through_the_host():
    """The CPU kernels serve CUDA tensors through host copies: results on the GPU, equal to the CPU's, and
    gradients back to the GPU inputs."""
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    A, B = well_conditioned((3, 3), 1), rand((3, 2), 2)
    for fn in (lambda a, b: LA.solve(a, b), lambda a, b: LA.inv(a) @ b, lambda a, b: LA.det(a) * b,
               lambda a, b: LA.qr(a).Q @ b, lambda a, b: LA.lu_factor(a).LU @ b, lambda a, b: torch.svd(a).S.sum() * b):
        cpu = [t(A, grad=True), t(B, grad=True)]
        gpu = [x.detach().cuda().requires_grad_() for x in cpu]
        r_cpu, r_gpu = fn(*cpu), fn(*gpu)
        assert r_gpu.is_cuda
        np.testing.assert_allclose(r_gpu.cpu().detach().numpy(), r_cpu.detach().numpy(), rtol=1e-12, atol=1e-12)
        r_cpu.sum().backward()
        r_gpu.sum().backward()
        for c, g in zip(cpu, gpu):
            assert g.grad.is_cuda
            np.testing.assert_allclose(g.grad.cpu().numpy(), c.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_on_host_passes_cpu_calls_through():
    calls = []
    f = on_host(lambda a, *, out=None: calls.append((a, out)) or LA.qr(a))
    a = t(well_conditioned((2, 2), 3))
    r = f(a, out=None)
    assert calls[0][0] is a and type(r).__name__ == "linalg_qr"
    moved = _to(r, torch.device("cpu"))
    assert type(moved) is type(r) and torch.equal(moved.Q, r.Q)
    assert _to((a, 1), torch.device("cpu"))[1] == 1


# ------------------------------------------------------------------ gradients
def _g(shape, seed, kind="general"):
    a = {"general": well_conditioned, "spd": spd, "any": rand}[kind](shape, seed)
    return t(a, grad=True)


GRAD_ROWS = [
    ("solve", lambda A, B: LA.solve(A, B), [((3, 3), "general"), ((3, 2), "any")]),
    ("solve_vec_bcast", lambda A, B: LA.solve(A, B), [((2, 3, 3), "general"), ((3,), "any")]),
    ("solve_left_false", lambda A, B: LA.solve(A, B, left=False), [((3, 3), "general"), ((2, 3), "any")]),
    ("inv", lambda A: LA.inv(A), [((2, 3, 3), "general")]),
    ("lu_factor", lambda A: LA.lu_factor(A).LU, [((2, 4, 4), "any")]),
    ("lu_solve", lambda A, B: LA.lu_solve(*LA.lu_factor(A), B), [((4, 4), "any"), ((4, 2), "any")]),
    ("lu_solve_adjoint_right", lambda A, B: LA.lu_solve(*LA.lu_factor(A), B, adjoint=True, left=False),
     [((4, 4), "any"), ((2, 4), "any")]),
    ("det", lambda A: LA.det(A), [((2, 3, 3), "general")]),
    ("slogdet", lambda A: LA.slogdet(A)[1], [((2, 3, 3), "general")]),
    ("logdet", lambda A: torch.logdet(A), [((3, 3), "spd")]),
    ("solve_triangular", lambda A, B: LA.solve_triangular(A, B, upper=True), [((3, 3), "general"), ((3, 2), "any")]),
    ("solve_triangular_unit", lambda A, B: LA.solve_triangular(A, B, upper=False, unitriangular=True, left=False),
     [((3, 3), "general"), ((2, 3), "any")]),
    ("cholesky", lambda A: LA.cholesky(A.matmul(A.transpose(-2, -1)) + 3 * torch.eye(3, dtype=torch.float64)),
     [((2, 3, 3), "any")]),
    ("cholesky_upper", lambda A: LA.cholesky(A.matmul(A.mT if hasattr(A, "mT") else A.transpose(-2, -1)) +
                                             torch.eye(3, dtype=torch.float64), upper=True), [((3, 3), "general")]),
    ("cholesky_solve", lambda B, L: torch.cholesky_solve(B, L.tril()), [((3, 2), "any"), ((3, 3), "general")]),
    ("qr", lambda A: LA.qr(A), [((4, 3), "any")]),
    ("qr_wide", lambda A: LA.qr(A), [((2, 3, 5), "any")]),
    ("qr_wide_r_only", lambda A: LA.qr(A)[1], [((3, 4), "any")]),
    ("qr_complete_wide", lambda A: LA.qr(A, mode="complete"), [((2, 4), "any")]),
    ("qr_square", lambda A: LA.qr(A)[0].sum() + LA.qr(A)[1], [((2, 3, 3), "any")]),
    ("eigh", lambda A: LA.eigh(A + A.transpose(-2, -1)), [((3, 3), "any")]),
    ("eigvalsh", lambda A: LA.eigvalsh(A + A.transpose(-2, -1)), [((2, 3, 3), "any")]),
    ("pinv", lambda A: LA.pinv(A), [((4, 3), "any")]),
    ("lstsq", lambda A, B: LA.lstsq(A, B).solution, [((5, 3), "any"), ((5, 2), "any")]),
]


def _eigh_gauge(fn):
    """eigh's eigenvectors are defined up to sign: differentiate a sign-invariant function of them."""
    def f(A):
        w, V = fn(A)
        return w, V * V[..., :1, :].sign()
    return f


@pytest.mark.parametrize("row", GRAD_ROWS, ids=[r[0] for r in GRAD_ROWS])
def test_gradcheck(row):
    name, fn, specs = row
    inputs = [_g(shape, i, kind) for i, (shape, kind) in enumerate(specs)]
    if name == "eigh":
        fn = _eigh_gauge(fn)
    assert gradcheck(fn, inputs)
    if name not in ("pinv", "lstsq", "eigh"):
        assert gradgradcheck(fn, inputs)


def test_det_gradient_of_singular_matrix():
    A = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])  # rank 2: the gradient is the cofactor matrix
    x = t(A, grad=True)
    LA.det(x).backward()
    cof = np.array([[A[1, 1] * A[2, 2] - A[1, 2] * A[2, 1], -(A[1, 0] * A[2, 2] - A[1, 2] * A[2, 0]),
                     A[1, 0] * A[2, 1] - A[1, 1] * A[2, 0]],
                    [-(A[0, 1] * A[2, 2] - A[0, 2] * A[2, 1]), A[0, 0] * A[2, 2] - A[0, 2] * A[2, 0],
                     -(A[0, 0] * A[2, 1] - A[0, 1] * A[2, 0])],
                    [A[0, 1] * A[1, 2] - A[0, 2] * A[1, 1], -(A[0, 0] * A[1, 2] - A[0, 2] * A[1, 0]),
                     A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0]]])
    close(x.grad, cof, 1e-10)


def _qr_loss(L, a):
    Q, R = L.linalg.qr(a)
    return Q.sum() + R.square().sum()


@pytest.mark.skipif(real_torch is None, reason="torch is not importable")
def test_gradients_match_torch():
    A, B = rand((2, 3, 3), 4), rand((2, 3, 2), 1)
    for name, f in [("solve", lambda L, a, b: L.linalg.solve(a, b).sum()),
                    ("lu_factor", lambda L, a, b: L.linalg.lu_factor(a)[0].square().sum()),
                    ("lu_solve", lambda L, a, b: L.linalg.lu_solve(*L.linalg.lu_factor(a), b, adjoint=True).sum()),
                    ("inv", lambda L, a, b: (L.linalg.inv(a) * a).sum()),
                    ("det", lambda L, a, b: L.linalg.det(a).sum()),
                    ("qr_wide", lambda L, a, b: _qr_loss(L, a[..., :2, :])),
                    ("qr", lambda L, a, b: _qr_loss(L, a)),
                    ("eigh", lambda L, a, b: L.linalg.eigh(a + a.mT)[0].square().sum()),
                    ("cholesky", lambda L, a, b: L.linalg.cholesky(a @ a.mT).sum())]:
        ours = [t(A, grad=True), t(B, grad=True)]
        theirs = [real_torch.tensor(A, requires_grad=True), real_torch.tensor(B, requires_grad=True)]
        f(torch, *ours).backward()
        f(real_torch, *theirs).backward()
        close(ours[0].grad, theirs[0].grad.numpy(), 1e-10)


def test_det_rounds_as_torch_on_small_matrices():
    """torch's LAPACK call factors A's row-major memory as a column-major matrix, i.e. A^T: the float32 det of
    [[1, 2], [3, 4]] is exactly -2 there (LU of A gives -1.9999998)."""
    assert LA.det(torch.tensor([[1.0, 2.0], [3.0, 4.0]])).item() == -2.0
    assert LA.det(torch.tensor([[2.0, 1.0, 3.0], [1.0, 3.0, 4.0], [5.0, 1.0, 2.0]])).item() == np.float32(-19.999998)
    sign, logabs = LA.slogdet(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert sign.item() == -1.0 and logabs.item() == np.float32(np.log(2.0))
