"""tinygrad_ext.compile: torch.compile's signature; elementwise chains traced once and run as fused kernels, whole
training steps recorded once and replayed as plans.

Two ways to compile a call, chosen per guard set (argument shapes, dtypes, devices, requires_grad, grad mode):

1. Elementwise functions. The function runs once on proxy tensors that record each op into a graph (a trace):
   Tensor operators and methods that are registry elementwise ops (+ - * / **, exp, sigmoid, tanh, relu, ...) on
   float32/float64 CPU tensors and Python numbers, ending in nothing or a full `sum()`/`mean()`. Each output
   becomes one fused kernel (`_fusion.Chain`: generated C++ over the eager functors, so results equal the eager
   ones bitwise); later calls only check the guards and call the kernels.
2. Anything else (matmuls, nn layers, `loss.backward()`, `optimizer.step()`, a step over captured weights): a
   whole-step plan (`_plan`). Calls run eagerly while their core calls are recorded, until two consecutive
   recordings agree (the same calls, numbers and tensors read: the first call creates gradients and optimizer
   state), usually from the fourth call on the plan replays: one generated function of straight-line `_C` calls
   with elementwise chains fused, no autograd graph built, the gradients set as the eager step sets them. A
   captured tensor's storage, the gradients read, the optimizers' settings, the modules' training flags and the
   arguments' layouts are the plan's own guards: a change records it again.

A graph break runs that guard set eagerly, with one warning naming what broke it (or, with fullgraph=True, a
RuntimeError): a tensor's value read in Python (`.item()`, `if tensor:`) outside an optimizer's step, Python's
`random` module (the tutorial's DynamicNet), a value-dependent shape (nonzero), a returned tensor that requires
grad when the step runs no backward (its backward would run outside), an assignment to `.data` inside the step,
recordings that never agree (a learning rate changed inside the step, data made in Python, a rebound tensor).
An optimizer reading its step count from a tensor (Adam) is replayed with that number read again and the scalars
derived from it recomputed. A guard miss records again, up to `recompile_limit` (8, torch's default) guard sets
per function (and 8 plans per guard set); beyond it, calls run eagerly.

NOTE: the elementwise trace runs the function's Python once; if it breaks, the Python side effects (prints,
appends) of the code before the break repeat in the eager run. A plan replays core calls only: Python side
effects of the step (prints, counters, appends) happen on the recorded calls, not on replays, and a returned
tensor carries no grad_fn. A captured tensor (a closure's or a module's) is read at every call (its current
values); a Python number argument is a guard (a new value traces again); numbers inside the function are
constants of the trace.
"""
import functools
import warnings
import weakref

from . import _fusion, _plan
from ._device import device
from .autograd.grad_mode import is_grad_enabled
from .nn.modules import module as _module
from .nn.modules.module import Module
from .tensor import Tensor, _wrap, tensor

_IMPL = Tensor.__dict__["_impl"].__get__

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs")  # ('eager' and 'aot_eager' run eagerly)


class TorchDynamoException(RuntimeError):
    """torch._dynamo.exc.TorchDynamoException."""


class InvalidBackend(TorchDynamoException):
    """torch._dynamo.exc.InvalidBackend: compile() with a backend name it does not know."""

    def __init__(self, name):
        super().__init__(f"Invalid backend: {name!r}, see `torch._dynamo.list_backends()` for available backends.")
RECOMPILE_LIMIT = 8  # torch._dynamo.config.recompile_limit


class GraphBreak(Exception):
    """Raised inside a trace where the function leaves what a fused kernel can run."""


class CompileStats:
    """What a compiled function did: traces (first compile + recompiles on guard misses), graph breaks, fused
    kernels built (and the registry ops they run), calls that ran a trace or a plan (fused_calls), calls that ran
    eagerly; for whole steps (_plan): plans built, core calls per replay of the latest plan (plan_calls) against
    the calls the eager step made (recorded_calls), optimizer steps kept as one opaque call (opaque_steps), output
    buffers allocated once and rewritten at every replay (planned_buffers), products accumulated straight into a
    gradient (accumulated_products: an mm and the add after it made one addmm)."""

    __slots__ = ("traces", "guard_misses", "graph_breaks", "fused_kernels", "fused_ops", "fused_calls",
                 "eager_calls", "plans", "plan_calls", "recorded_calls", "opaque_steps", "planned_buffers",
                 "accumulated_products")

    def __init__(self):
        for k in self.__slots__:
            setattr(self, k, 0)

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __repr__(self):
        return "CompileStats(" + ", ".join(f"{k}={v}" for k, v in self.as_dict().items()) + ")"


# ------------------------------------------------------------------------------------------ tracing
class _Trace:
    def __init__(self):
        self.steps, self.sources = [], []  # sources: ("arg", i) | ("tensor", t) for each trace input
        self.captured = []                 # (tensor, shape, dtype) of tensors read from outside the arguments
        self.dtype = None

    def input(self, source, shape, dtype):
        self._check_dtype(dtype)
        self.sources.append(source)
        return _Proxy(self, ("in", len(self.sources) - 1), shape)

    def _check_dtype(self, dtype):
        if dtype not in _fusion._CTYPE:
            raise GraphBreak(f"a {dtype} tensor (fused kernels run float32 and float64)")
        if self.dtype is None:
            self.dtype = dtype
        elif dtype is not self.dtype:
            raise GraphBreak(f"mixed dtypes ({self.dtype} and {dtype})")

    def operand(self, x):
        if isinstance(x, _Proxy):
            if x._trace is not self:
                raise GraphBreak("a tensor of another trace")
            if x._reduced:
                raise GraphBreak("an op after a reduction (a reduction ends a fused kernel)")
            return x
        if isinstance(x, Tensor):
            if x.device.type != "cpu":
                raise GraphBreak(f"a tensor on {x.device}")
            if x.requires_grad and is_grad_enabled():
                raise GraphBreak("autograd (a tensor that requires grad, with grad mode on)")
            self.captured.append((x, tuple(x.shape), x.dtype))
            return self.input(("tensor", x), tuple(x.shape), x.dtype)
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            if self.dtype is None:
                raise GraphBreak("a number before any tensor")
            return self.input(("tensor", tensor(x, dtype=self.dtype)), (), self.dtype)
        raise GraphBreak(f"an operand of type {type(x).__name__}")

    def op(self, name, *xs):
        ps = [self.operand(x) for x in xs]
        try:
            shape = _fusion._broadcast([p.shape for p in ps], name)
        except RuntimeError as e:
            raise GraphBreak(f"{name} of shapes {[p.shape for p in ps]} (the eager op raises the error)") from e
        self.steps.append((name, tuple(p._ref for p in ps)))
        return _Proxy(self, ("step", len(self.steps) - 1), shape)

    def chain(self, proxy):
        """The fused chain computing `proxy` (only the steps it needs) and its inputs' sources."""
        needed, stack = set(), [proxy._ref]
        while stack:
            kind, i = stack.pop()
            if kind == "step" and i not in needed:
                needed.add(i)
                stack.extend(self.steps[i][1])
        renumber_step = {j: n for n, j in enumerate(sorted(needed))}
        used = sorted({i for j in needed for kind, i in self.steps[j][1] if kind == "in"})
        renumber_in = {i: n for n, i in enumerate(used)}
        steps = [(name, tuple(("in", renumber_in[i]) if kind == "in" else ("step", renumber_step[i])
                              for kind, i in args)) for j, (name, args) in enumerate(self.steps) if j in needed]
        return _fusion.Chain(steps, len(used), proxy._reduced), [self.sources[i] for i in used]


def _method(name):
    return lambda self, *args: self._trace.op(name, self, *args)


def _reflected(name):
    return lambda self, other: self._trace.op(name, other, self)


def _breaks(what):
    def method(self, *args, **kwargs):
        raise GraphBreak(what)
    return method


class _Proxy:
    """A tensor during a trace: its ops are recorded, not run."""

    __slots__ = ("_trace", "_ref", "shape", "_reduced")

    def __init__(self, trace, ref, shape, reduced=None):
        self._trace, self._ref, self.shape, self._reduced = trace, ref, tuple(shape), reduced

    dtype = property(lambda self: self._trace.dtype)
    device = property(lambda self: _CPU)
    ndim = property(lambda self: len(self.shape))
    requires_grad = False

    def dim(self):
        return len(self.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def _reduce(self, kind, dim=None, keepdim=False, dtype=None):
        if dim is not None or keepdim or dtype is not None:
            raise GraphBreak(f"{kind} over dims (only a full {kind}() ends a fused kernel)")
        self._trace.operand(self)
        if self._ref[0] == "in":
            raise GraphBreak(f"a {kind} of an input alone (no elementwise op to fuse)")
        return _Proxy(self._trace, self._ref, (), kind)

    def sum(self, dim=None, keepdim=False, dtype=None):
        return self._reduce("sum", dim, keepdim, dtype)

    def mean(self, dim=None, keepdim=False, dtype=None):
        return self._reduce("mean", dim, keepdim, dtype)

    def __pow__(self, other):
        if isinstance(other, (int, float)) and not isinstance(other, bool) and other == 2:
            return self._trace.op("mul", self, self)  # as the eager x ** 2: a multiply
        return self._trace.op("pow", self, other)

    pow = __pow__
    __add__ = add = _method("add")
    __sub__ = sub = _method("sub")
    __mul__ = mul = _method("mul")
    __truediv__ = div = _method("div")
    __radd__ = _reflected("add")
    __rsub__ = _reflected("sub")
    __rmul__ = _reflected("mul")
    __rtruediv__ = _reflected("div")
    __rpow__ = _reflected("pow")
    __neg__ = _method("neg")
    __abs__ = _method("abs")
    __bool__ = _breaks("data-dependent control flow (bool() of a tensor)")
    __float__ = __int__ = __index__ = item = tolist = numpy = _breaks("a tensor's value read in Python (.item())")
    __lt__ = __le__ = __gt__ = __ge__ = _breaks("a comparison (bool results are not fused)")
    __eq__ = __ne__ = __lt__
    __hash__ = object.__hash__
    __len__ = __iter__ = __getitem__ = __setitem__ = _breaks("indexing")

    def __getattr__(self, name):
        if name.startswith("_"):  # a library function reaching into a traced tensor (torch.exp(x), F.linear)
            raise GraphBreak(f"a library function called on a traced tensor (it reads Tensor.{name}); the traced "
                             "ops are Tensor operators and methods such as x.exp()")
        raise GraphBreak(f"Tensor.{name}")


for _name in _fusion.FUSABLE:
    if not hasattr(_Proxy, _name):
        setattr(_Proxy, _name, _method(_name))
del _name
_CPU = device("cpu")


# ------------------------------------------------------------------------------------------ the compiled callable
class _Graph:
    """One guard set's trace: a fused chain per output."""

    def __init__(self, outputs, structure, captured):
        self.outputs, self.structure, self.captured = outputs, structure, captured

    def run(self, tensors):
        for t, shape, dtype in self.captured:
            if tuple(t.shape) != shape or t.dtype is not dtype:
                return None  # a captured tensor changed: trace again
        results = []
        for chain, sources in self.outputs:
            if chain is None:
                results.append(tensors[sources])
                continue
            results.append(chain(*[tensors[s[1]] if s[0] == "arg" else s[1] for s in sources]))
        return results[0] if self.structure is None else self.structure(results)


class _Steps:
    """One guard set's whole-step state (_plan): calls run eagerly while recorded until two consecutive recordings
    agree (_plan.signature: first calls create optimizer state and gradients), then the plan of the latest one
    replays."""

    __slots__ = ("calls", "plan", "records", "last")

    def __init__(self):
        self.calls, self.plan, self.records, self.last = 0, None, 0, None  # last: (signature, its Recorder)


# graph breaks of the elementwise trace that a whole-step plan cannot lift either (values read by Python)
_DEFINITE = ("a tensor's value read in Python", "data-dependent control flow")


_TRACING = []  # the elementwise traces running (torch.compiler.is_compiling)
_ALL = weakref.WeakSet()  # every compiled function (torch.compiler.reset)


def tracing():
    """Whether a compiled function is being traced or recorded (torch.compiler.is_compiling)."""
    return bool(_TRACING) or _plan.recording()


def reset():
    """Forget every compiled function's traces and plans: the next calls compile again (torch.compiler.reset)."""
    for compiled in list(_ALL):
        compiled.graphs.clear()


def graph_break(what):
    """Make the function being traced, or the step being recorded, run eagerly (torch.compiler.disable)."""
    if _TRACING:
        raise GraphBreak(what)
    _plan.graph_break(what)


class _Compiled:
    def __init__(self, fn, fullgraph, fuse, limit):
        self.fn, self.fullgraph, self.fuse, self.limit = fn, fullgraph, fuse, limit
        self.stats, self.graphs, self._warned = CompileStats(), {}, set()
        _ALL.add(self)

    def __call__(self, *args, **kwargs):
        if not self.fuse or _plan.recording():  # (inside another compiled step's recording: its core calls count)
            self.stats.eager_calls += 1
            return self.fn(*args, **kwargs)
        key = _guards(args, kwargs)
        graph = self.graphs.get(key, False) if key is not None else None
        if graph is False:
            if len(self.graphs) >= self.limit:
                self._warn("recompile limit", f"tinygrad_ext.compile: {self._name()} hit the recompile limit "
                           f"({self.limit} guard sets of shapes, dtypes, devices and requires_grad); new "
                           "ones run eagerly")
                graph = None
            else:
                if self.graphs:
                    self.stats.guard_misses += 1
                graph = self.graphs[key] = self._trace(args, kwargs)
        if isinstance(graph, _Steps):
            return self._step(graph, key, args, kwargs)
        if graph is not None:
            flat = [a for a in list(args) + [kwargs[k] for k in sorted(kwargs)] if isinstance(a, Tensor)]
            out = graph.run(flat)
            if out is not None:
                self.stats.fused_calls += 1
                return out
            graph = self.graphs[key] = self._trace(args, kwargs)  # a captured tensor changed: trace again
            if isinstance(graph, _Steps):
                return self._step(graph, key, args, kwargs)
            if graph is not None:
                self.stats.fused_calls += 1
                return graph.run(flat)
        self.stats.eager_calls += 1
        return self.fn(*args, **kwargs)

    def _step(self, state, key, args, kwargs):
        """A call of a whole-step guard set: replay the plan, or run eagerly while recording one."""
        flat = [a for a in list(args) + [kwargs[k] for k in sorted(kwargs)] if isinstance(a, Tensor)]
        plan = state.plan
        if plan is not None:
            if plan.check(flat):
                self.stats.fused_calls += 1
                return _plan.rebuild(plan.structure, [_wrap(o) for o in plan.run([_IMPL(t) for t in flat], flat)])
            state.plan = None  # a captured tensor, a gradient or an optimizer's settings changed: record again
            self.stats.guard_misses += 1
        state.calls += 1
        if state.records >= self.limit:
            self.stats.eager_calls += 1
            self._break(f"the step's core calls, their numbers or the tensors it reads changed in each of "
                        f"{self.limit} recorded calls (Python state changing every call: a learning rate set inside "
                        "the step, data made in Python, a tensor rebound)")
            self.graphs[key] = None
            return self.fn(*args, **kwargs)
        state.records += 1
        self.stats.traces += 1
        rec = _plan.Recorder()
        with rec:
            result = self.fn(*args, **kwargs)
        self.stats.eager_calls += 1
        try:
            plan = _plan.build(rec, flat, result)
        except _plan.GraphBreak as e:
            self.graphs[key] = None
            self._break(str(e))
            return result
        sig = _plan.signature(rec, flat)
        agreed = state.last is not None and state.last[0] == sig
        state.last = (sig, rec)  # (the Recorder keeps the ids in the signature alive)
        if agreed:
            # (frees the recorded step's tensors; a guard miss records twice; the limit counts recordings without a
            # plan, so a learning rate changed once per epoch outside the step keeps being compiled)
            state.plan, state.last, state.records = plan, None, 0
            st = self.stats
            st.plans += 1
            st.fused_kernels += plan.stats["fused_kernels"]
            st.fused_ops += plan.stats["fused_ops"]
            st.plan_calls, st.recorded_calls = plan.stats["plan_calls"], plan.stats["recorded_calls"]
            for k in ("opaque_steps", "planned_buffers", "accumulated_products"):
                setattr(st, k, plan.stats[k])
        return result

    def _name(self):
        return getattr(self.fn, "__qualname__", type(self.fn).__name__)

    def _warn(self, reason, message):
        if reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(message, UserWarning, stacklevel=4)

    def _trace(self, args, kwargs):
        self.stats.traces += 1
        trace = _Trace()
        try:
            n = 0
            proxied = []
            for a in list(args) + [kwargs[k] for k in sorted(kwargs)]:
                if isinstance(a, Tensor):
                    if a.device.type != "cpu":
                        raise GraphBreak(f"a tensor on {a.device}")
                    if a.requires_grad and is_grad_enabled():
                        raise GraphBreak("autograd (an input that requires grad, with grad mode on)")
                    proxied.append(trace.input(("arg", n), tuple(a.shape), a.dtype))
                    n += 1
                else:
                    proxied.append(a)
            if n == 0:
                raise GraphBreak("no tensor arguments (a step over captured tensors is not traced)")
            pargs, pkw = proxied[:len(args)], dict(zip(sorted(kwargs), proxied[len(args):]))
            _TRACING.append(self)
            try:
                result = self.fn(*pargs, **pkw)
            finally:
                _TRACING.pop()
            items, structure = ([result], None) if not isinstance(result, (tuple, list)) else \
                (list(result), type(result))
            outputs = []
            for r in items:
                if not isinstance(r, _Proxy):
                    raise GraphBreak(f"a returned {type(r).__name__} (only tensors computed by the trace)")
                if r._ref[0] == "in" and trace.sources[r._ref[1]][0] == "arg" and not r._reduced:
                    outputs.append((None, trace.sources[r._ref[1]][1]))
                else:
                    outputs.append(trace.chain(r))
        except GraphBreak as e:
            if str(e).startswith(_DEFINITE):
                return self._break(str(e))
            self.stats.traces -= 1  # not an elementwise chain: a whole step, recorded at its calls (_plan)
            return _Steps()
        except Exception:  # noqa: BLE001 (any failure inside the trace: the recorded eager run shows the real error)
            self.stats.traces -= 1
            return _Steps()
        chains = [c for c, _ in outputs if c is not None]
        self.stats.fused_kernels += len(chains)
        self.stats.fused_ops += sum(len(c) for c in chains)
        return _Graph(outputs, structure, trace.captured)

    def _break(self, what):
        self.stats.graph_breaks += 1
        message = (f"tinygrad_ext.compile: graph break in {self._name()}: {what}. This call signature runs "
                   "eagerly (a plan replays core calls whose every value stays in tensors).")
        if self.fullgraph:
            raise RuntimeError(message.replace("graph break", "fullgraph=True, but found a graph break"))
        self._warn(what, message)
        return None


def _guards(args, kwargs):
    """The guard key of a call: each tensor's shape, dtype, device and requires_grad (and the grad mode), each
    other value itself; None when a value cannot be a guard (unhashable: the call runs eagerly)."""
    try:
        return tuple(_guard(a) for a in args) + tuple((k, _guard(v)) for k, v in sorted(kwargs.items()))
    except TypeError:
        return None


def _guard(a):
    if isinstance(a, Tensor):
        return ("T", tuple(a.shape), a.dtype, str(a.device), a.requires_grad, is_grad_enabled())
    hash(a)
    return ("V", type(a), a)


class OptimizedModule(Module):
    """What compile() returns for a Module, as torch's: the module is `_orig_mod` (so state_dict keys carry
    the `_orig_mod.` prefix) and other attributes are looked up on it. Its forward is compiled."""

    def __init__(self, mod, compiled):
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_compiled"] = compiled

    @property
    def stats(self):
        return self.__dict__["_compiled"].stats

    def forward(self, *args, **kwargs):
        return self.__dict__["_compiled"](*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            mod = self.__dict__.get("_modules", {}).get("_orig_mod")
            if mod is None:
                raise
            return getattr(mod, name)


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, name=None, disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """torch.compile(model): elementwise chains fused into generated kernels, the rest eager (see the module)."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode, options=options,
                                 name=name, disable=disable, recompile_limit=recompile_limit,
                                 isolate_recompiles=isolate_recompiles, shapes_spec=shapes_spec)
    if not callable(model):
        raise AssertionError(f"A callable function is expected, but {type(model)} is provided.")
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: {', '.join(_MODES)}")
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise InvalidBackend(backend)
    if not isinstance(disable, bool):
        raise AssertionError(f"Expected enable to be a bool, got {type(disable)}")
    if disable:
        return model
    compiled = _Compiled(model, fullgraph, fuse=backend in ("inductor", "cudagraphs"),
                         limit=RECOMPILE_LIMIT if recompile_limit is None else recompile_limit)
    if isinstance(model, Module):
        return OptimizedModule(model, compiled)

    @functools.wraps(model)
    def wrapper(*args, **kwargs):
        return compiled(*args, **kwargs)
    wrapper._torchdynamo_orig_callable = model
    wrapper.stats = compiled.stats
    return wrapper


_module._compiler[0] = compile  # (Module.compile)
