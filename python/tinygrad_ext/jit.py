"""torch.jit: the decorators and queries that model code carries (is_scripting, is_tracing, ignore, unused, export,
annotate, Final, interface, fork/wait), with their eager meaning.

There is no TorchScript here: `script` and `trace` return the function or module itself, which runs as the Python
it was written in (tinygrad_ext.compile is the way to a faster step), and `freeze`/`optimize_for_inference` return
the (eval-mode) module. A TorchScript archive cannot be written or read: jit.save and jit.load raise
NotImplementedError naming the state_dict route instead (README, "Deliberately not copied")."""
import typing
import warnings

from .nn.modules.module import Module

Final = typing.Final


def is_scripting():
    return False


def is_tracing():
    return False


def annotate(the_type, the_value):
    return the_value


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def script_if_tracing(fn):
    return fn


def ignore(drop=False, **kwargs):
    """@torch.jit.ignore and @torch.jit.ignore(drop=...): the function is left as it is."""
    if callable(drop):
        return drop
    if drop:
        warnings.warn("ignore(True) has been deprecated. TorchScript will now drop the function call on compilation. "
                      "Use torch.jit.unused now. {}", FutureWarning, stacklevel=2)
    return lambda fn: fn


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """The object itself: it runs eagerly (no TorchScript)."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """The function or module itself: it runs eagerly (no TorchScript)."""
    if example_inputs is None and not isinstance(example_kwarg_inputs, dict):
        raise RuntimeError("example_kwarg_inputs should be a dict")
    return func


def trace_module(mod, inputs, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05, strict=True,
                 _force_outplace=False, _module_class=None, _compilation_unit=None, example_inputs_is_kwarg=False,
                 _store_inputs=True):
    return mod


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    if not isinstance(mod, Module):
        raise RuntimeError("Freezing expects a ScriptModule as input. Please use torch.jit.script or torch.jit.trace "
                           "to script your 'nn.Module'.")
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() on "
                           "your module before freezing.")
    return mod


def optimize_for_inference(mod, other_methods=None):
    return freeze(mod.eval())


class Future:
    """torch.jit.fork's result: the call already ran (eagerly); wait() returns its value."""

    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value

    def done(self):
        return True


def fork(func, *args, **kwargs):
    return Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


def _no_archives(name):
    def refuse(*args, **kwargs):
        raise NotImplementedError(f"torch.jit.{name}: TorchScript archives are not supported by tinygrad_ext "
                                  "(there is no TorchScript; script/trace return the eager module). Save and load "
                                  "the weights instead: torch.save(model.state_dict(), f) and "
                                  "model.load_state_dict(torch.load(f)).")
    refuse.__name__ = name
    return refuse


save, load = _no_archives("save"), _no_archives("load")


class ScriptModule(Module):
    """The type of torch's scripted modules (for isinstance checks; script() here returns the module itself)."""


class ScriptFunction:
    """The type of torch's scripted functions (for isinstance checks; script() here returns the function itself)."""
