"""Padding layers, CosineSimilarity, PairwiseDistance, Softmax2d, Fold/Unfold and the margin losses
(soft_margin, multilabel_soft_margin, multi_margin, multilabel_margin): values against float64 numpy references
written from torch's documented formulas, gradients by gradcheck, reprs and torch's errors. Compared with PyTorch
itself when it is importable."""
import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F
from tinygrad_ext import nn
from tinygrad_ext.autograd import gradcheck

RNG = np.random.default_rng(11)
TOL = dict(rtol=1e-10, atol=1e-12)


def T(a, requires_grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def L(a):
    return torch.tensor(np.asarray(a, dtype=np.int64))


# ------------------------------------------------------------------ float64 references
def np_softplus(z):
    return np.logaddexp(0.0, z)


def np_soft_margin(x, y):
    return np_softplus(-y * x)


def np_multilabel_soft_margin(x, y, w=None):
    loss = -(y * -np_softplus(-x) + (1 - y) * -np_softplus(x))
    if w is not None:
        loss = loss * w
    return loss.sum(-1) / x.shape[-1]


def np_multi_margin(x, y, p=1, margin=1.0, w=None):
    x2 = x.reshape(-1, x.shape[-1])
    out = []
    for row, t in zip(x2, np.atleast_1d(y)):
        s = 0.0
        for i in range(len(row)):
            if i != t:
                z = max(0.0, margin - row[t] + row[i]) ** p
                s += z * (1.0 if w is None else w[t])
        out.append(s / len(row))
    return np.array(out).reshape(x.shape[:-1])


def np_multilabel_margin(x, y):
    x2, y2 = x.reshape(-1, x.shape[-1]), y.reshape(-1, x.shape[-1])
    out = []
    for row, tgt in zip(x2, y2):
        js = []
        for t in tgt:
            if t < 0:
                break
            js.append(t)
        s = sum(max(0.0, 1 - (row[j] - row[i])) for j in js for i in range(len(row)) if i not in js)
        out.append(s / len(row))
    return np.array(out).reshape(x.shape[:-1])


def reduce(v, reduction):
    return {"none": v, "mean": np.mean(v), "sum": np.sum(v)}[reduction]


# ------------------------------------------------------------------ losses
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_soft_margin_loss(reduction):
    x, y = RNG.standard_normal((3, 4)) * 3, np.sign(RNG.standard_normal((3, 4)))
    got = F.soft_margin_loss(T(x), T(y), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), reduce(np_soft_margin(x, y), reduction), **TOL)
    m = nn.SoftMarginLoss(reduction=reduction)
    np.testing.assert_allclose(m(T(x), T(y)).numpy(), got.numpy(), **TOL)
    assert gradcheck(lambda a: F.soft_margin_loss(a, T(y), reduction=reduction), (T(x, True),))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss(reduction, weighted):
    x, y = RNG.standard_normal((3, 5)) * 3, (RNG.random((3, 5)) > 0.5).astype(np.float64)
    w = RNG.random(5) + 0.5 if weighted else None
    tw = None if w is None else T(w)
    got = F.multilabel_soft_margin_loss(T(x), T(y), weight=tw, reduction=reduction)
    assert tuple(got.shape) == ((3,) if reduction == "none" else ())
    np.testing.assert_allclose(got.numpy(), reduce(np_multilabel_soft_margin(x, y, w), reduction), **TOL)
    m = nn.MultiLabelSoftMarginLoss(weight=tw, reduction=reduction)
    np.testing.assert_allclose(m(T(x), T(y)).numpy(), got.numpy(), **TOL)
    assert gradcheck(lambda a: F.multilabel_soft_margin_loss(a, T(y), weight=tw, reduction=reduction),
                     (T(x, True),))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 0.7, False), (1, 2.0, True), (2, 1.0, True)])
def test_multi_margin_loss(reduction, p, margin, weighted):
    x, y = RNG.standard_normal((4, 5)), np.array([0, 4, 2, 2])
    w = RNG.random(5) + 0.5 if weighted else None
    tw = None if w is None else T(w)
    got = F.multi_margin_loss(T(x), L(y), p=p, margin=margin, weight=tw, reduction=reduction)
    np.testing.assert_allclose(got.numpy(), reduce(np_multi_margin(x, y, p, margin, w), reduction), **TOL)
    m = nn.MultiMarginLoss(p=p, margin=margin, weight=tw, reduction=reduction)
    np.testing.assert_allclose(m(T(x), L(y)).numpy(), got.numpy(), **TOL)
    assert gradcheck(lambda a: F.multi_margin_loss(a, L(y), p=p, margin=margin, weight=tw, reduction=reduction),
                     (T(x, True),))


def test_multi_margin_loss_vector_input_and_errors():
    x = RNG.standard_normal(5)
    got = F.multi_margin_loss(T(x), L(3), reduction="none")
    assert got.shape == () and np.isclose(got.item(), np_multi_margin(x[None], np.array([3]))[0])
    x2, y2 = T(RNG.standard_normal((3, 4))), L([0, 3, 1])
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(x2, y2, p=3)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        nn.MultiMarginLoss(p=3)
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x2, L([0, 4, 1]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3\], but got \[2\]"):
        F.multi_margin_loss(x2, L([0, 1]))
    with pytest.raises(RuntimeError, match=r"inconsistent weight size, expected 4 but got \[3\]"):
        F.multi_margin_loss(x2, y2, weight=T(np.ones(3)))
    with pytest.raises(RuntimeError, match="Expected non-empty vector or matrix"):
        F.multi_margin_loss(T(np.ones((2, 3, 4))), y2)
    with pytest.raises(RuntimeError, match="expected scalar type Long but found Float"):
        F.multi_margin_loss(x2, y2.float())
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.multi_margin_loss(x2, y2, reduction="bad")


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_multilabel_margin_loss(reduction):
    x = RNG.standard_normal((4, 5))
    y = np.array([[3, 0, -1, 1, 1], [1, 2, 3, 4, 0], [-1, 2, 0, 0, 0], [4, 4, -1, 0, 2]])
    got = F.multilabel_margin_loss(T(x), L(y), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), reduce(np_multilabel_margin(x, y), reduction), **TOL)
    m = nn.MultiLabelMarginLoss(reduction=reduction)
    np.testing.assert_allclose(m(T(x), L(y)).numpy(), got.numpy(), **TOL)
    assert gradcheck(lambda a: F.multilabel_margin_loss(a, L(y), reduction=reduction), (T(x, True),))


def test_multilabel_margin_loss_vector_input_and_errors():
    x, y = RNG.standard_normal(4), np.array([3, -1, 0, 0])
    got = F.multilabel_margin_loss(T(x), L(y), reduction="none")
    assert got.shape == () and np.isclose(got.item(), np_multilabel_margin(x, y))
    x2 = T(RNG.standard_normal((3, 4)))
    with pytest.raises(RuntimeError, match="argument #2 'target' is out of range"):
        F.multilabel_margin_loss(x2, L([[0, 4, -1, 0]] * 3))
    with pytest.raises(RuntimeError, match=r"inconsistent target size: \[2, 4\] for input of size: \[3, 4\]"):
        F.multilabel_margin_loss(x2, L([[0, 1, -1, 0]] * 2))


# ------------------------------------------------------------------ padding layers
def np_pad(x, pad, mode, value=0.0):
    n = len(pad) // 2
    widths = [(0, 0)] * (x.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])


PADS = [(nn.ZeroPad1d, "constant", 1), (nn.ZeroPad2d, "constant", 2), (nn.ZeroPad3d, "constant", 3),
        (nn.ReflectionPad1d, "reflect", 1), (nn.ReflectionPad2d, "reflect", 2), (nn.ReflectionPad3d, "reflect", 3),
        (nn.ReplicationPad1d, "replicate", 1), (nn.ReplicationPad2d, "replicate", 2),
        (nn.ReplicationPad3d, "replicate", 3), (nn.CircularPad1d, "circular", 1),
        (nn.CircularPad2d, "circular", 2), (nn.CircularPad3d, "circular", 3)]


@pytest.mark.parametrize("cls,mode,nd", PADS, ids=lambda v: getattr(v, "__name__", str(v)))
def test_padding_layers(cls, mode, nd):
    x = RNG.standard_normal((2, 2) + (4,) * nd)
    pad = (1, 2, 2, 0, 0, 1)[:2 * nd]
    m = cls(pad)
    assert m.padding == pad
    np.testing.assert_allclose(m(T(x)).numpy(), np_pad(x, pad, mode), **TOL)
    assert cls(2).padding == (2,) * (2 * nd)
    np.testing.assert_allclose(cls(2)(T(x[0])).numpy(), np_pad(x[0], (2,) * (2 * nd), mode), **TOL)
    assert gradcheck(lambda a: m(a), (T(x, True),))


@pytest.mark.parametrize("cls,nd", [(nn.ConstantPad1d, 1), (nn.ConstantPad2d, 2), (nn.ConstantPad3d, 3)])
def test_constant_pad_layers(cls, nd):
    x = RNG.standard_normal((2,) + (3,) * nd)
    m = cls((1, 0, 2, 1, 0, 2)[:2 * nd], 3.5)
    np.testing.assert_allclose(m(T(x)).numpy(), np_pad(x, m.padding, "constant", 3.5), **TOL)
    assert m.value == 3.5 and cls(1, 0.5).padding == (1,) * (2 * nd)


def test_padding_reprs_and_errors():
    assert repr(nn.ZeroPad2d(1)) == "ZeroPad2d((1, 1, 1, 1))"
    assert repr(nn.ConstantPad1d((1, 2), 3.0)) == "ConstantPad1d(padding=(1, 2), value=3.0)"
    assert repr(nn.ReflectionPad2d(2)) == "ReflectionPad2d((2, 2, 2, 2))"
    assert nn.ZeroPad1d(1).value == 0.0
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 1D input\)"):
        nn.CircularPad1d(1)(T(np.ones(3)))
    with pytest.raises(RuntimeError):
        nn.ReflectionPad1d(3)(T(np.ones((1, 3))))


# ------------------------------------------------------------------ distance, Softmax2d, Fold/Unfold
def test_cosine_similarity_and_pairwise_distance_modules():
    a, b = RNG.standard_normal((3, 5)), RNG.standard_normal((3, 5))
    cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1), 1e-8) / np.maximum(np.linalg.norm(b, axis=1), 1e-8)
    np.testing.assert_allclose(nn.CosineSimilarity()(T(a), T(b)).numpy(), cos, **TOL)
    cos0 = nn.CosineSimilarity(dim=0)(T(a), T(b)).numpy()
    np.testing.assert_allclose(cos0, (a * b).sum(0) / np.linalg.norm(a, axis=0) / np.linalg.norm(b, axis=0), **TOL)
    d = np.sum(np.abs(a - b + 1e-6) ** 3, axis=-1) ** (1 / 3)
    m = nn.PairwiseDistance(p=3.0, keepdim=True)
    assert m.norm == 3.0 and m.eps == 1e-6 and m.keepdim
    np.testing.assert_allclose(m(T(a), T(b)).numpy(), d[:, None], **TOL)
    assert gradcheck(lambda u, v: nn.CosineSimilarity()(u, v), (T(a, True), T(b, True)))
    assert gradcheck(lambda u, v: nn.PairwiseDistance()(u, v), (T(a, True), T(b, True)))
    assert repr(nn.CosineSimilarity()) == "CosineSimilarity()" and repr(nn.PairwiseDistance()) == "PairwiseDistance()"


def test_softmax2d():
    x = RNG.standard_normal((2, 3, 4, 5))
    e = np.exp(x - x.max(1, keepdims=True))
    np.testing.assert_allclose(nn.Softmax2d()(T(x)).numpy(), e / e.sum(1, keepdims=True), **TOL)
    np.testing.assert_allclose(nn.Softmax2d()(T(x[0])).numpy(), (e / e.sum(1, keepdims=True))[0], **TOL)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 1D instead"):
        nn.Softmax2d()(T(np.ones(4)))


def test_fold_unfold_modules():
    x = RNG.standard_normal((2, 3, 4, 5))
    u = nn.Unfold(kernel_size=2, padding=1, stride=(1, 2))
    cols = u(T(x))
    np.testing.assert_allclose(cols.numpy(), F.unfold(T(x), 2, padding=1, stride=(1, 2)).numpy(), **TOL)
    # reference: column [c*4 + ki*2 + kj, l] is the padded image at the l-th window's (ki, kj)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    ref = np.stack([np.stack([xp[:, c, i + ki, j + kj] for c in range(3) for ki in range(2) for kj in range(2)], 1)
                    for i in range(5) for j in range(0, 6, 2)], 2)
    np.testing.assert_allclose(cols.numpy(), ref, **TOL)
    f = nn.Fold(output_size=(4, 5), kernel_size=2, padding=1, stride=(1, 2))
    back = f(cols).numpy()
    ones = f(u(T(np.ones_like(x)))).numpy()  # how many windows cover each pixel
    np.testing.assert_allclose(back, x * ones, **TOL)
    assert repr(nn.Fold(4, 2)) == "Fold(output_size=4, kernel_size=2, dilation=1, padding=0, stride=1)"
    assert repr(nn.Unfold(2)) == "Unfold(kernel_size=2, dilation=1, padding=0, stride=1)"
    assert gradcheck(lambda a: f(a), (T(cols.numpy(), True),))


def test_against_pytorch_when_available():
    torch_ref = pytest.importorskip("torch")
    x, y = RNG.standard_normal((4, 5)), np.array([0, 4, 2, 2])
    w = RNG.random(5) + 0.5
    for p in (1, 2):
        ours = F.multi_margin_loss(T(x), L(y), p=p, weight=T(w), reduction="none").numpy()
        ref = torch_ref.nn.functional.multi_margin_loss(torch_ref.tensor(x), torch_ref.tensor(y), p=p,
                                                        weight=torch_ref.tensor(w), reduction="none").numpy()
        np.testing.assert_allclose(ours, ref, **TOL)
    ym = np.array([[3, 0, -1, 1, 1], [1, 2, 3, 4, 0], [-1, 2, 0, 0, 0], [4, 4, -1, 0, 2]])
    ours = F.multilabel_margin_loss(T(x), L(ym), reduction="none").numpy()
    ref = torch_ref.nn.functional.multilabel_margin_loss(torch_ref.tensor(x), torch_ref.tensor(ym),
                                                         reduction="none").numpy()
    np.testing.assert_allclose(ours, ref, **TOL)
