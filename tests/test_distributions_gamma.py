"""Gamma, Chi2, Poisson, Dirichlet, Beta, StudentT, InverseGamma, FisherSnedecor, Binomial, ContinuousBernoulli,
RelaxedBernoulli, RelaxedOneHotCategorical and the samplers (torch._standard_gamma, _standard_gamma_grad,
_sample_dirichlet, _dirichlet_grad, poisson, binomial): densities, entropies and moments against scipy.stats or closed
forms in float64, the reparameterized gradients against finite differences of the regularized incomplete gamma and
beta functions, torch's errors, sample statistics, and (with PyTorch importable) seeded samples equal to torch's."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import distributions as D

from tests.oracle import needs_torch, real_torch
stats = pytest.importorskip("scipy.stats")
special = pytest.importorskip("scipy.special")


def f64(*values):
    return [torch.tensor(v, dtype=torch.float64) for v in values]


def close(t, want, rtol=1e-10):
    np.testing.assert_allclose(t.detach().numpy(), want, rtol=rtol, atol=1e-12)


def test_gamma_and_chi2_against_scipy():
    c, r = np.array([0.5, 2.0, 7.0]), np.array([1.0, 3.0, 0.5])
    x = np.array([0.3, 1.0, 5.0])
    d = D.Gamma(*f64(c, r))
    ref = stats.gamma(c, scale=1 / r)
    close(d.log_prob(torch.tensor(x)), ref.logpdf(x))
    close(d.entropy(), ref.entropy())
    close(d.mean, ref.mean())
    close(d.variance, ref.var())
    close(d.cdf(torch.tensor(x)), ref.cdf(x), rtol=1e-8)
    close(d.mode, np.maximum((c - 1) / r, 0))
    chi = D.Chi2(torch.tensor([1.0, 4.0], dtype=torch.float64))
    close(chi.log_prob(torch.tensor([0.3, 2.0], dtype=torch.float64)), stats.chi2([1, 4]).logpdf([0.3, 2.0]))
    close(chi.df, [1.0, 4.0])
    close(chi.variance, [2.0, 8.0])


def test_poisson_against_scipy():
    rate = np.array([0.5, 3.0, 12.5])
    d = D.Poisson(torch.tensor(rate))
    k = np.array([0.0, 2.0, 7.0])
    close(d.log_prob(torch.tensor(k)), stats.poisson(rate).logpmf(k))
    close(d.mean, rate)
    close(d.mode, np.floor(rate))
    close(D.Poisson(torch.tensor([0.0], dtype=torch.float64)).log_prob(torch.tensor([0.0], dtype=torch.float64)), [0])


def test_dirichlet_and_beta_against_scipy():
    a = np.array([0.5, 1.0, 2.0])
    d = D.Dirichlet(torch.tensor(a))
    x = np.array([0.2, 0.3, 0.5])
    ref = stats.dirichlet(a)
    close(d.log_prob(torch.tensor(x)), ref.logpdf(x))
    close(d.entropy(), ref.entropy())
    close(d.mean, ref.mean())
    close(d.variance, ref.var())
    close(D.Dirichlet(torch.tensor([2.0, 3.0, 5.0], dtype=torch.float64)).mode, [1 / 7, 2 / 7, 4 / 7])
    # all below 1: torch's vertex, the argmax of 0 / 0, its first entry
    close(D.Dirichlet(torch.tensor([0.5, 0.2, 0.9], dtype=torch.float64)).mode, [1, 0, 0])
    b = D.Beta(*f64([0.5, 2.0], [1.5, 3.0]))
    ref = stats.beta([0.5, 2.0], [1.5, 3.0])
    close(b.log_prob(torch.tensor([0.2, 0.7], dtype=torch.float64)), ref.logpdf([0.2, 0.7]))
    close(b.entropy(), ref.entropy())
    close(b.mean, ref.mean())
    close(b.variance, ref.var())
    close(b.concentration1, [0.5, 2.0])
    assert D.Beta(0.5, 2.0).concentration0.item() == 2.0


def test_student_t_against_scipy():
    df = np.array([0.5, 1.5, 5.0])
    d = D.StudentT(torch.tensor(df), 1.0, 2.0)
    ref = stats.t(df, loc=1.0, scale=2.0)
    x = np.array([0.2, 0.7, 3.0])
    close(d.log_prob(torch.tensor(x)), ref.logpdf(x))
    close(d.entropy(), ref.entropy())
    assert math.isnan(d.mean[0].item()) and d.mean[2].item() == 1.0
    v = d.variance.numpy()
    assert math.isnan(v[0]) and v[1] == math.inf and v[2] == pytest.approx(4 * 5 / 3)


def test_inverse_gamma_and_fisher_snedecor_against_scipy():
    c, r = np.array([0.5, 2.5, 7.0]), np.array([1.0, 3.0, 0.5])
    x = np.array([0.3, 1.0, 5.0])
    d = D.InverseGamma(*f64(c, r))
    ref = stats.invgamma(c, scale=r)
    close(d.log_prob(torch.tensor(x)), ref.logpdf(x))
    close(d.entropy(), ref.entropy())
    close(d.mean, [np.inf, 2.0, 0.5 / 6])
    close(d.mode, r / (c + 1))
    close(d.variance, [np.inf, 9 / (1.5 ** 2 * 0.5), 0.25 / (36 * 5)])
    df1, df2 = np.array([1.0, 3.0, 7.0]), np.array([2.0, 4.5, 10.0])
    f = D.FisherSnedecor(*f64(df1, df2))
    ref = stats.f(df1, df2)
    close(f.log_prob(torch.tensor(x)), ref.logpdf(x))
    close(f.mean, [np.nan, ref.mean()[1], ref.mean()[2]])
    close(f.variance, [np.nan, ref.var()[1], ref.var()[2]])
    close(f.mode, [np.nan, (1 / 3) * 4.5 / 6.5, (5 / 7) * 10 / 12])


def test_binomial_against_scipy():
    n, p = np.array([10.0, 10.0, 10.0]), np.array([0.3, 0.75, 0.02])
    d = D.Binomial(10, torch.tensor(p))
    k = np.array([3.0, 7.0, 0.0])
    ref = stats.binom(n, p)
    close(d.log_prob(torch.tensor(k)), ref.logpmf(k))
    close(d.entropy(), ref.entropy())
    close(d.mean, ref.mean())
    close(d.variance, ref.var())
    close(d.mode, np.floor((n + 1) * p))
    close(D.Binomial(torch.tensor([4.0, 6.0]), logits=torch.tensor([0.2, -1.0], dtype=torch.float64)).log_prob(
        torch.tensor([1.0, 6.0], dtype=torch.float64)), stats.binom([4, 6], special.expit([0.2, -1.0])).logpmf([1, 6]))
    assert d.enumerate_support().shape == (11, 3)


def test_continuous_bernoulli_closed_forms():
    p = np.array([0.1, 0.3, 0.8, 0.9995])
    d = D.ContinuousBernoulli(torch.tensor(p))
    x = np.array([0.2, 0.0, 0.9, 1.0])
    log_c = np.log(2 * np.arctanh(1 - 2 * p) / (1 - 2 * p))
    close(d.log_prob(torch.tensor(x)), log_c + x * np.log(p) + (1 - x) * np.log1p(-p), rtol=1e-9)
    close(d.mean, p / (2 * p - 1) + 1 / (2 * np.arctanh(1 - 2 * p)), rtol=1e-9)
    close(d.cdf(torch.tensor(x)), (p ** x * (1 - p) ** (1 - x) + p - 1) / (2 * p - 1), rtol=1e-9)
    close(d.icdf(d.cdf(torch.tensor([0.25, 0.5, 0.6, 0.75], dtype=torch.float64))), [0.25, 0.5, 0.6, 0.75], rtol=1e-9)
    near_half = D.ContinuousBernoulli(torch.tensor([0.5], dtype=torch.float64))  # torch's Taylor forms at p = 1/2
    close(near_half.mean, [0.5])
    close(near_half.variance, [1 / 12])
    close(near_half.log_prob(torch.tensor([0.3], dtype=torch.float64)), [0.0], rtol=0)


def test_relaxed_bernoulli_density():
    lam, logits, y = 0.7, np.array([-1.0, 0.3, 2.0]), np.array([0.1, 0.5, 0.999])
    d = D.RelaxedBernoulli(torch.tensor(lam, dtype=torch.float64), logits=torch.tensor(logits))
    a = np.exp(logits)  # the binary Concrete density (Maddison et al. 2017)
    want = np.log(lam * a * y ** (-lam - 1) * (1 - y) ** (-lam - 1) / (a * y ** -lam + (1 - y) ** -lam) ** 2)
    close(d.log_prob(torch.tensor(y)), want, rtol=1e-9)
    close(d.probs, 1 / (1 + np.exp(-logits)))
    s = D.RelaxedBernoulli(torch.tensor(0.05), torch.tensor([0.2])).sample((4000,))
    assert ((s > 0) & (s < 1)).all().item() and abs((s > 0.5).float().mean().item() - 0.2) < 0.03


def test_relaxed_one_hot_categorical_density():
    lam, logits = 0.7, np.array([-1.0, 0.3, 2.0])
    x = np.array([[0.1, 0.5, 0.4], [0.2, 0.2, 0.6]])
    d = D.RelaxedOneHotCategorical(torch.tensor(lam, dtype=torch.float64), logits=torch.tensor(logits))
    a = np.exp(logits - np.log(np.exp(logits).sum()))  # the Concrete density (Maddison et al. 2017), n = 3
    want = np.log(2 * lam ** 2 * np.prod(a * x ** (-lam - 1), -1) / (a * x ** -lam).sum(-1) ** 3)
    close(d.log_prob(torch.tensor(x)), want, rtol=1e-9)
    s = D.RelaxedOneHotCategorical(torch.tensor(0.1), torch.tensor([0.2, 0.8])).sample((4000,))
    np.testing.assert_allclose(s.sum(-1).numpy(), 1, rtol=1e-5)
    assert abs((s[:, 1] > 0.5).float().mean().item() - 0.8) < 0.03


def test_standard_gamma_gradient_is_the_reparameterized_one():
    alpha = torch.tensor([0.3, 0.9, 2.0, 5.0, 12.0, 40.0], dtype=torch.float64, requires_grad=True)
    torch.manual_seed(0)
    x = torch._standard_gamma(alpha)
    x.sum().backward()
    a, xv = alpha.detach().numpy(), x.detach().numpy()
    h = 1e-6  # dx/dalpha at a fixed CDF value: -(dF/dalpha) / pdf
    dfda = (special.gammainc(a + h, xv) - special.gammainc(a - h, xv)) / (2 * h)
    np.testing.assert_allclose(alpha.grad.numpy(), -dfda / stats.gamma(a).pdf(xv), rtol=2e-3)
    assert x.grad_fn.name() == "StandardGammaBackward0"


def test_beta_rsample_gradient_is_the_reparameterized_one():
    a = torch.tensor([0.3, 2.0, 8.0, 0.9], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([1.5, 0.4, 9.0, 3.0], dtype=torch.float64, requires_grad=True)
    torch.manual_seed(2)
    x = D.Beta(a, b).rsample()
    x.sum().backward()
    av, bv, xv, h = a.detach().numpy(), b.detach().numpy(), x.detach().numpy(), 1e-6
    pdf = stats.beta(av, bv).pdf(xv)  # dx/dalpha at a fixed CDF value: -(dI/dalpha) / pdf; the same for beta
    da = (special.betainc(av + h, bv, xv) - special.betainc(av - h, bv, xv)) / (2 * h)
    db = (special.betainc(av, bv + h, xv) - special.betainc(av, bv - h, xv)) / (2 * h)
    np.testing.assert_allclose(a.grad.numpy(), -da / pdf, rtol=5e-3, atol=1e-6)
    np.testing.assert_allclose(b.grad.numpy(), -db / pdf, rtol=5e-3, atol=1e-6)


def test_errors():
    with pytest.raises(ValueError, match="concentration"):
        D.Gamma(torch.tensor([-1.0]), 1.0)
    with pytest.raises(ValueError, match="rate"):
        D.Gamma(1.0, torch.tensor([0.0]))
    with pytest.raises(ValueError, match="df"):
        D.Chi2(torch.tensor([0.0]))
    with pytest.raises(ValueError, match="rate"):
        D.Poisson(torch.tensor([-1.0]))
    with pytest.raises(ValueError, match="one-dimensional"):
        D.Dirichlet(torch.tensor(1.0))
    with pytest.raises(ValueError, match="concentration"):
        D.Beta(torch.tensor([1.0]), torch.tensor([-1.0]))
    with pytest.raises(ValueError, match="df"):
        D.StudentT(torch.tensor([0.0]))
    with pytest.raises(ValueError, match="concentration"):
        D.InverseGamma(torch.tensor([-1.0]), 1.0)
    with pytest.raises(ValueError, match="support"):
        D.InverseGamma(1.0, 1.0).log_prob(torch.tensor(0.0))
    with pytest.raises(ValueError, match="concentration"):  # (its second Gamma refuses df2 first, as torch's)
        D.FisherSnedecor(torch.tensor([1.0]), torch.tensor([0.0]))
    with pytest.raises(ValueError, match="support"):
        D.Gamma(1.0, 1.0).log_prob(torch.tensor(-1.0))
    with pytest.raises(NotImplementedError, match="gamma_cpu"):
        torch._standard_gamma(torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match="gamma_cpu"):
        torch._standard_gamma(torch.tensor([1.0], dtype=torch.float16))
    with pytest.raises(RuntimeError, match="non-negative"):
        torch.poisson(torch.tensor([-1.0]))
    with pytest.raises(ValueError, match="total_count"):
        D.Binomial(2.5, torch.tensor([0.5]))
    with pytest.raises(ValueError, match="probs"):
        D.Binomial(3, torch.tensor([1.5]))
    with pytest.raises(ValueError, match="but not both"):
        D.Binomial(3)
    with pytest.raises(ValueError, match="support"):
        D.Binomial(3, torch.tensor([0.5])).log_prob(torch.tensor([4.0]))
    with pytest.raises(NotImplementedError, match="Inhomogeneous"):
        D.Binomial(torch.tensor([3.0, 4.0]), torch.tensor([0.5, 0.5])).entropy()
    with pytest.raises(ValueError, match="invalid values"):
        D.ContinuousBernoulli(torch.tensor([1.5]), validate_args=True)
    with pytest.raises(ValueError, match="support"):
        D.ContinuousBernoulli(0.3).log_prob(torch.tensor(1.5))
    with pytest.raises(ValueError, match="support"):
        D.RelaxedBernoulli(torch.tensor(0.5), torch.tensor([0.5])).log_prob(torch.tensor([1.5]))
    with pytest.raises(ValueError, match="floating-point"):
        torch.binomial(torch.tensor([5]), torch.tensor([0.5]))
    with pytest.raises(RuntimeError, match="expected Float"):
        torch.binomial(torch.tensor([5.0]), torch.tensor([0.5], dtype=torch.float64))


def test_sample_statistics():
    torch.manual_seed(1)
    g = D.Gamma(torch.tensor([0.4, 3.0], dtype=torch.float64), torch.tensor([2.0, 0.5], dtype=torch.float64))
    s = g.sample((20000,))
    assert s.shape == (20000, 2) and (s > 0).all().item()
    np.testing.assert_allclose(s.mean(0).numpy(), [0.2, 6.0], rtol=0.05)
    np.testing.assert_allclose(s.var(0).numpy(), [0.1, 12.0], rtol=0.1)
    p = D.Poisson(torch.tensor([0.7, 4.0, 25.0])).sample((20000,))
    assert (p == p.floor()).all().item()
    np.testing.assert_allclose(p.mean(0).numpy(), [0.7, 4.0, 25.0], rtol=0.05)
    np.testing.assert_allclose(p.var(0).numpy(), [0.7, 4.0, 25.0], rtol=0.1)
    dr = D.Dirichlet(torch.tensor([0.5, 1.0, 2.0])).sample((5000,))
    np.testing.assert_allclose(dr.sum(-1).numpy(), 1, rtol=1e-6)
    np.testing.assert_allclose(dr.mean(0).numpy(), [0.5 / 3.5, 1 / 3.5, 2 / 3.5], atol=0.02)
    b = D.Beta(2.0, 5.0).sample((5000,))
    assert ((b > 0) & (b < 1)).all().item() and abs(b.mean().item() - 2 / 7) < 0.02
    n = D.Binomial(torch.tensor([8.0, 400.0]), torch.tensor([0.3, 0.7])).sample((20000,))
    assert ((n >= 0) & (n <= torch.tensor([8.0, 400.0])) & (n == n.floor())).all().item()
    np.testing.assert_allclose(n.mean(0).numpy(), [2.4, 280.0], rtol=0.02)
    np.testing.assert_allclose(n.var(0).numpy(), [1.68, 84.0], rtol=0.1)
    t = D.StudentT(torch.tensor(10.0, dtype=torch.float64)).sample((20000,))
    assert abs(t.mean().item()) < 0.05 and abs(t.var().item() - 1.25) < 0.1


SEEDED = {
    "Gamma": lambda L: L.distributions.Gamma(L.tensor([0.5, 2.0, 7.0]), L.tensor([1.0, 3.0, 0.5])).sample((4,)),
    "Gamma float64 rsample": lambda L: L.distributions.Gamma(L.tensor([0.1, 2.0], dtype=L.float64), 2.0).rsample((3,)),
    "Chi2": lambda L: L.distributions.Chi2(L.tensor([1.0, 4.0])).sample((3,)),
    "Poisson": lambda L: L.distributions.Poisson(L.tensor([0.0, 3.0, 12.0, 0.01])).sample((5,)),
    "Dirichlet": lambda L: L.distributions.Dirichlet(L.tensor([[0.5, 1.0, 2.0], [3.0, 0.1, 0.2]])).sample((3,)),
    "Beta": lambda L: L.distributions.Beta(L.tensor([0.5, 2.0]), L.tensor([1.5, 0.3])).sample((4,)),
    "Beta of numbers": lambda L: L.distributions.Beta(0.5, 2.0).sample((4,)),
    "StudentT": lambda L: L.distributions.StudentT(L.tensor([1.5, 5.0]), 1.0, 2.0).sample((20,)),
    "InverseGamma": lambda L: L.distributions.InverseGamma(L.tensor([0.5, 2.0]), L.tensor([1.0, 3.0])).sample((4,)),
    "FisherSnedecor": lambda L: L.distributions.FisherSnedecor(L.tensor([1.0, 5.0]), L.tensor([3.0, 9.0])).sample((4,)),
    "Binomial": lambda L: L.distributions.Binomial(L.tensor([10.0, 50.0, 3.0]), L.tensor([0.3, 0.6, 0.9])).sample((4,)),
    "Binomial logits": lambda L: L.distributions.Binomial(100, logits=L.tensor([0.3, -2.0])).sample((4,)),
    "binomial": lambda L: L.binomial(L.tensor([0.0, 1, 5, 20, 50, 1e3, 1e5, 7, 30]),
                                     L.tensor([0.5, 0.3, 0.01, 0.5, 0.25, 0.95, 0.3, 1.0, 0.0])),
    "binomial float64 broadcast": lambda L: L.binomial(L.full((2, 3), 37.0, dtype=L.float64),
                                                       L.tensor([0.1, 0.5, 0.8], dtype=L.float64)),
    "ContinuousBernoulli": lambda L: L.distributions.ContinuousBernoulli(L.tensor([0.1, 0.4995, 0.7])).sample((3,)),
    "ContinuousBernoulli logits": lambda L: L.distributions.ContinuousBernoulli(logits=L.tensor([-2.0, 3.0])).rsample(
        (3,)),
    "RelaxedBernoulli": lambda L: L.distributions.RelaxedBernoulli(L.tensor(0.5), L.tensor([0.1, 0.9])).rsample((3,)),
    "RelaxedOneHotCategorical float64": lambda L: L.distributions.RelaxedOneHotCategorical(
        L.tensor(0.7, dtype=L.float64), logits=L.tensor([[-1.0, 0.3, 2.0], [0.0, 0.0, 1.0]], dtype=L.float64)).sample(
        (2,)),
    "then randn": lambda L: L.cat([L.distributions.Gamma(0.3, 1.0).sample((3,)), L.randn(3)]),
}


@needs_torch
@pytest.mark.parametrize("name", list(SEEDED))
def test_seeded_samples_equal_torch(name):
    got = []
    for L in (real_torch, torch):
        L.manual_seed(0)
        got.append(SEEDED[name](L).detach().double().numpy())
    if name.startswith("ContinuousBernoulli"):  # the same uniforms through float32 logs: equal to rounding
        np.testing.assert_allclose(got[1], got[0], rtol=1e-6, atol=1e-7)
    else:
        np.testing.assert_array_equal(got[1], got[0])


@needs_torch
@pytest.mark.parametrize("conc", [[0.01, 0.5, 1.5], [7.0, 9.0, 50.0], [0.05, 0.1, 0.2], [3.0, 0.3, 12.0],
                                  [50.0, 60.0, 1.0]])
def test_gradients_close_to_torch(conc):
    got = []
    for L in (real_torch, torch):
        alpha = L.tensor(conc, dtype=L.float64, requires_grad=True)
        L.manual_seed(3)
        L.distributions.Gamma(alpha, 2.0).rsample((5,)).sum().backward()
        weights = L.arange(3.0, dtype=L.float64)
        (L.distributions.Dirichlet(alpha).rsample((50,)) * weights).sum().backward()
        got.append(alpha.grad.numpy())
    np.testing.assert_allclose(got[1], got[0], rtol=1e-9)


def test_negative_binomial():
    n, p = torch.tensor([3.0, 0.5, 10.0], dtype=torch.float64), torch.tensor([0.3, 0.6, 0.9], dtype=torch.float64)
    d = D.NegativeBinomial(n, probs=p)
    k = torch.tensor([0.0, 2.0, 5.0], dtype=torch.float64)
    # scipy counts failures before n successes of probability p: ours are successes before n failures
    np.testing.assert_allclose(d.log_prob(k).numpy(), stats.nbinom.logpmf(k.numpy(), n.numpy(), 1 - p.numpy()),
                               rtol=1e-10)
    np.testing.assert_allclose(d.mean.numpy(), stats.nbinom.mean(n.numpy(), 1 - p.numpy()), rtol=1e-10)
    np.testing.assert_allclose(d.variance.numpy(), stats.nbinom.var(n.numpy(), 1 - p.numpy()), rtol=1e-10)
    assert D.NegativeBinomial(torch.tensor(0.0), logits=torch.tensor(0.3)).log_prob(torch.tensor(0.0)).item() == 0
    with pytest.raises(ValueError, match="total_count"):
        D.NegativeBinomial(torch.tensor(-1.0), probs=torch.tensor(0.5))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.NegativeBinomial(3.0)
    torch.manual_seed(0)
    s = D.NegativeBinomial(torch.full((20000,), 4.0, dtype=torch.float64), probs=torch.tensor(0.4)).sample()
    assert abs(s.mean().item() - 4 * 0.4 / 0.6) < 0.05
    if real_torch is not None:  # torch's draws: Gamma then Poisson
        got = []
        for L in (real_torch, torch):
            L.manual_seed(0)
            got.append(L.distributions.NegativeBinomial(L.tensor([3.0, 0.5, 10.0]), probs=L.tensor([0.3, 0.6, 0.9]))
                       .sample((4,)).numpy())
        np.testing.assert_array_equal(got[1], got[0])
