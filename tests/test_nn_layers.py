"""The layers added for issue 12 against float64 numpy references written from their definitions:
normalizations, distances, Bilinear, conv1d/conv3d/conv_transpose, 1-d pools, interpolate, pad modes,
pixel_shuffle, unfold/fold, the losses; gradients by gradcheck; modules' parameters, repr and torch's errors.
Compared with PyTorch itself when it is importable."""
import math
import warnings

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn
from tinygrad_ext.autograd import gradcheck

RNG = np.random.default_rng(3)
TOL = dict(rtol=1e-10, atol=1e-12)


def T(a, requires_grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a),
                        requires_grad=requires_grad)


def npy(t):
    return t.detach().numpy()


def R(*shape):
    return RNG.standard_normal(shape)


# ------------------------------------------------------------ numpy references
def np_conv_nd(x, w, b, stride, padding, dilation, groups):
    """Direct N-d convolution (cross-correlation) of x (N, C, *S) with w (O, C/g, *K)."""
    nd = x.ndim - 2
    x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding])
    N, O, K = x.shape[0], w.shape[0], w.shape[2:]
    out_sp = [(x.shape[2 + i] - dilation[i] * (K[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    out = np.zeros((N, O, *out_sp))
    cg, og = w.shape[1], O // groups
    for o in range(O):
        g = o // og
        for kidx in np.ndindex(*K):
            sl = tuple(slice(kidx[i] * dilation[i], kidx[i] * dilation[i] + stride[i] * (out_sp[i] - 1) + 1, stride[i])
                       for i in range(nd))
            patch = x[(slice(None), slice(g * cg, (g + 1) * cg)) + sl]  # (N, cg, *out)
            out[:, o] += np.tensordot(patch, w[(o, slice(None)) + kidx], axes=([1], [0]))
    return out if b is None else out + b.reshape(1, -1, *[1] * nd)


def np_conv_transpose_nd(x, w, b, stride, padding, output_padding, groups, dilation):
    """Scatter form: every input position adds w * x into the output, then the padding is cropped."""
    nd = x.ndim - 2
    N, Cin = x.shape[:2]
    og, K = w.shape[1], w.shape[2:]
    full = [(x.shape[2 + i] - 1) * stride[i] + dilation[i] * (K[i] - 1) + 1 + output_padding[i] for i in range(nd)]
    out = np.zeros((N, og * groups, *full))
    cg = Cin // groups
    for c in range(Cin):
        g = c // cg
        for pos in np.ndindex(*x.shape[2:]):
            for kidx in np.ndindex(*K):
                o = tuple(pos[i] * stride[i] + kidx[i] * dilation[i] for i in range(nd))
                out[(slice(None), slice(g * og, (g + 1) * og)) + o] += \
                    x[(slice(None), c) + pos][:, None] * w[(c, slice(None)) + kidx][None]
    crop = tuple(slice(padding[i], full[i] - padding[i]) for i in range(nd))
    out = out[(slice(None), slice(None)) + crop]
    return out if b is None else out + b.reshape(1, -1, *[1] * nd)


def np_norm_groups(x, G, eps=1e-5):
    N = x.shape[0]
    g = x.reshape(N, G, -1)
    return ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + eps)).reshape(x.shape)


def np_interp_1d(x, axis, n_out, mode, align_corners, scale=None):
    n_in = x.shape[axis]
    i = np.arange(n_out, dtype=np.float64)
    ratio = 1 / scale if scale else n_in / n_out
    if mode == "nearest":
        src = np.minimum(np.floor(i * ratio), n_in - 1).astype(int)
        return np.take(x, src, axis)
    if mode == "nearest-exact":
        src = np.minimum(np.floor((i + 0.5) * ratio), n_in - 1).astype(int)
        return np.take(x, src, axis)
    if align_corners:
        s = i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0)
    else:
        s = np.maximum((i + 0.5) * ratio - 0.5, 0)
    i0 = np.minimum(np.floor(s).astype(int), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    lam = (s - i0).reshape([-1 if d == axis % x.ndim else 1 for d in range(x.ndim)])
    return np.take(x, i0, axis) * (1 - lam) + np.take(x, i1, axis) * lam


def np_unfold(x, k, d, p, s):
    N, C = x.shape[:2]
    xp = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (xp.shape[2] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (xp.shape[3] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = np.zeros((N, C, k[0], k[1], oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            cols[:, :, i, j] = xp[:, :, i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0],
                                  j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]]
    return cols.reshape(N, C * k[0] * k[1], oh * ow)


def np_fold(cols, size, k, d, p, s):
    N, CK, L = cols.shape
    C = CK // (k[0] * k[1])
    Hp, Wp = size[0] + 2 * p[0], size[1] + 2 * p[1]
    oh = (Hp - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (Wp - d[1] * (k[1] - 1) - 1) // s[1] + 1
    c = cols.reshape(N, C, k[0], k[1], oh, ow)
    out = np.zeros((N, C, Hp, Wp))
    for i in range(k[0]):
        for j in range(k[1]):
            out[:, :, i * d[0]:i * d[0] + s[0] * (oh - 1) + 1:s[0], j * d[1]:j * d[1] + s[1] * (ow - 1) + 1:s[1]] += \
                c[:, :, i, j]
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


def reduce_np(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


# ------------------------------------------------------------ normalization
def test_group_norm_and_module():
    x, w, b = R(2, 6, 3, 4), R(6), R(6)
    ref = np_norm_groups(x, 3) * w.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(npy(F.group_norm(T(x), 3, T(w), T(b))), ref, **TOL)
    m = nn.GroupNorm(3, 6).double()
    assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
    np.testing.assert_allclose(npy(m(T(x))), np_norm_groups(x, 3), **TOL)
    assert repr(m) == "GroupNorm(3, 6, eps=1e-05, affine=True, bias=True)"
    assert nn.GroupNorm(2, 4, affine=False).weight is None and nn.GroupNorm(2, 4, bias=False).bias is None
    xt = T(R(2, 4, 5), requires_grad=True)
    wt, bt = T(R(4), requires_grad=True), T(R(4), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), (xt, wt, bt))
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"):
        nn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups"):
        F.group_norm(torch.randn(2, 5, 3), 2)


def test_layer_norm_without_bias():
    m = nn.LayerNorm((3, 4), bias=False).double()
    assert list(m.state_dict()) == ["weight"] and m.bias is None
    assert repr(m) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=False)"
    x = R(2, 3, 4)
    mu, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(npy(m(T(x))), (x - mu) / np.sqrt(var + 1e-5), **TOL)


def test_instance_norm_values_running_stats_and_modules():
    x = R(3, 4, 5, 6)
    ref = (x - x.mean((2, 3), keepdims=True)) / np.sqrt(x.var((2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(npy(F.instance_norm(T(x))), ref, **TOL)
    m = nn.InstanceNorm2d(4, affine=True, track_running_stats=True, momentum=0.3).double()
    with torch.no_grad():
        m.weight.copy_(T(R(4)))
        m.bias.copy_(T(R(4)))
    out = m(T(x))
    np.testing.assert_allclose(npy(out), ref * npy(m.weight).reshape(1, -1, 1, 1) + npy(m.bias).reshape(1, -1, 1, 1),
                               **TOL)
    n = 30
    np.testing.assert_allclose(npy(m.running_mean), 0.3 * x.mean((2, 3)).mean(0), **TOL)
    np.testing.assert_allclose(npy(m.running_var), 0.7 + 0.3 * x.var((2, 3)).mean(0) * n / (n - 1), **TOL)
    m.eval()
    rm, rv = npy(m.running_mean), npy(m.running_var)
    ev = (x - rm.reshape(1, -1, 1, 1)) / np.sqrt(rv.reshape(1, -1, 1, 1) + 1e-5)
    np.testing.assert_allclose(npy(m(T(x))), ev * npy(m.weight).reshape(1, -1, 1, 1) +
                               npy(m.bias).reshape(1, -1, 1, 1), **TOL)
    m1 = nn.InstanceNorm1d(4).double()
    x1 = R(4, 7)  # unbatched (C, L)
    ref1 = (x1 - x1.mean(1, keepdims=True)) / np.sqrt(x1.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(npy(m1(T(x1))), ref1, **TOL)
    assert repr(m1) == "InstanceNorm1d(4, eps=1e-05, momentum=0.1, affine=False, bias=False, track_running_stats=False)"
    assert list(m1.state_dict()) == []
    xt = T(R(2, 3, 4), requires_grad=True)
    assert gradcheck(lambda x: F.instance_norm(x), (xt,))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        nn.InstanceNorm1d(3)(torch.randn(2, 3, 1))
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.InstanceNorm1d(3)(torch.randn(2, 3, 2, 2))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(3\), but got: 4."):
        nn.InstanceNorm1d(3, affine=True)(torch.randn(2, 4, 5))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        nn.InstanceNorm1d(3)(torch.randn(2, 4, 5))


@pytest.mark.parametrize("shape, size", [((2, 5, 3), 3), ((2, 6, 3, 4), 2), ((1, 4, 2, 3, 2), 4)])
def test_local_response_norm(shape, size):
    x = R(*shape)
    C = shape[1]
    sq = np.pad(x ** 2, [(0, 0), (size // 2, (size - 1) // 2)] + [(0, 0)] * (len(shape) - 2))
    div = sum(sq[:, s:s + C] for s in range(size)) / size
    ref = x / (2.0 + 0.1 * div) ** 0.6
    np.testing.assert_allclose(npy(F.local_response_norm(T(x), size, 0.1, 0.6, 2.0)), ref, **TOL)
    np.testing.assert_allclose(npy(nn.LocalResponseNorm(size, 0.1, 0.6, 2.0)(T(x))), ref, **TOL)
    if len(shape) == 3:
        assert gradcheck(lambda x: F.local_response_norm(x, size, 0.1, 0.6, 2.0), (T(x, requires_grad=True),))
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality input"):
        F.local_response_norm(torch.randn(2, 3), 2)


def test_normalize_cosine_similarity_pairwise_distance():
    x, y = R(3, 4, 5), R(3, 4, 5)
    np.testing.assert_allclose(npy(F.normalize(T(x), p=3, dim=2)),
                               x / np.maximum((np.abs(x) ** 3).sum(2, keepdims=True) ** (1 / 3), 1e-12), **TOL)
    np.testing.assert_allclose(npy(F.normalize(T(np.zeros((2, 3))))), np.zeros((2, 3)))
    cos = (x * y).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(y, axis=1))
    np.testing.assert_allclose(npy(F.cosine_similarity(T(x), T(y))), cos, **TOL)
    b = y[:1]
    cos_b = (x * b).sum(-1) / (np.linalg.norm(x, axis=-1) * np.linalg.norm(b, axis=-1))
    np.testing.assert_allclose(npy(F.cosine_similarity(T(x), T(b), dim=-1)), cos_b, **TOL)
    d = ((np.abs(x - y + 1e-6) ** 1.5).sum(-1)) ** (1 / 1.5)
    np.testing.assert_allclose(npy(F.pairwise_distance(T(x), T(y), p=1.5)), d, **TOL)
    np.testing.assert_allclose(npy(F.pairwise_distance(T(x), T(y), keepdim=True)),
                               np.linalg.norm(x - y + 1e-6, axis=-1, keepdims=True), **TOL)
    xt, yt = T(R(3, 4), requires_grad=True), T(R(3, 4), requires_grad=True)
    assert gradcheck(lambda a, b: F.cosine_similarity(a, b), (xt, yt))
    assert gradcheck(lambda a, b: F.pairwise_distance(a, b), (xt, yt))
    assert gradcheck(lambda a: F.normalize(a, dim=0), (xt,))


def test_bilinear():
    m = nn.Bilinear(3, 4, 5).double()
    assert tuple(m.weight.shape) == (5, 3, 4) and tuple(m.bias.shape) == (5,)
    bound = 1 / math.sqrt(3)
    assert np.abs(npy(m.weight)).max() <= bound and np.abs(npy(m.bias)).max() <= bound
    x1, x2 = R(2, 6, 3), R(2, 6, 4)
    ref = np.einsum("...i,oij,...j->...o", x1, npy(m.weight), x2) + npy(m.bias)
    np.testing.assert_allclose(npy(m(T(x1), T(x2))), ref, **TOL)
    assert repr(m) == "Bilinear(in1_features=3, in2_features=4, out_features=5, bias=True)"
    w = T(R(2, 3, 4), requires_grad=True)
    assert gradcheck(lambda a, b, w: F.bilinear(a, b, w), (T(R(2, 3), True), T(R(2, 4), True), w))
    with pytest.raises(RuntimeError, match="input2 size does not match weight size: got 5 but expected 4"):
        m(torch.randn(2, 3).double(), torch.randn(2, 5).double())


# -------------------------------------------------------------- convolutions
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=1, dilation=2, groups=2), dict(padding="same"),
                                dict(padding="valid", stride=3)])
def test_conv1d(kw):
    x, w, b = R(2, 4, 11), R(6, 4 // kw.get("groups", 1), 4), R(6)
    out = F.conv1d(T(x), T(w), T(b), **kw)
    pad = kw.get("padding", 0)
    if pad == "same":  # total 3: 1 before, 2 after
        ref = np_conv_nd(np.pad(x, [(0, 0), (0, 0), (1, 2)]), w, b, (1,), (0,), (1,), 1)
    else:
        ref = np_conv_nd(x, w, b, (kw.get("stride", 1),), (0 if pad == "valid" else pad,), (kw.get("dilation", 1),),
                         kw.get("groups", 1))
    np.testing.assert_allclose(npy(out), ref, **TOL)


def test_conv3d_and_conv_transpose():
    x, w, b = R(2, 4, 5, 6, 7), R(6, 2, 2, 3, 2), R(6)
    np.testing.assert_allclose(npy(F.conv3d(T(x), T(w), T(b), (2, 1, 2), (1, 0, 1), (1, 2, 1), 2)),
                               np_conv_nd(x, w, b, (2, 1, 2), (1, 0, 1), (1, 2, 1), 2), **TOL)
    x2, wt, bt = R(2, 4, 3, 5), R(4, 3, 3, 2), R(3)
    for stride, padding, op, groups, dil in [((1, 1), (0, 0), (0, 0), 1, (1, 1)), ((2, 3), (1, 0), (1, 2), 2, (1, 2)),
                                             ((1, 1), (1, 1), (1, 0), 1, (2, 1))]:
        wg, bg = wt[:, :3 // groups], bt[:3 // groups * groups]
        out = F.conv_transpose2d(T(x2), T(wg), T(bg), stride, padding, op, groups, dil)
        ref = np_conv_transpose_nd(x2, wg, bg, stride, padding, op, groups, dil)
        np.testing.assert_allclose(npy(out), ref, **TOL)
    x1, w1 = R(2, 4, 6), R(4, 3, 3)
    np.testing.assert_allclose(npy(F.conv_transpose1d(T(x1), T(w1), None, 3, 1, 2)),
                               np_conv_transpose_nd(x1, w1, None, (3,), (1,), (2,), 1, (1,)), **TOL)
    # unbatched input
    np.testing.assert_allclose(npy(F.conv_transpose1d(T(x1[0]), T(w1))),
                               np_conv_transpose_nd(x1[:1], w1, None, (1,), (0,), (0,), 1, (1,))[0], **TOL)


def test_conv_transpose3d_and_3d_modules():
    x, w, b = R(2, 4, 3, 4, 2), R(4, 3, 2, 3, 2), R(6)
    for stride, padding, op, groups, dil in [((1, 1, 1), (0, 0, 0), (0, 0, 0), 1, (1, 1, 1)),
                                             ((2, 1, 2), (1, 0, 1), (1, 0, 1), 2, (1, 2, 1)),
                                             ((1, 1, 1), (1, 1, 0), (1, 0, 0), 1, (2, 1, 1))]:
        wg, bg = w[:, :3 // groups], b[:3 // groups * groups]
        np.testing.assert_allclose(npy(F.conv_transpose3d(T(x), T(wg), T(bg), stride, padding, op, groups, dil)),
                                   np_conv_transpose_nd(x, wg, bg, stride, padding, op, groups, dil), **TOL)
    assert gradcheck(lambda x, w: F.conv_transpose3d(x, w, stride=2, padding=1, output_padding=1),
                     (T(R(1, 2, 2, 2, 2), True), T(R(2, 1, 2, 2, 2), True)))
    m = nn.ConvTranspose3d(4, 6, 2, stride=2)
    assert tuple(m.weight.shape) == (4, 6, 2, 2, 2) and tuple(m(torch.randn(1, 4, 2, 3, 2)).shape) == (1, 6, 4, 6, 4)
    x5 = R(2, 3, 4, 3, 2)
    ref = (x5 - x5.mean((2, 3, 4), keepdims=True)) / np.sqrt(x5.var((2, 3, 4), keepdims=True) + 1e-5)
    np.testing.assert_allclose(npy(nn.InstanceNorm3d(3)(T(x5))), ref, **TOL)
    out = npy(nn.Dropout3d(0.5)(torch.ones(2, 4, 2, 2, 2)))
    assert np.all(out == out[..., :1, :1, :1]) and set(np.unique(out)) <= {0.0, 2.0}


def test_conv_gradcheck():
    x, w = T(R(1, 2, 3, 4), True), T(R(2, 2, 2, 2), True)
    assert gradcheck(lambda x, w: F.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1), (x, w))
    assert gradcheck(lambda x, w: F.conv1d(x, w, padding="same"), (T(R(1, 2, 5), True), T(R(3, 2, 2), True)))
    assert gradcheck(lambda x, w: F.conv3d(x, w, padding=1), (T(R(1, 2, 3, 3, 3), True), T(R(2, 2, 2, 2, 2), True)))


def test_conv_modules():
    for cls, k, wshape in [(nn.Conv1d, 3, (6, 2, 3)), (nn.Conv3d, 3, (6, 2, 3, 3, 3)),
                           (nn.ConvTranspose1d, 3, (4, 3, 3)), (nn.ConvTranspose2d, (2, 3), (4, 3, 2, 3))]:
        m = cls(4, 6, k, groups=2)
        assert tuple(m.weight.shape) == wshape and tuple(m.bias.shape) == (6,)
        fan_in = wshape[1] * math.prod(wshape[2:])
        assert np.abs(npy(m.bias)).max() <= 1 / math.sqrt(fan_in)
    assert repr(nn.Conv1d(2, 3, 3, padding="same", padding_mode="reflect")) == \
        "Conv1d(2, 3, kernel_size=(3,), stride=(1,), padding=same, padding_mode=reflect)"
    assert repr(nn.ConvTranspose2d(2, 4, 3, stride=2, output_padding=1, bias=False)) == \
        "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1), bias=False)"
    m = nn.Conv1d(2, 3, 3, padding=2, padding_mode="circular").double()
    x = R(1, 2, 6)
    ref = np_conv_nd(np.pad(x, [(0, 0), (0, 0), (2, 2)], mode="wrap"), npy(m.weight), npy(m.bias), (1,), (0,), (1,), 1)
    np.testing.assert_allclose(npy(m(T(x))), ref, **TOL)
    mt = nn.ConvTranspose2d(2, 3, 3, stride=2).double()
    assert tuple(mt(T(R(1, 2, 4, 4)), output_size=[10, 9]).shape) == (1, 3, 10, 9)
    with pytest.raises(ValueError, match="requested an output size of \\[12, 9\\], but valid sizes range from"):
        mt(T(R(1, 2, 4, 4)), output_size=[12, 9])
    with pytest.raises(ValueError, match='Only "zeros" padding mode is supported for ConvTranspose2d'):
        nn.ConvTranspose2d(2, 3, 3, padding_mode="reflect")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv1d(2, 3, 3, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv3d(2, 3, 3, stride=2, padding="same")
    with pytest.raises(RuntimeError, match="output padding must be smaller than either stride or dilation"):
        F.conv_transpose2d(torch.randn(1, 2, 3, 3), torch.randn(2, 2, 3, 3), output_padding=1)


@pytest.mark.parametrize("call, msg", [
    (lambda: F.conv1d(torch.randn(1, 4, 5), torch.randn(8, 3, 3)),
     "Given groups=1, weight of size [8, 3, 3], expected input[1, 4, 5] to have 3 channels, but got 4 channels "
     "instead"),
    (lambda: F.conv1d(torch.randn(1, 3, 2), torch.randn(8, 3, 3)),
     "Calculated padded input size per channel: (2). Kernel size: (3). Kernel size can't be greater than actual input "
     "size"),
    (lambda: F.conv3d(torch.randn(1, 3, 2, 5, 5), torch.randn(8, 3, 3, 3, 3)),
     "Calculated padded input size per channel: (2 x 5 x 5). Kernel size: (3 x 3 x 3)."),
    (lambda: F.conv1d(torch.randn(1, 3, 5, 5), torch.randn(8, 3, 3)),
     "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: [1, 3, 5, 5]"),
    (lambda: F.conv_transpose2d(torch.randn(1, 3, 5, 5), torch.randn(4, 3, 3, 3)),
     "Given transposed=1, weight of size [4, 3, 3, 3], expected input[1, 3, 5, 5] to have 4 channels, but got 3"),
    (lambda: F.conv1d(torch.randn(1, 1, 4), torch.randn(1, 1, 2), stride=0), "non-positive stride is not supported"),
    (lambda: F.conv3d(torch.randn(1, 1, 3, 3, 3), torch.randn(1, 1, 2, 2, 2), padding=-1),
     "negative padding is not supported"),
    (lambda: F.conv1d(torch.randn(1, 1, 4), torch.randn(1, 1, 2), dilation=0), "dilation should be greater than zero"),
])
def test_conv_bad_inputs(call, msg):
    with pytest.raises(RuntimeError) as e:
        call()
    assert msg in str(e.value)


# --------------------------------------------------------------------- pools
def test_pools_1d():
    x = R(2, 3, 9)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1)], constant_values=-np.inf)
    ref = np.stack([xp[..., 2 * i:2 * i + 3].max(-1) for i in range(5)], -1)
    np.testing.assert_allclose(npy(F.max_pool1d(T(x), 3, 2, 1)), ref, **TOL)
    out, idx = nn.MaxPool1d(3, 2, 1, return_indices=True)(T(x))
    np.testing.assert_array_equal(np.take_along_axis(np.pad(x, [(0, 0), (0, 0), (1, 1)]), npy(idx) + 1, -1), npy(out))
    ref = np.stack([x[..., 3 * i:3 * i + 3].mean(-1) for i in range(3)], -1)
    np.testing.assert_allclose(npy(nn.AvgPool1d(3)(T(x))), ref, **TOL)
    ref = np.stack([x[..., (i * 9) // 4:-((-(i + 1) * 9) // 4)].mean(-1) for i in range(4)], -1)
    np.testing.assert_allclose(npy(nn.AdaptiveAvgPool1d(4)(T(x))), ref, **TOL)
    np.testing.assert_allclose(npy(F.adaptive_max_pool1d(T(x), 3)), x.reshape(2, 3, 3, 3).max(-1), **TOL)
    np.testing.assert_allclose(npy(F.avg_pool1d(T(x[0]), 2)), x[0, :, :8].reshape(3, 4, 2).mean(-1), **TOL)  # unbatched
    assert gradcheck(lambda x: F.avg_pool1d(x, 3, 2, 1), (T(R(1, 2, 7), True),))
    assert repr(nn.AvgPool1d(3, 2)) == "AvgPool1d(kernel_size=(3,), stride=(2,), padding=(0,))"
    with pytest.raises(RuntimeError, match="max_pool1d: Expected 2D or 3D"):
        F.max_pool1d(torch.randn(1, 2, 3, 4), 2)


def np_pool3d(x, k, s, p, reduce, count_include_pad=True, ceil_mode=False):
    """Direct 3-d pooling (dilation 1) from torch's window rules: windows start at o * s - p, end at
    min(start + k, n + p); a ceil-mode window must start inside the input or its left padding."""
    def out_size(n, k, s, p):
        o = -(-(n + 2 * p - k) // s) + 1 if ceil_mode else (n + 2 * p - k) // s + 1
        return o - 1 if ceil_mode and (o - 1) * s >= n + p else o
    sizes = [out_size(n, *a) for n, a in zip(x.shape[2:], zip(k, s, p))]
    out = np.zeros(x.shape[:2] + tuple(sizes))
    for o in np.ndindex(*sizes):
        lo = [o[i] * s[i] - p[i] for i in range(3)]
        hi = [min(lo[i] + k[i], x.shape[2 + i] + p[i]) for i in range(3)]
        pool = math.prod(hi[i] - lo[i] for i in range(3))
        lo_c = [max(v, 0) for v in lo]
        hi_c = [min(hi[i], x.shape[2 + i]) for i in range(3)]
        win = x[:, :, lo_c[0]:hi_c[0], lo_c[1]:hi_c[1], lo_c[2]:hi_c[2]].reshape(*x.shape[:2], -1)
        if reduce == "max":
            out[(slice(None), slice(None)) + o] = win.max(-1)
        else:
            out[(slice(None), slice(None)) + o] = win.sum(-1) / (pool if count_include_pad else win.shape[-1])
    return out


@pytest.mark.parametrize("k, s, p, ceil", [((2, 2, 2), (2, 2, 2), (0, 0, 0), False),
                                           ((3, 2, 2), (2, 1, 2), (1, 1, 0), True),
                                           ((3, 3, 3), (2, 2, 2), (1, 1, 1), False)])
def test_pools_3d(k, s, p, ceil):
    x = R(2, 3, 7, 6, 5)
    np.testing.assert_allclose(npy(F.max_pool3d(T(x), k, s, p, ceil_mode=ceil)), np_pool3d(x, k, s, p, "max",
                                                                                           ceil_mode=ceil), **TOL)
    for cip in (True, False):
        np.testing.assert_allclose(npy(F.avg_pool3d(T(x), k, s, p, ceil, cip)),
                                   np_pool3d(x, k, s, p, "avg", cip, ceil), **TOL)
    np.testing.assert_allclose(npy(nn.AvgPool3d(k, s, p, divisor_override=4)(T(x))),
                               np_pool3d(x, k, s, p, "avg") * math.prod(k) / 4, **TOL)


def test_adaptive_pools_3d_and_gradients():
    x = R(2, 3, 7, 6, 4)
    ref = x
    for ax, n_out in zip((2, 3, 4), (3, 4, 4)):
        n = ref.shape[ax]
        ref = np.stack([np.take(ref, range((i * n) // n_out, -((-(i + 1) * n) // n_out)), ax).mean(ax)
                        for i in range(n_out)], ax)
    np.testing.assert_allclose(npy(nn.AdaptiveAvgPool3d((3, 4, None))(T(x))), ref, **TOL)
    np.testing.assert_allclose(npy(F.adaptive_max_pool3d(T(x[:, :, :6]), (3, 2, 2))),
                               x[:, :, :6].reshape(2, 3, 3, 2, 2, 3, 2, 2).max((3, 5, 7)), **TOL)
    assert tuple(nn.MaxPool3d(2)(torch.randn(3, 4, 4, 4)).shape) == (3, 2, 2, 2)  # unbatched
    assert repr(nn.MaxPool3d(2)) == "MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool3d(3, 2)) == "AvgPool3d(kernel_size=3, stride=2, padding=0)"
    xt = T(R(1, 2, 3, 3, 3), True)
    assert gradcheck(lambda x: F.avg_pool3d(x, 2, 1, 1, count_include_pad=False), (xt,))
    assert gradcheck(lambda x: F.max_pool3d(x, 2, 1), (xt,))
    with pytest.raises(RuntimeError, match="non-empty 4D or 5D \\(batch mode\\) tensor expected for input"):
        F.max_pool3d(torch.randn(1, 2, 3), 2)
    out, index = F.max_pool3d(torch.randn(1, 1, 2, 2, 2), 2, return_indices=True)  # (tests/test_max_unpool.py)
    assert out.shape == index.shape == (1, 1, 1, 1, 1) and index.dtype == torch.int64


# ---------------------------------------------------------------- resampling
@pytest.mark.parametrize("mode, ac", [("nearest", None), ("nearest-exact", None), ("bilinear", False),
                                      ("bilinear", True)])
@pytest.mark.parametrize("how", ["size", "scale"])
def test_interpolate_2d(mode, ac, how):
    x = R(2, 3, 5, 4)
    if how == "size":
        out = F.interpolate(T(x), size=(7, 3), mode=mode, align_corners=ac)
        ref = np_interp_1d(np_interp_1d(x, 2, 7, mode, ac), 3, 3, mode, ac)
    else:
        out = F.interpolate(T(x), scale_factor=(1.7, 0.6), mode=mode, align_corners=ac)
        ref = np_interp_1d(np_interp_1d(x, 2, 8, mode, ac, 1.7), 3, 2, mode, ac, 0.6)
    np.testing.assert_allclose(npy(out), ref, **TOL)


def np_cubic_1d(x, axis, n_out, align_corners, scale=None, A=-0.75):
    """Keys' cubic convolution along one axis: 4 taps at floor(src) - 1 .. + 2, clamped to the edges."""
    n_in = x.shape[axis]
    i = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = i * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0)
    else:
        src = (i + 0.5) * (1 / scale if scale else n_in / n_out) - 0.5
    base = np.floor(src)
    t = src - base
    near = lambda d: ((A + 2) * d - (A + 3)) * d * d + 1  # noqa: E731
    far = lambda d: ((A * d - 5 * A) * d + 8 * A) * d - 4 * A  # noqa: E731
    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    shape = [-1 if d == axis else 1 for d in range(x.ndim)]
    return sum(np.take(x, np.clip(base.astype(int) + k - 1, 0, n_in - 1), axis) * w.reshape(shape)
               for k, w in enumerate(weights))


@pytest.mark.parametrize("kw", [dict(size=(9, 4)), dict(size=(9, 4), align_corners=True), dict(scale_factor=(1.7, 0.5)),
                                dict(size=(2, 150))])
def test_interpolate_bicubic(kw):
    x = R(2, 3, 5, 7) if kw.get("size") != (2, 150) else R(1, 2, 3, 140)  # 140 wide: the gathers' path
    out = F.interpolate(T(x), mode="bicubic", **kw)
    ac = kw.get("align_corners", False)
    sizes = kw.get("size") or [int(n * f) for n, f in zip(x.shape[2:], kw["scale_factor"])]
    scales = kw.get("scale_factor") or (None, None)
    ref = np_cubic_1d(np_cubic_1d(x, 2, sizes[0], ac, scales[0]), 3, sizes[1], ac, scales[1])
    np.testing.assert_allclose(npy(out), ref, **TOL)


def test_interpolate_area():
    x = R(2, 3, 6, 8)
    np.testing.assert_allclose(npy(F.interpolate(T(x), size=(3, 4), mode="area")),
                               x.reshape(2, 3, 3, 2, 4, 2).mean((3, 5)), **TOL)
    np.testing.assert_allclose(npy(F.interpolate(T(x), scale_factor=0.5, mode="area")),
                               x.reshape(2, 3, 3, 2, 4, 2).mean((3, 5)), **TOL)
    assert gradcheck(lambda x: F.interpolate(x, size=(4, 3), mode="bicubic", align_corners=True),
                     (T(R(1, 1, 3, 3), True),))


def test_interpolate_1d_3d_modules_and_gradients():
    x = R(2, 3, 5)
    np.testing.assert_allclose(npy(F.interpolate(T(x), scale_factor=2.5, mode="linear")),
                               np_interp_1d(x, 2, 12, "linear", False, 2.5), **TOL)
    x5 = R(1, 2, 3, 4, 2)
    ref = x5
    for ax, n in zip((2, 3, 4), (5, 3, 4)):
        ref = np_interp_1d(ref, ax, n, "trilinear", True)
    np.testing.assert_allclose(npy(F.interpolate(T(x5), size=(5, 3, 4), mode="trilinear", align_corners=True)), ref,
                               **TOL)
    x4 = R(1, 2, 3, 3)
    np.testing.assert_allclose(npy(nn.Upsample(scale_factor=2)(T(x4))), x4.repeat(2, 2).repeat(2, 3), **TOL)
    m = nn.UpsamplingBilinear2d(size=(5, 4))
    np.testing.assert_allclose(npy(m(T(x4))), np_interp_1d(np_interp_1d(x4, 2, 5, "bilinear", True), 3, 4, "bilinear",
                                                           True), **TOL)
    assert repr(nn.Upsample(scale_factor=2)) == "Upsample(scale_factor=2.0, mode='nearest')"
    assert repr(m) == "UpsamplingBilinear2d(size=(5, 4), mode='bilinear')"
    assert gradcheck(lambda x: F.interpolate(x, size=(4, 5), mode="bilinear"), (T(R(1, 1, 3, 2), True),))
    assert gradcheck(lambda x: F.interpolate(x, scale_factor=2), (T(R(1, 1, 2, 3), True),))
    big = R(1, 1, 2, 200)  # wider than the interpolation-matrix path: the gathers
    ref = np_interp_1d(np_interp_1d(big, 2, 3, "bilinear", False), 3, 333, "bilinear", False)
    np.testing.assert_allclose(npy(F.interpolate(T(big), size=(3, 333), mode="bilinear")), ref, **TOL)
    inf = np.ones((1, 1, 1, 6))
    inf[..., 2] = np.inf  # an inf reaches only the outputs next to it, not the whole row
    out = npy(F.interpolate(T(inf), size=(1, 12), mode="bilinear"))
    with np.errstate(invalid="ignore"):  # 0 * inf: NaN next to the inf, as torch's
        ref = np_interp_1d(np_interp_1d(inf, 2, 1, "bilinear", False), 3, 12, "bilinear", False)
    np.testing.assert_array_equal(out, ref)
    assert np.isnan(out).sum() == 4 and (out == 1).sum() == 8
    with pytest.raises(ValueError, match="align_corners option can only be set with the interpolating modes"):
        F.interpolate(torch.randn(1, 1, 2, 2), scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="only one of size or scale_factor should be defined"):
        F.interpolate(torch.randn(1, 1, 2, 2), size=3, scale_factor=2)
    with pytest.raises(NotImplementedError, match="Got 3D input, but bilinear mode needs 4D input"):
        F.interpolate(torch.randn(1, 1, 2), size=3, mode="bilinear")


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("replicate", "edge"), ("circular", "wrap")])
def test_pad_modes(mode, np_mode):
    x = R(2, 3, 5, 4)
    out = F.pad(T(x), (2, 1, 3, 0), mode=mode)
    np.testing.assert_allclose(npy(out), np.pad(x, [(0, 0), (0, 0), (3, 0), (2, 1)], mode=np_mode), **TOL)
    x3 = R(2, 3, 6)
    np.testing.assert_allclose(npy(F.pad(T(x3), (-1, 2), mode=mode)),
                               np.pad(x3[..., 1:], [(0, 0), (0, 0), (0, 2)], mode=np_mode), **TOL)
    assert gradcheck(lambda x: F.pad(x, (2, 1), mode=mode), (T(R(1, 2, 4), True),))


def test_pad_constant_negative_and_errors():
    x = R(2, 3, 4)
    np.testing.assert_allclose(npy(F.pad(T(x), (-1, 2, 1, -2), value=3.0)),
                               np.pad(x[:, :1, 1:], [(0, 0), (1, 0), (0, 2)], constant_values=3.0), **TOL)
    with pytest.raises(RuntimeError, match="Padding size should be less than the corresponding input dimension"):
        F.pad(torch.randn(1, 1, 3), (3, 3), mode="reflect")
    with pytest.raises(RuntimeError, match="Padding value causes wrapping around more than once"):
        F.pad(torch.randn(1, 1, 3), (4, 0), mode="circular")


def test_pixel_shuffle_and_unshuffle():
    x = R(2, 3, 8, 2, 3)
    r = 2
    ref = x.reshape(2, 3, 2, r, r, 2, 3).transpose(0, 1, 2, 5, 3, 6, 4).reshape(2, 3, 2, 4, 6)
    out = F.pixel_shuffle(T(x), r)
    np.testing.assert_allclose(npy(out), ref, **TOL)
    np.testing.assert_allclose(npy(nn.PixelUnshuffle(2)(out)), x, **TOL)
    assert tuple(nn.PixelShuffle(3)(torch.randn(18, 2, 2)).shape) == (2, 6, 6)
    assert gradcheck(lambda x: F.pixel_shuffle(x, 2), (T(R(1, 4, 2, 2), True),))
    with pytest.raises(RuntimeError, match="is not divisible by 4"):
        F.pixel_shuffle(torch.randn(1, 5, 2, 2), 2)
    with pytest.raises(RuntimeError, match="pixel_unshuffle expects width to be divisible by downscale_factor"):
        F.pixel_unshuffle(torch.randn(1, 1, 4, 3), 2)


@pytest.mark.parametrize("k, d, p, s", [((2, 3), (1, 2), (1, 0), (2, 1)), ((3, 3), (1, 1), (1, 1), (1, 1)),
                                        ((2, 2), (1, 1), (0, 0), (2, 2))])
def test_unfold_fold(k, d, p, s):
    x = R(2, 3, 5, 6)
    cols = F.unfold(T(x), k, d, p, s)
    np.testing.assert_allclose(npy(cols), np_unfold(x, k, d, p, s), **TOL)
    c = R(*cols.shape)
    np.testing.assert_allclose(npy(F.fold(T(c), (5, 6), k, d, p, s)), np_fold(c, (5, 6), k, d, p, s), **TOL)
    xt = T(R(1, 2, 4, 4), True)
    assert gradcheck(lambda x: F.unfold(x, 2, padding=1), (xt,))
    ct = T(R(1, 8, 25), True)
    assert gradcheck(lambda c: F.fold(c, (4, 4), 2, padding=1), (ct,))


@pytest.mark.parametrize("call, msg", [
    (lambda: F.interpolate(torch.randn(1, 1, 4, 4), size=(0, 3)),
     "Input and output sizes should be greater than 0, but got input (H: 4, W: 4) output (H: 0, W: 3)"),
    (lambda: F.interpolate(torch.randn(1, 1, 4), size=0),
     "Input and output sizes should be greater than 0, but got input (W: 4) and output (W: 0)"),
    (lambda: F.pad(torch.randn(2, 0, 4, 4), (1, 1, 1, 1), mode="reflect"),
     "Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero dimensions for input, but "
     "got: [2, 0, 4, 4]"),
    (lambda: F.local_response_norm(torch.randn(1, 3, 4), 0), "kernel size should be greater than zero"),
])
def test_resampling_and_norm_bad_inputs(call, msg):
    with pytest.raises(RuntimeError) as e:
        call()
    assert msg in str(e.value)


def test_empty_batches():
    assert tuple(F.group_norm(torch.randn(0, 4, 3), 2).shape) == (0, 4, 3)
    assert tuple(F.interpolate(torch.randn(0, 1, 4, 4), scale_factor=2, mode="bilinear").shape) == (0, 1, 8, 8)
    assert tuple(F.conv_transpose1d(torch.randn(0, 2, 5), torch.randn(2, 3, 3)).shape) == (0, 3, 7)
    assert tuple(nn.LSTM(3, 4)(torch.randn(5, 0, 3))[0].shape) == (5, 0, 4)


def test_fold_errors():
    with pytest.raises(RuntimeError, match="to match the calculated number of sliding blocks 3 \\* 3 = 9, but got "
                                           "input.size\\(2\\)=8"):
        F.fold(torch.randn(1, 4, 8), (4, 4), 2)
    with pytest.raises(RuntimeError, match="divisible by the product of kernel_size"):
        F.fold(torch.randn(1, 5, 9), (4, 4), 2)


# -------------------------------------------------------------------- losses
LOSS_CASES = ["kl", "kl_log", "huber", "margin_ranking", "hinge", "triplet", "cosine_embedding", "poisson",
              "poisson_full", "gaussian"]


def loss_case(name, reduction):
    """(our loss, numpy reference, differentiable input arrays) for one loss."""
    x, y = R(4, 5), R(4, 5)
    pos = np.abs(R(4, 5)) + 0.1
    t1 = np.array([1.0, -1.0, 1.0, -1.0])
    t2 = np.sign(R(4, 5))
    if name == "kl":
        p = pos / pos.sum(1, keepdims=True)
        p[0, 0] = 0
        return (lambda a: F.kl_div(a, T(p), reduction=reduction),
                lambda a: reduce_np(np.where(p == 0, 0, p * np.log(np.where(p == 0, 1, p))) - p * a, reduction), [x])
    if name == "kl_log":
        return (lambda a: F.kl_div(a, T(y), reduction=reduction, log_target=True),
                lambda a: reduce_np(np.exp(y) * (y - a), reduction), [x])
    if name == "huber":
        return (lambda a: F.huber_loss(a, T(y), reduction, 0.7),
                lambda a: reduce_np(np.where(np.abs(a - y) < 0.7, 0.5 * (a - y) ** 2, 0.7 * (np.abs(a - y) - 0.35)),
                                    reduction), [x])
    if name == "margin_ranking":
        return (lambda a, b: F.margin_ranking_loss(a, b, T(t1), 0.3, reduction=reduction),
                lambda a, b: reduce_np(np.maximum(0, -t1 * (a - b) + 0.3), reduction), [x[:, 0], y[:, 0]])
    if name == "hinge":
        return (lambda a: F.hinge_embedding_loss(a, T(t2), 0.5, reduction=reduction),
                lambda a: reduce_np(np.where(t2 == 1, a, np.maximum(0, 0.5 - a)), reduction), [x])
    if name == "triplet":
        def dist(a, b):
            return (np.abs(a - b + 1e-6) ** 1.5).sum(-1) ** (1 / 1.5)
        return (lambda a, b, c: F.triplet_margin_loss(a, b, c, 0.5, 1.5, swap=True, reduction=reduction),
                lambda a, b, c: reduce_np(np.maximum(0.5 + dist(a, b) - np.minimum(dist(a, c), dist(b, c)), 0),
                                          reduction), [x, y, pos])
    if name == "cosine_embedding":
        def cos(a, b):
            return (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
        return (lambda a, b: F.cosine_embedding_loss(a, b, T(t1), 0.2, reduction=reduction),
                lambda a, b: reduce_np(np.where(t1 == 1, 1 - cos(a, b), np.maximum(0, cos(a, b) - 0.2)), reduction),
                [x, y])
    if name == "poisson":
        return (lambda a: F.poisson_nll_loss(a, T(pos * 3), reduction=reduction),
                lambda a: reduce_np(np.exp(a) - pos * 3 * a, reduction), [x])
    if name == "poisson_full":
        tgt = pos * 3
        stir = np.where(tgt > 1, tgt * np.log(tgt) - tgt + 0.5 * np.log(2 * np.pi * tgt), 0)
        return (lambda a: F.poisson_nll_loss(a, T(tgt), log_input=False, full=True, reduction=reduction),
                lambda a: reduce_np(a - tgt * np.log(a + 1e-8) + stir, reduction), [pos])
    return (lambda a, v: F.gaussian_nll_loss(a, T(y), v, full=True, reduction=reduction),
            lambda a, v: reduce_np(0.5 * (np.log(v) + (a - y) ** 2 / v + np.log(2 * np.pi)), reduction), [x, pos])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", LOSS_CASES)
def test_losses_match_reference(name, reduction):
    ours, ref, arrays = loss_case(name, reduction)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # kl_div's 'mean' warning
        out = ours(*[T(a) for a in arrays])
    np.testing.assert_allclose(npy(out), ref(*arrays), **TOL)
    if reduction == "sum":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert gradcheck(ours, tuple(T(a, True) for a in arrays))


def test_loss_modules_and_special_cases():
    x, p = R(4, 5), np.abs(R(4, 5))
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(T(x), T(p))
    ref = (p * np.log(p) - p * x).sum() / 4
    np.testing.assert_allclose(npy(nn.KLDivLoss(reduction="batchmean")(T(x), T(p))), ref, **TOL)
    y = R(4, 5)
    np.testing.assert_allclose(npy(nn.HuberLoss(delta=2.0)(T(x), T(y))),
                               np.where(np.abs(x - y) < 2, 0.5 * (x - y) ** 2, 2 * (np.abs(x - y) - 1)).mean(), **TOL)
    v = np.abs(R(4, 1)) + 0.1  # one variance per sample, broadcast over the features
    np.testing.assert_allclose(npy(nn.GaussianNLLLoss()(T(x), T(y), T(v))),
                               (0.5 * (np.log(v) + (x - y) ** 2 / v)).mean(), **TOL)
    vz = T(np.zeros((4, 5)), True)  # clamped to eps in value, gradient still flows
    loss = F.gaussian_nll_loss(T(x), T(y), vz, reduction="sum")
    loss.backward()
    assert np.all(np.isfinite(npy(vz.grad))) and float(loss) > 1e5
    for m, args in [(nn.MarginRankingLoss(0.1), 3), (nn.HingeEmbeddingLoss(), 2), (nn.CosineEmbeddingLoss(), 3),
                    (nn.TripletMarginLoss(), 3), (nn.PoissonNLLLoss(), 2)]:
        ins = [T(R(4, 5)) for _ in range(args)]
        if isinstance(m, (nn.MarginRankingLoss, nn.CosineEmbeddingLoss)):
            ins = [T(R(4)), T(R(4)), T(np.array([1.0, -1.0, 1.0, 1.0]))] if isinstance(m, nn.MarginRankingLoss) else \
                [ins[0], ins[1], T(np.array([1.0, -1.0, 1.0, 1.0]))]
        assert npy(m(*ins)).shape == ()
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(torch.randn(4, 5), torch.randn(4, 5), torch.ones(3))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(torch.randn(4, 5), torch.randn(4, 5), -torch.ones(4, 5))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input tensors"):
        F.cosine_embedding_loss(torch.randn(5), torch.randn(5), torch.ones(1))
    with pytest.raises(RuntimeError, match="margin_ranking_loss : All input tensors should have same dimension"):
        F.margin_ranking_loss(torch.randn(4), torch.randn(4, 1), torch.ones(4))
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0)


# ------------------------------------------------------ dropout, embedding_bag
def test_channel_dropout():
    torch.manual_seed(0)
    x = torch.ones(8, 16, 5, dtype=torch.float64)
    out = npy(F.dropout1d(x, 0.5))
    per_channel = out.reshape(8, 16, 5)
    assert np.all((per_channel == per_channel[..., :1]))  # a whole channel is kept or dropped
    assert set(np.unique(per_channel)) == {0.0, 2.0}
    out2 = npy(F.dropout2d(torch.ones(4, 8, 3, 3, dtype=torch.float64), 0.25))
    assert np.all(out2 == out2[..., :1, :1]) and set(np.unique(out2)) <= {0.0, 1 / 0.75}
    assert F.dropout1d(x, 0.5, training=False) is x
    unb = npy(F.dropout1d(torch.ones(6, 4, dtype=torch.float64), 0.5))
    assert unb.shape == (6, 4) and np.all(unb == unb[:, :1])
    xt = T(R(2, 3, 4), True)
    F.dropout1d(xt, 0.5).sum().backward()
    g = npy(xt.grad)
    assert np.all(g == g[..., :1]) and set(np.unique(g)) <= {0.0, 2.0}
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input"):
        F.dropout1d(torch.ones(1, 2, 3, 4))
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F.dropout2d(torch.ones(2, 3, 4))
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        F.dropout2d(torch.ones(1, 2, 3, 4), 1.5)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag(mode):
    w = R(10, 3)
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0])
    offsets = [0, 4, 4, 6]  # bags [1 2 4 5], [], [4 3], [2 9 0]
    red = {"sum": np.sum, "mean": np.mean, "max": np.max}[mode]
    ref = np.stack([red(w[idx[a:b]], 0) if b > a else np.zeros(3) for a, b in zip(offsets, offsets[1:] + [9])])
    out = F.embedding_bag(T(idx), T(w), T(np.array(offsets)), mode=mode)
    np.testing.assert_allclose(npy(out), ref, **TOL)
    out2d = F.embedding_bag(T(idx[:8].reshape(2, 4)), T(w), mode=mode)
    np.testing.assert_allclose(npy(out2d), red(w[idx[:8].reshape(2, 4)], 1), **TOL)
    pad = F.embedding_bag(T(idx), T(w), T(np.array(offsets)), mode=mode, padding_idx=4)
    keep = [idx[a:b][idx[a:b] != 4] for a, b in zip(offsets, offsets[1:] + [9])]
    np.testing.assert_allclose(npy(pad), np.stack([red(w[k], 0) if len(k) else np.zeros(3) for k in keep]), **TOL)
    wt = T(w, True)
    assert gradcheck(lambda w: F.embedding_bag(T(idx), w, T(np.array(offsets)), mode=mode), (wt,))


def test_embedding_bag_and_dropout_modules():
    m = nn.EmbeddingBag(10, 3, mode="sum", padding_idx=2).double()
    assert repr(m) == "EmbeddingBag(10, 3, mode='sum', padding_idx=2)" and not npy(m.weight)[2].any()
    idx = np.array([[1, 2, 3], [4, 4, 0]])
    np.testing.assert_allclose(npy(m(T(idx))), npy(m.weight)[idx].sum(1), **TOL)
    pre = nn.EmbeddingBag.from_pretrained(T(R(4, 2)), mode="max")
    assert pre.mode == "max" and not pre.weight.requires_grad and tuple(pre(T(np.array([[0, 3]]))).shape) == (1, 2)
    d = nn.Dropout2d(0.5)
    assert repr(d) == "Dropout2d(p=0.5, inplace=False)"
    x = torch.ones(2, 4, 3, 3)
    out = npy(d(x))
    assert np.all(out == out[..., :1, :1])
    d.eval()
    assert d(x) is x
    assert tuple(nn.Dropout1d(0.2)(torch.ones(3, 5)).shape) == (3, 5)


def test_embedding_bag_weights_and_errors():
    w, idx = R(6, 2), np.array([0, 5, 2, 2])
    psw = R(4)
    out = F.embedding_bag(T(idx), T(w), T(np.array([0, 1, 4])), mode="sum", per_sample_weights=T(psw),
                          include_last_offset=True)
    ref = np.stack([w[0] * psw[0], (w[[5, 2, 2]] * psw[1:, None]).sum(0)])
    np.testing.assert_allclose(npy(out), ref, **TOL)
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(T(idx), T(w), T(np.array([0])), per_sample_weights=T(psw))
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(T(idx.reshape(2, 2)), T(w), T(np.array([0])))
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(T(idx), T(w))
    with pytest.raises(RuntimeError, match=r"^Index 0 of input takes value 7 which is not in the valid range \[0, 6"):
        F.embedding_bag(T(np.array([7])), T(w), T(np.array([0])))


# ---------------------------------------------------------- against PyTorch
def test_against_pytorch():
    real = pytest.importorskip("torch")
    rf = real.nn.functional
    x4, x3, wt, w1 = R(2, 4, 5, 6), R(2, 4, 7), R(4, 3, 3, 2), R(6, 2, 3)
    checks = [
        (lambda f, t: f.group_norm(t(x4), 2), None),
        (lambda f, t: f.local_response_norm(t(x4), 3), None),
        (lambda f, t: f.conv_transpose2d(t(x4), t(wt), None, 2, 1, 1, 1, (1, 2)), None),
        (lambda f, t: f.conv1d(t(x3), t(w1), None, 1, "same", 2, 2), None),
        (lambda f, t: f.interpolate(t(x4), scale_factor=1.5, mode="bilinear"), None),
        (lambda f, t: f.interpolate(t(x4), size=(3, 9), mode="nearest-exact"), None),
        (lambda f, t: f.pad(t(x4), (1, 2, 2, 1), mode="reflect"), None),
        (lambda f, t: f.unfold(t(x4), (2, 3), 1, 1, 2), None),
        (lambda f, t: f.triplet_margin_loss(t(x3), t(x3[::-1].copy()), t(x3 * 2), swap=True), None),
        (lambda f, t: f.poisson_nll_loss(t(x3), t(np.abs(x3) * 2), full=True), None),
    ]
    for fn, _ in checks:
        a = fn(rf, lambda v: real.tensor(v))
        b = fn(F, T)
        np.testing.assert_allclose(npy(b), a.numpy(), rtol=1e-10, atol=1e-12)
