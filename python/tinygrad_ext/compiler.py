"""torch.compiler: the switches user code puts around compiled functions (tinygrad_ext.compile)."""
import functools

from ._compile import compile, graph_break, reset, tracing

__all__ = ["allow_in_graph", "assume_constant_result", "compile", "cudagraph_mark_step_begin", "disable",
           "is_compiling", "is_dynamo_compiling", "is_exporting", "reset"]


def is_compiling():
    """True while a compiled function is being traced or its step recorded, False when it runs (or replays)."""
    return tracing()


is_dynamo_compiling = is_compiling


def is_exporting():
    return False


def disable(fn=None, recursive=True, *, reason=None):
    """The function always runs eagerly: a compiled function that calls it runs eagerly too (a graph break)."""
    if fn is None:
        return functools.partial(disable, recursive=recursive, reason=reason)

    @functools.wraps(fn)
    def eager(*args, **kwargs):
        graph_break(f"a torch.compiler.disable'd function ({getattr(fn, '__qualname__', fn)})"
                    + (f": {reason}" if reason else ""))
        return fn(*args, **kwargs)
    return eager


def allow_in_graph(fn):
    """Accepted for compatibility: our traces and recordings see through every Python function already."""
    return fn


def assume_constant_result(fn):
    """Accepted for compatibility: the function is called on every run, its result is not frozen."""
    return fn


def cudagraph_mark_step_begin():
    """Accepted for compatibility: compiled steps are not captured as CUDA graphs."""
