"""torch._dynamo: the parts user code touches around torch.compile (reset, the config switches, disable,
mark_dynamic, explain), on tinygrad_ext.compile. Our compile traces and records without bytecode analysis, so the
marks and most switches are accepted and recorded only; recompile_limit (cache_size_limit) is the one compile reads."""
import dataclasses
import sys
import types
import warnings

from . import _compile
from ._compile import OptimizedModule, reset
from .compiler import allow_in_graph, assume_constant_result, disable, is_compiling

# torch._dynamo.exc: the exceptions compile raises
exc = types.ModuleType(f"{__name__}.exc")
exc.TorchDynamoException, exc.InvalidBackend = _compile.TorchDynamoException, _compile.InvalidBackend
sys.modules[exc.__name__] = exc

__all__ = ["OptimizedModule", "allow_in_graph", "assume_constant_result", "config", "disable", "explain",
           "is_compiling", "list_backends", "mark_dynamic", "mark_static", "maybe_mark_dynamic", "optimize", "reset"]

_DEFAULTS = {"suppress_errors": False, "verbose": False, "capture_scalar_outputs": False,
             "capture_dynamic_output_shape_ops": False, "automatic_dynamic_shapes": True,
             "assume_static_by_default": True, "specialize_int": False, "accumulated_recompile_limit": 256,
             "optimize_ddp": True, "error_on_recompile": False, "inline_inbuilt_nn_modules": True}


class _Config:
    """torch._dynamo.config: a fixed set of names (another raises torch's AttributeError); recompile_limit and its
    old name cache_size_limit set how many guard sets a compiled function records before it runs eagerly."""

    def __init__(self):
        self.__dict__.update(_DEFAULTS)

    @property
    def recompile_limit(self):
        return _compile.RECOMPILE_LIMIT

    @recompile_limit.setter
    def recompile_limit(self, n):
        _compile.RECOMPILE_LIMIT = n

    cache_size_limit = recompile_limit

    def __setattr__(self, name, value):
        if name not in _DEFAULTS and not isinstance(getattr(type(self), name, None), property):
            raise AttributeError(f"torch._dynamo.config.{name} does not exist")
        object.__setattr__(self, name, value)

    def __getattr__(self, name):  # (only for names not found: torch's message)
        raise AttributeError(f"torch._dynamo.config.{name} does not exist")


config = _Config()


def list_backends(exclude_tags=("debug", "experimental")):
    """The backends compile accepts (eager and aot_eager, which run eagerly, are debug ones, as in torch)."""
    return sorted(b for b in _compile._BACKENDS if not exclude_tags or b not in ("eager", "aot_eager"))


def mark_dynamic(t, index, *, min=None, max=None, specialize_on=None):
    """Accepted: our guards key on the exact shapes (a new size records again, up to recompile_limit)."""


def maybe_mark_dynamic(t, index):
    """Accepted (see mark_dynamic)."""


def mark_static(t, index=None):
    """Accepted: shapes are static in our guards already."""


def optimize(backend="inductor", *, nopython=False, dynamic=None, disable=False, **kwargs):
    """torch._dynamo.optimize(backend): a decorator compiling with that backend (torch.compile's older spelling)."""
    return lambda fn: _compile.compile(fn, fullgraph=nopython, dynamic=dynamic, backend=backend, disable=disable)


@dataclasses.dataclass
class GraphCompileReason:
    """Why a graph was cut (torch's): the graph break's reason, the user frames (none here: our compile sees no
    bytecode) and whether it was a break."""

    reason: str
    user_stack: list
    graph_break: bool = True


@dataclasses.dataclass
class ExplainOutput:
    """torch._dynamo.explain's result, from this library's compile: graphs are the guard set's compiled graph (an
    elementwise trace or a whole step being recorded; none when a break makes the call eager), ops_per_graph their
    registry ops or recorded core calls, break_reasons compile's graph-break reasons (what its warning names)."""

    graphs: list
    graph_count: int
    graph_break_count: int
    break_reasons: list
    op_count: int
    ops_per_graph: list = None
    out_guards: list = None
    compile_times: str = None

    def __str__(self):  # (torch's layout)
        out = f"Graph Count: {self.graph_count}\nGraph Break Count: {self.graph_break_count}\n"
        out += f"Op Count: {self.op_count}\nBreak Reasons:\n"
        for i, r in enumerate(self.break_reasons):
            out += f"  Break Reason {i + 1}:\n    Reason: {r.reason}\n    User Stack:\n"
            out += "".join(f"      {frame}\n" for frame in r.user_stack)
        if self.ops_per_graph is not None:
            out += "Ops per Graph:\n"
            for i, ops in enumerate(self.ops_per_graph):
                out += f"  Ops {i + 1}:\n" + "".join(f"    {op}\n" for op in ops)
        if self.out_guards is not None:
            out += "Out Guards:\n"
            for i, guard in enumerate(self.out_guards):
                out += f"  Guard {i + 1}:\n    {guard}"
        if self.compile_times is not None:
            out += f"Compile Times: {self.compile_times}\n"
        return out


class _Explained(_compile._Compiled):
    """A compiled function that keeps its graph breaks' reasons instead of warning."""

    def __init__(self, fn):
        super().__init__(fn, False, True, _compile.RECOMPILE_LIMIT)
        self.reasons = []

    def _break(self, what):
        self.stats.graph_breaks += 1
        self.reasons.append(GraphCompileReason(what, []))


def _graph_ops(graph):
    if isinstance(graph, _compile._Steps):  # (the first call's recording: its core calls)
        return [entry[0] for entry in graph.last[1].log] if graph.last is not None else []
    return [name for chain, _ in graph.outputs if chain is not None for name, _ in chain.steps]


def explain(f, *extra_args, **extra_kwargs):
    """torch._dynamo.explain(f)(*args, **kwargs): runs f once through compile and says what it compiled and where it
    broke (ExplainOutput)."""
    def inner(*args, **kwargs):
        compiled = _Explained(f)
        compiled(*args, **kwargs)
        graphs = [g for g in compiled.graphs.values() if g is not None]
        ops = [_graph_ops(g) for g in graphs]
        return ExplainOutput(graphs, len(graphs), len(compiled.reasons), compiled.reasons, sum(map(len, ops)), ops)

    if extra_args or extra_kwargs:
        warnings.warn("explain(f, *args, **kwargs) is deprecated, use explain(f)(*args, **kwargs) instead.  If you "
                      "don't migrate, we may break your explain call in the future if your user defined kwargs "
                      "conflict with future kwargs added to explain(f).", FutureWarning, stacklevel=2)
        return inner(*extra_args, **extra_kwargs)
    return inner
