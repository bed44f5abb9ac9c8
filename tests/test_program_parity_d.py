"""PyTorch's "Learn the Basics" tutorial pages (Quickstart, Tensors, Datasets & DataLoaders, Transforms, Build the
Model, Autograd, Optimization, Save and Load) run side by side with torch 2.13: what differed, written down from
torch (node names and graphs of matmul and reshape, the binary cross-entropy losses' single node and gradients,
.grad under create_graph=True). Nothing here imports torch."""
import numpy as np
import pytest

import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F


def _walk(fn):
    """A node and everything behind it, as Name(child,child,...)."""
    if fn is None:
        return "None"
    kids = [_walk(n[0]) for n in fn.next_functions]
    name = fn.name().replace("torch::autograd::", "")
    return name + ("(" + ",".join(kids) + ")" if kids else "")


# ------------------------------------------------------------------ matmul: torch's _matmul_impl, node for node
_MATMUL_GRAPHS = [
    ((5,), (5, 3), True, False, "SqueezeBackward4(MmBackward0(UnsqueezeBackward0(AccumulateGrad),None))"),
    ((5,), (5, 3), False, True, "SqueezeBackward4(MmBackward0(None,AccumulateGrad))"),
    ((5,), (2, 5, 3), True, True, "UnsafeViewBackward0(MvBackward0(UnsafeViewBackward0(CloneBackward0("
                                  "TransposeBackward0(AccumulateGrad))),AccumulateGrad))"),
    ((5,), (2, 5, 3), False, True, "UnsafeViewBackward0(BmmBackward0(None,ViewBackward0(ExpandBackward0("
                                   "AccumulateGrad))))"),
    ((5,), (1, 5, 3), True, True, "UnsafeViewBackward0(MvBackward0(ReshapeAliasBackward0(TransposeBackward0("
                                  "AccumulateGrad)),AccumulateGrad))"),
    ((4, 5), (2, 5, 3), True, True, "CloneBackward0(TransposeBackward0(UnsafeViewBackward0(MmBackward0("
                                    "UnsafeViewBackward0(CloneBackward0(TransposeBackward0(AccumulateGrad))),"
                                    "TBackward0(AccumulateGrad)))))"),
    ((4, 5), (2, 5, 3), False, True, "UnsafeViewBackward0(BmmBackward0(None,ViewBackward0(ExpandBackward0("
                                     "AccumulateGrad))))"),
    ((4, 5), (1, 5, 3), True, True, "CloneBackward0(TransposeBackward0(UnsafeViewBackward0(MmBackward0("
                                    "ReshapeAliasBackward0(TransposeBackward0(AccumulateGrad)),TBackward0("
                                    "AccumulateGrad)))))"),
    ((2, 4, 5), (5,), True, True, "UnsafeViewBackward0(MvBackward0(ViewBackward0(AccumulateGrad),AccumulateGrad))"),
    ((2, 4, 5), (5, 3), True, False, "UnsafeViewBackward0(MmBackward0(ViewBackward0(AccumulateGrad),None))"),
    ((2, 4, 5), (3, 2, 5, 3), True, True, "UnsafeViewBackward0(BmmBackward0(UnsafeViewBackward0(CloneBackward0("
                                          "ExpandBackward0(AccumulateGrad))),ViewBackward0(ExpandBackward0("
                                          "AccumulateGrad))))"),
    ((2, 4, 5), (1, 5, 3), True, True, "UnsafeViewBackward0(MmBackward0(ViewBackward0(AccumulateGrad),"
                                       "SqueezeBackward1(AccumulateGrad)))"),
    ((2, 4, 5), (1, 5, 3), True, False, "UnsafeViewBackward0(BmmBackward0(ViewBackward0(ExpandBackward0("
                                        "AccumulateGrad)),None))"),
    ((3, 2, 4, 5), (2, 5, 3), False, True, "UnsafeViewBackward0(BmmBackward0(None,UnsafeViewBackward0("
                                           "CloneBackward0(ExpandBackward0(AccumulateGrad)))))"),
    ((3, 2, 4, 5), (1, 5, 3), True, True, "UnsafeViewBackward0(BmmBackward0(ViewBackward0(ExpandBackward0("
                                          "AccumulateGrad)),ReshapeAliasBackward0(ExpandBackward0("
                                          "AccumulateGrad))))"),
    ((1, 4, 5), (2, 5, 3), True, True, "CloneBackward0(TransposeBackward0(UnsafeViewBackward0(MmBackward0("
                                       "UnsafeViewBackward0(CloneBackward0(TransposeBackward0(AccumulateGrad))),"
                                       "TBackward0(SqueezeBackward1(AccumulateGrad))))))"),
    ((1, 4, 5), (3, 2, 5, 3), True, False, "UnsafeViewBackward0(BmmBackward0(ReshapeAliasBackward0("
                                           "ExpandBackward0(AccumulateGrad)),None))"),
    ((2, 4, 5), (2, 5, 3), True, True, "UnsafeViewBackward0(BmmBackward0(ViewBackward0(ExpandBackward0("
                                       "AccumulateGrad)),ViewBackward0(ExpandBackward0(AccumulateGrad))))"),
    ((3, 2, 4, 5), (5,), False, True, "UnsafeViewBackward0(MvBackward0(None,AccumulateGrad))"),
]


@pytest.mark.parametrize("sa, sb, ra, rb, graph", _MATMUL_GRAPHS, ids=lambda v: str(v))
def test_matmul_records_torchs_graph_and_values(sa, sb, ra, rb, graph):
    rng = np.random.default_rng(0)
    an, bn = rng.standard_normal(sa), rng.standard_normal(sb)
    a = torch.tensor(an, requires_grad=ra)
    b = torch.tensor(bn, requires_grad=rb)
    r = torch.matmul(a, b)
    assert _walk(r.grad_fn) == graph
    expect = np.matmul(an, bn)
    assert tuple(r.shape) == expect.shape and r.is_contiguous()
    np.testing.assert_allclose(r.detach().numpy(), expect, rtol=1e-12, atol=1e-12)
    g = rng.standard_normal(expect.shape)
    r.backward(torch.tensor(g))
    a2, b2, g2 = (an[None] if an.ndim == 1 else an), (bn[:, None] if bn.ndim == 1 else bn), g
    g2 = g2.reshape(np.matmul(a2, b2).shape)
    if ra:  # d/da = g @ b^T, summed over a's broadcast batch dims
        ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
        ga = ga.reshape((-1,) + a2.shape).sum(0) if ga.ndim > a2.ndim else ga
        ga = ga.sum(tuple(i for i, n in enumerate(a2.shape) if n == 1 and ga.shape[i] != 1), keepdims=True)
        np.testing.assert_allclose(a.grad.numpy(), ga.reshape(an.shape), rtol=1e-12, atol=1e-12)
    if rb:
        gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
        gb = gb.reshape((-1,) + b2.shape).sum(0) if gb.ndim > b2.ndim else gb
        gb = gb.sum(tuple(i for i, n in enumerate(b2.shape) if n == 1 and gb.shape[i] != 1), keepdims=True)
        np.testing.assert_allclose(b.grad.numpy(), gb.reshape(bn.shape), rtol=1e-12, atol=1e-12)


def test_matmul_of_the_autograd_tutorial():
    # z = torch.matmul(x, w) + b: z's AddBackward0 leads to torch's in-place squeeze (SqueezeBackward4)
    torch.manual_seed(0)
    x, w = torch.ones(5), torch.randn(5, 3, requires_grad=True)
    z = torch.matmul(x, w) + torch.randn(3, requires_grad=True)
    assert [n[0].name() for n in z.grad_fn.next_functions] == ["SqueezeBackward4", "torch::autograd::AccumulateGrad"]


def test_matmul_output_written_in_place_is_no_view():
    # torch's _unsafe_view: the result is not a view of the product, so an in-place op records its own node
    x = torch.ones(2, 2, 3, requires_grad=True)
    z = x @ torch.ones(3, 4)
    z.mul_(2)
    assert z.grad_fn.name() == "MulBackward0" and z.grad_fn.next_functions[0][0].name() == "UnsafeViewBackward0"
    z.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 2, 3), 8.0))
    y = x[0].t().reshape(6)  # (reshape's copy: _unsafe_view of a clone)
    y.mul_(2)
    assert _walk(y.grad_fn) == ("MulBackward0(UnsafeViewBackward0(CloneBackward0(TBackward0(SelectBackward0("
                                "AccumulateGrad)))),None)")


def test_matmul_shape_errors_are_torchs():
    cases = [((5,), (4,), "inconsistent tensor size, expected tensor [5] and src [4] to have the same number of "
                          "elements, but got 5 and 4 elements respectively"),
             ((5,), (4, 3), "mat1 and mat2 shapes cannot be multiplied (1x5 and 4x3)"),
             ((4, 5), (4,), "size mismatch, got input (4), mat (4x5), vec (4)"),
             ((2, 4, 5), (4,), "size mismatch, got input (8), mat (8x5), vec (4)"),
             ((2, 4, 5), (4, 3), "mat1 and mat2 shapes cannot be multiplied (8x5 and 4x3)"),
             ((2, 4, 5), (2, 4, 3), "Expected size for first two dimensions of batch2 tensor to be: [2, 5] but got: "
                                    "[2, 4]."),
             ((2, 4, 5), (3, 5, 3), "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
                                    "dimension 0")]
    for sa, sb, msg in cases:
        for req in (False, True):
            with pytest.raises(RuntimeError) as e:
                torch.matmul(torch.ones(*sa, requires_grad=req), torch.ones(*sb))
            assert str(e.value) == msg, (sa, sb)
    assert tuple(torch.matmul(torch.ones(0, 4, 5), torch.ones(5, 2)).shape) == (0, 4, 2)
    assert tuple(torch.matmul(torch.ones(2, 0, 5), torch.ones(5, 0)).shape) == (2, 0, 0)


# ------------------------------------------------------------------ reshape: view, _reshape_alias or clone + view
@pytest.mark.parametrize("expr, graph, ref", [
    ("a.mT.reshape(3, 5)", "ReshapeAliasBackward0(TransposeBackward0(AccumulateGrad))",
     lambda a, b: a.transpose(0, 2, 1).reshape(3, 5)),
    ("a.expand(4, 5, 3).reshape(20, 3)", "UnsafeViewBackward0(CloneBackward0(ExpandBackward0(AccumulateGrad)))",
     lambda a, b: np.broadcast_to(a, (4, 5, 3)).reshape(20, 3)),
    ("a.expand(4, 2, 5, 3).reshape(8, 5, 3)", "ReshapeAliasBackward0(ExpandBackward0(AccumulateGrad))",
     lambda a, b: np.broadcast_to(a, (4, 2, 5, 3)).reshape(8, 5, 3)),
    ("a.mT.reshape(15)", "UnsafeViewBackward0(CloneBackward0(TransposeBackward0(AccumulateGrad)))",
     lambda a, b: a.transpose(0, 2, 1).reshape(15)),
    ("a.reshape(15)", "ViewBackward0(AccumulateGrad)", lambda a, b: a.reshape(15)),
    ("b.t().reshape(2, 2, 6)", "UnsafeViewBackward0(CloneBackward0(TBackward0(AccumulateGrad)))",
     lambda a, b: b.T.reshape(2, 2, 6)),
    ("b[:, ::2].reshape(12)", "ReshapeAliasBackward0(SliceBackward0(AccumulateGrad))",
     lambda a, b: b[:, ::2].reshape(12)),
    ("b.t().flatten()", "UnsafeViewBackward0(CloneBackward0(TBackward0(AccumulateGrad)))", lambda a, b: b.T.ravel()),
    ("b.reshape(4, 6)", "ViewBackward0(AccumulateGrad)", lambda a, b: b),
    ("b.t().reshape(6, 4)", "ReshapeAliasBackward0(TBackward0(AccumulateGrad))", lambda a, b: b.T),
    ("b.unsqueeze(0).reshape(4, 6)", "ViewBackward0(UnsqueezeBackward0(AccumulateGrad))", lambda a, b: b),
])
def test_reshape_records_torchs_nodes(expr, graph, ref):
    an, bn = np.arange(15.0).reshape(1, 5, 3), np.arange(24.0).reshape(4, 6)
    a, b = torch.tensor(an, requires_grad=True), torch.tensor(bn, requires_grad=True)
    r = eval(expr)  # noqa: S307
    assert _walk(r.grad_fn) == graph
    np.testing.assert_array_equal(r.detach().numpy(), ref(an, bn))
    r.backward(torch.ones_like(r))  # (every element once: the expanded input's gradient counts its copies)
    g = a.grad if expr.startswith("a") else b.grad
    src = an if expr.startswith("a") else bn
    expect = np.ones_like(src) * (r.numel() // src.size if "expand" in expr else 1)
    if "::2" in expr:
        expect[:, 1::2] = 0
    np.testing.assert_array_equal(g.numpy(), expect)


def test_reshape_errors_and_no_grad_unchanged():
    x = torch.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^shape '\[5\]' is invalid for input of size 6$"):
        x.t().reshape(5)
    with torch.no_grad():
        v = x.t().reshape(6)
    assert not v.requires_grad and v.grad_fn is None


# ------------------------------------------------------------------ binary cross-entropy: one node, torch's formulas
_X = [[0.5, -1.25, 2.0], [-0.75, 0.1, 3.5]]
_T = [[0.2, 0.9, 0.0], [1.0, 0.4, 0.7]]
_W, _PW = [0.5, 1.5, 2.0], [3.0, 0.5, 1.0]
_BCE_LOGITS = [  # (weight, pos_weight), reduction: loss, d/dx, d/dtarget of loss.sum() (torch, float64)
    ((), "mean", [1.2164920268], [0.0704098885, -0.1128833102, 0.146799513, -0.1131964499, 0.0208298646,
                                  0.0451146282],
     [-0.0833333333, 0.2083333333, -0.3333333333, 0.125, -0.0166666667, -0.5833333333]),
    ((), "none", [0.8740769842, 1.3769290813, 2.126928011, 1.1368710061, 0.7043966601, 1.0797504183],
     [0.4224593312, -0.6772998612, 0.880797078, -0.6791786992, 0.1249791875, 0.2706877692],
     [-0.5, 1.25, -2.0, 0.75, -0.1, -3.5]),
    (("weight",), "sum", [10.5408194659], [0.2112296656, -1.0159497918, 1.761594156, -0.3395893496, 0.1874687812,
                                           0.5413755385], [-0.25, 1.875, -4.0, 0.375, -0.15, -7.0]),
    (("pos_weight",), "mean", [1.4929295914], [0.0452405106, -0.0545858206, 0.146799513, -0.3395893496,
                                               0.0366638917, 0.0451146282],
     [0.0746923281, 0.0831725766, -0.3333333333, 0.503957002, -0.0703663883, -0.5833333333]),
    (("pos_weight", "weight"), "none", [0.5318538889, 1.0515914921, 4.2538560221, 1.7053065092, 0.8632759921,
                                        2.1595008365],
     [0.1357215318, -0.4912723855, 1.761594156, -1.0187680488, 0.329975025, 0.5413755385],
     [0.2240769842, 0.748553189, -4.0, 1.5118710061, -0.6332974951, -7.0]),
    (("pos_weight", "weight"), "mean", [1.7608974568], [0.0226202553, -0.0818787309, 0.293599026, -0.1697946748,
                                                        0.0549958375, 0.0902292564],
     [0.037346164, 0.1247588648, -0.6666666667, 0.251978501, -0.1055495825, -1.1666666667]),
]


def _d(v):
    return torch.tensor(v, dtype=torch.float64)


@pytest.mark.parametrize("kw, red, loss, gx, gt", _BCE_LOGITS, ids=lambda v: str(v))
def test_bce_with_logits_is_one_node_with_torchs_gradients(kw, red, loss, gx, gt):
    x, t = _d(_X).requires_grad_(), _d(_T).requires_grad_()
    extra = {n: _d(_W if n == "weight" else _PW) for n in kw}
    out = F.binary_cross_entropy_with_logits(x, t, reduction=red, **extra)
    assert out.grad_fn.name() == "BinaryCrossEntropyWithLogitsBackward0"
    assert [n[0].name() for n in out.grad_fn.next_functions] == ["torch::autograd::AccumulateGrad"] * 2
    out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy().ravel(), loss, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(x.grad.numpy().ravel(), gx, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(t.grad.numpy().ravel(), gt, rtol=1e-9, atol=1e-10)


_BCE = [  # weight, reduction: loss, d/dinput, d/dtarget of loss.sum() (torch, float64)
    ((), "mean", [1.9507445357], [0.2, -0.5777777778, 1.6666666667, -16.6666666667, 0.1388888889, 49.8832165499],
     [-0.0, 0.1831020481, -0.3662040962, 0.7658533084, -0.067577518, -1.1511257964]),
    (("weight",), "none", [0.3465735903, 1.9146496984, 4.605170186, 2.302585093, 1.1311570329, 4.1460538679],
     [0.6, -5.2, 20.0, -50.0, 1.25, 598.5985985986],
     [-0.0, 1.647918433, -4.3944491547, 2.2975599251, -0.6081976622, -13.8135095573]),
]


@pytest.mark.parametrize("kw, red, loss, gx, gt", _BCE, ids=lambda v: str(v))
def test_bce_is_one_node_with_torchs_gradients(kw, red, loss, gx, gt):
    p = _d([[0.5, 0.25, 0.9], [0.01, 0.6, 0.999]]).requires_grad_()
    t = _d(_T).requires_grad_()
    out = F.binary_cross_entropy(p, t, reduction=red, **{n: _d(_W) for n in kw})
    assert out.grad_fn.name() == "BinaryCrossEntropyBackward0"
    assert [n[0].name() for n in out.grad_fn.next_functions] == ["torch::autograd::AccumulateGrad"] * 2
    out.sum().backward()
    np.testing.assert_allclose(out.detach().numpy().ravel(), loss, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(p.grad.numpy().ravel(), gx, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(t.grad.numpy().ravel(), gt, rtol=1e-9, atol=1e-10)


def test_bce_losses_edges_second_derivatives_and_refusals():
    x = _d(_X).requires_grad_()
    out = F.binary_cross_entropy_with_logits(x, _d(_T), pos_weight=_d(_PW))
    assert [None if n[0] is None else n[0].name() for n in out.grad_fn.next_functions] == [
        "torch::autograd::AccumulateGrad", None]
    g, = torch.autograd.grad(out, x, create_graph=True)
    gg, = torch.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy().ravel(), [0.0548341995, 0.0158679388, 0.0174989309, 0.1089474969,
                                                    0.0332501387, 0.0047421706], rtol=1e-9, atol=1e-10)
    p = _d([[0.5, 0.25, 0.9], [0.01, 0.6, 0.999]]).requires_grad_()
    g, = torch.autograd.grad(F.binary_cross_entropy(p, _d(_T)), p, create_graph=True)
    gg, = torch.autograd.grad(g.sum(), p)
    np.testing.assert_allclose(gg.numpy().ravel(), [0.6666666667, 2.4296296296, 16.6666666663, 1666.66666633,
                                                    0.8101851852, 50000.1168002501], rtol=1e-8)
    # (torch's double backward adds 1e-12 to input and 1 - input in the denominator: 2e-9 apart at 0.999)
    x, t = torch.tensor([0.0, 1.0, 0.5], requires_grad=True), torch.tensor([0.0, 1.0, 1.0], requires_grad=True)
    F.binary_cross_entropy(x, t).backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, -2 / 3], rtol=1e-6)
    assert t.grad.numpy().tolist() == [np.inf, -np.inf, 0.0]
    w = torch.rand(3, requires_grad=True)
    for fn, name, kw in [(F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits", "weight"),
                         (F.binary_cross_entropy_with_logits, "binary_cross_entropy_with_logits", "pos_weight"),
                         (F.binary_cross_entropy, "binary_cross_entropy", "weight")]:
        with pytest.raises(RuntimeError) as e:
            fn(torch.rand(3, requires_grad=True), torch.rand(3), **{kw: w})
        assert str(e.value) == (f"The function '{name}' is not differentiable with respect to argument '{kw}'. This "
                                "input cannot have requires_grad True.")
        with torch.no_grad():
            assert fn(torch.rand(3), torch.rand(3), **{kw: w}).grad_fn is None
    assert not F.binary_cross_entropy_with_logits(torch.zeros(2), torch.zeros(2)).requires_grad


# ------------------------------------------------------------------ .grad under create_graph=True
@pytest.mark.filterwarnings(r"ignore:Using backward\(\) with create_graph=True")
def test_first_grad_under_create_graph_is_a_copy_behind_copybackwards():
    # (torch's repr: <CopyBackwards object at ...>; its name(): torch::autograd::CopyBackwards)
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward(create_graph=True)
    assert x.grad.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert x.grad.grad_fn.next_functions[-1][0].name() == "AddBackward0"  # (x * x's two gradients summed)
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 4.0, 6.0])
    g = x.grad
    (x * x).sum().backward(create_graph=True)
    assert x.grad.grad_fn.name() == "AddBackward0" and g.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert x.grad.grad_fn.next_functions[0][0] is g.grad_fn
    gg, = torch.autograd.grad(x.grad.sum(), x)
    np.testing.assert_array_equal(gg.numpy(), [4.0, 4.0, 4.0])
    y = torch.ones(2, 3).t().requires_grad_()  # (a transposed leaf: the copy keeps its strides)
    (y * 2).sum().backward(create_graph=True)
    assert y.grad.stride() == y.stride() == (1, 3) and y.grad.grad_fn is None  # (a constant gradient: no graph)


# ------------------------------------------------------------------ copy_ under autograd: torch's CopyBackwards
def test_copy_records_copybackwards_with_self_and_src_edges():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = torch.zeros(3)
    a.copy_(x)
    assert a.grad_fn.name() == "torch::autograd::CopyBackwards"
    assert [None if n[0] is None else n[0].name() for n in a.grad_fn.next_functions] == [
        None, "torch::autograd::AccumulateGrad"]
    a.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 1.0])
    b = torch.zeros(2, 3, dtype=torch.float64)
    b.copy_(x * 2)  # (broadcast and cast: the gradient is summed back and cast to src's dtype, one node)
    assert b.dtype == torch.float64 and b.grad_fn.next_functions[1][0].name() == "MulBackward0"
    np.testing.assert_array_equal(b.detach().numpy(), [[2, 4, 6], [2, 4, 6]])
    (b * torch.arange(6.0, dtype=torch.float64).view(2, 3)).sum().backward()
    assert x.grad.dtype == torch.float32
    np.testing.assert_array_equal(x.grad.numpy(), [7.0, 11.0, 15.0])
    y = torch.ones(3, requires_grad=True)
    c = y * 1
    c.copy_(x)  # (self's old history: an edge whose gradient is zeros)
    assert [n[0].name() for n in c.grad_fn.next_functions] == ["MulBackward0", "torch::autograd::AccumulateGrad"]
    c.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 12.0, 16.0])
    e = torch.zeros(3, dtype=torch.int64)
    e.copy_(x)
    assert e.tolist() == [1, 2, 3] and not e.requires_grad
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place "):
        torch.ones(3, requires_grad=True).copy_(x)



# ------------------------------------------------------------------ in-place with grad through a view of a plain tensor
def test_inplace_with_grad_on_a_view_of_a_tensor_without_grad_reaches_the_base():
    # torch tracks every view's base: the base takes CopySlices (no edge of its own) and now requires grad
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = torch.zeros(2, 3)
    v = d[0]
    v.mul_(x)
    assert d.grad_fn.name() == "torch::autograd::CopySlices" and d.grad_fn.next_functions[0] == (None, 0)
    assert d.requires_grad and not d.is_leaf and not v.is_leaf
    (d * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])  # (d/dx of v * x is v's old value, 0)
    x.grad = None
    d = torch.zeros(2, 3)
    d.t()[1].copy_(x[:2])
    np.testing.assert_array_equal(d.detach().numpy(), [[0, 1, 0], [0, 2, 0]])
    assert d.grad_fn.name() == "torch::autograd::CopySlices"
    d.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 0.0])
    d = torch.zeros(2, 3)
    w2 = d.view(6)[2:5]
    w2.add_(x)
    np.testing.assert_array_equal(d.detach().numpy(), [[0, 0, 1], [2, 3, 0]])
    (d * torch.arange(6.0).view(2, 3)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 4.0, 4.0])
    for make in (lambda d: d[0].add_(x), lambda d: d[:, 1].copy_(x[:2]), lambda d: d.view(6)[:3].copy_(x),
                 lambda d: d.narrow(1, 0, 1).squeeze(1).mul_(x[:2])):
        d = torch.zeros(2, 3)
        make(d)
        assert d.requires_grad and d.grad_fn.name() == "torch::autograd::CopySlices"
    d = torch.zeros(3)
    d.detach()[0:2].copy_(x[:2])  # (detach breaks the link, as torch's)
    assert d.grad_fn is None and not d.requires_grad
    d = torch.zeros(2, 3, dtype=torch.int64)
    d[0].add_(1)
    assert d.tolist() == [[1, 1, 1], [0, 0, 0]] and not d.requires_grad


_INPLACE_ON_VIEWS = [  # f(b) on b = x * 2; x.grad, y.grad of (b * arange).sum(); their squares' gradients (torch)
    (lambda b, y: b[1].mul_(y), "CopySlices(MulBackward0(AccumulateGrad,None),AccumulateGrad)",
     [0.0, 2.0, 4.0, 6.0, 1.6, -4.0, 13.2, 8.4, 16.0, 18.0, 20.0, 22.0], [12.0, 7.5, -6.0, 14.0],
     [[0.0, 0.0, 0.0, 0.0, 192.0, 150.0, -144.0, 392.0, 0.0, 0.0, 0.0, 0.0], [25.6, -80.0, 316.8, 235.2]]),
    (lambda b, y: b.t()[2].copy_(y[:3]), "CopySlices(MulBackward0(AccumulateGrad,None),SliceBackward0("
                                         "AccumulateGrad))",
     [0.0, 2.0, 0.0, 6.0, 8.0, 10.0, 0.0, 14.0, 16.0, 18.0, 0.0, 22.0], [2.0, 6.0, 10.0, 0.0], None),
    (lambda b, y: b[1:].sin_(), "CopySlices(MulBackward0(AccumulateGrad,None))",
     [0.0, 2.0, 4.0, 6.0, -7.9199399728, 0.7073720167, 6.4836276704, -5.8260557117, -10.4582979338, 17.6411984011,
      16.5067122982, -4.9984460832], None,
     [[0.0, 0.0, 0.0, 0.0, 35.76518377, -28.22400161, 261.87765893, 296.66657816, 506.55142227, -252.34308582,
       -745.63126877, 428.35978911], None]),
    (lambda b, y: b.view(12)[::3].div_(y[:4] + 3), "CopySlices(MulBackward0(AccumulateGrad,None),AddBackward0("
                                                   "SliceBackward0(AccumulateGrad),None))",
     [0.0, 2.0, 4.0, 2.3076923077, 8.0, 10.0, 2.9268292683, 14.0, 16.0, 5.0, 20.0, 22.0],
     [0.0, -0.2218934911, 0.3569303986, -0.1388888889],
     [[0.0, 0.0, 0.0, 0.39389377, 0.0, 0.0, -0.50959724, 0.0, 0.0, 0.38580247, 0.0, 0.0],
      [0.0, -4.17224402, -4.30298936, -13.91032236]]),
]


@pytest.mark.filterwarnings(r"ignore:Using backward\(\) with create_graph=True")
@pytest.mark.parametrize("f, graph, gx, gy, gg", _INPLACE_ON_VIEWS, ids=range(len(_INPLACE_ON_VIEWS)))
def test_copyslices_runs_the_inplace_node_as_torchs(f, graph, gx, gy, gg):
    # torch's CopySlices: the base's edge and the in-place op's other edges; the view's node is an as_strided
    x = _d([[0.5, -1.0, 2.0, 0.25], [1.5, 0.75, -0.5, 1.0], [-2.0, 0.1, 0.3, 0.9]]).requires_grad_()
    y = _d([0.2, -0.4, 1.1, 0.6]).requires_grad_()
    b = x * 2
    v = f(b, y)
    assert _walk(b.grad_fn) == graph
    assert v.grad_fn.name() == "AsStridedBackward0" and v.grad_fn.next_functions[0][0] is b.grad_fn
    (b * torch.arange(12.0, dtype=torch.float64).view(3, 4)).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.detach().numpy().ravel(), gx, rtol=1e-9, atol=1e-10)
    if gy is None:
        assert y.grad is None
    else:
        np.testing.assert_allclose(y.grad.detach().numpy().ravel(), gy, rtol=1e-9, atol=1e-10)
    s = x.grad.pow(2).sum() + (y.grad.pow(2).sum() if y.grad is not None else 0)
    if gg is None:
        assert not s.requires_grad
        return
    g2 = torch.autograd.grad(s, [x, y], allow_unused=True)
    for got, want in zip(g2, gg):
        assert (got is None) == (want is None)
        if want is not None:
            np.testing.assert_allclose(got.numpy().ravel(), want, rtol=1e-8, atol=1e-8)


# ------------------------------------------------------------------ reflected operators: torch's nodes and values
@pytest.mark.parametrize("expr, graph", [
    ("3 * a", "MulBackward0(AccumulateGrad,None)"), ("3 + a", "AddBackward0(AccumulateGrad,None)"),
    ("3 - a", "RsubBackward1(AccumulateGrad)"), ("1 - a", "RsubBackward1(AccumulateGrad)"),
    ("3 / a", "MulBackward0(ReciprocalBackward0(AccumulateGrad),None)"),
    ("3 * a ** 3", "MulBackward0(PowBackward0(AccumulateGrad),None)"), ("2.5 * a", "MulBackward0(AccumulateGrad,None)"),
    ("a * 3", "MulBackward0(AccumulateGrad,None)"), ("a - 3", "SubBackward0(AccumulateGrad,None)"),
])
def test_reflected_operators_record_torchs_nodes(expr, graph):
    # (the Autograd tutorial's Q = 3 * a ** 3 - b ** 2: torch's __rmul__ is a.mul(3), __rsub__ rsub(a, 3))
    a = torch.tensor([2.0, 3.0, 0.5], requires_grad=True)
    y = eval(expr)  # noqa: S307
    assert _walk(y.grad_fn) == graph
    y.sum().backward()
    expect = {"3 * a": [3, 3, 3], "3 + a": [1, 1, 1], "3 - a": [-1, -1, -1], "1 - a": [-1, -1, -1],
              "3 / a": [-0.75, -1 / 3, -12], "3 * a ** 3": [36, 81, 2.25], "2.5 * a": [2.5, 2.5, 2.5],
              "a * 3": [3, 3, 3], "a - 3": [1, 1, 1]}[expr]
    np.testing.assert_allclose(a.grad.numpy(), expect, rtol=1e-6)


def test_reflected_division_is_reciprocal_times_number_with_grad_too():
    # torch's __rtruediv__ is self.reciprocal() * other: rounded twice, in grad mode as without it
    an = np.random.default_rng(0).uniform(0.1, 10.0, 4096).astype(np.float32)
    want = (np.float32(1) / an) * np.float32(3)
    assert (want != np.float32(3) / an).any()  # (the two roundings tell them apart)
    np.testing.assert_array_equal((3 / torch.tensor(an, requires_grad=True)).detach().numpy(), want)
    np.testing.assert_array_equal((3 / torch.tensor(an)).numpy(), want)
