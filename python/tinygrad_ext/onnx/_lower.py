"""The lowering of the recorded core calls to ONNX nodes: one function per `_C` call kind (the registry's
elementwise ops from _registry.OPS by name), and one for the recurrent modules recorded whole.

A lowering gets the graph builder, the Call (arguments with Refs for tensors, a Ref per output) and the same call
of the second recording (other input values, the dynamic axes one longer: sizes that differ follow the dynamic
axes; None without dynamic axes); it returns one ONNX name per output (None for an output it does not produce).
Calls with no lowering raise UnsupportedOperatorError naming the core op."""
import math

import numpy as np
import onnx

from .. import _registry
from ..nn.modules.rnn import GRU, LSTM, RNN
from ..tensor import cat, stack, zeros
from ._graph import INT64_MAX, np_dtype, onnx_dtype
from ._record import Ref
from .errors import UnsupportedOperatorError

LOWERINGS = {}
DYNAMIC_ARGS = set()  # calls whose plain arguments (sizes) may follow the dynamic axes


def lowers(*names, dynamic=False):
    def register(fn):
        for name in names:
            LOWERINGS[name] = fn
            if dynamic:
                DYNAMIC_ARGS.add(name)
        return fn
    return register


def lower(g, c, cb):
    fn = LOWERINGS.get(c.name) or LOWERINGS.get(type(c.name))
    if fn is None:
        raise UnsupportedOperatorError(c.label(), g.opset)
    return fn(g, c, cb)


def _x(g, c):
    return g.value(c.args[0], c.label())


def _out_dtype(c):
    return c.outs[0].dtype


def _operand(g, x, dtype_id, user):
    """An operand in dtype_id: a Ref cast to it, or a Python number as a 0-d constant."""
    if isinstance(x, Ref):
        return g.cast(x, dtype_id, user)
    return g.scalar(x, dtype_id)


# ---- the registry's elementwise ops: unary (a, out, params), binary (a, b, reflected, out, params)
_ENTRIES = {e.name: e for e in _registry.OPS if not e.kernel}  # (clamp, clone, ...: lowered below)
_ONNX_NAMES = {s.name.lower(): s.name for s in onnx.defs.get_all_schemas() if s.domain == ""}
_FIRST_OPSET = {}  # ONNX op -> the opset that introduced it
for _s in onnx.defs.get_all_schemas_with_history():
    if _s.domain == "":
        _FIRST_OPSET[_s.name] = min(_s.since_version, _FIRST_OPSET.get(_s.name, _s.since_version))
_ONNX_OF = {"maximum": "Max", "minimum": "Min", "eq": "Equal", "lt": "Less", "le": "LessOrEqual", "gt": "Greater",
            "ge": "GreaterOrEqual", "logical_and": "And", "logical_or": "Or", "logical_xor": "Xor",
            "bitwise_not": "BitwiseNot", "bitwise_and": "BitwiseAnd", "bitwise_or": "BitwiseOr",
            "bitwise_xor": "BitwiseXor", "logical_not": "Not"}


def _params(c, entry):
    n = 2 if entry.unary else 4
    params = c.args[n] if len(c.args) > n else None
    return list(params) if params is not None else [d for _, d in entry.params]


def _operands(c, entry):
    if entry.unary:
        return [c.args[0]]
    a, b = c.args[0], c.args[1]
    return [b, a] if len(c.args) > 2 and c.args[2] else [a, b]


def _compute_dtype(c, entry):
    """The dtype the ONNX op computes in: the result's, or for comparisons the operands' common one."""
    if entry.family != "compare":
        return _out_dtype(c)
    if entry.name.startswith("logical"):
        return 0
    dts = [x.dtype for x in _operands(c, entry) if isinstance(x, Ref)]
    floats = [d for d in dts if _is_float(d)]
    if len(set(dts)) == 1 and (all(isinstance(x, Ref) or _is_float(dts[0]) or not isinstance(x, float)
                                   for x in _operands(c, entry))):
        return dts[0]
    return max(floats, key=lambda d: np_dtype(d).itemsize) if floats else 4 if any(
        isinstance(x, float) for x in _operands(c, entry)) else 3


def _is_float(dtype_id):
    return np_dtype(dtype_id).kind == "f" if dtype_id != 9 else True


def _number(g, x, xb, dtype_id, user):
    """A Python-number operand: a constant, a size that follows the dynamic axes (x.sum() / x.numel()), or a value
    read from a tensor (warned about, the recorded value kept; a whole number that changes while dynamic axes are
    given is taken for a size)."""
    if xb is None or x == xb or x != x:
        return g.scalar(x, dtype_id)
    if isinstance(x, float) and not (g.dynamic and float(x).is_integer() and float(xb).is_integer()):
        g.changed(user)
        return g.scalar(x, dtype_id)
    return g.size_scalar(x, xb, dtype_id, user)


def _elementwise(g, c, cb):
    entry = _ENTRIES[c.name]
    special = _SPECIAL.get(c.name)
    dtype = _compute_dtype(c, entry)
    operands = _operands(c, entry)
    if cb is not None and (_params(cb, entry) != _params(c, entry) or len(cb.args) > 2 and
                           not entry.unary and cb.args[2] != c.args[2]):
        raise UnsupportedOperatorError(c.name, g.opset, detail="Its parameters depend on the input values.")
    operands_b = _operands(cb, entry) if cb is not None else [None] * len(operands)
    ins = [g.cast(x, dtype, c.name) if isinstance(x, Ref) else _number(g, x, xb, dtype, c.name)
           for x, xb in zip(operands, operands_b)]
    if dtype == 0 and c.name in _LOGICAL:
        return [g.node(_LOGICAL[c.name], ins)]
    if special is not None:
        return [special(g, ins, _params(c, entry), _out_dtype(c))]
    onnx_name = _ONNX_OF.get(c.name) or _ONNX_NAMES.get(c.name.replace("_", ""))
    schema = onnx.defs.get_schema(onnx_name, g.opset) if onnx_name and onnx.defs.has(onnx_name, g.opset) else None
    if schema is None or entry.params or any(a.required for a in schema.attributes.values()):
        since = _FIRST_OPSET.get(onnx_name) if onnx_name and not entry.params else None
        raise UnsupportedOperatorError(c.name, g.opset, since if since and since > g.opset else None)
    return [g.node(onnx_name, ins)]


def _unary_chain(*ops):
    def fn(g, ins, params, dtype):
        out = ins[0]
        for op in ops:
            out = g.node(op, [out])
        return out
    return fn


def _with_const(op, value, first=False):
    def fn(g, ins, params, dtype):
        k = g.scalar(value, dtype)
        return g.node(op, [k, ins[0]] if first else [ins[0], k])
    return fn


def _gelu(g, ins, params, dtype):
    x = ins[0]
    if g.opset >= 20:
        return g.node("Gelu", [x])
    erf = g.node("Erf", [g.node("Mul", [x, g.scalar(math.sqrt(0.5), dtype)])])
    return g.node("Mul", [g.node("Mul", [x, g.scalar(0.5, dtype)]), g.node("Add", [erf, g.scalar(1.0, dtype)])])


def _gelu_tanh(g, ins, params, dtype):
    x = ins[0]
    if g.opset >= 20:
        return g.node("Gelu", [x], approximate="tanh")
    cube = g.node("Mul", [g.node("Mul", [x, x]), x])
    inner = g.node("Mul", [g.node("Add", [x, g.node("Mul", [cube, g.scalar(0.044715, dtype)])]),
                           g.scalar(math.sqrt(2 / math.pi), dtype)])
    half_x = g.node("Mul", [x, g.scalar(0.5, dtype)])
    return g.node("Mul", [half_x, g.node("Add", [g.node("Tanh", [inner]), g.scalar(1.0, dtype)])])


def _elu(g, ins, params, dtype):
    alpha, scale, input_scale = params
    x = ins[0]
    if (alpha, scale) == (_registry.SELU_ALPHA, _registry.SELU_SCALE) and input_scale == 1:
        return g.node("Selu", [x], alpha=alpha, gamma=scale)
    if scale == 1 and input_scale == 1:
        return g.node("Elu", [x], alpha=alpha)
    if scale == 1 and math.isclose(input_scale, 1 / alpha):
        return g.node("Celu", [x], alpha=alpha)
    raise UnsupportedOperatorError("elu", g.opset, detail=f"(scale={scale}, input_scale={input_scale})")


def _softplus(g, ins, params, dtype):
    beta = params[0]  # (above the threshold softplus is x: Softplus differs from it by < exp(-threshold))
    if beta == 1:
        return g.node("Softplus", [ins[0]])
    b = g.scalar(beta, dtype)
    return g.node("Div", [g.node("Softplus", [g.node("Mul", [ins[0], b])]), b])


def _hardtanh(g, ins, params, dtype):
    return g.node("Clip", [ins[0], g.scalar(params[0], dtype), g.scalar(params[1], dtype)])


def _threshold(g, ins, params, dtype):
    x = ins[0]
    return g.node("Where", [g.node("Greater", [x, g.scalar(params[0], dtype)]), x, g.scalar(params[1], dtype)])


def _shrink(soft):
    def fn(g, ins, params, dtype):
        return g.node("Shrink", [ins[0]], lambd=float(params[0]), bias=float(params[0]) if soft else 0.0)
    return fn


_SPECIAL = {
    "rsqrt": _unary_chain("Sqrt", "Reciprocal"), "logsigmoid": _unary_chain("Sigmoid", "Log"),
    "square": lambda g, ins, p, d: g.node("Mul", [ins[0], ins[0]]),
    "silu": lambda g, ins, p, d: g.node("Mul", [ins[0], g.node("Sigmoid", [ins[0]])]),
    "mish": lambda g, ins, p, d: g.node("Mul", [ins[0], g.node("Tanh", [g.node("Softplus", [ins[0]])])]),
    "hardsigmoid": lambda g, ins, p, d: g.node("HardSigmoid", [ins[0]], alpha=1.0 / 6, beta=0.5),
    "log1p": lambda g, ins, p, d: g.node("Log", [g.node("Add", [ins[0], g.scalar(1, d)])]),
    "expm1": lambda g, ins, p, d: g.node("Sub", [g.node("Exp", [ins[0]]), g.scalar(1, d)]),
    "log2": lambda g, ins, p, d: g.node("Div", [g.node("Log", [ins[0]]), g.scalar(math.log(2), d)]),
    "log10": lambda g, ins, p, d: g.node("Div", [g.node("Log", [ins[0]]), g.scalar(math.log(10), d)]),
    "exp2": _with_const("Pow", 2, first=True), "erfc": lambda g, ins, p, d: g.node(
        "Sub", [g.scalar(1, d), g.node("Erf", [ins[0]])]),
    "gelu": _gelu, "gelu_tanh": _gelu_tanh, "elu": _elu, "softplus": _softplus, "hardtanh": _hardtanh,
    "threshold": _threshold, "softshrink": _shrink(True), "hardshrink": _shrink(False),
    "ne": lambda g, ins, p, d: g.node("Not", [g.node("Equal", ins)]),
    "prelu": lambda g, ins, p, d: g.node("PRelu", ins),
    "fmod": lambda g, ins, p, d: g.node("Mod", ins, fmod=1),
    "floor_divide": lambda g, ins, p, d: g.node("Floor", [g.node("Div", ins)]) if _is_float(d) else g.node(
        "Div", [g.node("Sub", [ins[0], g.node("Mod", ins)]), ins[1]]),
    "remainder": lambda g, ins, p, d: g.node("Mod", ins) if not _is_float(d) else g.node(
        "Sub", [ins[0], g.node("Mul", [ins[1], g.node("Floor", [g.node("Div", ins)])])]),
}
_LOGICAL = {"bitwise_and": "And", "bitwise_or": "Or", "bitwise_xor": "Xor", "bitwise_not": "Not"}  # (on bool)
for _name in _ENTRIES:
    LOWERINGS[_name] = _elementwise
    DYNAMIC_ARGS.add(_name)


@lowers("leaky_relu")
def _leaky_relu(g, c, cb):
    return [g.node("LeakyRelu", [_x(g, c)], alpha=float(c.args[1]))]


@lowers("clamp")
def _clamp(g, c, cb):
    x, lo, hi = c.args[:3]
    out = g.value(x, "clamp")
    if not isinstance(lo, Ref) and not isinstance(hi, Ref):
        return [g.node("Clip", [out] + ["" if b is None else g.scalar(b, x.dtype) for b in (lo, hi)])]
    for bound, op_type in ((lo, "Max"), (hi, "Min")):
        if bound is not None:
            out = g.node(op_type, [out, _operand(g, bound, _out_dtype(c), "clamp")])
    return [out]


@lowers("where")
def _where(g, c, cb):
    cond, a, b = c.args[:3]
    dtype = _out_dtype(c)
    return [g.node("Where", [g.cast(cond, 0, "where"), _operand(g, a, dtype, "where"), _operand(g, b, dtype, "where")])]


@lowers("masked_fill_")
def _masked_fill(g, c, cb):
    x, mask, value = c.args[:3]
    return [g.node("Where", [g.cast(mask, 0, "masked_fill"), _operand(g, value, x.dtype, "masked_fill"), g.value(x)])]


@lowers("fill_")
def _fill(g, c, cb):
    x, value = c.args[:2]
    return [g.node("Expand", [_operand(g, value, x.dtype, "fill_"), g.node("Shape", [g.value(x)])])]


@lowers("copy_")
def _copy(g, c, cb):
    dst, src = c.args[:2]
    return [g.node("Expand", [g.cast(src, dst.dtype, "copy_"), g.node("Shape", [g.value(dst)])])]


@lowers("to_dtype")
def _to_dtype(g, c, cb):
    return [g.node("Cast", [_x(g, c)], to=onnx_dtype(c.args[1]))]


@lowers("to_device", "alias", "contiguous", "clone")
def _identity(g, c, cb):
    return [g.node("Identity", [_x(g, c)])]


@lowers("full", "empty", "scalar_tensor", dynamic=True)
def _full(g, c, cb):
    """A new tensor that is written in place later or whose size follows the dynamic axes (else it is folded)."""
    if c.name == "scalar_tensor":
        return [g.scalar(c.args[0], c.args[1])]
    shape, value, dtype = (c.args[0], c.args[1], c.args[2]) if c.name == "full" else (c.args[0], 0, c.args[1])
    shape_b = shape if cb is None else cb.args[0]
    if c.name == "full" and cb is not None and cb.args[1] != value and value == value:
        raise UnsupportedOperatorError("full", g.opset, detail="Its fill value depends on the input values.")
    return [g.node("Expand", [g.scalar(value, dtype), g.shape_tensor(list(shape), list(shape_b), c.name)])]


@lowers("arange", dynamic=True)
def _arange(g, c, cb):
    """Range; its end may be k * a dynamic axis's size (start and step may not follow the axes)."""
    start, end, step, dtype = c.args[:4]
    if cb is not None and (cb.args[0], cb.args[2]) != (start, step):
        raise UnsupportedOperatorError("arange", g.opset, detail="Its start or step depends on a dynamic axis.")
    end_b = end if cb is None else cb.args[1]
    limit = g.scalar(end, dtype) if end == end_b else g.size_scalar(end, end_b, dtype, "arange")
    return [g.node("Range", [g.scalar(start, dtype), limit, g.scalar(step, dtype)])]


@lowers("from_numpy")
def _from_numpy(g, c, cb):
    return [g.const(np.array(c.args[0]))]


_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "prod": "ReduceProd", "amax": "ReduceMax", "amin": "ReduceMin"}


@lowers(*_REDUCE)
def _reduce(g, c, cb):
    x, dims, keepdim = c.args[:3]
    dtype = c.args[3] if len(c.args) > 3 else None
    data = g.value(x, c.name) if dtype is None else g.cast(x, dtype, c.name)
    return [g.reduce(_REDUCE[c.name], data, list(dims or ()), keepdim)]


@lowers("all", "any")
def _all_any(g, c, cb):
    """ReduceMin / ReduceMax over the operand as int32 (ONNX's reductions take no bool before opset 20)."""
    x, dims, keepdim = c.args[:3]
    as_int = g.node("Cast", [g.cast(x, 0, c.name)], to=onnx_dtype(2))
    out = g.reduce("ReduceMin" if c.name == "all" else "ReduceMax", as_int, list(dims or ()), keepdim)
    return [g.node("Cast", [out], to=onnx_dtype(c.outs[0].dtype))]


@lowers("max_dim")
def _max_dim(g, c, cb):
    x, dim, keepdim, is_max = c.args[:4]
    xn = g.value(x, "max")
    values = g.reduce("ReduceMax" if is_max else "ReduceMin", xn, [dim], keepdim)
    return [values, g.node("ArgMax" if is_max else "ArgMin", [xn], axis=dim, keepdims=int(keepdim))]


@lowers("argmax")
def _argmax(g, c, cb):
    x, dim, keepdim, is_max = c.args[:4]
    xn = g.value(x, "argmax")
    if dim is None:
        xn, dim, keepdim = g.node("Reshape", [xn, g.ints([-1])]), 0, False
    return [g.node("ArgMax" if is_max else "ArgMin", [xn], axis=dim, keepdims=int(keepdim))]


@lowers("cumsum")
def _cumsum(g, c, cb):
    x, dim, dtype = c.args[:3]
    data = g.value(x, "cumsum") if dtype is None else g.cast(x, dtype, "cumsum")
    return [g.node("CumSum", [data, g.const(np.array(dim, np.int64))])]


@lowers("mm", "bmm")
def _matmul(g, c, cb):
    return [g.node("MatMul", [g.value(c.args[0], c.name), g.value(c.args[1], c.name)])]


@lowers("addmm")
def _addmm(g, c, cb):
    """bias + a @ b as Gemm; b = w.t() (nn.Linear's) reads w with transB=1 (the Transpose is then pruned)."""
    bias, a, b = c.args[:3]
    src = g.transposed.get(b.key) if b.kind == "call" else None
    if src is not None:
        return [g.node("Gemm", [g.value(a, "addmm"), g.value(src, "addmm"), g.value(bias, "addmm")], transB=1)]
    return [g.node("Gemm", [g.value(a, "addmm"), g.value(b, "addmm"), g.value(bias, "addmm")])]


def _moving(values, values_b):
    return [i for i, (a, b) in enumerate(zip(values, values_b)) if a != b]


@lowers("reshape", "view", dynamic=True)
def _reshape(g, c, cb):
    x, shape = c.args[0], list(c.args[1])
    shape_b = shape if cb is None else list(cb.args[1])
    moving = _moving(shape, shape_b)
    if len(moving) == 1 and -1 not in shape:  # one size follows the dynamic axes: ONNX infers it
        shape[moving[0]] = -1
        moving = []
    target = g.ints(shape) if not moving else g.shape_tensor(shape, shape_b, c.name)
    return [g.node("Reshape", [g.value(x, c.name), target])]


@lowers("expand", dynamic=True)
def _expand(g, c, cb):
    x, sizes = c.args[0], list(c.args[1])
    sizes_b = sizes if cb is None else list(cb.args[1])
    in_shape = (1,) * (len(sizes) - len(x.shape)) + tuple(x.shape)
    # -1, or a size the input already has, is the input's own size: 1 under ONNX's two-way broadcasting
    keep = [s == -1 or s == n for s, n in zip(sizes, in_shape)]
    sizes = [1 if k else s for k, s in zip(keep, sizes)]
    sizes_b = [1 if k else s for k, s in zip(keep, sizes_b)]
    return [g.node("Expand", [g.value(x, "expand"), g.shape_tensor(sizes, sizes_b, "expand")])]


@lowers("permute")
def _permute(g, c, cb):
    n = len(c.args[0].shape)
    return [g.node("Transpose", [_x(g, c)], perm=[d % n for d in c.args[1]])]


@lowers("transpose")
def _transpose(g, c, cb):
    x, d0, d1 = c.args[:3]
    perm = list(range(len(x.shape)))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    if len(perm) == 2 and perm == [1, 0]:
        g.transposed[c.outs[0].key] = x
    return [g.node("Transpose", [g.value(x, "transpose")], perm=perm)]


@lowers("squeeze")
def _squeeze(g, c, cb):
    x, dims = c.args[:2]
    n = len(x.shape)
    dims = range(n) if dims is None else [dims] if isinstance(dims, int) else dims
    axes = sorted({d % n for d in dims if x.shape[d % n] == 1})
    return [g.node("Squeeze", [_x(g, c), g.ints(axes)]) if axes else g.node("Identity", [_x(g, c)])]


@lowers("unsqueeze")
def _unsqueeze(g, c, cb):
    return [g.node("Unsqueeze", [_x(g, c), g.ints([c.args[1]])])]


def _bound(v, size, v_b, size_b, user, g):
    """A slice bound that may follow a dynamic axis: the size itself (to the end), or size - k."""
    if v >= size and (v_b is None or v_b >= size_b):
        return INT64_MAX
    if v_b is None or v == v_b:
        return v
    if v - size == v_b - size_b:
        return v - size
    raise UnsupportedOperatorError(user, g.opset, detail=f"A bound ({v}) depends on a dynamic axis in a way the "
                                   "export cannot express.")


@lowers("slice", dynamic=True)
def _slice(g, c, cb):
    x, dim, start, end, step = c.args[:5]
    size = x.shape[dim]
    size_b = None if cb is None else cb.args[0].shape[dim]
    start = _bound(start, size, None if cb is None else cb.args[2], size_b, "slice", g)
    end = _bound(end, size, None if cb is None else cb.args[3], size_b, "slice", g)
    if start == 0 and end == INT64_MAX and step == 1:
        return [g.node("Identity", [_x(g, c)])]
    return [g.node("Slice", [_x(g, c), g.ints([start]), g.ints([end]), g.ints([dim]), g.ints([step])])]


@lowers("_write_view")
def _write_view(g, c, cb):
    """A base with a slice/select view of it written in place: the parts of the base around the view's region
    concatenated with the view's new value, level by level (F.pad, `out[:, 0] = x`)."""
    base, value, chain = c.args
    chain_b = cb.args[2] if cb is not None else [None] * len(chain)
    return [_write(g, g.value(base), chain, chain_b, g.value(value))]


def _write(g, base, chain, chain_b, value):
    if not chain:
        return value
    v, vb = chain[0], chain_b[0]
    x, dim = v.args[0], v.args[1]
    size, size_b = x.shape[dim], None if vb is None else vb.args[0].shape[dim]
    if v.name == "select":
        start = v.args[2] % size
        if vb is not None and vb.args[2] % size_b != start:  # counted from the end of a dynamic axis
            start = _bound(start - size, 0, vb.args[2] % size_b - size_b, 0, "select", g)
        end = start + 1 if start != -1 else INT64_MAX
    else:
        if v.args[4] != 1:
            raise UnsupportedOperatorError("copy_", g.opset, detail="An in-place write into a strided slice.")
        start = _bound(v.args[2], size, None if vb is None else vb.args[2], size_b, "slice", g)
        end = _bound(v.args[3], size, None if vb is None else vb.args[3], size_b, "slice", g)
    region = g.node("Slice", [base, g.ints([start]), g.ints([end]), g.ints([dim])])
    if v.name == "select":
        region = g.node("Squeeze", [region, g.ints([dim])])
    inner = _write(g, region, chain[1:], chain_b[1:], value)
    if v.name == "select":
        inner = g.node("Unsqueeze", [inner, g.ints([dim])])
    parts = [inner]
    if start != 0:
        parts.insert(0, g.node("Slice", [base, g.ints([0]), g.ints([start]), g.ints([dim])]))
    if end != INT64_MAX:
        parts.append(g.node("Slice", [base, g.ints([end]), g.ints([INT64_MAX]), g.ints([dim])]))
    return parts[0] if len(parts) == 1 else g.node("Concat", parts, axis=dim)


@lowers("scatter_add_")
def _scatter_add(g, c, cb):
    x, dim, index, src = c.args[:4]
    if g.opset < 16:
        raise UnsupportedOperatorError("scatter_add_", g.opset, 16)
    if tuple(src.shape) != tuple(index.shape):
        raise UnsupportedOperatorError("scatter_add_", g.opset, detail="(an index smaller than src)")
    return [g.node("ScatterElements", [g.value(x), g.value(index), g.cast(src, x.dtype, "scatter_add_")], axis=dim,
                   reduction="add")]


@lowers("select")
def _select(g, c, cb):
    x, dim, index = c.args[:3]
    return [g.node("Gather", [_x(g, c), g.const(np.array(index, np.int64))], axis=dim)]


@lowers("flip")
def _flip(g, c, cb):
    dims = list(c.args[1])
    n = len(dims)
    return [g.node("Slice", [_x(g, c), g.ints([-1] * n), g.ints([-INT64_MAX] * n), g.ints(dims), g.ints([-1] * n)])]


@lowers("index")
def _index(g, c, cb):
    x, dim, indices = c.args[:3]
    if len(indices) != 1:
        raise UnsupportedOperatorError("index", g.opset, detail="Advanced indexing with more than one index tensor.")
    return [g.node("Gather", [g.value(x, "index"), g.value(indices[0], "index")], axis=dim)]


@lowers("index_select")
def _index_select(g, c, cb):
    x, dim, index = c.args[:3]
    return [g.node("Gather", [g.value(x, "index_select"), g.value(index, "index_select")], axis=dim)]


@lowers("gather")
def _gather(g, c, cb):
    x, dim, index = c.args[:3]
    return [g.node("GatherElements", [g.value(x, "gather"), g.value(index, "gather")], axis=dim)]


@lowers("cat")
def _cat(g, c, cb):
    tensors, dim = c.args[:2]
    dtype = _out_dtype(c)
    return [g.node("Concat", [g.cast(t, dtype, "cat") for t in tensors], axis=dim)]


def _batched(g, x, build):
    """Runs build on x with a batch dim added when x is unbatched (C, H, W)."""
    if len(x.shape) == 4:
        return build(g.value(x))
    return g.node("Squeeze", [build(g.node("Unsqueeze", [g.value(x), g.ints([0])])), g.ints([0])])


@lowers("conv2d")
def _conv2d(g, c, cb):
    x, w, b, stride, padding, dilation, groups = c.args[:7]
    ins = [g.value(w, "conv2d")] + ([] if b is None else [g.value(b, "conv2d")])
    return [_batched(g, x, lambda xn: g.node(
        "Conv", [xn] + ins, kernel_shape=list(w.shape[2:]), strides=list(stride), pads=list(padding) * 2,
        dilations=list(dilation), group=groups))]


@lowers("max_pool2d")
def _max_pool2d(g, c, cb):
    x, kernel, stride, padding, dilation, ceil_mode = c.args[:6]
    return [_batched(g, x, lambda xn: g.node(
        "MaxPool", [xn], kernel_shape=list(kernel), strides=list(stride), pads=list(padding) * 2,
        dilations=list(dilation), ceil_mode=int(ceil_mode))), None]


@lowers("avg_pool2d")
def _avg_pool2d(g, c, cb):
    x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override = c.args[:7]
    if divisor_override is not None:
        raise UnsupportedOperatorError("avg_pool2d", g.opset, detail="(divisor_override)")
    return [_batched(g, x, lambda xn: g.node(
        "AveragePool", [xn], kernel_shape=list(kernel), strides=list(stride), pads=list(padding) * 2,
        ceil_mode=int(ceil_mode), count_include_pad=int(count_include_pad)))]


@lowers("softmax")
def _softmax(g, c, cb):
    x, dim, log = c.args[:3]
    return [g.node("LogSoftmax" if log else "Softmax", [g.value(x, "softmax")], axis=dim)]


@lowers("nll_loss", "cross_entropy")
def _loss(g, c, cb):
    """NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss (class-index targets, a batch dim, no label smoothing)."""
    x, target, weight, reduction, ignore_index = c.args[:5]
    smoothing = c.args[5] if c.name == "cross_entropy" else 0.0
    if len(x.shape) < 2 or _is_float(target.dtype) or smoothing:
        raise UnsupportedOperatorError(c.name, g.opset, detail="(only class-index targets with a batch dimension, "
                                       "without label_smoothing)")
    ins = [g.value(x, c.name), g.cast(target, 3, c.name)] + ([] if weight is None else [g.value(weight, c.name)])
    loss = g.node("NegativeLogLikelihoodLoss" if c.name == "nll_loss" else "SoftmaxCrossEntropyLoss", ins,
                  reduction=("none", "mean", "sum")[reduction], ignore_index=int(ignore_index))
    return [loss] + [None] * (len(c.outs) - 1)


# ---- recurrent modules recorded whole
_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2)}  # torch's i,f,g,o -> ONNX's i,o,f,c; r,z,n -> z,r,h


def _gates(t, mode):
    """A weight or bias with torch's gate blocks in ONNX's order."""
    order = _GATE_ORDER.get(mode)
    if order is None:
        return t.detach()
    blocks = t.detach().chunk(len(order), 0)
    return cat([blocks[i] for i in order], 0)


@lowers(LSTM, GRU, RNN)
def _rnn(g, c, cb):
    """nn.LSTM / GRU / RNN as ONNX's LSTM / GRU / RNN, one node per layer (the weights in ONNX's gate order)."""
    m = c.name
    mode = m.mode
    if m.proj_size:
        raise UnsupportedOperatorError("LSTM", g.opset, detail="(proj_size)")
    x, states = c.args[0], c.args[1:]
    D, H = (2 if m.bidirectional else 1), m.hidden_size
    batched = len(x.shape) == 3
    seq = g.value(x, mode)
    if not batched:
        seq = g.node("Unsqueeze", [seq, g.ints([1])])
    elif m.batch_first:
        seq = g.node("Transpose", [seq], perm=[1, 0, 2])
    states = [g.value(s, mode) if batched else g.node("Unsqueeze", [g.value(s, mode), g.ints([1])]) for s in states]
    op_type = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    attrs = {"hidden_size": H, "direction": "bidirectional" if D == 2 else "forward"}
    if op_type == "GRU":
        attrs["linear_before_reset"] = 1
    if op_type == "RNN":
        attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"] * D
    finals = [[] for _ in range(2 if mode == "LSTM" else 1)]
    gate = {"LSTM": 4, "GRU": 3}.get(mode, 1) * H
    for layer in range(m.num_layers):
        names = m._all_weights[layer * D:(layer + 1) * D]
        w = stack([_gates(getattr(m, n[0]), mode) for n in names])
        r = stack([_gates(getattr(m, n[1]), mode) for n in names])
        if m.bias:
            b = stack([cat([_gates(getattr(m, n[2]), mode), _gates(getattr(m, n[3]), mode)]) for n in names])
        else:
            b = zeros(D, 2 * gate, dtype=w.dtype)
        ins = [seq, g.const(w.numpy()), g.const(r.numpy()), g.const(b.numpy()), ""]
        for s in states:
            ins.append(g.node("Slice", [s, g.ints([layer * D]), g.ints([(layer + 1) * D]), g.ints([0])]))
        y, *last = g.node(op_type, ins, n_out=3 if op_type == "LSTM" else 2, **attrs)
        for k, s in enumerate(last):
            finals[k].append(s)
        # Y is (L, D, N, H): the next layer's input (L, N, D*H)
        seq = g.node("Reshape", [g.node("Transpose", [y], perm=[0, 2, 1, 3]), g.ints([0, 0, -1])])
    out = seq
    if not batched:
        out = g.node("Squeeze", [out, g.ints([1])])
    elif m.batch_first:
        out = g.node("Transpose", [out], perm=[1, 0, 2])
    hs = [f[0] if len(f) == 1 else g.node("Concat", f, axis=0) for f in finals]
    if not batched:
        hs = [g.node("Squeeze", [h, g.ints([1])]) for h in hs]
    return [out] + hs
