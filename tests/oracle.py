"""The reference oracle: numpy in float64 decides what every op must return.

    check_op(torch_fn, np_fn, shapes, dtype=torch.float32, device="cpu", ...)

builds inputs from a seeded numpy RNG, runs `torch_fn` on them in several memory layouts
(contiguous, transposed, sliced with steps and an offset, stride-0 expanded, broadcast shapes,
0-d, zero-size, a mix of those), and compares each result with `np_fn` evaluated in float64
(int64 for integer inputs) on the very same values. It also checks the result's shape and
dtype, that the inputs were not modified (unless the op is in-place, in which case the
result must be the first input, holding the values), and, through the `grad=` hook, anything
else per case (e.g. `numeric_grad`, a central-difference gradient check against np_fn).

No PyTorch here: the default suite must run without it.
"""
import math
from dataclasses import dataclass, field

import numpy as np
import pytest
import tinygrad_ext as torch

try:
    import torch as real_torch  # PyTorch itself where it is installed: some tests compare with it
except ImportError:
    real_torch = None
needs_torch = pytest.mark.skipif(real_torch is None, reason="PyTorch is not installed")

CUDA_AVAILABLE = bool(torch.cuda.is_available())
DEVICES = ["cpu"] + (["cuda"] if CUDA_AVAILABLE else [])


def device_params():
    """pytest params for a `device` argument: cpu, and cuda marked `cuda` (skipped without a GPU)."""
    return [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=pytest.mark.cuda)]


NP_DTYPE = {torch.bool: np.bool_, torch.uint8: np.uint8, torch.int32: np.int32, torch.int64: np.int64,
            torch.float32: np.float32, torch.float64: np.float64}
FLOAT_DTYPES = (torch.float32, torch.float64)
INT_DTYPES = (torch.uint8, torch.int32, torch.int64)
ALL_DTYPES = (torch.bool,) + INT_DTYPES + FLOAT_DTYPES

# (rtol, atol) against the float64 reference
TOLERANCES = {torch.float32: (1e-5, 1e-6), torch.float64: (1e-10, 1e-12)}

# The layouts check_op runs an op on: contiguous; transposed (last two dims swapped); strided (every
# other row from row 1, every third column: steps and an offset); expanded (stride 0 along dim 0);
# broadcast (operands of different shapes); with_0d (first operand full, the others 0-d tensors);
# scalar (all 0-d); empty (a zero-size dim 0); mixed (a different strided kind per operand).
LAYOUTS = ("contiguous", "transposed", "strided", "expanded", "broadcast", "with_0d", "scalar", "empty", "mixed")
ELEMENTWISE = LAYOUTS
# for ops whose input shapes must stay as given (matmul, reductions over a dim, ...)
SHAPE_PRESERVING = tuple(x for x in LAYOUTS if x not in ("broadcast", "with_0d"))


@dataclass
class Case:
    """One run of an op: what check_op passes to a `grad=` hook."""
    layout: str
    dtype: object
    device: str
    inputs: list           # tinygrad_ext tensors (or Python scalars passed through)
    np_inputs: list        # the same values as numpy arrays (reference precision)
    torch_fn: object
    np_fn: object
    extras: dict = field(default_factory=dict)


def ref_dtype(dtype):
    """numpy dtype the reference computes in: float64 for floats, int64 for ints, bool for bool."""
    if dtype.is_floating_point:
        return np.float64
    return np.bool_ if dtype is torch.bool else np.int64


def gen_array(rng, shape, dtype, domain=(-2.0, 2.0), nonzero=False):
    """Random values of `dtype` (as a numpy array of that dtype) in `domain`."""
    lo, hi = domain
    if dtype is torch.bool:
        return rng.random(shape) < 0.5
    if dtype.is_floating_point:
        a = rng.uniform(lo, hi, size=shape)
        if nonzero:
            a = np.where(np.abs(a) < 0.25, np.copysign(0.25, a) + a, a)
        return a.astype(NP_DTYPE[dtype])
    lo_i, hi_i = math.floor(lo), math.ceil(hi)
    if dtype is torch.uint8:
        lo_i = max(lo_i, 0)
    a = rng.integers(lo_i, max(hi_i, lo_i + 1), size=shape, endpoint=True)
    if nonzero:
        a = np.where(a == 0, 1, a)
    return a.astype(NP_DTYPE[dtype])


def to_numpy(t):
    return t.detach().cpu().numpy()


def _transposed_shape(shape):
    return tuple(shape[:-2]) + (shape[-1], shape[-2])


def _layout_of(layout, i):
    """The per-input layout: `mixed` cycles through the strided kinds."""
    if layout == "mixed":
        return ("transposed", "strided", "expanded")[i % 3]
    if layout in ("broadcast", "with_0d", "scalar", "empty"):  # the shapes carry the case
        return "contiguous"
    return layout


def _make_input(rng, shape, layout, dtype, device, domain, nonzero):
    """(numpy array with the values, tinygrad_ext tensor view with those values, expect_noncontiguous)."""
    shape = tuple(shape)
    if layout == "transposed" and len(shape) < 2:
        layout = "strided"
    if layout in ("strided", "expanded") and len(shape) == 0:
        layout = "contiguous"
    if layout == "contiguous":
        a = gen_array(rng, shape, dtype, domain, nonzero)
        return a, torch.tensor(a, device=device), False
    if layout == "transposed":
        base = gen_array(rng, _transposed_shape(shape), dtype, domain, nonzero)
        t = torch.tensor(base, device=device).transpose(-1, -2)
        return base.swapaxes(-1, -2), t, shape[-1] > 1 and shape[-2] > 1
    if layout == "strided":
        # every other row starting at 1 (a storage offset), every third column
        bshape = (2 * shape[0] + 1,) + shape[1:-1] + (3 * shape[-1],) if len(shape) > 1 else (3 * shape[0] + 1,)
        base = gen_array(rng, bshape, dtype, domain, nonzero)
        if len(shape) > 1:
            key = (slice(1, None, 2),) + (slice(None),) * (len(shape) - 2) + (slice(None, None, 3),)
        else:
            key = (slice(1, None, 3),)
        t = torch.tensor(base, device=device)[key]
        return base[key], t, math.prod(shape) > 1
    if layout == "expanded":
        small = (1,) + shape[1:]
        base = gen_array(rng, small, dtype, domain, nonzero)
        t = torch.tensor(base, device=device).expand(*shape)
        return np.broadcast_to(base, shape), t, shape[0] > 1 and math.prod(shape) > 1
    raise ValueError(f"unknown layout {layout}")


def _broadcast_shapes_for(shapes):
    """Shapes that broadcast to shapes[0]: input 0 loses its last dim to 1, input 1 its leading dim."""
    full = tuple(shapes[0])
    out = []
    for i in range(len(shapes)):
        if i % 3 == 0:
            out.append(full[:-1] + (1,) if full else ())
        elif i % 3 == 1:
            out.append(full[1:])
        else:
            out.append(full)
    return out


def case_shapes(shapes, layout, empty_shapes=None):
    """The input shapes one layout uses, or None when the layout does not apply."""
    shapes = [tuple(s) for s in shapes]
    if layout == "scalar":
        return [()] * len(shapes)
    if layout == "empty":
        if empty_shapes is not None:
            return [tuple(s) for s in empty_shapes]
        if any(len(s) == 0 for s in shapes):
            return None
        return [(0,) + s[1:] for s in shapes]
    if layout == "broadcast":
        if len(set(shapes)) != 1 or not shapes[0]:
            return None
        if len(shapes) == 1:  # a single input: the stride-0 case is `expanded`
            return None
        return _broadcast_shapes_for(shapes)
    if layout == "with_0d":  # the other operands are 0-d tensors
        if len(shapes) == 1:
            return None
        return [shapes[0]] + [()] * (len(shapes) - 1)
    return shapes


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def assert_matches(actual, expected, dtype=None, rtol=None, atol=None, exact=False, msg=""):
    """`actual` (tensor) equals `expected` (numpy array/scalar): shape, dtype (when given) and values."""
    assert isinstance(actual, torch.Tensor), f"{msg}: expected a Tensor, got {type(actual).__name__}"
    expected = np.asarray(expected)
    assert tuple(actual.shape) == expected.shape, f"{msg}: shape {tuple(actual.shape)} != reference {expected.shape}"
    if dtype is not None:
        assert actual.dtype is dtype, f"{msg}: dtype {actual.dtype} != expected {dtype}"
    got = to_numpy(actual)
    if actual.dtype.is_floating_point and not exact:
        if rtol is None:
            rtol, atol = TOLERANCES[actual.dtype]
        np.testing.assert_allclose(got.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=msg)
    else:
        np.testing.assert_array_equal(got, expected.astype(got.dtype) if expected.dtype != got.dtype and
                                      not actual.dtype.is_floating_point else expected, err_msg=msg)


def check_op(torch_fn, np_fn, shapes, dtype=torch.float32, device="cpu", *, layouts=ELEMENTWISE, domain=(-2.0, 2.0),
             nonzero=False, input_dtypes=None, out_dtype=None, rtol=None, atol=None, exact=False, inplace=False,
             empty_shapes=None, seed=0, grad=None, name="op"):
    """Checks torch_fn(*inputs) against np_fn(*reference_inputs) for every layout in `layouts`.

    shapes: one shape per tensor input (all inputs are tensors; bind Python scalars in the lambdas).
    dtype: the inputs' dtype (input_dtypes=[...] gives one per input instead).
    domain: (low, high) of the random values, or one such pair per input; nonzero keeps |x| >= 0.25.
    out_dtype: expected result dtype(s): a dtype, a tuple for multiple outputs, or a callable of the
        input dtype; default: the first input's dtype.
    inplace: the op writes into its first input and must return it.
    grad: optional hook called as grad(case) after the value checks (see numeric_grad).
    Returns the number of cases that ran (callers may assert it is non-zero).
    """
    rng = np.random.default_rng(seed)
    dtypes = list(input_dtypes) if input_dtypes is not None else [dtype] * len(shapes)
    domains = list(domain) if domain and isinstance(domain[0], (tuple, list)) else [domain] * len(shapes)
    ran = 0
    for layout in layouts:
        lshapes = case_shapes(shapes, layout, empty_shapes)
        if lshapes is None:
            continue
        np_in, t_in = [], []
        for i, (s, dt) in enumerate(zip(lshapes, dtypes)):
            a, t, noncontig = _make_input(rng, s, _layout_of(layout, i), dt, device, domains[i], nonzero)
            assert tuple(t.shape) == tuple(a.shape) and t.dtype is dt
            if noncontig:  # the helper really hands the op a strided view
                assert not t.is_contiguous(), f"{name}/{layout}: input {i} should be non-contiguous"
            np.testing.assert_array_equal(to_numpy(t), a)
            np_in.append(a)
            t_in.append(t)
        before = [to_numpy(t).copy() for t in t_in]
        msg = f"{name} [{layout}, {dtype}, {device}, shapes {lshapes}]"
        out = torch_fn(*t_in)
        ref = np_fn(*[np.array(a, dtype=ref_dtype(dt)) for a, dt in zip(np_in, dtypes)])
        outs, refs = _as_tuple(out), _as_tuple(ref)
        assert len(outs) == len(refs), f"{msg}: {len(outs)} outputs, reference has {len(refs)}"
        exp_dtypes = out_dtype(dtype) if callable(out_dtype) else out_dtype
        exp_dtypes = _as_tuple(exp_dtypes) if exp_dtypes is not None else (dtypes[0],) * len(outs)
        for k, (o, r) in enumerate(zip(outs, refs)):
            dev = o.device.type if isinstance(o, torch.Tensor) else None
            assert dev == torch.device(device).type, f"{msg}: output {k} on {dev}, expected {device}"
            assert_matches(o, r, exp_dtypes[k], rtol, atol, exact, f"{msg} output {k}")
        if inplace:
            assert outs[0] is t_in[0], f"{msg}: an in-place op must return its first input"
        else:
            for i, (t, b) in enumerate(zip(t_in, before)):
                np.testing.assert_array_equal(to_numpy(t), b, err_msg=f"{msg}: input {i} was modified")
        if grad is not None:
            grad(Case(layout, dtype, device, t_in, np_in, torch_fn, np_fn))
        ran += 1
    return ran


def numeric_grad(case, eps=1e-6, rtol=1e-5, atol=1e-6):
    """A `grad=` hook: d(sum(w * f(x)))/dx by autograd equals central differences of np_fn (float64 only)."""
    if case.dtype is not torch.float64 or case.layout == "empty":
        return
    xs = [t.detach().clone().requires_grad_(True) if t.dtype.is_floating_point else t for t in case.inputs]
    out = _as_tuple(case.torch_fn(*xs))[0]
    if not out.requires_grad:
        return
    w = np.random.default_rng(1).uniform(0.5, 1.5, size=tuple(out.shape))
    (out * torch.tensor(w, device=case.device)).sum().backward()
    base = [np.array(a, dtype=np.float64) for a in case.np_inputs]

    def f(arrs):
        return np.asarray(_as_tuple(case.np_fn(*arrs))[0], dtype=np.float64)

    for i, x in enumerate(xs):
        if not x.dtype.is_floating_point:
            continue
        num = np.zeros(base[i].shape)
        for idx in np.ndindex(*base[i].shape):
            plus = [b.copy() for b in base]
            minus = [b.copy() for b in base]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            # difference first, then weight: untouched outputs cancel exactly
            num[idx] = np.sum((f(plus) - f(minus)) * w) / (2 * eps)
        assert x.grad is not None, f"input {i}: no gradient"
        np.testing.assert_allclose(to_numpy(x.grad), num, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i} [{case.layout}]")


def central_difference(f, x, eps=1e-6):
    """d f / d x of a scalar float64 function f of the array x, by central differences."""
    g = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += eps
        minus[i] -= eps
        g[i] = (f(plus) - f(minus)) / (2 * eps)
    return g


def check_raises(fn, exc, *words):
    """fn() raises `exc` (a class or tuple, all must match) whose message contains every word."""
    classes = exc if isinstance(exc, tuple) else (exc,)
    with pytest.raises(classes[0]) as info:
        fn()
    for c in classes[1:]:
        assert isinstance(info.value, c), f"{type(info.value).__mro__} is not a {c.__name__}"
    text = str(info.value)
    for w in words:
        assert w in text, f"{w!r} not in message {text!r}"
    return info.value
