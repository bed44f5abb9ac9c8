"""Rows generated from the op registry (python/tinygrad_ext/_registry.py): every entry's value against its
float64 numpy reference on contiguous, strided, broadcast, 0-d and empty inputs in every dtype its family
takes, and gradcheck/gradgradcheck for every input with a derivative formula. An entry without a
reference fails here, so coverage cannot drift from the registry."""
import math  # the references may use it

import numpy as np
import pytest
from scipy import special  # the references use it; scipy comes with scikit-learn, a test dependency

import tinygrad_ext as torch
from tinygrad_ext import _ops, _registry
from tinygrad_ext.autograd import gradcheck, gradgradcheck

PUBLIC = [e for e in _registry.OPS if e.python is not None]
FLOAT_FAMILIES = ("unary_float", "binary_float")
DTYPES = {
    "unary_float": ("float32", "float64", "int64", "uint8"),
    "unary_floating": ("float32", "float64"),
    "unary": ("float32", "float64", "int64", "int32"),
    "unary_int": ("int64", "int32", "uint8", "bool"),
    "binary": ("float32", "float64", "int64", "int32"),
    "binary_float": ("float32", "float64", "int64"),
    "binary_floating": ("float32", "float64"),
    "compare": ("float32", "float64", "int64", "bool"),
    "binary_int": ("int64", "int32", "uint8", "bool"),
}
# Scalar parameters: the values of required ones, and a second set beside the defaults for every entry with any.
REQUIRED = {"threshold": (0.3, -2.0), "polygamma": (1,), "lerp": (0.3,), "nan_to_num": (0.0, 1e30, -1e30)}
OTHER_PARAMS = {"polygamma": (2,), "lerp": (0.8,), "round_decimals": (-1,), "elu": (0.5, 2.0, 1.5),
                "softplus": (2.0, 1.0), "softshrink": (1.2,), "hardshrink": (0.2,), "threshold": (-0.5, 7.0),
                "hardtanh": (-0.5, 1.5), "nan_to_num": (1.0, 2.0, -3.0)}


def param_sets(entry):
    if not entry.params:
        return [()]
    first = REQUIRED.get(entry.name) or tuple(d for _, d in entry.params)
    return [first, OTHER_PARAMS[entry.name]]


def call(entry, *tensors, params=()):
    """The entry's op: its torch function or Tensor method, or (ops with scalar parameters and those only
    nn.functional reaches) the registry's function."""
    if entry.params or entry.python == "functional":
        return _ops.functional(entry.name)(*tensors, *params)
    return (getattr(torch, entry.name, None) or getattr(torch.Tensor, entry.name))(*tensors)
SKIP_DTYPE = {  # ops whose integer semantics differ from numpy's on purpose (torch's rules), tested elsewhere
    ("pow", "int64"), ("pow", "int32"), ("floor_divide", "int64"), ("floor_divide", "int32"),
    ("remainder", "int64"), ("remainder", "int32"), ("bitwise_left_shift", "uint8"),
    ("bitwise_left_shift", "bool"), ("bitwise_right_shift", "bool"),
}


def reference(entry):
    return eval(entry.ref, {"np": np, "math": math, "special": special})  # noqa: S307 (a test table, written by us)


def sample(entry, dtype, shape, rng):
    lo, hi = entry.domain or (-2.0, 2.0)
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.5)
    if dtype in ("float32", "float64"):
        return rng.uniform(lo, hi, shape).astype(dtype)
    ilo, ihi = (max(int(np.ceil(lo)), 0), max(int(hi), 1) + 1) if entry.domain or dtype == "uint8" else (-5, 6)
    if entry.name.startswith("bitwise_") and "shift" in entry.name:
        ilo, ihi = 0, 7
    v = rng.integers(ilo, ihi, shape)
    if entry.name in ("floor_divide", "remainder", "div", "fmod"):
        v = np.where(v == 0, 1, v)
    return v.astype(dtype)


# (shapes of the operands, how to view them): contiguous, strided (a transposed view), broadcast, 0-d, empty
LAYOUTS = {
    "contiguous": ([(3, 4), (3, 4)], False),
    "strided": ([(4, 3), (4, 3)], True),
    "broadcast": ([(3, 4), (4,)], False),
    "0-d": ([(), ()], False),
    "empty": ([(0, 4), (4,)], False),
}


def test_every_public_entry_has_a_reference_and_a_method():
    for e in PUBLIC:
        assert e.ref, f"registry entry {e.name} has no numpy reference"
        if e.python == "functional":  # (nn.functional calls it)
            assert callable(_ops.functional(e.name))
            continue
        assert callable(getattr(torch.Tensor, e.name, None)), f"Tensor.{e.name} is missing"
        if e.python == "generated":
            assert callable(getattr(torch, e.name)) and callable(getattr(torch.Tensor, e.name + "_"))


@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("entry", PUBLIC, ids=lambda e: e.name)
def test_value_against_numpy(entry, layout):
    rng = np.random.default_rng(0)
    shapes, transpose = LAYOUTS[layout]
    for dtype, params in [(d, p) for d in DTYPES[entry.family] for p in param_sets(entry)]:
        if (entry.name, dtype) in SKIP_DTYPE:
            continue
        arrays = [sample(entry, dtype, s, rng) for s in shapes[: 1 if entry.unary else 2]]
        tensors = [torch.from_numpy(a.copy()) for a in arrays]
        if transpose:
            arrays = [a.T for a in arrays]
            tensors = [t.t() for t in tensors]
        got = call(entry, *tensors, params=params)
        with np.errstate(all="ignore"):
            as_float = entry.family in FLOAT_FAMILIES  # (numpy would compute small integers in float16)
            ref_params = params if dtype.startswith("float") else [int(p) for p in params]  # torch's conversion
            want = reference(entry)(*[a.astype(np.float64) if a.dtype.kind == "f" or as_float else a for a in arrays],
                                    *ref_params)
            if got.dtype == torch.float32 and np.ndim(want) and entry.params:  # parameters act in float32 there
                want = reference(entry)(*[a if a.dtype.kind != "f" else a.astype(np.float64) for a in arrays],
                                        *[float(np.float32(p)) for p in params])
        if entry.family in FLOAT_FAMILIES and got.dtype.is_floating_point and dtype not in ("float32", "float64"):
            assert got.dtype == torch.float32, f"{entry.name}({dtype}) gives {got.dtype}"
        assert tuple(got.shape) == np.shape(want), f"{entry.name} {layout} {dtype}"
        tol = 1e-5 if got.dtype == torch.float32 else 1e-12
        np.testing.assert_allclose(got.numpy().astype(np.float64), np.asarray(want, dtype=np.float64),
                                   rtol=tol, atol=tol, err_msg=f"{entry.name} {layout} {dtype}")


DIFFERENTIABLE = [e for e in _registry.OPS if e.grad is not None]


@pytest.mark.parametrize("entry", DIFFERENTIABLE, ids=lambda e: e.name)
def test_gradcheck(entry):
    rng = np.random.default_rng(1)
    lo, hi = entry.domain or (-1.5, 1.5)

    def make(shape):
        v = rng.uniform(lo, hi, shape)
        if entry.name in ("abs", "relu", "sign", "floor", "ceil", "round", "trunc"):
            v = np.where(np.abs(v - np.round(v)) < 0.1, v + 0.25, v)  # away from the kinks
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    inputs = [make((2, 3))] if entry.unary else [make((2, 3)), make((3,))]
    for params in param_sets(entry):
        def fn(*ts):
            return call(entry, *ts, params=params)
        assert gradcheck(fn, inputs), params
        assert gradgradcheck(fn, inputs), params


@pytest.mark.parametrize("entry", [e for e in DIFFERENTIABLE if e.fused], ids=lambda e: e.name)
def test_fused_backward_is_the_formula(entry):
    for params in param_sets(entry):
        x = torch.tensor(np.random.default_rng(2).uniform(-4, 4, 200), requires_grad=True)
        call(entry, x, params=params).sum().backward()  # fused kernel (no create_graph)
        fused = x.grad.clone()
        x.grad = None
        (g,) = torch.autograd.grad(call(entry, x, params=params).sum(), x, create_graph=True)  # the formula
        np.testing.assert_allclose(fused.numpy(), g.detach().numpy(), rtol=1e-12, atol=1e-12, err_msg=str(params))


def test_in_place_and_out_variants_of_a_generated_op():
    a, b = torch.tensor([3.0, 5.0]), torch.tensor([4.0, 12.0])
    out = torch.empty(2)
    torch.hypot(a, b, out=out)
    assert out.tolist() == [5.0, 13.0]
    a.hypot_(b)
    assert a.tolist() == [5.0, 13.0]
    w = torch.tensor([0.5, -0.25], requires_grad=True)
    check = w.detach().clone()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.atan_()
    assert w.detach().tolist() == check.tolist()
