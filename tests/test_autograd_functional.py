"""torch.autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp) and torch.func (grad, grad_and_value, vjp,
jacrev, jacfwd, hessian, vmap): values against closed-form float64 derivatives, result structure (tensor or
tuples as torch), strict mode and bad-input errors as torch's. Compared with PyTorch when it is importable."""
import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.func  # (loads torch.autograd.functional)
from tinygrad_ext.autograd import functional as AF
from tinygrad_ext.func import grad, grad_and_value, hessian, jacfwd, jacrev, vjp, vmap

RNG = np.random.default_rng(5)
TOL = dict(rtol=1e-10, atol=1e-12)
X = RNG.standard_normal(3)
Y = RNG.standard_normal(3)


def T(a, requires_grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def close(t, ref):
    np.testing.assert_allclose(t.detach().numpy(), ref, **TOL)


def cube_sum(a):  # f(x) = sum x^3: grad 3x^2, hessian diag(6x)
    return (a ** 3).sum()


def mixed(a, b):  # f(a, b) = sum a^2 b: d/da = 2ab, d/db = a^2; H_aa = diag(2b), H_ab = diag(2a), H_bb = 0
    return (a * a * b).sum()


# ------------------------------------------------------------------ torch.autograd.functional
def test_vjp_and_jvp_single_input():
    out, g = AF.vjp(lambda a: a.exp() * 2, T(X), T(Y))
    close(out, 2 * np.exp(X)), close(g, 2 * np.exp(X) * Y)
    out, g = AF.jvp(lambda a: a.exp() * 2, T(X), T(Y))
    close(out, 2 * np.exp(X)), close(g, 2 * np.exp(X) * Y)
    assert out.grad_fn is None and g.grad_fn is None and not g.requires_grad
    _, g = AF.vjp(cube_sum, T(X))  # v may be left out for a single-element output
    close(g, 3 * X ** 2)


def test_vjp_tuple_inputs_and_outputs():
    out, (ga, gb) = AF.vjp(lambda a, b: (a * b, a.sum()), (T(X), T(Y)), (T(np.ones(3)), T(2.0)))
    assert isinstance(out, tuple) and len(out) == 2
    close(ga, Y + 2.0), close(gb, X)
    out, j = AF.jvp(lambda a, b: a * b, (T(X), T(Y)), (T(np.ones(3)), T(2 * np.ones(3))))
    close(out, X * Y), close(j, Y + 2 * X)
    out, (j1, j2) = AF.jvp(lambda a, b: (a * b, a.sum()), (T(X), T(Y)), (T(np.ones(3)), T(np.zeros(3))))
    close(j1, Y), close(j2, 3.0)


def test_unused_input_gives_zeros_or_strict_error():
    _, (ga, gb) = AF.vjp(lambda a, b: a * 2, (T(X), T(Y)), T(np.ones(3)))
    close(ga, np.full(3, 2.0)), close(gb, np.zeros(3))
    with pytest.raises(RuntimeError, match="The output of the user-provided function is independent of input 1"):
        AF.vjp(lambda a, b: a * 2, (T(X), T(Y)), T(np.ones(3)), strict=True)
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function does not require gradients"):
        AF.vjp(lambda a: torch.ones(3, dtype=torch.float64), T(X), T(np.ones(3)), strict=True)
    jac = AF.jacobian(lambda a, b: a * 2, (T(X), T(Y)))
    close(jac[0], 2 * np.eye(3)), close(jac[1], np.zeros((3, 3)))
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is independent of input 1"):
        AF.jacobian(lambda a, b: a * 2 + b.detach(), (T(X), T(Y)), strict=True)


def test_jacobian_shapes_and_structure():
    x = RNG.standard_normal((2, 3))
    jac = AF.jacobian(lambda a: a.sin(), T(x))
    assert jac.shape == (2, 3, 2, 3)
    close(jac, np.einsum("ij,ik,jl->ijkl", np.cos(x), np.eye(2), np.eye(3)))
    out = AF.jacobian(lambda a: (a.sin(), a.sum()), T(x))
    assert isinstance(out, tuple) and out[0].shape == (2, 3, 2, 3) and out[1].shape == (2, 3)
    close(out[1], np.ones((2, 3)))
    both = AF.jacobian(lambda a, b: (a * b, (a + b).sum()), (T(X), T(Y)))
    assert isinstance(both[0], tuple) and isinstance(both[1], tuple)
    close(both[0][0], np.diag(Y)), close(both[0][1], np.diag(X)), close(both[1][0], np.ones(3))
    vec = AF.jacobian(lambda a: a.sin(), T(x), vectorize=True)
    close(vec, jac.numpy())
    assert AF.jacobian(lambda a: a.sin(), T(x), create_graph=True).requires_grad


def test_hessian_vhp_hvp():
    close(AF.hessian(cube_sum, T(X)), np.diag(6 * X))
    H = AF.hessian(mixed, (T(X), T(Y)))
    close(H[0][0], np.diag(2 * Y)), close(H[0][1], np.diag(2 * X)), close(H[1][0], np.diag(2 * X))
    close(H[1][1], np.zeros((3, 3)))
    v = RNG.standard_normal(3)
    for fn in (AF.vhp, AF.hvp):
        out, hv = fn(cube_sum, T(X), T(v))
        close(out, np.sum(X ** 3)), close(hv, 6 * X * v)
        out, (ha, hb) = fn(mixed, (T(X), T(Y)), (T(v), T(v)))
        close(ha, 2 * Y * v + 2 * X * v), close(hb, 2 * X * v)
    with pytest.raises(RuntimeError, match="The function given to hessian should return a single Tensor"):
        AF.hessian(lambda a: (a.sum(), a.sum()), T(X))
    with pytest.raises(RuntimeError, match="function given to vhp should contain a single element"):
        AF.vhp(lambda a: a * 2, T(X), T(v))


def test_create_graph_gives_differentiable_results():
    x = T(X, requires_grad=True)
    _, g = AF.vjp(cube_sum, x, create_graph=True)
    assert g.requires_grad
    (gg,) = torch.autograd.grad(g.sum(), x)
    close(gg, 6 * X)


def test_functional_bad_inputs():
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a tuple of Tensors but "
                                        "the given inputs has type <class 'list'>"):
        AF.vjp(cube_sum, [T(X)])
    with pytest.raises(TypeError, match="but the value at index 1 has type <class 'float'>"):
        AF.jacobian(mixed, (T(X), 1.0))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the user-provided function returns"):
        AF.vjp(lambda a: a * 2, T(X))
    with pytest.raises(RuntimeError, match="The vector v can only be None if the input to the user-provided"):
        AF.jvp(lambda a: a * 2, T(X))
    with pytest.raises(RuntimeError, match=r"v has invalid size: should be \(3,\)|v has invalid size"):
        AF.vjp(lambda a: a * 2, T(X), T(np.ones(4)))
    with pytest.raises(RuntimeError, match="v is a tuple of invalid length: should be 2 but got 1"):
        AF.jvp(mixed, (T(X), T(Y)), (T(X),))
    with pytest.raises(AssertionError, match='Expected strategy to be either "forward-mode" or "reverse-mode"'):
        AF.jacobian(cube_sum, T(X), strategy="sideways")
    with pytest.raises(NotImplementedError, match="only implemented for `vectorize=True`"):
        AF.jacobian(cube_sum, T(X), strategy="forward-mode")
    close(AF.jacobian(cube_sum, T(X), strategy="forward-mode", vectorize=True), 3 * X ** 2)


# ------------------------------------------------------------------ torch.func
def test_func_grad_and_argnums():
    close(grad(cube_sum)(T(X)), 3 * X ** 2)
    ga, gb = grad(mixed, argnums=(0, 1))(T(X), T(Y))
    close(ga, 2 * X * Y), close(gb, X * X)
    close(grad(mixed, argnums=1)(T(X), T(Y)), X * X)
    close(grad(mixed, argnums=-1)(T(X), T(Y)), X * X)
    g, value = grad_and_value(cube_sum)(T(X))
    close(g, 3 * X ** 2), close(value, np.sum(X ** 3))
    g, aux = grad(lambda a: (cube_sum(a), a * 2), has_aux=True)(T(X))
    close(g, 3 * X ** 2), close(aux, 2 * X)
    (g, (value, aux)) = grad_and_value(lambda a: (cube_sum(a), {"k": a}), has_aux=True)(T(X))
    close(aux["k"], X)
    assert not g.requires_grad and g.grad_fn is None


def test_func_grad_pytree_params():
    params = {"w": T(X), "b": T(Y)}
    g = grad(lambda p, x: ((p["w"] * x + p["b"]) ** 2).sum())(params, T(np.ones(3)))
    assert set(g) == {"w", "b"}
    close(g["w"], 2 * (X + Y)), close(g["b"], 2 * (X + Y))


def test_func_grad_errors():
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor, got tensor with 1 "
                                           "dims"):
        grad(lambda a: a * 2)(T(X))
    with pytest.raises(ValueError, match="Thing passed to transform API must be Tensor, got <class 'float'>"):
        grad(cube_sum)(1.0)
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        grad(cube_sum, argnums=2)(T(X))
    with pytest.raises(RuntimeError, match="argnums elements must be unique"):
        grad(cube_sum, argnums=(0, 0))(T(X))
    with pytest.raises(RuntimeError, match="argnums must be int or Tuple"):
        grad(cube_sum, argnums=1.0)(T(X))
    with pytest.raises(RuntimeError, match="output of function f should be a tuple: \\(output, aux\\)"):
        grad(cube_sum, has_aux=True)(T(X))


def test_func_vjp_jacrev_jacfwd_hessian():
    out, fn = vjp(lambda a: a.sin(), T(X))
    close(out, np.sin(X))
    (g,) = fn(T(Y))
    close(g, np.cos(X) * Y)
    with pytest.raises(RuntimeError, match="Expected pytree structure of cotangents"):
        fn((T(Y),))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        fn(T(np.ones(4)))
    out, fn, aux = vjp(lambda a, b: (a * b, b), T(X), T(Y), has_aux=True)
    ga, gb = fn(T(np.ones(3)))
    close(ga, Y), close(gb, X), close(aux, Y)
    for jac in (jacrev, jacfwd):
        close(jac(lambda a: a.sin())(T(X)), np.diag(np.cos(X)))
        ja, jb = jac(lambda a, b: a * b, argnums=(0, 1))(T(X), T(Y))
        close(ja, np.diag(Y)), close(jb, np.diag(X))
    close(hessian(cube_sum)(T(X)), np.diag(6 * X))
    H = hessian(mixed, argnums=(0, 1))(T(X), T(Y))
    close(H[0][1], np.diag(2 * X)), close(H[1][1], np.zeros((3, 3)))
    close(jacrev(jacrev(cube_sum))(T(X)), np.diag(6 * X))
    close(grad(lambda a: grad(cube_sum)(a).sum())(T(X)), 6 * X)


def test_vmap():
    x, y = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    close(vmap(torch.dot)(T(x), T(y)), np.sum(x * y, 1))
    close(vmap(torch.dot, in_dims=(0, None))(T(x), T(Y)), x @ Y)
    close(vmap(lambda a: a * 2, in_dims=1, out_dims=1)(T(x)), 2 * x)
    close(vmap(lambda a: a.sum(), in_dims=1)(T(x)), x.sum(0))
    s, p = vmap(lambda a, b: (a + b, (a * b).sum()))(T(x), T(y))
    close(s, x + y), close(p, np.sum(x * y, 1))
    close(vmap(lambda d: d["a"] - d["b"])({"a": T(x), "b": T(y)}), x - y)
    close(vmap(vmap(lambda a, b: a * b))(T(x), T(y)), x * y)
    close(vmap(grad(cube_sum))(T(x)), 3 * x ** 2)  # per-sample gradients
    close(vmap(jacrev(lambda a: a.sin()))(T(x)), np.stack([np.diag(np.cos(r)) for r in x]))
    out = vmap(lambda a: a * 2, out_dims=-1)(T(x))
    assert out.shape == (3, 4)


def test_vmap_randomness():
    with pytest.raises(RuntimeError, match="vmap: called random operation while in randomness error mode"):
        vmap(lambda a: a + torch.rand(3))(T(np.zeros((2, 3))))
    same = vmap(lambda a: a + torch.rand(3), randomness="same")(torch.zeros(2, 3))
    assert (same[0] == same[1]).all().item()
    diff = vmap(lambda a: a + torch.rand(3), randomness="different")(torch.zeros(2, 3))
    assert not (diff[0] == diff[1]).all().item()


def test_vmap_errors():
    x = T(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"Expected all tensors to have the same size in the mapped dimension, got "
                                         r"sizes \[3, 4\]"):
        vmap(lambda a, b: a + b)(x, T(np.ones((4, 2))))
    with pytest.raises(ValueError, match="expected `in_dims` to be int or a \\(potentially nested\\) tuple"):
        vmap(lambda a: a, in_dims=None)(x)
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure of `inputs`"):
        vmap(lambda a: a, in_dims=(0, 0))(x)
    with pytest.raises(ValueError, match="Got in_dim=2 for some input, but that input is a Tensor of dimensionality 2"):
        vmap(lambda a: a, in_dims=2)(x)
    with pytest.raises(ValueError, match="must only return Tensors, got type <class 'float'>"):
        vmap(lambda a: 1.0)(x)
    with pytest.raises(ValueError, match="We cannot vmap over non-Tensor arguments"):
        vmap(lambda a: a)(5.0)
    with pytest.raises(ValueError, match="got no inputs"):
        vmap(lambda: x)()
    with pytest.raises(ValueError, match=r"chunk_size should be None or greater than 0. \(got 0\)"):
        vmap(lambda a: a, chunk_size=0)
    with pytest.raises(RuntimeError, match="Only allowed values for randomness are 'error', 'different', or 'same'"):
        vmap(lambda a: a, randomness="bad")
    assert torch.vmap is vmap


def test_against_pytorch_when_available():
    ref = pytest.importorskip("torch")
    x, y = ref.tensor(X), ref.tensor(Y)
    H = ref.autograd.functional.hessian(lambda a, b: (a * a * b).sum(), (x, y))
    ours = AF.hessian(mixed, (T(X), T(Y)))
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(ours[i][j].numpy(), H[i][j].numpy(), **TOL)
    _, hv = ref.autograd.functional.hvp(lambda a: (a ** 3).sum(), x, y)
    np.testing.assert_allclose(AF.hvp(cube_sum, T(X), T(Y))[1].numpy(), hv.numpy(), **TOL)


def test_vmap_nested_in_dims():
    x, y = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    out = vmap(lambda d: d["a"] * 2 + d["b"], in_dims=({"a": 1, "b": 0},))({"a": T(y), "b": T(x)})
    close(out, 2 * y.T + x)
    out = vmap(lambda p, s: p[0] * s + p[1], in_dims=((0, 1), None))((T(x), T(y)), T(3.0))
    close(out, 3 * x + y.T)
    with pytest.raises(ValueError, match="in_dims is not compatible with the structure of `inputs`"):
        vmap(lambda d: d["a"], in_dims=({"z": 0},))({"a": T(x)})


def test_func_transforms_ignore_an_outer_no_grad():
    """torch.func transforms are functions of f alone: an enclosing no_grad does not zero their derivatives."""
    x = torch.tensor([0.5, -1.0, 2.0])
    with torch.no_grad():
        jac = torch.func.jacrev(torch.sin)(x)
        hess = torch.func.hessian(lambda t: t.sin().sum())(x)
        g = torch.func.grad(lambda t: t.sin().sum())(x)
    np.testing.assert_allclose(jac.numpy(), np.diag(np.cos(x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(hess.numpy(), np.diag(-np.sin(x.numpy())), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g.numpy(), np.cos(x.numpy()), rtol=1e-6)
    assert not jac.requires_grad
