"""torch.linalg.svd / svdvals, torch.svd / Tensor.svd and the matrix norms ord 2, -2, 'nuc' against numpy's SVD in
float64: singular values, orthonormal factors that reconstruct A, singular vectors up to sign, gradients (of
gauge-invariant functions) by central differences, and torch's errors."""
import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import central_difference, device_params

SHAPES = [(4, 3), (3, 5), (5, 5), (6, 1), (1, 6), (2, 3, 4, 4), (30, 20)]


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def check_factors(A, U, S, Vh, full, rtol):
    m, n = A.shape[-2:]
    k = min(m, n)
    assert U.shape == A.shape[:-2] + ((m, m) if full else (m, k))
    assert Vh.shape == A.shape[:-2] + ((n, n) if full else (k, n))
    np.testing.assert_allclose(S, np.linalg.svd(A, compute_uv=False), rtol=rtol, atol=rtol)
    eye = np.eye(U.shape[-1])
    np.testing.assert_allclose(np.swapaxes(U, -1, -2) @ U, np.broadcast_to(eye, U.shape[:-2] + eye.shape), atol=rtol)
    eye = np.eye(Vh.shape[-2])
    np.testing.assert_allclose(Vh @ np.swapaxes(Vh, -1, -2), np.broadcast_to(eye, Vh.shape[:-2] + eye.shape),
                               atol=rtol)
    np.testing.assert_allclose((U[..., :k] * S[..., None, :]) @ Vh[..., :k, :], A, atol=rtol * 10)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full_matrices", [True, False])
@pytest.mark.parametrize("dtype, rtol", [(torch.float64, 1e-12), (torch.float32, 1e-5)])
def test_factors(shape, full_matrices, dtype, rtol):
    A = rand(shape)
    U, S, Vh = torch.linalg.svd(torch.tensor(A, dtype=dtype), full_matrices=full_matrices)
    assert U.dtype == S.dtype == Vh.dtype == dtype
    check_factors(A.astype(np.float32) if dtype == torch.float32 else A, U.numpy().astype(np.float64),
                  S.numpy().astype(np.float64), Vh.numpy().astype(np.float64), full_matrices, rtol)
    # distinct singular values: the vectors are numpy's up to sign
    k = min(shape[-2:])
    Un, _, Vhn = np.linalg.svd(A, full_matrices=False)
    cos = np.abs(np.einsum("...ik,...ik->...k", U.numpy()[..., :k].astype(np.float64), Un))
    np.testing.assert_allclose(cos, 1, atol=rtol * 100)
    cos = np.abs(np.einsum("...ki,...ki->...k", Vh.numpy()[..., :k, :].astype(np.float64), Vhn))
    np.testing.assert_allclose(cos, 1, atol=rtol * 100)


def test_rank_deficient_and_zero():
    a = rand((5, 1))
    A = a @ rand((1, 4), 1)  # rank 1
    U, S, Vh = torch.linalg.svd(torch.tensor(A))
    check_factors(A, U.numpy(), S.numpy(), Vh.numpy(), True, 1e-12)
    assert (S.numpy()[1:] < 1e-14).all()
    Z = np.zeros((3, 4))
    U, S, Vh = torch.linalg.svd(torch.tensor(Z))
    check_factors(Z, U.numpy(), S.numpy(), Vh.numpy(), True, 1e-12)
    R = rand((6, 6))
    R[:, 2] = R[:, 0]  # repeated column
    U, S, Vh = torch.linalg.svd(torch.tensor(R), full_matrices=False)
    check_factors(R, U.numpy(), S.numpy(), Vh.numpy(), False, 1e-12)


# Larger and structured inputs for the Householder/QR kernel: tall enough for the QR-first path (m >= 2n), wide,
# square; repeated and clustered singular values, rank deficiency, zero columns and rows, graded and extreme scales.
def structured(name, seed=20):
    g = np.random.default_rng(seed)
    Q1, _ = np.linalg.qr(g.standard_normal((60, 60)))
    Q2, _ = np.linalg.qr(g.standard_normal((40, 40)))
    if name == "orthogonal":
        return Q1
    if name == "repeated":  # singular values 3, 3, 3, 1, 1, ..., 0 (rank 30)
        s = np.r_[[3.0] * 3, [1.0] * 27, [0.0] * 10]
        return (Q1[:, :40] * s) @ Q2.T
    if name == "clustered":
        return (Q1[:, :40] * (1 + 1e-9 * np.arange(40))) @ Q2.T
    if name == "graded":  # singular values 1 .. 1e-12
        return (Q1[:, :40] * np.logspace(0, -12, 40)) @ Q2.T
    if name == "rank 3":
        return g.standard_normal((60, 3)) @ g.standard_normal((3, 40))
    if name == "zero rows and columns":
        A = g.standard_normal((60, 40))
        A[:, [0, 7, 39]] = 0
        A[5:30] = 0
        return A
    if name == "bidiagonal with zeros":  # zero diagonal entries: the kernel's chasing paths
        A = np.diag(g.standard_normal(40)) + np.diag(g.standard_normal(39), 1)
        A[[0, 13, 39], [0, 13, 39]] = 0
        return A
    raise ValueError(name)


STRUCTURED = ["orthogonal", "repeated", "clustered", "graded", "rank 3", "zero rows and columns",
              "bidiagonal with zeros"]


@pytest.mark.parametrize("name", STRUCTURED)
@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_structured_matrices(name, transpose, full_matrices):
    A = structured(name)
    A = A.T if transpose else A
    U, S, Vh = (t.numpy() for t in torch.linalg.svd(torch.tensor(A), full_matrices=full_matrices))
    scale = np.linalg.norm(A, 2)
    np.testing.assert_allclose(S, np.linalg.svd(A, compute_uv=False), atol=1e-13 * max(scale, 1), rtol=0)
    assert (np.diff(S) <= 0).all() and (S >= 0).all()
    check_factors(A, U, S, Vh, full_matrices, 1e-12)


@pytest.mark.parametrize("shape", [(200, 30), (30, 200), (120, 120), (3, 70, 20)])
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-12), (torch.float32, 2e-5)])
def test_larger_shapes(shape, dtype, tol):
    A = rand(shape, 21)
    if dtype == torch.float32:
        A = A.astype(np.float32).astype(np.float64)
    for full in (False, True):
        U, S, Vh = (t.numpy().astype(np.float64) for t in torch.linalg.svd(torch.tensor(A, dtype=dtype), full))
        check_factors(A, U, S, Vh, full, tol * 10 if dtype == torch.float32 else tol)
    S = torch.linalg.svdvals(torch.tensor(A, dtype=dtype)).numpy()
    np.testing.assert_allclose(S, np.linalg.svd(A, compute_uv=False), rtol=0,
                               atol=tol * np.linalg.norm(A, 2, (-2, -1)).max())


@pytest.mark.parametrize("scale", [1e-300, 1e-150, 1e150, 1e300])
def test_extreme_scales_float64(scale):
    A = rand((30, 12), 22)
    U, S, Vh = (t.numpy() for t in torch.linalg.svd(torch.tensor(A * scale), full_matrices=False))
    np.testing.assert_allclose(S / scale, np.linalg.svd(A, compute_uv=False), rtol=1e-12)
    check_factors(A, U, S / scale, Vh, False, 1e-12)


@pytest.mark.parametrize("scale", [1e-35, 1e-18, 1e18, 1e35])
def test_extreme_scales_float32(scale):
    A = rand((30, 12), 23).astype(np.float32)
    S = torch.linalg.svdvals(torch.tensor(A * np.float32(scale))).numpy().astype(np.float64)
    assert np.isfinite(S).all()
    np.testing.assert_allclose(S / scale, np.linalg.svd(A.astype(np.float64), compute_uv=False), rtol=2e-5)


def test_empty():
    U, S, Vh = torch.linalg.svd(torch.zeros(3, 0))
    assert U.shape == (3, 3) and S.shape == (0,) and Vh.shape == (0, 0)
    np.testing.assert_array_equal(U.numpy(), np.eye(3))
    U, S, Vh = torch.linalg.svd(torch.zeros(0, 2), full_matrices=False)
    assert U.shape == (0, 0) and S.shape == (0,) and Vh.shape == (0, 2)
    assert torch.linalg.svdvals(torch.zeros(4, 0, 3)).shape == (4, 0)


def test_svdvals_torch_svd_and_method():
    A = rand((4, 3))
    np.testing.assert_allclose(torch.linalg.svdvals(torch.tensor(A)).numpy(), np.linalg.svd(A, compute_uv=False),
                               rtol=1e-12)
    U, S, V = torch.svd(torch.tensor(A))
    assert U.shape == (4, 3) and V.shape == (3, 3)
    np.testing.assert_allclose((U.numpy() * S.numpy()) @ V.numpy().T, A, atol=1e-12)
    U, S, V = torch.tensor(A).svd(some=False)
    assert U.shape == (4, 4) and V.shape == (3, 3)
    U, S, V = torch.svd(torch.tensor(A), compute_uv=False)
    assert (U.numpy() == 0).all() and U.shape == (4, 4) and (V.numpy() == 0).all() and V.shape == (3, 3)
    r = torch.linalg.svd(torch.tensor(A))
    assert type(r).__name__ == "linalg_svd" and r.Vh is r[2]
    assert type(torch.svd(torch.tensor(A))).__name__ == "svd"


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (2, 3, 3)])
def test_svdvals_gradient(shape):
    A = rand(shape, 2)
    w = rand(shape[:-2] + (min(shape[-2:]),), 3)
    x = torch.tensor(A, requires_grad=True)
    (torch.linalg.svdvals(x) * torch.tensor(w)).sum().backward()
    expect = central_difference(lambda a: (np.linalg.svd(a, compute_uv=False) * w).sum(), A)
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4)])
@pytest.mark.parametrize("full_matrices", [False, True])
def test_svd_gradient_of_invariant_functions(shape, full_matrices):
    """U diag(S^3) Vh and the projectors U U^T, Vh^T Vh do not depend on the singular vectors' signs."""
    A = rand(shape, 4)
    k = min(shape)
    W1, W2, W3 = rand(shape, 5), rand((shape[0],) * 2, 6), rand((shape[1],) * 2, 7)

    def f_np(a):
        U, S, Vh = np.linalg.svd(a, full_matrices=False)
        return ((U * S ** 3) @ Vh * W1).sum() + (U @ U.T * W2).sum() + (Vh.T @ Vh * W3).sum()
    x = torch.tensor(A, requires_grad=True)
    U, S, Vh = torch.linalg.svd(x, full_matrices=full_matrices)
    U, Vh = U[:, :k], Vh[:k]
    loss = ((U * S ** 3).matmul(Vh) * torch.tensor(W1)).sum() + (U.matmul(U.t()) * torch.tensor(W2)).sum() + \
        (Vh.t().matmul(Vh) * torch.tensor(W3)).sum()
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), central_difference(f_np, A), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_matrix_norms(ord):
    A = rand((3, 4, 5), 8)
    x = torch.tensor(A, requires_grad=True)
    got = torch.linalg.matrix_norm(x, ord, dim=(0, 2))
    ref = lambda a: np.linalg.norm(np.transpose(a, (1, 0, 2)), ord, axis=(1, 2))  # noqa: E731
    np.testing.assert_allclose(got.detach().numpy(), ref(A), rtol=1e-12)
    got.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), central_difference(lambda a: ref(a).sum(), A), rtol=1e-6, atol=1e-8)
    kept = torch.linalg.matrix_norm(x, ord, dim=(2, 0), keepdim=True)
    assert kept.shape == (1, 4, 1)
    B = rand((4, 3), 9)
    np.testing.assert_allclose(torch.linalg.norm(torch.tensor(B), ord).item(), np.linalg.norm(B, ord), rtol=1e-12)


def test_tensor_norm_nuc():
    A = rand((2, 3, 4), 11)
    x = torch.tensor(A, requires_grad=True)
    np.testing.assert_allclose(torch.tensor(A[0]).norm(p="nuc").item(), np.linalg.norm(A[0], "nuc"), rtol=1e-12)
    got = torch.norm(x, "nuc", dim=(2, 1))
    np.testing.assert_allclose(got.detach().numpy(), np.linalg.norm(A, "nuc", axis=(1, 2)), rtol=1e-12)
    got.sum().backward()
    expect = central_difference(lambda a: np.linalg.norm(a, "nuc", axis=(1, 2)).sum(), A)
    np.testing.assert_allclose(x.grad.numpy(), expect, rtol=1e-6, atol=1e-8)
    assert x.norm("nuc", dim=(0, 2), keepdim=True).shape == (1, 3, 1)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"):
        torch.norm(x, "nuc")


def test_matrix_norm_of_empty():
    assert torch.linalg.matrix_norm(torch.zeros(3, 0), "nuc").item() == 0
    assert torch.linalg.matrix_norm(torch.zeros(3, 0), 2).item() == 0
    with pytest.raises(IndexError):
        torch.linalg.matrix_norm(torch.zeros(3, 0), -2)


def test_matches_torch_when_installed():
    real = pytest.importorskip("torch")
    if real is torch:
        pytest.skip("torch is tinygrad_ext here")
    A = rand((2, 5, 3), 10)
    a = real.tensor(A, requires_grad=True)
    b = torch.tensor(A, requires_grad=True)
    (real.linalg.matrix_norm(a, "nuc").sum() + real.linalg.svdvals(a)[..., 1].sum()).backward()
    (torch.linalg.matrix_norm(b, "nuc").sum() + torch.linalg.svdvals(b)[..., 1].sum()).backward()
    np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: torch.linalg.svd(torch.ones(3)), RuntimeError, "linalg.svd: The input tensor A must have at least 2 "
                                                            "dimensions."),
    (lambda: torch.linalg.svdvals(torch.ones(2, 2, dtype=torch.int64)), RuntimeError,
     "linalg.svd: Expected a floating point or complex tensor as input. Got Long"),
    (lambda: torch.linalg.svd(torch.ones(2, 2), driver="gesvd"), RuntimeError, "`driver=` is only supported on CUDA"),
    (lambda: torch.linalg.svd(torch.tensor([[1.0, float("nan")], [0.0, 1.0]])), RuntimeError,
     "The algorithm failed to converge because the input matrix contained non-finite values"),
    (lambda: torch.linalg.matrix_norm(torch.ones(3, 4, dtype=torch.int64), "nuc"), RuntimeError,
     "Expected a floating point"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("device", [p for p in device_params() if p.id == "cuda"])
def test_cuda_goes_through_the_host(device):
    A = torch.tensor([[3.0, 1.0], [1.0, 2.0]], dtype=torch.float64)
    U, S, Vh = torch.linalg.svd(A.to(device))
    assert S.is_cuda and U.is_cuda and Vh.is_cuda
    assert torch.allclose(S.cpu(), torch.linalg.svdvals(A)) and torch.linalg.matrix_norm(A.to(device), 2).is_cuda
