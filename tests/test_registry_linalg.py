"""The LINALG rows of the op registry (_registry.LINALG): every row's generated op (_ops.LINALG_OPS) against its
float64 numpy reference on contiguous, strided, batched and empty inputs in float32 and float64, gradcheck and
gradgradcheck of each differentiable input on well-conditioned inputs, torch's node names and return types. A row
without a CASES entry fails, and so does a hand-written Linalg* autograd op (coverage cannot drift)."""
import importlib
import inspect

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _linalg_basic, _linalg_more, _linalg_ops, _ops, _registry, return_types
from tinygrad_ext.autograd import gradcheck, gradgradcheck


# ------------------------------------------------------------------ the references' helpers
def lu_factor_ref(a):
    """LAPACK getrf: P A = L U with partial pivoting (the first largest |pivot|), LU packed, 1-based int32 pivots."""
    a = np.array(a, dtype=np.float64)
    n = a.shape[-1]
    lu, piv = a.reshape(-1, n, n).copy(), np.zeros((a.size // (n * n) if n else 0, n), np.int32)
    for m, p in zip(lu, piv):
        for k in range(n):
            r = k + int(np.argmax(np.abs(m[k:, k])))
            p[k] = r + 1
            m[[k, r]] = m[[r, k]]
            m[k + 1:, k] /= m[k, k]
            m[k + 1:, k + 1:] -= np.outer(m[k + 1:, k], m[k, k + 1:])
    return lu.reshape(a.shape), piv.reshape(a.shape[:-1]), np.zeros(a.shape[:-2], np.int32)


def solve_triangular_ref(a, b, upper, left, unitriangular):
    t = np.triu(a) if upper else np.tril(a)
    if unitriangular:
        t = t - np.eye(a.shape[-1]) * np.diagonal(t, 0, -2, -1)[..., None, :] + np.eye(a.shape[-1])
    return np.linalg.solve(t, b) if left else np.linalg.solve(t.swapaxes(-1, -2), b.swapaxes(-1, -2)).swapaxes(-1, -2)


def qr_ref(a, mode):
    if mode == "r":
        return np.zeros(0), np.linalg.qr(a, "r")
    return np.linalg.qr(a, mode)


def reference(entry):
    return eval(entry.ref, {"np": np, "lu_factor_ref": lu_factor_ref,  # noqa: S307
                            "solve_triangular_ref": solve_triangular_ref, "qr_ref": qr_ref})


# ------------------------------------------------------------------ the rows' inputs
def _general(rng, shape):
    """Well-conditioned, with the largest entry of each column below the diagonal (so LU pivots rows)."""
    n = shape[-1]
    a = rng.standard_normal(shape) + n * np.roll(np.eye(shape[-2], n), 1, axis=0)
    return a


def _symmetric(rng, shape):  # well-separated eigenvalues
    n = shape[-1]
    q = np.linalg.qr(rng.standard_normal(shape))[0]
    return (q * np.arange(1.0, n + 1)[..., None, :]) @ q.swapaxes(-1, -2)


def _spd(rng, shape):
    a = rng.standard_normal(shape)
    return a @ a.swapaxes(-1, -2) + shape[-1] * np.eye(shape[-1])


def _rhs(rng, shape):  # square: for X A = B as well as A X = B
    return rng.standard_normal(shape)


# name: (inputs(rng, batch shape, n) -> arrays, the param sets, the differentiable function of the outputs for the
# gradient checks (invariant to the factors' signs), the gradcheck input made from a free one (symmetric inputs))
CASES = {
    "linalg_svd": (lambda rng, s: [rng.standard_normal(s[:-1] + (s[-1] + 1,))], [(False,), (True,)],
                   lambda U, S, Vh: (S, U[..., :S.shape[-1]].matmul(Vh[..., :S.shape[-1], :]))),
    "linalg_lu_factor_ex": (lambda rng, s: [_general(rng, s)], [(True, False)], lambda LU, pivots, info: LU),
    "linalg_solve_ex": (lambda rng, s: [_general(rng, s), _rhs(rng, s)], [(True, False), (False, False)],
                        lambda X, info: X),
    "linalg_inv_ex": (lambda rng, s: [_general(rng, s)], [(False,)], lambda inverse, info: inverse),
    "linalg_det": (lambda rng, s: [_general(rng, s)], [()], lambda d: d),
    "linalg_slogdet": (lambda rng, s: [_general(rng, s)], [()], lambda sign, logabsdet: (sign, logabsdet)),
    "linalg_solve_triangular": (lambda rng, s: [_general(rng, s), _rhs(rng, s)],
                                [(u, left, t) for u in (True, False) for left in (True, False) for t in (False, True)],
                                lambda X: X),
    "linalg_cholesky_ex": (lambda rng, s: [_spd(rng, s)], [(False, False), (True, False)], lambda L, info: L),
    "linalg_qr": (lambda rng, s: [rng.standard_normal(s[:-1] + (s[-1] + 1,))], [("reduced",), ("complete",)],
                  lambda Q, R: (Q, R)),
    "linalg_eigh": (lambda rng, s: [_symmetric(rng, s)], [("L",), ("U",)], lambda L, V: (L, V * V)),
}
# the gradient checks' inputs: a function of free ones where the row reads one triangle of a symmetric input
SYMMETRIZED = {"linalg_cholesky_ex": lambda X: X.matmul(X.mT) + 3 * torch.eye(3, dtype=X.dtype),
               "linalg_eigh": lambda X: (X + X.mT) * 0.5}
ROWS = _registry.LINALG
SIGNED = {"linalg_svd": ((0, -1), (2, -2)), "linalg_eigh": ((1, -1),)}  # (output, the dim of its sign-free vectors)


def _align(name, got, want, k):
    """The factors' first k singular/eigen vectors with their signs made the reference's (they are unique up to sign;
    a full U's or Vh's others are any orthonormal completion)."""
    got = list(got)
    for i, dim in SIGNED.get(name, ()):
        g, w = np.moveaxis(got[i], dim, -1)[..., :k], np.moveaxis(want[i], dim, -1)[..., :k]
        sign = np.where(np.sum(g * w, axis=-2, keepdims=True) < 0, -1.0, 1.0)
        got[i] = np.moveaxis(g * sign, -1, dim)
        want[i] = np.moveaxis(w, -1, dim)
    return got, want


def _apply(entry, arrays, params, dtype, layout, requires_grad=False):
    tensors = []
    for a in arrays:
        t = torch.tensor(np.ascontiguousarray(a.swapaxes(-1, -2)), dtype=dtype).mT if layout == "strided" else \
            torch.tensor(a, dtype=dtype)
        tensors.append(t.requires_grad_(requires_grad))
    return _ops.LINALG_OPS[entry.name].apply(*tensors, *params), tensors


def test_every_row_has_cases_a_reference_and_no_hand_written_op_is_left():
    assert set(CASES) == {e.name for e in ROWS}
    for e in ROWS:
        assert callable(reference(e)), e.name
        assert e.node == "".join(w.capitalize() for w in e.name.split("_")) + "Backward0", e.name
    for module in (_ops, _linalg_basic, _linalg_ops, _linalg_more):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, _ops.Op) and name.lower().startswith("linalg"):
                pytest.fail(f"{module.__name__}.{name} is a hand-written linalg op: make it a LINALG row")


LAYOUTS = ("contiguous", "strided", "batched", "empty")


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("entry", ROWS, ids=lambda e: e.name)
def test_value_against_numpy(entry, dtype, layout):
    make, param_sets, _ = CASES[entry.name]
    rng = np.random.default_rng(0)
    shape = {"batched": (2, 3, 3), "empty": (0, 3, 3)}.get(layout, (3, 3))
    arrays = [a.astype(np.float32).astype(np.float64) if dtype is torch.float32 else a for a in make(rng, shape)]
    for params in param_sets:
        out, _ = _apply(entry, arrays, params, dtype, layout)
        outs = tuple(out) if len(entry.outputs) > 1 else (out,)
        want = reference(entry)(*arrays, *params)
        want = list(want) if len(entry.outputs) > 1 else [want]
        got = [o.numpy() for o in outs]
        got, want = _align(entry.name, got, want, min(arrays[0].shape[-2:]))
        tol = 1e-4 if dtype is torch.float32 else 1e-10
        for name, g, w, o in zip(entry.outputs, got, want, outs):
            assert o.dtype == (dtype if o.dtype.is_floating_point else torch.int32), (entry.name, name)
            assert g.shape == np.shape(w), (entry.name, name, params)
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{entry.name} {name} {params}")


@pytest.mark.parametrize("entry", ROWS, ids=lambda e: e.name)
def test_gradcheck_and_gradgradcheck(entry):
    make, param_sets, invariant = CASES[entry.name]
    rng = np.random.default_rng(1)
    arrays = make(rng, (3, 3))
    op = _ops.LINALG_OPS[entry.name]
    free = SYMMETRIZED.get(entry.name)
    for params in param_sets:
        inputs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        if free is not None:
            inputs = [torch.tensor(rng.standard_normal((3, 3)), dtype=torch.float64, requires_grad=True)]

        def fn(*ts):
            ts = (free(ts[0]),) if free is not None else ts
            return invariant(*op.apply(*ts, *params)) if len(entry.outputs) > 1 else invariant(op.apply(*ts, *params))
        assert gradcheck(fn, inputs), params
        assert gradgradcheck(fn, inputs), params


def test_solve_ex_takes_a_batch_of_vectors_as_torchs():
    rng = np.random.default_rng(5)
    a, b = _general(rng, (2, 3, 3)), rng.standard_normal((2, 3))
    A, B = (torch.tensor(x, requires_grad=True) for x in (a, b))
    X, info = _ops.LINALG_OPS["linalg_solve_ex"].apply(A, B, True, False)
    np.testing.assert_allclose(X.detach().numpy(), np.linalg.solve(a, b[..., None])[..., 0], rtol=1e-12)
    assert X.shape == (2, 3) and X.grad_fn.name() == "LinalgSolveExBackward0" and info.shape == (2,)
    assert gradcheck(lambda A, B: torch.linalg.solve(A, B), [A, B])
    assert gradgradcheck(lambda A, B: torch.linalg.solve(A, B), [A, B])


def test_det_gradient_of_a_singular_matrix_is_the_cofactor_matrix():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])  # rank 2
    A = torch.tensor(a, requires_grad=True)
    torch.linalg.det(A).backward()
    cofactor = np.array([[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j) for j in range(3)]
                         for i in range(3)])
    np.testing.assert_allclose(A.grad.numpy(), cofactor, atol=1e-10)
    assert gradcheck(torch.linalg.det, [A])


@pytest.mark.parametrize("entry", ROWS, ids=lambda e: e.name)
def test_node_names_return_types_and_non_differentiable_outputs(entry):
    make, param_sets, _ = CASES[entry.name]
    arrays = make(np.random.default_rng(2), (3, 3))
    for params in param_sets:
        out, _ = _apply(entry, arrays, params, torch.float64, "contiguous", requires_grad=True)
        outs = tuple(out) if len(entry.outputs) > 1 else (out,)
        if len(entry.outputs) > 1:
            assert type(out) is getattr(return_types, entry.name) and out._fields == entry.outputs
        for name, o in zip(entry.outputs, outs):
            if name in entry.nondiff:
                assert not o.requires_grad and o.grad_fn is None, (entry.name, name)
            else:
                assert o.grad_fn.name() == entry.node, (entry.name, name)


def _real_torch():
    try:
        real = importlib.import_module("torch")
    except ImportError:
        real = None
    if real is None or real is torch:  # (another test may have made tinygrad_ext sys.modules['torch'])
        pytest.skip("torch is not importable")
    return real


# torch.linalg's functions recording each row's node, called as torch's (A, B, params by name)
PUBLIC = [
    ("svd", lambda L, A, B: L.svd(A, full_matrices=False)), ("svdvals", lambda L, A, B: L.svdvals(A)),
    ("lu_factor", lambda L, A, B: L.lu_factor(A)), ("lu_factor_ex", lambda L, A, B: L.lu_factor_ex(A)),
    ("solve", lambda L, A, B: L.solve(A, B)), ("solve left=False", lambda L, A, B: L.solve(A, B.mT, left=False)),
    ("solve_ex", lambda L, A, B: L.solve_ex(A, B)), ("inv", lambda L, A, B: L.inv(A)),
    ("solve vector", lambda L, A, B: L.solve(A, B[:, 0])), ("inv_ex", lambda L, A, B: L.inv_ex(A)),
    ("det", lambda L, A, B: L.det(A)), ("slogdet", lambda L, A, B: L.slogdet(A)),
    ("solve_triangular", lambda L, A, B: L.solve_triangular(A, B, upper=True)),
    ("solve_triangular left=False", lambda L, A, B: L.solve_triangular(A, B.mT, upper=False, left=False)),
    ("cholesky", lambda L, A, B: L.cholesky(A.matmul(A.mT))),
    ("cholesky upper", lambda L, A, B: L.cholesky(A.matmul(A.mT), upper=True)),
    ("cholesky_ex", lambda L, A, B: L.cholesky_ex(A.matmul(A.mT))),
    ("qr", lambda L, A, B: L.qr(A)), ("qr complete", lambda L, A, B: L.qr(A, mode="complete")),
    ("eigh", lambda L, A, B: L.eigh(A)), ("eigvalsh", lambda L, A, B: L.eigvalsh(A)),
]


def _names(mod, fn):
    rng = np.random.default_rng(3)
    A = mod.tensor(_general(rng, (3, 3)), dtype=mod.float64, requires_grad=True)
    B = mod.tensor(_rhs(rng, (3, 3)), dtype=mod.float64, requires_grad=True)
    out = fn(mod.linalg, A, B)
    outs = tuple(out) if isinstance(out, tuple) else (out,)
    return [None if o.grad_fn is None else o.grad_fn.name() for o in outs]


@pytest.mark.parametrize("name,fn", PUBLIC, ids=[p[0] for p in PUBLIC])
def test_public_functions_record_torchs_nodes(name, fn):
    assert _names(torch, fn) == _names(_real_torch(), fn)


def test_qr_derivative_errors_come_in_backward_as_torchs():
    A = torch.tensor(np.random.default_rng(4).standard_normal((4, 3)), requires_grad=True)
    Q, R = torch.linalg.qr(A, mode="complete")
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows > ncols"):
        (Q.sum() + R.sum()).backward()
    Q, R = torch.linalg.qr(A, mode="r")
    with pytest.raises(RuntimeError, match="depends on Q, which is not computed when mode='r'"):
        R.sum().backward()
