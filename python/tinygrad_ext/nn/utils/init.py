"""torch.nn.utils.skip_init."""
import inspect

from ... import random
from ..modules.module import Module


def skip_init(module_cls, *args, **kwargs):
    """module_cls(*args, **kwargs) with its parameters and buffers left uninitialized (arbitrary values): the global
    random state is as before the call. torch builds the module on the meta device and allocates it empty; here it is
    built normally inside fork_rng (the library has no meta device), so the draws of its initialization are undone."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    with random.fork_rng():
        return module_cls(*args, **kwargs)
