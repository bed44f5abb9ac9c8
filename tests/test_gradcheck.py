"""gradcheck / gradgradcheck (central differences, float64, torch's default tolerances) over every
differentiable op of the library.

Each op is a row of ROWS: an id, a function of the inputs, and the inputs (shapes of random float64
tensors that require grad, or fixed non-differentiable arguments). To cover a new op class of _ops.py,
add a row that uses it; test_every_op_class_is_covered walks the graphs the rows build (first and
second order) and fails naming any op class that no row reaches."""
import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import _ops
from tinygrad_ext.nn import functional as F
from tinygrad_ext.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class X:
    """A random float64 input that requires grad; values kept away from 0 (and from each other, so
    max/min/abs/relu/clamp are differentiable there); positive=True for log/sqrt/pow bases."""

    def __init__(self, *shape, positive=False, requires_grad=True, lo=0.2, hi=1.5):
        self.shape, self.positive, self.requires_grad, self.lo, self.hi = shape, positive, requires_grad, lo, hi

    def make(self, rng):
        n = int(np.prod(self.shape)) if self.shape else 1
        mag = self.lo + (self.hi - self.lo) * (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) / n
        sign = np.ones(n) if self.positive else rng.choice([-1.0, 1.0], n)
        t = torch.tensor((mag * sign).reshape(self.shape), dtype=torch.float64)
        return t.requires_grad_(self.requires_grad)


def _idx(*v):
    return torch.tensor(list(v), dtype=torch.int64)


MASK = torch.tensor([[True, False, True], [False, False, True]])
COND = torch.tensor([[True, False, False], [True, True, False]])
_NN = _ops.NN_OPS  # (the nn rows of _registry.NN_OPS)
W4 = torch.tensor([0.5, 1.0, 2.0, 1.5], dtype=torch.float64)


class _Square(Function):  # a custom Function: gradcheck is exported for users' own ops
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x * x * k

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return 2 * ctx.k * x * g, None


# (id, function, inputs, gradgradcheck too[, gradcheck keyword arguments])
ROWS = [
    # binary, with broadcasting and Python scalars
    ("add", lambda a, b: a + b, [X(2, 3), X(3)], True),
    ("add_scalar", lambda a: 2.5 + a, [X(3)], True),
    ("sub", lambda a, b: a - b, [X(2, 1), X(1, 3)], True),
    ("rsub_scalar", lambda a: 1.5 - a, [X(3)], True),
    ("mul", lambda a, b: a * b, [X(2, 3), X(2, 1)], True),
    ("mul_scalar", lambda a: a * 3.0, [X(3)], True),
    ("div", lambda a, b: a / b, [X(2, 3), X(3)], True),
    ("rdiv_scalar", lambda a: 2.0 / a, [X(4)], True),
    ("pow_scalar", lambda a: a ** 3, [X(4)], True),
    ("pow_square", lambda a: a.pow(2), [X(4)], True),
    ("pow_tensor", lambda a, b: a ** b, [X(3, positive=True), X(3)], True),
    ("rpow", lambda b: 2.0 ** b, [X(3)], True),
    ("maximum", lambda a, b: torch.maximum(a, b), [X(2, 3), X(2, 3)], True),
    ("minimum", lambda a, b: torch.minimum(a, b), [X(2, 3), X(3)], True),
    ("remainder", lambda a, b: a % b, [X(2, 3, lo=2.2, hi=2.8), X(3, positive=True, lo=0.6, hi=0.9)], True),
    ("rremainder_scalar", lambda b: 5.0 % b, [X(3, positive=True, lo=0.7, hi=0.9)], True),
    ("div_rounding", lambda a, b: a.div(b, rounding_mode="floor") + torch.div(a, b, rounding_mode="trunc") + a * b,
     [X(2, 3, lo=2.2, hi=2.8), X(3, positive=True, lo=0.6, hi=0.9)], True),
    # unary
    ("neg", lambda a: -a, [X(3)], True),
    ("exp", lambda a: a.exp(), [X(2, 2)], True),
    ("log", lambda a: a.log(), [X(4, positive=True)], True),
    ("sqrt", lambda a: a.sqrt(), [X(4, positive=True)], True),
    ("abs", lambda a: a.abs(), [X(4)], True),
    ("tanh", lambda a: a.tanh(), [X(2, 3)], True),
    ("sigmoid", lambda a: a.sigmoid(), [X(2, 3)], True),
    ("relu", lambda a: a.relu(), [X(5)], True),
    ("clamp", lambda a: a.clamp(min=-0.5, max=0.6), [X(6)], True),
    ("clamp_min0", lambda a: a.clamp(min=0), [X(6)], True),
    ("clamp_tensor_bounds", lambda a, lo, hi: a.clamp(lo, hi), [X(2, 3), X(3, lo=0.3, hi=0.6), X(2, 1, lo=0.7, hi=1.4)],
     True),
    ("clamp_tensor_min", lambda a, lo: torch.clamp(a, min=lo), [X(2, 3), X(1)], True),
    ("leaky_relu", lambda a: _ops.LeakyRelu.apply(a, 0.1), [X(5)], True),
    ("sin", lambda a: a.sin(), [X(4)], True),
    ("cos", lambda a: a.cos(), [X(4)], True),
    ("log1p", lambda a: a.log1p(), [X(4, positive=True)], True),
    ("expm1", lambda a: a.expm1(), [X(4)], True),
    ("rsqrt", lambda a: a.rsqrt(), [X(4, positive=True)], True),
    ("reciprocal", lambda a: a.reciprocal(), [X(4)], True),
    ("square", lambda a: a.square(), [X(4)], True),
    # piecewise constant: a zero gradient (inputs away from integers and .5, where they jump)
    ("sign_floor_ceil", lambda a: a.sign() + a.floor() * a.ceil(), [X(4, lo=0.1, hi=0.4)], True),
    ("round_trunc", lambda a: a.round() + a.trunc() + a, [X(4, lo=0.1, hi=0.4)], True),
    # selection and masking
    ("where", lambda a, b: torch.where(COND, a, b), [X(2, 3), X(3)], True),
    ("where_scalar", lambda a: torch.where(COND, a, 0.0), [X(2, 3)], True),
    ("masked_fill", lambda a: a.masked_fill(MASK, 2.0), [X(2, 3)], True),
    ("masked_fill_tensor", lambda a, v: a.masked_fill(MASK, v), [X(2, 3), X()], True),
    # conversions and copies
    ("to_float32_and_back", lambda a: (a.to(torch.float32) * 1).to(torch.float64), [X(3)], False,
     {"eps": 1e-3, "atol": 1e-3, "rtol": 1e-3}),
    ("clone", lambda a: a.clone(), [X(2, 2)], True),
    ("contiguous", lambda a: a.t().contiguous(), [X(2, 3)], True),
    # reductions
    ("sum", lambda a: a.sum(), [X(2, 3)], True),
    ("sum_dim", lambda a: a.sum(1), [X(2, 3)], True),
    ("cumsum", lambda a: a.cumsum(1), [X(2, 4)], True),
    ("sum_dims_keepdim", lambda a: a.sum((0, 2), keepdim=True), [X(2, 3, 2)], True),
    ("mean", lambda a: a.mean(0), [X(3, 2)], True),
    ("var", lambda a: a.var(1), [X(2, 4)], True),
    ("std", lambda a: a.std(), [X(5)], True),
    ("norm", lambda a: a.norm(), [X(2, 3)], True),
    ("norm_p3_dim", lambda a: a.norm(3, dim=1), [X(2, 3)], True),
    ("norm_p_half_keepdim", lambda a: a.norm(0.5, dim=0, keepdim=True), [X(2, 3)], True),
    ("norm_p1_5", lambda a: a.norm(1.5), [X(4)], True),
    ("std_dim", lambda a: a.std(1, keepdim=True), [X(2, 4)], True),
    ("prod_with_zero", lambda a: (a * torch.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 1.0]], dtype=torch.float64)).prod(1),
     [X(2, 3)], True),
    ("linear_broadcast_bias", lambda x, w, b: F.linear(x, w, b), [X(2, 3), X(2, 3), X(1)], True),
    ("prod", lambda a: a.prod(), [X(4)], True),
    ("prod_dim", lambda a: a.prod(1, keepdim=True), [X(2, 3)], True),
    ("max_all", lambda a: a.max(), [X(2, 3)], True),
    ("min_all", lambda a: a.min(), [X(2, 3)], True),
    ("amax", lambda a: a.amax(1), [X(2, 3)], True),
    ("amin_keepdim", lambda a: a.amin(0, keepdim=True), [X(2, 3)], True),
    ("max_dim", lambda a: a.max(1)[0], [X(2, 3)], True),
    ("min_dim_keepdim", lambda a: a.min(0, keepdim=True).values, [X(3, 2)], True),
    # linear algebra
    ("mm", lambda a, b: a.mm(b), [X(2, 3), X(3, 2)], True),
    ("matmul_vec", lambda a, b: a @ b, [X(2, 3), X(3)], True),
    ("matmul_batched", lambda a, b: a @ b, [X(2, 2, 3), X(3, 2)], True),
    ("addmm", lambda c, a, b: torch.addmm(c, a, b), [X(2), X(2, 3), X(3, 2)], True),
    ("bmm", lambda a, b: a.bmm(b), [X(2, 2, 3), X(2, 3, 2)], True),
    ("dot", lambda a, b: a.dot(b), [X(3), X(3)], True),
    # views
    ("view", lambda a: a.view(3, 2), [X(2, 3)], True),
    ("reshape_copy", lambda a: a.t().reshape(6), [X(2, 3)], True),
    ("flatten", lambda a: a.flatten(), [X(2, 1, 2)], True),
    ("squeeze_unsqueeze", lambda a: a.squeeze(1).unsqueeze(0), [X(2, 1, 3)], True),
    ("permute", lambda a: a.permute(2, 0, 1), [X(2, 3, 2)], True),
    ("transpose", lambda a: a.transpose(0, 1), [X(2, 3)], True),
    ("t", lambda a: a.t() * 1, [X(2, 3)], True),
    ("expand", lambda a: a.expand(2, 3, 3), [X(3, 1)], True),
    ("index_basic", lambda a: a[1, ::2], [X(3, 4)], True),
    ("index_none_ellipsis", lambda a: a[None, ..., 1:], [X(2, 3)], True),
    ("narrow_select", lambda a: a.narrow(1, 1, 2).select(0, 1), [X(3, 3)], True),
    ("unfold_overlapping", lambda a: a.unfold(1, 3, 1), [X(2, 5)], True),
    ("split_chunk", lambda a: a.split(1, 0)[1] * a.chunk(2, 1)[0], [X(2, 2)], True),
    ("unbind_stack", lambda a: torch.stack(a.unbind(1), 0), [X(2, 3)], True),
    ("cat", lambda a, b: torch.cat([a, b], 1), [X(2, 1), X(2, 2)], True),
    # gathers and scatters
    ("index_tensor", lambda a: a[_idx(2, 0, 2)], [X(3, 2)], True),
    ("index_mask", lambda a: a[MASK], [X(2, 3)], True),
    ("index_select", lambda a: a.index_select(1, _idx(1, 1)), [X(2, 3)], True),
    ("gather", lambda a: a.gather(1, torch.tensor([[0, 0], [2, 1]])), [X(2, 3)], True),
    ("scatter_add", lambda a, s: a.scatter_add(1, torch.tensor([[0, 0], [2, 1]]), s), [X(2, 3), X(2, 2)], True),
    ("setitem", lambda a, v: _setitem(a, v), [X(2, 3), X(3)], True),
    # in-place ops under autograd
    ("mul_inplace", lambda a, b: _inplace(a, lambda t: t.mul_(b)), [X(3), X(3)], True),
    ("exp_inplace", lambda a: _inplace(a, lambda t: t.exp_()), [X(3)], True),
    ("clamp_inplace", lambda a: _inplace(a, lambda t: t.clamp_(min=0.3)), [X(4)], True),
    ("view_inplace", lambda a, b: _inplace(a, lambda t: t[1].mul_(b)), [X(2, 2), X(2)], True),
    # a custom Function
    ("custom_function", lambda a: _Square.apply(a, 3.0), [X(3)], True),
    # nn layers and losses (the op classes torch.nn.functional builds on)
    ("linear", lambda x, w, b: F.linear(x, w, b), [X(2, 3), X(2, 3), X(2)], True),
    ("linear_no_bias", lambda x, w: F.linear(x, w), [X(2, 3), X(2, 3)], True),
    ("conv2d", lambda x, w, b: _NN["convolution"].apply(x, w, b, (1, 1), (0, 0), (1, 1), False, (0, 0), 1),
     [X(1, 1, 3, 3), X(2, 1, 2, 2), X(2)], True),
    ("conv2d_strided_grouped",
     lambda x, w: _NN["convolution"].apply(x, w, None, (2, 2), (1, 1), (1, 1), False, (0, 0), 2),
     [X(1, 2, 3, 3), X(2, 1, 2, 2)], True),
    ("max_pool2d", lambda x: _NN["max_pool2d_with_indices"].apply(x, (2, 2), (2, 2), (0, 0), (1, 1), False)[0],
     [X(1, 1, 4, 4)], True),
    ("avg_pool2d", lambda x: _NN["avg_pool2d"].apply(x, (2, 2), (1, 1), (0, 0), False, True, None),
     [X(1, 1, 3, 3)], True),
    ("upsample_nearest", lambda x: _NN["upsample_nearest"].apply(x, [5, 3], False, [0.0, 0.0]), [X(1, 2, 3, 2)], True),
    ("upsample_linear", lambda x: _NN["upsample_linear"].apply(x, [4, 5], True, [0.0, 0.0]), [X(1, 1, 3, 2)], True),
    ("softmax", lambda x: _NN["_softmax"].apply(x, 1), [X(2, 3)], True),
    ("log_softmax", lambda x: _NN["_log_softmax"].apply(x, 0), [X(3, 2)], True),
    ("cross_entropy", lambda x: _NN["cross_entropy"].apply(x, _idx(1, 0, 3), None, 1, -100, 0.0), [X(3, 4)], True),
    # (torch's CTC loss has no second derivative; its gradient goes through log_softmax, as in use)
    ("svdvals", lambda a: torch.linalg.svdvals(a), [X(3, 2)], False),
    ("ctc_loss", lambda x: torch.nn.functional.ctc_loss(x.log_softmax(2), torch.tensor([[1, 2], [3, 3]]), (5, 4),
                                                        (2, 2)), [X(5, 2, 4)], False),
    ("cross_entropy_weighted_smoothed",
     lambda x: _NN["cross_entropy"].apply(x, _idx(1, 2, 3), W4, 2, 2, 0.1), [X(3, 4)], True),
    ("nll_loss", lambda x: _NN["nll_loss"].apply(x, _idx(1, 0, 3), None, 1, -100), [X(3, 4)], True),
    ("nll_loss_none", lambda x: _NN["nll_loss"].apply(x, _idx(1, 0, 3), W4, 0, -100), [X(3, 4)], True),
    ("mse_loss", lambda a, b: _NN["mse_loss"].apply(a, b, 1), [X(2, 3), X(2, 3)], True),
    ("mse_loss_sum", lambda a: _NN["mse_loss"].apply(a, 0.5, 2), [X(3)], True),
    ("embedding", lambda w: _NN["embedding"].apply(w, torch.tensor([[0, 2], [3, 0]]), None), [X(4, 3)], True),
    # (padding_idx rows get no gradient by design: the row's outputs are zeroed so that gradcheck agrees)
    ("embedding_padding", lambda w: _NN["embedding"].apply(w, _idx(1, 2, 1), 1) * torch.tensor([[0.0], [1.0], [0.0]],
                                                                                            dtype=torch.float64),
     [X(3, 2)], True),
]


def _setitem(a, v):
    out = a * 1
    out[0] = v
    return out


def _inplace(a, op):
    t = a * 1
    op(t)
    return t


def _inputs(row, seed=0):
    rng = np.random.RandomState(seed)
    return tuple(s.make(rng) if isinstance(s, X) else s for s in row[2])


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_gradcheck(row):
    assert gradcheck(row[1], _inputs(row), **(row[4] if len(row) > 4 else {}))


@pytest.mark.parametrize("row", [r for r in ROWS if r[3]], ids=[r[0] for r in ROWS if r[3]])
def test_gradgradcheck(row):
    assert gradgradcheck(row[1], _inputs(row), **(row[4] if len(row) > 4 else {}))


def _graph_classes(tensors, seen):
    stack = [t.grad_fn for t in tensors if t is not None and t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen[id(node)] = node  # (kept alive, so that ids are not reused)
        stack.extend(n for n, _ in node.next_functions)


def test_every_op_class_is_covered():
    """Every differentiable op class of _ops.py appears in a row's graph (first or second order)."""
    seen = {}
    for row in ROWS:
        inputs = _inputs(row)
        outs = row[1](*inputs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        _graph_classes(outs, seen)
        diff = [x for x in inputs if isinstance(x, torch.Tensor) and x.requires_grad]
        gos = [torch.ones_like(o).requires_grad_() for o in outs]
        grads = torch.autograd.grad(outs, diff, gos, create_graph=True, allow_unused=True)
        _graph_classes(grads, seen)
    covered = {type(n).__name__ for n in seen.values()}
    op_classes = {v.__name__ for v in vars(_ops).values()
                  if isinstance(v, type) and issubclass(v, Function) and v.__module__ == _ops.__name__
                  and v not in (_ops.Op, _ops._Registered, _ops._Unary, _ops._Binary, _ops._Overloaded,
                                _ops._Operands, _ops._View, _ops._Product, _ops._ScaledProduct, _ops._Indexed,
                                _ops._Indexed2, _ops._IndexedList, _ops._MultiView)}  # (the bases)
    exempt = {"FloorDivide"}  # torch's has no derivative: test_reliability.py checks that its backward raises
    missing = sorted(op_classes - covered - exempt)
    assert not missing, f"op classes without a gradcheck row in tests/test_gradcheck.py: {missing}"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_gradcheck_to_device():
    x = X(3).make(np.random.RandomState(0))
    assert gradcheck(lambda a: (a.to("cuda") * 2).to("cpu"), (x,))


# ------------------------------------------------------------ gradcheck itself
def test_gradcheck_detects_a_wrong_backward():
    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(Wrong.apply, (x,))
    assert gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_detects_a_wrong_second_derivative():
    class FirstOrderOnly(Function):  # right first derivative, but its backward is not differentiable
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 2 * x.detach()

    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    assert gradcheck(FirstOrderOnly.apply, (x,))
    assert gradgradcheck(FirstOrderOnly.apply, (x,), raise_exception=False) is False


def test_gradcheck_arguments():
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    y = torch.randn(3, dtype=torch.float64)  # no grad: a constant
    assert gradcheck(lambda a, b: (a * b, b * 2), (x, y))  # outputs that do not require grad
    assert gradcheck(lambda a: a.exp(), x.t())  # one tensor, non-contiguous
    assert gradcheck(torch.Tensor.sin, [x], eps=1e-6, atol=1e-5, rtol=1e-3)
    with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
        gradcheck(lambda a: a * 2, (y,))
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(lambda a: a * 2, (torch.randn(2, requires_grad=True),), eps=1e-3, atol=1e-2, rtol=1e-2)
    assert x.grad is None  # gradcheck does not accumulate into .grad
    assert torch.autograd.gradcheck is gradcheck and torch.autograd.gradgradcheck is gradgradcheck
