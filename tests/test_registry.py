"""Rows generated from the op registry (python/tinygrad_ext/_registry.py): every entry's value against its
float64 numpy reference on contiguous, strided, broadcast, 0-d and empty inputs in every dtype its family
takes, and gradcheck/gradgradcheck for every input with a derivative formula. An entry without a
reference fails here, so coverage cannot drift from the registry."""
import math  # the references may use it
import warnings

import numpy as np
import pytest
from scipy import special  # the references use it; scipy comes with scikit-learn, a test dependency

import tinygrad_ext as torch
from tinygrad_ext import _ops, _registry
from tinygrad_ext.autograd import gradcheck, gradgradcheck

PUBLIC = [e for e in _registry.OPS if e.python is not None and not e.kernel]  # (kernel rows: test_registry_pointwise)
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
                "hardtanh": (-0.5, 1.5), "nan_to_num": (1.0, 2.0, -3.0), "_add_alpha": (-0.3,),
                "_addcmul_sq": (-0.3,)}


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


DIFFERENTIABLE = [e for e in _registry.OPS  # (floor_divide: torch has no derivative, test_registry_pointwise.py)
                  if e.grad is not None and not e.kernel and not all(f.startswith("not_implemented(") for f in e.grad)]


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
    for t, formula in zip(inputs, entry.grad):  # torch has no derivative there (backward raises)
        t.requires_grad_(not formula.startswith("not_implemented("))
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



@pytest.mark.parametrize("name", ["exp", "hypot", "add", "sub", "mul", "div", "true_divide"])
def test_out_variant_writes_the_kernel_result_into_out(name):
    """torch.<op>(..., out=) of an elementwise op: the kernel writes out itself (out's memory and identity kept,
    its version bumped); an operand that is out, a number operand, a dtype cast into out; the cases it cannot take
    (other shape: resized with torch's warning; a result that cannot be cast: torch's error) as torch's."""
    fn = getattr(torch, name)
    x, y = np.array([[0.5, 1.5, -2.0]]), np.array([[2.0, -0.5, 4.0]])
    expected = getattr(torch.Tensor, name)(*([torch.from_numpy(x)] + ([] if name == "exp" else [torch.from_numpy(y)])))

    def args(a):
        return [a] if name == "exp" else [a, torch.from_numpy(y)]
    out = torch.zeros(1, 3, dtype=torch.float64)
    ptr, version = out.data_ptr(), out._version
    assert fn(*args(torch.from_numpy(x)), out=out) is out
    assert out.data_ptr() == ptr and out._version == version + 1
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-15)
    a = torch.from_numpy(x.copy())
    assert fn(*args(a), out=a) is a  # out is an operand
    np.testing.assert_allclose(a.numpy(), expected.numpy(), rtol=1e-15)
    out32 = torch.zeros(1, 3)
    fn(*args(torch.from_numpy(x)), out=out32)  # float64 result cast into a float32 out
    np.testing.assert_allclose(out32.numpy(), expected.numpy(), rtol=1e-6)
    if name not in ("exp", "hypot"):  # (torch.hypot takes no number)
        out = torch.zeros(1, 3, dtype=torch.float64)
        fn(torch.from_numpy(x), 2, out=out)
        np.testing.assert_allclose(out.numpy(), getattr(torch.Tensor, name)(torch.from_numpy(x), 2).numpy())
    with pytest.warns(UserWarning, match="was resized since it had shape \\[4\\]"):
        out = torch.zeros(4, dtype=torch.float64)
        fn(*args(torch.from_numpy(x)), out=out)
    assert out.shape == (1, 3)
    with pytest.raises(RuntimeError, match="result type Double can't be cast to the desired output type Long"):
        fn(*args(torch.from_numpy(x)), out=torch.zeros(1, 3, dtype=torch.int64))


def test_special_and_linalg_out_variants_check_dtype_and_resize_as_torch():
    """out= of the composite functions (torch.special, torch.linalg, ...): torch's dtype check and resize."""
    x = torch.tensor([0.5, 2.0])
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        torch.special.xlogy(x, x, out=torch.zeros(2, dtype=torch.int64))
    out = torch.zeros(2, 3)
    with pytest.warns(UserWarning, match="was resized"):
        torch.special.xlogy(x, x, out=out)
    assert out.shape == (2,)
    out = torch.zeros(3)
    with pytest.warns(UserWarning, match="was resized"):
        torch.linalg.vector_norm(torch.tensor([3.0, 4.0]), out=out)
    assert out.shape == () and out.item() == 5.0

# ---------------------------------------------------------------- reductions (_registry.REDUCTIONS)
REDUCTIONS = [e for e in _registry.REDUCTIONS if not e.kernel]  # (composed ones: test_registry_pointwise.py)
REDUCTION_DTYPES = {  # the dtypes each kind takes (16-bit floats are checked against their float32 path below)
    "sum": ("float32", "float64", "int32", "int64", "uint8", "bool"),
    "mean": ("float32", "float64"),
    "keep": ("float32", "float64", "int32", "int64", "uint8", "bool"),
    "logical": ("float32", "float64", "int32", "int64", "uint8", "bool"),
}
# (shape, transposed view, the dims to reduce over): contiguous, strided, 0-d, empty
REDUCTION_LAYOUTS = {
    "contiguous": ((3, 4), False, [None, 0, 1, -1, (0, 1), (-1, 0)]),
    "strided": ((4, 3), True, [None, 0, -1, (0, 1)]),
    "0-d": ((), False, [None, 0, -1]),
    "empty": ((0, 4), False, [None, 0, 1, (0, 1)]),
}


def reduction_dims(entry, dims):
    return [d for d in dims if not (entry.name == "prod" and isinstance(d, tuple))]  # torch's prod: one int dim


def reduction_sample(dtype, shape, rng):
    if dtype == "bool":
        return np.asarray(rng.random(shape) < 0.6)
    if dtype.startswith("float"):
        v = rng.uniform(-2, 2, shape)
        return np.where(np.abs(v) < 0.2, 0.0, v).astype(dtype)  # some exact zeros for any/all
    return rng.integers(0 if dtype == "uint8" else -4, 5, shape).astype(dtype)


def reduction_result_dtype(entry, dtype):
    if entry.kind == "sum" and not dtype.startswith("float"):
        return "int64"
    if entry.kind == "logical":
        return "uint8" if dtype == "uint8" else "bool"
    return dtype


def reduction_reference(entry, a, dim, keepdim):
    """The numpy reference in float64 (integers in int64); a 0-d input reduces over nothing but itself."""
    ref = eval(entry.ref, {"np": np})  # noqa: S307 (a test table, written by us)
    x = a.astype(np.float64) if a.dtype.kind == "f" else a.astype(np.int64) if a.dtype.kind in "iu" else a
    if a.ndim == 0:
        return np.asarray(ref(x))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "Mean of empty slice"
        return np.asarray(ref(x, axis=dim, keepdims=keepdim))


def test_every_reduction_has_rows():
    """A reduction in the registry without a reference, a dtype rule the tests know, its kernel, method and
    torch function fails here (the rows below are generated from the same list)."""
    assert {e.name for e in REDUCTIONS} >= {"sum", "prod", "mean", "amax", "amin", "nansum", "any", "all"}
    for e in REDUCTIONS:
        assert e.ref, f"reduction {e.name} has no numpy reference"
        assert e.kind in REDUCTION_DTYPES, f"reduction {e.name}: no test dtypes for kind {e.kind}"
        assert callable(getattr(torch._C, e.name)), f"_C.{e.name} is missing"
        assert callable(getattr(torch.Tensor, e.name)) and callable(getattr(torch, e.name)), e.name
        assert e.grad is None or e.name in _ops.REDUCTION_OPS, e.name
    assert len(REDUCTION_VALUE_ROWS) == len(REDUCTIONS) * len(REDUCTION_LAYOUTS)


REDUCTION_VALUE_ROWS = [(e, layout) for e in REDUCTIONS for layout in REDUCTION_LAYOUTS]


@pytest.mark.parametrize("entry,layout", REDUCTION_VALUE_ROWS, ids=lambda x: getattr(x, "name", x))
def test_reduction_value_against_numpy(entry, layout):
    rng = np.random.default_rng(3)
    shape, transpose, all_dims = REDUCTION_LAYOUTS[layout]
    for dtype in REDUCTION_DTYPES[entry.kind]:
        a = reduction_sample(dtype, shape, rng)
        if entry.name == "nansum" and dtype.startswith("float") and a.size:
            a.flat[1 % a.size] = np.nan
        t = torch.from_numpy(a.copy())
        if transpose:
            a, t = a.T, t.t()
        for dim in reduction_dims(entry, all_dims):
            for keepdim in (False, True):
                what = f"{entry.name}({layout} {dtype}, dim={dim}, keepdim={keepdim})"
                args = () if dim is None else (dim,)
                empty_extent = a.size == 0 and (dim is None or a.shape[dim if isinstance(dim, int) else 0] == 0
                                                or isinstance(dim, tuple))
                if entry.identity is None and empty_extent:
                    with pytest.raises((RuntimeError, IndexError)):
                        getattr(torch, entry.name)(t, *args, keepdim=keepdim)
                    continue
                got = getattr(torch, entry.name)(t, *args, keepdim=keepdim) if keepdim or dim is not None \
                    else getattr(t, entry.name)()
                want = reduction_reference(entry, a, dim, keepdim)
                assert str(got.dtype) == "torch." + reduction_result_dtype(entry, dtype), what
                assert tuple(got.shape) == want.shape, what
                tol = 1e-5 if got.dtype == torch.float32 else 1e-12
                np.testing.assert_allclose(got.numpy().astype(np.float64), want.astype(np.float64), rtol=tol,
                                           atol=tol, err_msg=what)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("entry", REDUCTIONS, ids=lambda e: e.name)
def test_reduction_16_bit_floats_take_the_float32_path(entry, dtype):
    x = torch.tensor(np.random.default_rng(4).uniform(-2, 2, (3, 4)), dtype=getattr(torch, dtype))
    for dim in reduction_dims(entry, [None, 1, (0, 1)]):
        args = () if dim is None else (dim,)
        got = getattr(x, entry.name)(*args)
        want = getattr(x.float(), entry.name)(*args)
        want = want if want.dtype == torch.bool else want.to(x.dtype)
        assert got.dtype == want.dtype and got.shape == want.shape, (entry.name, dim)
        np.testing.assert_array_equal(got.float().numpy() if got.dtype != torch.bool else got.numpy(),
                                      want.float().numpy() if want.dtype != torch.bool else want.numpy())


def test_reductions_follow_torchs_integer_rules():
    big = torch.tensor([2 ** 62, 2 ** 62])
    assert big.sum().item() == -2 ** 63  # int64 wraps around
    assert torch.tensor([2 ** 31 - 1, 5], dtype=torch.int32).sum().item() == 2 ** 31 + 4  # int64 accumulator
    assert torch.tensor([2 ** 20, 2 ** 20], dtype=torch.int32).prod().item() == 2 ** 40
    assert torch.tensor([2 ** 40, 2 ** 40]).prod(dtype=torch.int32).item() == 0  # in int32's range: wrapped
    assert torch.tensor([2 ** 62]).sum(dtype=torch.int32).dtype == torch.int32
    assert torch.tensor([True, True]).nansum().item() == 2
    with pytest.raises(RuntimeError, match="mean\\(\\): could not infer output dtype. Input dtype must be"):
        torch.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="Optional dtype must be either a floating point or complex dtype. Got: "
                                           "Long"):
        torch.tensor([1.0, 2.0]).mean(0, dtype=torch.int64)
    assert torch.tensor([1, 2]).mean(dtype=torch.float64).item() == 1.5
    with pytest.raises(RuntimeError, match="Autograd not support dtype: Long"):
        torch.tensor([1.0, 2.0], requires_grad=True).sum(dtype=torch.int64)
    with pytest.raises(TypeError):
        torch.ones(2).sum(0, False, torch.float64)  # dtype is keyword-only, as torch's


@pytest.mark.parametrize("entry", [e for e in REDUCTIONS if e.grad], ids=lambda e: e.name)
def test_reduction_gradcheck(entry):
    rng = np.random.default_rng(5)
    v = rng.uniform(0.5, 1.5, (2, 3)) * rng.choice([-1.0, 1.0], (2, 3))  # distinct, away from 0
    x = torch.tensor(v, requires_grad=True)
    for dim in reduction_dims(entry, [None, 1, -2, (0, 1)]):
        for keepdim in (False, True):
            def fn(t, dim=dim, keepdim=keepdim):
                return getattr(torch, entry.name)(t) if dim is None else getattr(torch, entry.name)(t, dim, keepdim)
            assert gradcheck(fn, [x]), (entry.name, dim, keepdim)
            assert gradgradcheck(fn, [x]), (entry.name, dim, keepdim)
    s = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)  # 0-d
    assert gradcheck(lambda t: getattr(t, entry.name)(), [s]) and gradcheck(lambda t: getattr(t, entry.name)(0), [s])


def test_reduction_out_and_aliases():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = torch.empty(2)
    assert torch.sum(x, 1, out=out) is out and out.tolist() == [3.0, 7.0]
    assert torch.amax(x, axis=0, keepdims=True).tolist() == [[3.0, 4.0]]
    assert x.mean(axis=(0, 1)).item() == 2.5
    assert torch.any(x > 3, dim=0).tolist() == [False, True]


# ---------------------------------------------------------------- scans (_registry.SCANS)
SCANS = _registry.SCANS
SCAN_DTYPES = {  # the dtypes each kind takes
    "sum": ("float32", "float64", "int32", "int64", "uint8", "bool"),
    "floating": ("float32", "float64"),
    "indices": ("float32", "float64", "int32", "int64", "uint8", "bool"),
}
# (shape, transposed view, the dims to scan along): contiguous, strided, 0-d, empty
SCAN_LAYOUTS = {
    "contiguous": ((3, 5), False, [0, 1, -1]),
    "strided": ((5, 3), True, [0, -1]),
    "0-d": ((), False, [0, -1]),
    "empty": ((0, 4), False, [0, 1]),
}


def scan_reference(entry, a, dim):
    ref = eval(entry.ref, {"np": np})  # noqa: S307 (a test table, written by us)
    x = a.astype(np.float64) if a.dtype.kind == "f" else a.astype(np.int64) if entry.kind == "sum" else a
    return np.asarray(ref(x, axis=dim) if a.ndim else x)


def test_every_scan_has_rows():
    assert {e.name for e in SCANS} >= {"cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"}
    for e in SCANS:
        assert e.ref and e.grad and e.kind in SCAN_DTYPES, e.name
        assert callable(getattr(torch._C, e.name)) and e.name in _ops.SCAN_OPS, e.name
        assert callable(getattr(torch.Tensor, e.name)) and callable(getattr(torch, e.name)), e.name
        assert hasattr(torch.Tensor, e.name + "_") == e.inplace, e.name


@pytest.mark.parametrize("entry,layout", [(e, layout) for e in SCANS for layout in SCAN_LAYOUTS],
                         ids=lambda x: getattr(x, "name", x))
def test_scan_value_against_numpy(entry, layout):
    rng = np.random.default_rng(6)
    shape, transpose, dims = SCAN_LAYOUTS[layout]
    for dtype in SCAN_DTYPES[entry.kind]:
        a = reduction_sample(dtype, shape, rng)
        t = torch.from_numpy(a.copy())
        if transpose:
            a, t = a.T, t.t()
        for dim in dims:
            what = f"{entry.name}({layout} {dtype}, dim={dim})"
            got = getattr(torch, entry.name)(t, dim)
            if entry.kind == "indices":
                values, indices = got
                assert type(got).__name__ == entry.name and indices.dtype == torch.int64, what
                assert np.array_equal(np.take_along_axis(a, indices.numpy(), dim) if a.ndim else a, values.numpy())
                got = values
            want = scan_reference(entry, a, dim)
            want_dtype = "int64" if entry.kind == "sum" and not dtype.startswith("float") else dtype
            assert str(got.dtype) == "torch." + want_dtype and tuple(got.shape) == want.shape, what
            tol = 1e-5 if got.dtype == torch.float32 else 1e-12
            np.testing.assert_allclose(got.numpy().astype(np.float64), want.astype(np.float64), rtol=tol, atol=tol,
                                       err_msg=what)


@pytest.mark.parametrize("entry", SCANS, ids=lambda e: e.name)
def test_scan_gradcheck(entry):
    rng = np.random.default_rng(7)
    v = rng.uniform(0.5, 1.5, (3, 4)) * rng.choice([-1.0, 1.0], (3, 4))
    inputs = [v]
    if entry.name == "cumprod":  # zeros: torch's exact rule (one zero, two in a row, two apart)
        inputs += [np.array([[1.5, 0.0, 2.0, 0.5], [0.0, 0.0, 3.0, 1.0], [2.0, 0.0, 1.0, 0.0]])]
    for v in inputs:
        x = torch.tensor(v, requires_grad=True)
        for dim in (0, 1, -1):
            fn = (lambda t, d=dim: getattr(t, entry.name)(d)[0]) if entry.kind == "indices" else \
                (lambda t, d=dim: getattr(t, entry.name)(d))
            assert gradcheck(fn, [x]), (entry.name, dim)
            assert gradgradcheck(fn, [x]), (entry.name, dim)
    s = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)  # 0-d: the identity
    y = getattr(s, entry.name)(0)
    y = y[0] if entry.kind == "indices" else y
    assert y.grad_fn.name() == entry.name.capitalize() + "Backward0"
    y.backward()
    assert s.grad.item() == 1.0


def test_scan_variants_and_dtype_rules():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    out = torch.empty(2, 2)
    assert torch.cumsum(x, 1, out=out) is out and out.tolist() == [[1.0, 3.0], [3.0, 7.0]]
    assert torch.cumprod(x, axis=0).tolist() == [[1.0, 2.0], [3.0, 8.0]]
    v, i = torch.empty(2), torch.empty(2, dtype=torch.int64)
    assert torch.cummax(torch.tensor([2.0, 1.0]), 0, out=(v, i)) == (v, i) and i.tolist() == [0, 0]
    y = x.clone()
    assert y.cumsum_(0, dtype=torch.float64) is y and y.tolist() == [[1.0, 2.0], [4.0, 6.0]]
    assert torch.tensor([1, 2], dtype=torch.int32).cumsum(0).dtype == torch.int64
    assert torch.tensor([100, 100], dtype=torch.int8).cumsum(0, dtype=torch.int8).tolist() == [100, -56]
    assert torch.tensor([1.0, 2.0], dtype=torch.float16).logcumsumexp(0).dtype == torch.float16
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Long'"):
        torch.tensor([1, 2]).logcumsumexp(0)
    with pytest.raises(RuntimeError, match="Autograd not support dtype: Long"):
        torch.ones(2, requires_grad=True).cumprod(0, dtype=torch.int64)
    with pytest.raises(TypeError):
        x.cumsum(0, torch.float64)  # dtype is keyword-only, as torch's
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        x.cumsum()
    with pytest.raises(IndexError):
        x.cummax(2)


# ---------------------------------------------------------------- selections (_registry.SELECTIONS)
SELECTIONS = _registry.SELECTIONS
VARIANTS = [(e, v) for e in SELECTIONS for v in e.variants]  # argsort, msort


def _mode(a, axis):  # the smallest of the most frequent values
    b = np.moveaxis(a, axis, -1)
    rows = [(lambda u, c: u[c.argmax()])(*np.unique(r, return_counts=True)) for r in b.reshape(-1, b.shape[-1])]
    return np.array(rows, dtype=a.dtype).reshape(b.shape[:-1])


def _ordered(a, axis, descending):
    s = np.sort(a, axis)
    return np.flip(s, axis) if descending else s


SELECTION_REFS = {  # numpy: the values of each slice along axis, with the op's options (k: the op's k)
    "max": lambda a, axis: np.max(a, axis), "min": lambda a, axis: np.min(a, axis),
    "kthvalue": lambda a, axis, k: np.sort(a, axis).take(k - 1, axis),
    "median": lambda a, axis: np.sort(a, axis).take((a.shape[axis] - 1) // 2, axis),
    "nanmedian": lambda a, axis: np.sort(a, axis).take((a.shape[axis] - 1) // 2, axis),
    "mode": _mode,
    "sort": lambda a, axis, descending=False, stable=None: _ordered(a, axis, descending),
    "topk": lambda a, axis, k, largest=True: _ordered(a, axis, largest).take(range(k), axis),
    # the variants: argsort's indices point at sort's values, msort is sort along dim 0
    "argsort": lambda a, axis, descending=False, stable=None: _ordered(a, axis, descending),
    "msort": lambda a, axis: np.sort(a, 0),
}
SELECTION_OPTIONS = {"sort": [{}, {"descending": True}, {"stable": True}], "topk": [{}, {"largest": False}],
                     "argsort": [{}, {"descending": True, "stable": True}]}
SELECTION_DTYPES = ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool")
NO_BOOL = {"topk", "kthvalue", "median", "nanmedian"}  # (torch's CPU kernels take no bool)


def selection_args(entry, t, dim, keepdim=None, **options):
    """The arguments of a selection (or variant) call on t: k=2 (1 of a 0-d), dim where it takes one, keepdim."""
    params = entry.args if isinstance(entry, _registry.Selection) else entry[1]
    args = {"k": 2 if t.dim() else 1} if "k" in params else {}
    if "dim" in params:
        args["dim"] = dim
    if keepdim is not None:
        args["keepdim"] = keepdim
    return {**args, **options}


def as_float64(t):
    return t.to(torch.float64).numpy()


def test_every_selection_has_rows():
    assert {e.name for e in SELECTIONS} >= {"max", "min", "kthvalue", "median", "nanmedian", "mode", "sort", "topk"}
    assert {v[0] for _, v in VARIANTS} >= {"argsort", "msort"}
    for name in [e.name for e in SELECTIONS] + [v[0] for _, v in VARIANTS]:
        assert name in SELECTION_REFS, f"selection {name} has no numpy reference"
        assert callable(getattr(torch.Tensor, name)) and callable(getattr(torch, name)), name
        assert getattr(torch.Tensor, name).__doc__.startswith(f"{name}(") and getattr(torch, name).__doc__
    for e in SELECTIONS:
        assert e.name in _ops.SELECTION_OPS and hasattr(torch.return_types, e.name + "_out"), e.name


def _selection_input(dtype, layout, rng):
    a = rng.permutation(20).reshape(4, 5) - (0 if dtype == "uint8" else 7)  # distinct, exact in every dtype
    a = (a % 2).astype(bool) if dtype == "bool" else a.astype(dtype if dtype != "bfloat16" else "float32")
    t = torch.tensor(a).to(getattr(torch, dtype))
    return (a.T, t.t()) if layout == "strided" else (a, t)


def _check_picked(name, got, a, dim, want):
    """got's values are want and its indices point at them in a."""
    values, indices = got
    assert indices.dtype == torch.int64 and tuple(values.shape) == want.shape == tuple(indices.shape), name
    np.testing.assert_array_equal(as_float64(values), want.astype(np.float64), err_msg=name)
    picked = np.take_along_axis(a, indices.numpy(), dim) if a.ndim else a
    np.testing.assert_array_equal(picked.astype(np.float64), want.astype(np.float64), err_msg=name)


@pytest.mark.parametrize("entry", SELECTIONS, ids=lambda e: e.name)
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_selection_value_against_numpy(entry, layout):
    rng = np.random.default_rng(8)
    for dtype in [d for d in SELECTION_DTYPES if not (d == "bool" and entry.name in NO_BOOL)]:
        a, t = _selection_input(dtype, layout, rng)
        for dim in (0, 1, -1):
            for keepdim in ((False, True) if "keepdim" in entry.args else (None,)):
                for options in SELECTION_OPTIONS.get(entry.name, [{}]):
                    args = selection_args(entry, t, dim, keepdim, **options)
                    got = getattr(t, entry.name)(**args)
                    assert type(got).__name__ == entry.name and got.values.dtype == t.dtype
                    want = SELECTION_REFS[entry.name](a, dim, **{k: v for k, v in args.items()
                                                                 if k not in ("dim", "keepdim")})
                    values, indices = got
                    if keepdim is not None:  # (a reduction: compared with the dim put back, for take_along_axis)
                        assert tuple(values.shape) == (np.expand_dims(want, dim) if keepdim else want).shape
                        want = np.expand_dims(want, dim)
                        if not keepdim:
                            values, indices = values.unsqueeze(dim), indices.unsqueeze(dim)
                    _check_picked(f"{entry.name} {layout} {dtype} {args}", (values, indices), a, dim, want)


@pytest.mark.parametrize("entry", SELECTIONS, ids=lambda e: e.name)
def test_selection_0d_and_empty(entry):
    s = torch.tensor(3.0)
    got = getattr(s, entry.name)(**selection_args(entry, s, 0, False if "keepdim" in entry.args else None))
    assert got.values.shape == () == got.indices.shape and got.values.item() == 3.0 and got.indices.item() == 0
    e = torch.zeros(0, 3)
    for dim in (1, 0) if "keepdim" not in entry.args else (1,):  # (a reduction over an empty dim raises)
        args = selection_args(entry, e, dim, **({"k": 0} if "k" in entry.args and dim == 0 else {}))
        want = SELECTION_REFS[entry.name](np.zeros((0, 3)), dim, **{k: v for k, v in args.items() if k != "dim"})
        got = getattr(e, entry.name)(**args)
        assert tuple(got.values.shape) == want.shape == tuple(got.indices.shape), (entry.name, dim)


@pytest.mark.parametrize("entry,variant", VARIANTS, ids=[v[0] for _, v in VARIANTS])
def test_selection_variant_against_numpy(entry, variant):
    name, field = variant[0], variant[3]
    rng = np.random.default_rng(3)
    for dtype in SELECTION_DTYPES:
        for layout in ("contiguous", "strided"):
            a, t = _selection_input(dtype, layout, rng)
            for dim in (0, 1, -1):
                for options in SELECTION_OPTIONS.get(name, [{}]):
                    args = selection_args(variant, t, dim, **options)
                    got = getattr(torch, name)(t, **args)
                    want = SELECTION_REFS[name](a, dim, **{k: v for k, v in args.items() if k != "dim"})
                    if field == "indices":
                        assert got.dtype == torch.int64 and tuple(got.shape) == want.shape
                        got = np.take_along_axis(a, got.numpy(), dim)
                    else:
                        assert got.dtype == t.dtype
                        got = as_float64(got)
                    np.testing.assert_array_equal(got.astype(np.float64), want.astype(np.float64))
    for x in (torch.tensor(3.0), torch.zeros(0, 3)):  # 0-d and empty
        got = getattr(x, name)(**selection_args(variant, x, 0))
        assert got.shape == x.shape and (x.dim() == 0) == (got.numel() == 1)
    v = torch.tensor([2.0, 1.0, 3.0], requires_grad=True)
    assert (getattr(v, name)().grad_fn is None) == (field == "indices")


def _overload(entry, options):
    return eval(str(entry.overload), {}, {"stable": None, **options})  # noqa: S307 (the row's expression)


@pytest.mark.parametrize("entry", SELECTIONS, ids=lambda e: e.name)
def test_selection_gradcheck(entry):
    x = torch.tensor(np.random.default_rng(9).permutation(12).reshape(3, 4) / 4.0, requires_grad=True)
    for dim in (0, 1, -1):
        for keepdim in ((False, True) if "keepdim" in entry.args else (None,)):
            for options in SELECTION_OPTIONS.get(entry.name, [{}]):
                args = selection_args(entry, x, dim, keepdim, **options)

                def fn(t, args=args):
                    return getattr(t, entry.name)(**args).values
                assert gradcheck(fn, [x]) and gradgradcheck(fn, [x]), (entry.name, args)
                want = f"{entry.name.capitalize()}Backward{_overload(entry, options)}"
                assert fn(x).grad_fn.name() == want
    s = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)  # 0-d: the identity
    getattr(s, entry.name)(**selection_args(entry, s, 0)).values.backward()
    assert s.grad.item() == 1.0
    for variant in entry.variants:
        if variant[3] == "values":
            def fn(t, name=variant[0]):
                return getattr(t, name)(**selection_args(variant, t, 1))
            assert gradcheck(fn, [x]) and gradgradcheck(fn, [x]), variant[0]


@pytest.mark.parametrize("entry", SELECTIONS, ids=lambda e: e.name)
def test_selection_out(entry):
    x = torch.tensor(np.random.default_rng(4).permutation(12).reshape(3, 4) / 4.0)
    args = selection_args(entry, x, 1)
    out = (torch.empty(0, dtype=torch.float64), torch.empty(0, dtype=torch.int64))
    got = getattr(torch, entry.name)(x, **args, out=out)
    assert type(got).__name__ == f"{entry.name}_out" and got == out and got[0] is out[0]
    want = getattr(x, entry.name)(**args)
    assert torch.equal(out[0], want.values) and torch.equal(out[1], want.indices)
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype long int, but got double instead"):
        getattr(torch, entry.name)(x, **args, out=(out[0], out[0]))
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype double, but got float instead"):
        getattr(torch, entry.name)(x, **args, out=(torch.empty(0), out[1]))
    with pytest.raises(TypeError, match="expected tuple of 2 elements but got 1"):
        getattr(torch, entry.name)(x, **args, out=out[:1])
    with pytest.raises(TypeError, match=f"{entry.name}\\(\\): argument 'out' must be tuple of Tensors, not Tensor"):
        getattr(torch, entry.name)(x, **args, out=out[0])
    with pytest.raises(RuntimeError, match=f"{entry.name}\\(\\): functions with out=... arguments don't support "
                                           "automatic differentiation, but one of the arguments requires grad."):
        getattr(torch, entry.name)(x.requires_grad_(), **args, out=out)
    with torch.no_grad():
        assert getattr(torch, entry.name)(x, **args, out=list(out)) == out
    for variant in entry.variants:
        name, field = variant[0], variant[3]
        o = torch.empty(0, dtype=torch.int64 if field == "indices" else torch.float64)
        assert getattr(torch, name)(x.detach(), **selection_args(variant, x, 1), out=o) is o
        with pytest.raises(RuntimeError, match=f"{entry.name}\\(\\): functions with out=... arguments"):
            getattr(torch, name)(x, out=o)


def test_sorting_against_torch_if_installed():
    """sort, argsort, msort and topk against torch on ties and NaN: values, indices (sort's tie order is torch's CPU
    one; topk's ties may pick other indices, of equal values), gradients, node names and errors."""
    real = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    ties = rng.integers(0, 4, size=(6, 40)).astype(np.float64)
    ties[rng.random(ties.shape) < 0.1] = np.nan
    distinct = rng.permutation(240).reshape(6, 40) / 8.0
    calls = [lambda m, x: m.sort(x, 1), lambda m, x: m.sort(x, 0, True), lambda m, x: x.sort(stable=True, dim=0),
             lambda m, x: x.sort(descending=True, stable=False), lambda m, x: m.topk(x, 5, 1),
             lambda m, x: m.topk(x, 3, 0, largest=False), lambda m, x: x.topk(7, sorted=True),
             lambda m, x: m.argsort(x, 1, True), lambda m, x: m.argsort(x, stable=True, dim=0),
             lambda m, x: m.msort(x), lambda m, x: x.msort()]
    for i, call in enumerate(calls):
        for a in (ties, distinct):
            got, want = call(torch, torch.tensor(a)), call(real, real.tensor(a))
            assert type(got).__name__ == type(want).__name__, i
            if type(want).__name__ == "topk" and a is ties:  # (equal values: the same values, maybe other indices)
                np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
                np.testing.assert_array_equal(np.take_along_axis(a, got.indices.numpy(), {4: 1, 5: 0, 6: -1}[i]),
                                              got.values.numpy())
                continue
            for g, w in zip(got, want) if isinstance(want, tuple) else [(got, want)]:
                np.testing.assert_array_equal(g.numpy(), w.numpy(), err_msg=f"call {i}")
            x, y = torch.tensor(a, requires_grad=True), real.tensor(a, requires_grad=True)
            got, want = call(torch, x), call(real, y)
            got, want = (got[0], want[0]) if isinstance(want, tuple) else (got, want)
            if not want.dtype.is_floating_point:  # (argsort)
                assert got.grad_fn is None and want.grad_fn is None
                continue
            assert got.grad_fn.name() == want.grad_fn.name(), i
            weight = np.arange(got.numel()).reshape(tuple(got.shape)) / 7.0
            got.backward(torch.tensor(weight))
            want.backward(real.tensor(weight))
            np.testing.assert_array_equal(x.grad.numpy(), y.grad.numpy(), err_msg=f"call {i} grad")
    t, r = torch.tensor(ties[:2, :4]), real.tensor(ties[:2, :4])
    for bad in (lambda m, x: x.topk(5), lambda m, x: m.topk(x, -1), lambda m, x: x.sort(2), lambda m, x: x.topk(1, -3),
                lambda m, x: m.argsort(x, 2), lambda m, x: m.topk(x.bool(), 1), lambda m, x: m.sort(x, out=x)):
        with pytest.raises(Exception) as want:
            bad(real, r)
        with pytest.raises(type(want.value)) as got:
            bad(torch, t)
        if "invalid combination" not in str(want.value):
            assert str(got.value) == str(want.value)


# ---------------------------------------------------------------- views (_registry.VIEWS)
VIEWS = _registry.VIEWS
# name -> [(input shape, params)]: every row has an empty input, and a 0-d one where torch takes it
VIEW_CASES = {
    "view": [((3, 4), ((3, 4, 1),)), ((3, 4), ((1, 3, 1, 4),)), ((2, 3, 4), ((2, -1, 4),)), ((), ((1, 1),)),
             ((0, 4), ((0, 1, 4),))],
    "reshape": [((3, 4), ((-1,),)), ((3, 4), ((4, 3),)), ((), ((1,),)), ((0, 4), ((2, 0, 2),))],
    "_unsafe_view": [((3, 4), ((-1,),)), ((2, 3, 4), ((6, 4),)), ((), ((1,),)), ((0, 4), ((2, 0, 2),))],
    "alias": [((3, 4), ()), ((), ()), ((0, 4), ())],
    "permute": [((2, 3, 4), ((2, 0, 1),)), ((3, 4), ((-1, 0),)), ((), ((),)), ((0, 4), ((1, 0),))],
    "transpose": [((2, 3, 4), (0, 2)), ((3, 4), (-1, 0)), ((), (0, -1)), ((0, 4), (0, 1))],
    "t": [((3, 4), ()), ((5,), ()), ((), ()), ((0, 4), ())],
    "expand": [((3, 1), ((3, 4),)), ((4,), ((2, 3, 4),)), ((), ((2, 3),)), ((0, 1), ((2, 0, 4),))],
    "squeeze": [((3, 1, 4, 1), ()), ((3, 4), ()), ((), ()), ((0, 1), ())],
    "squeeze.dim": [((3, 1, 4), (1,)), ((3, 1, 4), (-1,)), ((), (0,)), ((0, 1), (1,))],
    "squeeze.dims": [((1, 3, 1, 4), ((0, 2),)), ((3, 1, 4), ((-2, 0),)), ((), ((0,),)), ((0, 1), ((0, 1),))],
    "unsqueeze": [((3, 4), (0,)), ((3, 4), (-1,)), ((), (0,)), ((0, 4), (1,))],
    "select": [((3, 4), (0, 1)), ((3, 4), (1, -1)), ((2, 0), (0, 1))],
    "slice": [((5, 4), (0, 1, 4, 2)), ((3, 6), (1, 0, 6, 3)), ((3, 4), (1, 2, 2, 1)), ((0, 4), (0, 0, 0, 1))],
    "diagonal": [((3, 4), (0, 0, 1)), ((3, 4), (1, 1, 0)), ((2, 3, 4), (-1, 0, 2)), ((0, 4), (0, 0, 1))],
    "unfold": [((7,), (0, 3, 2)), ((3, 5), (1, 2, 1)), ((4, 3), (0, 4, 1)), ((0, 4), (1, 2, 2))],
}
NO_0D = {"select", "slice", "diagonal", "unfold"}  # torch rejects a 0-d input (unfold's 0-d case is Tensor.unfold's)


def view_input(shape, layout, dtype="float64"):
    """(numpy array, tensor) of `shape`: contiguous, or strided (the transpose of a contiguous reversed shape)."""
    a = np.random.default_rng(10).uniform(-2, 2, shape[::-1] if layout == "strided" else shape).astype(dtype)
    t = torch.tensor(a)
    return (a.T, t.permute(*reversed(range(a.ndim)))) if layout == "strided" else (a, t)


def test_every_view_has_rows():
    """Every VIEWS row has a reference and test cases (an empty input and, where torch takes it, a 0-d one), and
    every view op is a registry row: nothing records a view on another path."""
    assert {e.name for e in VIEWS} >= {"view", "reshape", "permute", "transpose", "t", "expand", "squeeze",
                                       "unsqueeze", "select", "slice", "diagonal", "unfold"}
    for e in VIEWS:
        assert e.ref and e.grad and e.node[-1].isdigit(), e.name  # (a row without a reference fails here)
        shapes = [s for s, _ in VIEW_CASES[e.name]]
        assert any(0 in s for s in shapes) and (e.name in NO_0D or () in shapes), e.name
        assert _ops.VIEW_OPS[e.name].entry is e and _ops.VIEW_OPS[e.name]._is_view
        if e.method:
            assert callable(getattr(torch.Tensor, e.name)) and callable(getattr(torch, e.name)), e.name
    def subclasses(c):
        return [c] + [s for d in c.__subclasses__() for s in subclasses(d)]
    views = {c for c in subclasses(_ops.Op) if c._is_view and c is not _ops._View}
    assert views == set(_ops.VIEW_OPS.values())


@pytest.mark.parametrize("entry", VIEWS, ids=lambda e: e.name)
@pytest.mark.parametrize("layout", ["contiguous", "strided"])
def test_view_value_against_numpy(entry, layout):
    """The value against the numpy reference, the result sharing the input's storage (reshape: unless it copied,
    then its node says so), and the Tensor method / torch function where the row generates them."""
    ref, op = reference(entry), _ops.VIEW_OPS[entry.name]
    for shape, params in VIEW_CASES[entry.name]:
        a, t = view_input(shape, layout)
        what = f"{entry.name}({layout} {shape}, {params})"
        got = op.apply(t, *params)
        want = np.asarray(ref(a, *params))
        assert tuple(got.shape) == want.shape and got.dtype == torch.float64, what
        np.testing.assert_array_equal(got.numpy(), want, err_msg=what)
        shares = got._impl.storage_id == t._impl.storage_id
        if entry.copied:
            node = op.apply(t.requires_grad_(), *params).grad_fn.name()
            assert node == (entry.node if shares else entry.copied), what
        else:
            assert shares, what
        if entry.method:
            np.testing.assert_array_equal(getattr(torch, entry.name)(t.detach(), *params).numpy(), want)
        for dtype in ("int64", "bool"):  # views take every dtype
            b, u = view_input(shape, layout, dtype)
            np.testing.assert_array_equal(op.apply(u, *params).numpy(), np.asarray(ref(b, *params)), err_msg=what)


@pytest.mark.parametrize("entry", VIEWS, ids=lambda e: e.name)
def test_view_gradcheck(entry):
    op = _ops.VIEW_OPS[entry.name]
    for shape, params in VIEW_CASES[entry.name]:
        for layout in ("contiguous", "strided"):
            x = view_input(shape, layout)[1].detach().requires_grad_()
            def fn(t, params=params):
                return op.apply(t, *params)
            assert fn(x).grad_fn.name() in (entry.node, entry.copied), (entry.name, shape)
            assert gradcheck(fn, [x]) and gradgradcheck(fn, [x]), (entry.name, shape, params)


@pytest.mark.parametrize("entry", [e for e in VIEWS if e.name not in ("expand", "unfold", "_unsafe_view")],
                         ids=lambda e: e.name)
def test_in_place_on_view_reaches_the_base(entry):
    """v = view(b); v.mul_(2) writes into b (one version counter), b's history takes the write (CopySlices), and
    the gradient through b is 2 on the view's elements, 1 elsewhere (expand and overlapping unfold windows are
    refused by torch: several elements share one memory location; torch's _unsafe_view output is no view for
    autograd: tests/test_program_parity_d.py)."""
    op = _ops.VIEW_OPS[entry.name]
    for shape, params in VIEW_CASES[entry.name]:
        x = torch.tensor(np.random.default_rng(11).uniform(-2, 2, shape), requires_grad=True)
        b = x * 1
        v = op.apply(b, *params)
        if v._impl.storage_id != b._impl.storage_id:
            continue  # (a reshape that copied)
        v.mul_(2)
        assert b._version == v._version == (1 if v.numel() else 0), entry.name  # (an empty write: no new version)
        assert b.grad_fn.name() == "torch::autograd::CopySlices", entry.name
        b.sum().backward()
        marked = torch.zeros(shape, dtype=torch.float64)
        op.apply(marked, *params).fill_(1)  # the view's elements, through the view
        np.testing.assert_array_equal(x.grad.numpy(), 1 + marked.numpy(), err_msg=f"{entry.name}{shape}")


@pytest.mark.parametrize("entry", [e for e in VIEWS if e.inplace], ids=lambda e: e.name)
def test_in_place_view_variant(entry):
    """Tensor.<name>_ (t_, squeeze_, unsqueeze_, transpose_): self becomes the view, with or without a graph,
    in a node named as torch's in-place variant, and the gradient is the view's."""
    method = entry.name.split(".")[0] + "_"
    for shape, params in VIEW_CASES[entry.name]:
        a = np.random.default_rng(12).uniform(-2, 2, shape)
        want = np.asarray(reference(entry)(a, *params))
        t = torch.tensor(a)
        assert getattr(t, method)(*params) is t and t.shape == want.shape, (entry.name, shape)
        x = torch.tensor(a, requires_grad=True)
        y = x * 1
        assert getattr(y, method)(*params) is y and y.grad_fn.name() == entry.inplace, (entry.name, shape)
        np.testing.assert_array_equal(y.detach().numpy(), want)
        (y * torch.tensor(want)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), a, err_msg=f"{entry.name}{shape}")  # d/dx sum(v * v0) at x=a
