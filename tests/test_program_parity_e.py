"""Small versions of the pytorch/examples programs (time_sequence_prediction, regression, mnist, vae,
word_language_model, mnist_hogwild, siamese_network, reinforcement_learning) run against torch 2.13: each
difference they showed, pinned here with the value, text or error written down from torch."""
import math

import numpy as np

import tinygrad_ext as torch
from tinygrad_ext import _ops


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


# ------------------------------------------------------------------ word_language_model: p.data.add_(p.grad, alpha=-lr)
def _f32(bits):
    return torch.tensor(np.array(bits, np.int32).view(np.float32))


def test_add_with_alpha_rounds_once_as_torchs_kernel():
    # torch's add kernel is a fused multiply-add (self + alpha * other, one rounding): the manual SGD update of the
    # word language model drifted by an ulp per step when the product was rounded first
    a = _f32([-1096692627, 1039495031, 1048469616])
    b = _f32([1059209252, 1068824110, 1070577947])
    want = [-1094565977, -1129289294, 1034970497]
    assert _bits(a.add(b, alpha=-0.1)) == want
    assert _bits(torch.add(a, b, alpha=-0.1)) == want
    c = a.clone()
    c.add_(b, alpha=-0.1)
    assert _bits(c) == want and c._version == 1
    out = torch.empty(3)
    torch.add(a, b, alpha=-0.1, out=out)
    assert _bits(out) == want
    a = _f32([-1098888234, 1051001144, 1051930879])
    b = _f32([1060647335, 1071487441, 1066153083])
    assert _bits(a.sub(b, alpha=0.3)) == [-1091645433, -1102457567, 1018110025]
    c = a.clone()
    c.sub_(b, alpha=0.3)
    assert _bits(c) == [-1091645433, -1102457567, 1018110025]
    d = torch.tensor([0.17797675358671464, 0.3151355160408896], dtype=torch.float64)
    e = torch.tensor([-0.6653253624525406, -0.40415656033069797], dtype=torch.float64)
    assert d.add(e, alpha=0.7).tolist() == [-0.28775100013006377, 0.032225923809401015]


def test_add_with_alpha_keeps_torchs_nodes_dtypes_and_errors():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = torch.ones(2, 3, requires_grad=True)
    z = x.add(y, alpha=-0.5)
    assert z.grad_fn.name() == "AddBackward0" and z.shape == (2, 3)
    z.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0] and y.grad.tolist() == [[-0.5] * 3] * 2
    assert x.sub(y, alpha=3).grad_fn.name() == "SubBackward0"
    w = x.clone()
    w.add_(y[0], alpha=2)
    assert w.grad_fn.name() == "AddBackward0" and w.tolist() == [3.0, 4.0, 5.0]
    leaf = torch.ones(2, requires_grad=True)
    try:
        leaf.add_(torch.ones(2), alpha=0.5)
        raise AssertionError("no error")
    except RuntimeError as e:
        assert str(e) == "a leaf Variable that requires grad is being used in an in-place operation."
    try:
        torch.zeros(3, dtype=torch.long).add_(torch.ones(3), alpha=0.5)
        raise AssertionError("no error")
    except RuntimeError as e:
        assert str(e) == "result type Float can't be cast to the desired output type Long"
    assert torch.ones(3, dtype=torch.long).add(torch.ones(3), alpha=0.5).tolist() == [1.5] * 3
    assert torch.ones(2).add(torch.ones(2, dtype=torch.float64), alpha=0.1).dtype == torch.float64
    assert str(torch.ones(2, dtype=torch.float16).add(torch.ones(2), alpha=0.1)) == "tensor([1.1000, 1.1000])"
    assert torch.ones(2, dtype=torch.long).add(torch.ones(2, dtype=torch.long), alpha=3).tolist() == [4, 4]


# ------------------------------------------------------------------ the examples' optimizers, bit for bit
# torch's single-tensor steps use add_(alpha=), addcmul_ and lerp_, fused multiply-adds in its kernels: the fused
# steps round there once too. The sums of the parameters' float32 bit patterns after 4 steps, from torch.
_OPTIM_SUMS = [
    ("SGD", {"lr": 0.1}, 7237416450, 1.0305900573730469),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1}, -1381458228, 0.7522003054618835),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}, 9317480276, 0.9017554521560669),
    ("Adam", {"lr": 0.01}, 28687131179, 1.0244642496109009),
    ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}, 28667827700, 1.0218065977096558),
    ("AdamW", {"lr": 0.01}, 28685018658, 1.0240503549575806),
    ("Adamax", {"lr": 0.01}, 28693833720, 1.0280070304870605),
    ("NAdam", {"lr": 0.01}, 28688281939, 1.042313575744629),
    ("RAdam", {"lr": 0.01}, 28710111429, 1.0292364358901978),
    ("ASGD", {"lr": 0.05}, 20074948557, 1.0393186807632446),
]


def test_optimizer_steps_are_torchs_bit_for_bit():
    n = 400
    p0 = (np.sin(np.arange(n) * 0.37) * 2).astype(np.float32)
    grads = [np.cos(np.arange(n) * (0.11 * k + 0.05)).astype(np.float32) for k in range(4)]
    for name, kw, want_sum, want_7 in _OPTIM_SUMS:
        for foreach in (False, True):
            p = torch.tensor(p0.copy(), requires_grad=True)
            opt = getattr(torch.optim, name)([p], foreach=foreach, **kw)
            for g in grads:
                p.grad = torch.tensor(g.copy())
                opt.step()
            r = p.detach().numpy()
            assert int(r.view(np.int32).astype(np.int64).sum()) == want_sum, (name, kw, foreach)
            assert float(r[7]) == want_7


def test_addcmul_sq_kernel_fuses_the_last_product():
    # v.mul_(beta2).addcmul_(g, g, value=1 - beta2): (value * g) * g + v with one rounding, as torch's
    v = _f32([1019837728, 1026061808])
    g = _f32([1066170878, 1074993958])
    assert _bits(_ops.functional("_addcmul_sq")(v * 0.999, g, 0.001)) == [1020471155, 1027468979]


def test_addcdiv_scales_the_numerator_first():
    # torch's kernel: self + (value * tensor1) / tensor2 (was: value * (tensor1 / tensor2), an ulp off)
    a = _f32([-1081210383, -1089322256])
    b = _f32([-1108358870, -1079051970])
    c = _f32([1066998434, 1067726506])
    assert _bits(a.addcdiv(b, c, value=-0.37)) == [-1081514198, -1103800578]
    assert _bits(torch.addcdiv(a, b, c, value=-0.37)) == [-1081514198, -1103800578]
    assert _bits(a.clone().addcdiv_(b, c, value=-0.37)) == [-1081514198, -1103800578]
    z = torch.addcdiv(torch.ones(2), torch.tensor([1, 2]), torch.tensor([3.0, 4.0]), value=2)
    assert z.dtype == torch.float32 and np.allclose(z.numpy(), [1.6666666, 2.0])


def test_add_alpha_as_numpy_scalar_or_0d_tensor_is_fused_too():
    a = _f32([-1096692627, 1039495031, 1048469616])
    b = _f32([1059209252, 1068824110, 1070577947])
    want = [-1094565977, -1129289294, 1034970497]
    assert _bits(a.add(b, alpha=np.float32(-0.1))) == want
    assert _bits(a.add(b, alpha=torch.tensor(-0.1))) == want
    c = a.clone()
    c.add_(b, alpha=np.float32(-0.1))
    assert _bits(c) == want
    assert torch.ones(2, dtype=torch.long).add(torch.ones(2, dtype=torch.long), alpha=np.int64(3)).tolist() == [4, 4]
