"""VonMises, LogisticNormal, LowRankMultivariateNormal, Wishart and LKJCholesky: densities, entropies and moments
against scipy.stats (vonmises, multivariate_normal, wishart) or float64 formulas written here (the stick-breaking change
of variables, the LKJ density of Lewandowski, Kurowicka and Joe 2009), sample statistics, gradients against central
differences, torch's errors, and (with PyTorch importable) seeded samples, log_probs, moments, entropies, expand and
gradients equal to torch's."""
import math
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import distributions as D

from tests.oracle import central_difference, check_raises, needs_torch, real_torch

stats = pytest.importorskip("scipy.stats")
special = pytest.importorskip("scipy.special")

A3 = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]])
W32 = np.array([[1.0, 0.0], [0.5, 2.0], [-1.0, 0.3]])


def f64(*values):
    return [torch.tensor(v, dtype=torch.float64) for v in values]


def close(t, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(t.detach().numpy(), want, rtol=rtol, atol=atol)


# ---- VonMises

def test_von_mises_against_scipy():
    loc, kappa = np.array([0.5, -2.0, 3.0, 0.0]), np.array([0.01, 0.7, 3.74, 20.0])
    x = np.array([0.1, 2.0, -3.0, 7.0])  # (any real: read modulo 2 pi)
    d = D.VonMises(*f64(loc, kappa))
    # torch's log-Bessel polynomials (Abramowitz and Stegun) are good to about 1e-7 relative
    close(d.log_prob(torch.tensor(x)), stats.vonmises(kappa, loc=loc).logpdf(x), rtol=1e-6)
    close(d.variance, 1 - special.i1(kappa) / special.i0(kappa), rtol=1e-6, atol=1e-6)
    close(d.mean, loc)
    close(d.mode, loc)
    assert d.batch_shape == (4,) and d.event_shape == () and not d.has_rsample


def test_von_mises_samples():
    d = D.VonMises(*f64([1.0, -2.5, 0.0], [4.0, 0.5, 1e-7]))
    torch.manual_seed(0)
    s = d.sample((4000,))
    assert s.dtype == torch.float64 and s.shape == (4000, 3)
    x = s.numpy()
    assert (x >= -math.pi).all() and (x < math.pi).all()
    # the mean resultant: direction loc, length I1/I0 = 1 - circular variance
    r = np.exp(1j * x).mean(0)
    np.testing.assert_allclose(np.angle(r[:2]), [1.0, -2.5], atol=0.06)
    np.testing.assert_allclose(np.abs(r), 1 - d.variance.numpy(), atol=0.03)
    assert D.VonMises(torch.tensor([0.0]), torch.tensor([1.0])).sample().dtype == torch.float32


def test_von_mises_log_prob_gradient():
    loc, kappa = np.array([0.3, -1.0]), np.array([0.8, 5.0])
    x = torch.tensor([0.1, 2.0], dtype=torch.float64)
    lt, kt = torch.tensor(loc, requires_grad=True), torch.tensor(kappa, requires_grad=True)
    D.VonMises(lt, kt).log_prob(x).sum().backward()
    np.testing.assert_allclose(lt.grad.numpy(), central_difference(
        lambda v: D.VonMises(*f64(v, kappa)).log_prob(x).sum().item(), loc), rtol=1e-6)
    np.testing.assert_allclose(kt.grad.numpy(), central_difference(
        lambda v: D.VonMises(*f64(loc, v)).log_prob(x).sum().item(), kappa), rtol=1e-6)


# ---- LogisticNormal

def logistic_normal_logpdf(y, loc, scale):
    """The density of y on the simplex: x_i = logit(z_i) + log(k - i) with z_i = y_i / (1 - y_0 - ... - y_(i-1)),
    dy_i / dx_i = z_i (1 - z_i) (1 - y_0 - ... - y_(i-1)) (the Jacobian is triangular)."""
    k = y.shape[-1] - 1
    rest = 1 - np.concatenate([np.zeros(y.shape[:-1] + (1,)), np.cumsum(y[..., :-1], -1)], -1)[..., :-1]
    z = y[..., :-1] / rest
    x = np.log(z) - np.log1p(-z) + np.log(np.arange(k, 0, -1))
    return (stats.norm(loc, scale).logpdf(x) - np.log(z * (1 - z) * rest)).sum(-1)


def test_logistic_normal_density_and_samples():
    loc, scale = np.array([[0.1, -0.5, 1.0], [0.0, 0.0, 0.0]]), np.array([1.0, 0.5, 2.0])
    d = D.LogisticNormal(*f64(loc, scale))
    assert d.batch_shape == (2,) and d.event_shape == (4,) and d.has_rsample
    y = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.15, 0.05]])
    close(d.log_prob(torch.tensor(y)), logistic_normal_logpdf(y, loc, scale), rtol=1e-12)
    close(d.loc, loc)
    close(d.scale, np.broadcast_to(scale, (2, 3)))
    torch.manual_seed(0)
    s = d.sample((2000,)).numpy()
    assert s.shape == (2000, 2, 4) and (s > 0).all()
    np.testing.assert_allclose(s.sum(-1), 1.0, atol=1e-12)
    # the inverse map of the draws is Normal(loc, scale)
    rest = 1 - np.cumsum(s, -1)[..., :-2]
    z = s[..., 1:-1] / rest
    x = np.concatenate([np.log(s[..., :1] / (1 - s[..., :1])) + np.log(3),
                        np.log(z / (1 - z)) + np.log(np.arange(2, 0, -1))], -1)
    np.testing.assert_allclose(x.mean(0), loc, atol=0.12)
    np.testing.assert_allclose(x.std(0), np.broadcast_to(scale, (2, 3)), rtol=0.06)
    scalar = D.LogisticNormal(0.3, 2.0)  # (scalar parameters: one Normal, two coordinates)
    assert scalar.batch_shape == () and scalar.event_shape == (2,) and scalar.sample((5,)).shape == (5, 2)


def test_logistic_normal_rsample_gradient():
    loc, scale = np.array([0.2, -0.4]), np.array([0.7, 1.3])
    weights = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)

    def value(lv, sv, grad=False):
        lt, st = torch.tensor(lv, requires_grad=grad), torch.tensor(sv, requires_grad=grad)
        torch.manual_seed(4)
        out = (D.LogisticNormal(lt, st).rsample((3,)) * weights).sum()
        return out, lt, st

    out, lt, st = value(loc, scale, grad=True)
    out.backward()
    np.testing.assert_allclose(lt.grad.numpy(), central_difference(lambda v: value(v, scale)[0].item(), loc),
                               rtol=1e-6)
    np.testing.assert_allclose(st.grad.numpy(), central_difference(lambda v: value(loc, v)[0].item(), scale),
                               rtol=1e-6)


# ---- LowRankMultivariateNormal

def test_low_rank_normal_against_scipy():
    loc, diag = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 0.5]]), np.array([1.0, 0.5, 2.0])
    cov = W32 @ W32.T + np.diag(diag)
    d = D.LowRankMultivariateNormal(*f64(loc, W32, diag))
    assert d.batch_shape == (2,) and d.event_shape == (3,) and d.has_rsample
    x = np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]])
    want = [stats.multivariate_normal(m, cov) for m in loc]
    close(d.log_prob(torch.tensor(x)), [w.logpdf(v) for w, v in zip(want, x)])
    close(d.entropy(), [w.entropy() for w in want])
    close(d.covariance_matrix, np.broadcast_to(cov, (2, 3, 3)))
    close(d.precision_matrix, np.broadcast_to(np.linalg.inv(cov), (2, 3, 3)))
    close(d.scale_tril, np.broadcast_to(np.linalg.cholesky(cov), (2, 3, 3)))
    close(d.variance, np.broadcast_to(np.diag(cov), (2, 3)))
    close(d.mean, loc)
    close(d.mode, loc)
    assert d.cov_factor.shape == (2, 3, 2) and d.cov_diag.shape == (2, 3)
    torch.manual_seed(0)
    s = d.sample((20000,)).numpy()
    np.testing.assert_allclose(s.mean(0), loc, atol=0.06)
    np.testing.assert_allclose(np.cov(s[:, 1].T), cov, atol=0.12)


def test_low_rank_normal_gradients():
    loc, diag = np.array([0.3, -0.2, 1.1]), np.array([0.8, 1.5, 2.0])
    x = torch.tensor([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]], dtype=torch.float64)

    def value(lv, wv, dv, grad=False):
        ts = [torch.tensor(v, requires_grad=grad) for v in (lv, wv, dv)]
        d = D.LowRankMultivariateNormal(*ts)
        torch.manual_seed(2)
        return d.log_prob(x).sum() + d.rsample((2,)).pow(2).sum() + d.entropy(), ts

    out, ts = value(loc, W32, diag, grad=True)
    out.backward()
    args = [loc, W32, diag]
    for i, t in enumerate(ts):
        def f(v, i=i):
            return value(*[v if j == i else a for j, a in enumerate(args)])[0].item()
        np.testing.assert_allclose(t.grad.numpy(), central_difference(f, args[i]), rtol=1e-6, atol=1e-8)


# ---- Wishart

def test_wishart_against_scipy():
    df = np.array([3.5, 6.0])
    d = D.Wishart(torch.tensor(df), covariance_matrix=torch.tensor(A3))
    assert d.batch_shape == (2,) and d.event_shape == (3, 3) and d.has_rsample
    X = np.array([[1.0, 0.2, 0.0], [0.2, 2.0, 0.5], [0.0, 0.5, 3.0]])
    want = [stats.wishart(v, A3) for v in df]
    close(d.log_prob(torch.tensor(X)), [w.logpdf(X) for w in want])
    close(d.entropy(), [w.entropy() for w in want], rtol=1e-9)
    close(d.mean, [w.mean() for w in want])
    close(d.variance, [w.var() for w in want])
    close(d.mode, [np.full((3, 3), np.nan), (6.0 - 4) * A3])
    for kw in ({"precision_matrix": torch.tensor(np.linalg.inv(A3))},
               {"scale_tril": torch.tensor(np.linalg.cholesky(A3))}):
        other = D.Wishart(5.0, **kw)
        assert other.batch_shape == () and other.df.dtype == torch.float64
        close(other.log_prob(torch.tensor(X)), stats.wishart(5.0, A3).logpdf(X))
        close(other.covariance_matrix, A3)
        close(other.precision_matrix, np.linalg.inv(A3))
        close(other.scale_tril, np.linalg.cholesky(A3))


def test_wishart_samples():
    d = D.Wishart(torch.tensor([4.0, 7.0], dtype=torch.float64), covariance_matrix=torch.tensor(A3))
    torch.manual_seed(0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = d.sample((3000,))
    assert any("Singular sample detected" in str(w.message) for w in caught)  # (as torch 2.13's, see rsample)
    assert s.shape == (3000, 2, 3, 3)
    x = s.numpy()
    np.testing.assert_allclose(x.mean(0), d.mean.numpy(), atol=0.35)
    np.testing.assert_allclose(x.var(0), d.variance.numpy(), rtol=0.25, atol=0.5)
    assert (np.linalg.eigvalsh(x) > 0).all()


def test_wishart_rsample_gradient():
    Lm = np.linalg.cholesky(A3)

    def value(lv, grad=False):
        lt = torch.tensor(lv, requires_grad=grad)
        torch.manual_seed(6)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = (D.Wishart(5.0, scale_tril=lt).rsample((2,)) * torch.tensor(A3)).sum()
        return out, lt

    out, lt = value(Lm, grad=True)
    out.backward()
    want = central_difference(lambda v: value(np.tril(v))[0].item(), Lm)
    np.testing.assert_allclose(np.tril(lt.grad.numpy()), np.tril(want), rtol=1e-6, atol=1e-8)


# ---- LKJCholesky

def lkj_logpdf(Lm, eta):
    """det(C)^(eta - 1) / c_d(eta) for C = L L^T (the normalizer of Lewandowski, Kurowicka and Joe), times the
    Jacobian prod_i L_ii^(d - i) of L -> C."""
    d = Lm.shape[-1]
    k = np.arange(1, d)
    log_c = (np.sum((2 * eta - 2 + d - k) * (d - k)) * math.log(2)
             + np.sum((d - k) * special.betaln(eta + (d - k - 1) / 2, eta + (d - k - 1) / 2)))
    return ((eta - 1) * np.log(np.linalg.det(Lm @ Lm.T)) - log_c
            + np.sum((d - np.arange(1, d + 1)) * np.log(np.diag(Lm))))


@pytest.mark.parametrize("dim,eta", [(2, 0.5), (3, 1.0), (4, 2.5), (5, 0.7)])
def test_lkj_cholesky_density_and_samples(dim, eta):
    d = D.LKJCholesky(dim, torch.tensor(eta, dtype=torch.float64))
    assert d.batch_shape == () and d.event_shape == (dim, dim) and not d.has_rsample
    torch.manual_seed(0)
    s = d.sample((3000,))
    x = s.numpy()
    np.testing.assert_allclose(x, np.tril(x))
    np.testing.assert_allclose(np.linalg.norm(x, axis=-1), 1.0, atol=1e-12)
    assert (np.diagonal(x, axis1=-2, axis2=-1) > 0).all()
    lp = d.log_prob(s[:5]).numpy()
    np.testing.assert_allclose(lp, [lkj_logpdf(v, eta) for v in x[:5]], rtol=1e-10)
    # under LKJ each correlation is 2 Beta(b, b) - 1 with b = eta - 1 + dim / 2: variance 1 / (2 eta + dim - 1); so
    # is C[1, 0] = L[1, 0] here. Row i > 1 squares to torch 2.13's Beta(i - 1/2, eta + (dim - 1 - i) / 2) draw
    # where the onion method has Beta(i / 2, ...): drawn so for torch's samples, C[i, 0] has variance E[y] / i.
    corr = x @ np.swapaxes(x, -1, -2)
    assert abs(corr[:, 1, 0].mean()) < 0.05 and abs(corr[:, dim - 1, 0].mean()) < 0.05
    np.testing.assert_allclose(corr[:, 1, 0].var(), 1 / (2 * eta + dim - 1), rtol=0.1)
    i = dim - 1
    mean_y = (i - 0.5) / (i - 0.5 + eta + (dim - 1 - i) / 2)
    np.testing.assert_allclose(corr[:, i, 0].var(), mean_y / i, rtol=0.1)


def test_lkj_cholesky_batches_and_gradient():
    d = D.LKJCholesky(3, torch.tensor([0.5, 1.0, 3.0]))
    assert d.batch_shape == (3,) and d.sample((2,)).shape == (2, 3, 3, 3)
    value = D.LKJCholesky(3, torch.tensor(2.0, dtype=torch.float64)).sample((4,))
    eta = np.array([0.7, 2.0])
    et = torch.tensor(eta, requires_grad=True)
    D.LKJCholesky(3, et).log_prob(value.unsqueeze(1)).sum().backward()
    want = central_difference(lambda v: D.LKJCholesky(3, torch.tensor(v)).log_prob(value.unsqueeze(1)).sum().item(),
                              eta)
    np.testing.assert_allclose(et.grad.numpy(), want, rtol=1e-6)


# ---- shared

def test_expand():
    cases = [D.VonMises(torch.tensor([0.0, 1.0]), 2.0),
             D.LogisticNormal(torch.zeros(2, 3), torch.ones(3)),
             D.LowRankMultivariateNormal(torch.zeros(2, 3), torch.tensor(W32, dtype=torch.float32), torch.ones(3)),
             D.Wishart(torch.tensor([3.0, 4.0]), covariance_matrix=torch.eye(2)),
             D.LKJCholesky(3, torch.tensor([1.0, 2.0]))]
    for d in cases:
        e = d.expand((4, 2))
        assert type(e) is type(d) and e.batch_shape == (4, 2) and e.event_shape == d.event_shape
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = e.sample((3,))
        assert x.shape == (3, 4, 2) + tuple(d.event_shape)
        np.testing.assert_allclose(e.log_prob(x).numpy(), d.log_prob(x).numpy(), rtol=1e-5)
        assert d.batch_shape == (2,)
        with pytest.raises(RuntimeError):
            d.expand((3,))


def test_errors():
    eye = torch.eye(2)
    check_raises(lambda: D.VonMises(0.0, -1.0), ValueError, "concentration", "GreaterThan(lower_bound=0.0)")
    check_raises(lambda: D.VonMises(0.0, 1.0).log_prob(torch.tensor(math.nan)), ValueError, "support", "Real()")
    check_raises(lambda: D.VonMises(0.0, 1.0).rsample(), NotImplementedError)
    check_raises(lambda: D.VonMises(0.0, 1.0).entropy(), NotImplementedError)
    check_raises(lambda: D.LogisticNormal(torch.zeros(3), -torch.ones(3)), ValueError, "scale", "Normal")
    check_raises(lambda: D.LogisticNormal(torch.zeros(3), torch.ones(3)).log_prob(torch.ones(4)), ValueError,
                 "Simplex()")
    check_raises(lambda: D.LogisticNormal(torch.zeros(3), torch.ones(3)).mean, NotImplementedError)
    check_raises(lambda: D.LowRankMultivariateNormal(torch.tensor(0.0), torch.ones(1, 1), torch.ones(1)),
                 ValueError, "loc must be at least one-dimensional.")
    check_raises(lambda: D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2), torch.ones(2)), ValueError,
                 "cov_factor must be at least two-dimensional")
    check_raises(lambda: D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(3, 1), torch.ones(2)), ValueError,
                 "cov_factor must be a batch of matrices with shape 2 x m")
    check_raises(lambda: D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1), torch.ones(3)), ValueError,
                 "cov_diag must be a batch of vectors with shape torch.Size([2])")
    check_raises(lambda: D.LowRankMultivariateNormal(torch.zeros(3, 2), torch.ones(2, 2, 1), torch.ones(2)),
                 ValueError, "Incompatible batch shapes: loc torch.Size([3, 2]), cov_factor torch.Size([2, 2, 1])")
    check_raises(lambda: D.LowRankMultivariateNormal(torch.zeros(2), torch.ones(2, 1), -torch.ones(2)),
                 torch.linalg.LinAlgError)  # (the capacitance factor fails before validation, as torch's)
    check_raises(lambda: D.Wishart(3.0), AssertionError, "Exactly one of covariance_matrix")
    check_raises(lambda: D.Wishart(3.0, eye, scale_tril=eye), AssertionError, "Exactly one of")
    check_raises(lambda: D.Wishart(torch.tensor([1.0, 3.0]), torch.eye(3)), ValueError,
                 "Value of df=tensor([1., 3.]) expected to be greater than ndim - 1 = 2.")
    check_raises(lambda: D.Wishart(3.0, torch.ones(2)), ValueError, "scale_tril must be at least two-dimensional")
    check_raises(lambda: D.Wishart(3.0, torch.ones(2, 2)), ValueError, "covariance_matrix", "PositiveDefinite()")
    check_raises(lambda: D.Wishart(3.0, scale_tril=torch.ones(2, 2)), ValueError, "scale_tril", "LowerCholesky()")
    check_raises(lambda: D.Wishart(3.0, eye).log_prob(-eye), ValueError, "support", "PositiveDefinite()")
    with pytest.warns(UserWarning, match="Low df values detected"):
        D.Wishart(1.5, eye)
    check_raises(lambda: D.LKJCholesky(1), ValueError, "Expected dim to be an integer greater than or equal to 2. "
                 "Found dim=1.")
    check_raises(lambda: D.LKJCholesky(3, -1.0), ValueError, "concentration", "Dirichlet")
    check_raises(lambda: D.LKJCholesky(3).log_prob(torch.ones(3, 3)), ValueError, "CorrCholesky()")
    check_raises(lambda: D.LKJCholesky(3).entropy(), NotImplementedError)
    assert repr(D.Wishart(3.0, eye)) == "Wishart(covariance_matrix: torch.Size([2, 2]), df: 3.0)"
    assert repr(D.LKJCholesky(3)) == "LKJCholesky(concentration: 1.0)"
    assert D.Wishart(3.0, eye).arg_constraints["df"].lower_bound == 1


# ---- against torch

def make(L):
    Dl = L.distributions
    A = L.tensor(A3, dtype=L.float32)
    return {
        "VonMises": lambda: Dl.VonMises(L.tensor([0.5, -2.0, 3.0]), L.tensor([1e-6, 0.7, 20.0])),
        "VonMises float64": lambda: Dl.VonMises(L.tensor([0.5, 1.0], dtype=L.float64), 4.0),
        "LogisticNormal": lambda: Dl.LogisticNormal(L.tensor([[0.1, -0.5, 1.0], [0., 0., 0.]]),
                                                    L.tensor([1., 0.5, 2.])),
        "LogisticNormal scalar": lambda: Dl.LogisticNormal(0.3, 2.0),
        "LowRankMultivariateNormal": lambda: Dl.LowRankMultivariateNormal(
            L.tensor([[1., 2., 3.], [0., 0., 0.]]), L.tensor(W32, dtype=L.float32), L.tensor([1., 0.5, 2.])),
        "Wishart": lambda: Dl.Wishart(L.tensor([3.5, 5.]), covariance_matrix=A),
        "Wishart precision": lambda: Dl.Wishart(4., precision_matrix=A),
        "Wishart scale_tril float64": lambda: Dl.Wishart(L.tensor(6., dtype=L.float64),
                                                         scale_tril=L.linalg.cholesky(A.double())),
        "LKJCholesky": lambda: Dl.LKJCholesky(4, L.tensor([0.5, 1., 3.], dtype=L.float64)),
        "LKJCholesky dim 2": lambda: Dl.LKJCholesky(2),
    }


def _run(L, name, expand):
    d = make(L)[name]()
    if expand:
        d = d.expand((2,) + tuple(d.batch_shape))
    L.manual_seed(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = d.sample((3,))
    got = {"sample": s, "log_prob": d.log_prob(s)}
    for attr in ("mean", "mode", "variance", "entropy", "covariance_matrix", "precision_matrix", "scale_tril"):
        try:
            value = getattr(d, attr)
            got[attr] = value() if callable(value) else value
        except (NotImplementedError, AttributeError):
            pass
    return {k: v.detach().double().numpy() for k, v in got.items()}


@needs_torch
@pytest.mark.parametrize("expand", [False, True])
@pytest.mark.parametrize("name", list(make(torch)))
def test_equal_to_torch(name, expand):
    want, got = _run(real_torch, name, expand), _run(torch, name, expand)
    assert set(got) >= set(want)
    for key in want:
        np.testing.assert_allclose(got[key], want[key], rtol=2e-5, atol=2e-5, err_msg=f"{name} {key}")


@needs_torch
def test_gradients_equal_torch():
    got = []
    for L in (real_torch, torch):
        loc = L.tensor([0.3, -0.2, 1.1], dtype=L.float64, requires_grad=True)
        scale = L.tensor([0.8, 1.5, 2.0], dtype=L.float64, requires_grad=True)
        W = L.tensor(W32, requires_grad=True)
        Lm = L.tensor(np.linalg.cholesky(A3), requires_grad=True)
        df = L.tensor(4.5, dtype=L.float64, requires_grad=True)
        L.manual_seed(5)
        out = L.distributions.VonMises(loc, scale).log_prob(L.tensor([0.1, 2.0, -3.0], dtype=L.float64)).sum()
        ln = L.distributions.LogisticNormal(loc, scale)
        s = ln.rsample((2,))
        out = out + (s * L.arange(4, dtype=L.float64)).sum() + ln.log_prob(s.detach()).sum()
        lr = L.distributions.LowRankMultivariateNormal(loc, W, scale)
        s = lr.rsample((2,))
        out = out + s.pow(2).sum() + lr.log_prob(s.detach()).sum() + lr.entropy() + lr.precision_matrix.sum()
        wi = L.distributions.Wishart(df, scale_tril=Lm)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = wi.sample((2,))
        out = out + wi.log_prob(s).sum() + wi.entropy() + wi.mean.sum() + wi.variance.sum()
        out = out + L.distributions.LKJCholesky(3, scale[:2]).log_prob(
            L.distributions.LKJCholesky(3, L.tensor(2.0, dtype=L.float64)).sample((2, 1))).sum()
        out.backward()
        # (scale_tril's lower triangle: torch's cholesky_solve backward also fills the upper one, which it never reads)
        got.append([out.detach().numpy(), np.tril(Lm.grad.numpy())] + [p.grad.numpy() for p in (loc, scale, W, df)])
    for a, b in zip(*got):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-11)


def test_one_hot_categorical_straight_through():
    # rsample: the one-hot sample forward, the probabilities' gradient backward (samples + probs - probs.detach())
    torch.manual_seed(0)
    logits = torch.tensor([[0.1, 0.5, -0.3], [1.0, 0.0, 0.2]], dtype=torch.float64, requires_grad=True)
    d = D.OneHotCategoricalStraightThrough(logits=logits)
    s = d.rsample((4,))
    values = s.detach().numpy()
    assert d.has_rsample and s.shape == (4, 2, 3) and set(np.unique(values)) <= {0.0, 1.0}
    assert (values.sum(-1) == 1).all()  # (exact one-hot rows: the straight-through term adds exactly 0 forward)
    c = np.arange(3.0)
    (s * torch.tensor(c)).sum().backward()
    p = np.exp(logits.detach().numpy()) / np.exp(logits.detach().numpy()).sum(-1, keepdims=True)
    np.testing.assert_allclose(logits.grad.numpy(), 4 * p * (c - (p * c).sum(-1, keepdims=True)), rtol=1e-12)
