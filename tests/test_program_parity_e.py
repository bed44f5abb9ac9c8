"""Small versions of the pytorch/examples programs (time_sequence_prediction, regression, mnist, vae,
word_language_model, mnist_hogwild, siamese_network, reinforcement_learning) run against torch 2.13: each
difference they showed, pinned here with the value, text or error written down from torch."""
import math

import numpy as np

import tinygrad_ext as torch


def _bits(t):
    return t.numpy().view(np.int32 if t.dtype == torch.float32 else np.int64).tolist()


# ------------------------------------------------------------------ regression: make_features' x ** i
def test_pow_three_is_torchs_x_times_x_times_x():
    # torch's CPU kernel specializes exponent 3 as x * x * x (two roundings), not pow's one rounding: the
    # polynomial features of the regression example drifted by an ulp
    x = torch.tensor(np.array([1074060706, -1083002204, 1079405525, -1065231662], np.int32).view(np.float32))
    want = [1091512513, -1084612205, 1108765977, -1031428813]
    assert _bits(x ** 3) == want
    assert _bits(x ** 3.0) == want
    assert _bits(torch.pow(x, 3)) == want
    y = x.clone()
    y **= 3
    assert _bits(y) == want
    out = torch.empty(4)
    torch.pow(x, 3, out=out)
    assert _bits(out) == want


def test_pow_three_bfloat16_rounds_each_product():
    b = torch.tensor(np.array([16533, 16559, -16315], np.int16)).view(torch.bfloat16)
    assert (b ** 3).view(torch.int16).tolist() == [17097, 17187, -15894]


def test_pow_minus_two_is_reciprocal_of_square():
    x = torch.tensor([4.986735226979553], dtype=torch.float64)
    assert (x ** -2).item() == 0.0402130839459522
    assert (x ** -2.0).dtype == torch.float64


def test_pow_half_and_minus_half_are_sqrt_and_rsqrt():
    # sqrt(-0.) is -0. and sqrt(-inf) NaN, where pow gives +0. and +inf
    r = torch.tensor([-0.0, -math.inf, 4.0], dtype=torch.float64) ** 0.5
    assert r[0].item() == 0.0 and math.copysign(1, r[0].item()) == -1
    assert math.isnan(r[1].item()) and r[2].item() == 2.0
    r = torch.tensor([-0.0, -math.inf, 4.0]) ** -0.5
    assert r[0].item() == -math.inf and math.isnan(r[1].item()) and r[2].item() == 0.5
    assert str(r) == "tensor([  -inf,    nan, 0.5000])"
    # an integer tensor to a float power: the default float dtype
    assert (torch.tensor([4, 9]) ** 0.5).tolist() == [2.0, 3.0]
    assert (torch.tensor([2, 3]) ** 3.0).dtype == torch.float32


def test_pow_specializations_keep_autograd():
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    (x ** 3).sum().backward()
    assert x.grad.tolist() == [12.0, 27.0]
    x.grad = None
    y = x ** 0.5
    assert y.grad_fn.name() == "PowBackward0"
    y.sum().backward()
    assert np.allclose(x.grad.numpy(), [0.35355339, 0.28867513])
