"""torch.special's composed functions and torch.logit / torch.sinc against float64 references (scipy-free
closed forms), their gradients by gradcheck, and the tails where a naive formula under/overflows."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.autograd import gradcheck

from oracle import check_raises

D = torch.float64
_erfc = np.vectorize(math.erfc)


def _t(values, **kw):
    return torch.tensor(values, dtype=D, **kw)


def test_values_against_closed_forms():
    x = np.array([-3.0, -0.7, 0.0, 0.4, 2.5])
    p = np.array([0.05, 0.3, 0.5, 0.8, 0.99])
    np.testing.assert_allclose(torch.logit(_t(p)).numpy(), np.log(p / (1 - p)), rtol=1e-12)
    c = np.clip(p, 0.1, 0.9)
    np.testing.assert_allclose(torch.logit(_t(p), eps=0.1).numpy(), np.log(c / (1 - c)))
    np.testing.assert_allclose(torch.sinc(_t(x)).numpy(), np.sinc(x), rtol=1e-12, atol=1e-16)
    np.testing.assert_allclose(torch.special.ndtr(_t(x)).numpy(), 0.5 * _erfc(-x / math.sqrt(2)), rtol=1e-12)
    np.testing.assert_allclose(torch.special.ndtri(_t(p)).numpy(),
                               [-1.6448536269514722, -0.5244005127080407, 0, 0.8416212335729143, 2.3263478740408408],
                               rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(torch.special.entr(_t([0.0, 0.5, 2.0, -1.0])).numpy(),
                               [0, -0.5 * math.log(0.5), -2 * math.log(2), -math.inf])
    np.testing.assert_allclose(torch.special.xlog1py(_t([0.0, 2.0]), _t([-1.0, 1.0])).numpy(), [0, 2 * math.log(2)])
    np.testing.assert_allclose(torch.special.multigammaln(_t([2.5, 3.0]), 2).numpy(),
                               [math.lgamma(2.5) + math.lgamma(2.0) + 0.5 * math.log(math.pi),
                                math.lgamma(3.0) + math.lgamma(2.5) + 0.5 * math.log(math.pi)], rtol=1e-12)
    assert torch.special.expit(_t([0.0])).item() == 0.5 and torch.special.gammaln(_t([4.0])).item() == pytest.approx(
        math.log(6))
    assert torch.logit(torch.tensor([1, 2])).dtype == torch.float32  # integers compute in the default float dtype
    t = torch.tensor([0.3, 0.6])
    assert t.logit_() is t and t.tolist() == pytest.approx([math.log(3 / 7), math.log(1.5)], rel=1e-6)
    check_raises(lambda: torch.special.multigammaln(_t([2.0]), 0), RuntimeError,
                 "p has to be greater than or equal to 1")


def test_log_ndtr_tail():
    x = np.array([-40.0, -38.0, -20.0, -5.0, 0.0, 3.0])
    got = torch.special.log_ndtr(_t(x)).numpy()
    # log(ndtr) from erfc where it is representable; the Mills-ratio series below -37
    with np.errstate(all="ignore"):
        ref = np.where(x > -37, np.log(0.5 * _erfc(-x / math.sqrt(2))),
                       -x * x / 2 - np.log(-x) - 0.5 * math.log(2 * math.pi) + np.log1p(-1 / x**2 + 3 / x**4))
    np.testing.assert_allclose(got, ref, rtol=1e-9)
    assert np.isfinite(torch.special.log_ndtr(torch.tensor([-40.0])).item())  # float32 too


@pytest.mark.parametrize("fn", [lambda x: torch.logit(x), lambda x: torch.logit(x, eps=0.2), torch.sinc,
                                torch.special.entr, torch.special.ndtr, torch.special.log_ndtr, torch.special.ndtri])
def test_gradients(fn):
    x = _t([0.1, 0.35, 0.6, 0.85], requires_grad=True)
    assert gradcheck(fn, (x,))
    z = _t([0.0], requires_grad=True)  # sinc at 0: torch's gradient 0, not the quotient's NaN
    torch.sinc(z).backward()
    assert z.grad.item() == 0
