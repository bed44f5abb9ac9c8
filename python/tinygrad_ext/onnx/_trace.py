"""The exporter's tracer: the model runs once while every autograd op (`_ops.Op.apply`) and every module
exported whole (LSTM, BatchNorm in eval mode, ...) is recorded with its arguments, in execution order.

The dataflow comes from the autograd graph: the inputs and parameters require grad while tracing, so every
op that depends on them goes through Op.apply and its outputs carry their node (grad_fn). An argument is
found by that node, by identity (the inputs, integer outputs), by its state_dict name (parameters and
buffers), or else it is a constant: computations that involve neither inputs nor parameters are folded
into their value, as torch's tracer folds them.
"""
from ..nn.modules.module import Module
from .. import _dtype, _ops
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from .errors import OnnxExporterError, UnsupportedOperatorError


class Value:
    """A value of the traced graph: a model input (key: its index), a parameter or buffer (key: its
    state_dict name), a constant (data: its numpy value) or an op's output (key: (record index, output nr))."""

    __slots__ = ("kind", "key", "data")

    def __init__(self, kind, key=None, data=None):
        self.kind, self.key, self.data = kind, key, data


class Record:
    """One traced call: `op` (an Op class or a Module exported whole), `args` (tensors replaced by Values),
    `outs` ((shape, dtype) of each output)."""

    __slots__ = ("op", "args", "outs")

    def __init__(self, op, args, outs):
        self.op, self.args, self.outs = op, args, outs


def flatten(obj):
    """The tensors of a nested tuple/list/dict, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flatten(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in flatten(o)]
    return []


def _replace(obj, fn):
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_replace(o, fn) for o in obj)
    if isinstance(obj, dict):
        return {k: _replace(v, fn) for k, v in obj.items()}
    return obj


def leaves(obj):
    """The non-Value leaves of traced arguments (compared between the two traces of a dynamic export)."""
    if isinstance(obj, Value):
        return [obj.data.shape if obj.kind == "const" else None]
    if isinstance(obj, (tuple, list)):
        return [x for o in obj for x in leaves(o)]
    return [obj]


class Tracer:
    def __init__(self, model, state_names, whole_modules, fold, opset_version):
        self.model, self.state_names, self.fold, self.opset = model, state_names, fold, opset_version
        self.whole_modules = whole_modules
        self.records, self.depth, self._pending = [], 0, []
        self._by_tensor, self._by_node = {}, {}
        self._alive = []  # everything keyed by id() stays alive, so no id is reused

    # ---- values
    def _value(self, t):
        ent = self._by_tensor.get(id(t))
        if ent is not None and ent[1] is t._impl and ent[2] == t._impl.version:
            return ent[3]
        if t.grad_fn is not None:
            v = self._by_node.get((id(t.grad_fn), t._output_nr))
            if v is None:
                raise UnsupportedOperatorError(t.grad_fn.name().removesuffix("Backward0").removesuffix("Backward"),
                                               self.opset, detail="It ran on the traced values through an op "
                                               "that is not a built-in op (a custom autograd.Function or an "
                                               "in-place write into a view).")
            return v
        name = self.state_names.get(id(t))
        if name is not None:
            return Value("state", name, t.detach().numpy())
        return Value("const", data=t.detach().numpy().copy())

    def _register(self, t, v):
        self._alive.append(t)
        self._by_tensor[id(t)] = (t, t._impl, t._impl.version, v)
        if t.grad_fn is not None:
            self._alive.append(t.grad_fn)
            self._by_node[(id(t.grad_fn), t._output_nr)] = v

    def resolve(self, args):
        return _replace(args, self._value)

    def record(self, op, vals, out):
        outs = flatten(out)
        if self.fold and all(v.kind == "const" for v in flatten_values(vals)):
            for t in outs:  # nothing traced flows in: the result is a constant
                self._register(t, Value("const", data=t.detach().numpy().copy()))
            return
        index = len(self.records)
        self.records.append(Record(op, vals, [(tuple(t.shape), t.dtype) for t in outs]))
        for nr, t in enumerate(outs):
            self._register(t, Value("op", (index, nr)))

    # ---- running the model
    def run(self, args, kwargs):
        """Runs the model on args (their tensors as the graph's inputs); returns the Values of its outputs."""
        inputs = []

        def as_input(t):
            x = t.detach()
            if x.dtype.is_floating_point:
                x.requires_grad_(True)
            self._register(x, Value("input", len(inputs)))
            inputs.append(x)
            return x

        args, kwargs = _replace(args, as_input), _replace(kwargs, as_input)
        params = list(self.model.parameters()) if isinstance(self.model, Module) else []
        flags = [p.requires_grad for p in params]
        handles = []
        tracer = self
        originals = {base: base.__dict__["apply"] for base in (_ops.Op, _ops._Unary, _ops._Binary)}  # every apply

        def traced(func):
            def apply(cls, *op_args):  # Op.apply while tracing: each top-level call is recorded
                if tracer.depth:
                    return func(cls, *op_args)
                vals = tracer.resolve(op_args)
                tracer.depth += 1
                try:
                    out = func(cls, *op_args)
                finally:
                    tracer.depth -= 1
                tracer.record(cls, vals, out)
                return out
            return classmethod(apply)

        try:
            for p in params:
                p.requires_grad_(True)
            if isinstance(self.model, Module):
                for m in self.model.modules():
                    if self.whole_modules(m):
                        handles += [m.register_forward_pre_hook(self._enter), m.register_forward_hook(self._exit)]
            for base, original in originals.items():
                base.apply = traced(original.__func__)
            with enable_grad():
                out = self.model(*args, **kwargs)
        finally:
            for base, original in originals.items():
                base.apply = original
            for h in handles:
                h.remove()
            for p, f in zip(params, flags):
                p.requires_grad_(f)
        self.inputs = inputs
        return [self._value(t) for t in flatten(out)], inputs

    def meta(self, v):
        """(shape, dtype) of a traced Value."""
        if v.kind == "op":
            return self.records[v.key[0]].outs[v.key[1]]
        if v.kind == "input":
            return tuple(self.inputs[v.key].shape), self.inputs[v.key].dtype
        return tuple(v.data.shape), _dtype.from_numpy_dtype(v.data.dtype)

    def _enter(self, module, args):
        self._pending.append(None if self.depth else self.resolve(args))
        self.depth += 1

    def _exit(self, module, args, out):
        self.depth -= 1
        vals = self._pending.pop()
        if vals is not None:
            self.record(module, vals, out)


def flatten_values(obj):
    if isinstance(obj, Value):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [v for o in obj for v in flatten_values(o)]
    if isinstance(obj, dict):
        return [v for o in obj.values() for v in flatten_values(o)]
    return []


def dynamic_args(a, b):
    """The records of two traces side by side (the second on other input values and sizes of the dynamic
    axes): each record of `a` with the arguments of `b`'s. The ops run must be the same."""
    if len(a.records) != len(b.records) or any(ra.op is not rb.op for ra, rb in zip(a.records, b.records)):
        raise OnnxExporterError("export(): the model runs different ops for other input values or sizes (control "
                                "flow on tensor values or sizes); the exported graph would only hold one of them.")
    return [(ra, rb.args) for ra, rb in zip(a.records, b.records)]
