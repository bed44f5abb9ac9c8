"""einsum, tensordot, baddbmm/addbmm/addmv/addr, cross, cdist and torch.linalg's norms: values
against numpy in float64, gradients with gradcheck, torch's errors."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import check_raises
from tinygrad_ext.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(2)


def arr(*shape):
    return RNG.uniform(-2, 2, size=shape)


def _cdist(a, b, p):
    d = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == 0:
        return (d != 0).sum(-1).astype(float)
    if p == math.inf:
        return d.max(-1)
    return (d ** p).sum(-1) ** (1 / p)


def _matrix_norm(a, ord):
    return np.linalg.norm(a, ord, axis=(-2, -1))


EINSUM = [
    ("ij,jk", [(2, 3), (3, 4)]), ("ij,jk->ki", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(3, 2, 4), (3, 4, 5)]),
    ("ii", [(3, 3)]), ("ii->i", [(3, 3)]), ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ij", [(2, 3)]),
    ("i,i->", [(4,), (4,)]), ("i,j->ij", [(3,), (4,)]), ("...ij,...jk->...ik", [(2, 2, 3), (3, 4)]),
    ("...i,i", [(2, 3, 4), (4,)]), ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ij,kj,lj->ikl", [(2, 3), (4, 3), (5, 3)]), ("iij->j", [(3, 3, 2)]), ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("ab,ab,ab->a", [(2, 3), (2, 3), (2, 3)]), ("i j , j k -> i k", [(2, 3), (3, 4)]), ("ij,ij->ij", [(2, 3), (1, 3)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum(eq, shapes):
    arrays = [arr(*s) for s in shapes]
    np_eq = eq.replace(" ", "")
    want = np.einsum(np_eq, *[np.broadcast_to(a, shapes[0]) if np_eq == "ij,ij->ij" else a for a in arrays])
    got = torch.einsum(eq, *[torch.tensor(a) for a in arrays])
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    f32 = torch.einsum(eq, [torch.tensor(a, dtype=torch.float32) for a in arrays])  # operands as one list
    np.testing.assert_allclose(f32.double().numpy(), want, rtol=1e-5, atol=1e-5)
    inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *xs: torch.einsum(eq, *xs), inputs)


def test_einsum_sublists_and_strided_operands():
    a, b = arr(3, 4), arr(4, 5)
    got = torch.einsum(torch.tensor(a), [0, 1], torch.tensor(b), [1, 2], [0, 2])
    np.testing.assert_allclose(got.numpy(), a @ b)
    got = torch.einsum(torch.tensor(a), [Ellipsis, 1], torch.tensor(b), [1, 2])
    np.testing.assert_allclose(got.numpy(), a @ b)
    t = torch.tensor(a.T.copy()).t()  # non-contiguous
    np.testing.assert_allclose(torch.einsum("ij,jk->ik", t, torch.tensor(b)).numpy(), a @ b)
    assert gradgradcheck(lambda x, y: torch.einsum("ij,jk->ik", x, y),
                         [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)])


def test_einsum_plans_per_shape():
    """A contraction is traced once per (equation, shapes) and replayed: other shapes get their own plan and their
    own size check; the replay gives fresh results."""
    a, b = torch.tensor(arr(2, 3)), torch.tensor(arr(3, 4))
    first, again = torch.einsum("ij,jk->ik", a, b), torch.einsum("ij,jk->ik", a, b)
    assert first is not again and torch.equal(first, again)
    with pytest.raises(RuntimeError, match="subscript j has size 5 for operand 1"):
        torch.einsum("ij,jk->ik", a, torch.tensor(arr(5, 4)))
    c = torch.tensor(arr(2, 5))
    np.testing.assert_allclose(torch.einsum("ij,jk->ik", c, torch.tensor(arr(5, 4))).shape, (2, 4))


def test_tensordot():
    a, b = arr(2, 3, 4), arr(3, 4, 5)
    for dims, np_dims in ((2, 2), (([1, 2], [0, 1]), ([1, 2], [0, 1])), (([1], [0]), ([1], [0])), (0, 0)):
        got = torch.tensordot(torch.tensor(a), torch.tensor(b), dims)
        np.testing.assert_allclose(got.numpy(), np.tensordot(a, b, np_dims), rtol=1e-10)
    assert gradcheck(lambda x, y: torch.tensordot(x, y, ([0, 1], [1, 0])),
                     [torch.tensor(arr(2, 3, 2), requires_grad=True), torch.tensor(arr(3, 2, 4), requires_grad=True)])


PRODUCTS = [
    ("baddbmm", lambda i, x, y: torch.baddbmm(i, x, y, beta=0.5, alpha=2.0), lambda i, x, y: 0.5 * i + 2 * x @ y,
     [(2, 1, 4), (2, 3, 5), (2, 5, 4)]),
    ("baddbmm_method", lambda i, x, y: i.baddbmm(x, y), lambda i, x, y: i + x @ y, [(2, 3, 4), (2, 3, 5), (2, 5, 4)]),
    ("addbmm", lambda i, x, y: torch.addbmm(i, x, y, alpha=-1.5), lambda i, x, y: i - 1.5 * (x @ y).sum(0),
     [(3, 4), (2, 3, 5), (2, 5, 4)]),
    ("addmv", lambda i, m, v: i.addmv(m, v, beta=2), lambda i, m, v: 2 * i + m @ v, [(3,), (3, 4), (4,)]),
    ("addr", lambda i, u, v: torch.addr(i, u, v, alpha=3), lambda i, u, v: i + 3 * np.outer(u, v),
     [(3, 4), (3,), (4,)]),
    ("cross", lambda a, b: torch.linalg.cross(a, b), lambda a, b: np.cross(a, b), [(4, 3), (4, 3)]),
    ("cross_dim", lambda a, b: torch.cross(a, b, dim=0), lambda a, b: np.cross(a, b, axis=0), [(3, 2), (3, 1)]),
    ("cdist", torch.cdist, lambda a, b: _cdist(a, b, 2), [(4, 3), (5, 3)]),
    ("cdist_mm", lambda a, b: torch.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
     lambda a, b: _cdist(a, b, 2), [(2, 4, 3), (2, 5, 3)]),
    ("cdist_p1", lambda a, b: torch.cdist(a, b, 1), lambda a, b: _cdist(a, b, 1), [(4, 3), (5, 3)]),
    ("cdist_p3", lambda a, b: torch.cdist(a, b, 3.0), lambda a, b: _cdist(a, b, 3), [(4, 3), (5, 3)]),
    ("cdist_inf", lambda a, b: torch.cdist(a, b, math.inf), lambda a, b: _cdist(a, b, math.inf), [(4, 3), (5, 3)]),
    ("vector_norm", lambda x: torch.linalg.vector_norm(x), lambda a: np.linalg.norm(a.ravel()), [(3, 4)]),
    ("vector_norm_dim", lambda x: torch.linalg.vector_norm(x, 3, dim=1, keepdim=True),
     lambda a: (np.abs(a) ** 3).sum(1, keepdims=True) ** (1 / 3), [(3, 4)]),
    ("vector_norm_inf", lambda x: torch.linalg.vector_norm(x, -math.inf, (0, 1)), lambda a: np.abs(a).min(), [(3, 4)]),
    ("matrix_norm_fro", lambda x: torch.linalg.matrix_norm(x), lambda a: _matrix_norm(a, "fro"), [(2, 3, 4)]),
    ("matrix_norm_1", lambda x: torch.linalg.matrix_norm(x, 1), lambda a: _matrix_norm(a, 1), [(2, 3, 4)]),
    ("matrix_norm_-1", lambda x: torch.linalg.matrix_norm(x, -1), lambda a: _matrix_norm(a, -1), [(3, 4)]),
    ("matrix_norm_inf", lambda x: torch.linalg.matrix_norm(x, math.inf, keepdim=True),
     lambda a: _matrix_norm(a, np.inf)[..., None, None], [(2, 3, 4)]),
    ("matrix_norm_dims", lambda x: torch.linalg.matrix_norm(x, -math.inf, dim=(0, 2)),
     lambda a: np.linalg.norm(np.moveaxis(a, 1, 0), -np.inf, axis=(-2, -1)), [(2, 3, 4)]),
    ("norm_vec", lambda x: torch.linalg.norm(x, 4), lambda a: np.linalg.norm(a, 4), [(5,)]),
    ("norm_mat", lambda x: torch.linalg.norm(x, "fro"), lambda a: np.linalg.norm(a, "fro"), [(3, 4)]),
    ("norm_default", lambda x: torch.linalg.norm(x), lambda a: np.linalg.norm(a.ravel()), [(2, 3, 4)]),
    ("norm_dim", lambda x: torch.linalg.norm(x, 1, dim=(1, 0)), lambda a: np.linalg.norm(a.T, 1), [(3, 4)]),
    ("vecdot", lambda x, y: torch.linalg.vecdot(x, y), lambda a, b: (a * b).sum(-1), [(3, 4), (3, 4)]),
]


@pytest.mark.parametrize("name,fn,ref,shapes", PRODUCTS, ids=[c[0] for c in PRODUCTS])
def test_products_and_norms(name, fn, ref, shapes):
    arrays = [arr(*s) for s in shapes]
    got = fn(*[torch.tensor(a) for a in arrays])
    want = ref(*arrays)
    assert tuple(got.shape) == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-9, atol=1e-9)
    got32 = fn(*[torch.tensor(a, dtype=torch.float32) for a in arrays])
    np.testing.assert_allclose(got32.double().numpy(), want, rtol=1e-4, atol=1e-4)
    assert gradcheck(fn, [torch.tensor(a, requires_grad=True) for a in arrays])


def test_special_values():
    nan_input = torch.full((2, 2), math.nan)
    out = torch.baddbmm(nan_input, torch.ones(1, 2, 3), torch.ones(1, 3, 2), beta=0)
    assert out.tolist() == [[[3.0, 3.0], [3.0, 3.0]]]  # beta=0 ignores input's NaNs, as torch's
    x = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64, requires_grad=True)
    for mode in ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist"):
        d = torch.cdist(x, x, compute_mode=mode)
        d.sum().backward()
        assert not x.grad.isnan().any()  # zero distances: a zero gradient, not NaN
        x.grad = None
    assert torch.cdist(torch.zeros(30, 2), torch.ones(2, 2)).allclose(torch.full((30, 2), math.sqrt(2)))
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        assert torch.cross(torch.eye(3), torch.ones(3, 3)).shape == (3, 3)
    assert torch.linalg.norm(torch.tensor([3.0, 4.0])).item() == 5.0


BAD = [
    (lambda: torch.einsum("ij,jk->ik", torch.zeros(2, 3)), RuntimeError, "fewer operands"),
    (lambda: torch.einsum("ij", torch.zeros(2, 3), torch.zeros(3)), RuntimeError, "more operands"),
    (lambda: torch.einsum("ij->ik", torch.zeros(2, 3)), RuntimeError, "output subscript k does not appear"),
    (lambda: torch.einsum("ijk", torch.zeros(2, 3)), RuntimeError, "subscripts in the equation (3) does not match"),
    (lambda: torch.einsum("ij,jk->ii", torch.zeros(2, 3), torch.zeros(3, 4)), RuntimeError, "appears more than once"),
    (lambda: torch.einsum("ij,ij->ij", torch.zeros(2, 3), torch.zeros(2, 4)), RuntimeError, "does not broadcast"),
    (lambda: torch.einsum("i1", torch.zeros(2, 3)), RuntimeError, "invalid subscript given at index 1"),
    (lambda: torch.tensordot(torch.zeros(2, 3), torch.zeros(3, 4), ([1], [1])), RuntimeError,
     "contracted dimensions need to match"),
    (lambda: torch.baddbmm(torch.zeros(2, 2), torch.zeros(2, 2, 3), torch.zeros(2, 4, 2)), RuntimeError, ""),
    (lambda: torch.addmv(torch.zeros(2), torch.zeros(2, 3), torch.zeros(4)), RuntimeError, "size mismatch"),
    (lambda: torch.linalg.cross(torch.zeros(2, 4), torch.zeros(2, 4)), RuntimeError, "must have length 3"),
    (lambda: torch.cross(torch.zeros(2, 4), torch.zeros(2, 4)), RuntimeError, "no dimension of size 3"),
    (lambda: torch.cdist(torch.zeros(3), torch.zeros(3)), RuntimeError, "at least 2D tensors, X1 got: 1D"),
    (lambda: torch.cdist(torch.zeros(2, 3), torch.zeros(2, 4)), RuntimeError, "same number of columns"),
    (lambda: torch.cdist(torch.zeros(2, 3), torch.zeros(2, 3), -1), RuntimeError, "non-negative p values"),
    (lambda: torch.linalg.matrix_norm(torch.zeros(3)), RuntimeError, "must have at least 2 dimensions"),
    (lambda: torch.linalg.norm(torch.zeros(3, 3, 3), 2), RuntimeError, "input must be 1D or 2D. Got 3D"),
    (lambda: torch.linalg.vector_norm(torch.zeros(3), "fro"), TypeError, "must be Number, not str"),
    (lambda: torch.linalg.matrix_norm(torch.zeros(3, 3), 3), RuntimeError, "Order 3 not supported"),
    (lambda: torch.linalg.vector_norm(torch.tensor([1, 2])), RuntimeError, "Expected a floating point"),
]


@pytest.mark.parametrize("fn,exc,words", BAD)
@pytest.mark.filterwarnings("ignore")
def test_bad_inputs(fn, exc, words):
    check_raises(fn, exc, words)


def test_against_torch_if_installed():
    real = pytest.importorskip("torch")
    a, b = arr(2, 3, 4), arr(2, 4, 3)
    for f in (lambda m, x, y: m.einsum("bij,bjk->bik", x, y), lambda m, x, y: m.einsum("bij,bji->", x, y),
              lambda m, x, y: m.einsum("...ij,...ji", x, y), lambda m, x, y: m.tensordot(x, y, ([1, 2], [2, 1])),
              lambda m, x, y: m.cdist(x, y.transpose(1, 2)), lambda m, x, y: m.linalg.matrix_norm(x, 1),
              lambda m, x, y: m.baddbmm(x[:, :, :3], x, y, beta=0.3)):
        np.testing.assert_allclose(f(torch, torch.tensor(a), torch.tensor(b)).numpy(),
                                   f(real, real.tensor(a), real.tensor(b)).numpy(), rtol=1e-10, atol=1e-12)


def test_inner_vdot_multi_dot():
    a, b, c, v = arr(2, 3), arr(4, 3), arr(3, 5), arr(5)
    np.testing.assert_allclose(torch.inner(torch.tensor(a), torch.tensor(b)).numpy(), np.inner(a, b))
    np.testing.assert_allclose(torch.tensor(a[0]).vdot(torch.tensor(b[0])).item(), np.vdot(a[0], b[0]))
    got = torch.linalg.multi_dot([torch.tensor(a[0]), torch.tensor(c), torch.tensor(v)])
    np.testing.assert_allclose(got.item(), a[0] @ c @ v)
    np.testing.assert_allclose(torch.chain_matmul(torch.tensor(a), torch.tensor(c)).numpy(), a @ c)
    assert gradcheck(lambda x, y, z: torch.linalg.multi_dot([x, y, z]),
                     [torch.tensor(a, requires_grad=True), torch.tensor(c, requires_grad=True),
                      torch.tensor(arr(5, 2), requires_grad=True)])
    check_raises(lambda: torch.linalg.multi_dot([torch.zeros(2, 2)]), RuntimeError, "expected at least 2 tensors")



def test_scaled_products_and_outer_take_out():
    """torch.addmm/baddbmm/addbmm/addmv/addr/outer/ger(..., out=): the result written into out and out returned."""
    rng = np.random.default_rng(0)
    c, a, b = (rng.standard_normal(s) for s in ((3, 4), (3, 5), (5, 4)))
    v3, v4, v5 = (rng.standard_normal(n) for n in (3, 4, 5))
    T = torch.from_numpy
    cases = [
        ("addmm", (T(c), T(a), T(b)), {"beta": 0.5, "alpha": 2.0}, 0.5 * c + 2.0 * a @ b),
        ("baddbmm", (T(c)[None], T(a)[None], T(b)[None]), {}, (c + a @ b)[None]),
        ("addbmm", (T(c), T(a)[None], T(b)[None]), {}, c + a @ b),
        ("addmv", (T(v3), T(a), T(v5)), {"alpha": 3}, v3 + 3 * a @ v5),
        ("addr", (T(c), T(v3), T(v4)), {}, c + np.outer(v3, v4)),
        ("outer", (T(v3), T(v4)), {}, np.outer(v3, v4)),
        ("ger", (T(v3), T(v4)), {}, np.outer(v3, v4)),
    ]
    for name, args, kwargs, expected in cases:
        out = torch.empty(expected.shape, dtype=torch.float64)
        assert getattr(torch, name)(*args, **kwargs, out=out) is out, name
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, err_msg=name)
    g = T(c.copy())
    assert torch.addmm(g, T(a), T(b), out=g) is g  # out is the input: accumulated onto it
    np.testing.assert_allclose(g.numpy(), c + a @ b, rtol=1e-12)


def test_tiny_bmm_sums_each_dot_in_order_as_torch():
    """torch's bmm of fewer than 400 products per matrix sums each dot product in order, rounding every step in
    float32 (its baddbmm_cpu_kernel): ours too, so tiny batched products are bitwise torch's."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4, 7)).astype(np.float32), rng.standard_normal((3, 7, 5)).astype(np.float32)
    expected = np.zeros((3, 4, 5), np.float32)
    for i, r, c in np.ndindex(3, 4, 5):
        acc = np.float32(0)
        for k in range(7):
            acc = np.float32(acc + np.float32(a[i, r, k] * b[i, k, c]))
        expected[i, r, c] = acc
    got = torch.bmm(torch.from_numpy(a), torch.from_numpy(b)).numpy()
    assert got.tobytes() == expected.tobytes()
    bt = torch.from_numpy(np.ascontiguousarray(b.transpose(0, 2, 1))).transpose(1, 2)  # strided operand
    assert torch.bmm(torch.from_numpy(a), bt).numpy().tobytes() == expected.tobytes()
