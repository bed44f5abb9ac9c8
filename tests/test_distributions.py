"""torch.distributions: log_prob, entropy, moments and KL against closed forms in float64 numpy, sample
frequencies and shapes, rsample's gradient, and torch's validation errors."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.distributions import Bernoulli, Categorical, Normal, Uniform, kl_divergence

from oracle import check_raises

D = torch.float64


def test_normal_density_entropy_cdf_and_rsample_gradient():
    loc, scale = np.array([0.0, 1.5, -2.0]), np.array([1.0, 0.5, 3.0])
    n = Normal(torch.tensor(loc, dtype=D), torch.tensor(scale, dtype=D))
    x = np.array([0.3, 1.0, 4.0])
    ref = -((x - loc) ** 2) / (2 * scale**2) - np.log(scale) - 0.5 * math.log(2 * math.pi)
    np.testing.assert_allclose(n.log_prob(torch.tensor(x, dtype=D)).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(n.entropy().numpy(), 0.5 + 0.5 * math.log(2 * math.pi) + np.log(scale), rtol=1e-12)
    np.testing.assert_allclose(n.cdf(torch.tensor(loc, dtype=D)).numpy(), 0.5, rtol=1e-12)
    assert n.batch_shape == (3,) and n.event_shape == () and n.sample((4, 2)).shape == (4, 2, 3)
    torch.manual_seed(0)
    s = Normal(torch.tensor(2.0, dtype=D), 3.0).sample((40000,)).numpy()
    assert abs(s.mean() - 2) < 0.06 and abs(s.std() - 3) < 0.06
    mu = torch.tensor([0.5], requires_grad=True)
    sigma = torch.tensor([2.0], requires_grad=True)
    Normal(mu, sigma).rsample((7,)).sum().backward()
    assert mu.grad.item() == 7 and sigma.grad is not None  # d/dmu of 7 reparameterized draws
    assert not Normal(mu, sigma).sample().requires_grad


def test_categorical_log_prob_entropy_sampling_and_support():
    logits = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]], dtype=D)
    c = Categorical(logits=logits)
    p = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(-1, keepdims=True)
    np.testing.assert_allclose(c.probs.numpy(), p, rtol=1e-12)
    np.testing.assert_allclose(c.log_prob(torch.tensor([0, 2])).numpy(), np.log([p[0, 0], p[1, 2]]), rtol=1e-12)
    np.testing.assert_allclose(c.entropy().numpy(), -(p * np.log(p)).sum(-1), rtol=1e-12)
    assert c.batch_shape == (2,) and c.param_shape == (2, 3) and c.sample((5,)).shape == (5, 2)
    torch.manual_seed(1)
    s = Categorical(probs=torch.tensor([1.0, 0.0, 3.0])).sample((40000,)).numpy()  # unnormalized probs
    np.testing.assert_allclose(np.bincount(s, minlength=3) / s.size, [0.25, 0, 0.75], atol=0.012)
    assert abs(Categorical(probs=torch.tensor([0.0, 1.0])).entropy().item()) < 2e-7  # 0 log 0 = 0 (as torch: eps)
    assert c.enumerate_support().shape == (3, 2)
    check_raises(lambda: c.log_prob(torch.tensor([3, 0])), ValueError,
                 "to be within the support (IntegerInterval(lower_bound=0, upper_bound=2))")
    check_raises(lambda: Categorical(probs=torch.tensor([-1.0, 2.0])), ValueError, "Simplex()")
    check_raises(lambda: Categorical(torch.ones(2), torch.ones(2)), ValueError,
                 "Either `probs` or `logits` must be specified, but not both.")


def test_bernoulli_and_uniform():
    p = np.array([0.3, 0.9])
    b = Bernoulli(probs=torch.tensor(p, dtype=D))
    np.testing.assert_allclose(b.log_prob(torch.tensor([1.0, 0.0], dtype=D)).numpy(), np.log([0.3, 0.1]), rtol=1e-9)
    np.testing.assert_allclose(b.entropy().numpy(), -(p * np.log(p) + (1 - p) * np.log(1 - p)), rtol=1e-9)
    np.testing.assert_allclose(Bernoulli(logits=torch.tensor([0.0, 2.0])).probs.numpy(),
                               [0.5, 1 / (1 + math.exp(-2))], rtol=1e-6)
    torch.manual_seed(2)
    assert abs(Bernoulli(0.25).sample((40000,)).mean().item() - 0.25) < 0.01
    u = Uniform(torch.tensor(1.0, dtype=D), 3.0)
    np.testing.assert_allclose(u.log_prob(torch.tensor([1.5, 2.5], dtype=D)).numpy(), np.log(0.5), rtol=1e-12)
    assert u.entropy().item() == pytest.approx(math.log(2)) and u.mean.item() == 2
    s = u.sample((20000,)).numpy()
    assert s.min() >= 1 and s.max() < 3 and abs(s.mean() - 2) < 0.02
    check_raises(lambda: Bernoulli(torch.tensor([1.5])), ValueError, "Interval(lower_bound=0.0, upper_bound=1.0)")
    check_raises(lambda: Uniform(2.0, 1.0), ValueError, "Expected parameter low")
    check_raises(lambda: Normal(torch.zeros(2), torch.tensor([1.0, -1.0])), ValueError,
                 "Expected parameter scale (Tensor of shape (2,)) of distribution Normal(loc: torch.Size([2]), "
                 "scale: torch.Size([2])) to satisfy the constraint GreaterThan(lower_bound=0.0)")
    assert Normal(0.0, -1.0, validate_args=False).scale.item() == -1  # validation off: no check


def test_kl_divergence_closed_forms():
    kl = kl_divergence(Normal(torch.tensor(0.0, dtype=D), 1.0), Normal(torch.tensor(1.0, dtype=D), 2.0)).item()
    assert kl == pytest.approx(math.log(2) + (1 + 1) / 8 - 0.5, rel=1e-12)
    p, q = np.array([0.2, 0.3, 0.5]), np.array([0.1, 0.6, 0.3])
    got = kl_divergence(Categorical(probs=torch.tensor(p, dtype=D)), Categorical(probs=torch.tensor(q, dtype=D)))
    assert got.item() == pytest.approx((p * np.log(p / q)).sum(), rel=1e-9)
    got = kl_divergence(Bernoulli(torch.tensor(0.3, dtype=D)), Bernoulli(torch.tensor(0.6, dtype=D))).item()
    assert got == pytest.approx(0.3 * math.log(0.5) + 0.7 * math.log(0.7 / 0.4), rel=1e-9)
    assert kl_divergence(Uniform(0.0, 1.0), Uniform(-1.0, 3.0)).item() == pytest.approx(math.log(4))
    assert kl_divergence(Normal(0.0, 1.0), Uniform(0.0, 1.0)).item() == math.inf  # (torch registers it: inf)
    check_raises(lambda: kl_divergence(Normal(0.0, 1.0), Categorical(torch.tensor([0.5, 0.5]))),
                 NotImplementedError, "No KL(p || q) is implemented")
