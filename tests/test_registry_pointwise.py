"""Rows of the registry's pointwise ops that had hand-written autograd classes (issue 11): pow, remainder,
floor_divide, maximum, minimum (binary rows with torch's formulas and overload node names) and the rows with a
hand-written kernel (clamp, leaky_relu, clone, _to_copy; where, masked_fill and clamp with tensor bounds, whose
several operands are Tensors or numbers): value against a float64 numpy reference on contiguous,
strided, broadcast, 0-d and empty inputs in each dtype, gradcheck/gradgradcheck of each differentiable input,
torch's node names and special rules (pow at 0, ties, the clamp bounds), and a check that none of them is a
hand-written Op class any more. Also the reductions composed of other kernels (REDUCTIONS rows with a
`kernel`): var, std, linalg_vector_norm (Tensor.norm) and max()/min() of everything."""
import contextlib
import math

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import _ops, _registry
from tinygrad_ext.autograd import gradcheck, gradgradcheck

BINARY = ("pow", "remainder", "floor_divide", "maximum", "minimum")
KERNEL_ROWS = [e for e in _registry.OPS if e.kernel and e.python is not None]  # (_cdist_sqrt: cdist's, below)
COMPOSED = [e for e in _registry.REDUCTIONS if e.kernel]
# (call, dtypes, node name of a tensor-tensor / tensor-number call)
CALLS = {
    "pow": (lambda a, b: a ** b, ("float32", "float64"), "PowBackward1"),
    "remainder": (lambda a, b: a % b, ("float32", "float64", "int64", "int32"), "RemainderBackward1"),
    "floor_divide": (lambda a, b: a // b, ("float32", "float64", "int64"), "torch::autograd::NotImplemented"),
    "maximum": (torch.maximum, ("float32", "float64", "int64", "int32"), "MaximumBackward0"),
    "minimum": (torch.minimum, ("float32", "float64", "int64"), "MinimumBackward0"),
    "clamp": (lambda a: a.clamp(-0.5, 0.7), ("float32", "float64", "int64"), "ClampBackward1"),
    "leaky_relu": (lambda a: torch.nn.functional.leaky_relu(a, 0.2), ("float32", "float64"), "LeakyReluBackward0"),
    "clone": (lambda a: a.clone(), ("float32", "float64", "int64", "bool"), "CloneBackward0"),
    "_to_copy": (lambda a: a.to(torch.float64), ("float32", "float64", "int32"), "ToCopyBackward0"),
    "where": (lambda a, b: torch.where(a > 0.5, a, b), ("float32", "float64", "int64"), "WhereBackward0"),
    "masked_fill": (lambda a, b: a.masked_fill(b > 0.5, b.sum() if b.dtype.is_floating_point else 7),
                    ("float32", "float64", "int64", "bool"), "MaskedFillBackward1"),
    "clamp_tensor": (lambda a, b: a.clamp(-b.abs(), b.abs()), ("float32", "float64", "int64"), "ClampBackward0"),
    "div_rounding": (lambda a, b: torch.div(a, b, rounding_mode="floor"), ("float32", "float64", "int64"),
                     "DivBackward2"),
    # (a fixed seed: the same draws under gradcheck's perturbations; the values sampled are probabilities 0 and 1)
    "bernoulli": (lambda p: torch.bernoulli(p, generator=torch.Generator().manual_seed(0)), ("float32", "float64"),
                  "BernoulliBackward0"),
}
# the references of the rows with several operands, given the two sampled arrays
OPERANDS = {"where": lambda a, b: (a > 0.5, a, b), "masked_fill": lambda a, b: (a, b > 0.5, b.sum() if b.dtype.kind
                                                                                 == "f" else 7),
            "clamp_tensor": lambda a, b: (a, -np.abs(b), np.abs(b)), "div_rounding": lambda a, b: (a, b)}
PARAMS = {"clamp": (-0.5, 0.7), "leaky_relu": (0.2,), "_to_copy": (np.float64, None), "div_rounding": ("floor",)}
LAYOUTS = {"contiguous": [(3, 4), (3, 4)], "strided": [(4, 3), (4, 3)], "broadcast": [(3, 4), (4,)],
           "0-d": [(), ()], "empty": [(0, 4), (4,)]}


def reference(entry):
    return eval(entry.ref, {"np": np, "math": math})  # noqa: S307 (the registry's table, written by us)


def sample(name, dtype, shape, rng):
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if name == "bernoulli":
        return rng.integers(0, 2, shape).astype(dtype)
    if dtype.startswith("float"):
        lo = 0.2 if name == "pow" else -2.0
        return rng.uniform(lo, 2.0, shape).astype(dtype)
    v = rng.integers(-5, 6, shape)
    return np.where(v == 0, 1, v).astype(dtype) if name in ("remainder", "floor_divide", "div_rounding") else \
        v.astype(dtype)


def test_every_row_of_the_family_is_generated_and_no_hand_written_class_is_left():
    assert {e.name for e in KERNEL_ROWS} | set(BINARY) == set(CALLS)
    assert {e.name for e in KERNEL_ROWS if e.inputs} == set(OPERANDS)
    for name in CALLS:
        op = _ops.REGISTERED[name]
        assert issubclass(op, (_ops._Registered, _ops._Operands)), name
        assert op.__module__ == _ops.__name__ and op.__name__ == "".join(w.capitalize() for w in name.split("_"))
    hand_written = {c.__name__ for c in vars(_ops).values()
                    if isinstance(c, type) and issubclass(c, _ops.Op)
                    and not issubclass(c, (_ops._Registered, _ops._Operands))}
    hand_written_reductions = {"Var", "StdSqrt", "Norm", "MaxAll"}
    assert not hand_written & hand_written_reductions
    assert {e.name for e in COMPOSED} == {"var", "std", "linalg_vector_norm", "max_all", "min_all"}
    for e in COMPOSED:
        assert _ops.REDUCTION_OPS[e.name].entry is e and f"X({e.name}," not in _registry.cpp_header()
    generated = {"Pow": "pow", "Remainder": "remainder", "FloorDivide": "floor_divide", "Maximum": "maximum",
                 "Minimum": "minimum", "Clamp": "clamp", "LeakyRelu": "leaky_relu", "Clone": "clone",
                 "ToCopy": "_to_copy", "Where": "where", "MaskedFill": "masked_fill", "ClampTensor": "clamp_tensor"}
    assert not hand_written & (set(generated) | {"ToDtype", "ClampT", "ToDevice", "ZeroGrad"})
    for alias, name in generated.items():
        assert getattr(_ops, alias) is _ops.REGISTERED[name], alias
    for e in KERNEL_ROWS:  # not in the C++ lists: their kernels are hand-written
        assert f"X({e.name}," not in _registry.cpp_header() and e.ref, e.name
    assert _ops.REGISTERED["_cdist_sqrt"] in {type(n) for n in _graph(torch.cdist(
        torch.tensor(np.arange(60.0).reshape(30, 2), requires_grad=True), torch.ones(30, 2, dtype=torch.float64)))}


def _graph(t):
    seen, todo = set(), [t.grad_fn]
    while todo:
        n = todo.pop()
        if n is not None and n not in seen:
            seen.add(n)
            todo += [f for f, _ in n.next_functions]
    return seen


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", list(CALLS))
def test_value_against_numpy(name, layout):
    rng = np.random.default_rng(0)
    entry = _registry.BY_NAME[name]
    fn, dtypes, _ = CALLS[name]
    n = 1 if entry.unary and not entry.inputs else 2
    for dtype in dtypes:
        arrays = [sample(name, dtype, s, rng) for s in LAYOUTS[layout][:n]]
        tensors = [torch.from_numpy(a.copy()) for a in arrays]
        if layout == "strided":
            arrays, tensors = [a.T for a in arrays], [t.t() for t in tensors]
        got = fn(*tensors)
        if dtype == "bool" and name == "masked_fill":
            continue
        with np.errstate(all="ignore"):
            args = [a.astype(np.float64) if a.dtype.kind == "f" else a for a in arrays]
            want = reference(entry)(*(OPERANDS[name](*args) if name in OPERANDS else args), *PARAMS.get(name, ()))
        assert tuple(got.shape) == np.shape(want), (name, layout, dtype)
        tol = 1e-5 if got.dtype == torch.float32 else 1e-12
        np.testing.assert_allclose(got.numpy().astype(np.float64), np.asarray(want, dtype=np.float64), rtol=tol,
                                   atol=tol, err_msg=f"{name} {layout} {dtype}")


def _inputs(name, rng):
    lo, hi = (0.3, 2.0) if name == "pow" else (-1.5, 1.5)
    if name == "bernoulli":
        return [torch.tensor(rng.uniform(0.2, 0.8, (2, 3)), requires_grad=True)]
    if name in ("remainder", "div_rounding"):  # away from the jumps of a % b and a // b
        return [torch.tensor(rng.uniform(2.2, 2.8, (2, 3)), requires_grad=True),
                torch.tensor(rng.uniform(0.6, 0.9, (3,)), requires_grad=True)]
    entry = _registry.BY_NAME[name]
    shapes = [(2, 3)] if entry.unary and not entry.inputs else [(2, 3), (3,)]
    return [torch.tensor(rng.uniform(lo, hi, s), requires_grad=True) for s in shapes]


@pytest.mark.parametrize("name", [n for n in CALLS if n not in ("floor_divide", "_to_copy")])  # (_to_copy: below)
def test_gradcheck_and_node_name(name):
    fn, _, node = CALLS[name]
    inputs = _inputs(name, np.random.default_rng(1))
    assert fn(*inputs).grad_fn.name() == node
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize("name", BINARY[:3])
def test_overload_node_names(name):
    x = torch.tensor([1.5, 2.0], requires_grad=True)
    fn = CALLS[name][0]
    tensor_number, number_tensor = fn(x, 2.0).grad_fn.name(), fn(3.0, x).grad_fn.name()
    want = {"pow": ("PowBackward0", "PowBackward2"), "remainder": ("RemainderBackward0", "RemainderBackward0"),
            "floor_divide": ("torch::autograd::NotImplemented",) * 2}[name]
    assert (tensor_number, number_tensor) == want
    assert fn(x, x).grad_fn.name() == CALLS[name][2]


def test_pow_rules_at_zero():
    x = torch.tensor([0.0, 2.0, 0.0], dtype=torch.float64, requires_grad=True)
    (x ** 0).sum().backward()  # no base gradient where the exponent is 0
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    x.grad = None
    (x ** x).sum().backward()  # 0 ** 0: no base gradient, no exponent gradient (base 0, exponent >= 0)
    assert x.grad.tolist()[0] == 0.0 and x.grad.tolist()[2] == 0.0
    b = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    (0.0 ** b).sum().backward()  # a 0 base: no exponent gradient where exponent >= 0
    assert b.grad.tolist() == [0.0, 0.0, 0.0]
    b.grad = None
    (2.0 ** b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), 2.0 ** np.array([0.0, 1.0, 2.0]) * math.log(2.0), rtol=1e-15)
    e = torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64, requires_grad=True)
    base = torch.tensor([0.0, 0.0, 0.0], dtype=torch.float64, requires_grad=True)
    (base ** e).sum().backward()
    assert e.grad.tolist()[:2] == [0.0, 0.0]  # (exponent < 0 at a 0 base: torch keeps its -inf * inf)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        torch.tensor([2, 3]) ** -1
    f32, f64 = torch.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 3.0], dtype=torch.float64,
                                                                         requires_grad=True)
    (f32 ** f64).sum().backward()  # the gradient of each operand in its own dtype
    assert f32.grad.dtype == torch.float32 and f64.grad.dtype == torch.float64
    np.testing.assert_allclose(f64.grad.numpy(), [0.0, 8 * math.log(2.0)], rtol=1e-7)


def test_maximum_minimum_split_ties_and_nan():
    a = torch.tensor([1.0, 2.0, 3.0, math.nan], requires_grad=True)
    b = torch.tensor([1.0, 5.0, 0.0, 1.0], requires_grad=True)
    torch.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0, 1.0] and b.grad.tolist() == [0.5, 1.0, 0.0, 1.0]
    a.grad = b.grad = None
    torch.minimum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0, 0.0, 1.0] and b.grad.tolist() == [0.5, 0.0, 1.0, 1.0]


def test_clamp_bounds_keep_the_gradient_and_leaky_relu_at_zero():
    x = torch.tensor([-1.0, -0.5, 0.0, 0.7, 2.0], requires_grad=True)
    x.clamp(-0.5, 0.7).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]
    x.grad = None
    x.clamp(min=0.0).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0, 1.0]
    x.grad = None
    y = x.clone()
    y.clamp_(max=0.0).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0, 0.0, 0.0] and y.grad_fn.name() == "ClampBackward1"
    x.grad = None
    torch.nn.functional.leaky_relu(x, 0.1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 0.1, 0.1, 1.0, 1.0], rtol=1e-7)
    g = torch.tensor([math.inf, 1.0, 1.0, 1.0, math.inf])  # a masked-off inf gradient stays 0 (torch's where)
    x.grad = None
    x.clamp(-0.5, 0.7).backward(g)
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]


def test_floor_divide_backward_raises_as_torch():
    x = torch.tensor([3.0, 4.0], requires_grad=True)
    for y in (x // 2, 7.0 // x, x // x):
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            y.sum().backward()


def test_clone_and_to_keep_no_input_alive():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    for fn in (lambda t: t.clone(), lambda t: t.to(torch.float64)):
        h = x * 1
        y = fn(h)
        h.add_(1)  # the input changes in place: its backward reads only the dtype (torch's saves no tensor)
        y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and x.grad.dtype == torch.float32
    y = x.to(torch.float64)
    assert y.grad_fn.name() == "ToCopyBackward0"
    (g,) = torch.autograd.grad((y * y).sum(), x, create_graph=True)  # the gradient back in float32, and its graph
    assert g.dtype == torch.float32 and g.tolist() == [2.0, 4.0]
    (gg,) = torch.autograd.grad(g.sum(), x)
    assert gg.tolist() == [2.0, 2.0]
    i = x.int()  # an integer copy has no gradient (torch's)
    assert not i.requires_grad and i.grad_fn is None and x.to(torch.float16).requires_grad


def test_where_and_masked_fill_operands():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    cond = torch.tensor([True, False, True])
    y = torch.where(cond, x, 0.0)
    y.backward(torch.tensor([1.0, 2.0, math.inf]))  # a masked-off non-finite gradient stays 0
    assert x.grad.tolist() == [1.0, 0.0, math.inf]
    x.grad = None
    torch.where(cond, 2.0, x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0] and torch.where(cond, 1.0, 0.0).tolist() == [1.0, 0.0, 1.0]
    v = torch.tensor(5.0, requires_grad=True)  # a 0-d value tensor is differentiable
    y = x.masked_fill(cond, v)
    assert y.grad_fn.name() == "MaskedFillBackward1" and y.tolist() == [5.0, -2.0, 5.0]
    x.grad = None
    y.sum().backward()
    assert v.grad.item() == 2.0 and x.grad.tolist() == [0.0, 1.0, 0.0]
    h = x * 1
    h.masked_fill_(cond, v)  # in place: self takes the node
    assert h.grad_fn.name() == "MaskedFillBackward1" and h.tolist() == [5.0, -2.0, 5.0]
    c2 = cond.clone()
    y = torch.where(c2, x, x * 2)
    c2[0] = False  # the saved condition changed: torch's version check
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    z = torch.zeros(3, requires_grad=True).clone()
    assert z.fill_(1.0).grad_fn.name() == "FillBackward2" and z.fill_(v).grad_fn.name() == "FillBackward3"


def test_clamp_tensor_bounds_gradients():
    x = torch.tensor([-2.0, 0.0, 2.0, 1.0], requires_grad=True)
    lo = torch.tensor([-1.0, -1.0, -1.0, 3.0], requires_grad=True)
    hi = torch.tensor([1.0, 1.0, 1.0, 2.0], requires_grad=True)
    y = x.clamp(lo, hi)
    assert y.tolist() == [-1.0, 0.0, 1.0, 2.0] and y.grad_fn.name() == "ClampBackward0"
    y.sum().backward()  # lo > hi: the result is hi, which takes the gradient
    assert x.grad.tolist() == [0.0, 1.0, 0.0, 0.0]
    assert lo.grad.tolist() == [1.0, 0.0, 0.0, 0.0] and hi.grad.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert torch.tensor([1, 5]).clamp(torch.tensor(2), torch.tensor(4)).tolist() == [2, 4]
    b = torch.full((4,), 0.5)
    names = [x.clamp_min(0.0), x.clamp_max(0.0), x.clamp_min(b), x.clamp_max(b), torch.clamp_min(x, 0.0),
             (x * 1).clamp_min_(0.0), (x * 1).clamp_max_(b), x.clip(0.0, 1.0)]
    assert [y.grad_fn.name() for y in names] == ["ClampMinBackward0", "ClampMaxBackward0", "ClampMinBackward1",
                                                 "ClampMaxBackward1", "ClampMinBackward0", "ClampMinBackward0",
                                                 "ClampMaxBackward1", "ClampBackward1"]


def test_against_torch_if_installed():
    real = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    cases = [(lambda m, a, b: m.maximum(a, b), True), (lambda m, a, b: m.minimum(a, b), True),
             (lambda m, a, b: a ** b, True), (lambda m, a, b: a ** 2, False), (lambda m, a, b: 2.0 ** a, False),
             (lambda m, a, b: a % b, True), (lambda m, a, b: a.clamp(-0.3, 0.4), False),
             (lambda m, a, b: m.nn.functional.leaky_relu(a, 0.3), False), (lambda m, a, b: a.clone(), False),
             (lambda m, a, b: a.to(m.float32), False), (lambda m, a, b: m.where(a > 0.2, a, b), True),
             (lambda m, a, b: a.masked_fill(a > 0.2, b[3]), True), (lambda m, a, b: a.clamp(-b, b), True),
             (lambda m, a, b: a.clamp(b - 0.5, None), True)]
    a = np.round(rng.uniform(-1, 1, 8), 1)
    b = np.where(a > 0, a, np.round(rng.uniform(0.2, 1, 8), 1))  # ties with a, positive bases for pow
    a[:2] = 0.0
    for fn, binary in cases:
        out = []
        for m in (torch, real):
            ta, tb = (m.tensor(v, dtype=m.float64, requires_grad=True) for v in (np.abs(a) if fn is cases[2][0]
                                                                               else a, b))
            y = fn(m, ta, tb)
            y.backward(m.ones_like(y))
            out.append((y.grad_fn.name(), y.detach().numpy(), ta.grad.numpy(),
                        tb.grad.numpy() if binary and tb.grad is not None else None))
        assert out[0][0] == out[1][0]
        for mine, theirs in zip(out[0][1:], out[1][1:]):
            if theirs is not None:
                np.testing.assert_array_equal(mine, theirs)


# ---------------------------------------------------------------- reductions composed of other kernels
# (the call, its reference's arguments, torch's node); dims as torch takes them
REDUCTION_CALLS = {
    "var": [(lambda t: t.var(), (None, False, 1)), (lambda t: t.var(0, keepdim=True), (0, True, 1)),
            (lambda t: t.var((0, 1), correction=0), ((0, 1), False, 0)),
            (lambda t: t.var(-1, unbiased=False), (-1, False, 0))],
    "std": [(lambda t: t.std(), (None, False, 1)), (lambda t: t.std(1, keepdim=True), (1, True, 1)),
            (lambda t: t.std((0, 1), correction=2), ((0, 1), False, 2))],
    "linalg_vector_norm": [(lambda t, p=p: t.norm(p), (None, False, p)) for p in (0, 1, 2, 3, 0.5, 1.5, math.inf,
                                                                                  -math.inf)]
    + [(lambda t: t.norm(2, 1, keepdim=True), (1, True, 2)), (lambda t: t.norm(3, (0, 1)), ((0, 1), False, 3)),
       (lambda t: t.norm(math.inf, 0), (0, False, math.inf))],
    "max_all": [(lambda t: t.max(), (None, False))],
    "min_all": [(lambda t: t.min(), (None, False))],
}
NODES = {"var": "VarBackward0", "std": "StdBackward0", "linalg_vector_norm": "LinalgVectorNormBackward0",
         "max_all": "MaxBackward1", "min_all": "MinBackward1"}


def _ref_call(entry, a, args):
    dims, keepdim, *params = args
    if entry.name == "linalg_vector_norm" and isinstance(dims, tuple):  # (numpy's 2 axes: a matrix norm)
        a, dims = a.reshape(*[n for i, n in enumerate(a.shape) if i not in dims], -1), -1
        assert not keepdim
    return reference(entry)(a, dims, keepdim, *params)


@pytest.mark.parametrize("layout", ["contiguous", "strided", "0-d"])
@pytest.mark.parametrize("name", list(REDUCTION_CALLS))
def test_composed_reduction_value_against_numpy(name, layout):
    entry = _registry.REDUCTIONS_BY_NAME[name]
    rng = np.random.default_rng(4)
    for dtype in ("float32", "float64"):
        a = rng.uniform(-2, 2, (3, 4)).astype(dtype)
        t = torch.from_numpy(a.copy())
        if layout == "strided":
            a, t = a.T, t.t()
        for fn, args in REDUCTION_CALLS[name]:
            if layout == "0-d":
                if args[0] is not None:
                    continue
                a0 = np.asarray(a[0, 0])
                with np.errstate(all="ignore"), pytest.warns(UserWarning) if name in ("var", "std") and args[2] \
                        else contextlib.nullcontext():
                    got = fn(torch.from_numpy(a0.copy()))
                want = _ref_call(entry, a0.astype(np.float64), args)
            else:
                got, want = fn(t), _ref_call(entry, a.astype(np.float64), args)
            tol = 1e-5 if dtype == "float32" else 1e-12
            assert tuple(got.shape) == np.shape(want) and got.dtype == getattr(torch, dtype), (name, args)
            np.testing.assert_allclose(got.numpy().astype(np.float64), want, rtol=tol, atol=tol,
                                       err_msg=f"{name} {args} {layout}")


@pytest.mark.parametrize("name", list(REDUCTION_CALLS))
def test_composed_reduction_gradcheck_and_node(name):
    rng = np.random.default_rng(5)
    x = torch.tensor(rng.uniform(0.2, 2, (3, 4)) * np.sign(rng.uniform(-1, 1, (3, 4))), requires_grad=True)
    for fn, args in REDUCTION_CALLS[name]:
        assert fn(x).grad_fn.name() == NODES[name], args
        if name == "linalg_vector_norm" and args[2] == 0:  # (ord 0: no gradient at all, as torch's)
            continue
        assert gradcheck(fn, (x,)), args
        assert gradgradcheck(fn, (x,)), args


def test_norm_rules_at_zero_and_ties():
    z = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    for p in (2, 3, 1.5, 0.5, 1, math.inf, -math.inf):  # the zero input's subgradient: 0, not NaN
        (g,) = torch.autograd.grad(z.norm(p), z)
        assert g.tolist() == [0.0, 0.0, 0.0], p
    x = torch.tensor([0.0, 2.0, -2.0, 1.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(x.norm(0.5), x)  # p < 1: none at a zero element
    assert g[0].item() == 0.0 and math.isfinite(g[1].item())
    (g,) = torch.autograd.grad(x.norm(math.inf), x)  # the tied maxima share it, with their signs
    assert g.tolist() == [0.0, 0.5, -0.5, 0.0]
    with pytest.raises(RuntimeError, match="appears to not have been used in the graph"):
        torch.autograd.grad(x.norm(0), x)  # (torch's: no gradient at all)
    x.norm(0).backward()
    assert x.grad is None and x.norm(0).item() == 3.0
    y = torch.tensor([1.0, math.nan, 3.0], requires_grad=True)
    (g,) = torch.autograd.grad(y.max(), y)  # a NaN result's gradient goes to the NaN
    assert g.tolist() == [0.0, 1.0, 0.0]
    w = torch.tensor([2.0, 2.0, 1.0], requires_grad=True)
    w.max().backward()
    assert w.grad.tolist() == [0.5, 0.5, 0.0]


def test_var_std_correction_rules():
    x = torch.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=torch.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        v = x.var(correction=4)  # none left over everything: inf (NaN where x is the mean)
    (g,) = torch.autograd.grad(v, x)
    assert all(math.isinf(e) for e in g.flatten().tolist())
    with pytest.warns(UserWarning, match="degrees of freedom"):
        v = x.var(0, correction=3)  # over dims: 2 / (n - correction), negative allowed
    (g,) = torch.autograd.grad(v.sum(), x)
    np.testing.assert_allclose(g.numpy(), 2 * (x.detach().numpy() - x.detach().numpy().mean(0)) / (2 - 3))
    c = torch.ones(3, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(c.std(), c)  # std 0: no gradient (not grad / 0)
    assert g.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="std and var only support floating point"):
        torch.tensor([1, 2]).var()


def test_composed_reductions_against_torch_if_installed():
    real = pytest.importorskip("torch")
    a = np.random.default_rng(6).uniform(-2, 2, (3, 4))
    a[0, :2] = 0.0
    a[1, 0] = a[2, 0] = 2.5  # a tie of the maxima
    for name, calls in REDUCTION_CALLS.items():
        for fn, args in calls:
            out = []
            for m in (torch, real):
                t = m.tensor(a, requires_grad=True)
                y = fn(t)
                y.backward(m.ones_like(y))
                out.append((y.grad_fn.name(), y.detach().numpy(), None if t.grad is None else t.grad.numpy()))
            assert out[0][0] == out[1][0], (name, args)
            np.testing.assert_allclose(out[0][1], out[1][1], rtol=1e-13, atol=1e-15, err_msg=f"{name} {args}")
            if out[1][2] is None:
                assert out[0][2] is None, (name, args)
                continue
            np.testing.assert_allclose(out[0][2], out[1][2], rtol=1e-13, atol=1e-15, err_msg=f"{name} {args}")


def test_zero_gradient_nodes_carry_torchs_names():
    x = torch.tensor([1.5, -2.5], requires_grad=True)
    for y in (torch.div(x, 2, rounding_mode="floor"), x.div(x + 3, rounding_mode="trunc")):
        assert y.grad_fn.name() == "DivBackward2"
        (g,) = torch.autograd.grad(y.sum(), x)
        assert g.tolist() == [0.0, 0.0]
    p = torch.tensor([0.2, 0.7], requires_grad=True)
    assert torch.bernoulli(p, generator=torch.Generator().manual_seed(0)).grad_fn.name() == "BernoulliBackward0"
    # (own generators: the global random state later tests start from stays as it was)


def _edges(t):
    return [None if f is None else f.name().replace("torch::autograd::", "") for f, _ in t.grad_fn.next_functions]


EDGE_CASES = {  # torch's edges: one per differentiable Tensor argument ((None, 0) where it needs no gradient)
    "x ** 2": (lambda m, x, y: x ** 2, ["AccumulateGrad"]), "2 ** x": (lambda m, x, y: 2 ** x, ["AccumulateGrad"]),
    "x ** y": (lambda m, x, y: x ** y, ["AccumulateGrad", None]),
    "x % 2": (lambda m, x, y: x % 2, ["AccumulateGrad"]),
    "maximum": (lambda m, x, y: m.maximum(x, y), ["AccumulateGrad", None]),
    "where": (lambda m, x, y: m.where(x > 0, x, y), ["AccumulateGrad", None]),
    "where number": (lambda m, x, y: m.where(x > 0, 1.0, x), [None, "AccumulateGrad"]),
    "masked_fill": (lambda m, x, y: x.masked_fill(x > 0, 1.0), ["AccumulateGrad"]),
    "masked_fill tensor": (lambda m, x, y: x.masked_fill(x > 0, y[0]), ["AccumulateGrad", "SelectBackward0"]),
    "clamp": (lambda m, x, y: x.clamp(0.0, 1.0), ["AccumulateGrad"]),
    "clamp tensor": (lambda m, x, y: x.clamp(y), ["AccumulateGrad", None, None]),
    "var": (lambda m, x, y: x.var(0), ["AccumulateGrad"]), "norm": (lambda m, x, y: x.norm(3), ["AccumulateGrad"]),
    "to": (lambda m, x, y: x.to(m.float64), ["AccumulateGrad"]),
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_next_functions_are_torchs_edges(case):
    fn, want = EDGE_CASES[case]
    x, y = torch.tensor([1.0, -2.0], requires_grad=True), torch.tensor([0.5, 0.5], requires_grad="tensor" in case
                                                                       and "masked" in case)
    assert _edges(fn(torch, x, y)) == want
    try:
        import torch as real
    except ImportError:
        return
    x, y = real.tensor([1.0, -2.0], requires_grad=True), real.tensor([0.5, 0.5], requires_grad=y.requires_grad)
    assert _edges(fn(real, x, y)) == want
