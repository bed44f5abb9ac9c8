"""tinygrad_ext.compile: torch.compile's signature, arguments and checks.

NOTE: this first version captures no graph and fuses no kernels: the returned callable runs the function
(or module) eagerly, on the same kernels, so its results equal the eager ones exactly and it is no
faster. It exists so that tutorial code written with `torch.compile` runs unchanged. For a graph built
once, optimized ahead of time and replayed (constant folding, CSE, dead-node elimination, a cached
execution plan), use the static-graph API, `tinygrad_ext.static` (TensorFlow 1's placeholders/Session).
"""
import functools

from .nn.modules.module import Module

_MODES = ("default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")
_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs")


class OptimizedModule(Module):
    """What compile() returns for a Module, as torch's: the module is `_orig_mod` (so state_dict keys carry
    the `_orig_mod.` prefix) and other attributes are looked up on it."""

    def __init__(self, mod):
        super().__init__()
        self._orig_mod = mod

    def forward(self, *args, **kwargs):
        return self._orig_mod(*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            mod = self.__dict__.get("_modules", {}).get("_orig_mod")
            if mod is None:
                raise
            return getattr(mod, name)


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,  # noqa: A001 (torch.compile)
            options=None, name=None, disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """torch.compile(model): a callable with the model's results (run eagerly: see the module's NOTE)."""
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
        raise RuntimeError(f"Invalid backend: '{backend}': this library's compile accepts {', '.join(_BACKENDS)} "
                           "(all run eagerly).")
    if not isinstance(disable, bool):
        raise AssertionError(f"Expected enable to be a bool, got {type(disable)}")
    if disable:
        return model
    if isinstance(model, Module):
        return OptimizedModule(model)

    @functools.wraps(model)
    def compiled(*args, **kwargs):
        return model(*args, **kwargs)
    compiled._torchdynamo_orig_callable = model
    return compiled
