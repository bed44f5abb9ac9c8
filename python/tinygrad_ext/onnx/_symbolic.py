"""Translations of the traced ops into ONNX nodes: one function per autograd op class of _ops.py (the
registry's elementwise ops are derived from _registry.OPS), and one per module exported whole.

A translation gets the graph builder, the Record (arguments with Values for tensors, output shapes and
dtypes) and the second trace's arguments (other input values, dynamic axes one longer: the sizes that
differ follow the dynamic axes); it returns one ONNX value name per output of the op (None for an output
it does not produce)."""
import math
import warnings

import numpy as np
import onnx

from .. import _ops, _registry
from ..nn.modules.normalization import BatchNorm1d, BatchNorm2d
from ..nn.modules.rnn import GRU, LSTM, RNN
from ..tensor import cat, ones, stack, zeros
from ._graph import INT64_MAX, onnx_dtype
from ._trace import Value, flatten_values, leaves
from .errors import UnsupportedOperatorError

CONVERTERS = {}
DYNAMIC_ARGS = set()  # ops whose plain arguments may follow the dynamic axes (the others must not change)


def converts(*ops, dynamic=False):
    def register(fn):
        for op in ops:
            CONVERTERS[op] = fn
            if dynamic:
                DYNAMIC_ARGS.add(op)
        return fn
    return register


def op_name(op):
    return type(op).__name__ if not isinstance(op, type) else op.__name__


def convert(g, index, rec, args_b):
    fn = CONVERTERS.get(rec.op) or CONVERTERS.get(type(rec.op))
    if fn is None:
        raise UnsupportedOperatorError(op_name(rec.op), g.opset)
    if args_b is not None and rec.op not in DYNAMIC_ARGS and leaves(rec.args) != leaves(args_b):
        raise UnsupportedOperatorError(op_name(rec.op), g.opset, detail="One of its arguments (a size, or the shape "
                                       "of a tensor made inside forward) depends on a dynamic axis or on the "
                                       "input values.")
    if args_b is not None:
        for va, vb in zip(flatten_values(rec.args), flatten_values(args_b)):
            if va.kind == vb.kind == "const" and va.data.shape == vb.data.shape and not _same(va.data, vb.data):
                warnings.warn(f"export(): a tensor that {op_name(rec.op)} uses changed with the input values but is "
                              "exported as a constant (it was computed without autograd: from an integer input, "
                              "through .item() or .numpy(), or randomly); the graph holds its traced value.",
                              stacklevel=4)
    names = fn(g, rec, args_b)
    for nr, name in enumerate(names):
        if name is not None:
            g.outputs[(index, nr)] = name


def _same(a, b):
    return np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def _operand(g, x, dtype, name):
    """An input of an elementwise op in the op's result dtype (a Python number as a 0-d constant)."""
    if isinstance(x, Value):
        return g.cast(g.value(x, name), dtype, g.dtype_of(x))
    return g.const(np.array(x, dtype=np.dtype(dtype.name)))


def _elementwise(op_type, **attrs):
    def fn(g, rec, _):
        dtype = rec.outs[0][1]
        return [g.node(op_type, [_operand(g, a, dtype, op_type) for a in rec.args[:2]], **attrs)]
    return fn


for _op, _onnx in ((_ops.Add, "Add"), (_ops.Sub, "Sub"), (_ops.Mul, "Mul"), (_ops.Div, "Div"), (_ops.Pow, "Pow"),
                   (_ops.Maximum, "Max"), (_ops.Minimum, "Min")):
    CONVERTERS[_op] = _elementwise(_onnx)


# ---- the registry's elementwise ops: ONNX's op of the same name where its schema has no attributes
def _schema(name, opset):
    return onnx.defs.get_schema(name, opset) if onnx.defs.has(name, opset) else None


_ONNX_NAMES = {s.name.lower(): s.name for s in onnx.defs.get_all_schemas() if s.domain == ""}
_FIRST_OPSET = {}  # ONNX op -> the opset that introduced it
for _s in onnx.defs.get_all_schemas_with_history():
    if _s.domain == "":
        _FIRST_OPSET[_s.name] = min(_s.since_version, _FIRST_OPSET.get(_s.name, _s.since_version))


def _registry_op(entry):
    onnx_name = _ONNX_NAMES.get(entry.name.replace("_", ""))

    def fn(g, rec, _):
        schema = _schema(onnx_name, g.opset) if onnx_name else None
        if schema is None or schema.attributes or entry.params:
            since = _FIRST_OPSET.get(onnx_name) if not entry.params else None
            raise UnsupportedOperatorError(entry.name, g.opset, since if since and since > g.opset else None)
        dtype = rec.outs[0][1]
        n = 1 if entry.unary else 2
        return [g.node(onnx_name, [_operand(g, a, dtype, entry.name) for a in rec.args[:n]])]
    return fn


for _e in _registry.OPS:
    if _e.name in _ops.REGISTERED:
        CONVERTERS[_ops.REGISTERED[_e.name]] = _registry_op(_e)


def _registered(name):
    return _ops.REGISTERED[name]


def _unary_x(g, rec):
    return g.value(rec.args[0], op_name(rec.op))


@converts(_registered("hardsigmoid"))
def _hardsigmoid(g, rec, _):
    return [g.node("HardSigmoid", [_unary_x(g, rec)], alpha=1.0 / 6, beta=0.5)]


@converts(_registered("silu"))
def _silu(g, rec, _):
    x = _unary_x(g, rec)
    return [g.node("Mul", [x, g.node("Sigmoid", [x])])]


@converts(_registered("gelu"))
def _gelu(g, rec, _):
    x = _unary_x(g, rec)
    if g.opset >= 20:
        return [g.node("Gelu", [x])]
    dt = np.dtype(rec.outs[0][1].name)
    erf = g.node("Erf", [g.node("Mul", [x, g.const(np.array(math.sqrt(0.5), dt))])])
    half_x = g.node("Mul", [x, g.const(np.array(0.5, dt))])
    return [g.node("Mul", [half_x, g.node("Add", [erf, g.const(np.array(1.0, dt))])])]


@converts(_registered("elu"))
def _elu(g, rec, _):
    alpha, scale, input_scale = rec.args[1:4]
    x = _unary_x(g, rec)
    if (alpha, scale) == (_registry.SELU_ALPHA, _registry.SELU_SCALE) and input_scale == 1:
        return [g.node("Selu", [x], alpha=alpha, gamma=scale)]
    if scale == 1 and input_scale == 1:
        return [g.node("Elu", [x], alpha=alpha)]
    if scale == 1 and input_scale == 1 / alpha:
        return [g.node("Celu", [x], alpha=alpha)]
    raise UnsupportedOperatorError("elu", g.opset, detail=f"(scale={scale}, input_scale={input_scale})")


@converts(_registered("softplus"))
def _softplus(g, rec, _):
    beta = rec.args[1]
    x = _unary_x(g, rec)
    if beta == 1:
        return [g.node("Softplus", [x])]
    b = g.const(np.array(beta, np.dtype(rec.outs[0][1].name)))
    return [g.node("Div", [g.node("Softplus", [g.node("Mul", [x, b])]), b])]


@converts(_registered("prelu"))
def _prelu(g, rec, _):
    return [g.node("PRelu", [g.value(rec.args[0]), g.value(rec.args[1])])]


@converts(_ops.LeakyRelu)
def _leaky_relu(g, rec, _):
    return [g.node("LeakyRelu", [_unary_x(g, rec)], alpha=float(rec.args[1]))]


@converts(_ops.Clamp)
def _clamp(g, rec, _):
    x, lo, hi = rec.args
    dt = np.dtype(rec.outs[0][1].name)
    bounds = ["" if b is None else g.const(np.array(b, dt)) for b in (lo, hi)]
    return [g.node("Clip", [g.value(x, "clamp")] + bounds)]


@converts(_ops.ClampT)
def _clamp_tensor(g, rec, _):
    x, lo, hi = rec.args
    out = g.value(x, "clamp")
    for bound, op_type in ((lo, "Max"), (hi, "Min")):
        if bound is not None:
            out = g.node(op_type, [out, _operand(g, bound, rec.outs[0][1], "clamp")])
    return [out]


@converts(_ops.Where)
def _where(g, rec, _):
    cond, a, b = rec.args
    dtype = rec.outs[0][1]
    return [g.node("Where", [g.value(cond), _operand(g, a, dtype, "where"), _operand(g, b, dtype, "where")])]


@converts(_ops.MaskedFill)
def _masked_fill(g, rec, _):
    x, mask, value = rec.args
    dtype = rec.outs[0][1]
    return [g.node("Where", [g.value(mask), _operand(g, value, dtype, "masked_fill"), g.value(x)])]


@converts(_ops.ToDtype)
def _to_dtype(g, rec, _):
    return [g.node("Cast", [_unary_x(g, rec)], to=onnx_dtype(rec.args[1]))]


@converts(_ops.ToDevice, _ops.Clone)
def _identity(g, rec, _):
    return [g.node("Identity", [_unary_x(g, rec)])]


_ONNX_REDUCE = {"sum": "ReduceSum", "mean": "ReduceMean", "prod": "ReduceProd", "amax": "ReduceMax",
                "amin": "ReduceMin"}


@converts(*(_ops.REDUCTION_OPS[name] for name in _ONNX_REDUCE))
def _reduce(g, rec, _):
    x, dims, keepdim, dtype = rec.args
    name = rec.op.entry.name
    out = g.reduce(_ONNX_REDUCE[name], g.value(x, name), list(dims or ()), keepdim)
    return [out if dtype is None else g.node("Cast", [out], to=onnx_dtype(dtype))]


@converts(_ops.MaxAll)
def _max_all(g, rec, _):
    x, is_max = rec.args
    return [g.reduce("ReduceMax" if is_max else "ReduceMin", g.value(x, "max"), [], False)]


@converts(_ops.MaxDim)
def _max_dim(g, rec, _):
    x, dim, keepdim, is_max = rec.args
    xn = g.value(x, "max")
    values = g.reduce("ReduceMax" if is_max else "ReduceMin", xn, [dim], keepdim)
    return [values, g.node("ArgMax" if is_max else "ArgMin", [xn], axis=dim, keepdims=int(keepdim))]


@converts(_ops.StdSqrt)
def _std_sqrt(g, rec, _):
    return [g.node("Sqrt", [_unary_x(g, rec)])]


@converts(_ops.Cumsum)
def _cumsum(g, rec, _):
    x, dim, dtype = rec.args
    out = g.node("CumSum", [g.value(x, "cumsum"), g.const(np.array(dim, np.int64))])
    return [out if dtype is None else g.node("Cast", [out], to=onnx_dtype(dtype))]


@converts(_ops.Mm, _ops.Bmm)
def _matmul(g, rec, _):
    return [g.node("MatMul", [g.value(rec.args[0], "mm"), g.value(rec.args[1], "mm")])]


@converts(_ops.Addmm)
def _addmm(g, rec, _):
    bias, a, b = (g.value(v, "addmm") for v in rec.args)
    return [g.node("Gemm", [a, b, bias])]


@converts(_ops.Linear)
def _linear(g, rec, _):
    x, w, b = rec.args
    ins = [g.value(x, "linear"), g.value(w, "linear")] + ([] if b is None else [g.value(b, "linear")])
    return [g.node("Gemm", ins, transB=1)]


@converts(_ops.Reshape, dynamic=True)
def _reshape(g, rec, args_b):
    x, shape = rec.args[0], list(rec.args[1])
    shape_b = shape if args_b is None else list(args_b[1])
    moving = [i for i, (a, b) in enumerate(zip(shape, shape_b)) if a != b]
    if len(moving) == 1 and -1 not in shape:  # one size follows the dynamic axes: ONNX infers it
        shape[moving[0]] = -1
        moving = []
    target = g.ints(shape) if not moving else g.shape_tensor(shape, shape_b, "reshape")
    return [g.node("Reshape", [g.value(x, "reshape"), target])]


@converts(_ops.Expand, dynamic=True)
def _expand(g, rec, args_b):
    x, sizes = rec.args[0], list(rec.args[1])
    sizes_b = sizes if args_b is None else list(args_b[1])
    in_shape = (1,) * (len(sizes) - len(g.shape_of(x))) + tuple(g.shape_of(x))
    # -1, or a size the input already has, is the input's own size: 1 under ONNX's two-way broadcasting
    keep = [s == -1 or s == n for s, n in zip(sizes, in_shape)]
    sizes = [1 if k else s for k, s in zip(keep, sizes)]
    sizes_b = [1 if k else s for k, s in zip(keep, sizes_b)]
    return [g.node("Expand", [g.value(x, "expand"), g.shape_tensor(sizes, sizes_b, "expand")])]


@converts(_ops.Permute)
def _permute(g, rec, _):
    n = len(g.shape_of(rec.args[0]))
    return [g.node("Transpose", [_unary_x(g, rec)], perm=[d % n for d in rec.args[1]])]


@converts(_ops.Transpose)
def _transpose(g, rec, _):
    x, d0, d1 = rec.args
    perm = list(range(len(g.shape_of(x))))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return [g.node("Transpose", [g.value(x, "transpose")], perm=perm)]


@converts(_ops.BasicIndex)
def _basic_index(g, rec, _):
    """x[key], key of ints, slices and None: one Slice, then Squeeze (ints) and Unsqueeze (None)."""
    x, key = rec.args
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = out_dim = 0
    for k in key:
        if k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
            continue
        if isinstance(k, slice):
            start, stop, step = k.start or 0, INT64_MAX if k.stop is None else k.stop, k.step or 1
            out_dim += 1
        else:
            start, stop, step = k, k + 1 if k != -1 else INT64_MAX, 1
            squeeze.append(dim)
        if (start, stop, step) != (0, INT64_MAX, 1):
            starts.append(start), ends.append(stop), axes.append(dim), steps.append(step)
        dim += 1
    out = source = g.value(x, "index")
    if axes:
        out = g.node("Slice", [out, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        out = g.node("Squeeze", [out, g.ints(squeeze)])
    if unsqueeze:
        out = g.node("Unsqueeze", [out, g.ints(unsqueeze)])
    return [out if out is not source else g.node("Identity", [out])]


@converts(_ops.Index)
def _index(g, rec, _):
    x, dim, indices = rec.args
    if len(indices) != 1:
        raise UnsupportedOperatorError("index", g.opset, detail="Advanced indexing with more than one index tensor.")
    return [g.node("Gather", [g.value(x, "index"), g.value(indices[0], "index")], axis=dim)]


@converts(_ops.IndexSelect)
def _index_select(g, rec, _):
    x, dim, index = rec.args  # (index is 1-D: Tensor.index_select reshapes a 0-d one)
    return [g.node("Gather", [g.value(x, "index_select"), g.value(index, "index_select")],
                   axis=dim % len(rec.outs[0][0]))]


@converts(_ops.Gather)
def _gather(g, rec, _):
    x, dim, index = rec.args
    return [g.node("GatherElements", [g.value(x, "gather"), g.value(index, "gather")], axis=dim)]


@converts(_ops.Embedding)
def _embedding(g, rec, _):
    weight, indices = rec.args[:2]
    return [g.node("Gather", [g.value(weight, "embedding"), g.value(indices, "embedding")], axis=0)]


@converts(_ops.Cat)
def _cat(g, rec, _):
    dim, tensors = rec.args[0], rec.args[1:]
    dtype = rec.outs[0][1]
    return [g.node("Concat", [_operand(g, t, dtype, "cat") for t in tensors], axis=dim)]


def _batched(g, x, ndim, build):
    """Runs build on x with a batch dim added when x is unbatched (ndim spatial dims + channels)."""
    if len(g.shape_of(x)) == ndim + 2:
        return build(g.value(x))
    return g.node("Squeeze", [build(g.node("Unsqueeze", [g.value(x), g.ints([0])])), g.ints([0])])


@converts(_ops.Conv2d)
def _conv2d(g, rec, _):
    x, w, b, stride, padding, dilation, groups = rec.args
    ins = [g.value(w, "conv2d")] + ([] if b is None else [g.value(b, "conv2d")])
    return [_batched(g, x, 2, lambda xn: g.node(
        "Conv", [xn] + ins, kernel_shape=list(g.shape_of(w)[2:]), strides=list(stride), pads=list(padding) * 2,
        dilations=list(dilation), group=groups))]


@converts(_ops.MaxPool2d)
def _max_pool2d(g, rec, _):
    x, kernel, stride, padding, dilation, ceil_mode = rec.args
    return [_batched(g, x, 2, lambda xn: g.node(
        "MaxPool", [xn], kernel_shape=list(kernel), strides=list(stride), pads=list(padding) * 2,
        dilations=list(dilation), ceil_mode=int(ceil_mode))), None]


@converts(_ops.AvgPool2d)
def _avg_pool2d(g, rec, _):
    x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override = rec.args
    if divisor_override is not None:
        raise UnsupportedOperatorError("avg_pool2d", g.opset, detail="(divisor_override)")
    return [_batched(g, x, 2, lambda xn: g.node(
        "AveragePool", [xn], kernel_shape=list(kernel), strides=list(stride), pads=list(padding) * 2,
        ceil_mode=int(ceil_mode), count_include_pad=int(count_include_pad)))]


@converts(_ops.Softmax)
def _softmax(g, rec, _):
    x, dim, log = rec.args
    return [g.node("LogSoftmax" if log else "Softmax", [g.value(x, "softmax")], axis=dim)]


# ---- modules exported whole
def whole_module(m):
    """The modules translated as one ONNX op instead of their traced ops."""
    if isinstance(m, (BatchNorm1d, BatchNorm2d)):
        return not m.training and m.running_mean is not None
    return isinstance(m, (LSTM, GRU, RNN))


@converts(BatchNorm1d, BatchNorm2d)
def _batch_norm(g, rec, _):
    m, (x,) = rec.op, rec.args
    n = m.num_features
    scale = g.value(Value("state", _state_name(g, m, "weight"), m.weight.detach().numpy())) if m.weight is not None \
        else g.const(ones(n, dtype=m.running_mean.dtype).numpy())
    bias = g.value(Value("state", _state_name(g, m, "bias"), m.bias.detach().numpy())) if m.bias is not None \
        else g.const(zeros(n, dtype=m.running_mean.dtype).numpy())
    stats = [g.value(Value("state", _state_name(g, m, k), getattr(m, k).numpy())) for k in ("running_mean",
                                                                                           "running_var")]
    return [g.node("BatchNormalization", [g.value(x, "batch_norm"), scale, bias] + stats, epsilon=m.eps,
                   momentum=1 - m.momentum if m.momentum is not None else 0.9)]


def _state_name(g, module, attr):
    return g.state_names[id(getattr(module, attr))]


_GATE_ORDER = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2)}  # torch's i,f,g,o -> ONNX's i,o,f,c; r,z,n -> z,r,h


def _gates(t, mode):
    """A weight or bias with torch's gate blocks in ONNX's order."""
    order = _GATE_ORDER.get(mode)
    if order is None:
        return t.detach()
    blocks = t.detach().chunk(len(order), 0)
    return cat([blocks[i] for i in order], 0)


@converts(LSTM, GRU, RNN)
def _rnn(g, rec, _):
    """nn.LSTM / GRU / RNN as ONNX's LSTM / GRU / RNN, one node per layer."""
    m = rec.op
    mode = m.mode
    if m.proj_size:
        raise UnsupportedOperatorError("LSTM", g.opset, detail="(proj_size)")
    x, hx = rec.args[0], rec.args[1] if len(rec.args) > 1 else None
    D, H = (2 if m.bidirectional else 1), m.hidden_size
    batched = len(g.shape_of(x)) == 3
    seq = g.value(x, mode)
    if not batched:
        seq = g.node("Unsqueeze", [seq, g.ints([1])])
    elif m.batch_first:
        seq = g.node("Transpose", [seq], perm=[1, 0, 2])
    states = [] if hx is None else ([hx] if mode != "LSTM" else list(hx))
    states = [g.value(s, mode) if batched else g.node("Unsqueeze", [g.value(s, mode), g.ints([1])]) for s in states]
    op_type = {"LSTM": "LSTM", "GRU": "GRU"}.get(mode, "RNN")
    attrs = {"hidden_size": H, "direction": "bidirectional" if D == 2 else "forward"}
    if op_type == "GRU":
        attrs["linear_before_reset"] = 1
    if op_type == "RNN":
        attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"] * D
    finals = [[] for _ in range(max(len(states), 2 if mode == "LSTM" else 1))]
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
