"""Program-level parity with torch 2.13 found by running small CPU versions of the "Introduction to PyTorch"
video-series pages (tensors, autograd, building models, training), text classification with EmbeddingBag and
language modeling with nn.Transformer: the differences pinned here, expected values hard-coded from torch."""
import numpy as np
import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F

# ---- broadcasting errors (Introduction to PyTorch Tensors: "the rules of broadcasting") ----


@pytest.mark.parametrize("a, b, msg", [
    ((2, 3), (3, 2), "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 1"),
    ((4, 3, 2), (4, 3), "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 2"),
    ((4, 3, 2), (0,), "The size of tensor a (2) must match the size of tensor b (0) at non-singleton dimension 2"),
])
def test_broadcast_error_message_is_torchs_then_names_both_shapes(a, b, msg):
    # torch's message, then both shapes: RELIABILITY.md row 4 (a deliberate addition, in README)
    with pytest.raises(RuntimeError) as e:
        torch.ones(a) * torch.rand(b)
    assert str(e.value) == f"{msg} (shapes {list(a)} and {list(b)})"


@pytest.mark.parametrize("shapes, msg", [
    (((4, 3), (2, 3)), "Attempting to broadcast a dimension of length 2 at -2! Mismatching argument at index 1 had "
                       "(2, 3); but expected shape should be broadcastable to [4, 3]"),
    (([4, 3], [2, 3]), "Attempting to broadcast a dimension of length 2 at -2! Mismatching argument at index 1 had "
                       "[2, 3]; but expected shape should be broadcastable to [4, 3]"),
    ((2, 3), "Attempting to broadcast a dimension of length 3 at -1! Mismatching argument at index 1 had (3,); but "
             "expected shape should be broadcastable to [2]"),
    (((3,), (2, 4)), "Attempting to broadcast a dimension of length 4 at -1! Mismatching argument at index 1 had "
                     "(2, 4); but expected shape should be broadcastable to [1, 3]"),
    (((1,), (2,), (3,)), "Attempting to broadcast a dimension of length 3 at -1! Mismatching argument at index 2 had "
                         "(3,); but expected shape should be broadcastable to [2]"),
    (((2, 4), (3, 1), (1,)), "Attempting to broadcast a dimension of length 3 at -2! Mismatching argument at index 1 "
                             "had (3, 1); but expected shape should be broadcastable to [2, 4]"),
    (((1,), (0,), (2,)), "Attempting to broadcast a dimension of length 2 at -1! Mismatching argument at index 2 had "
                         "(2,); but expected shape should be broadcastable to [0]"),
    (((2, 3), (-1,)), "Attempting to broadcast a dimension of length -1 at -1! Mismatching argument at index 1 had "
                      "(-1,); but expected shape should be broadcastable to [2, 3]"),
])
def test_broadcast_shapes_error_is_torchs(shapes, msg):
    with pytest.raises(RuntimeError) as e:
        torch.broadcast_shapes(*shapes)
    assert type(e.value) is RuntimeError and str(e.value) == msg


def test_broadcast_shapes_results_and_other_errors():
    assert torch.broadcast_shapes((4, 1, 2), (3, 1)) == torch.Size([4, 3, 2])
    assert torch.broadcast_shapes(3, (2, 1)) == torch.Size([2, 3])
    assert torch.broadcast_shapes((2, 3), None) == torch.Size([2, 3])  # (None is skipped, as torch's)
    assert torch.broadcast_shapes(None) == torch.Size([]) and torch.broadcast_shapes() == torch.Size([])
    assert torch.broadcast_shapes((0,), (1,)) == torch.Size([0])
    s = torch.Size([2])
    with pytest.raises(RuntimeError, match=r"had torch\.Size\(\[3\]\); but expected"):
        torch.broadcast_shapes(s, torch.Size([3]))
    with pytest.raises(ValueError, match="^Attempting to broadcast a dimension with negative length!$"):
        torch.broadcast_shapes((2, -1), (2, 3))


def test_broadcast_tensors_keeps_the_pairwise_message():
    for shapes in [((2,), (3,)), ((2, 4), (3, 4)), ((2, 4), (3, 1), (5,))]:
        with pytest.raises(RuntimeError) as e:
            torch.broadcast_tensors(*[torch.ones(s) for s in shapes])
        assert str(e.value) == "The size of tensor a (2) must match the size of tensor b (3) at non-singleton " \
                               "dimension 0"


# ---- EmbeddingBag (text classification) ----


def test_embedding_bag_2d_input_with_offsets_names_the_offsets_type():
    eb = torch.nn.EmbeddingBag(5, 2, mode="max")
    with pytest.raises(ValueError) as e:
        eb(torch.tensor([[1, 2]]), torch.tensor([0]))
    assert str(e.value) == ("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                            "fixed length sequences. However, found offsets of type <class 'torch.Tensor'>")
    with pytest.raises(ValueError, match=r"found offsets of type <class 'list'>$"):
        F.embedding_bag(torch.tensor([[1, 2]]), torch.ones(5, 2), [0])


# ---- SVD: the singular vectors' signs as torch's (MKL's gesdd) ----

_SVD = {  # A: (U, S, Vh) of torch.linalg.svd(float64), rounded to 6 digits
    "sq2": ([[0.7, 0.2], [0.4, 0.9]],
            [[-0.533172, -0.846007], [-0.846007, 0.533172]], [1.122454, 0.489998],
            [[-0.633989, -0.773342], [-0.773342, 0.633989]]),
    "sq3": ([[1.0, -2.0, 0.5], [0.3, 0.8, -1.2], [2.2, 0.1, 0.4]],
            [[-0.755095, 0.415776, -0.506914], [0.233896, -0.551471, -0.800732], [-0.612474, -0.723194, 0.319165]],
            [2.760979, 1.985812, 0.929272],
            [[-0.736104, 0.592565, -0.327135], [-0.675136, -0.677329, 0.292261], [-0.048394, 0.435995, 0.898647]]),
    "tall42": ([[1.0, 2.0], [-0.5, 0.3], [0.7, -1.1], [0.2, 0.9]],
               [[-0.862883, 0.3704, 0.055372, -0.339367], [-0.062762, -0.467399, 0.856236, -0.210852],
                [0.346373, 0.801969, 0.48117, 0.073116], [-0.362655, -0.034458, 0.179635, 0.913797]],
               [2.539677, 1.200017], [[-0.260495, -0.965475], [0.965475, -0.260495]]),
    "tall43": ([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3], [-0.7, 0.9, 0.1], [0.4, 0.6, -1.3]],
               [[-0.83683, 0.188402, -0.204872, 0.471431], [0.099495, 0.820621, -0.44485, -0.34466],
                [0.143099, -0.464455, -0.871845, 0.060745], [0.518979, 0.274531, -0.004668, 0.809489]],
               [2.701113, 1.802566, 0.777653],
               [[-0.059883, 0.480137, -0.875147], [0.976421, -0.153985, -0.151295],
                [-0.207402, -0.863572, -0.459595]]),
    "wide23": ([[1.0, -0.5, 0.7], [2.0, 0.3, -1.1]],
               [[0.269314, -0.963052], [0.963052, 0.269314]], [2.366858, 1.199159],
               [[0.927567, 0.065174, -0.36793], [-0.353935, 0.468929, -0.809219], [0.119793, 0.880828, 0.458031]]),
    "wide35": ([[0.2, 1.0, -0.4, 0.6, 1.1], [-1.3, 0.5, 0.8, 0.1, -0.2], [0.9, -0.6, 0.3, 1.4, 0.7]],
               [[0.425554, -0.789978, -0.441405], [-0.450855, -0.608013, 0.653491], [0.784624, 0.079086, 0.614907]],
               [2.235421, 1.574218, 1.278566],
               [[0.616163, -0.121073, -0.132198, 0.585447, 0.49544],
                [0.446951, -0.725081, -0.093185, -0.269383, -0.439592],
                [-0.300651, -0.378239, 0.691264, 0.51728, -0.145326],
                [-0.364846, -0.109581, -0.678833, 0.513551, -0.361013],
                [-0.443931, -0.551838, -0.187562, -0.231023, 0.640194]]),
    "row13": ([[-0.3, 0.4, 1.2]], [[1.0]], [1.3],
              [[-0.230769, 0.307692, 0.923077], [0.307692, 0.923077, -0.230769], [0.923077, -0.230769, 0.307692]]),
    "col31": ([[-0.3], [0.4], [1.2]],
              [[-0.230769, 0.307692, 0.923077], [0.307692, 0.923077, -0.230769], [0.923077, -0.230769, 0.307692]],
              [1.3], [[1.0]]),
    "neg0": ([[-0.0, 1.0], [2.0, -0.0]], [[0.0, -1.0], [-1.0, 0.0]], [2.0, 1.0], [[-1.0, 0.0], [0.0, -1.0]]),
}


@pytest.mark.parametrize("name", list(_SVD))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_svd_signs_are_torchs(name, dtype):
    a, u, s, vh = _SVD[name]
    U, S, Vh = torch.linalg.svd(torch.tensor(a, dtype=dtype))
    tol = 1e-6 if dtype is torch.float64 else 2e-5
    np.testing.assert_allclose(U.numpy(), u, atol=tol)
    np.testing.assert_allclose(S.numpy(), s, atol=tol)
    np.testing.assert_allclose(Vh.numpy(), vh, atol=tol)
    k = len(s)  # the reduced factors are the full ones' leading columns / rows, and torch.svd's V is Vh^T
    U2, S2, Vh2 = torch.linalg.svd(torch.tensor(a, dtype=dtype), full_matrices=False)
    np.testing.assert_allclose(U2.numpy(), np.array(u)[:, :k], atol=tol)
    np.testing.assert_allclose(Vh2.numpy(), np.array(vh)[:k], atol=tol)
    U3, S3, V3 = torch.svd(torch.tensor(a, dtype=dtype))
    np.testing.assert_allclose(V3.numpy(), np.array(vh)[:k].T, atol=tol)


def test_svd_batch_signs_and_the_tutorials_matrix():
    # the tensors tutorial: m3 = linalg.matmul(m1, [[3, 0], [0, 3]]) with m1 = torch.rand(2, 2) under seed 1729
    m1 = torch.tensor([[0.31259995698928833, 0.3790954351425171], [0.3086692690849304, 0.07358008623123169]])
    U, S, Vh = torch.linalg.svd(torch.linalg.matmul(m1, torch.tensor([[3., 0.], [0., 3.]])))
    assert str(U) == "tensor([[-0.8638, -0.5038],\n        [-0.5038,  0.8638]])"
    assert str(S) == "tensor([1.6810, 0.5033])"
    assert str(Vh) == "tensor([[-0.7594, -0.6506],\n        [ 0.6506, -0.7594]])"
    batch = torch.tensor([_SVD["tall42"][0], (np.array(_SVD["tall42"][0]) * -2).tolist()], dtype=torch.float64)
    U, S, Vh = torch.linalg.svd(batch)
    np.testing.assert_allclose(U[0].numpy(), _SVD["tall42"][1], atol=1e-6)
    np.testing.assert_allclose(S[1].numpy(), np.array(_SVD["tall42"][2]) * 2, atol=1e-6)


def test_svd_ties_keep_the_identity_order():
    for a in (np.eye(3), np.zeros((3, 2)), np.zeros((2, 5))):
        U, S, Vh = torch.linalg.svd(torch.tensor(a))
        np.testing.assert_array_equal(U.numpy(), np.eye(a.shape[0]))
        np.testing.assert_array_equal(Vh.numpy(), np.eye(a.shape[1]))


@pytest.mark.parametrize("shape", [(6, 6), (9, 4), (4, 9), (30, 7), (7, 30), (3, 5, 4)])
def test_svd_reconstructs_and_is_orthogonal(shape):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape)
    U, S, Vh = torch.linalg.svd(torch.tensor(a), full_matrices=False)
    np.testing.assert_allclose((U.numpy() * S.numpy()[..., None, :]) @ Vh.numpy(), a, atol=1e-12)
    k = min(shape[-2:])
    eye = np.broadcast_to(np.eye(k), U.shape[:-2] + (k, k))
    np.testing.assert_allclose(np.swapaxes(U.numpy(), -1, -2) @ U.numpy(), eye, atol=1e-12)
    np.testing.assert_allclose(S.numpy(), np.linalg.svd(a, compute_uv=False), rtol=1e-12)
    assert (np.diff(S.numpy(), axis=-1) <= 0).all()


# ---- eigh: the eigenvectors' signs as torch's (MKL's syevd), exact small eigenvalues ----

_EIGH = {  # (A, UPLO): (eigenvalues, eigenvectors) of torch.linalg.eigh(float64), rounded to 6 digits
    "tri3": ([[4., 1., 0.], [1., 4., 1.], [0., 1., 4.]], "L", [2.585786, 4.0, 5.414214],
             [[0.5, -0.707107, 0.5], [-0.707107, 0.0, 0.707107], [0.5, 0.707107, 0.5]]),
    "sym4": ([[1.0, -2.0, 0.5, 0.3], [-2.0, 0.8, -1.2, 0.1], [0.5, -1.2, 2.2, 0.4], [0.3, 0.1, 0.4, -1.0]], "L",
             [-1.457666, -0.772328, 1.39387, 3.836124],
             [[-0.503861, 0.403422, 0.551247, -0.528679], [-0.573047, 0.479577, -0.312053, 0.586725],
              [-0.186793, 0.020922, -0.770368, -0.609264], [0.618749, 0.778986, -0.072677, -0.071056]]),
    "lower3": ([[1.0, 5.0, 0.5], [-2.0, 0.8, 7.0], [0.5, -1.2, 2.2]], "L", [-1.192888, 1.38113, 3.811758],
               [[0.642733, -0.553373, 0.529786], [0.7471, 0.299737, -0.593295], [0.169517, 0.777133, 0.606076]]),
    "upper3": ([[1.0, 5.0, 0.5], [-2.0, 0.8, 7.0], [0.5, -1.2, 2.2]], "U", [-7.109137, 0.93214, 10.176998],
               [[-0.420917, -0.813255, 0.401803], [0.735716, -0.046963, 0.67566], [-0.530614, 0.58001, 0.618092]]),
    "sym4U": ([[1.0, -2.0, 0.5, 0.3], [-2.0, 0.8, -1.2, 0.1], [0.5, -1.2, 2.2, 0.4], [0.3, 0.1, 0.4, -1.0]], "U",
              [-1.457666, -0.772328, 1.39387, 3.836124],
              [[-0.503861, 0.403422, 0.551247, -0.528679], [-0.573047, 0.479577, -0.312053, 0.586725],
               [-0.186793, 0.020922, -0.770368, -0.609264], [0.618749, 0.778986, -0.072677, -0.071056]]),
}


@pytest.mark.parametrize("name", list(_EIGH))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_eigh_signs_are_torchs(name, dtype):
    a, uplo, w, v = _EIGH[name]
    W, V = torch.linalg.eigh(torch.tensor(a, dtype=dtype), UPLO=uplo)
    tol = 1e-6 if dtype is torch.float64 else 2e-5
    np.testing.assert_allclose(W.numpy(), w, atol=tol)
    np.testing.assert_allclose(V.numpy(), v, atol=tol)
    np.testing.assert_allclose(torch.linalg.eigvalsh(torch.tensor(a, dtype=dtype), UPLO=uplo).numpy(), w, atol=tol)


def test_eigh_prints_as_torch():
    a = torch.tensor([[2., 1.], [1., 2.]])
    assert str(torch.linalg.eigvalsh(a)) == "tensor([1., 3.])"  # (exact, as LAPACK's; Jacobi gave 0.99999994)
    assert str(torch.linalg.eigh(a)) == ("torch.return_types.linalg_eigh(\neigenvalues=tensor([1., 3.]),\n"
                                         "eigenvectors=tensor([[-0.7071,  0.7071],\n        [ 0.7071,  0.7071]]))")
    W, V = torch.linalg.eigh(torch.eye(3))
    np.testing.assert_array_equal(V.numpy(), np.eye(3))


@pytest.mark.parametrize("n", [1, 5, 30, 64])
def test_eigh_accuracy(n):
    rng = np.random.default_rng(n)
    a = rng.standard_normal((2, n, n))
    a = a + np.swapaxes(a, -1, -2)
    W, V = torch.linalg.eigh(torch.tensor(a))
    np.testing.assert_allclose(W.numpy(), np.linalg.eigvalsh(a), atol=1e-12)
    np.testing.assert_allclose(a @ V.numpy(), V.numpy() * W.numpy()[..., None, :], atol=1e-11)
    np.testing.assert_allclose(np.swapaxes(V.numpy(), -1, -2) @ V.numpy(), np.broadcast_to(np.eye(n), a.shape),
                               atol=1e-12)


# ---- integer division by zero (the tensors tutorial's math) ----


@pytest.mark.parametrize("f", [lambda a: a // 0, lambda a: a % 0, lambda a: torch.fmod(a, 0),
                               lambda a: torch.div(a, 0, rounding_mode="trunc"),
                               lambda a: torch.remainder(a, torch.tensor([0, 1])), lambda a: a.floor_divide_(0)])
def test_integer_division_by_zero_says_what_torch_says(f):
    with pytest.raises(RuntimeError) as e:
        f(torch.tensor([1, 2]))
    assert str(e.value) == "ZeroDivisionError"


def test_qr_q_has_lapacks_negative_zeros():
    # dorg2r sets a column whose tail was already zero (tau = 0) to -tau v: -0 below the diagonal, as torch prints
    Q, R = torch.linalg.qr(torch.tensor([[3., 0.], [0., 3.]]))
    assert str(Q) == "tensor([[1., 0.],\n        [-0., 1.]])" and str(R) == "tensor([[3., 0.],\n        [0., 3.]])"
    Q, R = torch.linalg.qr(torch.tensor([[1., 2., 3.], [0., 4., 5.], [0., 0., 6.]]))
    assert str(Q) == "tensor([[1., 0., 0.],\n        [-0., 1., 0.],\n        [-0., -0., 1.]])"
    Q, R = torch.linalg.qr(torch.tensor([[1., 2.], [3., 4.]]))
    np.testing.assert_allclose(Q.numpy(), [[-0.316228, -0.948683], [-0.948683, 0.316228]], atol=1e-6)
