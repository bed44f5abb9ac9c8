"""What PyTorch's own docstring examples of torch.special, torch.nn and friends exercise (tests/doc_examples.py):
the special-function kernels (erfcx, i0/i0e/i1/i1e, zeta, gammainc/gammaincc) against float64 series written
here (scipy-free), their gradients, torch's edge values and argument errors; fractional max pooling, LPPool3d,
native_channel_shuffle and SyncBatchNorm on a single CPU process."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext.autograd import gradcheck, gradgradcheck

from oracle import check_raises

D = torch.float64
INF, NAN = math.inf, math.nan


def _t(values, **kw):
    return torch.tensor(values, dtype=D, **kw)


# ---------------------------------------------------------------- float64 references (series, no scipy)
def _bessel_i(nu, x):
    """I_nu(x) = sum_k (x/2)^(2k + nu) / (k! (k + nu)!), summed until the terms vanish."""
    term = (abs(x) / 2) ** nu / math.factorial(nu)
    total, k = term, 0
    while term > 1e-18 * total or k < 2 * abs(x):
        k += 1
        term *= (x / 2) ** 2 / (k * (k + nu))
        total += term
    return total if nu == 0 or x >= 0 else -total


def _zeta(s, q, n=2000):
    """sum_{k<n} (q + k)^-s plus the Euler-Maclaurin tail at q + n (error O(n^(-s-5)))."""
    a = q + n
    tail = a ** (1 - s) / (s - 1) + 0.5 * a ** -s + s * a ** (-s - 1) / 12 - s * (s + 1) * (s + 2) * a ** (-s - 3) / 720
    return math.fsum((q + k) ** -s for k in range(n)) + tail


def _gammainc(a, x):
    """P(a, x) = sum_n x^(a + n) e^-x / Gamma(a + n + 1)."""
    return math.fsum(math.exp((a + n) * math.log(x) - x - math.lgamma(a + n + 1)) for n in range(400))


def _erfcx(x):
    return math.exp(x * x) * math.erfc(x)


def _ref(f, *arrays):
    return np.vectorize(f, otypes=[float])(*arrays)


# ---------------------------------------------------------------- torch.special kernels
X = np.array([-30.0, -19.5, -3.2, -1.0, -0.25, 0.0, 0.3, 1.0, 4.0, 19.9, 20.0, 20.1, 45.0])


@pytest.mark.parametrize("name, nu, scaled", [("i0", 0, False), ("i0e", 0, True), ("i1", 1, False),
                                              ("i1e", 1, True)])
def test_bessel_against_series(name, nu, scaled):
    want = _ref(lambda x: _bessel_i(nu, x) * (math.exp(-abs(x)) if scaled else 1.0), X)
    got = getattr(torch.special, name)(_t(X))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-13, atol=0)
    x32 = X[2:-2].astype(np.float32)
    got32 = getattr(torch.special, name)(torch.from_numpy(x32))
    assert got32.dtype == torch.float32
    want32 = _ref(lambda x: _bessel_i(nu, x) * (math.exp(-abs(x)) if scaled else 1.0), x32.astype(np.float64))
    np.testing.assert_allclose(got32.numpy(), want32, rtol=1.2e-7, atol=0)


def test_bessel_edges_and_dtypes_as_torch():
    x = _t([-INF, 0.0, 709.0, 712.0, INF, NAN])
    np.testing.assert_array_equal(torch.special.i0(x).isnan().numpy(), [True, False, False, False, True, True])
    assert torch.special.i0(x)[3].item() == INF and torch.special.i1(x)[3].item() == INF
    np.testing.assert_array_equal(torch.special.i0e(x)[[0, 4]].numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(torch.special.i1e(x)[[0, 1, 4]].numpy(), [0.0, 0.0, 0.0])
    assert torch.i0(torch.arange(3)).dtype == torch.float32  # integers compute in the default float dtype
    assert torch.special.i1e(torch.tensor([True])).dtype == torch.float32
    np.testing.assert_allclose(torch.i0(torch.arange(5, dtype=torch.float32)).numpy(),
                               [1.0, 1.2661, 2.2796, 4.8808, 11.3019], atol=1e-4)  # torch's docstring
    assert torch.special.i0 is not None and torch.Tensor.i0(_t([1.0])).item() == pytest.approx(_bessel_i(0, 1.0))
    y = _t([1.0, 2.0])
    y.i0_()
    np.testing.assert_allclose(y.numpy(), [_bessel_i(0, 1.0), _bessel_i(0, 2.0)], rtol=1e-14)


def test_erfcx_against_erfc_and_the_asymptotic_series():
    x = np.array([-26.0, -5.0, -1.0, 0.0, 0.5, 1.0, 3.0, 10.0])
    np.testing.assert_allclose(torch.special.erfcx(_t(x)).numpy(), _ref(_erfcx, x), rtol=1e-13)
    big = np.array([26.0, 30.0, 1e3, 1e30])
    asym = _ref(lambda v: math.fsum((-1) ** k * math.prod(range(1, 2 * k, 2)) * (0.5 / v / v) ** k for k in range(15))
                / (v * math.sqrt(math.pi)), big)  # 1/(x sqrt(pi)) sum_k (-1)^k (2k - 1)!! / (2x^2)^k
    np.testing.assert_allclose(torch.special.erfcx(_t(big)).numpy(), asym, rtol=1e-14)
    np.testing.assert_array_equal(torch.special.erfcx(_t([-INF, -27.0, INF])).numpy(), [INF, INF, 0.0])
    np.testing.assert_allclose(torch.special.erfcx(torch.tensor([0, -1.0, 10.0])).numpy(), [1.0, 5.0090, 0.0561],
                               atol=1e-4)  # torch's docstring


def test_zeta_against_the_sum():
    s, q = np.array([1.5, 2.0, 3.0, 4.5, 2.0, 7.0]), np.array([0.3, 1.0, 2.0, 0.7, 12.5, 3.0])
    np.testing.assert_allclose(torch.special.zeta(_t(s), _t(q)).numpy(), _ref(_zeta, s, q), rtol=1e-12)
    np.testing.assert_allclose(torch.special.zeta(2, _t([1.0, 2.0])).numpy(), [math.pi ** 2 / 6, math.pi ** 2 / 6 - 1],
                               rtol=1e-14)  # a number first, as torch's docstring
    np.testing.assert_allclose(torch.special.zeta(_t([2.0, 4.0]), 1).numpy(), [math.pi ** 2 / 6, math.pi ** 4 / 90],
                               rtol=1e-14)
    edges = torch.special.zeta(_t([1.0, 0.5, 2.0, 2.0, 2.5, NAN]), _t([1.0, 1.0, -1.0, INF, -1.5, 1.0]))
    np.testing.assert_array_equal(edges.numpy(), [INF, NAN, INF, NAN, NAN, NAN])
    assert torch.special.zeta(torch.tensor([2, 3]), torch.tensor([1, 2])).dtype == torch.float32


def test_gammainc_and_gammaincc_against_the_series():
    a, x = np.array([0.5, 1.0, 2.5, 7.0, 3.0, 0.2]), np.array([0.1, 1.0, 4.0, 3.0, 9.0, 2.0])
    p = _ref(_gammainc, a, x)
    np.testing.assert_allclose(torch.special.gammainc(_t(a), _t(x)).numpy(), p, rtol=1e-12)
    np.testing.assert_allclose(torch.special.gammaincc(_t(a), _t(x)).numpy(), 1 - p, rtol=1e-10)
    np.testing.assert_allclose(torch.special.gammainc(_t([1.0]), _t([2.0])).numpy(), [1 - math.exp(-2)], rtol=1e-15)
    np.testing.assert_allclose(torch.special.gammaincc(_t([0.5]), _t([30.0])).numpy(), [math.erfc(math.sqrt(30))],
                               rtol=1e-12)  # the far upper tail, not 1 - P
    a_e, x_e = _t([0.0, 0.0, 1.0, INF, INF, 1.0, 2.0, -1.0, NAN]), _t([1.0, 0.0, 0.0, 1.0, INF, INF, -1.0, 1.0, 1.0])
    np.testing.assert_array_equal(torch.special.gammainc(a_e, x_e).numpy(), [1, NAN, 0, 0, NAN, 1, NAN, NAN, NAN])
    np.testing.assert_array_equal(torch.special.gammaincc(a_e, x_e).numpy(), [0, NAN, 1, 1, NAN, 0, NAN, NAN, NAN])
    assert torch.igamma(_t([1.0]), _t([2.0])).item() == torch.special.gammainc(_t([1.0]), _t([2.0])).item()


def test_special_gradients():
    x = _t([-2.5, -0.4, 0.7, 3.0], requires_grad=True)
    for name in ("erfcx", "i0", "i0e", "i1", "i1e"):
        fn = getattr(torch.special, name)
        assert gradcheck(fn, [x]) and gradgradcheck(fn, [x]), name
    (g,) = torch.autograd.grad(torch.special.i0(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), _ref(lambda v: _bessel_i(1, v), x.detach().numpy()), rtol=1e-13)
    z = _t([0.0], requires_grad=True)
    torch.special.i1(z).backward()
    torch.special.i1e(z).backward()
    assert z.grad.item() == 1.0  # 0.5 each at 0, as torch's
    s, q = _t([2.0, 3.5]), _t([0.5, 2.0], requires_grad=True)
    assert gradcheck(lambda b: torch.special.zeta(s, b), [q])
    (g,) = torch.autograd.grad(torch.special.zeta(s, q).sum(), q)
    np.testing.assert_allclose(g.numpy(), [-2 * _zeta(3.0, 0.5), -3.5 * _zeta(4.5, 2.0)], rtol=1e-12)
    a, xs = _t([0.5, 2.5]), _t([0.3, 4.0], requires_grad=True)
    for fn, sign in ((torch.special.gammainc, 1), (torch.special.gammaincc, -1)):
        assert gradcheck(lambda b, fn=fn: fn(a, b), [xs]) and gradgradcheck(lambda b, fn=fn: fn(a, b), [xs])
        (g,) = torch.autograd.grad(fn(a, xs).sum(), xs)
        want = [sign * v ** (k - 1) * math.exp(-v - math.lgamma(k)) for k, v in zip((0.5, 2.5), (0.3, 4.0))]
        np.testing.assert_allclose(g.numpy(), want, rtol=1e-13)


def test_special_errors_as_torch():
    a = _t([1.0, 2.0], requires_grad=True)
    check_raises(lambda: torch.special.gammainc(a, _t([1.0, 2.0])).sum().backward(), NotImplementedError,
                 "igamma: input")
    check_raises(lambda: torch.special.zeta(a, _t([1.0, 2.0])).sum().backward(), NotImplementedError, "zeta")
    check_raises(lambda: torch.special.gammainc(torch.tensor([1, 2]), torch.tensor([1, 2])), NotImplementedError)
    check_raises(lambda: torch.special.gammainc(_t([1.0]), 2.0), TypeError, "other", "Tensor")
    check_raises(lambda: torch.special.i0e(1.0), TypeError, "input", "Tensor")
    check_raises(lambda: torch.special.zeta(1.0, 2.0), TypeError, "zeta")
    check_raises(lambda: torch.xlogy(2, 3), TypeError)


def test_xlogy_takes_a_number_first():
    y = _t([3.0, 2.0, 1.0], requires_grad=True)
    want = [2 * math.log(3.0), 2 * math.log(2.0), 0.0]
    np.testing.assert_allclose(torch.special.xlogy(2, y).detach().numpy(), want, rtol=1e-15)
    np.testing.assert_allclose(torch.xlogy(2, y).detach().numpy(), want, rtol=1e-15)
    torch.special.xlogy(2, y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [2 / 3, 1.0, 2.0], rtol=1e-15)
    out = torch.empty(3, dtype=D)
    torch.special.xlogy(_t([1.0, 0.0, 2.0]), 2, out=out)
    np.testing.assert_allclose(out.numpy(), [math.log(2), 0.0, 2 * math.log(2)], rtol=1e-15)


# ---------------------------------------------------------------- fractional max pooling
def _starts(u, size, out, k, dtype):
    """torch's window starts: trunc((i + u) alpha) - trunc(u alpha), alpha = (size - k) / (out - 1), in dtype."""
    if out == 1:
        return [size - k]
    u, alpha = dtype(u), dtype(size - k) / dtype(out - 1)
    return [int(dtype(dtype(i) + u) * alpha) - int(u * alpha) for i in range(out - 1)] + [size - k]


def _fractional_reference(x, kernel, out, samples, order):
    """(values, flat indices) by loops over each plane's windows (first maximum)."""
    n, c, *spatial = x.shape
    dims = len(spatial)
    values, indices = np.zeros((n, c, *out)), np.zeros((n, c, *out), dtype=np.int64)
    for b in range(n):
        for ch in range(c):
            starts = [_starts(samples[b, ch, order[d]], spatial[d], out[d], kernel[d], x.dtype.type)
                      for d in range(dims)]
            for o in np.ndindex(*out):
                window = tuple(slice(starts[d][o[d]], starts[d][o[d]] + kernel[d]) for d in range(dims))
                block = x[b, ch][window]
                at = np.unravel_index(int(np.argmax(block)), block.shape)
                pos = tuple(starts[d][o[d]] + at[d] for d in range(dims))
                values[b, ch][o], indices[b, ch][o] = block[at], np.ravel_multi_index(pos, spatial)
    return values, indices


@pytest.mark.parametrize("dims, shape, kernel, out, dtype", [
    (2, (2, 3, 11, 9), (3, 2), (4, 5), np.float32), (2, (2, 3, 11, 9), 2, (9, 7), np.float64),
    (2, (3, 7, 8), 3, (4, 5), np.float32), (3, (2, 2, 7, 8, 9), (2, 3, 2), (3, 4, 5), np.float64)])
def test_fractional_max_pool_against_loops(dims, shape, kernel, out, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(dtype)
    batched = len(shape) == dims + 2
    samples = rng.random((shape[0] if batched else 1, shape[-dims - 1], dims)).astype(dtype)
    k, o = (kernel,) * dims if isinstance(kernel, int) else kernel, (out,) * dims if isinstance(out, int) else out
    pool = getattr(torch.nn.functional, f"fractional_max_pool{dims}d")
    got, idx = pool(torch.from_numpy(x), kernel, output_size=out, return_indices=True,
                    _random_samples=torch.from_numpy(samples))
    want, want_idx = _fractional_reference(x if batched else x[None], k, o, samples, (1, 0) if dims == 2 else (0, 1, 2))
    if not batched:
        want, want_idx = want[0], want_idx[0]
    np.testing.assert_array_equal(got.numpy(), want.astype(dtype))
    np.testing.assert_array_equal(idx.numpy(), want_idx)
    assert idx.dtype == torch.int64
    with_indices = getattr(torch.nn.functional, f"fractional_max_pool{dims}d_with_indices")
    np.testing.assert_array_equal(with_indices(torch.from_numpy(x), kernel, out,
                                               _random_samples=torch.from_numpy(samples))[1].numpy(), want_idx)


def test_fractional_max_pool_gradient_and_modules():
    rng = np.random.default_rng(4)
    x = torch.tensor(rng.standard_normal((2, 2, 7, 6)), requires_grad=True)
    samples = torch.tensor(rng.random((2, 2, 2)))
    assert gradcheck(lambda t: torch.nn.functional.fractional_max_pool2d(t, 2, (4, 3), _random_samples=samples), [x])
    out, idx = torch.nn.functional.fractional_max_pool2d(x, 2, (4, 3), return_indices=True, _random_samples=samples)
    out.sum().backward()  # each pooled value's gradient lands at its index
    want = np.zeros((2, 2, 42))
    for b, ch in np.ndindex(2, 2):
        np.add.at(want[b, ch], idx[b, ch].numpy().ravel(), 1.0)
    np.testing.assert_array_equal(x.grad.numpy().reshape(2, 2, 42), want)
    m = torch.nn.FractionalMaxPool2d(3, output_ratio=(0.5, 0.5), _random_samples=samples.float())
    assert m.output_ratio == (0.5, 0.5) and m.kernel_size == (3, 3) and repr(m) == "FractionalMaxPool2d()"
    assert tuple(m(torch.randn(2, 2, 10, 8)).shape) == (2, 2, 5, 4)
    assert "_random_samples" in dict(m.named_buffers())
    m3 = torch.nn.FractionalMaxPool3d(2, output_size=(3, 2, 2), return_indices=True)
    y, i3 = m3(torch.randn(1, 2, 5, 4, 4))
    assert tuple(y.shape) == (1, 2, 3, 2, 2) and tuple(i3.shape) == (1, 2, 3, 2, 2)
    assert tuple(torch.nn.functional.fractional_max_pool2d(torch.randn(2, 3, 10, 9), 2, output_ratio=(0.5, 0.7))
                 .shape) == (2, 3, 5, 6)


def test_fractional_max_pool_errors_as_torch():
    F, x = torch.nn.functional, torch.randn(2, 3, 10, 9)
    check_raises(lambda: F.fractional_max_pool2d(x, 3), ValueError, "output_size or an output_ratio")
    check_raises(lambda: F.fractional_max_pool2d(x, 3, output_size=(9, 8)), RuntimeError, "pool height 3 too large",
                 "input height 10")
    check_raises(lambda: F.fractional_max_pool3d(torch.randn(2, 3, 5, 5, 5), 2, output_size=(5, 4, 4)), RuntimeError,
                 "pool time 2 too large")
    check_raises(lambda: F.fractional_max_pool2d(x, 3, 4, _random_samples=torch.rand(2, 3, 3)), RuntimeError,
                 "_random_samples.size(2) equals to 2")
    check_raises(lambda: F.fractional_max_pool2d(x, 3, 4, _random_samples=torch.rand(1, 3, 2)), RuntimeError,
                 "no less then input batch size")
    check_raises(lambda: F.fractional_max_pool2d(x, 3, 4, _random_samples=torch.rand(2, 3, 2, dtype=D)),
                 RuntimeError, "same dtype as input")
    check_raises(lambda: F.fractional_max_pool2d(x.long(), 3, output_size=4), NotImplementedError)
    check_raises(lambda: F.fractional_max_pool2d(x, 3, output_ratio=0.5), TypeError)
    check_raises(lambda: torch.nn.FractionalMaxPool2d(3), ValueError, "output size, or a pooling ratio")
    check_raises(lambda: torch.nn.FractionalMaxPool2d(3, output_size=4, output_ratio=0.5), ValueError, "only one")
    check_raises(lambda: torch.nn.FractionalMaxPool2d(3, output_ratio=1.5), ValueError, "between 0 and 1")


# ---------------------------------------------------------------- LPPool3d, native_channel_shuffle, SyncBatchNorm
def test_lp_pool3d_against_the_window_norm():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.1, 2.0, (2, 3, 5, 6, 4))
    got = torch.nn.LPPool3d(2, (2, 3, 2), stride=(1, 3, 2))(torch.tensor(x))
    want = np.zeros((2, 3, 4, 2, 2))
    for i, j, k in np.ndindex(4, 2, 2):
        win = x[:, :, i:i + 2, 3 * j:3 * j + 3, 2 * k:2 * k + 2]
        want[:, :, i, j, k] = np.sqrt((win ** 2).sum(axis=(2, 3, 4)))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    assert repr(torch.nn.LPPool3d(2, 3, stride=2)) == "LPPool3d(norm_type=2, kernel_size=3, stride=2, ceil_mode=False)"
    xt = torch.tensor(x, requires_grad=True)
    assert gradcheck(lambda t: torch.nn.functional.lp_pool3d(t, 3, 2), [xt])


def test_native_channel_shuffle():
    x = torch.arange(8.0).reshape(1, 4, 2, 1)
    np.testing.assert_array_equal(torch.nn.functional.native_channel_shuffle(x, 2).flatten().numpy(),
                                  [0, 1, 4, 5, 2, 3, 6, 7])
    check_raises(lambda: torch.nn.functional.native_channel_shuffle(torch.ones(1, 3, 2), 2), RuntimeError,
                 "divisible by groups")


def test_sync_batch_norm_on_one_process_is_batch_norm():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 5))
    m = torch.nn.SyncBatchNorm(3)
    assert m.process_group is None
    assert repr(m) == "SyncBatchNorm(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    y = m(torch.tensor(x, dtype=torch.float32)).detach().numpy()
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(m.running_mean.numpy(), 0.1 * mean.ravel(), rtol=1e-5, atol=1e-7)
    assert m.num_batches_tracked.item() == 1
    y4 = torch.nn.SyncBatchNorm(3)(torch.randn(2, 3, 4, 4, 2))  # any (N, C, *) input
    assert tuple(y4.shape) == (2, 3, 4, 4, 2)
    check_raises(lambda: m(torch.randn(3)), ValueError, "expected at least 2D input (got 1D input)")
    check_raises(lambda: m(torch.randn(2, 0, 3)), ValueError, "non-zero")


def test_convert_sync_batchnorm_shares_parameters_and_buffers():
    nn = torch.nn
    net = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4, momentum=0.2), nn.Sequential(nn.BatchNorm1d(3,
                                                                                                        affine=False)))
    net[1].running_mean.fill_(2.0)
    net.eval()
    out = nn.SyncBatchNorm.convert_sync_batchnorm(net, process_group=None)
    assert type(out[1]) is nn.SyncBatchNorm and type(out[2][0]) is nn.SyncBatchNorm and type(out[0]) is nn.Conv2d
    assert out[1].weight is net[1].weight and out[1].running_mean is net[1].running_mean
    assert out[1].momentum == 0.2 and not out[1].training and out[2][0].weight is None
    assert "affine=False, bias=False" in repr(out[2][0])
    assert type(nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(3))) is nn.SyncBatchNorm


# ---------------------------------------------------------------- small differences the examples showed
def test_max_pool2d_of_a_non_tensor_raises_type_error():
    check_raises(lambda: torch.nn.MaxPool2d(2, return_indices=True)(input), TypeError,
                 "max_pool2d_with_indices(): argument 'input' (position 1) must be Tensor, not builtin_function")
    check_raises(lambda: torch.nn.functional.max_pool2d([1.0], 2), TypeError, "max_pool2d(): argument 'input'")


def test_layer_norm_node_is_named_as_torch():
    x = torch.randn(2, 3, 4, requires_grad=True)
    assert torch.nn.LayerNorm(4)(x).grad_fn.name() == "NativeLayerNormBackward0"
    assert torch.nn.functional.layer_norm(x, (4,)).grad_fn.name() == "NativeLayerNormBackward0"


def test_embedding_bag_node_is_named_as_torch():
    bag = torch.nn.EmbeddingBag(10, 3, mode="sum")
    for mode in ("sum", "mean", "max"):
        out = torch.nn.functional.embedding_bag(torch.tensor([1, 2, 4, 5]), bag.weight, torch.tensor([0, 2]),
                                                mode=mode)
        assert out.grad_fn.name() == "EmbeddingBagBackward0", mode


def test_skip_init_leaves_the_random_state_alone():
    torch.manual_seed(0)
    want = torch.rand(3)
    torch.manual_seed(0)
    m = torch.nn.utils.skip_init(torch.nn.Linear, 5, 1)
    assert type(m) is torch.nn.Linear and tuple(m.weight.shape) == (1, 5) and m.weight.requires_grad
    np.testing.assert_array_equal(torch.rand(3).numpy(), want.numpy())

    class NoDevice(torch.nn.Module):
        pass
    check_raises(lambda: torch.nn.utils.skip_init(NoDevice), RuntimeError, "'device' arg")
    check_raises(lambda: torch.nn.utils.skip_init(int), RuntimeError, "Expected a Module")


def test_func_linearize_and_the_vjp_structure_message():
    x = _t([0.0, 0.5, 1.0])
    out, jvp_fn = torch.func.linearize(lambda v: v.sin() * v, x)
    np.testing.assert_allclose(out.numpy(), np.sin(x.numpy()) * x.numpy(), rtol=1e-15)
    t = _t([1.0, 2.0, -1.0])
    v = x.numpy()
    np.testing.assert_allclose(jvp_fn(t).numpy(), (np.cos(v) * v + np.sin(v)) * t.numpy(), rtol=1e-14)
    _, vjp_fn = torch.func.vjp(lambda v: {"first": v.sin(), "second": v.cos()}, x)
    check_raises(lambda: vjp_fn(torch.ones(3)), RuntimeError,
                 "cotangents: *, primal output: {'first': *, 'second': *}")


# ---------------------------------------------------------------- optim.Muon
def _newton_schulz(u, steps=5, coefficients=(3.4445, -4.775, 2.0315), eps=1e-7):
    a, b, c = coefficients
    x = u.T if u.shape[0] > u.shape[1] else u
    x = x / max(np.linalg.norm(x), eps)
    for _ in range(steps):
        g = x @ x.T
        x = a * x + (b * g + c * g @ g) @ x
    return x.T if u.shape[0] > u.shape[1] else x


def test_muon_steps_against_the_float64_formula():
    rng = np.random.default_rng(7)
    w0, grads = rng.standard_normal((6, 4)), [rng.standard_normal((6, 4)) for _ in range(3)]
    for nesterov, adjust, ratio in ((True, None, math.sqrt(1.5)), (False, "match_rms_adamw", 0.2 * math.sqrt(6))):
        w = torch.nn.Parameter(torch.tensor(w0, dtype=torch.float32))
        opt = torch.optim.Muon([w], lr=0.02, momentum=0.9, nesterov=nesterov, adjust_lr_fn=adjust)
        want, buf = w0.copy(), np.zeros_like(w0)
        for g in grads:
            w.grad = torch.tensor(g, dtype=torch.float32)
            opt.step()
            buf += 0.1 * (g - buf)
            update = g + 0.9 * (buf - g) if nesterov else buf
            want = want * (1 - 0.02 * 0.1) - 0.02 * ratio * _newton_schulz(update)
        # (the iteration runs in bfloat16, as torch's: a few of its units in the last place)
        np.testing.assert_allclose(w.detach().numpy(), want, atol=3e-3)
        np.testing.assert_allclose(opt.state[w]["momentum_buffer"].numpy(), buf, rtol=1e-5, atol=1e-6)


def test_muon_arguments_as_torch():
    w = torch.nn.Parameter(torch.zeros(3, 2))
    check_raises(lambda: torch.optim.Muon([torch.nn.Parameter(torch.zeros(3))]), ValueError, "only supports 2D")
    check_raises(lambda: torch.optim.Muon([w], lr=-1.0), ValueError, "Learning rate should be >= 0")
    check_raises(lambda: torch.optim.Muon([w], momentum=-1.0), ValueError, "momentum should be >= 0")
    check_raises(lambda: torch.optim.Muon([w], weight_decay=-1.0), ValueError, "weight decay should be >= 0")
    check_raises(lambda: torch.optim.Muon([w], adjust_lr_fn="x"), ValueError, "Adjust learning rate function x")
    opt = torch.optim.Muon([w], ns_steps=100)
    w.grad = torch.ones(3, 2)
    check_raises(opt.step, ValueError, "less than 100")
    assert opt.defaults["ns_coefficients"] == (3.4445, -4.775, 2.0315) and opt.defaults["weight_decay"] == 0.1


# ---------------------------------------------------------------- distributions.Independent, MultivariateNormal
def test_multivariate_normal_against_the_density():
    rng = np.random.default_rng(8)
    a = rng.standard_normal((2, 3, 3))
    cov = a @ a.transpose(0, 2, 1) + np.eye(3)
    loc, x = rng.standard_normal((2, 3)), rng.standard_normal((4, 2, 3))
    d = x - loc
    maha = np.einsum("sbi,bij,sbj->sb", d, np.linalg.inv(cov), d)
    logdet = np.linalg.slogdet(cov)[1]
    want = -0.5 * (3 * math.log(2 * math.pi) + maha) - 0.5 * logdet
    MVN = torch.distributions.MultivariateNormal
    for kw in ({"covariance_matrix": _t(cov)}, {"precision_matrix": _t(np.linalg.inv(cov))},
               {"scale_tril": _t(np.linalg.cholesky(cov))}):
        dist = MVN(_t(loc), **kw)
        assert tuple(dist.batch_shape) == (2,) and tuple(dist.event_shape) == (3,)
        np.testing.assert_allclose(dist.log_prob(_t(x)).numpy(), want, rtol=1e-10)
        np.testing.assert_allclose(dist.entropy().numpy(), 0.5 * 3 * (1 + math.log(2 * math.pi)) + 0.5 * logdet,
                                   rtol=1e-12)
        np.testing.assert_allclose(dist.covariance_matrix.numpy(), cov, rtol=1e-10)
        np.testing.assert_allclose(dist.precision_matrix.numpy(), np.linalg.inv(cov), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(dist.scale_tril.numpy(), np.linalg.cholesky(cov), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dist.variance.numpy(), np.diagonal(cov, axis1=1, axis2=2), rtol=1e-10)
    mu = _t(loc, requires_grad=True)
    MVN(mu, covariance_matrix=_t(cov)).log_prob(_t(x)).sum().backward()
    np.testing.assert_allclose(mu.grad.numpy(), np.einsum("bij,sbj->bi", np.linalg.inv(cov), d), rtol=1e-10)
    s = MVN(torch.zeros(3), scale_tril=torch.diag(torch.ones(3))).rsample((5,))
    assert tuple(s.shape) == (5, 3)


def test_independent_sums_the_reinterpreted_dims():
    loc, scale = _t([[0.0, 1.0, -1.0], [2.0, 0.5, 0.0]]), _t([[1.0, 2.0, 0.5], [1.5, 1.0, 3.0]])
    normal = torch.distributions.Normal(loc, scale)
    diag = torch.distributions.Independent(normal, 1)
    assert tuple(diag.batch_shape) == (2,) and tuple(diag.event_shape) == (3,)
    x = _t([[0.3, -0.2, 1.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(diag.log_prob(x).numpy(), normal.log_prob(x).numpy().sum(-1), rtol=1e-14)
    np.testing.assert_allclose(diag.entropy().numpy(), normal.entropy().numpy().sum(-1), rtol=1e-14)
    both = torch.distributions.Independent(normal, 2)
    assert tuple(both.batch_shape) == () and both.log_prob(x).dim() == 0
    assert repr(diag) == "Independent(Normal(loc: torch.Size([2, 3]), scale: torch.Size([2, 3])), 1)"
    assert repr(diag.support) == "IndependentConstraint(Real(), 1)" and diag.has_rsample
    check_raises(lambda: torch.distributions.Independent(normal, 3), ValueError, "actual 3 vs 2")


def test_multivariate_normal_errors_as_torch():
    MVN, loc = torch.distributions.MultivariateNormal, torch.zeros(3)
    check_raises(lambda: MVN(loc), ValueError, "Exactly one of covariance_matrix")
    check_raises(lambda: MVN(loc, torch.eye(3), scale_tril=torch.eye(3)), ValueError, "Exactly one")
    check_raises(lambda: MVN(torch.tensor(1.0), torch.eye(1)), ValueError, "loc must be at least one-dimensional")
    check_raises(lambda: MVN(loc, scale_tril=torch.ones(3)), ValueError, "scale_tril matrix must be at least two")
    check_raises(lambda: MVN(loc, scale_tril=torch.ones(3, 3)), ValueError, "scale_tril", "LowerCholesky()")
    check_raises(lambda: MVN(loc, covariance_matrix=-torch.eye(3)), ValueError, "PositiveDefinite()")


# ---------------------------------------------------------------- LinearCrossEntropyLoss
def test_linear_cross_entropy_against_log_softmax():
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((3, 6)), rng.standard_normal((5, 2, 6)), rng.standard_normal((5, 2))
    target = rng.integers(0, 5, (3, 2))
    logits = np.einsum("ni,cki->nck", x, w) + b
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    want = -np.take_along_axis(logp, target[:, None], 1)[:, 0]
    F = torch.nn.functional
    got = F.linear_cross_entropy(_t(x), _t(w), torch.tensor(target), linear_bias=_t(b), reduction="none")
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    probs = rng.random((3, 5, 2))
    np.testing.assert_allclose(F.linear_cross_entropy(_t(x), _t(w), _t(probs), linear_bias=_t(b)).item(),
                               -(probs * logp).sum(1).mean(), rtol=1e-12)
    xt, wt = _t(x, requires_grad=True), _t(w, requires_grad=True)
    assert gradcheck(lambda a, c: F.linear_cross_entropy(a, c, torch.tensor(target), label_smoothing=0.1), [xt, wt])
    loss = torch.nn.LinearCrossEntropyLoss(6, 5, out_features=(2,), bias=True, dtype=D)
    with torch.no_grad():
        loss.linear.weight.copy_(_t(w.reshape(10, 6)))
        loss.linear.bias.copy_(_t(b.reshape(10)))
    np.testing.assert_allclose(loss(_t(x), torch.tensor(target)).item(), want.mean(), rtol=1e-12)
    assert "in_features=6, num_classes=5, out_features=(2,), bias=True, reduction=mean" in repr(loss)


def test_linear_cross_entropy_errors_as_torch():
    F, w = torch.nn.functional, torch.randn(5, 2, 6)
    check_raises(lambda: F.linear_cross_entropy(torch.randn(2, 3, 6), w, torch.zeros(2)), RuntimeError,
                 "dimensionality 1 or 2, got 3")
    check_raises(lambda: F.linear_cross_entropy(torch.randn(3, 4), w, torch.zeros(3)), RuntimeError,
                 "got 4 and 6, respectively")
    check_raises(lambda: F.linear_cross_entropy(torch.randn(6), w, torch.zeros(2)), RuntimeError,
                 "requires batched input")
    check_raises(lambda: F.linear_cross_entropy(torch.randn(3, 6), w, torch.zeros(3, 2).long(),
                                                linear_bias=torch.zeros(5)), RuntimeError, "linear_bias shape (5, 2)")
    check_raises(lambda: F.linear_cross_entropy(torch.randn(3, 6), w, torch.rand(3, 5, 2), ignore_index=1),
                 RuntimeError, "ignore_index cannot be specified")
    check_raises(lambda: torch.nn.LinearCrossEntropyLoss(6, 5, weight=torch.ones(4)), RuntimeError,
                 "expected weight shape to be (5,)")
    check_raises(lambda: torch.nn.LinearCrossEntropyLoss(6, 5, label_smoothing=2.0), RuntimeError, "[0, 1]")


# ---------------------------------------------------------------- func.rearrange, autograd.enforce_grad_layout_policy
def test_rearrange_against_numpy():
    x = np.arange(4 * 6 * 8 * 3, dtype=np.float64).reshape(4, 6, 8, 3)
    r = torch.func.rearrange
    t = torch.from_numpy(x.copy())
    np.testing.assert_array_equal(r(t, "b h w c -> (b h) w c").numpy(), x.reshape(24, 8, 3))
    np.testing.assert_array_equal(r(t, "b h w c -> b c h w").numpy(), x.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(r(t, "b h w c -> h (b w) c").numpy(), x.transpose(1, 0, 2, 3).reshape(6, 32, 3))
    want = x.reshape(4, 3, 2, 4, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(4, 3, 4, 12)  # space-to-depth
    np.testing.assert_array_equal(r(t, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2).numpy(), want)
    np.testing.assert_array_equal(r(t, "b ... c -> c (...) b").numpy(), x.transpose(3, 1, 2, 0).reshape(3, 48, 4))
    assert tuple(r(t, "b h w c -> b h w () c 1").shape) == (4, 6, 8, 1, 3, 1)
    assert tuple(r([torch.ones(2, 3)] * 4, "b h w -> h (b w)").shape) == (2, 12)  # a list is stacked first
    g = torch.tensor(x, requires_grad=True)
    r(g, "b h w c -> c (b h w)").sum().backward()
    assert (g.grad == 1).all()
    check_raises(lambda: r(t, "b h w c -> b h w"), ValueError, "Identifiers only on one side", "'c'")
    check_raises(lambda: r(t, "b (h h1) w c -> b (h h1) w c", h1=5), ValueError, "divide axis of length 6")
    check_raises(lambda: r(t, "b h w -> b h w"), ValueError, "expected 3 dims")
    check_raises(lambda: r(t, "(b ...) c -> b c"), ValueError, "Ellipsis inside parenthesis")


def test_enforce_grad_layout_policy():
    p, w = torch.zeros(3, 4, requires_grad=True), torch.arange(12.0).reshape(4, 3)
    with torch.autograd.enforce_grad_layout_policy(False):
        (p.t() * w).sum().backward()  # the incoming gradient is a transposed view of a fresh tensor: kept as is
    assert not p.grad.is_contiguous()
    np.testing.assert_array_equal(p.grad.numpy(), w.numpy().T)
    p.grad = None
    (p.t() * w).sum().backward()  # enforced again after the block: a contiguous copy
    assert p.grad.is_contiguous()
    np.testing.assert_array_equal(p.grad.numpy(), w.numpy().T)
    policy = torch.autograd.enforce_grad_layout_policy(False)  # applied at once, as torch's
    assert not torch.autograd.grad_mode._grad_layout_enforced[0]
    with policy:
        pass
    assert torch.autograd.grad_mode._grad_layout_enforced[0]


# ---------------------------------------------------------------- optim.swa_utils
def _net(weight):
    net = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    with torch.no_grad():
        net[0].weight.copy_(_t(weight).float())
        net[0].bias.fill_(0.5)
    return net


def test_averaged_model_swa_and_ema():
    rng = np.random.default_rng(10)
    ws = [rng.standard_normal((3, 2)) for _ in range(4)]
    swa = torch.optim.swa_utils
    net = _net(ws[0])
    mean, ema = swa.AveragedModel(net), swa.AveragedModel(net, multi_avg_fn=swa.get_ema_multi_avg_fn(0.9))
    ema_fn = swa.AveragedModel(net, avg_fn=swa.get_ema_avg_fn(0.9))
    want_ema = ws[0]
    for i, w in enumerate(ws):
        with torch.no_grad():
            net[0].weight.copy_(_t(w).float())
            net[1].running_mean.fill_(float(i))
        for m in (mean, ema, ema_fn):
            m.update_parameters(net)
        if i:
            want_ema = 0.9 * want_ema + 0.1 * w
    np.testing.assert_allclose(mean.module[0].weight.detach().numpy(), np.mean(ws, axis=0), rtol=1e-5, atol=1e-6)
    for m in (ema, ema_fn):
        np.testing.assert_allclose(m.module[0].weight.detach().numpy(), want_ema, rtol=1e-5, atol=1e-6)
    assert mean.n_averaged.item() == 4 and mean.module[1].running_mean[0].item() == 3.0  # buffers follow the model
    assert mean.module is not net and mean(torch.ones(5, 2)).shape == (5, 3)
    check_raises(lambda: swa.AveragedModel(net, avg_fn=swa.get_swa_avg_fn(), multi_avg_fn=swa.get_swa_multi_avg_fn()),
                 AssertionError, "Only one of")
    check_raises(lambda: swa.get_ema_avg_fn(1.5), ValueError, "Invalid decay value 1.5")


def test_update_bn_recomputes_the_statistics():
    rng = np.random.default_rng(11)
    xs = [rng.standard_normal((5, 2)) for _ in range(3)]
    net = _net(rng.standard_normal((3, 2)))
    net.eval()
    net[1].running_mean.fill_(7.0)
    torch.optim.swa_utils.update_bn([(_t(x).float(), 0) for x in xs], net)  # (batches' first element)
    h = np.concatenate([x @ net[0].weight.detach().numpy().T.astype(np.float64) + 0.5 for x in xs])
    np.testing.assert_allclose(net[1].running_mean.numpy(), h.mean(0), rtol=1e-4, atol=1e-5)
    assert not net.training and net[1].momentum == 0.1 and net[1].num_batches_tracked.item() == 3


def test_swalr_anneals_to_the_swa_lr():
    p = torch.nn.Parameter(torch.zeros(1))
    for strategy, epochs, alphas in (("cos", 3, (0.25, 0.75)), ("linear", 2, (0.5,))):
        opt = torch.optim.SGD([p], lr=1.0)
        sched = torch.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
        lrs = []
        for _ in range(5):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
        want, lr = [], 1.0
        for k in range(5):  # lr_k = swa_lr * a_k + lr_0 (1 - a_k), a_k the annealing at step k + 1
            a = alphas[k] if k < len(alphas) else 1.0
            want.append(0.05 * a + lr * (1 - a))
        np.testing.assert_allclose(lrs, want, rtol=1e-12)
    check_raises(lambda: torch.optim.swa_utils.SWALR(torch.optim.SGD([p], lr=1.0), 0.05, anneal_strategy="x"),
                 ValueError, "'cos' or 'linear'")
    check_raises(lambda: torch.optim.swa_utils.SWALR(torch.optim.SGD([p], lr=1.0), 0.05, anneal_epochs=-1),
                 ValueError, "anneal_epochs must be equal or greater than 0")


# ---------------------------------------------------------------- nn.utils.fusion, *_with_indices, init aliases
def _eval_bn(bn):
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.1, -0.2, 0.3, 0.5]))
        bn.running_var.copy_(torch.tensor([1.5, 0.5, 2.0, 1.0]))
        bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5, -1.0]))
        bn.bias.copy_(torch.tensor([0.0, 0.1, 0.2, 0.3]))
    return bn.eval()


def test_fuse_bn_into_conv_and_linear():
    x = torch.randn(2, 3, 5, 5)
    for layer in (torch.nn.Conv2d(3, 4, 3), torch.nn.ConvTranspose2d(3, 4, 3)):
        bn = _eval_bn(torch.nn.BatchNorm2d(4))
        layer.eval()
        fused = torch.nn.utils.fuse_conv_bn_eval(layer, bn, transpose=isinstance(layer, torch.nn.ConvTranspose2d))
        np.testing.assert_allclose(fused(x).detach().numpy(), bn(layer(x)).detach().numpy(), rtol=1e-5, atol=1e-5)
        assert type(fused.weight) is torch.nn.Parameter and fused.weight.is_leaf and fused is not layer
    linear, bn = torch.nn.Linear(3, 4).eval(), _eval_bn(torch.nn.BatchNorm1d(4))
    fused = torch.nn.utils.fuse_linear_bn_eval(linear, bn)
    xl = torch.randn(6, 3)
    np.testing.assert_allclose(fused(xl).detach().numpy(), bn(linear(xl)).detach().numpy(), rtol=1e-5, atol=1e-5)
    check_raises(lambda: torch.nn.utils.fuse_linear_bn_eval(torch.nn.Linear(3, 4), bn), AssertionError, "only for eval")
    check_raises(lambda: torch.nn.utils.fuse_linear_bn_eval(torch.nn.Linear(3, 5).eval(), bn), AssertionError,
                 "out_features")


def test_with_indices_functions_and_deprecated_init_names():
    F, x = torch.nn.functional, torch.randn(2, 3, 6, 7, 8)
    for fn, args, plain in ((F.max_pool1d_with_indices, (x[:, :, 0, 0], 3), F.max_pool1d),
                            (F.max_pool3d_with_indices, (x, 2), F.max_pool3d),
                            (F.adaptive_max_pool1d_with_indices, (x[:, :, 0, 0], 3), F.adaptive_max_pool1d),
                            (F.adaptive_max_pool2d_with_indices, (x[:, :, 0], (2, 3)), F.adaptive_max_pool2d),
                            (F.adaptive_max_pool3d_with_indices, (x, (2, 3, 4)), F.adaptive_max_pool3d)):
        out, idx = fn(*args)
        want, want_idx = plain(*args, return_indices=True)
        assert (out == want).all() and (idx == want_idx).all(), fn.__name__
    w = torch.empty(3, 3)
    with pytest.warns(FutureWarning, match="nn.init.orthogonal_"):
        torch.nn.init.orthogonal(w)
    np.testing.assert_allclose((w @ w.t()).numpy(), np.eye(3), atol=1e-5)
    with pytest.warns(FutureWarning, match="nn.init.dirac_"):
        torch.nn.init.dirac(torch.empty(2, 2, 3))
    with pytest.warns(FutureWarning, match="nn.init.sparse_"):
        torch.nn.init.sparse(torch.empty(4, 3), 0.5)


# ---------------------------------------------------------------- optim.Rprop, utils.data.StackDataset
def test_rprop_against_the_float64_formula():
    rng = np.random.default_rng(12)
    w0, grads = rng.standard_normal((4, 3)), [rng.standard_normal((4, 3)) for _ in range(6)]
    grads[2] = grads[1].copy()  # the same signs: the steps grow
    grads[3][0] = 0.0
    for maximize, (em, ep), (lo, hi) in ((False, (0.5, 1.2), (1e-6, 50)), (True, (0.3, 1.5), (1e-3, 0.05))):
        w = torch.nn.Parameter(_t(w0))
        opt = torch.optim.Rprop([w], lr=0.01, etas=(em, ep), step_sizes=(lo, hi), maximize=maximize)
        want, prev, step = w0.copy(), np.zeros_like(w0), np.full_like(w0, 0.01)
        for g in grads:
            w.grad = _t(g)
            opt.step()
            g = -g if maximize else g
            s = np.sign(g * prev)
            step = np.clip(step * np.where(s > 0, ep, np.where(s < 0, em, 1.0)), lo, hi)
            g = np.where(s < 0, 0.0, g)
            want -= np.sign(g) * step
            prev = g
        np.testing.assert_allclose(w.detach().numpy(), want, rtol=1e-14)
        np.testing.assert_allclose(opt.state[w]["step_size"].numpy(), step, rtol=1e-14)
        assert opt.state[w]["step"].item() == 6
    check_raises(lambda: torch.optim.Rprop([w], lr=-1), ValueError, "Invalid learning rate")
    check_raises(lambda: torch.optim.Rprop([w], etas=(1.5, 1.2)), ValueError, "Invalid eta values: 1.5, 1.2")


def test_stack_dataset():
    data = torch.utils.data
    a, b = data.TensorDataset(torch.arange(5.0)), [10, 11, 12, 13, 14]
    s, d = data.StackDataset(a, b), data.StackDataset(x=a, y=b)
    assert len(s) == 5 and s[1][1] == 11 and s[1][0][0].item() == 1.0 and d[2]["y"] == 12
    assert [item[1] for item in s.__getitems__([0, 3])] == [10, 13] and d.__getitems__([4])[0]["y"] == 14
    batch = next(iter(data.DataLoader(d, batch_size=2)))
    assert batch["y"].tolist() == [10, 11] and batch["x"][0].tolist() == [0.0, 1.0]
    check_raises(lambda: data.StackDataset(), ValueError, "At least one dataset")
    check_raises(lambda: data.StackDataset(a, [1]), ValueError, "Size mismatch")
    check_raises(lambda: data.StackDataset(a, y=b), ValueError, "both types are given")


# ---------------------------------------------------------------- Exponential, Laplace, Cauchy, HalfNormal
def test_continuous_distributions_against_closed_forms():
    v, p = np.array([0.1, 0.7, 2.5, 5.0]), np.array([0.05, 0.3, 0.6, 0.95])
    rate, loc, scale = np.array([0.5, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, -1.0, 2.0]), np.array([1.0, 0.5, 2.0, 3.0])
    D_ = torch.distributions
    e = D_.Exponential(_t(rate))
    np.testing.assert_allclose(e.log_prob(_t(v)).numpy(), np.log(rate) - rate * v, rtol=1e-14)
    np.testing.assert_allclose(e.icdf(e.cdf(_t(v))).numpy(), v, rtol=1e-9)  # (1 - e^-15 keeps 1e-11)
    np.testing.assert_allclose(e.entropy().numpy(), 1 - np.log(rate), rtol=1e-14)
    lap = D_.Laplace(_t(loc), _t(scale))
    np.testing.assert_allclose(lap.log_prob(_t(v)).numpy(), -np.log(2 * scale) - np.abs(v - loc) / scale, rtol=1e-14)
    cdf = np.where(v < loc, 0.5 * np.exp((v - loc) / scale), 1 - 0.5 * np.exp(-(v - loc) / scale))
    np.testing.assert_allclose(lap.cdf(_t(v)).numpy(), cdf, rtol=1e-13)
    np.testing.assert_allclose(lap.cdf(lap.icdf(_t(p))).numpy(), p, rtol=1e-12)
    c = D_.Cauchy(_t(loc), _t(scale))
    np.testing.assert_allclose(c.log_prob(_t(v)).numpy(), -np.log(np.pi * scale * (1 + ((v - loc) / scale) ** 2)),
                               rtol=1e-13)
    np.testing.assert_allclose(c.cdf(c.icdf(_t(p))).numpy(), p, rtol=1e-12)
    assert c.mean.isnan().all() and c.variance.isinf().all()
    h = D_.HalfNormal(_t(scale))
    np.testing.assert_allclose(h.log_prob(_t(v)).numpy(),
                               np.log(np.sqrt(2 / np.pi) / scale) - v ** 2 / (2 * scale ** 2), rtol=1e-13)
    assert D_.HalfNormal(_t(scale), validate_args=False).log_prob(_t([-1.0, -1.0, -1.0, -1.0])).isinf().all()
    np.testing.assert_allclose(h.mean.numpy(), scale * np.sqrt(2 / np.pi), rtol=1e-14)
    for d in (e, lap, c, h):
        x = d.rsample((3,))
        assert tuple(x.shape) == (3, 4) and d.has_rsample
    assert (e.sample((100,)) >= 0).all() and (h.sample((100,)) >= 0).all()
    r = _t(rate, requires_grad=True)
    D_.Exponential(r).rsample((2,)).sum().backward()  # reparameterized: d(E/rate)/drate = -E/rate^2
    assert r.grad is not None and (r.grad < 0).all()
    check_raises(lambda: D_.Exponential(torch.tensor([-1.0])), ValueError, "rate", "GreaterThan(lower_bound=0.0)")
    check_raises(lambda: e.log_prob(_t([-1.0, 1.0, 1.0, 1.0])), ValueError, "GreaterThanEq(lower_bound=0.0)")


def test_half_cauchy_log_normal_gumbel_weibull_against_closed_forms():
    v, p = np.array([0.1, 0.7, 2.5, 5.0]), np.array([0.05, 0.3, 0.6, 0.95])
    loc, scale, k = np.array([0.0, 1.0, -1.0, 0.5]), np.array([1.0, 0.5, 2.0, 0.3]), np.array([0.5, 1.0, 2.0, 3.5])
    D_ = torch.distributions
    hc = D_.HalfCauchy(_t(scale))
    np.testing.assert_allclose(hc.log_prob(_t(v)).numpy(), np.log(2 / (np.pi * scale * (1 + (v / scale) ** 2))),
                               rtol=1e-13)
    ln = D_.LogNormal(_t(loc), _t(scale))
    want = -np.log(v * scale * np.sqrt(2 * np.pi)) - (np.log(v) - loc) ** 2 / (2 * scale ** 2)
    np.testing.assert_allclose(ln.log_prob(_t(v)).numpy(), want, rtol=1e-13)
    np.testing.assert_allclose(ln.mean.numpy(), np.exp(loc + scale ** 2 / 2), rtol=1e-14)
    g = D_.Gumbel(_t(loc), _t(scale))
    z = (v - loc) / scale
    np.testing.assert_allclose(g.log_prob(_t(v)).numpy(), -np.log(scale) - z - np.exp(-z), rtol=1e-13)
    np.testing.assert_allclose(g.cdf(g.icdf(_t(p))).numpy(), p, rtol=1e-12)
    np.testing.assert_allclose(g.mean.numpy(), loc + scale * 0.5772156649015329, rtol=1e-14)
    w = D_.Weibull(_t(scale), _t(k))
    z = v / scale
    np.testing.assert_allclose(w.log_prob(_t(v)).numpy(), np.log(k / scale) + (k - 1) * np.log(z) - z ** k,
                               rtol=1e-13)
    np.testing.assert_allclose(w.cdf(_t(v)).numpy(), 1 - np.exp(-z ** k), rtol=1e-13)
    gamma = np.vectorize(math.gamma)
    np.testing.assert_allclose(w.mean.numpy(), scale * gamma(1 + 1 / k), rtol=1e-13)
    for d in (hc, ln, g, w):
        assert tuple(d.rsample((2,)).shape) == (2, 4)
    assert (ln.sample((50,)) > 0).all() and (w.sample((50,)) > 0).all() and (hc.sample((50,)) >= 0).all()
    check_raises(lambda: D_.Weibull(torch.tensor([1.0]), torch.tensor([0.0])), ValueError, "concentration")


def test_geometric_and_pareto_against_closed_forms():
    k, p = np.array([0.0, 1.0, 3.0, 7.0]), np.array([0.2, 0.5, 0.9, 1.0])
    g = torch.distributions.Geometric(_t(p))
    np.testing.assert_allclose(g.log_prob(_t(k)).numpy()[:3], k[:3] * np.log1p(-p[:3]) + np.log(p[:3]), rtol=1e-14)
    assert g.log_prob(_t(k))[3].item() == -math.inf and torch.distributions.Geometric(_t([1.0])).log_prob(
        _t([0.0])).item() == 0.0  # (probs 1: all mass at 0)
    np.testing.assert_allclose(g.mean.numpy(), 1 / p - 1, rtol=1e-14)
    x = torch.distributions.Geometric(_t([0.3])).sample((2000,))
    assert (x == x.floor()).all() and (x >= 0).all() and abs(x.mean().item() - 7 / 3) < 0.35
    gl = torch.distributions.Geometric(logits=_t([0.0]))
    np.testing.assert_allclose(gl.probs.numpy(), [0.5], rtol=1e-15)
    check_raises(lambda: torch.distributions.Geometric(torch.tensor([0.0, 0.5])), ValueError, "to be positive")
    scale, alpha, v = np.array([1.0, 0.5, 2.0]), np.array([0.5, 1.5, 3.0]), np.array([1.5, 2.5, 4.0])
    pa = torch.distributions.Pareto(_t(scale), _t(alpha))
    np.testing.assert_allclose(pa.log_prob(_t(v)).numpy(), np.log(alpha * scale ** alpha / v ** (alpha + 1)),
                               rtol=1e-13)
    np.testing.assert_allclose(pa.cdf(_t(v)).numpy(), 1 - (scale / v) ** alpha, rtol=1e-13)
    assert pa.mean[0].item() == math.inf and pa.mean[2].item() == pytest.approx(3.0)
    assert (pa.rsample((100,)) >= _t(scale)).all()
    check_raises(lambda: pa.log_prob(_t([0.5, 2.5, 4.0])), ValueError, "GreaterThanEq")


def test_one_hot_categorical():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    d = torch.distributions.OneHotCategorical(_t(probs))
    assert tuple(d.batch_shape) == (2,) and tuple(d.event_shape) == (3,)
    np.testing.assert_allclose(d.log_prob(_t([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])).numpy(), np.log([0.7, 0.5]),
                               rtol=1e-14)
    np.testing.assert_allclose(d.entropy().numpy(), -(probs * np.log(probs)).sum(-1), rtol=1e-14)
    np.testing.assert_array_equal(d.mode.numpy(), [[0, 0, 1], [1, 0, 0]])
    s = d.sample((50,))
    assert tuple(s.shape) == (50, 2, 3) and (s.sum(-1) == 1).all() and ((s == 0) | (s == 1)).all()
    assert tuple(d.enumerate_support().shape) == (3, 2, 3) and tuple(d.enumerate_support(False).shape) == (3, 1, 3)
    check_raises(lambda: d.log_prob(_t([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])), ValueError, "OneHot()")


def test_mixture_same_family_against_the_weighted_density():
    rng = np.random.default_rng(13)
    w, mu, sd = np.array([0.2, 0.5, 0.3]), rng.standard_normal((3, 2)), rng.random((3, 2)) + 0.5
    x = rng.standard_normal((4, 2))
    D_ = torch.distributions
    gmm = D_.MixtureSameFamily(D_.Categorical(_t(w)), D_.Independent(D_.Normal(_t(mu), _t(sd)), 1))
    dens = np.exp(-((x[:, None] - mu) ** 2) / (2 * sd ** 2)) / (sd * np.sqrt(2 * np.pi))  # (4, 3, 2)
    np.testing.assert_allclose(gmm.log_prob(_t(x)).numpy(), np.log((w * dens.prod(-1)).sum(-1)), rtol=1e-12)
    np.testing.assert_allclose(gmm.mean.numpy(), (w[:, None] * mu).sum(0), rtol=1e-13)
    var = (w[:, None] * (sd ** 2 + mu ** 2)).sum(0) - ((w[:, None] * mu).sum(0)) ** 2
    np.testing.assert_allclose(gmm.variance.numpy(), var, rtol=1e-12)
    assert tuple(gmm.sample((5,)).shape) == (5, 2) and tuple(gmm.event_shape) == (2,)
    one = D_.MixtureSameFamily(D_.Categorical(_t(w)), D_.Normal(_t(mu[:, 0]), _t(sd[:, 0])))
    cdf = (w * 0.5 * np.vectorize(math.erfc)(-(x[:, 0:1] - mu[:, 0]) / (sd[:, 0] * math.sqrt(2)))).sum(-1)
    np.testing.assert_allclose(one.cdf(_t(x[:, 0])).numpy(), cdf, rtol=1e-12)
    check_raises(lambda: D_.MixtureSameFamily(D_.Normal(0.0, 1.0), one), ValueError, "Categorical")
    check_raises(lambda: D_.MixtureSameFamily(D_.Categorical(_t([0.5, 0.5])), D_.Normal(_t(mu[:, 0]), _t(sd[:, 0]))),
                 ValueError, "does not equal")


def test_multinomial_against_the_pmf():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    d = torch.distributions.Multinomial(5, _t(probs))
    v = np.array([[0.0, 1.0, 4.0], [2.0, 2.0, 1.0]])
    lf = np.vectorize(math.lgamma)
    want = lf(6.0) - lf(v + 1).sum(-1) + (v * np.log(probs)).sum(-1)
    np.testing.assert_allclose(d.log_prob(_t(v)).numpy(), want, rtol=1e-13)
    # entropy by enumerating every count vector of the first row
    counts = [(a, b, 5 - a - b) for a in range(6) for b in range(6 - a)]
    logp = np.array([lf(6.0) - sum(lf(c + 1.0) for c in x) + sum(c * math.log(p) for c, p in zip(x, probs[0]))
                     for x in counts])
    np.testing.assert_allclose(d.entropy().numpy()[0], -(np.exp(logp) * logp).sum(), rtol=1e-12)
    np.testing.assert_allclose(d.mean.numpy(), 5 * probs, rtol=1e-15)
    s = d.sample((20,))
    assert tuple(s.shape) == (20, 2, 3) and (s.sum(-1) == 5).all() and (s >= 0).all()
    assert torch.distributions.Multinomial(3, _t([0.0, 0.5, 0.5])).log_prob(_t([0.0, 1.0, 2.0])).item() == \
        pytest.approx(math.log(3 * 0.125))
    check_raises(lambda: torch.distributions.Multinomial(2.5, _t([0.5, 0.5])), NotImplementedError, "total_count")
    check_raises(lambda: d.log_prob(_t([[0.0, -1.0, 6.0], [2.0, 2.0, 1.0]])), ValueError, "Multinomial()")


def test_generalized_pareto_against_closed_forms():
    loc, scale, c = np.array([0.0, 0.5, 1.0, 0.0]), np.array([1.0, 2.0, 0.5, 1.0]), np.array([0.0, 0.3, -0.2, 0.7])
    v = np.array([0.5, 1.0, 2.5, 3.0])
    d = torch.distributions.GeneralizedPareto(_t(loc), _t(scale), _t(c))
    z = (v - loc) / scale
    safe = np.where(c == 0, 1.0, c)
    logpdf = -np.log(scale) - np.where(c == 0, z, (1 / safe + 1) * np.log1p(safe * z))
    np.testing.assert_allclose(d.log_prob(_t(v)).numpy(), logpdf, rtol=1e-13)
    surv = np.where(c == 0, np.exp(-z), (1 + safe * z) ** (-1 / safe))
    np.testing.assert_allclose(d.cdf(_t(v)).numpy(), 1 - surv, rtol=1e-12)
    p = np.array([0.05, 0.3, 0.6, 0.95])
    np.testing.assert_allclose(d.cdf(d.icdf(_t(p))).numpy(), p, rtol=1e-12)
    np.testing.assert_allclose(d.mean.numpy(), loc + scale / (1 - c), rtol=1e-14)
    assert d.variance[3].isnan() and tuple(torch.distributions.GeneralizedPareto(0.0, 1.0, 0.5).batch_shape) == ()
    assert tuple(d.rsample((3,)).shape) == (3, 4)
    check_raises(lambda: d.log_prob(_t([0.5, 1.0, 4.0, 3.0])), ValueError, "Interval")  # above 1 - 0.5 / -0.2


def test_kumaraswamy_against_closed_forms():
    a, b, v = np.array([0.5, 1.0, 2.0, 3.0]), np.array([2.0, 1.0, 0.5, 4.0]), np.array([0.1, 0.3, 0.6, 0.95])
    d = torch.distributions.Kumaraswamy(_t(a), _t(b))
    want = np.log(a * b) + (a - 1) * np.log(v) + (b - 1) * np.log1p(-v ** a)
    np.testing.assert_allclose(d.log_prob(_t(v)).numpy(), want, rtol=1e-13)
    beta = np.vectorize(lambda x, y: math.exp(math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)))
    np.testing.assert_allclose(d.mean.numpy(), b * beta(1 + 1 / a, b), rtol=1e-13)  # E[X] = b B(1 + 1/a, b)
    assert d.mode.isnan().all()  # (torch's log-space formula takes log1p(-concentration0): NaN, kept as torch's)
    s = d.rsample((200,))
    assert tuple(s.shape) == (200, 4) and ((s >= 0) & (s <= 1)).all()
    one = torch.distributions.Kumaraswamy(_t([1.0]), _t([1.0]))  # the uniform distribution: entropy 0
    assert abs(one.entropy().item()) < 1e-12
