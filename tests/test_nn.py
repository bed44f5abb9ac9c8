"""torch.nn against float64 numpy references: conv, pooling, softmax, every loss, the layers, Module's
API, init, and the bad inputs of RELIABILITY.md rows 3, 25, 56, 58-62. The kernel tests take the
`device` fixture (cpu, and cuda when a GPU is present); a cuda-marked test compares the devices."""
import math
import re
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn
from tinygrad_ext.autograd import gradcheck, gradgradcheck

RNG = np.random.default_rng(0)
TOL = {torch.float32: {"rtol": 1e-4, "atol": 1e-5}, torch.float64: {"rtol": 1e-10, "atol": 1e-11}}


def T(a, dtype=torch.float64, requires_grad=False, device="cpu"):
    return torch.tensor(np.asarray(a), dtype=dtype, requires_grad=requires_grad, device=device)


def npy(t):
    return t.detach().cpu().numpy()


def close(t, ref, dtype=torch.float64):
    np.testing.assert_allclose(npy(t).astype(np.float64), ref, **TOL[dtype])


# ------------------------------------------------------------ numpy references
def np_conv2d(x, w, b, stride, padding, dilation, groups):
    N, _, H, W = x.shape
    O, Cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH = (H + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    OW = (W + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((N, O, OH, OW))
    Og = O // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                patch = xp[:, g * Cg:(g + 1) * Cg, i * dh:i * dh + sh * (OH - 1) + 1:sh,
                           j * dw:j * dw + sw * (OW - 1) + 1:sw]  # N, Cg, OH, OW
                out[:, g * Og:(g + 1) * Og] += np.einsum("ncpq,oc->nopq", patch, w[g * Og:(g + 1) * Og, :, i, j])
    if b is not None:
        out += b.reshape(1, O, 1, 1)
    return out


def np_conv2d_grads(x, w, gy, stride, padding, dilation, groups):
    _, _, H, W = x.shape
    O, Cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    gxp = np.zeros_like(xp)
    gw = np.zeros_like(w)
    OH, OW = gy.shape[2:]
    Og = O // groups
    for g in range(groups):
        for i in range(kh):
            for j in range(kw):
                sl = (slice(None), slice(g * Cg, (g + 1) * Cg), slice(i * dh, i * dh + sh * (OH - 1) + 1, sh),
                      slice(j * dw, j * dw + sw * (OW - 1) + 1, sw))
                gyg = gy[:, g * Og:(g + 1) * Og]
                gw[g * Og:(g + 1) * Og, :, i, j] = np.einsum("nopq,ncpq->oc", gyg, xp[sl])
                gxp[sl] += np.einsum("nopq,oc->ncpq", gyg, w[g * Og:(g + 1) * Og, :, i, j])
    return gxp[:, :, ph:ph + H, pw:pw + W], gw, gy.sum((0, 2, 3))


def np_pool2d(x, k, s, p, d, ceil_mode, kind, count_include_pad=True, divisor=None):
    N, C, H, W = x.shape

    def osize(n, k_, s_, p_, d_):
        o = (n + 2 * p_ - d_ * (k_ - 1) - 1 + (s_ - 1 if ceil_mode else 0)) // s_ + 1
        if ceil_mode and (o - 1) * s_ >= n + p_:
            o -= 1
        return o
    OH, OW = osize(H, k[0], s[0], p[0], d[0]), osize(W, k[1], s[1], p[1], d[1])
    out = np.zeros((N, C, OH, OW))
    idx = np.zeros((N, C, OH, OW), dtype=np.int64)
    for oh in range(OH):
        for ow in range(OW):
            h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
            if kind == "max":
                hs = [h0 + i * d[0] for i in range(k[0]) if 0 <= h0 + i * d[0] < H]
                ws = [w0 + j * d[1] for j in range(k[1]) if 0 <= w0 + j * d[1] < W]
                win = x[:, :, hs][:, :, :, ws].reshape(N, C, -1)
                a = win.argmax(-1)
                out[:, :, oh, ow] = win.max(-1)
                idx[:, :, oh, ow] = np.array(hs)[a // len(ws)] * W + np.array(ws)[a % len(ws)]
            else:
                h1, w1 = min(h0 + k[0], H + p[0]), min(w0 + k[1], W + p[1])
                pool = (h1 - h0) * (w1 - w0)
                hh0, ww0, hh1, ww1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
                div = divisor or (pool if count_include_pad else (hh1 - hh0) * (ww1 - ww0))
                out[:, :, oh, ow] = x[:, :, hh0:hh1, ww0:ww1].sum((2, 3)) / div
    return out, idx


def np_log_softmax(x, dim):
    m = x.max(dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(dim, keepdims=True))


def np_cross_entropy(x, t, w=None, reduction="mean", ignore_index=-100, ls=0.0):
    """x (N, C, *), t (N, *) -- torch's definition (LossNLL.cpp)."""
    C = x.shape[1]
    logp = np_log_softmax(x, 1)
    wv = np.ones(C) if w is None else w
    keep = t != ignore_index
    ts = np.where(keep, t, 0)
    lp_t = np.take_along_axis(logp, ts[:, None], 1)[:, 0]
    wt = wv[ts] * keep
    nll = -wt * lp_t
    smooth = -(logp * wv.reshape((1, C) + (1,) * (x.ndim - 2))).sum(1) * keep
    if reduction == "none":
        return (1 - ls) * nll + ls / C * smooth
    if reduction == "sum":
        return (1 - ls) * nll.sum() + ls / C * smooth.sum()
    return ((1 - ls) * nll.sum() + ls / C * smooth.sum()) / wt.sum()


# ------------------------------------------------------------------ convolution
CONV_CASES = [  # (N, C, H, W), (O, kh, kw), stride, padding, dilation, groups, bias
    ((2, 3, 7, 6), (4, 3, 3), (1, 1), (0, 0), (1, 1), 1, True),
    ((2, 4, 8, 9), (6, 3, 2), (2, 1), (1, 2), (1, 1), 2, False),
    ((1, 2, 9, 9), (3, 3, 3), (2, 3), (2, 1), (2, 2), 1, True),
    ((3, 4, 5, 5), (4, 1, 1), (1, 1), (0, 0), (1, 1), 1, True),  # pointwise: no im2col
    ((2, 4, 6, 6), (4, 3, 3), (1, 1), (1, 1), (1, 1), 4, True),  # depthwise
    ((1, 1, 32, 32), (6, 5, 5), (1, 1), (0, 0), (1, 1), 1, True),  # the blitz conv1
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_conv2d_forward_backward_vs_numpy(case, dtype, device):
    xs, (O, kh, kw), stride, padding, dilation, groups, bias = case
    x = RNG.standard_normal(xs)
    w = RNG.standard_normal((O, xs[1] // groups, kh, kw))
    b = RNG.standard_normal(O) if bias else None
    xt, wt = T(x, dtype, True, device), T(w, dtype, True, device)
    bt = T(b, dtype, True, device) if bias else None
    y = F.conv2d(xt, wt, bt, stride, padding, dilation, groups)
    assert y.device.type == device
    ref = np_conv2d(x, w, b, stride, padding, dilation, groups)
    close(y, ref, dtype)
    gy = RNG.standard_normal(ref.shape)
    y.backward(T(gy, dtype, device=device))
    gx, gw, gb = np_conv2d_grads(x, w, gy, stride, padding, dilation, groups)
    close(xt.grad, gx, dtype)
    close(wt.grad, gw, dtype)
    if bias:
        close(bt.grad, gb, dtype)


def test_conv2d_layouts_threads_and_unbatched():
    x = RNG.standard_normal((5, 3, 6, 7))
    w = RNG.standard_normal((4, 3, 3, 3))
    ref = np_conv2d(x, w, None, (1, 1), (1, 1), (1, 1), 1)
    xt = T(x.transpose(0, 2, 3, 1).copy()).permute(0, 3, 1, 2)  # a non-contiguous input
    assert not xt.is_contiguous()
    close(F.conv2d(xt, T(w), padding=1), ref)
    n = torch.get_num_threads()
    try:  # one thread and several threads (per-image split, and the batch-parallel weight gradient)
        for threads in (1, 3):
            torch.set_num_threads(threads)
            xg, wg = T(x, requires_grad=True), T(w, requires_grad=True)
            F.conv2d(xg, wg, padding=1).sum().backward()
            gx, gw, _ = np_conv2d_grads(x, w, np.ones(ref.shape), (1, 1), (1, 1), (1, 1), 1)
            close(xg.grad, gx)
            close(wg.grad, gw)
    finally:
        torch.set_num_threads(n)
    y = F.conv2d(T(x[0]), T(w), padding=1)  # (C, H, W) input
    assert y.shape == (4, 6, 7)
    close(y, ref[0])
    assert F.conv2d(T(x), T(w), padding="same").shape == (5, 4, 6, 7)
    assert F.conv2d(T(x), T(w), padding="valid").shape == (5, 4, 4, 5)


def test_conv2d_module_defaults_and_repr():
    torch.manual_seed(0)
    m = nn.Conv2d(3, 8, 3)
    bound = 1 / math.sqrt(3 * 9)
    assert m.weight.shape == (8, 3, 3, 3) and m.bias.shape == (8,)
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    assert float(m.weight.abs().max()) > 0.5 * bound
    assert repr(m) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    m2 = nn.Conv2d(4, 8, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False)
    assert repr(m2) == ("Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
                        "groups=2, bias=False)")
    assert m2.bias is None and len(list(m2.parameters())) == 1


def test_conv2d_gradcheck_and_double_backward():
    torch.manual_seed(0)
    x = torch.randn(1, 2, 5, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 1, 2, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
                     (x, w, b))
    x2 = torch.randn(1, 1, 4, 4, dtype=torch.float64, requires_grad=True)
    w2 = torch.randn(1, 1, 2, 2, dtype=torch.float64, requires_grad=True)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, stride=1, padding=1), (x2, w2))


# --------------------------------------------------------------------- pooling
POOL_CASES = [  # shape, kernel, stride, padding, dilation, ceil_mode
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((1, 2, 7, 9), (3, 2), (2, 1), (1, 1), (1, 1), False),
    ((2, 1, 7, 7), (3, 3), (2, 2), (1, 0), (1, 1), True),
    ((1, 2, 9, 8), (2, 3), (1, 2), (0, 1), (2, 2), True),
]


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_max_pool2d_vs_numpy(case, dtype, device):
    shape, k, s, p, d, ceil = case
    x = RNG.permutation(np.prod(shape)).reshape(shape).astype(np.float64) / 7  # distinct values: no ties
    xt = T(x, dtype, True, device)
    out, idx = F.max_pool2d(xt, k, s, p, d, ceil, return_indices=True)
    ref, ref_idx = np_pool2d(x, k, s, p, d, ceil, "max")
    close(out, ref, dtype)
    assert (npy(idx) == ref_idx).all()
    gy = RNG.standard_normal(ref.shape)
    out.backward(T(gy, dtype, device=device))
    gx = np.zeros_like(x).reshape(shape[0], shape[1], -1)
    for n in range(shape[0]):
        for c in range(shape[1]):
            np.add.at(gx[n, c], ref_idx[n, c].ravel(), gy[n, c].ravel())
    close(xt.grad, gx.reshape(shape), dtype)


@pytest.mark.parametrize("case", POOL_CASES[:3])
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_vs_numpy(case, count_include_pad, device):
    shape, k, s, p, _, ceil = case
    x = RNG.standard_normal(shape)
    xt = T(x, requires_grad=True, device=device)
    out = F.avg_pool2d(xt, k, s, p, ceil, count_include_pad)
    close(out, np_pool2d(x, k, s, p, (1, 1), ceil, "avg", count_include_pad)[0])
    close(F.avg_pool2d(T(x, device=device), k, s, p, ceil, count_include_pad, divisor_override=3),
          np_pool2d(x, k, s, p, (1, 1), ceil, "avg", count_include_pad, 3)[0])
    # backward: the adjoint <avg(x), g> = <x, avg^T(g)>
    g = RNG.standard_normal(out.shape)
    out.backward(T(g, device=device))
    eps = 1e-6
    e = np.zeros(x.size)
    for i in RNG.choice(x.size, 5, replace=False):
        e[:] = 0
        e[i] = eps
        num = ((np_pool2d(x + e.reshape(shape), k, s, p, (1, 1), ceil, "avg", count_include_pad)[0] -
                np_pool2d(x - e.reshape(shape), k, s, p, (1, 1), ceil, "avg", count_include_pad)[0]) * g).sum()
        assert abs(num / (2 * eps) - npy(xt.grad).ravel()[i]) < 1e-6


def test_pool_gradcheck_modules_and_adaptive():
    torch.manual_seed(0)
    x = T(RNG.permutation(32).reshape(1, 2, 4, 4) / 5.0, requires_grad=True)
    assert gradcheck(lambda x: F.max_pool2d(x, 2, 1, padding=1), (x,))
    assert gradcheck(lambda x: F.avg_pool2d(x, 3, 2, padding=1, ceil_mode=True), (x,))
    assert gradgradcheck(lambda x: F.max_pool2d(x, 2), (x,))
    assert gradgradcheck(lambda x: F.avg_pool2d(x, 2), (x,))
    m = nn.MaxPool2d(2, 2)
    assert repr(m) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool2d(3)) == "AvgPool2d(kernel_size=3, stride=3, padding=0)"
    xs = RNG.standard_normal((2, 3, 7, 5))
    for out_size in [(1, 1), (7, 5), (3, 2), (4, 4), 2]:
        oh, ow = (out_size, out_size) if isinstance(out_size, int) else out_size
        ref = np.zeros((2, 3, oh, ow))
        for i in range(oh):
            for j in range(ow):
                h0, h1 = i * 7 // oh, -(-(i + 1) * 7 // oh)
                w0, w1 = j * 5 // ow, -(-(j + 1) * 5 // ow)
                ref[:, :, i, j] = xs[:, :, h0:h1, w0:w1].mean((2, 3))
        close(nn.AdaptiveAvgPool2d(out_size)(T(xs)), ref)
    # unbatched (C, H, W)
    close(F.max_pool2d(T(xs[0]), 2), np_pool2d(xs[:1], (2, 2), (2, 2), (0, 0), (1, 1), False, "max")[0][0])


def test_max_pool2d_nan_propagates(device):
    x = torch.tensor([[[[1.0, float("nan")], [3.0, 2.0]]]], device=device)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert math.isnan(out.item()) and idx.item() == 1
    # a NaN in a window clipped by the padding wins too
    y, idx = F.max_pool2d(x, 2, 1, padding=1, return_indices=True)
    assert np.isnan(npy(y)).tolist() == [[[[False, True, True], [False, True, True], [False, False, False]]]]
    assert npy(idx)[0, 0, 0, 1] == 1 and npy(idx)[0, 0, 2, 2] == 3


# --------------------------------------------------------------------- softmax
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax_vs_numpy(dtype, dim, device):
    x = RNG.standard_normal((3, 4, 5)) * 3
    xt = T(x, dtype, True, device)
    y = F.log_softmax(xt, dim)
    close(y, np_log_softmax(x, dim), dtype)
    close(F.softmax(T(x, dtype, device=device), dim), np.exp(np_log_softmax(x, dim)), dtype)
    g = RNG.standard_normal(x.shape)
    y.backward(T(g, dtype, device=device))
    p = np.exp(np_log_softmax(x, dim))
    close(xt.grad, g - p * g.sum(dim, keepdims=True), dtype)
    xt.grad = None
    s = xt.softmax(dim)
    s.backward(T(g, dtype, device=device))
    close(xt.grad, p * (g - (g * p).sum(dim, keepdims=True)), dtype)


def test_softmax_extremes_gradcheck_and_modules():
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    assert not torch.isnan(F.softmax(big, 1)).any() if hasattr(torch, "isnan") else True
    np.testing.assert_allclose(F.softmax(big, 1).numpy(), [[1, 0, 0]], atol=1e-6)
    ninf = F.softmax(torch.tensor([[-math.inf, -math.inf]]), 1).numpy()
    assert np.isnan(ninf).all()  # torch: a row of -inf gives NaN
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda x: F.log_softmax(x, 1), (x,))
    assert gradcheck(lambda x: F.softmax(x, 0), (x,))
    assert gradgradcheck(lambda x: F.log_softmax(x, 1), (x,))
    assert gradgradcheck(lambda x: F.softmax(x, 1), (x,))
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)" and repr(nn.LogSoftmax(1)) == "LogSoftmax(dim=1)"
    close(nn.LogSoftmax(dim=1)(x), np_log_softmax(x.detach().numpy(), 1))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        F.softmax(torch.randn(2, 3))
    close(torch.log_softmax(x, 1), np_log_softmax(x.detach().numpy(), 1))


# ---------------------------------------------------------------------- losses
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ls", [0.0, 0.2])
def test_cross_entropy_vs_numpy(reduction, weighted, ls, device):
    x = RNG.standard_normal((6, 5)) * 2
    t = np.array([0, 4, 2, -100, 1, 4])
    w = RNG.uniform(0.5, 2, 5) if weighted else None
    xt = T(x, requires_grad=True, device=device)
    loss = F.cross_entropy(xt, T(t, torch.int64, device=device), T(w, device=device) if weighted else None,
                           reduction=reduction, label_smoothing=ls)
    ref = np_cross_entropy(x, t, w, reduction, -100, ls)
    close(loss, ref)
    # gradient against central differences of the numpy reference
    g = RNG.standard_normal(np.shape(ref))
    loss.backward(T(g, device=device))
    eps, num = 1e-6, np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        num[idx] = ((np_cross_entropy(x + e, t, w, reduction, -100, ls) -
                     np_cross_entropy(x - e, t, w, reduction, -100, ls)) * g).sum() / (2 * eps)
    np.testing.assert_allclose(npy(xt.grad), num, rtol=1e-6, atol=1e-8)


def test_cross_entropy_spatial_float32_module_and_nll(device):
    x = RNG.standard_normal((2, 4, 3, 2))
    t = RNG.integers(0, 4, (2, 3, 2))
    t[0, 1, 1] = 3
    crit = nn.CrossEntropyLoss(ignore_index=3)
    close(crit(T(x, torch.float32, device=device), T(t, torch.int64, device=device)),
          np_cross_entropy(x, t, None, "mean", 3), torch.float32)
    logp = np_log_softmax(x, 1)
    w = RNG.uniform(0.5, 2, 4)
    for reduction in ("none", "mean", "sum"):
        got = F.nll_loss(T(logp, device=device), T(t, torch.int64, device=device), T(w, device=device),
                         ignore_index=3, reduction=reduction)
        keep = t != 3
        ts = np.where(keep, t, 0)
        nll = -np.take_along_axis(logp, ts[:, None], 1)[:, 0] * w[ts] * keep
        ref = nll if reduction == "none" else nll.sum() if reduction == "sum" else nll.sum() / (w[ts] * keep).sum()
        close(got, ref)
    # 1-D (unbatched) input with a 0-d target
    close(F.cross_entropy(T(x[0, :, 0, 0], device=device), torch.tensor(2, device=device)),
          -np_log_softmax(x[0, :, 0, 0], 0)[2])
    # class-probability targets
    p = np.exp(np_log_softmax(RNG.standard_normal((3, 4)), 1))
    xs = RNG.standard_normal((3, 4))
    close(F.cross_entropy(T(xs, device=device), T(p, device=device)), -(p * np_log_softmax(xs, 1)).sum(1).mean())
    assert repr(crit) == "CrossEntropyLoss()"


def test_class_loss_bad_targets(device):
    if device == "cuda":  # a device-side assertion there, as torch's (tests/test_cuda_sync_free.py, in a subprocess)
        pytest.skip("CUDA checks class targets in the kernel, without a host sync")
    x = T(RNG.standard_normal((2, 5)), device=device)
    for reduction in ("mean", "none", "sum"):
        with pytest.raises(IndexError) as e:
            F.cross_entropy(x, torch.tensor([1, 5], device=device), reduction=reduction)
        assert str(e.value) == "Target 5 is out of bounds."
    with pytest.raises(IndexError, match="Target -2 is out of bounds."):
        F.cross_entropy(x, torch.tensor([1, -2], device=device))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.nll_loss(x, torch.tensor([7, 0], device=device))
    close(F.cross_entropy(x, torch.tensor([-100, 4], device=device), reduction="sum"),  # ignored: in bounds
          -np_log_softmax(npy(x), 1)[1, 4])


def np_cross_entropy_grad(x, t, w, reduction, ignore_index, ls, g):
    """d(sum g * loss)/dx for x (N, C, S): the closed form in cpu/softmax.cpp's header."""
    C = x.shape[1]
    p = np.exp(np_log_softmax(x, 1))
    keep = t != ignore_index
    ts = np.where(keep, t, 0)
    wt = w[ts] * keep
    onehot = np.arange(C)[None, :, None] == ts[:, None, :]
    grad = ((1 - ls) * wt[:, None] * (p - onehot) + ls / C * (w.sum() * p - w[None, :, None])) * keep[:, None]
    return grad * (g[:, None] if reduction == "none" else g / (wt.sum() if reduction == "mean" else 1))


def test_nn_kernels_larger_shapes_vs_numpy(device):
    """Sizes that take the kernels' other paths: long rows (a block per row on CUDA), medium rows (a
    warp), many strided rows (a thread per row), many overlapping pooling windows, a tiled GEMM."""
    for shape in [(3, 5000), (64, 50), (2, 40, 3), (2, 7, 3000)]:
        x = RNG.standard_normal(shape) * 3
        xt = T(x, requires_grad=True, device=device)
        y = F.log_softmax(xt, 1)
        close(y, np_log_softmax(x, 1))
        g = RNG.standard_normal(shape)
        y.backward(T(g, device=device))
        p = np.exp(np_log_softmax(x, 1))
        close(xt.grad, g - p * g.sum(1, keepdims=True))
        close(F.softmax(T(x, device=device), 1), p)
    for N, C, S in [(3, 40, 1), (2, 5000, 1), (2, 3, 3000)]:
        x = RNG.standard_normal((N, C, S)) * 2
        t = RNG.integers(0, C, (N, S))
        t.flat[::7] = -100
        w = RNG.uniform(0.5, 2, C)
        for reduction in ("mean", "none"):
            xt = T(x, requires_grad=True, device=device)
            loss = F.cross_entropy(xt, T(t, torch.int64, device=device), T(w, device=device), reduction=reduction,
                                   label_smoothing=0.1)
            close(loss, np_cross_entropy(x, t, w, reduction, -100, 0.1))
            g = RNG.standard_normal(loss.shape) if reduction == "none" else np.float64(1.5)
            loss.backward(T(g, device=device))
            close(xt.grad, np_cross_entropy_grad(x, t, w, reduction, -100, 0.1, g))
    shape = (2, 3, 33, 31)
    x = RNG.permutation(np.prod(shape)).reshape(shape).astype(np.float64)
    xt = T(x, requires_grad=True, device=device)
    out, idx = F.max_pool2d(xt, 3, 1, 1, return_indices=True)
    ref, ref_idx = np_pool2d(x, (3, 3), (1, 1), (1, 1), (1, 1), False, "max")
    close(out, ref)
    assert (npy(idx) == ref_idx).all()
    gy = RNG.standard_normal(ref.shape)
    out.backward(T(gy, device=device))
    gx = np.zeros((2, 3, 33 * 31))
    for n in range(2):
        for c in range(3):
            np.add.at(gx[n, c], ref_idx[n, c].ravel(), gy[n, c].ravel())
    close(xt.grad, gx.reshape(shape))
    x, w = RNG.standard_normal((3, 8, 20, 20)), RNG.standard_normal((32, 8, 3, 3))
    xt, wt = T(x, requires_grad=True, device=device), T(w, requires_grad=True, device=device)
    y = F.conv2d(xt, wt, padding=1)
    close(y, np_conv2d(x, w, None, (1, 1), (1, 1), (1, 1), 1))
    gy = RNG.standard_normal(y.shape)
    y.backward(T(gy, device=device))
    gx, gw, _ = np_conv2d_grads(x, w, gy, (1, 1), (1, 1), (1, 1), 1)
    close(xt.grad, gx)
    close(wt.grad, gw)


def test_class_losses_gradcheck_and_double_backward():
    torch.manual_seed(0)
    x = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    t = torch.tensor([1, 0, 3])
    w = torch.tensor([1.0, 2.0, 0.5, 1.5], dtype=torch.float64)
    assert gradcheck(lambda x: F.cross_entropy(x, t, w, label_smoothing=0.1), (x,))
    assert gradcheck(lambda x: F.cross_entropy(x, t, reduction="none"), (x,))
    assert gradcheck(lambda x: F.nll_loss(x, t, w), (x,))
    assert gradgradcheck(lambda x: F.cross_entropy(x, t, w, label_smoothing=0.1), (x,))
    assert gradgradcheck(lambda x: F.cross_entropy(x, t, reduction="none"), (x,))
    assert gradgradcheck(lambda x: F.nll_loss(x, t, reduction="none"), (x,))


def _np_reduce(v, reduction):
    return v if reduction == "none" else v.sum() if reduction == "sum" else v.mean()


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_regression_and_binary_losses_vs_numpy(reduction):
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    d = a - b
    close(nn.MSELoss(reduction=reduction)(T(a), T(b)), _np_reduce(d * d, reduction))
    close(nn.L1Loss(reduction=reduction)(T(a), T(b)), _np_reduce(np.abs(d), reduction))
    for beta in (1.0, 0.5):
        ref = np.where(np.abs(d) < beta, 0.5 * d * d / beta, np.abs(d) - 0.5 * beta)
        close(nn.SmoothL1Loss(reduction=reduction, beta=beta)(T(a), T(b)), _np_reduce(ref, reduction))
    p = 1 / (1 + np.exp(-a))
    y = (RNG.uniform(size=a.shape) > 0.5).astype(np.float64)
    wt = RNG.uniform(0.5, 2, a.shape)
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    close(nn.BCELoss(reduction=reduction)(T(p), T(y)), _np_reduce(bce, reduction))
    close(nn.BCELoss(weight=T(wt), reduction=reduction)(T(p), T(y)), _np_reduce(bce * wt, reduction))
    close(nn.BCEWithLogitsLoss(reduction=reduction)(T(a), T(y)), _np_reduce(bce, reduction))
    pw = RNG.uniform(0.5, 3, 3)
    ref = -(pw * y * np.log(p) + (1 - y) * np.log(1 - p))
    close(nn.BCEWithLogitsLoss(reduction=reduction, pos_weight=T(pw))(T(a), T(y)), _np_reduce(ref, reduction))


def test_losses_gradcheck_legacy_args_and_extremes():
    torch.manual_seed(0)
    a = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=torch.float64)
    for fn in (lambda a, b: F.mse_loss(a, b), lambda a, b: F.mse_loss(a, b, reduction="none"),
               lambda a, b: F.l1_loss(a, b), lambda a, b: F.smooth_l1_loss(a, b, beta=0.7)):
        assert gradcheck(fn, (a, b))
    assert gradcheck(lambda a: F.binary_cross_entropy(a.sigmoid(), y), (a,))
    assert gradcheck(lambda a: F.binary_cross_entropy_with_logits(a, y, pos_weight=torch.tensor(
        [2.0, 0.5], dtype=torch.float64)), (a,))
    assert gradgradcheck(lambda a, b: F.mse_loss(a, b, reduction="sum"), (a, b))
    # the 2017 arguments
    x, t = torch.randn(4, 3), torch.randn(4, 3)
    with pytest.warns(UserWarning):
        legacy = nn.MSELoss(size_average=False)
    assert legacy.reduction == "sum"
    close(legacy(x, t), F.mse_loss(x, t, reduction="sum").numpy(), torch.float32)
    with pytest.warns(UserWarning):
        assert nn.L1Loss(reduce=False).reduction == "none"
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
    # logits far from 0 stay finite; BCE clamps log at -100
    big = torch.tensor([100.0, -100.0])
    assert np.isfinite(F.binary_cross_entropy_with_logits(big, torch.tensor([0.0, 1.0])).item())
    assert F.binary_cross_entropy(torch.tensor([0.0]), torch.tensor([1.0])).item() == pytest.approx(100.0)
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(torch.tensor([1.5]), torch.tensor([1.0]))


# ---------------------------------------------------------------------- layers
def test_linear_vs_numpy_and_repr():
    torch.manual_seed(0)
    m = nn.Linear(5, 3).double()
    x = RNG.standard_normal((2, 4, 5))
    xt = T(x, requires_grad=True)
    y = m(xt)
    W, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    close(y, x @ W.T + b)
    g = RNG.standard_normal(y.shape)
    y.backward(T(g))
    close(xt.grad, g @ W)
    close(m.weight.grad, g.reshape(-1, 3).T @ x.reshape(-1, 5))
    close(m.bias.grad, g.reshape(-1, 3).sum(0))
    assert repr(nn.Linear(400, 120)) == "Linear(in_features=400, out_features=120, bias=True)"
    nb = nn.Linear(3, 2, bias=False)
    assert nb.bias is None and nb(torch.randn(4, 3)).shape == (4, 2)
    assert gradcheck(lambda x: F.linear(x, m.weight, m.bias), (T(x[0], requires_grad=True),))
    bound = 1 / math.sqrt(5)
    lin = nn.Linear(5, 300)
    assert float(lin.weight.abs().max()) <= bound and float(lin.bias.abs().max()) <= bound
    assert abs(float(lin.weight.detach().numpy().std()) - bound / math.sqrt(3)) < 0.02


def test_activation_and_shape_modules():
    x = RNG.standard_normal((3, 4))
    xt = T(x)
    close(nn.ReLU()(xt), np.maximum(x, 0))
    close(nn.LeakyReLU(0.2)(xt), np.where(x > 0, x, 0.2 * x))
    close(nn.Sigmoid()(xt), 1 / (1 + np.exp(-x)))
    close(nn.Tanh()(xt), np.tanh(x))
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.LeakyReLU(0.2, True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert nn.Flatten()(torch.randn(2, 3, 4, 5)).shape == (2, 60)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    y = T(x.copy())
    nn.ReLU(inplace=True)(y)
    close(y, np.maximum(x, 0))


def test_dropout():
    torch.manual_seed(0)
    d = nn.Dropout(0.25)
    x = torch.ones(100, 100)
    y = d(x).numpy()
    assert set(np.unique(y).tolist()) <= {0.0, float(np.float32(1 / 0.75))}
    assert abs((y == 0).mean() - 0.25) < 0.03
    d.eval()
    assert d(x) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)
    xg = torch.ones(4, 4, requires_grad=True)
    out = F.dropout(xg, 0.5)
    out.sum().backward()
    assert np.array_equal(xg.grad.numpy(), out.detach().numpy())  # grad = mask / (1 - p)


def test_batchnorm_train_eval_running_stats():
    x = RNG.standard_normal((8, 3, 4, 5)) * 2 + 1
    bn = nn.BatchNorm2d(3).double()
    with torch.no_grad():
        bn.weight.copy_(T([1.0, 2.0, 0.5]))
        bn.bias.copy_(T([0.0, 1.0, -1.0]))
    xt = T(x, requires_grad=True)
    y = bn(xt)
    mu, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
    norm = (x - mu.reshape(1, 3, 1, 1)) / np.sqrt(var.reshape(1, 3, 1, 1) + 1e-5)
    close(y, norm * np.array([1, 2, 0.5]).reshape(1, 3, 1, 1) + np.array([0, 1, -1]).reshape(1, 3, 1, 1))
    n = 8 * 4 * 5
    close(bn.running_mean, 0.1 * mu)
    close(bn.running_var, 0.9 + 0.1 * var * n / (n - 1))
    assert bn.num_batches_tracked.item() == 1
    y.sum().backward()
    assert xt.grad.shape == x.shape
    bn.eval()
    rm, rv = bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()
    close(bn(T(x)), (x - rm.reshape(1, 3, 1, 1)) / np.sqrt(rv.reshape(1, 3, 1, 1) + 1e-5) *
          np.array([1, 2, 0.5]).reshape(1, 3, 1, 1) + np.array([0, 1, -1]).reshape(1, 3, 1, 1))
    assert bn.num_batches_tracked.item() == 1
    b1 = nn.BatchNorm1d(4, momentum=None).double()
    x1 = RNG.standard_normal((6, 4))
    b1(T(x1))
    b1(T(x1 * 2))
    close(b1.running_mean, (x1.mean(0) + 2 * x1.mean(0)) / 2)  # cumulative average
    assert repr(b1) == "BatchNorm1d(4, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)"
    assert sorted(b1.state_dict()) == ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input "
                                         r"size torch.Size\(\[1, 3\]\)"):
        nn.BatchNorm1d(3).train()(torch.randn(1, 3))
    nn.BatchNorm1d(3).eval()(torch.randn(1, 3))  # fine in eval mode
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(torch.randn(2, 3))


def test_embedding():
    torch.manual_seed(0)
    emb = nn.Embedding(10, 3, padding_idx=0)
    assert (emb.weight[0].detach().numpy() == 0).all()
    idx = torch.tensor([[1, 2, 1], [0, 9, 1]])
    out = emb(idx)
    W = emb.weight.detach().numpy()
    close(out, W[idx.numpy()], torch.float32)
    out.sum().backward()
    g = emb.weight.grad.numpy()
    assert g[1].tolist() == [3.0, 3.0, 3.0] and g[0].tolist() == [0.0, 0.0, 0.0] and g[5].tolist() == [0, 0, 0]
    assert repr(emb) == "Embedding(10, 3, padding_idx=0)"
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(10, 4)(torch.tensor([10]))
    with pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(10, 4)(torch.tensor([-1]))
    with torch.no_grad(), pytest.raises(IndexError, match="index out of range in self"):
        nn.Embedding(10, 4)(torch.tensor([[3, -2]], dtype=torch.int32))
    with pytest.raises(RuntimeError, match="Long, Int; but got torch.ByteTensor instead"):
        nn.Embedding(10, 4)(torch.tensor([1], dtype=torch.uint8))
    with pytest.raises(RuntimeError, match="Long, Int; but got CPUBoolType instead"):
        nn.Embedding(10, 4)(torch.tensor([True]))
    big = nn.Embedding(10, 4, max_norm=0.1)
    before = big.weight.detach().clone()
    with pytest.raises(IndexError, match=r"^select\(\): index 10 out of range for tensor of size \[10, 4\] at dim"):
        big(torch.tensor([1, 10]))
    assert torch.equal(big.weight.detach(), before)  # (torch renorms row 1 first; ours writes nothing on an error)
    assert emb(torch.tensor(4)).shape == (3,) and emb(torch.zeros(0, 2, dtype=torch.long)).shape == (0, 2, 3)


def test_init_functions():
    torch.manual_seed(0)
    w = torch.empty(200, 300)
    nn.init.kaiming_uniform_(w, a=0, nonlinearity="relu")
    bound = math.sqrt(2) * math.sqrt(3 / 300)
    assert float(w.abs().max()) <= bound and abs(float(w.std()) - bound / math.sqrt(3)) < 0.01 * bound
    nn.init.kaiming_normal_(w, mode="fan_out")
    assert abs(float(w.std()) - math.sqrt(2 / (1 + 0.0)) / math.sqrt(200)) < 0.01
    nn.init.xavier_uniform_(w, gain=2.0)
    a = 2.0 * math.sqrt(6 / 500)
    assert float(w.abs().max()) <= a
    nn.init.xavier_normal_(w)
    assert abs(float(w.std()) - math.sqrt(2 / 500)) < 0.003
    nn.init.normal_(w, 3.0, 0.5)
    assert abs(float(w.mean()) - 3) < 0.01 and abs(float(w.std()) - 0.5) < 0.01
    nn.init.uniform_(w, -2, -1)
    assert float(w.max()) <= -1 and float(w.min()) >= -2
    nn.init.constant_(w, 0.25)
    assert (w.numpy() == 0.25).all()
    nn.init.zeros_(w)
    assert (w.numpy() == 0).all()
    nn.init.ones_(w)
    assert (w.numpy() == 1).all()
    assert nn.init.calculate_gain("tanh") == 5.0 / 3 and nn.init.calculate_gain("relu") == math.sqrt(2)
    assert nn.init.calculate_gain("leaky_relu", math.sqrt(5)) == math.sqrt(2 / 6)
    p = nn.Parameter(torch.empty(3, 4))
    nn.init.kaiming_uniform_(p)  # in place on a leaf that requires grad: runs under no_grad
    assert p.requires_grad and p.is_leaf
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(torch.empty(3))


# ------------------------------------------------------------------ Module API
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 16 * 5 * 5)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def test_module_repr_parameters_and_traversal():
    net = Net()
    assert repr(net) == (
        "Net(\n"
        "  (conv1): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n"
        "  (fc1): Linear(in_features=400, out_features=120, bias=True)\n"
        "  (fc2): Linear(in_features=120, out_features=84, bias=True)\n"
        "  (fc3): Linear(in_features=84, out_features=10, bias=True)\n"
        ")")
    names = [n for n, _ in net.named_parameters()]
    assert names == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                     "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]
    assert len(list(net.parameters())) == 10 and next(iter(net.parameters())).shape == (6, 1, 5, 5)
    assert [n for n, _ in net.named_children()] == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert len(list(net.modules())) == 6 and [n for n, _ in net.named_modules()][:2] == ["", "conv1"]
    out = net(torch.randn(2, 1, 32, 32))
    assert out.shape == (2, 10)
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Sequential(nn.Linear(3, 1)))
    assert repr(seq) == ("Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n"
                         "  (2): Sequential(\n    (0): Linear(in_features=3, out_features=1, bias=True)\n  )\n)")
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.0.weight", "2.0.bias"]
    assert isinstance(seq[1], nn.ReLU) and isinstance(seq[-1], nn.Sequential) and len(seq[:2]) == 2
    shared = nn.Linear(2, 2)
    twice = nn.Sequential(shared, shared)
    assert len(list(twice.parameters())) == 2  # shared parameters are listed once
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        _ = net.nope


def test_module_registration_and_assignment_rules():
    m = nn.Module()
    m.register_buffer("running", torch.zeros(3))
    m.register_buffer("scratch", torch.zeros(2), persistent=False)
    m.w = nn.Parameter(torch.ones(2))
    m.add_module("child", nn.Linear(2, 2))
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert sorted(m.state_dict()) == ["child.bias", "child.weight", "running", "w"]
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = torch.ones(2)
    m.w = None
    assert m.w is None and "w" not in m.state_dict()
    with pytest.raises(KeyError, match="attribute 'child' already exists"):
        m.register_buffer("child", torch.zeros(1))
    with pytest.raises(KeyError):
        m.register_parameter("a.b", None)
    del m.child
    assert not hasattr(m, "child")
    with pytest.raises(AttributeError, match="before Module.__init__"):
        class Bad(nn.Module):
            def __init__(self):
                self.p = nn.Parameter(torch.ones(1))
        Bad()
    ml = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    ml.append(nn.ReLU())
    assert len(ml) == 4 and len(list(ml.parameters())) == 6 and isinstance(ml[-1], nn.ReLU)
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ReLU()})
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(list(md.parameters())) == 2
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        nn.Module()(1)


def test_zero_grad_train_eval_apply_to_and_hooks():
    net = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.1), nn.Linear(4, 1))
    net(torch.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and float(p.grad.abs().sum()) == 0 for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.eval()
    assert not net.training and not net[1].training
    net.train()
    assert net[1].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        net.train("yes")
    seen = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Dropout", "Linear", "Sequential"]
    w = net[0].weight
    net.double()
    assert net[0].weight is w and w.dtype == torch.float64 and w.requires_grad
    net.to(torch.float32)
    assert w.dtype == torch.float32
    net.to("cpu")
    net.cpu()
    bn = nn.BatchNorm1d(2).double()
    assert bn.running_mean.dtype == torch.float64 and bn.num_batches_tracked.dtype == torch.int64
    calls = []
    h = net.register_forward_hook(lambda m, inp, out: calls.append(out.shape))
    pre = net.register_forward_pre_hook(lambda m, inp: calls.append("pre"))
    net(torch.randn(5, 3))
    h.remove()
    pre.remove()
    net(torch.randn(5, 3))
    assert calls == ["pre", (5, 1)]
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_state_dict_round_trip_and_strict_errors():
    a, b = Net(), Net()
    sd = a.state_dict()
    assert list(sd) == [n for n, _ in a.named_parameters()]
    assert not sd["fc1.weight"].requires_grad
    r = b.load_state_dict(sd)
    assert repr(r) == "<All keys matched successfully>"
    for (n, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy()), n
    lin = nn.Linear(3, 2)
    before = {k: v.clone() for k, v in lin.state_dict().items()}
    bad = {"weight": torch.zeros(3, 3), "extra": torch.zeros(1)}
    with pytest.raises(RuntimeError) as e:
        lin.load_state_dict(bad)
    assert str(e.value) == (
        'Error(s) in loading state_dict for Linear:\n\tMissing key(s) in state_dict: "bias". \n\t'
        'Unexpected key(s) in state_dict: "extra". \n\tsize mismatch for weight: copying a param with shape '
        "torch.Size([3, 3]) from checkpoint, the shape in current model is torch.Size([2, 3]).")
    for k, v in lin.state_dict().items():  # nothing changed
        assert np.array_equal(v.numpy(), before[k].numpy())
    # a valid entry next to a bad one is not loaded either (all or nothing)
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        lin.load_state_dict({"weight": torch.ones(2, 3), "bias": torch.ones(5)})
    assert np.array_equal(lin.weight.detach().numpy(), before["weight"].numpy())
    lin.load_state_dict({"weight": torch.ones(2, 3, dtype=torch.float64) * 2, "bias": torch.ones(2)})  # casts
    assert lin.weight.dtype == torch.float32 and float(lin.weight.sum()) == 12
    r = lin.load_state_dict({"weight": torch.ones(2, 3, dtype=torch.float64)}, strict=False)
    assert r.missing_keys == ["bias"] and r.unexpected_keys == []
    assert lin.weight.dtype == torch.float32 and float(lin.weight.sum()) == 6


# ----------------------------------------------------------------- bad inputs
def test_conv_bad_inputs():
    with pytest.raises(RuntimeError) as e:
        nn.Conv2d(3, 8, 3)(torch.randn(1, 4, 5, 5))
    assert str(e.value) == ("Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 4, 5, 5] to have 3 "
                            "channels, but got 4 channels instead")
    with pytest.raises(RuntimeError) as e:
        nn.Conv2d(3, 8, 3)(torch.randn(1, 3, 2, 2))
    assert str(e.value) == ("Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel size "
                            "can't be greater than actual input size")
    with pytest.raises(RuntimeError, match="Expected 3D \\(unbatched\\) or 4D \\(batched\\) input to conv2d"):
        nn.Conv2d(3, 8, 3)(torch.randn(3, 5))
    with pytest.raises(RuntimeError, match="should be the same"):
        nn.Conv2d(3, 8, 3)(torch.randn(1, 3, 5, 5, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="non-positive stride"):
        F.conv2d(torch.randn(1, 1, 4, 4), torch.randn(1, 1, 2, 2), stride=0)
    with pytest.raises(RuntimeError, match="expected bias to be 1-dimensional with 2 elements"):
        F.conv2d(torch.randn(1, 1, 4, 4), torch.randn(2, 1, 2, 2), torch.randn(3))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.max_pool2d(torch.randn(1, 3, 2, 2), 3)
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel size"):
        F.max_pool2d(torch.randn(1, 1, 6, 6), 2, padding=2)
    with pytest.raises(NotImplementedError, match="\"max_pool2d\" not implemented for 'Bool'"):
        F.max_pool2d(torch.ones(1, 1, 4, 4, dtype=torch.bool), 2)


def test_linear_and_loss_bad_inputs():
    with pytest.raises(RuntimeError) as e:
        nn.Linear(128, 64)(torch.randn(4, 64))
    assert str(e.value) == "mat1 and mat2 shapes cannot be multiplied (4x64 and 128x64)"
    crit = nn.CrossEntropyLoss()
    for reduction in ("mean", "none", "sum"):
        with pytest.raises(IndexError) as e:
            F.cross_entropy(torch.randn(2, 5), torch.tensor([1, 5]), reduction=reduction)
        assert str(e.value) == "Target 5 is out of bounds."
    with pytest.raises(IndexError, match="Target -2 is out of bounds."):
        crit(torch.randn(2, 5), torch.tensor([1, -2]))
    with pytest.raises(IndexError, match="Target 7 is out of bounds."):
        F.nll_loss(torch.randn(2, 5), torch.tensor([7, 0]))
    with pytest.raises(ValueError) as e:
        crit(torch.randn(2, 5), torch.tensor([1, 2, 3, 4]))
    assert str(e.value) == "Expected input batch_size (2) to match target batch_size (4)."
    with pytest.raises(RuntimeError, match=r"Expected target size \[2, 3\], got \[2, 4\]"):
        crit(torch.randn(2, 5, 3), torch.zeros(2, 4, dtype=torch.int64))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 5 classes"):
        F.cross_entropy(torch.randn(2, 5), torch.tensor([1, 2]), weight=torch.ones(4))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(torch.randn(2, 5), torch.tensor([1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="that is different to the input size"):
        F.binary_cross_entropy(torch.rand(3), torch.rand(4))
    # mean over only ignored targets is nan, as torch
    assert math.isnan(F.cross_entropy(torch.randn(2, 3), torch.tensor([-100, -100])).item())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(torch.randn(2), torch.randn(2))  # same shapes: no warning
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(torch.randn(1, 2), torch.randn(2))


@pytest.mark.cuda
def test_nn_kernels_cuda_match_cpu_deterministically_and_reject_mixed_devices():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 7, (4, 5))
    t[0, 0] = -100
    cw = np.linspace(0.5, 2, 7)
    cases = {  # name: (fn(device, *inputs), input shapes); float32, every input requires grad
        "conv2d": (lambda d, x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
                   [(3, 4, 11, 9), (6, 2, 3, 2), (6,)]),
        "conv2d_pointwise": (lambda d, x, w: F.conv2d(x, w), [(2, 6, 5, 7), (9, 6, 1, 1)]),
        "conv2d_tiled": (lambda d, x, w: F.conv2d(x, w, padding=2), [(2, 16, 24, 24), (64, 16, 5, 5)]),
        "max_pool2d": (lambda d, x: F.max_pool2d(x, 3, 1, 1), [(2, 3, 9, 8)]),
        "max_pool2d_dilated_ceil": (lambda d, x: F.max_pool2d(x, 2, 2, 1, 2, ceil_mode=True), [(2, 3, 9, 8)]),
        "avg_pool2d": (lambda d, x: F.avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False),
                       [(2, 3, 9, 8)]),
        "log_softmax": (lambda d, x: F.log_softmax(x, 1), [(4, 300, 3)]),
        "softmax": (lambda d, x: F.softmax(x, -1), [(8, 5000)]),
        "softmax_strided_rows": (lambda d, x: F.softmax(x, 1), [(3, 9, 2000)]),
        "cross_entropy": (lambda d, x: F.cross_entropy(x, T(t, torch.int64, device=d), T(cw, torch.float32, device=d),
                                                       label_smoothing=0.1), [(4, 7, 5)]),
        "cross_entropy_none": (lambda d, x: F.cross_entropy(x, T(t[:, 0], torch.int64, device=d), reduction="none"),
                               [(4, 7)]),
        "nll_loss": (lambda d, x: F.nll_loss(x, T(t, torch.int64, device=d), reduction="sum"), [(4, 7, 5)]),
    }
    for name, (fn, shapes) in cases.items():
        arrays = [rng.standard_normal(s) for s in shapes]
        gy, results = None, {}
        for run, dev in (("cpu", "cpu"), ("cuda", "cuda"), ("cuda again", "cuda")):
            ins = [T(a, torch.float32, True, dev) for a in arrays]
            out = fn(dev, *ins)
            assert out.device.type == dev, name
            gy = rng.standard_normal(out.shape) if gy is None else gy
            out.backward(T(gy, torch.float32, device=dev))
            results[run] = [npy(out)] + [npy(i.grad) for i in ins]
        for c, g in zip(results["cpu"], results["cuda"]):
            np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5, err_msg=name)
        for a, b in zip(results["cuda"], results["cuda again"]):
            assert np.array_equal(a, b), f"{name}: CUDA results differ from run to run"
    x = rng.standard_normal((2, 3, 9, 8))
    _, i_cpu = F.max_pool2d(T(x, torch.float32), 3, 2, 1, return_indices=True)
    _, i_cuda = F.max_pool2d(T(x, torch.float32, device="cuda"), 3, 2, 1, return_indices=True)
    assert (npy(i_cpu) == npy(i_cuda)).all()

    msg = re.escape("Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!")
    xc = T(rng.standard_normal((1, 2, 5, 5)), torch.float32, device="cuda")
    with pytest.raises(RuntimeError, match=msg):
        F.conv2d(xc, T(rng.standard_normal((3, 2, 2, 2)), torch.float32))
    with pytest.raises(RuntimeError, match=msg):
        F.conv2d(xc, T(rng.standard_normal((3, 2, 2, 2)), torch.float32, device="cuda"), T(np.zeros(3), torch.float32))
    logits = T(rng.standard_normal((2, 5)), torch.float32, device="cuda")
    with pytest.raises(RuntimeError, match=msg):
        F.cross_entropy(logits, torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match=msg):
        F.nll_loss(logits, torch.tensor([1, 2], device="cuda"), weight=torch.ones(5))


# ------------------------------------------------------- the reliability issue (layers and losses)
@pytest.mark.parametrize("bias_shape", [(1,), (), (4,)])
def test_linear_broadcast_bias_gets_a_gradient_of_its_own_shape(bias_shape):
    rng = np.random.RandomState(0)
    x, w, b = rng.randn(2, 3), rng.randn(4, 3), rng.randn(*bias_shape)
    for lead in [(), (5,)]:  # a 2-D input (the fused op) and a 3-D one (reshaped onto it)
        xs = np.broadcast_to(x, lead + x.shape)
        tx, tw, tb = T(xs, requires_grad=True), T(w, requires_grad=True), T(b, requires_grad=True)
        gy = rng.randn(*lead, 2, 4)
        out = F.linear(tx, tw, tb)
        close(out, xs @ w.T + b)
        out.backward(T(gy))
        assert tb.grad.shape == bias_shape
        close(tb.grad, gy.reshape(-1, 4).sum(0).sum() if bias_shape != (4,) else gy.reshape(-1, 4).sum(0))
        close(tw.grad, gy.reshape(-1, 4).T @ xs.reshape(-1, 3))
        close(tx.grad, gy @ w)
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (T(x, requires_grad=True), T(w, requires_grad=True),
                                                         T(b, requires_grad=True)))


def test_linear_vector_and_0d_operands():
    close(F.linear(T([1.0, 2.0, 3.0]), T([1.0, 1.0, 1.0])), 6.0)  # 1-D weight: one feature, dropped
    close(F.linear(T([[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]), T([1.0, 1.0, 1.0]), T(2.0)), [8.0, 3.0])
    for x, w in [(T(1.0), T(np.ones((2, 1)))), (T([1.0]), T(1.0)), (T(1.0), T(1.0))]:
        with pytest.raises(RuntimeError, match=f"both arguments to linear need to be at least 1D, but they are "
                                               f"{x.dim()}D and {w.dim()}D"):
            F.linear(x, w)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_on_empty_input(reduction):
    a = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(0, 3, dtype=torch.float64, requires_grad=True)
    loss = F.mse_loss(a, b, reduction=reduction)
    if reduction == "mean":
        assert math.isnan(loss.item())  # torch: the mean of nothing
    elif reduction == "sum":
        assert loss.item() == 0.0
    else:
        assert loss.shape == (0, 3)
    loss.sum().backward()
    assert a.grad.shape == (0, 3) and b.grad.shape == (0, 3)
    with torch.autograd.set_grad_enabled(True):  # create_graph composes the backward from Tensor ops
        a2 = torch.zeros(0, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(F.mse_loss(a2, torch.zeros(0, dtype=torch.float64)), a2, create_graph=True)
        assert g.shape == (0,)


@pytest.mark.parametrize("out_size", [(3, 4), (9, 2), (7, None), 6])
def test_adaptive_avg_pool2d_uneven_windows_value_and_gradient(out_size):
    xs = RNG.standard_normal((2, 3, 7, 5))
    oh, ow = (out_size, out_size) if isinstance(out_size, int) else (out_size[0], out_size[1] or 5)
    ref, gref = np.zeros((2, 3, oh, ow)), np.zeros_like(xs)
    gy = RNG.standard_normal((2, 3, oh, ow))
    for i in range(oh):
        for j in range(ow):
            h0, h1 = i * 7 // oh, -(-(i + 1) * 7 // oh)
            w0, w1 = j * 5 // ow, -(-(j + 1) * 5 // ow)
            ref[:, :, i, j] = xs[:, :, h0:h1, w0:w1].mean((2, 3))
            gref[:, :, h0:h1, w0:w1] += gy[:, :, i:i + 1, j:j + 1] / ((h1 - h0) * (w1 - w0))
    for dtype in (torch.float64, torch.float32):
        x = T(xs, dtype=dtype, requires_grad=True)
        out = F.adaptive_avg_pool2d(x, out_size)
        close(out, ref, dtype)
        out.backward(T(gy, dtype=dtype))
        close(x.grad, gref, dtype)
    close(F.adaptive_avg_pool2d(T(xs[0]), out_size), ref[0])  # unbatched
    assert gradcheck(lambda x: F.adaptive_avg_pool2d(x, out_size), (T(xs[:1, :1], requires_grad=True),))


def test_layer_norm_checks_its_shapes():
    x = torch.ones(2, 3)
    with pytest.raises(RuntimeError, match=re.escape("Expected weight to be of same shape as normalized_shape, but got "
                                                     "weight of shape [1] and normalized_shape = [3]")):
        F.layer_norm(x, (3,), torch.ones(1))
    with pytest.raises(RuntimeError, match=re.escape("Expected bias to be of same shape")):
        F.layer_norm(x, (3,), None, torch.ones(2))
    with pytest.raises(RuntimeError, match="Expected normalized_shape to be at least 1-dimensional"):
        F.layer_norm(torch.tensor(1.0), ())


def test_adaptive_avg_pool2d_uneven_windows_keep_inf_and_nan_in_their_own_windows():
    xs = np.arange(35.0).reshape(1, 1, 7, 5)
    xs[0, 0, 0, 0], xs[0, 0, 6, 4], xs[0, 0, 3, 2] = np.inf, np.nan, -np.inf
    ref = np.zeros((1, 1, 3, 4))
    with np.errstate(invalid="ignore"):
        for i in range(3):
            for j in range(4):
                h0, h1, w0, w1 = i * 7 // 3, -(-(i + 1) * 7 // 3), j * 5 // 4, -(-(j + 1) * 5 // 4)
                ref[0, 0, i, j] = xs[0, 0, h0:h1, w0:w1].mean()
    np.testing.assert_allclose(npy(F.adaptive_avg_pool2d(T(xs), (3, 4))), ref, rtol=1e-12)


@pytest.mark.parametrize("dtype", [torch.bool, torch.int64, torch.float32])
def test_adaptive_pools_with_an_empty_output_keep_the_dtype(dtype):
    x = torch.zeros(1, 2, 6, 5, dtype=dtype)
    for pool in (F.adaptive_avg_pool2d, F.adaptive_max_pool2d):
        out = pool(x, 0)
        assert out.shape == (1, 2, 0, 0) and out.dtype == dtype
    x = torch.ones(1, 2, 3, 3, requires_grad=True)
    F.adaptive_avg_pool2d(x, (0, 2)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((1, 2, 3, 3)))
