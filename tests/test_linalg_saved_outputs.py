"""The linalg ops keep the forward outputs their backward reads through save_for_backward: an in-place change to
one of them before backward raises torch's error naming the output (torch saves the same outputs), and an
unchanged output still gives the gradient a float64 reference gives."""
import numpy as np
import pytest
import tinygrad_ext as torch

_MODIFIED = ("one of the variables needed for gradient computation has been modified by an inplace operation: "
             r"\[torch.DoubleTensor \[{shape}\]\], which is output {nr} of \w+, is at version 1; expected version 0 "
             "instead")


def _spd(n=3):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n))
    return torch.tensor(a @ a.T + n * np.eye(n), requires_grad=True)


def _square():
    return torch.tensor(np.random.default_rng(1).standard_normal((3, 3)) + 3 * np.eye(3), requires_grad=True)


# (name, forward: A -> the outputs, the output modified, its output number, its shape)
CASES = [
    ("inv", lambda A: (torch.linalg.inv(A),), 0, "3, 3", _square),
    ("det", lambda A: (torch.linalg.det(A),), 0, "", _square),
    ("cholesky", lambda A: (torch.linalg.cholesky(A),), 0, "3, 3", _spd),
    ("solve", lambda A: (torch.linalg.solve(A, torch.ones(3, 2, dtype=torch.float64)),), 0, "3, 2", _square),
    ("solve_triangular", lambda A: (torch.linalg.solve_triangular(A.triu(), torch.ones(3, 2, dtype=torch.float64),
                                                                  upper=True),), 0, "3, 2", _square),
    ("qr Q", lambda A: tuple(torch.linalg.qr(A)), 0, "3, 3", _square),
    ("qr R", lambda A: tuple(torch.linalg.qr(A)), 1, "3, 3", _square),
    ("eigh eigenvalues", lambda A: tuple(torch.linalg.eigh(A)), 0, "3", _spd),
    ("eigh eigenvectors", lambda A: tuple(torch.linalg.eigh(A)), 1, "3, 3", _spd),
    ("lu_factor LU", lambda A: tuple(torch.linalg.lu_factor(A)), 0, "3, 3", _square),
    ("svd Vh", lambda A: tuple(torch.linalg.svd(A)), 2, "3, 3", _square),
]


def _backward_from(outs):
    """Backward from the float outputs themselves, gradient one (no other node between them and the op)."""
    outs = [o for o in outs if o.dtype.is_floating_point]
    torch.autograd.backward(outs, [torch.ones_like(o) for o in outs])


@pytest.mark.parametrize("name,forward,nr,shape,make", CASES, ids=[c[0] for c in CASES])
def test_modifying_a_saved_output_raises(name, forward, nr, shape, make):
    A = make()
    outs = forward(A)
    grad_fn = outs[nr].grad_fn
    with torch.no_grad():
        outs[nr].add_(1.0)
    assert outs[nr].grad_fn is grad_fn  # (under no_grad: the output's node is the op's)
    with pytest.raises(RuntimeError, match=_MODIFIED.format(shape=shape, nr=nr)):
        _backward_from(outs)


@pytest.mark.parametrize("name,forward,nr,shape,make", CASES, ids=[c[0] for c in CASES])
def test_unmodified_outputs_still_give_the_gradient(name, forward, nr, shape, make):
    A = make()
    _backward_from(forward(A))
    assert A.grad is not None and A.grad.shape == A.shape and bool(A.grad.isfinite().all())


def test_inverse_gradient_through_the_saved_output():
    a = np.random.default_rng(2).standard_normal((3, 3)) + 3 * np.eye(3)
    A = torch.tensor(a, requires_grad=True)
    torch.linalg.inv(A).sum().backward()
    inv = np.linalg.inv(a)
    np.testing.assert_allclose(A.grad.numpy(), -inv.T @ np.ones((3, 3)) @ inv.T, rtol=1e-12)


def test_a_modified_output_before_a_second_op_is_still_caught_after_a_view():
    A = _spd()
    L = torch.linalg.cholesky(A)
    with torch.no_grad():
        L.t().mul_(2.0)  # through a view: the same storage
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _backward_from([L])
