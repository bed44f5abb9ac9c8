"""Whole training steps for tinygrad_ext.compile: one eager run recorded at the core (`_C`) level, replayed as a plan.

Recording: the step function runs eagerly once (forward, `loss.backward()`, the optimizer step, all of it) while
every `_C` function the package holds a reference to (module attributes, closure cells, class attributes, tables)
is swapped for a wrapper that logs the call, and `Tensor._impl` / `Tensor._grad` are swapped for descriptors that
log which tensors were read and which gradients were set. The log is the step as a flat list of core calls: the
autograd graph was built and walked while recording, what it computed is in the list.

The plan: each call's tensor arguments become references to an earlier call's result, to the compiled function's
tensor arguments (by position), or to a captured tensor's storage (a parameter, a gradient, an optimizer's state).
Values computed from constants alone are folded (`_fold`); elementwise chains (the loss, gradient chains, the
optimizer's update, written in place) become fused kernels (`_fusion.Chain`; see `_fuse`). The list is generated
as one Python function of straight-line `_C` calls (no autograd objects, no Python dispatch), which also sets the
gradients the recorded run set (`p.grad` gets the replayed values), so eager code around the step sees the eager
state. Guards (`Plan.check`): each captured tensor's storage and requires_grad, the gradients read at entry, each
optimizer's settings, the training flag of each module run, the arguments' layouts. A plan is only made from a
recording that agrees with the one before (`signature`).

What a plan cannot hold is a graph break (`GraphBreak`): a tensor value read by Python (`.item()`, `bool()`,
`.numpy()`) outside an optimizer's step, an op whose result shape depends on values (nonzero, masked_select),
Python's `random` module (the tutorial's DynamicNet draws its depth: a plan would freeze one draw), a returned
tensor that still requires grad when the step ran no backward, an assignment to `.data`, a tensor made by a core
call the recorder did not see. Inside an optimizer's step a number read from a tensor (Adam's step count) is a
`Scalar`: it is read again at every replay and the numbers computed from it recomputed; a step that compares or
converts such a number stays one opaque call to its update of the group (`_run_update`) inside the plan (eager
kernels, no autograd).
Python side effects of the step (prints, counters) happen on recorded calls only, not on replays. Recording swaps
process-wide references: one recording at a time (not thread-safe).
"""
import math
import random
import sys
import weakref

from . import _C, _fusion, _nvrtc, _registry
from .autograd import engine
from .autograd.grad_mode import is_grad_enabled, no_grad
from .nn.modules.module import Module
from .optim.optimizer import Optimizer
from .tensor import Tensor, _wrap

_CORE = {id(getattr(_C, n)): n for n in dir(_C)
         if not n.startswith("_") and callable(getattr(_C, n)) and not isinstance(getattr(_C, n), type)}
# core calls that only answer questions (no tensor in or out): not part of a plan
_QUERIES = frozenset(("promote_types", "result_type", "can_cast", "wrap_dim", "get_num_threads", "cpu_isa",
                      "allow_tf32", "get_float32_matmul_precision", "initial_seed", "cuda_is_built",
                      "cuda_device_count", "cuda_runtime_version", "cuda_get_device_properties"))
# core calls that hand a value (or a value-dependent shape) to Python
_VALUE_READS = {"item": ".item() (a tensor's value read in Python)", "to_numpy": ".numpy() / .tolist()",
                "to_dlpack": "a DLPack export", "nonzero": "nonzero (a value-dependent shape)",
                "masked_select": "masked_select (a value-dependent shape)", "get_rng_state": "the RNG state read"}
_RANDOM = ("random", "randint", "randrange", "choice", "choices", "uniform", "shuffle", "sample", "gauss")
_IMPL, _GRAD = Tensor.__dict__["_impl"], Tensor.__dict__["_grad"]
_IMPL_TYPE = _C.TensorImpl


class GraphBreak(Exception):
    """Raised where a step leaves what a plan can replay."""


# ------------------------------------------------------------------------------------------ where _C is referenced
_sites = None


def _core_sites():
    """(container, key) of every reference to a `_C` function inside the package: module globals, closure cells,
    class attributes, dicts and lists, also behind generated wrappers (found again when a submodule was imported
    since; a reference held in a tuple cannot be swapped: a tensor it makes is caught in `build`)."""
    global _sites
    modules = [(n, m) for n, m in list(sys.modules.items())
               if (n == "tinygrad_ext" or n.startswith("tinygrad_ext.")) and m is not None and n != "tinygrad_ext._C"]
    if _sites is not None and _sites[0] == len(modules):
        return _sites[1]  # (found again when a submodule was imported since)
    sites, seen = [], {}  # id -> the depth it was visited at: reached again nearer the top, it is visited again

    def visit(obj, depth=0):
        if seen.get(id(obj), 7) <= depth or depth > 6:
            return
        seen[id(obj)] = depth
        if isinstance(obj, dict):
            for k, v in list(obj.items()):
                if id(v) in _CORE and v is getattr(_C, _CORE[id(v)], None):
                    sites.append((obj, k))
                elif callable(v) or isinstance(v, (dict, list, type, staticmethod, classmethod, property)):
                    visit(v, depth + 1)
        elif isinstance(obj, list):
            for k, v in enumerate(obj):
                if id(v) in _CORE:
                    sites.append((obj, k))
                else:
                    visit(v, depth + 1)
        elif isinstance(obj, type):
            if obj.__module__.startswith("tinygrad_ext") or obj is Tensor:  # (Tensor's __module__ is torch's)
                for k, v in list(vars(obj).items()):
                    if id(v) in _CORE:
                        sites.append((obj, k))
                    elif not k.startswith("__") or k in ("__init__", "__call__") or callable(v):
                        visit(v, depth + 1)
        elif isinstance(obj, (staticmethod, classmethod)):
            visit(obj.__func__, depth + 1)
        elif isinstance(obj, property):
            for f in (obj.fget, obj.fset, obj.fdel):
                if f is not None:
                    visit(f, depth + 1)
        elif hasattr(obj, "__code__") and getattr(obj, "__module__", "") and obj.__module__.startswith("tinygrad_ext"):
            for cell in obj.__closure__ or ():
                try:
                    v = cell.cell_contents
                except ValueError:
                    continue
                if id(v) in _CORE:
                    sites.append((cell, None))
                else:
                    visit(v, depth + 1)
            for v in obj.__defaults__ or ():
                visit(v, depth + 1)
            if hasattr(obj, "__wrapped__"):  # functools.wraps and generated wrappers
                visit(obj.__wrapped__, depth + 1)
            module = sys.modules.get(obj.__module__)
            if module is not None and obj.__globals__ is not vars(module):  # exec'd with its own scope
                visit(obj.__globals__, depth + 1)
        elif isinstance(obj, tuple):
            for v in obj:
                visit(v, depth + 1)
        elif hasattr(obj, "__func__"):
            visit(obj.__func__, depth + 1)
        elif hasattr(obj, "__wrapped__"):
            visit(obj.__wrapped__, depth + 1)

    for _, mod in modules:
        visit(vars(mod))
    sites = list({(id(c), k): (c, k) for c, k in sites}.values())  # (an object visited again adds its sites again)
    _sites = (len(modules), sites)
    return sites


def _get(site):
    c, k = site
    if isinstance(c, dict) or isinstance(c, list):
        return c[k]
    if k is None:
        return c.cell_contents
    return getattr(c, k)


def _set(site, v):
    c, k = site
    if isinstance(c, (dict, list)):
        c[k] = v
    elif k is None:
        c.cell_contents = v
    else:
        setattr(c, k, v)


# ------------------------------------------------------------------------------------------ values read in a step
class Scalar(float):
    """A number an optimizer's step read from a tensor (Adam's step count, `.item()`) and what it computed from it:
    the plan recomputes it at every replay from the expression in `node` (("item", k): the k-th read;
    (op, a, b); ("sqrt", a); a plain number). Comparing it or branching on it makes the step opaque."""

    def __new__(cls, value, node):
        self = float.__new__(cls, value)
        self.node = node
        return self

    __hash__ = float.__hash__

    def __bool__(self):
        if _recording:
            _recording[-1]._control_on_value()
        return float.__float__(self) != 0.0


def _escaping(name):
    """A comparison or a conversion the recorded expression cannot follow (int(), round(), %): the optimizer's
    step is replayed as it is (opaque), or, outside a step, the recording breaks."""
    def method(self, *args):
        if _recording:
            _recording[-1]._control_on_value()
        return getattr(float.__float__(self), name)(*args)
    return method


for _name in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__float__", "__int__", "__index__",
              "__round__", "__trunc__", "__floor__", "__ceil__", "__abs__",
              "__mod__", "__rmod__", "__floordiv__", "__rfloordiv__", "__divmod__", "__rdivmod__"):
    if hasattr(float, _name):
        setattr(Scalar, _name, _escaping(_name))


_OPS = {"+": float.__add__, "-": float.__sub__, "*": float.__mul__, "/": float.__truediv__, "**": float.__pow__}


def _plain(x):
    return float.__float__(x) if isinstance(x, Scalar) else float(x)


def _node(x):
    return x.node if isinstance(x, Scalar) else float(x)


def _scalar_op(op, reflected=False):
    def method(self, other):
        if not isinstance(other, (int, float)) or isinstance(other, bool):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        return Scalar(_OPS[op](_plain(a), _plain(b)), (op, _node(a), _node(b)))
    return method


for _op, _names in (("+", ("add", "radd")), ("-", ("sub", "rsub")), ("*", ("mul", "rmul")),
                    ("/", ("truediv", "rtruediv")), ("**", ("pow", "rpow"))):
    setattr(Scalar, f"__{_names[0]}__", _scalar_op(_op))
    setattr(Scalar, f"__{_names[1]}__", _scalar_op(_op, reflected=True))
Scalar.__neg__ = lambda self: Scalar(-float.__float__(self), ("-", 0.0, self.node))
_recording = []  # the active Recorder
_sqrt = math.sqrt
_MATH = {n: f for n, f in vars(math).items() if callable(f) and not n.startswith("_")}


def _math(name, fn):
    """math.<name> while recording: sqrt of a Scalar is followed; any other function of one escapes it."""
    def call(*args):
        if any(isinstance(a, Scalar) for a in args):
            if name == "sqrt" and len(args) == 1:
                return Scalar(_sqrt(args[0]), ("sqrt", args[0].node))
            if _recording:
                _recording[-1]._control_on_value()
        return fn(*args)
    return call


def _render(node, names):
    """Python source computing a Scalar's node (names: the k of each ("item", k) -> its local)."""
    if isinstance(node, float):
        return repr(node) if node == node and abs(node) != float("inf") else f"float({str(node)!r})"
    if node[0] == "item":
        return names[node[1]]
    if node[0] == "sqrt":
        return f"SQRT({_render(node[1], names)})"
    return f"({_render(node[1], names)} {node[0]} {_render(node[2], names)})"


class _Dynamic:
    """A Scalar operand of a fused chain: a 0-d tensor of the plan (on the chain's device), filled with its value at
    every replay."""

    def __init__(self, scalar, dtype_id, device):
        self.scalar, self.buffer = scalar, _C.full([], float.__float__(scalar), dtype_id, *device)


def _run_update(opt, group):
    """An optimizer's update of one group, as its step() runs it (an opaque part of a plan)."""
    with no_grad():
        opt._update_group(group)


def recording():
    """Whether a step is being recorded (a compiled function called inside it runs eagerly: a fused kernel's work
    is invisible to the recorder)."""
    return bool(_recording)


def graph_break(what):
    """Make the step being recorded, if any, a graph break: it runs eagerly (torch.compiler.disable)."""
    if _recording:
        _recording[-1].fail(what)


def _filled(buffer, value):
    _C.fill_(buffer, value)
    return buffer


# ------------------------------------------------------------------------------------------ recording
class _ImplRead:
    """Tensor._impl while recording: logs which tensor each storage handle was read from."""

    def __init__(self, rec):
        self.rec = rec

    def __get__(self, t, cls=None):
        if t is None:
            return self
        impl = _IMPL.__get__(t)
        if id(impl) not in self.rec.owner:
            self.rec.owner[id(impl)] = weakref.ref(t)
        return impl

    def __set__(self, t, value):
        try:
            _IMPL.__get__(t)
        except AttributeError:  # a new tensor (_wrap)
            self.rec.wrapped.add(id(value))
            _IMPL.__set__(t, value)
            return
        self.rec.fail("an assignment to a tensor's .data or an in-place view op (its storage changes under the plan)")
        _IMPL.__set__(t, value)


class _GradAccess:
    """Tensor._grad while recording: the gradients read at entry and the ones set (in order)."""

    def __init__(self, rec):
        self.rec = rec

    def __get__(self, t, cls=None):
        if t is None:
            return self
        g = _GRAD.__get__(t)
        if id(t) not in self.rec.grad_set:
            self.rec.grad_entry.setdefault(id(t), (t, g))
        return g

    def __set__(self, t, value):
        try:
            _GRAD.__get__(t)
        except AttributeError:  # a new tensor (_wrap)
            _GRAD.__set__(t, value)
            return
        self.rec.grad_set.add(id(t))
        self.rec.log.append(("_setgrad", t, value if value is None else _IMPL.__get__(value)))
        _GRAD.__set__(t, value)


class Recorder:
    """Records one eager run of a step (use as a context manager around the call)."""

    def __init__(self):
        self.log, self.owner, self.grad_entry, self.grad_set = [], {}, {}, set()
        self.broken, self.optimizers, self._depth, self._value_read_in_step = None, {}, 0, False
        self.backward_ran, self.wrapped, self.modules = False, set(), {}

    def fail(self, what):
        if self.broken is None:
            self.broken = what

    def _wrap_core(self, fn, name):
        log, rec = self.log, self

        def call(*args, **kwargs):
            if name in _VALUE_READS and not (name == "item" and rec._depth):
                if rec._depth:
                    rec._value_read_in_step = True
                else:
                    rec.fail(_VALUE_READS[name])
            out = fn(*args, **kwargs)
            if name == "item" and rec._depth and isinstance(out, float):  # recomputed at every replay
                out = Scalar(out, ("item", len(log)))
            if name not in _QUERIES:
                log.append((name, fn, args, kwargs, out))
            return out
        return call

    def _control_on_value(self):
        if self._depth:
            self._value_read_in_step = True
        else:
            self.fail("control flow on a value read from a tensor")

    def _wrap_update(self, update):
        """An optimizer class's _update_group while recording (reached from step() however step is wrapped, e.g. by
        an LR scheduler): the optimizer is guarded on its settings; a group update that reads a value and decides
        on it is replayed as one call (_run_update)."""
        rec = self

        def recorded_update(opt, group):
            if rec._depth:
                return update(opt, group)
            rec._depth += 1
            rec._value_read_in_step = False
            start = len(rec.log)
            try:
                return update(opt, group)
            finally:
                rec._depth -= 1
                rec.optimizers.setdefault(id(opt), opt)
                if rec._value_read_in_step:
                    del rec.log[start:]
                    rec.log.append(("_opaque_step", opt, group))
        return recorded_update

    def _random_break(self, name, fn):
        def call(*args, **kwargs):
            self.fail(f"Python's random.{name}() (data-dependent control flow: a plan would freeze one draw)")
            return fn(*args, **kwargs)
        return call

    def __enter__(self):
        self._saved = [(s, _get(s)) for s in _core_sites()]
        self._module = {n: getattr(_C, n) for n in dir(_C) if id(getattr(_C, n)) in _CORE}
        for site, fn in self._saved:
            _set(site, self._wrap_core(fn, _CORE[id(fn)]))
        for n, fn in self._module.items():
            setattr(_C, n, self._wrap_core(fn, n))
        classes, self._updates = [Optimizer], []
        while classes:
            cls = classes.pop()
            classes.extend(cls.__subclasses__())
            if "_update_group" in cls.__dict__:
                self._updates.append((cls, cls.__dict__["_update_group"]))
        for cls, fn in self._updates:
            cls._update_group = self._wrap_update(fn)
        self._module_call, modules = Module.__dict__["__call__"], self.modules

        def module_call(module, *args, **kwargs):  # the modules run, for a guard on their training flag
            modules.setdefault(id(module), module)
            return self._module_call(module, *args, **kwargs)
        Module.__call__ = module_call
        self._random = {n: getattr(random, n) for n in _RANDOM}
        for n, fn in self._random.items():
            setattr(random, n, self._random_break(n, fn))
        Tensor._impl, Tensor._grad = _ImplRead(self), _GradAccess(self)
        for n, fn in _MATH.items():
            setattr(math, n, _math(n, fn))
        _recording.append(self)
        self._engine_run = engine._run

        def run(*args, **kwargs):
            self.backward_ran = True
            return self._engine_run(*args, **kwargs)
        engine._run = run
        return self

    def __exit__(self, *exc):
        Tensor._impl, Tensor._grad = _IMPL, _GRAD
        _recording.pop()
        for n, fn in _MATH.items():
            setattr(math, n, fn)
        engine._run = self._engine_run
        for n, fn in self._random.items():
            setattr(random, n, fn)
        for cls, fn in self._updates:
            cls._update_group = fn
        Module.__call__ = self._module_call
        for n, fn in self._module.items():
            setattr(_C, n, fn)
        for site, fn in self._saved:
            _set(site, fn)
        return False


# ------------------------------------------------------------------------------------------ agreement of two runs
def signature(rec, arg_tensors):
    """What must not change from one call of a step to the next for a plan of it to be right: the core calls in
    order, their numbers, arrays and shapes, the arguments by position and every other tensor read by identity.
    Two consecutive recordings with equal signatures make a plan (state created on first calls, such as optimizer
    moments, is past; a learning rate changed inside the step, data made in Python or a tensor rebound from call
    to call never agree)."""
    args = {id(_IMPL.__get__(t)): i for i, t in enumerate(arg_tensors)}
    produced = set()

    def sig(a):
        if isinstance(a, _IMPL_TYPE):
            if id(a) in args:
                return ("arg", args[id(a)], a.shape, a.dtype)
            return ("T", a.shape, a.dtype) if id(a) in produced else ("X", id(a), a.shape, a.dtype)
        if isinstance(a, Scalar):
            return ("S", repr(a.node))
        if isinstance(a, float):
            return ("F", repr(a))
        if isinstance(a, (list, tuple)):
            return tuple(sig(v) for v in a)
        if a is None or isinstance(a, (bool, int, str)):
            return a
        if hasattr(a, "tobytes") and hasattr(a, "dtype"):  # a numpy array handed to the core
            return ("A", str(a.dtype), getattr(a, "shape", None), a.tobytes())
        return ("O", type(a).__name__, id(a))

    out = []
    for e in rec.log:
        if e[0] == "_setgrad":
            out.append(("G", id(e[1]), None if e[2] is None else sig(e[2])))
        elif e[0] == "_opaque_step":
            out.append(("O", id(e[1]), id(e[2])))
        else:
            out.append((e[0], sig(e[2]), sig(tuple(sorted(e[3].items())))))
            for o in (e[4] if isinstance(e[4], (tuple, list)) else (e[4],)):
                if isinstance(o, _IMPL_TYPE):
                    produced.add(id(o))
    return out


# ------------------------------------------------------------------------------------------ the plan
class Plan:
    """A recorded step as straight-line core calls. `run(arg_impls)` replays it, or returns None when a captured
    tensor's guard fails (then the step is recorded again)."""

    def __init__(self, fn, guards, optimizers, structure, stats):
        self._fn, self._guards, self._opt_guards = fn, guards, [(o, _hyper(o)) for o in optimizers]
        self.structure, self.stats = structure, stats

    def check(self, arg_tensors):
        """Whether the plan replays this call: the arguments' layouts (fused kernels read them as recorded), each
        captured tensor's storage and requires_grad, each gradient read or replaced, each optimizer's settings."""
        for t, strides in zip(arg_tensors, self._arg_strides):
            if _IMPL.__get__(t).strides != strides:
                return False
        for t, impl, rg in self._guards:
            if _IMPL.__get__(t) is not impl or t._requires_grad is not rg:
                return False
        for t, g, kind in self._grad_guards:
            cur = _GRAD.__get__(t)
            if (cur is g) if kind == "is" else ((cur is None) is (g is None)):
                continue
            return False
        for o, h in self._opt_guards:
            if _hyper(o) != h:
                return False
        for m, training in self._training:
            if m.training is not training:
                return False
        return True

    def run(self, arg_impls, arg_tensors):
        """The step's returned TensorImpls."""
        return self._fn(arg_impls, arg_tensors)


def _hyper(opt):
    return [tuple((k, v) for k, v in g.items() if k != "params") + (tuple(map(id, g["params"])),)
            for g in opt.param_groups]


def _flatten(value, out):
    """The tensors of a (nested) return value; the structure to rebuild it from a list of tensors."""
    if isinstance(value, Tensor):
        out.append(value)
        return "T"
    if isinstance(value, (tuple, list)):
        return (type(value), [_flatten(v, out) for v in value])
    if value is None or isinstance(value, (int, float, bool, str)):
        return ("C", value)
    raise GraphBreak(f"a returned {type(value).__name__}")


def rebuild(structure, tensors):
    it = iter(tensors)

    def build(s):
        if s == "T":
            return next(it)
        if s[0] == "C":
            return s[1]
        return s[0](build(v) for v in s[1])
    return build(structure)


def build(rec, arg_tensors, result, fuse=True):
    """The Plan of a recording (`arg_tensors`: the compiled function's tensor arguments, in order)."""
    if rec.broken:
        raise GraphBreak(rec.broken)
    outs = []
    structure = _flatten(result, outs)
    for t in outs:
        if t.requires_grad and is_grad_enabled() and not rec.backward_ran:
            raise GraphBreak("a returned tensor that requires grad (autograd: its backward would run outside the "
                             "plan; call backward inside the compiled step, or run it under no_grad)")
    arg_of = {}
    for i, t in enumerate(arg_tensors):
        arg_of.setdefault(id(_IMPL.__get__(t)), i)
    produced = {}     # id(impl) -> name of the local holding it
    constants = {}    # name -> object
    guards = {}       # id(tensor) -> (tensor, impl, requires_grad)
    keep = []         # objects whose ids are keys above (kept alive while building)
    lines, ncalls = [], 0

    def const(obj):
        name = f"c{len(constants)}"
        constants[name] = obj
        return name

    def ref(impl):
        name = produced.get(id(impl))
        if name is not None:
            return name
        if id(impl) in arg_of:
            return f"a{arg_of[id(impl)]}"
        if id(impl) in rec.wrapped:  # made during the step by a core call the recorder did not see
            raise GraphBreak(f"a tensor of shape {list(impl.shape)} computed by a core call the recorder does not "
                             "see (a reference to a tinygrad_ext._C function it did not find)")
        owner = rec.owner.get(id(impl))
        owner = owner() if owner is not None else None
        if owner is not None and _IMPL.__get__(owner) is impl:
            guards.setdefault(id(owner), (owner, impl, owner._requires_grad))
        keep.append(impl)
        name = produced[id(impl)] = const(impl)
        return name

    def expr(a):
        if isinstance(a, _IMPL_TYPE):
            return ref(a)
        if isinstance(a, Scalar):
            return _render(a.node, item_names)
        if isinstance(a, _Dynamic):
            return f"FILLED({const(a.buffer)}, {_render(a.scalar.node, item_names)})"
        if isinstance(a, _Buffer):
            keep.append(a.impl)
            return const(a.impl)
        if a is None or isinstance(a, (bool, int, str)):
            return repr(a)
        if isinstance(a, float) and a == a and abs(a) != float("inf"):
            return repr(a)
        if isinstance(a, list):
            return "[" + ", ".join(expr(v) for v in a) + "]"
        if isinstance(a, tuple):
            return "(" + "".join(expr(v) + ", " for v in a) + ")"
        return const(a)

    # values read after the step (returned, or held by a tensor still alive) are never fused away
    escaping = {id(_IMPL.__get__(t)) for t in outs}
    escaping.update(i for i, t in rec.owner.items() if t() is not None)
    log, folded = _fold(rec.log, escaping)
    for impl in folded:
        keep.append(impl)
        produced[id(impl)] = const(impl)
    log, nfused, nfused_ops = _fuse(log, escaping) if fuse else (log, 0, 0)
    log, naccumulated = _accumulate_products(log, escaping)
    fresh = {id(i) for e in rec.log if e[0] not in ("_setgrad", "_opaque_step") and not _writes_out(e)
             for i in _impls([e[4]])}  # (a call writing into its argument, w.sub_(..), makes nothing new)
    log, nbuffers = _plan_buffers(log, escaping, fresh.union(arg_of))
    item_names = {}
    for entry in log:
        kind = entry[0]
        if kind == "_same_view":  # (made once: the view of memory that stays put; its input keeps its guards)
            _, src, view = entry
            ref(src)
            keep.append(view)
            produced[id(view)] = const(view)
            continue
        if kind == "_setgrad":
            _, t, impl = entry
            target = f"a{arg_tensors.index(t)}t" if any(t is a for a in arg_tensors) else const(t)
            lines.append(f"    SETGRAD({target}, {'None' if impl is None else 'WRAP(' + ref(impl) + ')'})")
            continue
        if kind == "_opaque_step":
            lines.append(f"    UPDATE({const(entry[1])}, {const(entry[2])})")
            ncalls += 1
            continue
        name, fn, args, kwargs, out = entry
        if isinstance(out, Scalar):  # a value read inside an optimizer's step, read again at every replay
            item_names[out.node[1]] = f"s{len(item_names)}"
            lines.append(f"    {item_names[out.node[1]]} = {const(fn)}({', '.join(expr(a) for a in args)})")
            ncalls += 1
            continue
        call = f"{const(fn)}({', '.join([expr(a) for a in args] + [f'{k}={expr(v)}' for k, v in kwargs.items()])})"
        ncalls += 1
        results = out if isinstance(out, (tuple, list)) and any(isinstance(o, _IMPL_TYPE) for o in out) else None
        if results is not None:
            names = []
            for o in results:
                if isinstance(o, _IMPL_TYPE) and id(o) not in produced and id(o) not in arg_of:
                    produced[id(o)] = f"v{len(produced)}"
                    keep.append(o)
                names.append(produced[id(o)] if isinstance(o, _IMPL_TYPE) and id(o) in produced else "_")
            lines.append(f"    {', '.join(names)}{',' if len(names) == 1 else ''} = {call}")
        elif isinstance(out, _IMPL_TYPE) and id(out) not in produced and id(out) not in arg_of:
            produced[id(out)] = f"v{len(produced)}"
            keep.append(out)
            lines.append(f"    {produced[id(out)]} = {call}")
        else:
            lines.append(f"    {call}")
    rets = [ref(_IMPL.__get__(t)) for t in outs]
    lines.append(f"    return [{', '.join(rets)}]")
    nargs = len(arg_tensors)
    head = "def replay(" + ", ".join([f"a{i}" for i in range(nargs)] + [f"a{i}t" for i in range(nargs)]) + "):"
    source = head + "\n" + "\n".join(lines) + "\n"
    namespace = dict(constants, WRAP=_wrap, SETGRAD=_GRAD.__set__, SQRT=_sqrt, FILLED=_filled, UPDATE=_run_update)
    exec(compile(source, "<tinygrad_ext.compile plan>", "exec"), namespace)  # noqa: S102 (generated from the log)
    grad_guards = []
    for t, g in rec.grad_entry.values():
        consumed = g is not None and id(_IMPL.__get__(g)) in produced and produced[id(_IMPL.__get__(g))].startswith("c")
        grad_guards.append((t, g, "is" if consumed else "none"))
    stats = {"recorded_calls": sum(1 for e in rec.log if e[0] not in ("_setgrad",)), "plan_calls": ncalls,
             "fused_kernels": nfused, "fused_ops": nfused_ops,
             "planned_buffers": nbuffers, "opaque_steps": sum(e[0] == "_opaque_step" for e in log),
             "accumulated_products": naccumulated}
    fn = namespace["replay"]
    plan = Plan(lambda impls, tensors: fn(*impls, *tensors), list(guards.values()), list(rec.optimizers.values()),
                structure, stats)
    plan._grad_guards = grad_guards
    plan._arg_strides = [_IMPL.__get__(t).strides for t in arg_tensors]
    plan._training = [(m, m.training) for m in rec.modules.values()]
    plan.source = source
    return plan


# ------------------------------------------------------------------------------------------ products accumulated
def _accumulate_products(log, escaping):
    """The log with each `mm` whose result is only added, by the next call, into a gradient already there (the
    engine's in-place accumulation, after zero_()) made one `addmm` onto that gradient: the GEMM accumulates into
    it directly, with no product buffer and no second pass (torch's addmm_; float32 rounding may differ from the
    eager sum's in the last bit). Returns (log, how many)."""
    uses = {}
    for e in log:
        for i in _impls([e[2]] if e[0] == "_setgrad" else [] if e[0] == "_opaque_step" else [e[2], e[3]]):
            uses[id(i)] = uses.get(id(i), 0) + 1
    out, skip, n = [], False, 0
    for e, nxt in zip(log, log[1:] + [None]):
        if skip:
            skip = False
            continue
        if e[0] == "mm" and not e[3] and nxt is not None and nxt[0] == "add" and not nxt[3] and \
                _accumulates(e[4], nxt) and uses.get(id(e[4])) == 1 and id(e[4]) not in escaping:
            grad = nxt[4]
            out.append(("addmm", _C.addmm, (grad, e[2][0], e[2][1], grad), {}, grad))
            skip, n = True, n + 1
            continue
        out.append(e)
    return out, n


def _accumulates(product, add):
    """Whether an `add` call is grad += product in place, of one dtype, on the CPU (args: grad, product, reflected,
    out[, params])."""
    args = add[2]
    grad = add[4]
    return isinstance(product, _IMPL_TYPE) and len(args) in (4, 5) and args[1] is product and args[0] is grad and \
        args[3] is grad and args[2] is False and (len(args) == 4 or args[4] is None) and \
        grad.dtype == product.dtype and grad.shape == product.shape and grad.device_type == 0


# ------------------------------------------------------------------------------------------ buffer planning
class _Buffer:
    """The output buffer of one call site of a plan, allocated once (the recorded call's result) and written at
    every replay."""

    def __init__(self, impl):
        self.impl = impl


def _plan_buffers(log, escaping, fresh):
    """The log with each elementwise call and fused kernel that makes a fresh CPU value told to write it into that
    call site's own buffer, kept by the plan: a replay allocates none of them again. A value is left fresh where
    anything outside the step may hold it or its memory after the step: returned, held by a live tensor (an
    optimizer's state, a module's buffer), set as a gradient, or a view of one of those. A view of memory that is
    the same at every replay (a planned buffer, a captured tensor: not made in the step, not an argument) is the
    same view at every replay: its call becomes a `_same_view` entry, made once (`fresh`: the ids of the values a
    replay makes anew, every recorded call's results and the arguments). Returns (log, buffers)."""
    outside = {id(e[2]) for e in log if e[0] == "_setgrad" and e[2] is not None} | set(escaping)
    held = {i.storage_id for e in log if e[0] != "_opaque_step"
            for i in _impls([e[2]] if e[0] == "_setgrad" else [e[4]]) if id(i) in outside}
    stable = set()  # planned buffers and the views of stable memory made once
    planned, n = [], 0
    for e in log:
        out = e[4] if e[0] not in ("_setgrad", "_opaque_step") else None
        if e[0] in _VIEW_CALLS and isinstance(out, _IMPL_TYPE) and not e[3] and id(out) not in outside and \
                _stable_view(e, stable, fresh):
            stable.add(id(out))
            planned.append(("_same_view", e[2][0], out))
            continue
        if not isinstance(out, _IMPL_TYPE) or out.device_type != 0 or id(out) in outside or \
                out.storage_id in held or not out.is_contiguous:
            planned.append(e)
            continue
        name, fn, args, kwargs, _ = e
        position = _out_position(e)
        if position is None or len(args) > position and args[position] is not None or \
                name == "fused" and not len(out.shape):  # (a 0-d fused result may be a chain's full sum)
            planned.append(e)
            continue
        args = list(args) + [False if name in _BINARY and k == 2 else None for k in range(len(args), position)]
        planned.append((name, fn, tuple(args[:position]) + (_Buffer(out),) + tuple(args[position + 1:]), kwargs, out))
        stable.add(id(out))
        n += 1
    return planned, n


# core calls whose result may be a view of their first argument (a reshape that copied is not: see _stable_view)
_VIEW_CALLS = frozenset(("t", "transpose", "permute", "expand", "view", "reshape", "unsqueeze", "squeeze",
                         "squeeze_dims", "select", "slice", "alias", "diagonal", "unfold", "as_strided"))


def _stable_view(e, stable, fresh):
    """Whether a view call's result is the same at every replay: its input is stable memory (a planned buffer, an
    earlier such view, or a tensor the step did not make and does not take as an argument), its other arguments are
    numbers, and the recorded result shares the input's memory."""
    src, rest, out = e[2][0], e[2][1:], e[4]
    if not isinstance(src, _IMPL_TYPE) or out.storage_id != src.storage_id or _impls(rest) or \
            any(isinstance(a, Scalar) for a in rest):
        return False
    return id(src) in stable or id(src) not in fresh


# where the core calls taking an out buffer take it; the registry's elementwise ops take it as (a, out, params) or
# (a, b, reflected, out, params)
_OUT_POSITIONS = {"fused": 1, "mm": 2, "addmm": 3, "clamp": 3}
_BINARY = frozenset(e.name for e in _registry.OPS if not e.unary)


def _out_position(e):
    """The position of the out buffer among a call's arguments, where it takes one (and no keywords)."""
    if e[3]:
        return None
    position = _OUT_POSITIONS.get(e[0])
    if position is not None:
        return position
    entry = _registry.BY_NAME.get(e[0])
    return None if entry is None or entry.kernel is not None else 1 if entry.unary else 3


# ------------------------------------------------------------------------------------------ constant folding
# calls whose result depends only on their arguments (no randomness, no write into an argument)
_PURE = frozenset(("full", "scalar_tensor", "arange", "eye", "linspace", "unsqueeze", "squeeze", "expand", "view",
                   "reshape", "transpose", "permute", "to_dtype", "alias", "contiguous", "clone", "select", "slice"))


def _fold(log, escaping):
    """Calls computed from constants alone (the backward's seed gradient, its views), run once while the plan is
    built: (the log without them, their results). A value that is written later or escapes is not folded."""
    written = set()
    for e in log:
        if e[0] in _STEPS:
            written.update(id(a) for a in _step_writes(e))
        elif e[0] not in ("_setgrad", "_opaque_step") and (e[0] in _MUTATES or _writes_out(e)):
            written.add(id(e[2][0]) if e[0] in _MUTATES else id(e[4]))
    folded, out = {}, []
    for e in log:
        if (e[0] in _PURE or (e[0] in _fusion.FUSABLE and not _writes_out(e))) and \
                not any(isinstance(a, Scalar) for a in e[2]):
            res = e[4]
            args = _impls(e[2]) + _impls(list(e[3].values()))
            if isinstance(res, _IMPL_TYPE) and all(id(a) in folded for a in args) and id(res) not in written \
                    and id(res) not in escaping and not any(id(a) in written for a in args):
                folded[id(res)] = res
                continue
        out.append(e)
    return out, list(folded.values())


# ------------------------------------------------------------------------------------------ fusion
_MUTATES = frozenset(("fill_", "copy_", "index_put_", "masked_fill_", "scatter_add_", "scatter_reduce_",
                      "bernoulli_", "normal_", "uniform_", "random_", "bump_version"))
# the fused optimizer steps (_registry.OPTIMIZER_STEPS): _C.<name>(param, grad, states, hyper) writes param and the
# states, _C.foreach_<name>(params, grads, states, steps, hyper) the params, the states and the step counters, so
# each stays one call of the plan and no value is carried across it
_FOREACH_STEPS = frozenset(e.foreach_name for e in _registry.OPTIMIZER_STEPS)
_STEPS = frozenset(e.name for e in _registry.OPTIMIZER_STEPS) | _FOREACH_STEPS


def _step_writes(e):
    if e[0] in _FOREACH_STEPS:
        return [*e[2][0], *_impls(e[2][2]), *e[2][3]]
    return [e[2][0], *e[2][2]]


def _fused_device_types():
    """The core's device types whose chains are compiled: the CPU with a C++ compiler, a GPU with NVRTC."""
    return {t for t, ok in ((0, _fusion.available()), (1, _nvrtc.available())) if ok}


def _elementwise(entry, devices):
    """(registry name, operands, out) of a fusable float elementwise call on one of the device types `devices`,
    else None. An operand is an impl (on out's device) or a Python number."""
    if entry[0] not in _fusion.FUSABLE or entry[3]:
        return None
    name, _, args, _, out = entry
    if not isinstance(out, _IMPL_TYPE) or out.device_type not in devices or out.dtype not in _DTYPES:
        return None
    unary = _fusion.FUSABLE[name].unary
    if unary:
        a, dst = args[0], (args[1] if len(args) > 1 else None)
        if len(args) > 2 and args[2] is not None:
            return None
        ops = (a,)
    else:
        a, b = args[0], args[1]
        reflected = args[2] if len(args) > 2 else False
        dst = args[3] if len(args) > 3 else None
        if len(args) > 4 and args[4] is not None:
            return None
        if not isinstance(b, (_IMPL_TYPE, float, int)) or isinstance(b, bool):
            return None
        ops = (b, a) if reflected else (a, b)
    for o in ops:
        if isinstance(o, _IMPL_TYPE) and (o.dtype != out.dtype or o.device_type != out.device_type
                                          or o.device_index != out.device_index):
            return None
    return name, ops, dst


_DTYPES = {_fusion._dtype.float32.id: _fusion._dtype.float32, _fusion._dtype.float64.id: _fusion._dtype.float64}


def _fuse(log, escaping):
    """The log with each chain of elementwise calls as one fused call (a chain may end in a full sum).

    A call P is computed inside the later elementwise call R (not run on its own) when the value P writes (a fresh
    result, or into a buffer it was given) is read by R alone before that buffer is written again, nothing is
    written between P and R, and the value is dead after R: R or a later call overwrites the buffer, or nothing
    outside the step can see it (not returned, not held by a live tensor: a fresh value, an optimizer's scratch).
    Returns (log, fused kernels, ops they run)."""
    devices = _fused_device_types()
    info = [(_elementwise(e, devices) if e[0] not in ("_setgrad", "_opaque_step") else None) for e in log]
    n = len(log)
    writes, mutating = [None] * n, [False] * n
    source = [dict() for _ in range(n)]  # call -> {id(impl) read: the call that wrote the value read}
    readers, next_writer, last_writer = {}, {}, {}
    for k, e in enumerate(log):
        if e[0] == "_opaque_step":
            mutating[k] = True
            continue
        read = [e[2]] if e[0] == "_setgrad" and e[2] is not None else []
        if e[0] not in ("_setgrad",):
            if info[k] is not None:
                read = [o for o in info[k][1] if isinstance(o, _IMPL_TYPE)]
            else:
                read = _impls(e[2]) + _impls(list(e[3].values()))
        for a in read:
            w = last_writer.get(id(a))
            source[k][id(a)] = w
            if w is not None:
                readers.setdefault(w, []).append(k)
        if e[0] == "_setgrad":
            continue
        out = e[4]
        if e[0] in _STEPS:  # several buffers written: none can be inlined across it (writes[k] stays None)
            mutating[k] = True
            for w in _step_writes(e):
                if last_writer.get(id(w)) is not None:
                    next_writer.setdefault(last_writer[id(w)], k)
                last_writer[id(w)] = k
            continue
        if info[k] is not None and info[k][2] is not None:
            writes[k], mutating[k] = info[k][2], True
        elif e[0] in _MUTATES and e[2] and isinstance(e[2][0], _IMPL_TYPE):
            writes[k], mutating[k] = e[2][0], True
        elif _writes_out(e):
            writes[k], mutating[k] = out, True
        elif isinstance(out, _IMPL_TYPE):
            writes[k] = out
        if writes[k] is not None:
            w = last_writer.get(id(writes[k]))
            if w is not None:
                next_writer.setdefault(w, k)
            last_writer[id(writes[k])] = k
    later_mutation = [n] * (n + 1)  # the first mutating call at or after k
    for k in range(n - 1, -1, -1):
        later_mutation[k] = k if mutating[k] else later_mutation[k + 1]

    def inlinable(p, r):
        if info[p] is None or readers.get(p) != [r]:
            return False
        if later_mutation[p + 1] < r:  # a write between p and r: to a buffer p reads or writes?
            touched = {o.storage_id for o in info[p][1] if isinstance(o, _IMPL_TYPE)} | {writes[p].storage_id}
            for k in range(p + 1, r):
                if mutating[k] and (writes[k] is None or writes[k].storage_id in touched):
                    return False
        dead = next_writer.get(p) is not None or (id(writes[p]) not in escaping)
        return dead

    absorbed, fused, out = set(), {}, []
    for k in range(n - 1, -1, -1):
        e = log[k]
        if k in absorbed:
            continue
        is_sum = e[0] in _fusion.REDUCTIONS and _full_sum(e, devices)  # (a full sum or mean ends the chain)
        if info[k] is None and not is_sum:
            continue
        members = _members(k, log, info, source, inlinable, is_sum)
        if len(members) < 2 or not _no_overlap(members, log, info):
            continue
        absorbed.update(members)
        fused[k] = members
    for k, e in enumerate(log):
        if k in fused:
            out.append(_fused_entry(fused[k], log, info))
        elif k not in absorbed:
            out.append(e)
    return out, len(fused), sum(len(m) for m in fused.values())


def _impls(args):
    found = []
    for a in args:
        if isinstance(a, _IMPL_TYPE):
            found.append(a)
        elif isinstance(a, (list, tuple)):
            found.extend(_impls(a))
    return found


def _writes_out(e):
    """A call writing into a buffer it was given (out=, or returning one of its arguments)."""
    out = e[4]
    return isinstance(out, _IMPL_TYPE) and any(out is a for a in _impls(e[2]))


def _full_sum(e, devices):
    args, out = e[2], e[4]
    a = args[0]
    dims = args[1] if len(args) > 1 else []
    keep = args[2] if len(args) > 2 else False
    dtype = args[3] if len(args) > 3 else None
    return (not e[3] and isinstance(a, _IMPL_TYPE) and isinstance(out, _IMPL_TYPE) and not keep and dtype is None
            and (list(dims) == [] or sorted(dims) == list(range(a.ndim))) and a.device_type in devices
            and a.dtype in _DTYPES and out.dtype == a.dtype)


def _members(k, log, info, source, inlinable, is_sum):
    """k and the calls inlined into it (their value computed inside k's kernel), in log order."""
    members, stack = {k}, [k]
    while stack:
        r = stack.pop()
        operands = (log[r][2][0],) if r == k and is_sum else info[r][1]
        for o in operands:
            if isinstance(o, _IMPL_TYPE):
                p = source[r].get(id(o))
                if p is not None and p not in members and inlinable(p, r):
                    members.add(p)
                    stack.append(p)
    return sorted(members)


def _no_overlap(members, log, info):
    """Whether the chain reads its inputs in place: each is a scalar (one element, or expanded) or contiguous with
    the chain's shape (else the fused kernel would first copy it, costing more than the ops it saves), and the
    result buffer shares no storage with an input other than itself (a transposed view of the buffer read while
    it is written would see written elements)."""
    last = members[-1]
    dst = info[last][2] if info[last] is not None else None
    ops = [o for m in members if info[m] is not None for o in info[m][1] if isinstance(o, _IMPL_TYPE)]
    shape = max((o.shape for o in ops), key=len, default=())
    for m in members:
        for o in info[m][1] if info[m] is not None else ():
            if not isinstance(o, _IMPL_TYPE) or o.numel == 1 or not any(o.strides):
                continue
            if not o.is_contiguous or o.shape != shape:
                return False
            if dst is not None and o is not dst and o.storage_id == dst.storage_id:
                return False
    return True


def _fused_entry(members, log, info):
    """One log entry calling the fused chain of `members` (the last may be a full sum or write into a buffer)."""
    last = members[-1]
    is_sum = info[last] is None
    body = members[:-1] if is_sum else members
    index = {}  # the value each earlier member wrote (a fresh result, or into a buffer) -> its step
    inputs, steps = [], []
    dtype = _DTYPES[log[last][4].dtype]
    device = (log[last][4].device_type, log[last][4].device_index)
    for m in body:
        name, ops, _ = info[m]
        if name == "pow" and isinstance(ops[1], (int, float)) and ops[1] == 2:
            name, ops = "mul", (ops[0], ops[0])  # as the eager x ** 2
        args = []
        for o in ops:
            if isinstance(o, _IMPL_TYPE) and id(o) in index:
                args.append(("step", index[id(o)]))
                continue
            key = o if isinstance(o, _IMPL_TYPE) else None
            pos = next((k for k, i in enumerate(inputs) if key is not None and i is key), None)
            if pos is None:
                inputs.append(o if key is not None else _Dynamic(o, dtype.id, device) if isinstance(o, Scalar) else
                              _C.full([], float(o), dtype.id, *device))
                pos = len(inputs) - 1
            args.append(("in", pos))
        index[id(info[m][2] if info[m][2] is not None else log[m][4])] = len(steps)
        steps.append((name, tuple(args)))
    chain = _fusion.Chain(steps, len(inputs), log[last][0] if is_sum else None)
    dst = None if is_sum else info[last][2]
    fn = chain.bind()
    args = (tuple(inputs), dst)
    return ("fused", fn, args, {}, log[last][4])
