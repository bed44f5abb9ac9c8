"""nn.utils.parametrize, nn.utils.parametrizations.weight_norm / spectral_norm and the hook-based
nn.utils.spectral_norm: values against float64 numpy (SVD for the spectral norm), torch's state_dict keys,
gradients flowing to the originals, remove_parametrizations, errors."""
import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn
from tinygrad_ext.nn.utils import parametrizations, parametrize

TOL = dict(rtol=1e-9, atol=1e-12)


def linear(i=4, o=3):
    torch.manual_seed(0)
    return nn.Linear(i, o).double()


def test_weight_norm_parametrization():
    m = linear()
    w0 = m.weight.detach().numpy().copy()
    parametrizations.weight_norm(m)
    assert type(m).__name__ == "ParametrizedLinear" and isinstance(m, nn.Linear)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    g = m.parametrizations.weight.original0.detach().numpy()
    np.testing.assert_allclose(g, np.linalg.norm(w0, axis=1, keepdims=True), **TOL)
    np.testing.assert_allclose(m.weight.detach().numpy(), w0, **TOL)
    with torch.no_grad():
        m.parametrizations.weight.original0.mul_(2.0)
    np.testing.assert_allclose(m.weight.detach().numpy(), 2 * w0, **TOL)  # recomputed on access
    x = torch.tensor(np.ones((2, 4)))
    m(x).sum().backward()
    v = m.parametrizations.weight.original1
    assert v.grad is not None and m.parametrizations.weight.original0.grad.shape == (3, 1)
    names = sorted(n for n, _ in m.named_parameters())
    assert names == ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]


def test_weight_norm_dim_none_and_remove():
    m = linear()
    w0 = m.weight.detach().numpy().copy()
    parametrizations.weight_norm(m, dim=None)
    np.testing.assert_allclose(m.parametrizations.weight.original0.item(), np.linalg.norm(w0), **TOL)
    parametrize.remove_parametrizations(m, "weight")
    assert type(m) is nn.Linear and not parametrize.is_parametrized(m)
    assert isinstance(m.weight, nn.Parameter) and list(m.state_dict()) == ["bias", "weight"]  # (as torch)
    np.testing.assert_allclose(m.weight.detach().numpy(), w0, **TOL)


def test_spectral_norm_parametrization():
    m = linear(5, 4)
    w0 = m.weight.detach().numpy().copy()
    parametrizations.spectral_norm(m, n_power_iterations=5)
    assert list(m.state_dict()) == ["bias", "parametrizations.weight.original", "parametrizations.weight.0._u",
                                    "parametrizations.weight.0._v"]
    for _ in range(20):
        w = m.weight
    np.testing.assert_allclose(w.detach().numpy(), w0 / np.linalg.svd(w0, compute_uv=False)[0], rtol=1e-6)
    m.eval()
    u0 = m.parametrizations.weight[0]._u.numpy().copy()
    _ = m.weight
    np.testing.assert_array_equal(m.parametrizations.weight[0]._u.numpy(), u0)  # no power iteration in eval
    m(torch.tensor(np.ones((2, 5)))).sum().backward()
    assert m.parametrizations.weight.original.grad.shape == (4, 5)


def test_spectral_norm_conv_transpose_uses_dim_1():
    torch.manual_seed(0)
    m = parametrizations.spectral_norm(nn.ConvTranspose2d(3, 2, 2).double())
    assert m.parametrizations.weight[0].dim == 1 and m.parametrizations.weight[0]._u.shape == (2,)
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'kernel'"):
        parametrizations.spectral_norm(linear(), name="kernel")


def test_hook_spectral_norm():
    m = linear(5, 4)
    w0 = m.weight.detach().numpy().copy()
    nn.utils.spectral_norm(m, n_power_iterations=30)
    assert sorted(m.state_dict()) == ["bias", "weight_orig", "weight_u", "weight_v"]
    m(torch.tensor(np.ones((1, 5))))
    np.testing.assert_allclose(m.weight.detach().numpy(), w0 / np.linalg.svd(w0, compute_uv=False)[0], rtol=1e-6)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
        nn.utils.spectral_norm(m)
    nn.utils.remove_spectral_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"] and isinstance(m.weight, nn.Parameter)
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found"):
        nn.utils.remove_spectral_norm(m)
    with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
        nn.utils.spectral_norm(linear(), n_power_iterations=0)


def test_register_custom_parametrization_and_assignment():
    class Symmetric(nn.Module):
        def forward(self, x):
            return x.triu() + x.triu(1).transpose(0, 1)

        def right_inverse(self, a):
            return a.triu()

    m = linear(3, 3)
    parametrize.register_parametrization(m, "weight", Symmetric())
    w = m.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T, **TOL)
    s = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 5.0], [3.0, 5.0, 6.0]])
    m.weight = torch.tensor(s)
    np.testing.assert_allclose(m.weight.detach().numpy(), s, **TOL)
    assert parametrize.is_parametrized(m, "weight") and not parametrize.is_parametrized(m, "bias")
    with pytest.raises(ValueError, match="does not have a parametrization on bias"):
        parametrize.remove_parametrizations(m, "bias")


# ------------------------------------------------------------------ orthogonal
@pytest.mark.parametrize("shape,orthogonal_map", [((4, 4), None), ((5, 3), None), ((3, 5), None), ((4, 4), "cayley"),
                                                  ((5, 3), "matrix_exp"), ((4, 4), "householder"),
                                                  ((3, 5), "householder")])
def test_orthogonal_gives_orthonormal_columns_and_trains(shape, orthogonal_map):
    torch.manual_seed(0)
    lin = nn.Linear(shape[1], shape[0], dtype=torch.float64)
    before = lin.weight.detach().clone()
    parametrizations.orthogonal(lin, orthogonal_map=orthogonal_map)
    assert sorted(lin.state_dict()) == ["bias", "parametrizations.weight.0.base", "parametrizations.weight.original"]
    w = lin.weight.detach().numpy()
    Q = w if shape[0] >= shape[1] else w.T
    np.testing.assert_allclose(Q.T @ Q, np.eye(Q.shape[1]), atol=1e-12)
    if shape[0] == shape[1]:  # the initial weight is kept when orthogonalized: its QR's Q, R's diagonal positive
        q, r = np.linalg.qr(before.numpy())
        np.testing.assert_allclose(w, q * np.sign(np.diag(r)), atol=1e-12)
    opt = torch.optim.SGD(lin.parameters(), lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        lin(torch.randn(8, shape[1], dtype=torch.float64)).pow(2).sum().backward()
        opt.step()
    w = lin.weight.detach().numpy()
    Q = w if shape[0] >= shape[1] else w.T
    np.testing.assert_allclose(Q.T @ Q, np.eye(Q.shape[1]), atol=1e-12)  # still orthogonal after steps


def test_orthogonal_bad_inputs():
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        parametrizations.orthogonal(nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder"'):
        parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="qr")
    m = parametrizations.orthogonal(nn.Linear(3, 3), orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):  # (registering works, as torch's)
        m.weight = torch.eye(3)
