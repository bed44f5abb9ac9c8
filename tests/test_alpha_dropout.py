"""alpha_dropout / feature_alpha_dropout and nn.AlphaDropout / FeatureAlphaDropout: each element is torch's affine
map of a kept or dropped input (checked in float64 per element), gradients are that map's slope, and on
SELU-normalised input the mean and variance are preserved."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F

ALPHA = 1.7580993408473766  # -SELU's saturation value


def affine(p):
    a = 1.0 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    return a, a * ALPHA * p, a * ALPHA * (p - 1)  # slope, offset if kept, value if dropped


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_elements_and_gradient(p):
    x = np.random.default_rng(0).standard_normal((64, 50))
    xt = torch.tensor(x, requires_grad=True)
    y = F.alpha_dropout(xt, p, training=True)
    a, b_kept, dropped = affine(p)
    yv = y.detach().numpy()
    kept = np.isclose(yv, a * x + b_kept, rtol=1e-12, atol=1e-12)
    assert (kept | np.isclose(yv, dropped, rtol=1e-12, atol=1e-12)).all()
    assert abs((~kept).mean() - p) < 0.05
    y.sum().backward()
    np.testing.assert_allclose(xt.grad.numpy(), np.where(kept, a, 0.0), rtol=1e-12)


def test_feature_drops_whole_channels():
    x = np.random.default_rng(1).standard_normal((40, 30, 4, 3))
    y = F.feature_alpha_dropout(torch.tensor(x, dtype=torch.float32), 0.4, training=True).numpy()
    a, b_kept, dropped = affine(0.4)
    channel_dropped = np.isclose(y, dropped, rtol=1e-5).all(axis=(2, 3))
    channel_kept = np.isclose(y, a * x + b_kept, rtol=1e-5, atol=1e-5).all(axis=(2, 3))
    assert (channel_dropped ^ channel_kept).all()
    assert abs(channel_dropped.mean() - 0.4) < 0.05


@pytest.mark.parametrize("fn", [F.alpha_dropout, F.feature_alpha_dropout])
def test_preserves_mean_and_variance_of_selu_output(fn):
    x = F.selu(torch.randn(4000, 250, dtype=torch.float64))  # SELU's fixed point: mean 0, variance 1
    y = fn(x, 0.3, training=True).numpy()
    xv = x.numpy()
    assert abs(y.mean() - xv.mean()) < 0.02 and abs(y.var() - xv.var()) < 0.02
    assert abs(xv.mean()) < 0.01 and abs(xv.var() - 1) < 0.02


def test_identity_cases_and_p_one():
    x = torch.randn(5, 4)
    assert F.alpha_dropout(x, 0.5) is x  # functional default: training=False
    assert F.feature_alpha_dropout(x, 0.5, training=False) is x
    assert F.alpha_dropout(x, 0.0, training=True) is x
    assert (F.alpha_dropout(x, 1.0, training=True).numpy() == 0).all()
    m = torch.nn.AlphaDropout(0.3).eval()
    assert m(x) is x
    assert repr(torch.nn.AlphaDropout(0.2)) == "AlphaDropout(p=0.2, inplace=False)"
    assert repr(torch.nn.FeatureAlphaDropout()) == "FeatureAlphaDropout(p=0.5, inplace=False)"
    assert torch.nn.FeatureAlphaDropout(0.5).train()(torch.ones(8, 6, 2)).shape == (8, 6, 2)


def test_inplace():
    x = torch.ones(1000)
    y = F.alpha_dropout(x, 0.3, training=True, inplace=True)
    assert y is x
    a, b_kept, dropped = affine(0.3)
    assert np.isclose(x.numpy(), a + b_kept, rtol=1e-6).sum() + np.isclose(x.numpy(), dropped, rtol=1e-6).sum() == 1000


def test_bad_inputs():
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.alpha_dropout(torch.ones(3), 1.5, True)
    with pytest.raises(ValueError, match="dropout probability"):
        torch.nn.AlphaDropout(-0.1)
    with pytest.raises(RuntimeError, match="Feature dropout requires at least 2 dimensions in the input"):
        F.feature_alpha_dropout(torch.ones(3), 0.5, True)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        F.alpha_dropout(torch.ones(3, dtype=torch.int64), 0.5, True)
