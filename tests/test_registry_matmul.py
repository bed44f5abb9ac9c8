"""Rows generated from the registry's matrix products (_registry.MATMULS: mm, addmm, bmm, baddbmm, addbmm, mv, addmv,
dot, vdot, addr): every row's value against its float64 numpy reference on contiguous, strided, transposed, broadcast
(the added input), 0-d (the added input) and empty inputs in every dtype, with beta and alpha; gradcheck and
gradgradcheck for every input; torch's node name and signature. A row without a reference, a product op still
written by hand, or one of torch's product nodes without a row fails here."""
import inspect

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _ops, _registry
from tinygrad_ext.autograd import Function, gradcheck, gradgradcheck
from tinygrad_ext.nn import functional as F

MATMULS = _registry.MATMULS
# torch's nodes of matrix products (torch 2.13's derivatives.yaml): each must be a row's
TORCH_NODES = {"MmBackward0", "AddmmBackward0", "BmmBackward0", "BaddbmmBackward0", "AddbmmBackward0",
               "MvBackward0", "AddmvBackward0", "DotBackward0", "VdotBackward0", "AddrBackward0"}
SHAPES = {  # the tensor operands of each row; then the added input's broadcast, 0-d and empty variants
    "mm": [(3, 4), (4, 5)], "bmm": [(2, 3, 4), (2, 4, 5)], "mv": [(3, 4), (4,)], "dot": [(4,), (4,)],
    "vdot": [(4,), (4,)],
    "addmm": [(3, 5), (3, 4), (4, 5)], "baddbmm": [(2, 3, 5), (2, 3, 4), (2, 4, 5)],
    "addbmm": [(3, 5), (2, 3, 4), (2, 4, 5)], "addmv": [(3,), (3, 4), (4,)], "addr": [(3, 5), (3,), (5,)],
}
BROADCAST = {"addmm": [(5,), (1, 5), ()], "baddbmm": [(3, 5), (1, 1, 5), ()], "addbmm": [(5,), ()],
             "addmv": [(1,), ()], "addr": [(5,), (3, 1), ()]}
EMPTY = {  # zero-size operands: no rows, or nothing summed (the result is beta * input)
    "mm": [[(0, 4), (4, 5)], [(3, 0), (0, 5)]], "bmm": [[(0, 3, 4), (0, 4, 5)], [(2, 3, 0), (2, 0, 5)]],
    "mv": [[(0, 4), (4,)], [(3, 0), (0,)]], "dot": [[(0,), (0,)]], "vdot": [[(0,), (0,)]],
    "addmm": [[(3, 5), (3, 0), (0, 5)], [(0, 5), (0, 4), (4, 5)]],
    "baddbmm": [[(2, 3, 5), (2, 3, 0), (2, 0, 5)], [(0, 3, 5), (0, 3, 4), (0, 4, 5)]],
    "addbmm": [[(3, 5), (0, 3, 4), (0, 4, 5)], [(3, 5), (2, 3, 0), (2, 0, 5)]],
    "addmv": [[(3,), (3, 0), (0,)]], "addr": [[(0, 5), (0,), (5,)]],
}
SCALES = [(1, 1), (0.5, -2.0), (0, 3.0)]
DTYPES = ("float32", "float64", "int64")
TOL = {"float32": dict(rtol=1e-5, atol=1e-5), "float64": dict(rtol=1e-12, atol=1e-12), "int64": dict(rtol=0, atol=0)}


def reference(entry):
    return eval(entry.ref, {"np": np})  # noqa: S307 (a test table, written by us)


def call(entry, tensors, scale=None):
    """torch.<name> and Tensor.<name> with beta and alpha by keyword (both must agree)."""
    kwargs = {} if scale is None else dict(zip(("beta", "alpha"), scale))
    out = getattr(torch, entry.name)(*tensors, **kwargs)
    method = getattr(tensors[0], entry.name)(*tensors[1:], **kwargs)
    np.testing.assert_array_equal(out.detach().numpy(), method.detach().numpy())
    return out


def arrays(shapes, dtype, rng):
    if dtype == "int64":
        return [rng.integers(-3, 4, size=s).astype(np.int64) for s in shapes]
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def strided(a):
    """a as a tensor whose last dim has stride 2 (a 0-d or empty array as it is)."""
    if a.ndim == 0 or a.size == 0:
        return torch.tensor(a)
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    t = torch.tensor(wide)[..., ::2]
    assert not t.is_contiguous() or a.shape[-1] == 1
    return t


def transposed(a):
    """a as the transpose of a contiguous tensor (its last two dims swapped), where it has two or more dims."""
    if a.ndim < 2:
        return torch.tensor(a)
    return torch.tensor(np.ascontiguousarray(np.swapaxes(a, -1, -2))).transpose(-1, -2)


LAYOUTS = {"contiguous": torch.tensor, "strided": strided, "transposed": transposed}


def check_value(entry, shapes, dtype, layout, scale, rng):
    arrs = arrays(shapes, dtype, rng)
    tensors = [LAYOUTS[layout](a) for a in arrs]
    if scale is not None and dtype == "int64":
        scale = tuple(int(s) for s in scale)  # (torch truncates them for integer products)
    out = call(entry, tensors, scale)
    want = reference(entry)(*[a.astype(np.float64) for a in arrs], *(scale or ()))
    assert out.dtype is getattr(torch, dtype), (entry.name, out.dtype)
    assert tuple(out.shape) == np.shape(want), (entry.name, out.shape, np.shape(want))
    np.testing.assert_allclose(out.numpy().astype(np.float64), want, **TOL[dtype], err_msg=f"{entry.name} {layout}")


def test_every_row_is_complete():
    for e in MATMULS:
        assert e.ref and e.node and e.name in SHAPES and e.name in EMPTY, e.name
        assert e.name in _ops.MATMUL_OPS and _ops.MATMUL_OPS[e.name].entry is e
        assert len(e.grad) == len(SHAPES[e.name]) == len(e.tensors), e.name
        assert (e.name in BROADCAST) == e.scaled, e.name
    assert {e.node for e in MATMULS} == TORCH_NODES


def test_no_product_is_written_by_hand():
    """Every autograd op of _ops.py named as a product (or as linear) is a row's generated class."""
    names = {e.name.capitalize() for e in MATMULS} | {"Linear", "Mv", "Dot", "Outer", "Matmul"}
    for v in vars(_ops).values():
        if isinstance(v, type) and issubclass(v, Function) and v.__name__ in names:
            assert getattr(v, "entry", None) in MATMULS, f"{v.__name__} is written by hand: make it a MATMULS row"
    nodes = {v._backward_name for v in vars(_ops).values() if isinstance(v, type) and issubclass(v, _ops.Op)
             and getattr(v, "entry", None) not in MATMULS}
    assert not nodes & TORCH_NODES


def written(params):
    """Parameters as a signature string: `a, b, *, beta=1, alpha=1` (`out` left off)."""
    out = []
    for p in params:
        if p.kind == p.KEYWORD_ONLY and "*" not in out:
            out.append("*")
        out.append(str(p))
    return ", ".join(out).removesuffix(", out=None").removesuffix(", *")


@pytest.mark.parametrize("entry", MATMULS, ids=lambda e: e.name)
def test_signature(entry):
    """torch.<name>(<signature>) and Tensor.<name> (its parameters after the input), as torch's."""
    method = list(inspect.signature(getattr(torch.Tensor, entry.name)).parameters.values())[1:]
    assert written(method) == entry.signature.split(", ", 1)[1]
    function = inspect.signature(getattr(torch, entry.name)).parameters.values()
    assert written(function) == entry.signature


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("entry", MATMULS, ids=lambda e: e.name)
def test_value(entry, layout, dtype):
    rng = np.random.default_rng(0)
    for scale in SCALES if entry.scaled else [None]:
        check_value(entry, SHAPES[entry.name], dtype, layout, scale, rng)
        for input_shape in BROADCAST.get(entry.name, []):
            check_value(entry, [input_shape] + SHAPES[entry.name][1:], dtype, layout, scale, rng)
        for shapes in EMPTY[entry.name]:
            check_value(entry, shapes, dtype, layout, scale, rng)


@pytest.mark.parametrize("entry", [e for e in MATMULS if e.scaled], ids=lambda e: e.name)
def test_beta_zero_ignores_input(entry):
    """beta == 0: NaN and inf in the input do not reach the result, and its gradient is grad * beta (zeros)."""
    rng = np.random.default_rng(1)
    arrs = arrays(SHAPES[entry.name], "float64", rng)
    arrs[0][...] = np.nan
    tensors = [torch.tensor(a, requires_grad=True) for a in arrs]
    out = call(entry, tensors, (0, 2.0))
    np.testing.assert_allclose(out.detach().numpy(), reference(entry)(np.zeros_like(arrs[0]), *arrs[1:], 0, 2.0))
    assert out.grad_fn.name() == entry.node
    out.sum().backward()
    assert not tensors[0].grad.numpy().any() and np.isfinite(tensors[1].grad.numpy()).all()
    with pytest.raises(RuntimeError):  # its shape must still fit
        call(entry, [torch.zeros(7, 2, 9, dtype=torch.float64)] + tensors[1:], (0, 1))


@pytest.mark.parametrize("entry", MATMULS, ids=lambda e: e.name)
def test_gradients(entry):
    """gradcheck and gradgradcheck of every input, with the added input broadcast and beta, alpha != 1."""
    rng = np.random.default_rng(2)
    cases = [(SHAPES[entry.name], None)]
    if entry.scaled:
        cases += [(SHAPES[entry.name], (0.5, -2.0)), (SHAPES[entry.name], (0, 1.5)),
                  ([BROADCAST[entry.name][0]] + SHAPES[entry.name][1:], (2.0, 1))]
    for shapes, scale in cases:
        tensors = [torch.tensor(a, requires_grad=True) for a in arrays(shapes, "float64", rng)]

        def fn(*t, scale=scale):
            return call(entry, t, scale)
        assert gradcheck(fn, tensors), (entry.name, scale)
        assert gradgradcheck(fn, tensors), (entry.name, scale)
        for i in range(len(tensors)):  # each input alone (the others saved or not, as the formulas read them)
            alone = [t.detach().requires_grad_(j == i) for j, t in enumerate(tensors)]
            assert gradcheck(fn, alone), (entry.name, i)


@pytest.mark.parametrize("entry", MATMULS, ids=lambda e: e.name)
def test_node_name_and_edges(entry):
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays(SHAPES[entry.name], "float64",
                                                                   np.random.default_rng(3))]
    out = call(entry, tensors)
    assert out.grad_fn.name() == entry.node
    assert [fn.variable is t for (fn, _), t in zip(out.grad_fn.next_functions, tensors)] == [True] * len(tensors)


@pytest.mark.parametrize("entry", [e for e in MATMULS if e.scaled], ids=lambda e: e.name)
def test_in_place_variant(entry):
    """Tensor.<name>_ writes the product into self, which takes the row's node, as torch's (a leaf raises)."""
    arrs = arrays(SHAPES[entry.name], "float64", np.random.default_rng(5))
    leaves = [torch.tensor(a, requires_grad=True) for a in arrs]
    self = leaves[0] * 1
    y = getattr(self, entry.name + "_")(*leaves[1:], beta=0.5, alpha=2.0)
    assert y is self and y.grad_fn.name() == entry.node
    np.testing.assert_allclose(y.detach().numpy(), reference(entry)(*arrs, 0.5, 2.0), rtol=1e-12, atol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(leaves[0].grad.numpy(), np.full(arrs[0].shape, 0.5))
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(leaves[0], entry.name + "_")(*leaves[1:])


def test_saves_what_the_formulas_read():
    """mm(a, b) keeps b only for a's gradient and a only for b's (torch's save rule): an in-place change of the
    operand that is not read is fine, of the one that is read raises torch's error."""
    a = torch.ones(2, 3, requires_grad=True) * 1
    b = torch.ones(3, 2)
    y = a.mm(b)
    a.mul_(2)  # (not needed: only b's value enters a's gradient)
    y.sum().backward()
    b2 = torch.ones(3, 2)
    y = a.detach().requires_grad_().mm(b2)
    b2.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_linear_records_addmm_over_weight_t():
    """F.linear as torch's: addmm(bias, input, weight.t()) (AddmmBackward0, weight through TBackward0), or mm."""
    x, w, b = (torch.randn(*s, dtype=torch.float64, requires_grad=True) for s in ((2, 3), (4, 3), (4,)))
    y = F.linear(x, w, b)
    assert y.grad_fn.name() == "AddmmBackward0"
    acc = "torch::autograd::AccumulateGrad"
    assert [fn.name() for fn, _ in y.grad_fn.next_functions] == [acc, acc, "TBackward0"]
    assert F.linear(x, w).grad_fn.name() == "MmBackward0"
    h = x * 1  # the 2017 name follows the 2017 Linear node's inputs, (input, weight, bias), as the seeds do
    assert F.linear(h, w, b).grad_fn.previous_functions[0][0] is h.grad_fn
    assert gradcheck(lambda x, w, b: F.linear(x, w, b), (x, w, b))
    assert gradgradcheck(lambda x, w: F.linear(x, w), (x, w))
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy())


def test_matmul_records_torchs_nodes():
    """matmul picks dot, mv, mm as torch's (a batch of rows times a matrix folds into one mm)."""
    def node(*shapes):
        return torch.matmul(*(torch.randn(*s, requires_grad=True) for s in shapes)).grad_fn.name()
    assert node((3,), (3,)) == "DotBackward0"
    assert node((2, 3), (3,)) == "MvBackward0"
    assert node((2, 3), (3, 4)) == "MmBackward0"
    a, b = torch.randn(5, 2, 3, dtype=torch.float64, requires_grad=True), torch.randn(3, 4, dtype=torch.float64)
    y = a.matmul(b)
    assert y.grad_fn.next_functions[0][0].name() == "MmBackward0" and y.shape == (5, 2, 4)
    np.testing.assert_allclose(y.detach().numpy(), a.detach().numpy() @ b.numpy())
    assert gradcheck(lambda a, v: a.matmul(v), (a, torch.randn(3, dtype=torch.float64, requires_grad=True)))


@pytest.mark.parametrize("fn, exc, words", [
    (lambda: torch.dot(torch.ones(2), torch.ones(3)), RuntimeError, "inconsistent tensor size"),
    (lambda: torch.vdot(torch.ones(2, 1), torch.ones(2)), RuntimeError, "1D tensors expected"),
    (lambda: torch.dot(torch.ones(2), torch.ones(2, dtype=torch.float64)), RuntimeError, "same dtype"),
    (lambda: torch.vdot(torch.ones(2, dtype=torch.bool), torch.ones(2, dtype=torch.bool)), NotImplementedError,
     "not implemented for 'Bool'"),
    (lambda: torch.mv(torch.ones(2, 3), torch.ones(2)), RuntimeError, r"size mismatch, got input \(2\), mat \(2x3\)"),
    (lambda: torch.mv(torch.ones(2, 3, 4), torch.ones(2)), RuntimeError, "vector expected, got 1, 3, 1"),
    (lambda: torch.addmv(torch.ones(2), torch.ones(2, 3), torch.ones(2)), RuntimeError, "size mismatch"),
    (lambda: torch.addr(torch.ones(2, 2), torch.ones(2, 1), torch.ones(2)), RuntimeError, "1-D argument vec1"),
    (lambda: torch.addbmm(torch.ones(2, 2), torch.ones(2, 2), torch.ones(2, 2, 2)), RuntimeError, "3D tensor"),
    (lambda: torch.baddbmm(torch.ones(2, 2, 2), torch.ones(2, 2, 3), torch.ones(2, 2, 2)), RuntimeError,
     "batch2"),
    (lambda: torch.addmm(torch.ones(2, 2), torch.ones(2, 3), torch.ones(2, 2)), RuntimeError, "cannot be multiplied"),
    (lambda: torch.addmm(torch.ones(2, 2), torch.ones(2, 2), torch.ones(2, 2), 1, 1), TypeError, ""),
])
def test_bad_inputs(fn, exc, words):
    with pytest.raises(exc, match=words or None):
        fn()


def test_against_torch():
    """Values, dtypes and node names of every row as torch's (skipped without torch)."""
    real = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    for e in MATMULS:
        for scale in SCALES if e.scaled else [None]:
            arrs = arrays(SHAPES[e.name], "float64", rng)
            kwargs = {} if scale is None else dict(zip(("beta", "alpha"), scale))
            ours = getattr(torch, e.name)(*[torch.tensor(a, requires_grad=True) for a in arrs], **kwargs)
            theirs = getattr(real, e.name)(*[real.tensor(a, requires_grad=True) for a in arrs], **kwargs)
            assert ours.grad_fn.name() == theirs.grad_fn.name(), e.name
            np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_leaf_gradients_arrive_in_torchs_order():
    """Each layer's bias, then its weight, from the last layer back (torch's engine runs an AccumulateGrad as soon
    as it is ready: DDP launches its buckets in this order)."""
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4), torch.nn.Tanh(),
                              torch.nn.Linear(4, 2))
    order = []
    for name, p in net.named_parameters():
        p.register_post_accumulate_grad_hook(lambda _, name=name: order.append(name))
    net(torch.ones(5, 3)).sum().backward()
    assert order == ["4.bias", "4.weight", "2.bias", "2.weight", "0.bias", "0.weight"]
