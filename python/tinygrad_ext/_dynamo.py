"""torch._dynamo: the parts user code touches around torch.compile (reset, the config switches, disable,
mark_dynamic), on tinygrad_ext.compile. Our compile traces and records without bytecode analysis, so the marks
and most switches are accepted and recorded only; recompile_limit (cache_size_limit) is the one compile reads."""
from . import _compile
from ._compile import OptimizedModule, reset
from .compiler import allow_in_graph, assume_constant_result, disable, is_compiling

__all__ = ["OptimizedModule", "allow_in_graph", "assume_constant_result", "config", "disable", "is_compiling",
           "list_backends", "mark_dynamic", "mark_static", "maybe_mark_dynamic", "optimize", "reset"]

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
