"""torch.distributions' registries and bases: kl_divergence for every pair torch registers (against numerical
integration / summation of the densities in float64 with scipy, and inf where the supports do not nest),
ExponentialFamily's Bregman entropy and KL against the closed forms, biject_to / transform_to for every constraint
(lands in the support, inverts, log-det against central differences), the constraints and utils helpers, torch's
errors; and (with PyTorch importable) all of it equal to torch's."""
import importlib
import inspect
import math
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import distributions as D
from tinygrad_ext.distributions import constraints as C
from tinygrad_ext.distributions import kl as K
from tinygrad_ext.distributions.constraint_registry import ConstraintRegistry, biject_to, transform_to
from tinygrad_ext.distributions.exp_family import ExponentialFamily
from tinygrad_ext.distributions.utils import (clamp_probs, lazy_property, logits_to_probs, probs_to_logits,
                                              tril_matrix_to_vec, vec_to_tril_matrix)

from tests.oracle import central_difference, check_raises, needs_torch, real_torch

stats = pytest.importorskip("scipy.stats")
integrate = pytest.importorskip("scipy.integrate")


def f64(v):
    return torch.tensor(np.asarray(v, dtype=np.float64))


def close(t, want, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(t.detach().numpy(), want, rtol=rtol, atol=atol)


# ---- kl_divergence against numerical integration (scalar parameters, float64)

def _cb_logpdf(p):
    """The continuous Bernoulli log density (Loaiza-Ganem and Cunningham 2019), p != 1/2."""
    log_c = math.log(2 * math.atanh(1 - 2 * p) / (1 - 2 * p))
    return lambda x: log_c + x * math.log(p) + (1 - x) * math.log1p(-p)


# name -> (our distribution from scalars, scipy-style logpdf, support)
def _continuous(name, *a):
    if name == "Normal":
        return D.Normal(f64(a[0]), f64(a[1])), stats.norm(a[0], a[1]).logpdf, (-np.inf, np.inf)
    if name == "Gumbel":
        return D.Gumbel(f64(a[0]), f64(a[1])), stats.gumbel_r(a[0], a[1]).logpdf, (-np.inf, np.inf)
    if name == "Laplace":
        return D.Laplace(f64(a[0]), f64(a[1])), stats.laplace(a[0], a[1]).logpdf, (-np.inf, np.inf)
    if name == "Cauchy":
        return D.Cauchy(f64(a[0]), f64(a[1])), stats.cauchy(a[0], a[1]).logpdf, (-np.inf, np.inf)
    if name == "HalfNormal":
        return D.HalfNormal(f64(a[0])), stats.halfnorm(scale=a[0]).logpdf, (0, np.inf)
    if name == "Exponential":
        return D.Exponential(f64(a[0])), stats.expon(scale=1 / a[0]).logpdf, (0, np.inf)
    if name == "Gamma":
        return D.Gamma(f64(a[0]), f64(a[1])), stats.gamma(a[0], scale=1 / a[1]).logpdf, (0, np.inf)
    if name == "Beta":
        return D.Beta(f64(a[0]), f64(a[1])), stats.beta(a[0], a[1]).logpdf, (0, 1)
    if name == "Uniform":
        return D.Uniform(f64(a[0]), f64(a[1])), stats.uniform(a[0], a[1] - a[0]).logpdf, (a[0], a[1])
    if name == "Pareto":
        return D.Pareto(f64(a[0]), f64(a[1])), stats.pareto(a[1], scale=a[0]).logpdf, (a[0], np.inf)
    if name == "ContinuousBernoulli":
        return D.ContinuousBernoulli(probs=f64(a[0])), _cb_logpdf(a[0]), (0, 1)
    raise KeyError(name)


CONTINUOUS_PAIRS = [
    (("Normal", 0.3, 0.8), ("Normal", -0.5, 1.7)), (("Normal", 0.3, 0.8), ("Gumbel", -0.5, 1.7)),
    (("Normal", 0.3, 0.8), ("Laplace", -0.5, 1.7)), (("Gumbel", 0.3, 0.8), ("Normal", -0.5, 1.7)),
    (("Gumbel", 0.3, 0.8), ("Gumbel", -0.5, 1.7)), (("Laplace", 0.3, 0.8), ("Normal", -0.5, 1.7)),
    (("Laplace", 0.3, 0.8), ("Laplace", -0.5, 1.7)), (("Cauchy", 0.3, 0.8), ("Cauchy", -0.5, 1.7)),
    (("HalfNormal", 0.8), ("HalfNormal", 1.7)), (("Exponential", 1.3), ("Exponential", 0.6)),
    (("Exponential", 1.3), ("Gumbel", -0.5, 1.7)), (("Exponential", 1.3), ("Normal", -0.5, 1.7)),
    (("Exponential", 1.3), ("Gamma", 2.5, 0.9)), (("Gamma", 2.5, 0.9), ("Gamma", 1.5, 1.3)),
    (("Gamma", 2.5, 0.9), ("Normal", -0.5, 1.7)), (("Gamma", 2.5, 0.9), ("Gumbel", 0.5, 1.7)),
    (("Gamma", 2.5, 0.9), ("Exponential", 0.6)), (("Beta", 2.0, 3.0), ("Beta", 1.5, 0.7)),
    (("Beta", 2.0, 3.0), ("Normal", -0.5, 1.7)), (("Beta", 2.0, 3.0), ("Gamma", 2.5, 0.9)),
    (("Beta", 2.0, 3.0), ("Exponential", 0.6)), (("Beta", 2.0, 3.0), ("Uniform", -0.5, 2.0)),
    (("Beta", 2.0, 3.0), ("ContinuousBernoulli", 0.3)), (("Uniform", 0.2, 0.7), ("Uniform", 0.1, 0.9)),
    (("Uniform", 0.2, 0.7), ("Normal", -0.5, 1.7)), (("Uniform", 0.2, 0.7), ("Gumbel", -0.5, 1.7)),
    (("Uniform", 0.2, 0.7), ("Beta", 2.0, 3.0)), (("Uniform", 0.2, 0.7), ("Gamma", 2.5, 0.9)),
    (("Uniform", 0.2, 0.7), ("Exponential", 0.6)), (("Uniform", 1.5, 3.0), ("Pareto", 1.0, 2.5)),
    (("Uniform", 0.2, 0.7), ("ContinuousBernoulli", 0.3)), (("Pareto", 1.0, 3.5), ("Pareto", 0.8, 2.5)),
    (("Pareto", 1.0, 3.5), ("Normal", -0.5, 1.7)), (("Pareto", 1.0, 3.5), ("Gamma", 2.5, 0.9)),
    (("Pareto", 1.0, 3.5), ("Exponential", 0.6)), (("ContinuousBernoulli", 0.3), ("ContinuousBernoulli", 0.8)),
    (("ContinuousBernoulli", 0.3), ("Normal", -0.5, 1.7)), (("ContinuousBernoulli", 0.3), ("Exponential", 0.6)),
    (("ContinuousBernoulli", 0.3), ("Uniform", -1.0, 2.0)),
]


@pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")  # (scipy's Gumbel tails)
@pytest.mark.parametrize("p_args,q_args", CONTINUOUS_PAIRS, ids=[f"{p[0]}-{q[0]}" for p, q in CONTINUOUS_PAIRS])
def test_kl_continuous_against_integration(p_args, q_args):
    p, logp, (lo, hi) = _continuous(*p_args)
    q, logq, _ = _continuous(*q_args)

    def integrand(x):
        lp = logp(x)
        return 0.0 if lp < -700 else math.exp(lp) * (lp - logq(x))  # (no mass: 0, not 0 * inf)
    want = integrate.quad(integrand, lo, hi, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    close(D.kl_divergence(p, q), want, rtol=1e-7, atol=1e-9)


def _kl_sum(logp, logq, support):
    lp, lq = logp(support), logq(support)
    mass = ~np.isneginf(lp)  # (no mass: 0, not 0 * inf)
    return float(np.sum(np.exp(lp[mass]) * (lp[mass] - lq[mass])))


def test_kl_discrete_against_sums():
    k = np.arange(0, 200)
    close(D.kl_divergence(D.Poisson(f64(2.5)), D.Poisson(f64(0.7))),
          _kl_sum(stats.poisson(2.5).logpmf, stats.poisson(0.7).logpmf, k))
    close(D.kl_divergence(D.Bernoulli(probs=f64(0.3)), D.Poisson(f64(0.7))),
          _kl_sum(stats.bernoulli(0.3).logpmf, stats.poisson(0.7).logpmf, k))
    close(D.kl_divergence(D.Geometric(probs=f64(0.3)), D.Geometric(probs=f64(0.6))),
          _kl_sum(lambda x: stats.geom(0.3).logpmf(x + 1), lambda x: stats.geom(0.6).logpmf(x + 1), k))
    close(D.kl_divergence(D.Binomial(f64(7.0), probs=f64(0.3)), D.Binomial(f64(7.0), probs=f64(0.6))),
          _kl_sum(stats.binom(7, 0.3).logpmf, stats.binom(7, 0.6).logpmf, k[:8]))
    close(D.kl_divergence(D.Bernoulli(probs=f64(0.3)), D.Bernoulli(probs=f64(0.6))),
          _kl_sum(stats.bernoulli(0.3).logpmf, stats.bernoulli(0.6).logpmf, k[:2]))
    p, q = np.array([0.1, 0.2, 0.7]), np.array([0.3, 0.3, 0.4])
    close(D.kl_divergence(D.OneHotCategorical(probs=f64(p)), D.OneHotCategorical(probs=f64(q))),
          float(np.sum(p * np.log(p / q))))
    # the supports: p's mass outside q's -> inf; a q.total_count above p's is torch's NotImplementedError
    assert D.kl_divergence(D.Binomial(f64(7.0), probs=f64(0.3)), D.Binomial(f64(5.0), probs=f64(0.3))).item() == \
        math.inf
    check_raises(lambda: D.kl_divergence(D.Binomial(f64(5.0), probs=f64(0.3)), D.Binomial(f64(7.0), probs=f64(0.3))),
                 NotImplementedError, "q.total_count > p.total_count")
    assert D.kl_divergence(D.Bernoulli(probs=f64(0.3)), D.Bernoulli(probs=f64(0.0))).item() == math.inf


def test_kl_multivariate_normals_against_formula():
    rng = np.random.default_rng(0)
    mu_p, mu_q = rng.normal(size=3), rng.normal(size=3)
    W_p, W_q = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    d_p, d_q = rng.uniform(0.5, 2, 3), rng.uniform(0.5, 2, 3)
    S_p, S_q = W_p @ W_p.T + np.diag(d_p), W_q @ W_q.T + np.diag(d_q)

    def kl(mp, Sp, mq, Sq):
        Sq_inv = np.linalg.inv(Sq)
        return 0.5 * (np.trace(Sq_inv @ Sp) + (mq - mp) @ Sq_inv @ (mq - mp) - 3
                      + np.linalg.slogdet(Sq)[1] - np.linalg.slogdet(Sp)[1])

    lr_p = D.LowRankMultivariateNormal(f64(mu_p), f64(W_p), f64(d_p))
    lr_q = D.LowRankMultivariateNormal(f64(mu_q), f64(W_q), f64(d_q))
    mvn_p = D.MultivariateNormal(f64(mu_p), covariance_matrix=f64(S_p))
    mvn_q = D.MultivariateNormal(f64(mu_q), covariance_matrix=f64(S_q))
    want = kl(mu_p, S_p, mu_q, S_q)
    for p, q in [(lr_p, lr_q), (mvn_p, lr_q), (lr_p, mvn_q), (mvn_p, mvn_q)]:
        close(D.kl_divergence(p, q), want, rtol=1e-9)
    check_raises(lambda: D.kl_divergence(mvn_p, D.MultivariateNormal(torch.zeros(2, dtype=torch.float64),
                                                                     torch.eye(2, dtype=torch.float64))),
                 ValueError, "different event shapes")


INFINITE_PAIRS = [("Normal", "Exponential"), ("Normal", "Gamma"), ("Normal", "Beta"), ("Normal", "Pareto"),
                  ("Normal", "Uniform"), ("Normal", "ContinuousBernoulli"), ("Gumbel", "Gamma"),
                  ("Laplace", "Uniform"), ("Exponential", "Beta"), ("Exponential", "Uniform"), ("Gamma", "Pareto"),
                  ("Beta", "Pareto"), ("ContinuousBernoulli", "Pareto"), ("Pareto", "Uniform"),
                  ("Pareto", "Beta")]


@pytest.mark.parametrize("p_name,q_name", INFINITE_PAIRS)
def test_kl_infinite_where_supports_do_not_nest(p_name, q_name):
    args = {"Normal": (0.3, 0.8), "Gumbel": (0.3, 0.8), "Laplace": (0.3, 0.8), "Exponential": (1.3,),
            "Gamma": (2.5, 0.9), "Beta": (2.0, 3.0), "Pareto": (1.0, 2.5), "Uniform": (0.2, 0.7),
            "ContinuousBernoulli": (0.3,)}
    assert D.kl_divergence(_continuous(p_name, *args[p_name])[0], _continuous(q_name, *args[q_name])[0]).item() == \
        math.inf


def test_kl_gradient_against_central_difference():
    x = np.array([0.3, 0.8, -0.5, 1.7])

    def kl(v):
        return D.kl_divergence(D.Normal(v[0], v[1]), D.Gumbel(v[2], v[3]))

    v = f64(x).requires_grad_()
    kl([v[i] for i in range(4)]).backward()
    close(v.grad, central_difference(lambda a: kl([f64(e) for e in a]).item(), x), rtol=1e-6, atol=1e-8)


def test_kl_register_dispatch_and_errors():
    class MyNormal(D.Normal):
        pass

    # a subclass uses its parent's pair; a more specific registration wins, and the memo is cleared on register
    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 2.0)
    assert D.kl_divergence(p, q).item() == pytest.approx(D.kl_divergence(D.Normal(0.0, 1.0), q).item())
    D.register_kl(MyNormal, D.Normal)(lambda p, q: torch.tensor(42.0))
    try:
        assert D.kl_divergence(p, q).item() == 42.0

        class MyNormal2(D.Normal):
            pass
        D.register_kl(D.Normal, MyNormal2)(lambda p, q: torch.tensor(7.0))
        with pytest.warns(RuntimeWarning, match="Ambiguous kl_divergence"):
            D.kl_divergence(MyNormal(0.0, 1.0), MyNormal2(0.0, 1.0))
    finally:
        K._KL_REGISTRY.pop((MyNormal, D.Normal), None)
        K._KL_MEMOIZE.clear()
    check_raises(lambda: D.kl_divergence(D.Normal(0.0, 1.0), D.Categorical(torch.tensor([0.5, 0.5]))),
                 NotImplementedError, "No KL(p || q) is implemented for p type Normal and q type Categorical")
    # two different exponential families with no closed form: the Bregman path refuses
    check_raises(lambda: D.kl_divergence(D.Poisson(f64(1.0)), D.Dirichlet(f64([1.0, 2.0]))), NotImplementedError,
                 "cross KL-divergence between different exponential families")
    check_raises(lambda: D.register_kl(3, D.Normal), TypeError, "type_p")
    # torch gets these through TransformedDistribution: equal transforms, the bases' KL
    close(D.kl_divergence(D.LogNormal(f64(0.3), f64(0.8)), D.LogNormal(f64(-0.5), f64(1.7))),
          D.kl_divergence(D.Normal(f64(0.3), f64(0.8)), D.Normal(f64(-0.5), f64(1.7))).item())
    check_raises(lambda: D.kl_divergence(D.Weibull(f64(1.0), f64(2.0)), D.Weibull(f64(1.5), f64(2.0))),
                 NotImplementedError)


# ---- ExponentialFamily

def _expfamilies():
    x = np.array([0.3, 1.7, 4.0])
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    return [D.Normal(f64(x), f64(x + 1)), D.Exponential(f64(x)), D.Gamma(f64(x + 1), f64(x + 0.5)),
            D.Bernoulli(probs=f64(x / 5)), D.ContinuousBernoulli(probs=f64([0.1, 0.4995, 0.8])), D.Chi2(f64(x + 2)),
            D.Wishart(f64([4.0, 6.5]), covariance_matrix=f64(cov))]


@pytest.mark.parametrize("d", _expfamilies(), ids=lambda d: type(d).__name__)
def test_bregman_entropy_equals_closed_form(d):
    assert isinstance(d, ExponentialFamily)
    close(ExponentialFamily.entropy(d), d.entropy().detach().numpy(), rtol=1e-9, atol=1e-12)


def test_expfamily_mro_and_abstract_errors():
    for cls in (D.Normal, D.Exponential, D.Gamma, D.Chi2, D.Beta, D.Dirichlet, D.Poisson, D.Bernoulli,
                D.ContinuousBernoulli, D.Wishart):
        assert issubclass(cls, ExponentialFamily), cls
    for cls in (D.Binomial, D.Categorical, D.Laplace, D.Geometric, D.Uniform):
        assert not issubclass(cls, ExponentialFamily), cls
    # no expected carrier measure: the Bregman entropy is not available (as torch's)
    for d in (D.Beta(f64(2.0), f64(3.0)), D.Dirichlet(f64([1.0, 2.0])), D.Poisson(f64(2.0))):
        with pytest.raises(NotImplementedError):
            ExponentialFamily.entropy(d)
    base = ExponentialFamily(validate_args=False)
    for fn in (lambda: base._natural_params, lambda: base._log_normalizer(), lambda: base._mean_carrier_measure):
        with pytest.raises(NotImplementedError):
            fn()


def test_bregman_kl_equals_closed_form():
    x, y = np.array([0.3, 1.7]), np.array([1.1, 0.6])
    pairs = [(D.Normal(f64(x), f64(y)), D.Normal(f64(y), f64(x + 1))), (D.Exponential(f64(x)), D.Exponential(f64(y))),
             (D.Gamma(f64(x + 1), f64(y)), D.Gamma(f64(y), f64(x))), (D.Beta(f64(x), f64(y)), D.Beta(f64(y), f64(x))),
             (D.Dirichlet(f64([x, y])), D.Dirichlet(f64([y, x + 1]))), (D.Poisson(f64(x)), D.Poisson(f64(y))),
             (D.Bernoulli(probs=f64(x / 2)), D.Bernoulli(probs=f64(y / 2))),
             (D.ContinuousBernoulli(probs=f64(x / 2)), D.ContinuousBernoulli(probs=f64(y / 2)))]
    for p, q in pairs:
        close(K._kl_expfamily_expfamily(p, q), D.kl_divergence(p, q).detach().numpy(), rtol=1e-9, atol=1e-12)


# ---- biject_to / transform_to

ELEMENTWISE_CONSTRAINTS = [C.real, C.positive, C.nonnegative, C.greater_than(1.5), C.greater_than_eq(-2.0),
                           C.less_than(0.5), C.unit_interval, C.interval(-1.0, 3.0), C.half_open_interval(0.0, 2.0)]


@pytest.mark.parametrize("registry", [biject_to, transform_to], ids=["biject_to", "transform_to"])
@pytest.mark.parametrize("constraint", ELEMENTWISE_CONSTRAINTS, ids=repr)
def test_elementwise_constraint_transforms(registry, constraint):
    x = np.array([-2.0, -0.3, 0.0, 0.7, 2.5])
    t = registry(constraint)
    y = t(f64(x))
    assert constraint.check(y).all().item()
    close(t.inv(y), x, rtol=1e-9, atol=1e-12)
    dy = np.array([central_difference(lambda a: t(f64(a)).item(), np.array(v)) for v in x])
    close(t.log_abs_det_jacobian(f64(x), y), np.log(np.abs(dy)), rtol=1e-6, atol=1e-8)


def test_structured_constraint_transforms():
    rng = np.random.default_rng(1)
    x = f64(rng.normal(size=(2, 3)))
    assert C.simplex.check(biject_to(C.simplex)(x)).all().item()
    assert biject_to(C.simplex)(x).shape == (2, 4)  # (stick breaking: one more coordinate)
    assert C.simplex.check(transform_to(C.simplex)(x)).all().item()
    close(biject_to(C.simplex).inv(biject_to(C.simplex)(x)), x.numpy(), rtol=1e-9)
    iv = C.independent(C.positive, 1)
    t = biject_to(iv)
    assert isinstance(t, D.IndependentTransform) and t.reinterpreted_batch_ndims == 1
    close(t.log_abs_det_jacobian(x, t(x)), x.numpy().sum(-1))  # (exp: log|dy/dx| = x, summed over the event)
    m = f64(rng.normal(size=(3, 3)))
    assert C.lower_cholesky.check(transform_to(C.lower_cholesky)(m)).item()
    assert C.positive_definite.check(transform_to(C.positive_definite)(m)).item()
    assert C.positive_semidefinite.check(transform_to(C.positive_semidefinite)(m)).item()
    assert C.corr_cholesky.check(biject_to(C.corr_cholesky)(x[0])).item()
    cat = C.cat([C.positive, C.unit_interval, C.real], dim=-1, lengths=[1, 1, 1])
    y = biject_to(cat)(x)
    assert cat.check(y).all().item() and isinstance(biject_to(cat), D.CatTransform)
    stack = C.stack([C.positive, C.less_than(0.0), C.interval(2.0, 3.0)], dim=-1)
    y = transform_to(stack)(x)
    assert stack.check(y).all().item() and isinstance(transform_to(stack), D.StackTransform)
    close(transform_to(stack).inv(y), x.numpy(), rtol=1e-9)


def test_registry_errors_and_custom_registration():
    check_raises(lambda: biject_to(C.lower_cholesky), NotImplementedError,
                 "Cannot transform _LowerCholesky constraints")
    check_raises(lambda: biject_to(C.positive_definite), NotImplementedError, "_PositiveDefinite")
    check_raises(lambda: transform_to(C.boolean), NotImplementedError, "Cannot transform _Boolean constraints")
    registry = ConstraintRegistry()
    check_raises(lambda: registry.register(int, lambda c: None), TypeError, "Expected constraint to be either")

    @registry.register(C.positive)  # (an instance registers its class)
    def _factory(constraint):
        return D.SoftplusTransform()
    assert isinstance(registry(C.greater_than(3.0)), D.SoftplusTransform)
    assert D.biject_to is biject_to and D.transform_to is transform_to


# ---- constraints and utils

def test_new_constraints():
    v = f64([-1.0, 0.5, 2.0])
    assert C.less_than(1.0).check(v).tolist() == [True, True, False]
    assert C.positive_integer.check(f64([0.0, 1.0, 2.5])).tolist() == [False, True, False]
    assert C.cat([C.positive, C.real], 0, [1, 2]).check(v).tolist() == [False, True, True]
    assert C.stack([C.positive, C.real, C.unit_interval]).check(v).tolist() == [False, True, False]
    assert C.square.check(torch.zeros(4, 2, 3)).tolist() == [False] * 4 and C.square.check(torch.zeros(2, 2)).item()
    assert C.symmetric.check(f64([[1.0, 2.0], [2.0, 1.0]])).item()
    assert not C.symmetric.check(f64([[1.0, 2.0], [3.0, 1.0]])).item()
    assert C.positive_semidefinite.check(f64([[1.0, 1.0], [1.0, 1.0]])).item()
    assert not C.positive_definite.check(f64([[1.0, 1.0], [1.0, 1.0]])).item()
    assert C.lower_triangular.check(f64([[1.0, 0.0], [-2.0, 0.0]])).item()
    assert C.MixtureSameFamilyConstraint(C.positive).check(v).tolist() == [False, True, True]
    assert repr(C.MixtureSameFamilyConstraint(C.positive)) == \
        "MixtureSameFamilyConstraint(GreaterThan(lower_bound=0.0))"
    assert repr(C.less_than(1.0)) == "LessThan(upper_bound=1.0)"
    assert C.greater_than is C._GreaterThan and C.cat is C._Cat and C.interval is C._Interval
    dep = C.dependent(is_discrete=True, event_dim=1)
    assert C.is_dependent(dep) and dep.is_discrete and dep.event_dim == 1
    check_raises(lambda: C.dependent.event_dim, NotImplementedError, ".event_dim cannot be determined statically")
    check_raises(lambda: C.dependent.check(v), ValueError, "Cannot determine validity of dependent constraint")

    class Box:
        @C.dependent_property(is_discrete=False, event_dim=0)
        def support(self):
            return C.interval(0.0, 1.0)
    assert C.is_dependent(Box.support) and Box.support.event_dim == 0
    assert isinstance(Box().support, C._Interval)
    check_raises(lambda: C.independent(C.real, 2).check(f64(1.0)), ValueError, "Expected value.dim() >= 2")


def test_utils():
    logits = f64([[0.3, -1.0, 2.0]])
    e = np.exp(logits.numpy())
    close(logits_to_probs(logits), e / e.sum(-1, keepdims=True))
    close(logits_to_probs(logits, is_binary=True), 1 / (1 + np.exp(-logits.numpy())))
    p = f64([0.0, 0.25, 1.0])
    eps = np.finfo(np.float64).eps
    close(clamp_probs(p), [eps, 0.25, 1 - eps])
    pc = np.array([eps, 0.25, 1 - eps])
    close(probs_to_logits(p), np.log(pc))
    close(probs_to_logits(p, is_binary=True), np.log(pc) - np.log1p(-pc))
    m = f64(np.arange(18.0).reshape(2, 3, 3))
    for diag in (-1, 0, 1):
        vec = tril_matrix_to_vec(m, diag)
        close(vec, m.numpy()[:, np.tril(np.ones((3, 3), dtype=bool), diag)])
        close(vec_to_tril_matrix(vec, diag), np.tril(m.numpy(), diag))
    check_raises(lambda: tril_matrix_to_vec(m, 3), ValueError, "diag (3) provided is outside [-3, 2].")
    check_raises(lambda: vec_to_tril_matrix(f64([1.0, 2.0])), ValueError, "cannot be expressed as the lower")
    check_raises(lambda: D.utils.broadcast_all(f64(1.0), "a"), ValueError, "Input arguments must all be")

    calls = []

    class Lazy:
        @lazy_property
        def value(self):
            calls.append(1)
            return torch.is_grad_enabled()
    obj = Lazy()
    with torch.no_grad():
        assert obj.value is True  # (computed with grad enabled, as torch's)
    assert obj.value is True and len(calls) == 1 and isinstance(Lazy.value, property)


# ---- against PyTorch

def _factories(lib):
    """(name) -> (variant 0 or 1 -> a distribution of lib, one fixed set of float64 parameters per variant)."""
    Dl = lib.distributions

    def t(v):
        return lib.tensor(np.asarray(v, dtype=np.float64))
    loc, scale = [[0.3, -1.2, 2.0], [0.0, 0.5, -0.4]], [[0.7, 1.5, 0.4], [1.1, 0.6, 2.0]]
    conc, rate = [[0.5, 2.0, 3.5], [1.5, 0.8, 4.0]], [[1.0, 0.7, 2.5], [0.6, 1.9, 1.2]]
    probs = [[0.2, 0.5, 0.9], [0.6, 0.3, 1.0]]
    probs4 = [[[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]],
              [[0.3, 0.3, 0.2, 0.2], [0.1, 0.6, 0.2, 0.1], [0.4, 0.0, 0.3, 0.3]]]
    L = [np.array([[1.5, 0., 0.], [0.3, 0.8, 0.], [-0.2, 0.4, 1.1]]),
         np.array([[0.9, 0., 0.], [-0.5, 1.2, 0.], [0.1, 0.2, 0.7]])]
    W = [[[1., 0.], [0.5, 2.], [-1., 0.3]], [[0.2, 0.4], [1., -1.], [0.3, 0.1]]]
    return {
        "Normal": lambda i: Dl.Normal(t(loc[i]), t(scale[i])),
        "Exponential": lambda i: Dl.Exponential(t(conc[i])),
        "Gamma": lambda i: Dl.Gamma(t(conc[i]), t(rate[i])),
        "Chi2": lambda i: Dl.Chi2(t(conc[i])),
        "Beta": lambda i: Dl.Beta(t(conc[i]), t(rate[i])),
        "Bernoulli": lambda i: Dl.Bernoulli(probs=t(probs[i])),
        "Binomial": lambda i: Dl.Binomial(t([[5., 7., 7.], [5., 7., 4.]][i]), probs=t([[0.2, 0.5, 0.9],
                                                                                       [0.6, 0.3, 0.5]][i])),
        "Categorical": lambda i: Dl.Categorical(probs=t(probs4[i])),
        "OneHotCategorical": lambda i: Dl.OneHotCategorical(probs=t(probs4[i])),
        "Cauchy": lambda i: Dl.Cauchy(t(loc[i]), t(scale[i])),
        "ContinuousBernoulli": lambda i: Dl.ContinuousBernoulli(probs=t([[0.2, 0.4995, 0.8], [0.6, 0.3, 0.5002]][i])),
        "Dirichlet": lambda i: Dl.Dirichlet(t([conc[i], rate[i]])),
        "Geometric": lambda i: Dl.Geometric(probs=t(probs[i])),
        "Gumbel": lambda i: Dl.Gumbel(t(loc[i]), t(scale[i])),
        "HalfNormal": lambda i: Dl.HalfNormal(t(scale[i])),
        "HalfCauchy": lambda i: Dl.HalfCauchy(t(scale[i])),
        "Laplace": lambda i: Dl.Laplace(t(loc[i]), t(scale[i])),
        "LogNormal": lambda i: Dl.LogNormal(t(loc[i]), t(scale[i])),
        "InverseGamma": lambda i: Dl.InverseGamma(t(conc[i]), t(rate[i])),
        "LogisticNormal": lambda i: Dl.LogisticNormal(t(loc[i]), t(scale[i])),
        "Pareto": lambda i: Dl.Pareto(t([[0.5, 1.0, 2.0], [0.8, 0.7, 1.5]][i]),
                                      t([[0.8, 2.5, 3.5], [1.5, 3.0, 2.2]][i])),
        "Poisson": lambda i: Dl.Poisson(t(conc[i])),
        "Uniform": lambda i: Dl.Uniform(t([[0.1, 0.2, -0.5], [0.05, 0.3, 0.0]][i]), t([[0.6, 0.9, 0.5],
                                                                                     [0.7, 1.0, 0.95]][i])),
        "Weibull": lambda i: Dl.Weibull(t(rate[0]), t(conc[0])),  # (equal parameters: torch's transforms compare)
        "Kumaraswamy": lambda i: Dl.Kumaraswamy(t(rate[0]), t(conc[0])),
        "Independent": lambda i: Dl.Independent(Dl.Normal(t(loc[i]), t(scale[i])), 1),
        "TransformedDistribution": lambda i: Dl.TransformedDistribution(Dl.Normal(t(loc[i]), t(scale[i])),
                                                                        [Dl.transforms.ExpTransform()]),
        "MultivariateNormal": lambda i: Dl.MultivariateNormal(t(loc[i]), scale_tril=t(L[i])),
        "LowRankMultivariateNormal": lambda i: Dl.LowRankMultivariateNormal(t([loc[i]]), t(W[i]), t(scale[i])),
        "ExponentialFamily": lambda i: Dl.Wishart(t([4.0, 5.5][i]), covariance_matrix=t(L[i] @ L[i].T)),
    }


def _torch_pairs():
    if real_torch is None:
        return []
    registered = sorted((a.__name__, b.__name__) for a, b in real_torch.distributions.kl._KL_REGISTRY)
    through_transforms = [(n, n) for n in ("LogNormal", "HalfCauchy", "InverseGamma", "LogisticNormal", "Chi2",
                                           "Weibull", "Kumaraswamy")]
    return registered + through_transforms


def _outcome(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn().detach().numpy()
    except Exception as e:  # noqa: BLE001 (the outcome compared is the exception's type)
        return type(e)


@needs_torch
def test_kl_registry_covers_torch():
    ours = {(a.__name__, b.__name__) for a, b in K._KL_REGISTRY}
    theirs = {(a.__name__, b.__name__) for a, b in real_torch.distributions.kl._KL_REGISTRY}
    assert theirs <= ours, sorted(theirs - ours)


@needs_torch
@pytest.mark.parametrize("pair", _torch_pairs(), ids="-".join)
def test_kl_pairs_equal_torch(pair):
    ours, theirs = _factories(torch), _factories(real_torch)
    a, b = pair
    for i, j in ((0, 1), (1, 0)):
        want = _outcome(lambda: real_torch.distributions.kl_divergence(theirs[a](i), theirs[b](j)))
        got = _outcome(lambda: D.kl_divergence(ours[a](i), ours[b](j)))
        if isinstance(want, type):
            assert got is NotImplementedError and want is NotImplementedError, (want, got)
        else:
            assert not isinstance(got, type), got
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


@needs_torch
@pytest.mark.parametrize("name", ["Normal", "Exponential", "Gamma", "Chi2", "Bernoulli", "ContinuousBernoulli",
                                  "ExponentialFamily"])
def test_bregman_entropy_equals_torch(name):
    ours, theirs = _factories(torch)[name](0), _factories(real_torch)[name](0)
    want = real_torch.distributions.ExponentialFamily.entropy(theirs).detach().numpy()
    close(ExponentialFamily.entropy(ours), want, rtol=1e-9)
    close(ours.entropy(), want, rtol=1e-9)
    theirs_mro = [c.__name__ for c in type(theirs).__mro__ if c.__name__ in ("ExponentialFamily", "Distribution")]
    assert theirs_mro == [c.__name__ for c in type(ours).__mro__ if c.__name__ in ("ExponentialFamily", "Distribution")]


def _torch_constraint(c):
    """The same constraint built from real torch's constraints module."""
    T = real_torch.distributions.constraints
    if isinstance(c, C._IndependentConstraint):
        return T.independent(_torch_constraint(c.base_constraint), c.reinterpreted_batch_ndims)
    if isinstance(c, C._Cat):
        return T.cat([_torch_constraint(x) for x in c.cseq], c.dim, c.lengths)
    if isinstance(c, C._Stack):
        return T.stack([_torch_constraint(x) for x in c.cseq], c.dim)
    name = {v: k for k, v in vars(C).items() if isinstance(v, C.Constraint)}.get(c)
    if name is not None:
        return getattr(T, name)
    cls = {C._GreaterThan: T.greater_than, C._GreaterThanEq: T.greater_than_eq, C._LessThan: T.less_than,
           C._Interval: T.interval, C._HalfOpenInterval: T.half_open_interval}[type(c)]
    return cls(*[getattr(c, k) for k in ("lower_bound", "upper_bound") if hasattr(c, k)])


REGISTRY_CASES = ELEMENTWISE_CONSTRAINTS + [
    C.real_vector, C.independent(C.positive, 1), C.simplex, C.lower_cholesky, C.corr_cholesky, C.positive_definite,
    C.positive_semidefinite, C.cat([C.positive, C.unit_interval, C.real], -1, [1, 1, 1]),
    C.stack([C.positive, C.less_than(0.0), C.interval(2.0, 3.0)], -1)]


@needs_torch
@pytest.mark.parametrize("registry_name", ["biject_to", "transform_to"])
@pytest.mark.parametrize("constraint", REGISTRY_CASES, ids=repr)
def test_constraint_registry_equals_torch(registry_name, constraint):
    theirs_c = _torch_constraint(constraint)
    ours_r = getattr(D, registry_name)
    theirs_r = getattr(real_torch.distributions, registry_name)
    try:
        theirs_t = theirs_r(theirs_c)
    except NotImplementedError as e:
        check_raises(lambda: ours_r(constraint), NotImplementedError, str(e))
        return
    ours_t = ours_r(constraint)
    assert type(ours_t).__name__ == type(theirs_t).__name__
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 3) if constraint.event_dim == 2 else (2, 3))
    if constraint is C.corr_cholesky:
        x = x[..., 0]
    y_want = theirs_t(real_torch.tensor(x)).numpy()
    y = ours_t(f64(x))
    close(y, y_want, rtol=1e-9, atol=1e-12)
    assert constraint.check(y).all().item()
    assert theirs_c.check(real_torch.tensor(y_want)).all().item()
    want = _outcome(lambda: theirs_t.log_abs_det_jacobian(real_torch.tensor(x), real_torch.tensor(y_want)))
    got = _outcome(lambda: ours_t.log_abs_det_jacobian(f64(x), y))
    if isinstance(want, type):  # (the transforms that are not bijections: torch's NotImplementedError)
        assert got is want
    else:
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@needs_torch
def test_constraint_checks_equal_torch():
    rng = np.random.default_rng(3)
    values = [rng.normal(size=(4, 3)), np.abs(rng.normal(size=(4, 3))), rng.normal(size=(2, 3, 3)),
              np.array([[[1.0, 0.5], [0.5, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]), np.array([[1.0, 0.0], [0.3, 2.0]])]
    cases = [C.less_than(0.2), C.positive_integer, C.square, C.symmetric, C.positive_semidefinite,
             C.positive_definite, C.lower_triangular, C.lower_cholesky, C.cat([C.positive, C.real], -1, [2, 1]),
             C.stack([C.positive, C.real, C.unit_interval], -1), C.MixtureSameFamilyConstraint(C.positive)]
    for c in cases:
        theirs = (real_torch.distributions.constraints.MixtureSameFamilyConstraint(
            real_torch.distributions.constraints.positive) if isinstance(c, C.MixtureSameFamilyConstraint)
            else _torch_constraint(c))
        assert repr(c) == repr(theirs)
        for v in values:
            want, got = _outcome(lambda: theirs.check(real_torch.tensor(v))), _outcome(lambda: c.check(f64(v)))
            if isinstance(want, type):
                assert got is want, (c, v.shape, want, got)
            else:
                np.testing.assert_array_equal(got, want, err_msg=f"{c!r} {v.shape}")


def test_module_paths_and_checked_instance():
    for module, name in [("beta", "Beta"), ("studentT", "StudentT"), ("relaxed_categorical", "ExpRelaxedCategorical"),
                         ("one_hot_categorical", "OneHotCategoricalStraightThrough"), ("half_normal", "HalfNormal"),
                         ("lkj_cholesky", "LKJCholesky"), ("mixture_same_family", "MixtureSameFamily")]:
        home = D if hasattr(D, name) else D.relaxed_bernoulli  # (ExpRelaxedCategorical is not exported, as torch's)
        assert getattr(importlib.import_module(f"tinygrad_ext.distributions.{module}"), name) is getattr(home, name)
        assert getattr(D, module).__name__ == f"tinygrad_ext.distributions.{module}"

    class Shifted(D.Normal):
        def __init__(self, loc):
            super().__init__(loc, 1.0)
    check_raises(lambda: Shifted(0.0)._get_checked_instance(D.Normal), NotImplementedError,
                 "Subclass Shifted of Normal that defines a custom __init__ method must also define a custom .expand()")
    assert type(D.Normal(0.0, 1.0)._get_checked_instance(D.Normal)) is D.Normal


@needs_torch
def test_public_names_and_signatures_equal_torch():

    def plain(fn):  # the parameters' names, kinds and defaults, without annotations
        params = inspect.signature(fn).parameters.values()
        return [(p.name, p.kind, p.default is inspect.Parameter.empty) for p in params]
    for sub in ("constraints", "constraint_registry", "utils", "exp_family", "kl", "transforms"):
        theirs = importlib.import_module(f"torch.distributions.{sub}")
        ours = importlib.import_module(f"tinygrad_ext.distributions.{sub}")
        for name in theirs.__all__:
            a, b = getattr(theirs, name), getattr(ours, name)
            if callable(a) and not isinstance(a, real_torch.distributions.constraints.Constraint):
                init_or_call = (lambda f: f.__init__) if inspect.isclass(a) else (lambda f: f)
                assert plain(init_or_call(a)) == plain(init_or_call(b)), (sub, name)
    public = {n for n in dir(real_torch.distributions) if not n.startswith("_")}
    assert public <= set(dir(D)), sorted(public - set(dir(D)))


def test_parameter_dependent_supports_are_dependent_properties():
    statics = {D.Binomial: (True, 0), D.Categorical: (True, 0), D.GeneralizedPareto: (False, 0),
               D.Multinomial: (True, 1), D.Pareto: (False, 0), D.Uniform: (False, 0)}
    for cls, (is_discrete, event_dim) in statics.items():
        assert C.is_dependent(cls.support) and cls.support.is_discrete is is_discrete, cls
        assert cls.support.event_dim == event_dim, cls
    for cls in (D.Independent, D.MixtureSameFamily):
        check_raises(lambda: cls.support.event_dim, NotImplementedError, "cannot be determined statically")
    assert D.TransformedDistribution.support.is_discrete is False
    assert repr(D.Uniform(0.0, 2.0).support) == "Interval(lower_bound=0.0, upper_bound=2.0)"
    mix = D.MixtureSameFamily(D.Categorical(torch.ones(2)), D.Normal(torch.zeros(2), torch.ones(2)))
    assert repr(mix.support) == "MixtureSameFamilyConstraint(Real())"
    assert mix.support.check(torch.tensor([1.0, math.nan])).tolist() == [True, False]
