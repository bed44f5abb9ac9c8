"""The exporter's graph: the model's forward recorded by the compiler's recorder (`_plan.Recorder`, the capture
`tinygrad_ext.compile` makes its plans from) as the flat list of core (`_C`) calls it made, in SSA form.

Every tensor argument of a call becomes a `Ref`: a model input (key: its index), a parameter or buffer (key: its
state_dict name, found from the tensor the recorder saw the storage read from), an earlier call's output (key:
(call index, output nr)), or an outside constant (a tensor made before the forward, or by a core call the
recorder does not see). A call that writes into one of its arguments (`out=`, `relu_`, `fill_`) rebinds that
storage to its result; reading a view of a storage written since the view was made is refused.

Recurrent modules (nn.LSTM / GRU / RNN) are recorded as one call each (their unrolled loop cannot follow a
dynamic sequence length): the core calls between the module's pre- and post-forward hooks are replaced by one
`Call` whose name is the module.
"""
import ast
import re

from .. import _C, _plan
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from ..nn.modules.rnn import GRU, LSTM, RNN
from ..tensor import Tensor
from .errors import UnsupportedOperatorError

_IMPL = Tensor.__dict__["_impl"].__get__
_IMPL_TYPE = _plan._IMPL_TYPE
# core calls that write into their first argument (and return None or it)
_WRITES_FIRST = _plan._MUTATES


class Ref:
    """A tensor of the recorded graph: kind "input" | "state" | "call" | "const" (impl: its storage handle). `final`:
    no later call writes into the storage (the impl still holds this value after the forward)."""

    __slots__ = ("kind", "key", "impl", "shape", "dtype", "final")

    def __init__(self, kind, key, impl):
        self.kind, self.key, self.impl, self.final = kind, key, impl, True
        self.shape, self.dtype = tuple(impl.shape), impl.dtype

    def __repr__(self):
        return f"Ref({self.kind}, {self.key!r}, {list(self.shape)})"


class Call:
    """One core call (`name`: the `_C` function's name; or a recurrent Module recorded whole), its arguments with
    Refs for tensors, and a Ref per output (None where an output is not a tensor)."""

    __slots__ = ("name", "args", "outs")

    def __init__(self, name, args, outs):
        self.name, self.args, self.outs = name, args, outs

    def label(self):
        return self.name if isinstance(self.name, str) else type(self.name).__name__


class Recording:
    """calls, outputs (Refs of the returned tensors, flattened), inputs (the input tensors, in order)."""

    def __init__(self, calls, outputs, inputs):
        self.calls, self.outputs, self.inputs = calls, outputs, inputs


def flatten(obj):
    """The tensors of a nested tuple/list/dict, in order."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in flatten(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in flatten(o)]
    return []


def replace(obj, fn):
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, (tuple, list)):
        return type(obj)(replace(o, fn) for o in obj)
    if isinstance(obj, dict):
        return {k: replace(v, fn) for k, v in obj.items()}
    return obj


def refs(obj):
    """The Refs inside a call's arguments, in order."""
    if isinstance(obj, Ref):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [r for o in obj for r in refs(o)]
    return []


def positional(name, args, kwargs):
    """A core call's arguments by position (keyword arguments placed by the `_C` function's signature, the
    parameters between them at their defaults), as the lowerings read them."""
    if not kwargs:
        return list(args)
    doc = getattr(_C, name).__doc__.split("\n")[0]
    inner = doc[doc.index("(") + 1:doc.rindex(") ->")]
    names = re.findall(r"(?:^|, )(\w+): ", inner)
    defaults = {k: ast.literal_eval(v) for k, v in re.findall(r"(?:^|, )(\w+): [\w.]+ = (\w+)", inner)}
    last = max(names.index(k) for k in kwargs)
    return list(args) + [kwargs[k] if k in kwargs else defaults.get(k) for k in names[len(args):last + 1]]


def whole_module(m):
    return isinstance(m, (LSTM, GRU, RNN))


def record(model, args, kwargs, state_names, opset):
    """Runs model(*args, **kwargs) once under the compiler's recorder (no autograd graph); returns a Recording."""
    inputs = []

    def as_input(t):
        inputs.append(t.detach())
        return inputs[-1]

    args, kwargs = replace(args, as_input), replace(kwargs, as_input)
    regions, handles, depth = [], [], [0]

    def enter(module, module_args):
        depth[0] += 1
        if depth[0] == 1:
            regions.append([module, len(rec.log), None, [_IMPL(t) for t in flatten(module_args)], None])

    def leave(module, module_args, out):
        depth[0] -= 1
        if depth[0] == 0:
            regions[-1][2], regions[-1][4] = len(rec.log), [_IMPL(t) for t in flatten(out)]

    if isinstance(model, Module):
        for m in model.modules():
            if whole_module(m):
                handles += [m.register_forward_pre_hook(enter), m.register_forward_hook(leave)]
    rec = _plan.Recorder()
    try:
        with no_grad(), rec:
            out = model(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()
    return _Builder(rec, inputs, state_names, opset).build(regions, flatten(out))


class _Builder:
    def __init__(self, rec, inputs, state_names, opset):
        self.rec, self.state_names, self.opset = rec, state_names, opset
        self.env = {}        # id(impl) -> (Ref, the call index it was bound at)
        self.written = {}    # storage_id -> (call index of the latest write, id(impl) written, the call's name)
        self.views = {}      # id(impl) of a slice/select view -> (its base impl, the slice/select Calls from the base)
        self.inputs, self.calls = inputs, []
        for i, t in enumerate(inputs):
            impl = _IMPL(t)
            self.env[id(impl)] = (Ref("input", i, impl), -1)

    def ref(self, impl, reader):
        bound = self.env.get(id(impl))
        if bound is None:
            owner = self.rec.owner.get(id(impl))
            owner = owner() if owner is not None else None
            name = self.state_names.get(id(owner)) if owner is not None and _IMPL(owner) is impl else None
            bound = (Ref("state", name, impl) if name is not None else Ref("const", None, impl), -1)
            self.env[id(impl)] = bound
        last = self.written.get(impl.storage_id)
        if last is not None and last[1] != id(impl) and last[0] > bound[1]:
            raise UnsupportedOperatorError(last[2], self.opset, detail="It wrote in place into a tensor that shares "
                                           f"its storage with another one ({reader} reads it after the write: an "
                                           "in-place op on a view or on its base); write the model without it.")
        return bound[0]

    def resolve(self, args, reader):
        if isinstance(args, _IMPL_TYPE):
            return self.ref(args, reader)
        if isinstance(args, (tuple, list)):
            return type(args)(self.resolve(a, reader) for a in args)
        return args

    def bind(self, impl, nr, index):
        """A Ref for output nr of the call appended next."""
        r = Ref("call", (len(self.calls), nr), impl)
        if id(impl) in self.env:
            self.env[id(impl)][0].final = False
        self.env[id(impl)] = (r, index)
        return r

    def write_through(self, view, value, index):
        """An in-place write into a slice/select view of a base: the base's new value is a Call `_write_view`
        (the base, the view's new value, the Calls that made the view)."""
        base, chain = self.views[id(view)]
        old = self.env[id(base)][0]  # (read before the write: not stale)
        self.calls.append(Call("_write_view", [old, value, chain], [self.bind(base, 0, index)]))

    def build(self, regions, outputs):
        log, k, index = self.rec.log, 0, 0
        starts = {r[1]: r for r in regions}
        while k < len(log):
            index += 1
            region = starts.get(k)
            if region is not None:
                module, _, end, arg_impls, out_impls = region
                args = [self.ref(i, type(module).__name__) for i in arg_impls]
                outs = [self.bind(o, nr, index) for nr, o in enumerate(out_impls)]
                self.calls.append(Call(module, args, outs))
                k = end
                continue
            entry = log[k]
            k += 1
            if entry[0] in ("_setgrad", "_opaque_step"):
                continue
            name, _, args, kwargs, out = entry
            args = self.resolve(positional(name, args, kwargs), name)
            if name in _WRITES_FIRST and isinstance(entry[2][0], _IMPL_TYPE):
                out = entry[2][0]
            results = list(out) if isinstance(out, (tuple, list)) else [out]
            outs = [self.bind(o, nr, index) if isinstance(o, _IMPL_TYPE) else None for nr, o in enumerate(results)]
            for o in results:
                if isinstance(o, _IMPL_TYPE) and any(o is a for a in _plan._impls(entry[2])):
                    self.written[o.storage_id] = (index, id(o), name)
            self.calls.append(Call(name, args, outs))
            if name in ("slice", "select") and out.storage_id == entry[2][0].storage_id:
                base, chain = self.views.get(id(entry[2][0]), (entry[2][0], []))
                self.views[id(out)] = (base, chain + [self.calls[-1]])
            elif outs and outs[0] is not None and id(results[0]) in self.views and \
                    self.written.get(results[0].storage_id, (None,))[0] == index:
                self.write_through(results[0], outs[0], index)
        out_refs = [self.ref(_IMPL(t), "output") for t in outputs]
        return Recording(self.calls, out_refs, self.inputs)
