"""torch.func.jvp (the Jacobians/Hessians tutorial): values against numpy's analytic derivatives, several
outputs, has_aux, nesting (jvp(grad(f)) is a Hessian-vector product), gradients through it, torch's errors."""
import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.func import grad, jacfwd, jacrev, jvp

F = torch.nn.functional
rng = np.random.RandomState(0)
W, B, X, T = rng.randn(4, 4), rng.randn(4), rng.randn(4), rng.randn(4)


def predict(weight, bias, x):
    return F.linear(x, weight, bias).tanh()


def test_jvp_of_a_layer():
    w, b, x, t = (torch.tensor(a) for a in (W, B, X, T))
    out, tangent = jvp(lambda x: predict(w, b, x), (x,), (t,))
    y = np.tanh(W @ X + B)
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-12)
    np.testing.assert_allclose(tangent.numpy(), (1 - y ** 2) * (W @ T), rtol=1e-10)
    assert not out.requires_grad and not tangent.requires_grad
    jac = jacrev(predict, argnums=2)(w, b, x)  # column k of the Jacobian is the jvp with the k-th unit vector
    for k in range(4):
        np.testing.assert_allclose(jvp(lambda x: predict(w, b, x), (x,), (torch.eye(4, dtype=torch.float64)[k],))[1]
                                   .numpy(), jac[:, k].numpy(), rtol=1e-10)
    np.testing.assert_allclose(jacfwd(predict, argnums=2)(w, b, x).numpy(), jac.numpy())


def test_hessian_vector_product_and_several_outputs():
    x, t = torch.tensor(X), torch.tensor(T)

    def hvp(f, primals, tangents):
        return jvp(grad(f), primals, tangents)[1]

    np.testing.assert_allclose(hvp(lambda x: x.sin().sum(), (x,), (t,)).numpy(), -np.sin(X) * T, rtol=1e-10)
    (prod, total), (d_prod, d_total) = jvp(lambda a, b: ((a * b).sum(), a + b), (x, x), (t, torch.ones(4).double()))
    assert prod.item() == pytest.approx((X * X).sum())
    assert d_prod.item() == pytest.approx((T * X + X * 1).sum())
    np.testing.assert_allclose(d_total.numpy(), T + 1)
    out, tangent, aux = jvp(lambda a: (a.exp(), a.sum()), (x,), (t,), has_aux=True)
    np.testing.assert_allclose(tangent.numpy(), np.exp(X) * T, rtol=1e-12)
    assert aux.item() == pytest.approx(X.sum()) and aux.grad_fn is None
    const, zero = jvp(lambda a: torch.ones(2), (x,), (t,))  # an output independent of the primals: zeros
    assert const.tolist() == [1.0, 1.0] and zero.tolist() == [0.0, 0.0]


def test_gradients_flow_through_jvp():
    x = torch.tensor(X, requires_grad=True)
    _, tangent = jvp(lambda a: a ** 3, (x,), (torch.tensor(T),))
    assert tangent.requires_grad
    tangent.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * X * T, rtol=1e-12)


def test_jvp_errors():
    x = torch.tensor(X)
    with pytest.raises(RuntimeError, match=r"Expected primals to be a tuple. E.g. it should be valid to call "
                                           r"f\(\*primals\)."):
        jvp(torch.sin, x, (x,))
    with pytest.raises(RuntimeError, match="Expected primals and tangents to have the same python structure"):
        jvp(torch.sin, (x,), (x, x))
    with pytest.raises(RuntimeError, match=r"Tensor is of size \[4\] while the given forward gradient is of size "
                                           r"\[2\]."):
        jvp(torch.sin, (x,), (torch.ones(2),))
    with pytest.raises(RuntimeError, match="expected f\\(\\*primals\\) to return only tensors, got unsupported type "
                                           "<class 'int'>"):
        jvp(lambda a: 3, (x,), (x,))
    with pytest.raises(RuntimeError, match="Expected primals to only contain Tensors, got <class 'float'>"):
        jvp(torch.sin, (1.0,), (1.0,))
