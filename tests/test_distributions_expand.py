"""Distribution.expand: the batch shape broadcast (parameters as views), sampling and log_prob as torch's; with
PyTorch importable, seeded samples and log_probs of the expanded distributions equal torch's."""
import numpy as np
import pytest
import tinygrad_ext as torch

try:
    import torch as real_torch
except ImportError:
    real_torch = None


def make(L):
    D = L.distributions
    return {
        "Normal": lambda: D.Normal(L.tensor([0., 1.]), 2.0),
        "Bernoulli": lambda: D.Bernoulli(probs=L.tensor([0.3, 0.6])),
        "Categorical": lambda: D.Categorical(logits=L.tensor([[0.1, 0.5, 1.0], [1., 0., -1.]])),
        "OneHotCategorical": lambda: D.OneHotCategorical(probs=L.tensor([[0.2, 0.8], [0.5, 0.5]])),
        "MultivariateNormal": lambda: D.MultivariateNormal(L.zeros(2, 3), L.eye(3)),
        "Independent": lambda: D.Independent(D.Normal(L.zeros(2, 3), L.ones(2, 3)), 1),
        "Gamma": lambda: D.Gamma(L.tensor([1.5, 3.0]), 2.0),
        "Dirichlet": lambda: D.Dirichlet(L.tensor([[1., 2., 3.], [0.5, 0.5, 0.5]])),
        "Binomial": lambda: D.Binomial(10, L.tensor([0.2, 0.7])),
        "HalfNormal": lambda: D.HalfNormal(L.tensor([1., 2.])),
        "Uniform": lambda: D.Uniform(L.tensor([0., 1.]), L.tensor([1., 3.])),
        "Exponential": lambda: D.Exponential(L.tensor([1., 2.])),
        "Beta": lambda: D.Beta(L.tensor([2., 3.]), L.tensor([1., 4.])),
        "Poisson": lambda: D.Poisson(L.tensor([1., 20.])),
        "Laplace": lambda: D.Laplace(L.tensor([0., 1.]), 1.5),
        "StudentT": lambda: D.StudentT(L.tensor([3., 5.])),
        "Cauchy": lambda: D.Cauchy(L.tensor([0., 1.]), 1.0),
        "Chi2": lambda: D.Chi2(L.tensor([2., 4.])),
        "Geometric": lambda: D.Geometric(L.tensor([0.3, 0.6])),
        "Gumbel": lambda: D.Gumbel(L.tensor([0., 1.]), 2.0),
        "HalfCauchy": lambda: D.HalfCauchy(L.tensor([1., 2.])),
        "LogNormal": lambda: D.LogNormal(L.tensor([0., 1.]), 0.5),
        "Pareto": lambda: D.Pareto(L.tensor([1., 2.]), 3.0),
        "Weibull": lambda: D.Weibull(L.tensor([1., 2.]), 1.5),
        "Kumaraswamy": lambda: D.Kumaraswamy(L.tensor([1., 2.]), L.tensor([2., 3.])),
        "InverseGamma": lambda: D.InverseGamma(L.tensor([2., 3.]), 1.0),
        "FisherSnedecor": lambda: D.FisherSnedecor(L.tensor([2., 5.]), L.tensor([3., 6.])),
        "Multinomial": lambda: D.Multinomial(5, probs=L.tensor([[0.2, 0.8], [0.5, 0.5]])),
        "MixtureSameFamily": lambda: D.MixtureSameFamily(D.Categorical(L.ones(2, 3)),
                                                         D.Normal(L.zeros(2, 3), L.ones(2, 3))),
        "RelaxedBernoulli": lambda: D.RelaxedBernoulli(L.tensor(0.5), probs=L.tensor([0.3, 0.6])),
    }


@pytest.mark.parametrize("name", list(make(torch)))
def test_expand_broadcasts_the_batch(name):
    d = make(torch)[name]()
    e = d.expand((4, 2))
    assert tuple(e.batch_shape) == (4, 2) and tuple(e.event_shape) == tuple(d.event_shape)
    x = e.sample((3,))
    assert tuple(x.shape) == (3, 4, 2) + tuple(d.event_shape)
    np.testing.assert_allclose(e.log_prob(x).numpy(), d.log_prob(x).numpy(), rtol=1e-6)  # the same parameters
    assert tuple(d.batch_shape) == (2,)  # the original is untouched
    with pytest.raises(RuntimeError):
        d.expand((3,))  # not a broadcast of (2,)


@pytest.mark.skipif(real_torch is None, reason="PyTorch is not installed")
@pytest.mark.parametrize("name", list(make(torch)))
def test_expanded_samples_equal_torchs(name):
    got = []
    for L in (real_torch, torch):
        e = make(L)[name]().expand((4, 2))
        L.manual_seed(0)
        s = e.sample()
        got.append((s.double().numpy(), e.log_prob(s).double().numpy()))
    (s1, l1), (s2, l2) = got
    np.testing.assert_allclose(s2, s1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(l2, l1, rtol=1e-4, atol=1e-5)
