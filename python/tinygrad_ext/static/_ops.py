"""The op table of tinygrad_ext.static: for each op type, how a Session runs it (tinygrad_ext Tensor ops,
so all math runs in the core) and its gradient rule (built as graph nodes); and the builder functions
of the TensorFlow API that add those nodes (static shape and dtype inference included).

The elementwise ops come from the core's op registry (_registry.py): each TensorFlow op names the
registry entry whose kernel it runs, and the unary ops' gradients are the registry's derivative
formulas, evaluated on graph nodes instead of Tensors (there is no second formula here).
"""
import functools
import math
import numbers

import numpy as np

from .. import _ops as _core_ops
from .. import _registry
import tinygrad_ext as _torch
from ._graph import Node, TensorShape, as_dtype, bool_, float32, get_default_graph

Tensor = _torch.Tensor


class OpDef:
    """How a Session runs one op type. `make(node, device, session)` returns the kernel: a callable taking
    the input values (Tensors) and returning the output Tensor. `pure` ops may be constant-folded and
    merged by common-subexpression elimination; random and stateful ops may not."""

    __slots__ = ("make", "pure")

    def __init__(self, make, pure=True):
        self.make, self.pure = make, pure


OPS = {}        # op type -> OpDef
GRADIENTS = {}  # op type -> rule(node, grad, needs) -> one gradient node (or None) per input


def register(type_name, kernel=None, make=None, pure=True, grad=None):
    """Declares an op type: `kernel(attrs, *inputs)` (or the lower-level `make`) and its gradient rule."""
    if make is None:
        def make(node, device, session, _k=kernel):
            return functools.partial(_k, node.attrs) if node.attrs is not None else _k
    OPS[type_name] = OpDef(make, pure)
    if grad is not None:
        GRADIENTS[type_name] = grad


# ------------------------------------------------------------------------------------------ building
def _graph_of(values):
    first = None
    for v in values:
        if isinstance(v, Node):
            if first is None:
                first = v
            elif v.graph is not first.graph:
                raise ValueError(f"{v} must be from the same graph as {first}.")
    return first.graph if first is not None else get_default_graph()


def make_node(type_name, inputs, attrs, shape, dtype, name=None, graph=None, control_inputs=()):
    graph = graph if graph is not None else _graph_of(inputs)
    return Node(graph, type_name, inputs, attrs, shape, dtype, graph.unique_name(name or type_name), control_inputs)


def _numpy_value(value, dtype, op="Const", arg="value"):
    """`value` as a new C-contiguous numpy array of `dtype` (or of TensorFlow's inferred dtype: Python
    floats float32, Python ints int32 when they fit, numpy values keep theirs)."""
    if isinstance(value, Node):
        raise TypeError("The value of a constant cannot be a tf.Tensor object.")
    if isinstance(value, Tensor):
        value = value.detach().cpu().numpy()
    if dtype is not None:
        dtype = as_dtype(dtype)
        arr = np.asarray(value)
        if arr.dtype == object:
            raise TypeError(f"Failed to convert object of type {type(value)} to Tensor.")
        if dtype.is_integer and arr.dtype.kind == "f" and not np.all(arr == np.trunc(arr)):
            raise TypeError(f"Expected {dtype.name} passed to parameter '{arg}' of op '{op}', got {value!r} of type "
                            f"'{type(value).__name__}' instead. Error: Value {value!r} cannot be converted to "
                            f"{dtype.name}.")
        return np.array(arr, dtype=dtype.name)
    if isinstance(value, (np.ndarray, np.generic)):
        return np.array(value)
    arr = np.array(value)
    if arr.dtype == object:
        raise TypeError(f"Failed to convert object of type {type(value)} to Tensor.")
    if arr.dtype.kind == "f":
        return arr.astype(np.float32)
    if arr.dtype.kind in "iu":
        fits = arr.size == 0 or (arr.min() >= -2**31 and arr.max() < 2**31)
        return arr.astype(np.int32 if fits else np.int64)
    return arr


def const(value, name="Const", graph=None):
    """A Const node holding the Tensor `value` (which it owns: nothing else writes to it)."""
    return make_node("Const", (), {"value": value}, tuple(value.shape), as_dtype(value.dtype), name, graph)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    arr = _numpy_value(value, dtype)
    if arr.dtype.name not in ("float32", "float64", "int32", "int64", "uint8", "bool"):
        raise TypeError(f"Unsupported dtype {arr.dtype} for a constant: use float32, float64, int32, int64 or bool.")
    t = _torch.from_numpy(arr)
    if shape is not None:
        shape = tuple(int(d) for d in ([shape] if isinstance(shape, int) else shape))
        n = math.prod(shape)
        if t.numel() == 1:
            t = _torch.full(shape, t.reshape(()).item(), dtype=t.dtype)
        elif t.numel() == n and not verify_shape:
            t = t.reshape(shape)
        else:
            raise TypeError(f"Expected Tensor's shape: {shape}, got {tuple(arr.shape)}." if t.numel() <= n else
                            f"Too many elements provided. Needed at most {n}, but received {t.numel()}")
    return const(t, name or "Const")


def convert_to_tensor(value, dtype=None, name=None, op="Const", arg="value"):
    if isinstance(value, Node):
        if value.is_operation:
            raise TypeError(f"Can not convert a {type(value).__name__} into a Tensor: {value!r} is an Operation.")
        if dtype is not None and as_dtype(dtype) is not value.dtype:
            raise ValueError(f"Tensor conversion requested dtype {as_dtype(dtype).name} for Tensor with dtype "
                             f"{value.dtype.name}: {value}")
        return value
    t = _torch.from_numpy(_numpy_value(value, dtype, op, arg))
    return const(t, name or "Const")


def _static_numel(shape, axes=None):
    """The number of elements in `axes` of a static shape, or None when one of them is unknown."""
    if shape.dims is None:
        return None
    dims = [shape[a] for a in axes] if axes is not None else list(shape)
    return None if None in dims else math.prod(dims)


def _broadcast_shape(a, b, name, type_name):
    if a.dims is None or b.dims is None:
        return TensorShape(None)
    out = []
    for i in range(max(len(a), len(b))):
        x = a[len(a) - 1 - i] if i < len(a) else 1
        y = b[len(b) - 1 - i] if i < len(b) else 1
        if x == 1 or (x is None and y not in (None, 1)):
            out.append(y)
        elif y == 1 or y is None or x == y:
            out.append(x)
        else:
            raise ValueError(f"Dimensions must be equal, but are {x} and {y} for '{name}' (op: '{type_name}') with "
                             f"input shapes: {a._brackets()}, {b._brackets()}.")
    return TensorShape(out[::-1])


def _operands(x, y, type_name):
    """Both operands as nodes of one dtype: a Python or numpy value takes the other operand's dtype."""
    if not isinstance(x, Node) and not isinstance(y, Node):
        x = convert_to_tensor(x, op=type_name, arg="x")
    if not isinstance(x, Node):
        x = convert_to_tensor(x, y.dtype, op=type_name, arg="x")
    elif not isinstance(y, Node):
        y = convert_to_tensor(y, x.dtype, op=type_name, arg="y")
    if x.dtype is not y.dtype:
        raise TypeError(f"Input 'y' of '{type_name}' Op has type {y.dtype.name} that does not match type "
                        f"{x.dtype.name} of argument 'x'.")
    return x, y


def _sum_to(g, x):
    """g summed back to x's shape (the gradient of a broadcast); nothing when the shapes already agree."""
    if g.shape.is_fully_defined() and tuple(g.shape) == tuple(x.shape):
        return g
    return make_node("SumTo", (g, x), None, x.shape, g.dtype)


# ------------------------------------------------------------------------ elementwise, from the registry
# TensorFlow's op type -> the registry entry whose kernel runs it
BINARY = {"AddV2": "add", "Sub": "sub", "Mul": "mul", "RealDiv": "div", "Pow": "pow", "Maximum": "maximum",
          "Minimum": "minimum", "FloorDiv": "floor_divide", "FloorMod": "remainder", "Atan2": "atan2",
          "Less": "lt", "LessEqual": "le", "Greater": "gt", "GreaterEqual": "ge", "Equal": "eq", "NotEqual": "ne",
          "LogicalAnd": "logical_and", "LogicalOr": "logical_or"}
UNARY = {"".join(w.capitalize() for w in e.name.split("_")): e.name for e in _registry.OPS  # (no scalar parameters)
         if e.unary and e.python is not None and not e.params and not e.kernel and hasattr(Tensor, e.name)}


def binary(type_name, x, y, name=None):
    x, y = _operands(x, y, type_name)
    entry = _registry.BY_NAME[BINARY[type_name]]
    if entry.family.startswith("binary_float") and not x.dtype.is_floating:
        x, y = cast(x, "float64"), cast(y, "float64")  # TensorFlow's truediv of integers is float64
    name = name or type_name
    shape = _broadcast_shape(x.shape, y.shape, name, type_name)
    return make_node(type_name, (x, y), None, shape, bool_ if entry.family == "compare" else x.dtype, name)


def unary(type_name, x, name=None):
    x = convert_to_tensor(x)
    entry = _registry.BY_NAME[UNARY[type_name]]
    if entry.family.startswith("unary_float") and not x.dtype.is_floating:
        raise TypeError(f"Value passed to parameter 'x' has DataType {x.dtype.name} not in list of allowed values: "
                        "float32, float64")
    return make_node(type_name, (x,), None, x.shape, x.dtype, name)


def _registry_grad(entry, params):
    """A gradient rule evaluating the registry entry's formulas on graph nodes."""
    formulas = [_core_ops._formula(f, params) for f in entry.grad]

    def rule(node, g, needs):
        if len(params) == 3:
            return (formulas[0](g, node.inputs[0], node),)
        a, b = node.inputs
        return tuple(_sum_to(f(g, a, b, node), x) if need else None for f, x, need in zip(formulas, (a, b), needs))
    return rule


for _type, _name in UNARY.items():
    register(_type, getattr(Tensor, _name), grad=_registry_grad(_registry.BY_NAME[_name], ("grad", "self", "result"))
             if _registry.BY_NAME[_name].grad else None)
for _type, _name in BINARY.items():
    _e = _registry.BY_NAME[_name]
    register(_type, getattr(Tensor, _name),
             grad=_registry_grad(_e, ("grad", "self", "other", "result")) if _e.grad else None)
del _type, _name, _e


def _grads(node, needs, *fns):
    """One gradient per input: fns[i]() summed to input i's shape where needed, None elsewhere."""
    return tuple(_sum_to(fn(), x) if need else None for fn, x, need in zip(fns, node.inputs, needs))


def _maximum_grad(node, g, needs):
    # NOTE: TensorFlow's rule: on a tie the whole gradient goes to x (torch's splits it).
    x, y = node.inputs
    mask = (greater_equal if node.type == "Maximum" else less_equal)(x, y)
    zero = zeros((), g.dtype)
    return _grads(node, needs, lambda: where(mask, g, zero), lambda: where(mask, zero, g))


def _pow_grad(node, g, needs):
    x, y = node.inputs
    return _grads(node, needs, lambda: g * y * pow(x, y - 1),
                  lambda: g * node * where(x > 0, log(where(x > 0, x, ones_like(x))), zeros_like(x)))


GRADIENTS.update({
    "AddV2": lambda node, g, needs: _grads(node, needs, lambda: g, lambda: g),
    "Sub": lambda node, g, needs: _grads(node, needs, lambda: g, lambda: -g),
    "Mul": lambda node, g, needs: _grads(node, needs, lambda: g * node.inputs[1], lambda: g * node.inputs[0]),
    "RealDiv": lambda node, g, needs: _grads(node, needs, lambda: g / node.inputs[1],
                                             lambda: -g * node.inputs[0] / node.inputs[1] / node.inputs[1]),
    "Pow": _pow_grad, "Maximum": _maximum_grad, "Minimum": _maximum_grad,
})


def add(x, y, name=None):
    return binary("AddV2", x, y, name)


def subtract(x, y, name=None):
    return binary("Sub", x, y, name)


def multiply(x, y, name=None):
    return binary("Mul", x, y, name)


def divide(x, y, name=None):
    return binary("RealDiv", x, y, name)


def pow(x, y, name=None):  # tf.pow
    return binary("Pow", x, y, name)


def maximum(x, y, name=None):
    return binary("Maximum", x, y, name)


def minimum(x, y, name=None):
    return binary("Minimum", x, y, name)


def floordiv(x, y, name=None):
    return binary("FloorDiv", x, y, name)


def mod(x, y, name=None):
    return binary("FloorMod", x, y, name)


def atan2(y, x, name=None):
    return binary("Atan2", y, x, name)


def less(x, y, name=None):
    return binary("Less", x, y, name)


def less_equal(x, y, name=None):
    return binary("LessEqual", x, y, name)


def greater(x, y, name=None):
    return binary("Greater", x, y, name)


def greater_equal(x, y, name=None):
    return binary("GreaterEqual", x, y, name)


def equal(x, y, name=None):
    return binary("Equal", x, y, name)


def not_equal(x, y, name=None):
    return binary("NotEqual", x, y, name)


def logical_and(x, y, name=None):
    return binary("LogicalAnd", x, y, name)


def logical_or(x, y, name=None):
    return binary("LogicalOr", x, y, name)


def _unary_api(type_name):
    def fn(x, name=None):
        return unary(type_name, x, name)
    fn.__name__ = UNARY[type_name]
    return fn


# tf.exp, tf.log, tf.sigmoid, tf.nn.relu, ...: one per registry entry (TensorFlow's names are the registry's)
UNARY_API = {name: _unary_api(type_name) for type_name, name in UNARY.items()}
negative, log, sign = UNARY_API["neg"], UNARY_API["log"], UNARY_API["sign"]


def logical_not(x, name=None):
    x = convert_to_tensor(x)
    return make_node("LogicalNot", (x,), None, x.shape, bool_, name)


register("LogicalNot", Tensor.logical_not)


# --------------------------------------------------------------------------------- casts and selection
def cast(x, dtype, name=None):
    x, dtype = convert_to_tensor(x), as_dtype(dtype)
    if x.dtype is dtype:
        return x
    return make_node("Cast", (x,), {"dtype": dtype}, x.shape, dtype, name)


register("Cast", lambda attrs, x: x.to(attrs["dtype"].torch),
         grad=lambda node, g, needs: (cast(g, node.inputs[0].dtype) if node.inputs[0].dtype.is_floating else None,))


def where(condition, x=None, y=None, name=None):
    if x is None or y is None:
        raise ValueError("tf.where without x and y (the indices of true elements) is not supported; pass x and y.")
    condition = convert_to_tensor(condition)
    x, y = _operands(x, y, "Select")
    shape = _broadcast_shape(_broadcast_shape(condition.shape, x.shape, name, "Select"), y.shape, name, "Select")
    return make_node("Select", (condition, x, y), None, shape, x.dtype, name)


def _select_grad(node, g, needs):
    c, zero = node.inputs[0], zeros((), g.dtype)
    return _grads(node, needs, lambda: None, lambda: where(c, g, zero), lambda: where(c, zero, g))


register("Select", lambda c, x, y: _torch.where(c, x, y), grad=_select_grad)


def identity(input, name=None):
    input = convert_to_tensor(input)
    return make_node("Identity", (input,), None, input.shape, input.dtype, name)


def stop_gradient(input, name=None):
    input = convert_to_tensor(input)
    return make_node("StopGradient", (input,), None, input.shape, input.dtype, name)


register("Identity", lambda x: x, grad=lambda node, g, needs: (g,))
register("StopGradient", lambda x: x, grad=lambda node, g, needs: (None,))


def add_n(inputs, name=None):
    inputs = [convert_to_tensor(x) for x in inputs]
    if len(inputs) == 1:
        return inputs[0]
    shape = inputs[0].shape
    for x in inputs[1:]:
        shape = _broadcast_shape(shape, x.shape, name or "AddN", "AddN")
    return make_node("AddN", inputs, None, shape, inputs[0].dtype, name)


def _add_values(a, b):
    if type(a) is tuple:  # the gradients of a tuple-valued op (tf.while_loop's), item by item
        return tuple(y if x is None else x if y is None else x + y for x, y in zip(a, b))
    return a + b


register("AddN", lambda *xs: functools.reduce(_add_values, xs),
         grad=lambda node, g, needs: tuple(g if need else None for need in needs))


# ------------------------------------------------------------------------------- creation and random
def _shape_arg(shape):
    if isinstance(shape, Node):
        raise TypeError("A shape given as a tf.Tensor is not supported: pass a tuple of ints.")
    return (int(shape),) if isinstance(shape, numbers.Integral) else tuple(int(d) for d in shape)


def fill(dims, value, name=None):
    arr = _numpy_value(value, None)
    return const(_torch.full(_shape_arg(dims), arr.item(), dtype=as_dtype(arr.dtype.name).torch), name or "Fill")


def zeros(shape, dtype=float32, name=None):
    return const(_torch.zeros(_shape_arg(shape), dtype=as_dtype(dtype).torch), name or "zeros")


def ones(shape, dtype=float32, name=None):
    return const(_torch.ones(_shape_arg(shape), dtype=as_dtype(dtype).torch), name or "ones")


def _filled_like(type_name, value, tensor, dtype, name, optimize):
    tensor = convert_to_tensor(tensor)
    dtype = as_dtype(dtype) if dtype is not None else tensor.dtype
    if optimize and tensor.shape.is_fully_defined():
        return const(_torch.full(tuple(tensor.shape), value, dtype=dtype.torch), name or type_name)
    return make_node(type_name, (tensor,), {"dtype": dtype, "value": value}, tensor.shape, dtype, name)


def zeros_like(tensor, dtype=None, name=None, optimize=True):
    return _filled_like("ZerosLike", 0, tensor, dtype, name, optimize)


def ones_like(tensor, dtype=None, name=None, optimize=True):
    return _filled_like("OnesLike", 1, tensor, dtype, name, optimize)


for _type in ("ZerosLike", "OnesLike"):
    register(_type, lambda attrs, x: _torch.full_like(x, attrs["value"], dtype=attrs["dtype"].torch))
del _type


def random_normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, name=None, _truncate=False):
    dtype = as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError(f"Invalid dtype {dtype!r} for random_normal: use a floating-point dtype.")
    graph = get_default_graph()
    attrs = {"shape": _shape_arg(shape), "dtype": dtype, "a": float(mean), "b": float(stddev),
             "seed": _seed(graph, seed), "truncate": _truncate}
    return make_node("RandomStandardNormal", (), attrs, attrs["shape"], dtype, name or "random_normal", graph)


def random_uniform(shape, minval=0, maxval=None, dtype=float32, seed=None, name=None):
    dtype = as_dtype(dtype)
    if maxval is None:
        if not dtype.is_floating:
            raise ValueError(f"Must specify maxval for integer dtype {dtype!r}")
        maxval = 1.0
    graph = get_default_graph()
    attrs = {"shape": _shape_arg(shape), "dtype": dtype, "a": minval, "b": maxval, "seed": _seed(graph, seed),
             "truncate": False}
    return make_node("RandomUniform", (), attrs, attrs["shape"], dtype, name or "random_uniform", graph)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=float32, seed=None, name=None):
    """Normal values redrawn where they fall outside two standard deviations, as TensorFlow's."""
    return random_normal(shape, mean, stddev, dtype, seed, name or "truncated_normal", _truncate=True)


def _seed(graph, op_seed):
    """TensorFlow's seed rule: an op seed alone uses a fixed graph seed, a graph seed alone numbers the ops."""
    if graph.seed is None and op_seed is None:
        return None
    return (graph.seed if graph.seed is not None else 87654321, op_seed if op_seed is not None else len(graph._nodes))


def _random_make(node, device, session):
    attrs = node.attrs
    shape, dt, a, b, seed = attrs["shape"], attrs["dtype"].torch, attrs["a"], attrs["b"], attrs["seed"]

    def draw():
        if node.type == "RandomUniform":
            if not attrs["dtype"].is_floating:
                return _torch.randint(int(a), int(b), shape, dtype=dt, device=device)
            return _torch.rand(*shape, dtype=dt, device=device) * (b - a) + a
        x = _torch.randn(*shape, dtype=dt, device=device)
        if attrs["truncate"]:
            for _ in range(64):  # each pass redraws the ~4.6% outside (-2, 2); 64 passes leave none in practice
                bad = x.abs() > 2
                if not bad.any():
                    break
                x = _torch.where(bad, _torch.randn(*shape, dtype=dt, device=device), x)
        return x * b + a

    if seed is None:
        return draw

    def seeded():  # a stream per (session, op): the same numbers in every session, the global stream untouched
        n = session._rng_draws.get(node, 0)
        session._rng_draws[node] = n + 1
        state = _torch.get_rng_state()
        _torch.manual_seed(hash((seed, n)) & 0x7FFFFFFFFFFFFFFF)
        try:
            return draw()
        finally:
            _torch.set_rng_state(state)
    return seeded


register("RandomStandardNormal", make=_random_make, pure=False)
register("RandomUniform", make=_random_make, pure=False)


# ------------------------------------------------------------------------------------------- matmul
def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False, a_is_sparse=False,
           b_is_sparse=False, name=None):
    a, b = _operands(a, b, "MatMul")
    ta, tb = bool(transpose_a or adjoint_a), bool(transpose_b or adjoint_b)
    name = name or "MatMul"
    sa, sb = a.shape, b.shape
    for s, arg in ((sa, "a"), (sb, "b")):
        if s.dims is not None and len(s) < 2:
            raise ValueError(f"Shape must be rank 2 but is rank {len(s)} for '{name}' (op: 'MatMul') with input "
                             f"shapes: {sa._brackets()}, {sb._brackets()}.")
    if sa.dims is None or sb.dims is None:
        shape = TensorShape(None)
    else:
        m, k1 = (sa[-1], sa[-2]) if ta else (sa[-2], sa[-1])
        k2, n = (sb[-1], sb[-2]) if tb else (sb[-2], sb[-1])
        if k1 is not None and k2 is not None and k1 != k2:
            raise ValueError(f"Dimensions must be equal, but are {k1} and {k2} for '{name}' (op: 'MatMul') with input "
                             f"shapes: {sa._brackets()}, {sb._brackets()}.")
        batch = _broadcast_shape(TensorShape(sa[:-2]), TensorShape(sb[:-2]), name, "MatMul")
        shape = TensorShape(tuple(batch) + (m, n))
    return make_node("MatMul", (a, b), {"transpose_a": ta, "transpose_b": tb}, shape, a.dtype, name)


def _matmul_kernel(attrs, a, b):
    if attrs["transpose_a"]:
        a = a.transpose(-1, -2)
    if attrs["transpose_b"]:
        b = b.transpose(-1, -2)
    return a.matmul(b)


def _matmul_grad(node, g, needs):
    a, b = node.inputs
    ta, tb = node.attrs["transpose_a"], node.attrs["transpose_b"]
    if not ta and not tb:
        ga, gb = lambda: matmul(g, b, transpose_b=True), lambda: matmul(a, g, transpose_a=True)
    elif not ta and tb:
        ga, gb = lambda: matmul(g, b), lambda: matmul(g, a, transpose_a=True)
    elif ta and not tb:
        ga, gb = lambda: matmul(b, g, transpose_b=True), lambda: matmul(a, g)
    else:
        ga, gb = lambda: matmul(b, g, True, True), lambda: matmul(g, a, True, True)
    return _grads(node, needs, ga, gb)


def _make_matmul(node, device, session):
    a, b = node.inputs
    if a.shape.ndims != 2 or b.shape.ndims != 2:
        return functools.partial(_matmul_kernel, node.attrs)
    ta, tb = node.attrs["transpose_a"], node.attrs["transpose_b"]  # matrices: straight to mm, transposes as views
    if not ta and not tb:
        return Tensor.mm
    if ta and tb:
        return lambda a, b: a.t().mm(b.t())
    return (lambda a, b: a.t().mm(b)) if ta else (lambda a, b: a.mm(b.t()))


register("MatMul", make=_make_matmul, grad=_matmul_grad)


# ---------------------------------------------------------------------------------------- reductions
def _axes(axis, shape, name):
    """axis as a sorted tuple of non-negative dims (None: all dims; the rank may then be unknown)."""
    if axis is None:
        return None
    axis = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    if shape.dims is None:
        if any(a < 0 for a in axis):
            raise ValueError(f"Negative axis {axis} needs a known rank in '{name}'.")
        return tuple(sorted(set(int(a) for a in axis)))
    rank = len(shape)
    for a in axis:
        if not -rank <= a < max(rank, 1):
            raise ValueError(f"Invalid reduction dimension {a} for input with {rank} dimensions. for '{name}' "
                             f"(op: 'Sum') with input shapes: {shape._brackets()}.")
    return tuple(sorted(set(int(a) % max(rank, 1) for a in axis)))


def _reduced_shape(shape, axes, keepdims):
    if shape.dims is None:
        return TensorShape(() if axes is None and not keepdims else None)
    axes = range(len(shape)) if axes is None else axes
    return TensorShape(tuple(1 if i in axes else d for i, d in enumerate(shape) if keepdims or i not in axes))


def _reduce(type_name, input_tensor, axis, keepdims, name, keep_dims=None, reduction_indices=None):
    x = convert_to_tensor(input_tensor)
    axis = reduction_indices if axis is None else axis
    keepdims = bool(keep_dims if keep_dims is not None else keepdims)
    name = name or type_name
    axes = _axes(axis, x.shape, name)
    if axes == ():
        return identity(x, name)
    return make_node(type_name, (x,), {"axis": axes, "keepdims": keepdims}, _reduced_shape(x.shape, axes, keepdims),
                     x.dtype, name)


def reduce_sum(input_tensor, axis=None, keepdims=False, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Sum", input_tensor, axis, keepdims, name, keep_dims, reduction_indices)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Mean", input_tensor, axis, keepdims, name, keep_dims, reduction_indices)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Max", input_tensor, axis, keepdims, name, keep_dims, reduction_indices)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None, reduction_indices=None, keep_dims=None):
    return _reduce("Min", input_tensor, axis, keepdims, name, keep_dims, reduction_indices)


def _dims(attrs, x):
    return attrs["axis"] if attrs["axis"] is not None else tuple(range(x.dim()))


def _mean_kernel(attrs, x):
    if x.dtype.is_floating_point:
        return x.mean(_dims(attrs, x), attrs["keepdims"])
    s = x.sum(_dims(attrs, x), attrs["keepdims"])
    return s.div(max(x.numel() // max(s.numel(), 1), 1), rounding_mode="trunc")  # TensorFlow truncates


def _broadcast_like(g, x, node):
    """g (a reduction's gradient) expanded back to the reduced input x's shape."""
    return make_node("BroadcastLike", (g, x), {"axis": node.attrs["axis"], "keepdims": node.attrs["keepdims"]},
                     x.shape, g.dtype)


def _reduction_count(x, node):
    n = _static_numel(x.shape, node.attrs["axis"])
    if n is not None:
        return n
    return make_node("ReductionCount", (x,), {"axis": node.attrs["axis"]}, (), x.dtype)


def _extreme_grad(node, g, needs):
    # NOTE: ties share the gradient evenly, as TensorFlow's (and torch's amax) rule.
    x = node.inputs[0]
    mask = cast(equal(x, _broadcast_like(node, x, node)), g.dtype)
    count = _broadcast_like(reduce_sum(mask, node.attrs["axis"], node.attrs["keepdims"]), x, node)
    return (_broadcast_like(g, x, node) * mask / count,)


register("Sum", lambda attrs, x: x.sum(_dims(attrs, x), attrs["keepdims"]),
         grad=lambda node, g, needs: (_broadcast_like(g, node.inputs[0], node),))
register("Mean", _mean_kernel, grad=lambda node, g, needs: (
    _broadcast_like(g, node.inputs[0], node) / _reduction_count(node.inputs[0], node),))
register("Max", lambda attrs, x: x.amax(_dims(attrs, x), attrs["keepdims"]), grad=_extreme_grad)
register("Min", lambda attrs, x: x.amin(_dims(attrs, x), attrs["keepdims"]), grad=_extreme_grad)
register("BroadcastLike", lambda attrs, g, x: _core_ops._expand_reduced(
    g, x.shape, _core_ops._norm_dims(attrs["axis"], x.dim()), attrs["keepdims"]))
register("SumTo", lambda g, x: _core_ops._unbroadcast(g, x.shape))
register("ReductionCount", lambda attrs, x: _torch.tensor(
    math.prod(x.shape[d] for d in _dims(attrs, x)), dtype=x.dtype, device=x.device))


# ------------------------------------------------------------------------------------ shape and layout
def reshape(tensor, shape, name=None):
    x = convert_to_tensor(tensor)
    shape = _shape_arg(shape)
    name = name or "Reshape"
    if sum(d == -1 for d in shape) > 1:
        raise ValueError(f"Cannot infer multiple unknown dimensions in shape {list(shape)} for '{name}'.")
    n, known = _static_numel(x.shape), math.prod(d for d in shape if d != -1)
    if n is not None and (n % known if -1 in shape and known else n != known):
        raise ValueError(f"Cannot reshape a tensor with {n} elements to shape {list(shape)} ({known} elements) for "
                         f"'{name}' (op: 'Reshape') with input shapes: {x.shape._brackets()}.")
    static = tuple(n // known if d == -1 and n is not None and known else d for d in shape)
    return make_node("Reshape", (x,), {"shape": shape}, static, x.dtype, name)


def _like_shape(g, x):
    """g reshaped to x's shape (known at run time)."""
    if x.shape.is_fully_defined():
        return reshape(g, tuple(x.shape))
    return make_node("ReshapeLike", (g, x), None, x.shape, g.dtype)


register("Reshape", lambda attrs, x: x.reshape(attrs["shape"]),
         grad=lambda node, g, needs: (_like_shape(g, node.inputs[0]),))
register("ReshapeLike", lambda g, x: g.reshape(x.shape))


def transpose(a, perm=None, name="transpose", conjugate=False):
    x = convert_to_tensor(a)
    if perm is None:
        if x.shape.dims is None:
            raise ValueError("tf.transpose without perm needs a known rank.")
        perm = tuple(range(len(x.shape)))[::-1]
    perm = tuple(int(p) for p in perm)
    if x.shape.dims is not None and sorted(perm) != list(range(len(x.shape))):
        raise ValueError(f"Dimension must be {len(x.shape)} but is {len(perm)} for '{name}' (op: 'Transpose') with "
                         f"input shapes: {x.shape._brackets()}, [{len(perm)}].")
    shape = None if x.shape.dims is None else tuple(x.shape[p] for p in perm)
    return make_node("Transpose", (x,), {"perm": perm}, shape, x.dtype, name)


register("Transpose", lambda attrs, x: x.permute(attrs["perm"]), grad=lambda node, g, needs: (
    transpose(g, tuple(sorted(range(len(node.attrs["perm"])), key=node.attrs["perm"].__getitem__))),))


def expand_dims(input, axis=None, name=None, dim=None):
    x = convert_to_tensor(input)
    axis = int(dim if axis is None else axis)
    if x.shape.dims is None:
        shape = None
    else:
        axis = axis % (len(x.shape) + 1)
        shape = tuple(x.shape[:axis]) + (1,) + tuple(x.shape[axis:])
    return make_node("ExpandDims", (x,), {"axis": axis}, shape, x.dtype, name)


register("ExpandDims", lambda attrs, x: x.unsqueeze(attrs["axis"]),
         grad=lambda node, g, needs: (_like_shape(g, node.inputs[0]),))


def squeeze(input, axis=None, name=None, squeeze_dims=None):
    x = convert_to_tensor(input)
    axis = squeeze_dims if axis is None else axis
    if x.shape.dims is None:
        raise ValueError("tf.squeeze needs a known rank.")
    rank = len(x.shape)
    if axis is None:
        axes = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        axes = tuple(sorted(int(a) % rank for a in ((axis,) if isinstance(axis, numbers.Integral) else axis)))
        for a in axes:
            if x.shape[a] not in (1, None):
                raise ValueError(f"Can not squeeze dim[{a}], expected a dimension of 1, got {x.shape[a]}")
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return make_node("Squeeze", (x,), {"axis": axes}, shape, x.dtype, name)


def _squeeze_kernel(attrs, x):
    for a in reversed(attrs["axis"]):
        x = x.squeeze(a)
    return x


register("Squeeze", _squeeze_kernel, grad=lambda node, g, needs: (_like_shape(g, node.inputs[0]),))


def concat(values, axis, name="concat"):
    values = [convert_to_tensor(v) for v in values]
    if len(values) == 1:
        return identity(values[0], name)
    dtype = values[0].dtype
    for v in values[1:]:
        if v.dtype is not dtype:
            raise TypeError(f"Tensors in list passed to 'values' of 'ConcatV2' Op have types [{dtype.name}, "
                            f"{v.dtype.name}] that don't all match.")
    shapes = [v.shape for v in values]
    if any(s.dims is None for s in shapes):
        shape = None
    else:
        rank = len(shapes[0])
        axis = int(axis) % rank
        dims = list(shapes[0])
        for s in shapes[1:]:
            if len(s) != rank:
                raise ValueError(f"Shape must be rank {rank} but is rank {len(s)} for '{name}' (op: 'ConcatV2').")
            for i, d in enumerate(s):
                if i == axis:
                    dims[i] = None if dims[i] is None or d is None else dims[i] + d
                elif dims[i] is None:
                    dims[i] = d
                elif d is not None and d != dims[i]:
                    raise ValueError(f"Dimension {i} in both shapes must be equal, but are {dims[i]} and {d}. Shapes "
                                     f"are {shapes[0]._brackets()} and {s._brackets()}. for '{name}' (op: 'ConcatV2')")
        shape = tuple(dims)
    return make_node("ConcatV2", values, {"axis": int(axis)}, shape, dtype, name)


def _concat_grad(node, g, needs):
    return tuple(make_node("SliceLike", (g,) + node.inputs, {"axis": node.attrs["axis"], "index": i}, x.shape, g.dtype)
                 if need else None for i, (x, need) in enumerate(zip(node.inputs, needs)))


def _slice_like(attrs, g, *xs):
    axis, i = attrs["axis"], attrs["index"]
    start = sum(x.shape[axis] for x in xs[:i])
    return g.narrow(axis, start, xs[i].shape[axis])


register("ConcatV2", lambda attrs, *xs: _torch.cat(xs, attrs["axis"]), grad=_concat_grad)
register("SliceLike", _slice_like)


def stack(values, axis=0, name="stack"):
    return concat([expand_dims(v, axis) for v in values], axis, name)


# ------------------------------------------------------------------------------------ Node operators
def _swap(fn):
    return lambda self, other: fn(other, self)


def _getitem(self, key):
    key = key if isinstance(key, tuple) else (key,)
    for k in key:
        if not (isinstance(k, (numbers.Integral, slice)) or k is None or k is Ellipsis):
            raise TypeError(f"Only integers, slices, ellipsis and None are valid indices, got {k!r}")
        if isinstance(k, slice) and any(isinstance(v, Node) for v in (k.start, k.stop, k.step)):
            raise TypeError("Slices with tf.Tensor bounds are not supported.")
    return make_node("StridedSlice", (self,), {"key": key}, _sliced_shape(self.shape, key), self.dtype)


def _sliced_shape(shape, key):
    if shape.dims is None or Ellipsis in key:
        return None
    out, i = [], 0
    for k in key:
        if k is None:
            out.append(1)
            continue
        d = shape[i] if i < len(shape) else None
        if isinstance(k, slice):
            out.append(None if d is None else len(range(*k.indices(d))))
        i += 1
    return tuple(out) + tuple(shape[i:])


def _slice_grad(node, g, needs):
    return (make_node("StridedSliceGrad", (g, node.inputs[0]), node.attrs, node.inputs[0].shape, g.dtype),)


def _slice_grad_kernel(attrs, g, x):
    out = _torch.zeros_like(x, dtype=g.dtype)
    out[attrs["key"]] = g
    return out


register("StridedSlice", lambda attrs, x: x[attrs["key"]], grad=_slice_grad)
register("StridedSliceGrad", _slice_grad_kernel)

for _op, _fn in {"__add__": add, "__sub__": subtract, "__mul__": multiply, "__truediv__": divide, "__pow__": pow,
                 "__floordiv__": floordiv, "__mod__": mod, "__lt__": less, "__le__": less_equal, "__gt__": greater,
                 "__ge__": greater_equal, "__and__": logical_and, "__or__": logical_or, "__matmul__": matmul}.items():
    setattr(Node, _op, _fn)
    setattr(Node, "__r" + _op[2:], _swap(_fn))
for _name, _fn in UNARY_API.items():  # node.exp(), node.sin(), ...: what the registry's formulas call
    setattr(Node, _name, _fn)
del _op, _fn, _name
Node.__neg__ = negative
Node.__abs__ = UNARY_API["abs"]
Node.__invert__ = logical_not
Node.__getitem__ = _getitem
Node.__array_ufunc__ = None  # numpy defers `array * node` to the node
Node.to = lambda self, dtype: cast(self, dtype)


def _new_zeros(self, shape):
    """node.new_zeros(node.shape), as the registry's formulas write a zero gradient."""
    if tuple(shape) != tuple(self.shape):
        raise ValueError(f"new_zeros on a graph node takes the node's own shape {self.shape}, got {tuple(shape)}")
    return zeros_like(self)


Node.new_zeros = _new_zeros

