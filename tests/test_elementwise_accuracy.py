"""The float32 kernels of fmod, gelu, softplus, logaddexp and logaddexp2 (ops/math.h's branch-free versions)
against numpy: fmod bit for bit (C's fmod is exact) on random bit patterns, huge and tiny ratios, signed zeros,
infinities and NaN, contiguous, strided and with a scalar divisor; the others against float64 references over
their whole range, down to subnormal results, and at the special values."""
import numpy as np
import pytest
from scipy import special

import tinygrad_ext as torch

SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.17549435e-38, 3.4028235e38, -3.4028235e38,
                    1.0, -1.0, 3.0, 0.1, 2.0, 1e-40, 7.0, -2.5], np.float32)


def same_bits(got, want):
    return (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))


def fmod_inputs():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2 ** 32, size=(2, 200_000), dtype=np.uint64).astype(np.uint32)
    b = rng.standard_normal(50_000).astype(np.float32)
    q = np.round(rng.standard_normal(50_000) * 1e3).astype(np.float32)
    near = (b * q).astype(np.float32)  # exact multiples and their neighbours: quotients right at an integer
    a = np.concatenate([bits[0].view(np.float32), np.repeat(SPECIAL, len(SPECIAL)), near,
                        np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(-np.inf))])
    d = np.concatenate([bits[1].view(np.float32), np.tile(SPECIAL, len(SPECIAL)), b, b, b])
    return a, d


def test_fmod_float32_is_exact():
    a, b = fmod_inputs()
    with np.errstate(all="ignore"):
        want = np.fmod(a, b)
        got = torch.from_numpy(a).fmod(torch.from_numpy(b)).numpy()
        assert same_bits(got, want).all()
        got = torch.from_numpy(a)[::3].fmod(torch.from_numpy(b)[::3]).numpy()  # strided operands
        assert same_bits(got, want[::3]).all()
        for s in (0.1, 3.0, 1e-30, 1e30, -7.5):  # a scalar divisor (the broadcast loop)
            assert same_bits(torch.from_numpy(a).fmod(s).numpy(), np.fmod(a, np.float32(s))).all()
        got = torch.from_numpy(a.astype(np.float64)).fmod(torch.from_numpy(b.astype(np.float64))).numpy()
        assert same_bits(got.astype(np.float32), np.fmod(a.astype(np.float64), b.astype(np.float64))
                         .astype(np.float32)).all()


def test_fmod_keeps_the_dividends_sign_and_zero():
    got = torch.tensor([-4.0, 4.0, -0.0, 0.0, -5.5]).fmod(torch.tensor([2.0, -2.0, 3.0, -3.0, float("inf")])).numpy()
    assert np.signbit(got).tolist() == [True, False, True, False, True]
    assert got.tolist() == [0.0, 0.0, 0.0, 0.0, -5.5]


def wide(n=400_001, lo=-120.0, hi=120.0):
    return np.concatenate([np.linspace(lo, hi, n), SPECIAL.astype(np.float64)]).astype(np.float32)


def check(got, want, rtol, atol=0.0):
    got = got.astype(np.float64)
    ok = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True) | (got == want)
    bad = np.flatnonzero(~ok)
    assert bad.size == 0, list(zip(got[bad[:5]], want[bad[:5]]))


def test_softplus():
    x = wide()
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        want = np.where(x64 > 20, x64, np.logaddexp(0.0, x64))
    # relative to float32's resolution, subnormal results to their spacing
    check(torch.nn.functional.softplus(torch.from_numpy(x)).numpy(), want, rtol=1e-6, atol=3e-45)
    with np.errstate(all="ignore"):
        want = np.where(2 * x64 > 5, x64, np.logaddexp(0.0, 2 * x64) / 2)
    check(torch.nn.functional.softplus(torch.from_numpy(x), 2.0, 5.0).numpy(), want, rtol=1e-6, atol=3e-45)


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2"])
def test_logaddexp(name):
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.uniform(-150, 150, 200_000), np.repeat(SPECIAL, len(SPECIAL)),
                        rng.uniform(-3, 3, 1000)]).astype(np.float32)
    b = np.concatenate([rng.uniform(-150, 150, 200_000), np.tile(SPECIAL, len(SPECIAL)),
                        rng.uniform(-3, 3, 1000)]).astype(np.float32)
    with np.errstate(all="ignore"):
        want = getattr(np, name)(a.astype(np.float64), b.astype(np.float64))
    got = getattr(torch.from_numpy(a), name)(torch.from_numpy(b)).numpy()
    # absolute to a few ulps of the larger operand (the sum cancels near 0), relative elsewhere
    scale = np.maximum(np.abs(a), np.abs(b)).astype(np.float64)
    finite = np.isfinite(want)
    err = np.abs(got[finite].astype(np.float64) - want[finite])
    assert (err <= 4e-7 * np.maximum(np.abs(want[finite]), scale[finite]) + 3e-45).all()
    assert (np.isnan(got[np.isnan(want)])).all() and (got[np.isinf(want)] == want[np.isinf(want)]).all()
    # subnormal results: log(e^0 + e^-100)
    assert getattr(torch.tensor([0.0]), name)(torch.tensor([-100.0])).item() > 0


def test_gelu():
    x = wide(lo=-14.0, hi=14.0)
    x64 = x.astype(np.float64)
    with np.errstate(all="ignore"):
        want = 0.5 * x64 * special.erfc(-x64 / np.sqrt(2))
    got = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    fin = np.isfinite(x)
    # the rounded argument x^2 / 2 of the exp limits the relative accuracy in the far negative tail
    check(got[fin & (x > -5)], want[fin & (x > -5)], rtol=2e-6, atol=1e-30)
    check(got[fin & (x <= -5)], want[fin & (x <= -5)], rtol=1e-5, atol=1e-37)
    assert np.isnan(got[np.isnan(x)]).all()
    far = torch.nn.functional.gelu(torch.tensor([-0.0, -14.0, -100.0, -3e38])).numpy()
    assert (far == 0).all() and np.signbit(far).all()  # -0 beyond |x| = 13.2, as torch
