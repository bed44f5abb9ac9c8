"""torch's everyday small ops (_everyday_ops.py): values against float64 numpy, dtypes, gradients by gradcheck,
and torch's errors for bad inputs."""
import math

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext.autograd import gradcheck
from oracle import check_raises

RNG = np.random.default_rng(0)


def _t(a, dtype=None, requires_grad=False):
    return torch.tensor(np.asarray(a), dtype=dtype, requires_grad=requires_grad)


def _close(actual, expected, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(actual.detach().numpy().astype(np.float64), np.asarray(expected, np.float64),
                               rtol=rtol, atol=atol, equal_nan=True)


# ---------------------------------------------------------------- matrix views, conversions


def test_mT_mH_H_transpose_and_differentiate():
    a = RNG.standard_normal((2, 3, 4))
    x = _t(a, requires_grad=True)
    _close(x.mT, a.swapaxes(-1, -2))
    _close(x.mH, a.swapaxes(-1, -2))
    _close(x[0].H, a[0].T)
    assert x.mT.shape == (2, 4, 3)
    (x.mT * _t(np.arange(24.0).reshape(2, 4, 3))).sum().backward()
    _close(x.grad, np.arange(24.0).reshape(2, 4, 3).swapaxes(-1, -2))
    check_raises(lambda: torch.ones(3).mT, RuntimeError, "tensor.mT is only supported on matrices", "Got 1-D tensor.")
    check_raises(lambda: x.H, RuntimeError, "(2-D tensors). Got 3-D tensor.", "consider using tensor.mH")
    check_raises(lambda: torch.ones(3).H, RuntimeError, "Got 1-D tensor.")


def test_type_as():
    x = torch.tensor([1, 2])
    y = x.type_as(torch.tensor([0.5], dtype=torch.float64))
    assert y.dtype is torch.float64 and y.tolist() == [1.0, 2.0]
    assert x.type_as(torch.tensor([3])) is x


# ---------------------------------------------------------------- elementwise


def test_sgn_positive():
    a = np.array([-2.0, 0.0, 3.5])
    assert torch.sgn(_t(a)).tolist() == [-1.0, 0.0, 1.0] and _t(a).sgn().tolist() == [-1.0, 0.0, 1.0]
    x = _t(a)
    assert x.sgn_() is x and x.tolist() == [-1.0, 0.0, 1.0]
    x = torch.tensor([1, -2])
    assert torch.positive(x) is x and x.positive() is x
    check_raises(lambda: torch.positive(torch.tensor([True])), RuntimeError, "The `+` operator, on a bool tensor")


def test_deg2rad_rad2deg():
    a = RNG.uniform(-400, 400, 7)
    _close(torch.deg2rad(_t(a)), np.deg2rad(a), rtol=1e-12)
    _close(torch.rad2deg(_t(a)), np.rad2deg(a), rtol=1e-12)
    r = torch.deg2rad(torch.tensor([180, 90]))
    assert r.dtype is torch.float32
    _close(r, [math.pi, math.pi / 2])
    x = torch.tensor([180.0])
    assert torch.deg2rad_(x) is x and abs(x.item() - math.pi) < 1e-6
    x.rad2deg_()
    assert abs(x.item() - 180) < 1e-4
    check_raises(lambda: torch.tensor([180]).deg2rad_(), RuntimeError, "result type Float can't be cast")
    assert gradcheck(lambda t: t.deg2rad() + t.rad2deg(), (_t(a, requires_grad=True),))


def test_signbit_reads_the_sign_bit():
    nan = float("nan")
    for dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
        nans = [] if dtype is torch.bfloat16 else [nan, -nan]  # (numpy -> bfloat16 drops a NaN's sign, as torch's)
        values = np.array([-0.0, 0.0, -1.5, 2.0, -math.inf] + nans)
        assert torch.signbit(torch.tensor(values, dtype=dtype)).tolist() == np.signbit(values).tolist()
        assert torch.signbit(torch.tensor(-values, dtype=dtype)).tolist() == np.signbit(-values).tolist()
    assert torch.signbit(torch.tensor([-3, 0, 4])).tolist() == [True, False, False]
    assert torch.signbit(torch.tensor([True, False])).tolist() == [False, False]
    assert torch.tensor([-1.0]).signbit().dtype is torch.bool


def test_heaviside():
    x = torch.tensor([-1.0, 0.0, -0.0, 2.0, float("nan")])
    assert torch.heaviside(x, torch.tensor([0.5])).tolist() == [0.0, 0.5, 0.5, 1.0, 0.0]
    assert x.heaviside(torch.tensor(7.0)).tolist() == [0.0, 7.0, 7.0, 1.0, 0.0]
    assert torch.heaviside(torch.tensor([-3, 0, 3]), torch.tensor([9])).tolist() == [0, 9, 1]
    check_raises(lambda: torch.heaviside(x, torch.tensor([1])), RuntimeError, "different dtypes")


def test_float_power_is_float64():
    a, b = RNG.uniform(0.5, 2, 5), RNG.uniform(-2, 2, 5)
    r = torch.float_power(_t(a, torch.float32), _t(b, torch.float32))
    assert r.dtype is torch.float64
    _close(r, np.float32(a).astype(np.float64) ** np.float32(b).astype(np.float64), rtol=1e-12)
    assert torch.float_power(torch.tensor([1, 2, 3]), 2).tolist() == [1.0, 4.0, 9.0]
    assert torch.float_power(2, torch.tensor([3])).tolist() == [8.0]
    assert torch.tensor([2, 3]).float_power(2).dtype is torch.float64
    x = torch.tensor([3.0], dtype=torch.float64)
    assert x.float_power_(2) is x and x.tolist() == [9.0]
    check_raises(lambda: torch.tensor([1.0]).float_power_(2), RuntimeError,
                 "the base given to float_power_ has dtype Float but the operation's result requires dtype Double")
    assert gradcheck(lambda t, e: torch.float_power(t, e), (_t(a, requires_grad=True), _t(b, requires_grad=True)))


def test_addcmul_addcdiv():
    a, b, c = RNG.standard_normal((3, 4)), RNG.standard_normal((1, 4)), RNG.uniform(0.5, 2, (3, 1))
    _close(torch.addcmul(_t(a), _t(b), _t(c), value=0.5), a + 0.5 * b * c, rtol=1e-12)
    _close(torch.addcdiv(_t(a), _t(b), _t(c), value=-2), a - 2 * b / c, rtol=1e-12)
    _close(_t(a).addcmul(_t(b), _t(c)), a + b * c, rtol=1e-12)
    x = _t(a)
    assert x.addcdiv_(_t(b), _t(c)) is x
    _close(x, a + b / c, rtol=1e-12)
    assert torch.addcmul(torch.tensor([1, 2]), torch.tensor([1, 2]), torch.tensor([1, 2]), value=0.5).tolist() == [1, 2]
    assert torch.addcmul(torch.tensor([1, 2]), torch.tensor([1, 2]), torch.tensor([1, 2]), value=2).tolist() == [3, 10]
    assert torch.addcdiv(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]), torch.tensor([1, 2])).tolist() == [2.0, 3.0]
    check_raises(lambda: torch.addcdiv(torch.tensor([1.0]), torch.tensor([1]), torch.tensor([2])), RuntimeError,
                 "Integer division with addcdiv is no longer supported")
    args = tuple(_t(v, requires_grad=True) for v in (a, b, c))
    assert gradcheck(lambda x, y, z: torch.addcmul(x, y, z, value=0.3), args)
    assert gradcheck(lambda x, y, z: torch.addcdiv(x, y, z, value=0.3), args)


def test_angle():
    r = torch.angle(torch.tensor([1.0, -2.0, 0.0, -0.0, float("nan")]))
    _close(r, [0.0, math.pi, 0.0, 0.0, float("nan")])
    i = torch.tensor([3, -1, 0]).angle()
    assert i.dtype is torch.float32
    _close(i, [0.0, math.pi, 0.0])


def test_ldexp():
    a, e = RNG.standard_normal(6), np.array([-3, 0, 1, 5, 10, -20])
    _close(torch.ldexp(_t(a), torch.tensor(e)), np.ldexp(a, e), rtol=1e-15)
    r = torch.ldexp(torch.tensor([1, 2]), torch.tensor([3]))
    assert r.dtype is torch.float32 and r.tolist() == [8.0, 16.0]
    x = torch.tensor([1.5])
    assert x.ldexp_(torch.tensor([2])) is x and x.tolist() == [6.0]
    assert gradcheck(lambda t: torch.ldexp(t, torch.tensor(e)), (_t(a, requires_grad=True),))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16])
def test_frexp_is_exact(dtype):
    np_dtype = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16}[dtype]
    finfo = np.finfo(np_dtype)
    a = np.concatenate([RNG.standard_normal(20) * 10.0 ** RNG.integers(-3, 4, 20),
                        [0.0, -0.0, 1.0, -3.0, 8.0, finfo.tiny, finfo.tiny / 8, -finfo.tiny / 2 ** (finfo.nmant - 1),
                         finfo.max, -finfo.max, np.inf, -np.inf, np.nan]]).astype(np_dtype)
    m, e = torch.frexp(torch.tensor(a))
    em, ee = np.frexp(a)
    assert m.dtype is dtype and e.dtype is torch.int32
    np.testing.assert_array_equal(m.numpy(), em)
    np.testing.assert_array_equal(np.signbit(m.numpy()), np.signbit(em))
    np.testing.assert_array_equal(e.numpy()[np.isfinite(a)], ee[np.isfinite(a)])
    assert (e.numpy()[~np.isfinite(a)] == 0).all()
    assert torch.tensor(a).frexp().mantissa.dtype is dtype
    check_raises(lambda: torch.frexp(torch.tensor([1])), RuntimeError, "only supports floating-point dtypes")


def test_frexp_gradient_is_two_to_minus_exponent():
    a = RNG.standard_normal(6) * 50
    x = _t(a, requires_grad=True)
    mantissa, exponent = torch.frexp(x)
    assert not exponent.requires_grad
    mantissa.sum().backward()
    _close(x.grad, 2.0 ** -np.frexp(a)[1], rtol=0)
    assert gradcheck(lambda t: torch.frexp(t).mantissa, (_t(a, requires_grad=True),))


def test_frexp_out_reduced_floats_and_node_as_torchs():
    mantissa, exponent = torch.empty(3), torch.empty(3, dtype=torch.int32)
    r = torch.frexp(torch.tensor([1.0, 2.0, 6.0]), out=(mantissa, exponent))
    assert type(r).__name__ == "frexp_out" and r.mantissa is mantissa and r.exponent is exponent
    assert mantissa.tolist() == [0.5, 0.5, 0.75] and exponent.tolist() == [1, 2, 3]
    for dtype in (torch.float16, torch.bfloat16):  # (computed in float32, one node: torch's)
        x = torch.tensor([1.5, -24.0, 0.0], dtype=dtype, requires_grad=True)
        m, e = (x * 1).frexp()
        assert m.dtype is dtype and m.grad_fn.name() == "FrexpBackward0" and e.tolist() == [1, 5, 0]
        m.sum().backward()
        assert x.grad.dtype is dtype and x.grad.tolist() == [0.5, 2.0 ** -5, 1.0]
    # torch's formula, grad / exponent.exp2(), takes exp2 of the int32 exponent in float32: 0 past 2^127, as torch's
    x = torch.tensor([1e300, 3.0], dtype=torch.float64, requires_grad=True)
    torch.frexp(x).mantissa.sum().backward()
    assert x.grad.tolist() == [0.0, 0.25]
    assert torch.frexp(x).mantissa.grad_fn.next_functions[0][0].name().endswith("AccumulateGrad")


def test_gcd_lcm():
    a, b = RNG.integers(-60, 60, 40), RNG.integers(-60, 60, 40)
    a[:3], b[:3] = [0, 0, 7], [0, 5, 0]
    assert torch.gcd(torch.tensor(a), torch.tensor(b)).tolist() == np.gcd(a, b).tolist()
    assert torch.lcm(torch.tensor(a), torch.tensor(b)).tolist() == np.lcm(a, b).tolist()
    x = torch.tensor([[12], [9]], dtype=torch.int32)
    assert torch.gcd(x, torch.tensor([18, 4], dtype=torch.int32)).tolist() == [[6, 4], [9, 1]]
    assert x.gcd_(torch.tensor([[8], [6]], dtype=torch.int32)) is x and x.tolist() == [[4], [3]]
    assert x.lcm(torch.tensor([6], dtype=torch.int32)).tolist() == [[12], [6]]
    check_raises(lambda: torch.gcd(torch.tensor([1.0]), torch.tensor([2.0])), NotImplementedError,
                 "\"gcd_cpu\" not implemented for 'Float'")
    check_raises(lambda: torch.lcm(torch.tensor([True]), torch.tensor([True])), NotImplementedError, "'Bool'")


def test_isin():
    e, t = RNG.integers(0, 10, (3, 4)), RNG.integers(0, 10, 5)
    assert torch.isin(torch.tensor(e), torch.tensor(t)).tolist() == np.isin(e, t).tolist()
    assert torch.isin(torch.tensor(e), torch.tensor(t), invert=True).tolist() == np.isin(e, t, invert=True).tolist()
    assert torch.isin(torch.tensor([1.0, float("nan")]), torch.tensor([float("nan"), 1.0])).tolist() == [True, False]
    assert torch.isin(torch.tensor([1, 2]), torch.tensor([1.5, 2.0])).tolist() == [False, True]
    assert torch.isin(torch.tensor([1, 2, 3]), 2).tolist() == [False, True, False]
    r = torch.isin(2, torch.tensor([1, 2]))
    assert r.shape == () and r.item() is True
    assert torch.isin(torch.tensor([1, 2]), torch.tensor([], dtype=torch.int64)).tolist() == [False, False]
    check_raises(lambda: torch.isin(1, 2), TypeError, "isin()")


def test_logspace():
    _close(torch.logspace(-2, 3, 11), np.logspace(-2, 3, 11), rtol=1e-6)
    _close(torch.logspace(0, 3, 4, base=2), [1, 2, 4, 8])
    r = torch.logspace(0, 3, 3, dtype=torch.int64)
    assert r.dtype is torch.int64 and r.tolist() == [1, 31, 1000]
    assert torch.logspace(0, 2, 3, dtype=torch.float64).dtype is torch.float64
    assert torch.logspace(0, 3, 1).tolist() == [1.0] and torch.logspace(0, 3, 0).shape == (0,)
    assert torch.logspace(0, 1, 2, requires_grad=True).requires_grad
    check_raises(lambda: torch.logspace(0, 3, -1), RuntimeError, "number of steps must be non-negative")


# ---------------------------------------------------------------- integration


def test_trapezoid_and_cumulative():
    y, x = RNG.standard_normal((3, 5)), np.cumsum(RNG.uniform(0.1, 1, 5))
    _close(torch.trapezoid(_t(y)), np.trapezoid(y), rtol=1e-12)
    _close(torch.trapezoid(_t(y), dx=0.5, dim=0), np.trapezoid(y, dx=0.5, axis=0), rtol=1e-12)
    _close(torch.trapezoid(_t(y), _t(x)), np.trapezoid(y, x), rtol=1e-12)
    x2 = np.cumsum(RNG.uniform(0.1, 1, (3, 5)), axis=1)
    _close(torch.trapz(_t(y), _t(x2)), np.trapezoid(y, x2), rtol=1e-12)
    widths = np.diff(x)
    _close(torch.cumulative_trapezoid(_t(y), _t(x)), np.cumsum((y[:, 1:] + y[:, :-1]) / 2 * widths, -1), rtol=1e-12)
    _close(torch.cumulative_trapezoid(_t(y), dim=0), np.cumsum((y[1:] + y[:-1]) / 2, 0), rtol=1e-12)
    r = torch.trapezoid(torch.tensor([1, 2, 3]))
    assert r.dtype is torch.float32 and r.item() == 4.0
    assert torch.trapezoid(torch.ones(2, 0)).tolist() == [0.0, 0.0]
    assert gradcheck(lambda a, b: torch.trapezoid(a, b), (_t(y, requires_grad=True), _t(x, requires_grad=True)))
    assert gradcheck(lambda a: torch.cumulative_trapezoid(a, dx=0.3), (_t(y, requires_grad=True),))
    check_raises(lambda: torch.trapezoid(torch.ones(2, 3), torch.tensor([1.0, 2.0])), RuntimeError,
                 "There must be one `x` value for each sample point")
    check_raises(lambda: torch.trapezoid(torch.ones(3), 2.0), TypeError, "trapezoid()")
    check_raises(lambda: torch.trapezoid(torch.ones(3), torch.ones(3), dx=2), TypeError, "trapezoid()")


# ---------------------------------------------------------------- statistics


def test_histogram():
    a, w = RNG.standard_normal(200), RNG.uniform(0, 2, 200)
    for kwargs, np_kwargs in [({}, {}), ({"range": (-1.0, 2.0)}, {"range": (-1.0, 2.0)}),
                              ({"weight": _t(w)}, {"weights": w}), ({"density": True}, {"density": True})]:
        hist, edges = torch.histogram(_t(a), 7, **kwargs)
        eh, ee = np.histogram(a, 7, **np_kwargs)
        _close(edges, ee, rtol=1e-12)
        _close(hist, eh, rtol=1e-12)
    bins = np.array([-3.0, -1.0, 0.0, 0.5, 3.0])
    r = torch.histogram(_t(a).float(), _t(bins).float())
    _close(r.hist, np.histogram(a.astype(np.float32), bins.astype(np.float32))[0])
    assert r.hist.dtype is torch.float32 and type(r).__name__ == "histogram"
    hist, edges = _t(np.array([1.0, 2.0, 1.0])).histogram(4, range=(0.0, 3.0), weight=_t(np.array([1.0, 2.0, 4.0])))
    assert hist.tolist() == [0.0, 5.0, 2.0, 0.0] and edges.tolist() == [0.0, 0.75, 1.5, 2.25, 3.0]
    check_raises(lambda: torch.histogram(torch.tensor([1, 2]), 3), NotImplementedError, "not implemented for 'Long'")
    check_raises(lambda: torch.histogram(torch.ones(2), torch.ones(3, dtype=torch.float64)), RuntimeError,
                 "same dtype, but got input with dtype float and bins for dimension 0 with dtype double")
    check_raises(lambda: torch.histogram(torch.ones(2), 2, weight=torch.ones(3)), RuntimeError, "the same shape")
    check_raises(lambda: torch.histogram(torch.ones(2), 2, range=(3.0, 1.0)), RuntimeError,
                 "min should not exceed max, but got min 3 max 1 for dimension 0")
    check_raises(lambda: torch.histogram(torch.tensor([1.0, math.inf]), 2), RuntimeError, "[1, inf] is not finite")
    assert torch.histogram(torch.ones(0), 2).bin_edges.tolist() == [0.0, 0.5, 1.0]
    check_raises(lambda: torch.histogram(torch.tensor([1.0]), 0), RuntimeError, "bins must be > 0")


def test_cov_corrcoef():
    x = RNG.standard_normal((3, 6))
    f, aw = RNG.integers(0, 4, 6), RNG.uniform(0.1, 1, 6)
    _close(torch.cov(_t(x)), np.cov(x), rtol=1e-12)
    _close(torch.cov(_t(x), correction=0), np.cov(x, ddof=0), rtol=1e-12)
    _close(torch.cov(_t(x), fweights=torch.tensor(f)), np.cov(x, fweights=f), rtol=1e-12)
    _close(torch.cov(_t(x), aweights=_t(aw)), np.cov(x, aweights=aw), rtol=1e-12)
    _close(torch.cov(_t(x), fweights=torch.tensor(f), aweights=_t(aw), correction=2),
           np.cov(x, fweights=f, aweights=aw, ddof=2), rtol=1e-12)
    v = torch.cov(_t(x[0]))
    assert v.shape == ()
    _close(v, np.cov(x[0]), rtol=1e-12)
    _close(torch.corrcoef(_t(x)), np.corrcoef(x), rtol=1e-12)
    _close(_t(x).corrcoef(), np.corrcoef(x), rtol=1e-12)
    assert torch.cov(torch.tensor([[1, 2, 4]])).dtype is torch.float32
    assert gradcheck(lambda t: torch.cov(t, aweights=_t(aw)), (_t(x, requires_grad=True),))
    assert gradcheck(torch.corrcoef, (_t(x, requires_grad=True),))
    check_raises(lambda: torch.cov(torch.ones(2, 2, 2)), RuntimeError, "two or fewer dimensions")
    check_raises(lambda: torch.cov(_t(x), fweights=_t(aw)), RuntimeError, "fweights to have integral dtype")
    check_raises(lambda: torch.cov(_t(x), aweights=torch.tensor(f)), RuntimeError, "aweights to have floating")
    check_raises(lambda: torch.cov(_t(x), fweights=torch.tensor([1, 2])), RuntimeError, "same numel")
    check_raises(lambda: torch.cov(_t(x), fweights=-torch.tensor(f) - 1), RuntimeError, "fweights cannot be negative")


# ---------------------------------------------------------------- memory formats


def test_memory_formats():
    y = torch.tensor(RNG.standard_normal((2, 3, 4, 5)), requires_grad=True)
    z = y.contiguous(memory_format=torch.channels_last)
    assert z.stride() == (60, 1, 15, 3) and not z.is_contiguous() and z.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(z, y) and not y.is_contiguous(memory_format=torch.channels_last)
    assert z.contiguous(memory_format=torch.channels_last) is z and z.contiguous().stride() == (60, 20, 5, 1)
    assert y.to(memory_format=torch.channels_last).stride() == (60, 1, 15, 3)
    assert z.to(torch.float32, memory_format=torch.contiguous_format).is_contiguous()
    assert z.clone(memory_format=torch.preserve_format).stride() == (60, 1, 15, 3)
    assert z.clone().stride() == z.stride() and torch.clone(y, memory_format=torch.channels_last).stride() == z.stride()
    (z * z).sum().backward()
    _close(y.grad, 2 * y.detach().numpy())
    v = torch.ones(2, 3, 4, 5, 6).contiguous(memory_format=torch.channels_last_3d)
    assert v.stride() == (360, 1, 90, 18, 3) and v.is_contiguous(memory_format=torch.channels_last_3d)
    assert torch.ones(2, 1, 1, 1).is_contiguous(memory_format=torch.channels_last)
    assert not torch.ones(2, 3).is_contiguous(memory_format=torch.channels_last)
    assert repr(torch.channels_last) == "torch.channels_last" and isinstance(torch.preserve_format, torch.memory_format)
    check_raises(lambda: torch.ones(2, 3).contiguous(memory_format=torch.channels_last), RuntimeError,
                 "required rank 4 tensor to use channels_last format")
    check_raises(lambda: torch.ones(2, 3).to(memory_format=torch.channels_last_3d), RuntimeError, "required rank 5")
    m = torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)
    assert m.weight.is_contiguous(memory_format=torch.channels_last) and m.bias.is_contiguous()


def test_memory_format_pickles_as_itself():
    import pickle
    assert pickle.loads(pickle.dumps(torch.channels_last)) is torch.channels_last


# ---------------------------------------------------------------- global settings


def test_default_device():
    assert torch.get_default_device() == torch.device("cpu")
    try:
        torch.set_default_device("cpu")
        assert torch.zeros(2).device == torch.device("cpu") and torch.tensor([1]).device.type == "cpu"
    finally:
        torch.set_default_device(None)
    assert torch.get_default_device() == torch.device("cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_default_device_cuda():
    try:
        torch.set_default_device("cuda")
        assert torch.get_default_device() == torch.device("cuda", 0)
        for t in (torch.zeros(2), torch.arange(3), torch.tensor([1.0]), torch.randn(2), torch.logspace(0, 1, 2)):
            assert t.is_cuda
        assert torch.zeros(2, device="cpu").device.type == "cpu"
    finally:
        torch.set_default_device(None)


def test_deterministic_algorithms():
    assert not torch.are_deterministic_algorithms_enabled()
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
    finally:
        torch.use_deterministic_algorithms(False)
    assert not torch.are_deterministic_algorithms_enabled()
    check_raises(lambda: torch.use_deterministic_algorithms(1), TypeError, "must be bool, not int")


def test_manual_seed_returns_the_default_generator():
    g = torch.manual_seed(7)
    assert g is torch.default_generator and g.initial_seed() == 7 == torch.initial_seed()
    a = torch.rand(3)
    g.manual_seed(7)
    assert torch.equal(a, torch.rand(3))
    state = g.get_state()
    b = torch.randn(4)
    g.set_state(state)
    assert torch.equal(b, torch.randn(4))
    torch.manual_seed(1)
    p = torch.randperm(6, generator=torch.default_generator)
    torch.manual_seed(1)
    assert torch.equal(p, torch.randperm(6, generator=torch.default_generator))
    assert sorted(p.tolist()) == list(range(6))


# ---------------------------------------------------------------- Python callables per element


def test_apply_and_map():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert x.apply_(lambda v: v * 10) is x and x.tolist() == [[10.0, 20.0], [30.0, 40.0]]
    assert x.map_(torch.tensor([1.0, 2.0]), lambda a, b: a - b) is x and x.tolist() == [[9.0, 18.0], [29.0, 38.0]]
    assert torch.tensor([1, 2]).apply_(lambda v: v / 2).tolist() == [0, 1]
    check_raises(lambda: x.map_(torch.tensor([1, 2]), lambda a, b: a), TypeError,
                 "expected torch.FloatTensor for 'other' (got torch.LongTensor)")
    check_raises(lambda: torch.ones(2, requires_grad=True).apply_(abs), RuntimeError, "Use var.detach().apply_()")


# ---------------------------------------------------------------- torch.testing


def _message(fn):
    with pytest.raises(AssertionError) as info:
        fn()
    return str(info.value)


def test_assert_close_passes_and_fails_as_torch():
    torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]))
    torch.testing.assert_close({"a": [torch.tensor(1), 2.0]}, {"a": [torch.tensor(1), 2.0]})
    torch.testing.assert_close(torch.tensor([math.nan]), torch.tensor([math.nan]), equal_nan=True)
    torch.testing.assert_close(torch.ones(2), torch.ones(2, dtype=torch.float64), check_dtype=False)
    torch.testing.assert_close(np.arange(3.0), np.arange(3.0) + 1e-9)
    assert _message(lambda: torch.testing.assert_close(np.zeros(2), np.ones(2))).startswith("Tensor-likes are not")
    assert _message(lambda: torch.testing.assert_close(torch.tensor([1.0, 2, 3]), torch.tensor([1.0, 2.5, 3.1]))) == (
        "Tensor-likes are not close!\n\nMismatched elements: 2 / 3 (66.7%)\n"
        "Greatest absolute difference: 0.5 at index (1,) (up to 1e-05 allowed)\n"
        "Greatest relative difference: 0.20000000298023224 at index (1,) (up to 1.3e-06 allowed)")
    assert _message(lambda: torch.testing.assert_close(torch.tensor([1, 2, 3]), torch.tensor([1, 2, 4]))) == (
        "Tensor-likes are not equal!\n\nMismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 1 at index (2,)\nGreatest relative difference: 0.25 at index (2,)")
    assert _message(lambda: torch.testing.assert_close(torch.tensor([0.0, 2]), torch.tensor([0.0, 0]))).endswith(
        "Greatest relative difference: inf at index (1,) (up to 1.3e-06 allowed)")
    assert _message(lambda: torch.testing.assert_close([torch.tensor(1.0)], [torch.tensor(2.0)])) == (
        "Scalars are not close!\n\nExpected 2.0 but got 1.0.\nAbsolute difference: 1.0 (up to 1e-05 allowed)\n"
        "Relative difference: 0.5 (up to 1.3e-06 allowed)\n\nThe failure occurred for item [0]")
    assert _message(lambda: torch.testing.assert_close(1.0, 1.1)).startswith("Scalars are not close!")
    assert _message(lambda: torch.testing.assert_close(torch.ones(3), torch.ones(2))) == (
        "The values for attribute 'shape' do not match: torch.Size([3]) != torch.Size([2]).")
    assert _message(lambda: torch.testing.assert_close(torch.ones(1), torch.ones(1, dtype=torch.int64))) == (
        "The values for attribute 'dtype' do not match: torch.float32 != torch.int64.")
    assert _message(lambda: torch.testing.assert_close(torch.ones(1), torch.zeros(1), msg="mine")) == "mine"
    assert _message(lambda: torch.testing.assert_close([1, 2], [1, 2, 3])) == (
        "The length of the sequences mismatch: 2 != 3")
    check_raises(lambda: torch.testing.assert_close(torch.ones(1), torch.ones(1), rtol=1e-3), ValueError,
                 "Both 'rtol' and 'atol' must be either specified or omitted, but got no atol.")
    check_raises(lambda: torch.testing.assert_close(torch.ones(1), [1.0]), TypeError, "No comparison pair")


def test_make_tensor():
    t = torch.testing.make_tensor(3, 4, dtype=torch.float32, device="cpu", low=-1, high=2)
    assert t.shape == (3, 4) and t.dtype is torch.float32 and -1 <= t.min().item() and t.max().item() <= 2
    i = torch.testing.make_tensor((50,), dtype=torch.int64, device="cpu", low=0, high=3, exclude_zero=True)
    assert set(i.tolist()) <= {1, 2}
    n = torch.testing.make_tensor(2, 6, dtype=torch.float64, device="cpu", noncontiguous=True, requires_grad=True)
    assert not n.is_contiguous() and n.requires_grad and n.shape == (2, 6)


# ---------------------------------------------------------------- against PyTorch itself, where it is installed

_A = np.array([[-2.5, -0.0, 0.0, 1.0], [3.0, np.nan, -np.inf, 7.25]])
_B = np.array([[1.0, 2.0, -3.0, 0.5], [0.0, 4.0, 2.0, -1.0]])
_I = np.array([[-12, 0, 7, 9], [18, -4, 0, 6]])
_TORCH_CASES = {
    "sgn": lambda lib: lib.sgn(lib.tensor(_A)),
    "deg2rad_int": lambda lib: lib.deg2rad(lib.tensor(_I)),
    "signbit": lambda lib: lib.signbit(lib.tensor(_A, dtype=lib.float32)),
    "heaviside": lambda lib: lib.heaviside(lib.tensor(_A), lib.tensor(_B)),
    "float_power": lambda lib: lib.float_power(lib.tensor(_I), 3),
    "addcmul_int": lambda lib: lib.addcmul(lib.tensor(_I), lib.tensor(_I), lib.tensor(_I), value=2),
    "addcdiv": lambda lib: lib.addcdiv(lib.tensor(_A), lib.tensor(_B), lib.tensor(_B) + 1, value=0.5),
    "angle": lambda lib: lib.angle(lib.tensor(_A)),
    "ldexp": lambda lib: lib.ldexp(lib.tensor(_B, dtype=lib.float32), lib.tensor(_I)),
    "frexp": lambda lib: lib.frexp(lib.tensor(_A)),
    "gcd": lambda lib: lib.gcd(lib.tensor(_I), lib.tensor(_I[::-1].copy())),
    "lcm": lambda lib: lib.lcm(lib.tensor(_I), lib.tensor(_I[::-1].copy())),
    "isin": lambda lib: lib.isin(lib.tensor(_I), lib.tensor([0, 9, 18])),
    "logspace": lambda lib: lib.logspace(-1, 2.5, 8, base=3.0),
    "trapezoid": lambda lib: lib.trapezoid(lib.tensor(_B), lib.tensor([0.0, 1.0, 3.0, 3.5])),
    "cumulative_trapezoid": lambda lib: lib.cumulative_trapezoid(lib.tensor(_B), dim=0),
    "histogram": lambda lib: lib.histogram(lib.tensor(_B.ravel()), 3, weight=lib.tensor(_B.ravel() ** 2)),
    "cov": lambda lib: lib.cov(lib.tensor(_B), fweights=lib.tensor([1, 2, 1, 3]), aweights=lib.tensor([.5, 1, 2, 1])),
    "corrcoef": lambda lib: lib.corrcoef(lib.tensor(_B)),
    "mT": lambda lib: lib.tensor(_B).reshape(2, 2, 2).mT,
}


@pytest.mark.parametrize("case", _TORCH_CASES)
def test_matches_pytorch(case):
    real = pytest.importorskip("torch")
    ours, theirs = _TORCH_CASES[case](torch), _TORCH_CASES[case](real)
    for a, b in zip(ours if isinstance(ours, tuple) else (ours,), theirs if isinstance(theirs, tuple) else (theirs,)):
        assert str(a.dtype) == str(b.dtype) and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_allclose(a.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64),
                                   rtol=1e-6, equal_nan=True)
