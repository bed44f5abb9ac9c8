"""Sorting, selection, scans and the reductions beyond sum/max: sort, argsort, topk, kthvalue, median,
mode, unique, bincount, histc, logsumexp, cumprod, cummax/cummin, logcumsumexp, var_mean/std_mean,
aminmax, count_nonzero. Values against numpy in float64, gradients with gradcheck, torch's
tie and NaN rules, torch's errors."""
import math

import numpy as np
import pytest
import tinygrad_ext as torch
from oracle import check_raises
from tinygrad_ext.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(1)
NAN = math.nan


def distinct(*shape):
    """Values without ties (gradients of order statistics are then unambiguous)."""
    return RNG.permutation(np.prod(shape)).reshape(shape) * 0.37 - 3.0


def t64(a, grad=False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _lse(a, axis, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


# (name, fn -> tensor, numpy reference, input shape)
VALUE_CASES = [
    ("sort", lambda x: x.sort(1).values, lambda a: np.sort(a, 1), (4, 7)),
    ("sort_desc", lambda x: torch.sort(x, 0, descending=True)[0], lambda a: -np.sort(-a, 0), (5, 3)),
    ("sort_mid", lambda x: x.sort(dim=1).values, lambda a: np.sort(a, 1), (2, 6, 3)),
    ("msort", torch.msort, lambda a: np.sort(a, 0), (5, 3)),
    ("topk", lambda x: x.topk(3).values, lambda a: -np.sort(-a, -1)[..., :3], (4, 9)),
    ("topk_smallest", lambda x: torch.topk(x, 2, dim=0, largest=False).values, lambda a: np.sort(a, 0)[:2], (6, 3)),
    ("topk_heap", lambda x: x.topk(2).values, lambda a: -np.sort(-a, -1)[..., :2], (3, 300)),
    ("kthvalue", lambda x: x.kthvalue(3).values, lambda a: np.sort(a, -1)[..., 2], (4, 7)),
    ("kthvalue_keep", lambda x: x.kthvalue(2, 0, True).values, lambda a: np.sort(a, 0)[1:2], (5, 3)),
    ("median_dim", lambda x: x.median(1).values, lambda a: np.sort(a, 1)[:, (a.shape[1] - 1) // 2], (3, 6)),
    ("median_odd", lambda x: x.median(0, keepdim=True)[0], lambda a: np.median(a, 0, keepdims=True), (5, 2)),
    ("median_all", lambda x: x.median(), lambda a: np.sort(a.ravel())[(a.size - 1) // 2], (4, 3)),
    ("logsumexp", lambda x: x.logsumexp(1), lambda a: _lse(a, 1), (3, 5)),
    ("logsumexp_dims", lambda x: torch.logsumexp(x, (0, 2), keepdim=True), lambda a: _lse(a, (0, 2), True),
     (2, 3, 4)),
    ("cumprod", lambda x: x.cumprod(1), lambda a: np.cumprod(a, 1), (3, 7)),
    ("cumprod_0", lambda x: torch.cumprod(x, 0), lambda a: np.cumprod(a, 0), (5, 2)),
    ("cummax", lambda x: x.cummax(1).values, lambda a: np.maximum.accumulate(a, 1), (3, 9)),
    ("cummin", lambda x: torch.cummin(x, 0)[0], lambda a: np.minimum.accumulate(a, 0), (6, 2)),
    ("logcumsumexp", lambda x: x.logcumsumexp(1), lambda a: np.logaddexp.accumulate(a, 1), (3, 6)),
    ("var_mean", lambda x: torch.var_mean(x, 1)[0] + torch.var_mean(x, 1)[1], lambda a: a.var(1, ddof=1) + a.mean(1),
     (3, 4)),
    ("std_mean", lambda x: torch.std_mean(x, 0, correction=0)[0] * torch.std_mean(x)[1],
     lambda a: a.std(0) * a.mean(), (3, 4)),
    ("aminmax", lambda x: x.aminmax(dim=1).min - x.aminmax(dim=1).max, lambda a: a.min(1) - a.max(1), (3, 4)),
    ("aminmax_all", lambda x: torch.aminmax(x)[0] * torch.aminmax(x)[1], lambda a: a.min() * a.max(), (3, 4)),
]


@pytest.mark.parametrize("name,fn,ref,shape", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_and_gradient(name, fn, ref, shape):
    a = distinct(*shape)
    for dtype in (torch.float64, torch.float32):
        out = fn(torch.tensor(a, dtype=dtype))
        np.testing.assert_allclose(out.double().numpy(), ref(a), rtol=1e-6, atol=1e-6)
    out = fn(torch.tensor(np.ascontiguousarray(a.T), dtype=torch.float64).t() if a.ndim == 2 else t64(a))
    np.testing.assert_allclose(out.numpy(), ref(a), rtol=1e-10, atol=1e-12)
    assert gradcheck(fn, [t64(a, True)])
    if name not in ("sort_mid",):
        assert gradgradcheck(fn, [t64(a, True)])


def test_indices_point_at_values():
    a = RNG.integers(0, 4, size=(5, 8)).astype(np.float64)  # many ties
    x = torch.tensor(a)
    for dim in (0, 1):
        v, i = x.sort(dim)
        np.testing.assert_array_equal(v.numpy(), np.sort(a, dim))
        np.testing.assert_array_equal(i.numpy(), np.argsort(a, dim, kind="stable"))  # stable: ties keep order
        np.testing.assert_array_equal(x.argsort(dim, descending=True).numpy(),
                                      np.argsort(-a, dim, kind="stable"))
        for kind in (x.topk(3, dim), x.kthvalue(2, dim, keepdim=True), x.median(dim, True), x.mode(dim, True),
                     x.cummax(dim), x.cummin(dim)):
            np.testing.assert_array_equal(x.gather(dim, kind.indices).numpy(), kind.values.numpy())


def test_nan_and_tie_rules_of_torch():
    x = torch.tensor([[3.0, 1.0, NAN, 1.0], [2.0, 2.0, 0.0, -1.0]])
    v, i = x.sort(1)
    assert str(v.tolist()) == "[[1.0, 1.0, 3.0, nan], [-1.0, 0.0, 2.0, 2.0]]"
    assert i.tolist() == [[1, 3, 0, 2], [3, 2, 0, 1]]
    v, i = x.sort(1, descending=True)
    assert str(v.tolist()) == "[[nan, 3.0, 1.0, 1.0], [2.0, 2.0, 0.0, -1.0]]"
    assert i.tolist() == [[2, 0, 1, 3], [0, 1, 2, 3]]
    assert x.topk(1).indices.tolist() == [[2], [1]]  # (torch: nth_element leaves the later 2.0 first)
    m = x.median(1)
    assert math.isnan(m.values[0].item()) and m.indices.tolist() == [2, 2] and math.isnan(x.median().item())
    assert x.kthvalue(2).indices.tolist() == [3, 2]
    assert torch.tensor([1.0, 2.0, 2.0, 3.0, 3.0, 1.0]).mode() == (torch.tensor(1.0), torch.tensor(5))
    mo = torch.tensor([[1, 1, 2, 2, 3], [5, 5, 5, 1, 1]]).mode(1)
    assert mo.values.tolist() == [1, 5] and mo.indices.tolist() == [1, 2]
    c = torch.tensor([1.0, NAN, 1.0, NAN]).cummax(0)
    assert c.indices.tolist() == [0, 1, 1, 3] and str(c.values.tolist()) == "[1.0, nan, nan, nan]"
    assert torch.zeros(3).cummin(0).indices.tolist() == [0, 1, 2]  # equal values: the later index
    assert torch.tensor([-0.0, 0.0, -math.inf, math.inf]).sort().indices.tolist() == [2, 0, 1, 3]


def test_dtypes_and_0d():
    for dtype in (torch.int64, torch.int32, torch.uint8, torch.bool, torch.float32, torch.float64):
        a = RNG.integers(0, 2 if dtype is torch.bool else 100, size=(3, 5))
        x = torch.tensor(a).to(dtype)
        ref = a.astype(bool) if dtype is torch.bool else a
        np.testing.assert_array_equal(x.sort(1).values.numpy(), np.sort(ref, 1))
        np.testing.assert_array_equal(x.sort(1, descending=True).values.numpy(), np.sort(ref, 1)[:, ::-1])
        assert x.sort().values.dtype is dtype
        if dtype is torch.bool:  # (torch's CPU topk takes no bool)
            check_raises(lambda: x.topk(2), RuntimeError, "topk does not support bool dtypes on CPU")
            continue
        assert x.topk(2).values.dtype is dtype
        np.testing.assert_array_equal(x.topk(2, 0).values.numpy(), np.sort(ref, 0)[::-1][:2])
    ints = torch.tensor([-5, 3, -2**31, 2**31 - 1], dtype=torch.int32)
    assert ints.sort().values.tolist() == [-2**31, -5, 3, 2**31 - 1]
    longs = torch.tensor([2**62, -2**63, 0, -1])
    assert longs.sort(descending=True).values.tolist() == [2**62, 0, -1, -2**63]
    s = torch.tensor(3.0)
    assert s.sort() == (s, torch.tensor(0)) and s.topk(1).values.item() == 3 and s.median().item() == 3
    assert s.kthvalue(1).values.item() == 3 and s.mode().values.item() == 3
    assert s.topk(0).values.item() == 3 and s.topk(0).indices.item() == 0  # (torch's: k = 0 of a scalar too)
    x = torch.tensor([[2.0, 1.0, 5.0], [0.0, -1.0, -3.0]])
    assert x.kthvalue(3).values.tolist() == [5.0, 0.0] and x.kthvalue(3).indices.tolist() == [2, 0]  # k = n
    assert torch.tensor([[1, 2], [3, 4]], dtype=torch.int32).cumprod(1).dtype is torch.int64
    assert torch.zeros(2, 0).sort(1).values.shape == (2, 0) and torch.zeros(2, 0).topk(0, 1).values.shape == (2, 0)
    assert math.isnan(torch.tensor([]).median().item())


def test_unique():
    a = np.array([3, 1, 2, 3, 3, 1, 7])
    u, inv, cnt = torch.unique(torch.tensor(a), return_inverse=True, return_counts=True)
    ru, rinv, rcnt = np.unique(a, return_inverse=True, return_counts=True)
    assert u.tolist() == ru.tolist() and inv.tolist() == rinv.tolist() and cnt.tolist() == rcnt.tolist()
    m = np.array([[1, 2], [1, 2], [0, 3], [1, 0]])
    u, inv, cnt = torch.tensor(m).unique(dim=0, return_inverse=True, return_counts=True)
    ru, rinv, rcnt = np.unique(m, axis=0, return_inverse=True, return_counts=True)
    assert u.tolist() == ru.tolist() and inv.tolist() == rinv.ravel().tolist() and cnt.tolist() == rcnt.tolist()
    assert torch.tensor(m).unique(dim=1).tolist() == np.unique(m, axis=1).tolist()
    x = torch.tensor([[2.0, 1.0], [1.0, 5.0]])
    assert x.unique().tolist() == [1.0, 2.0, 5.0] and x.unique(return_inverse=True)[1].tolist() == [[1, 0], [0, 2]]
    assert torch.tensor([], dtype=torch.int64).unique().shape == (0,)


def test_bincount_histc_count_nonzero():
    a = np.array([1, 2, 2, 5, 0])
    assert torch.tensor(a).bincount().tolist() == np.bincount(a).tolist()
    assert torch.bincount(torch.tensor(a), minlength=9).tolist() == np.bincount(a, minlength=9).tolist()
    w = RNG.uniform(size=5)
    got = torch.bincount(torch.tensor(a), torch.tensor(w))
    assert got.dtype is torch.float64
    np.testing.assert_allclose(got.numpy(), np.bincount(a, w))
    assert torch.bincount(torch.tensor(a), torch.tensor(w, dtype=torch.float32)).dtype is torch.float32
    assert torch.tensor([], dtype=torch.int64).bincount().shape == (0,)
    v = RNG.normal(size=200)
    np.testing.assert_array_equal(torch.tensor(v).histc(7).numpy(), np.histogram(v, 7)[0])
    np.testing.assert_array_equal(torch.histc(torch.tensor(v, dtype=torch.float32), 4, -1, 1).numpy(),
                                  np.histogram(v[(v >= -1) & (v <= 1)], 4, (-1, 1))[0])
    m = np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0]])
    assert torch.count_nonzero(torch.tensor(m)).item() == 3
    assert torch.tensor(m).count_nonzero(0).tolist() == [1, 0, 2]
    assert torch.count_nonzero(torch.tensor(m), (0, 1)).dtype is torch.int64


def test_scans_with_zeros_and_infinities():
    x = t64([[2.0, 0.0, 3.0, 0.0, 4.0], [1.0, -2.0, 0.5, 3.0, -1.0]], grad=True)
    np.testing.assert_allclose(x.cumprod(1).detach().numpy(), np.cumprod(x.detach().numpy(), 1))
    assert gradcheck(lambda t: t.cumprod(1), [x])  # the gradient through zeros is finite and right
    big = torch.tensor([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(big.logcumsumexp(0).numpy(), [-1000.0, 0.0, 1000.0])
    assert big.logsumexp(0).item() == 1000.0
    assert torch.tensor([-math.inf, -math.inf]).logsumexp(0).item() == -math.inf
    assert torch.tensor([1, 2, 3]).logsumexp(0).dtype is torch.float32


BAD = [
    (lambda: torch.zeros(2, 4).topk(5), RuntimeError, "selected index k out of range"),
    (lambda: torch.zeros(2, 4).topk(-1), RuntimeError, "selected index k out of range"),
    (lambda: torch.zeros(2, 4).sort(2), IndexError, "Dimension out of range"),
    (lambda: torch.zeros(2, 4).kthvalue(5), RuntimeError, "kthvalue(): selected number k out of range"),
    (lambda: torch.zeros(2, 4).kthvalue(0), RuntimeError, "selected number k out of range for dimension 1"),
    (lambda: torch.zeros(2, 0).median(1), IndexError, "median(): Expected reduction dim 1 to have non-zero"),
    (lambda: torch.zeros(2, 0).kthvalue(1, 1), IndexError, "kthvalue(): Expected reduction dim 1"),
    (lambda: torch.zeros(2, 0).mode(1), IndexError, "mode(): Expected reduction dim 1 to have non-zero"),
    (lambda: torch.tensor([1, -2]).bincount(), RuntimeError, "bincount only supports 1-d non-negative integral"),
    (lambda: torch.tensor([1.0, 2.0]).bincount(), NotImplementedError, "not implemented for 'Float'"),
    (lambda: torch.tensor([1, 2]).histc(3), NotImplementedError, "not implemented for 'Long'"),
    (lambda: torch.tensor([1.0, 2.0]).histc(3, 2, 1), RuntimeError, "max must be larger than min"),
    (lambda: torch.tensor([1, 2]).logcumsumexp(0), NotImplementedError, "not implemented for 'Long'"),
]


@pytest.mark.parametrize("fn,exc,words", BAD)
def test_bad_inputs(fn, exc, words):
    check_raises(fn, exc, words)


def test_against_torch_if_installed():
    real = pytest.importorskip("torch")
    a = RNG.integers(0, 5, size=(4, 6)).astype(np.float32)
    a[1, 2] = NAN
    for f in (lambda x: x.sort(1, descending=True), lambda x: x.topk(3, 0, largest=False),
              lambda x: x.nan_to_num(9.0).mode(1),  # (torch's mode of a row holding NaN: its sort's order)
              lambda x: x.cummax(1), lambda x: x.cummin(0), lambda x: x.kthvalue(2, 1), lambda x: x.median(0)):
        got, want = f(torch.tensor(a)), f(real.tensor(a))
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        if "cum" in repr(type(got)) or "sort" in repr(type(got)):
            np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())


def test_same_results_on_every_device(device):
    """The ops of this issue on `device` against the CPU (CUDA: sorting and scatter's prod/amax/amin run on
    the host and come back; the rest are the device's own kernels)."""
    a = RNG.integers(-4, 5, size=(4, 6)).astype(np.float32)
    idx = np.array([[0, 2, 2], [1, 1, 5], [3, 0, 3], [4, 4, 4]])
    ops = [
        lambda x, i: x.sort(1, descending=True), lambda x, i: x.topk(2, 0), lambda x, i: x.kthvalue(3),
        lambda x, i: x.median(0), lambda x, i: x.mode(1), lambda x, i: x.unique(return_counts=True),
        lambda x, i: x.cummax(1), lambda x, i: x.cumprod(0), lambda x, i: x.logsumexp(1),
        lambda x, i: x.scatter_reduce(1, i, x[:, :3], "amax", include_self=False),
        lambda x, i: x.scatter_reduce(1, i, x[:, :3], "prod"), lambda x, i: x.scatter(1, i, -1.0),
        lambda x, i: x.index_add(0, i[:, 1] % 4, x), lambda x, i: torch.einsum("ij,kj->ik", x, x),
        lambda x, i: x.flip(0, 1), lambda x, i: x.diagonal(1), lambda x, i: x.unfold(1, 3, 2),
        lambda x, i: x.tril(-1), lambda x, i: x.repeat_interleave(i[:, 0], 0), lambda x, i: x.histc(5),
        lambda x, i: torch.bincount(i[:, 2]), lambda x, i: torch.cdist(x, x),
    ]
    x, i = torch.tensor(a), torch.tensor(idx)
    xd, id_ = x.to(device), i.to(device)
    for op in ops:
        want, got = op(x, i), op(xd, id_)
        for w, g in zip(want if isinstance(want, tuple) else (want,), got if isinstance(got, tuple) else (got,)):
            assert g.device == xd.device
            np.testing.assert_allclose(g.cpu().numpy(), w.numpy(), rtol=1e-5, atol=1e-5)
    xg = xd.double().requires_grad_()
    xg.sort(1).values.pow(2).sum().backward()
    np.testing.assert_allclose(xg.grad.cpu().numpy(), 2 * a)


QUANTILE = [
    ("quantile", lambda x: torch.quantile(x, 0.3, dim=1), lambda a: np.quantile(a, 0.3, axis=1), (3, 7)),
    ("quantile_all", lambda x: x.quantile(0.75), lambda a: np.quantile(a, 0.75), (4, 5)),
    ("quantile_vec", lambda x: torch.quantile(x, torch.tensor([0.1, 0.5, 1.0], dtype=x.dtype), dim=0, keepdim=True),
     lambda a: np.quantile(a, [0.1, 0.5, 1.0], axis=0, keepdims=True), (5, 3)),
    ("quantile_lower", lambda x: x.quantile(0.4, 1, interpolation="lower"),
     lambda a: np.quantile(a, 0.4, axis=1, method="lower"), (3, 6)),
    ("quantile_higher", lambda x: x.quantile(0.4, 1, interpolation="higher"),
     lambda a: np.quantile(a, 0.4, axis=1, method="higher"), (3, 6)),
    ("quantile_midpoint", lambda x: x.quantile(0.4, 1, interpolation="midpoint"),
     lambda a: np.quantile(a, 0.4, axis=1, method="midpoint"), (3, 6)),
    ("quantile_nearest", lambda x: x.quantile(0.3, 1, interpolation="nearest"),
     lambda a: np.quantile(a, 0.3, axis=1, method="nearest"), (3, 6)),
]


@pytest.mark.parametrize("name,fn,ref,shape", QUANTILE, ids=[c[0] for c in QUANTILE])
def test_quantile(name, fn, ref, shape):
    a = distinct(*shape)
    np.testing.assert_allclose(fn(t64(a)).numpy(), ref(a), rtol=1e-12)
    np.testing.assert_allclose(fn(torch.tensor(a, dtype=torch.float32)).double().numpy(), ref(a), rtol=1e-5)
    assert gradcheck(fn, [t64(a, True)])


@pytest.mark.filterwarnings("ignore:All-NaN slice")
def test_nan_quantiles_and_medians():
    a = np.array([[1.0, 5.0, 2.0, 8.0], [3.0, NAN, 1.0, 0.0], [NAN, NAN, NAN, NAN]])
    x = torch.tensor(a)
    np.testing.assert_allclose(torch.nanquantile(x, 0.4, dim=1).numpy(), np.nanquantile(a, 0.4, axis=1))
    got = torch.quantile(x, 0.5, dim=1).numpy()
    assert got[0] == 3.5 and np.isnan(got[1:]).all()
    m = torch.nanmedian(x, 1)
    assert str(m.values.tolist()) == "[2.0, 1.0, nan]" and m.indices.tolist()[:2] == [2, 2]
    assert torch.nanmedian(x).item() == 2.0 and math.isnan(torch.median(x).item())
    assert gradcheck(lambda t: t.nanmedian(1).values, [t64(a[:2], True)])


def test_unique_consecutive_searchsorted_bucketize():
    a = np.array([1, 1, 2, 2, 3, 1, 1])
    u, inv, cnt = torch.unique_consecutive(torch.tensor(a), return_inverse=True, return_counts=True)
    assert u.tolist() == [1, 2, 3, 1] and inv.tolist() == [0, 0, 1, 1, 2, 3, 3] and cnt.tolist() == [2, 2, 1, 2]
    m = torch.tensor([[1, 2], [1, 2], [0, 3], [1, 2]])
    assert m.unique_consecutive(dim=0).tolist() == [[1, 2], [0, 3], [1, 2]]
    seq, v = np.array([1.0, 3.0, 3.0, 5.0]), np.array([[0.0, 3.0, 6.0], [3.5, 1.0, 5.0]])
    for right in (False, True):
        got = torch.searchsorted(torch.tensor(seq), torch.tensor(v), right=right)
        assert got.tolist() == np.searchsorted(seq, v, side="right" if right else "left").tolist()
        got = torch.bucketize(torch.tensor(v), torch.tensor(seq), right=right, out_int32=True)
        assert got.dtype is torch.int32
        assert got.tolist() == np.searchsorted(seq, v, "right" if right else "left").tolist()
    rows = torch.tensor([[1, 3, 5], [2, 4, 6]])
    assert torch.searchsorted(rows, torch.tensor([[3], [3]]), side="right").tolist() == [[2], [1]]
    assert torch.searchsorted(torch.tensor([5, 1, 3]), 3, sorter=torch.tensor([1, 2, 0])).item() == 1
    assert torch.searchsorted(torch.tensor([1, 3, 5]), 3.5).item() == 2  # promoted, not truncated
    big = np.sort(RNG.normal(size=5000))
    q = RNG.normal(size=(3, 4000))
    assert torch.searchsorted(torch.tensor(big), torch.tensor(q)).tolist() == np.searchsorted(big, q).tolist()
    check_raises(lambda: torch.quantile(torch.tensor([1.0]), 1.5), RuntimeError, "q must be in the range [0, 1]")
    check_raises(lambda: torch.quantile(torch.tensor([1]), 0.5), RuntimeError, "must be either float or double")
    check_raises(lambda: torch.quantile(torch.tensor([1.0]), 0.5, interpolation="x"), RuntimeError,
                 "interpolation must be one of")
    check_raises(lambda: torch.bucketize(torch.tensor([1]), torch.tensor([[1]])), RuntimeError,
                 "boundaries tensor must be 1 dimension")


def test_median_and_kthvalue_refuse_bool_as_torch():
    b = torch.tensor([True, False, True])
    for call, kernel in [(lambda: b.median(), "median_cpu"), (lambda: b.median(0), "median_out"),
                         (lambda: b.nanmedian(), "median_cpu"), (lambda: b.nanmedian(0), "median_out"),
                         (lambda: b.kthvalue(1), "kthvalue_cpu")]:
        with pytest.raises(NotImplementedError, match=f'"{kernel}" not implemented for \'Bool\''):
            call()
