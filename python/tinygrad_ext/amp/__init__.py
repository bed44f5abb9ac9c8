"""torch.amp: autocast regions and GradScaler; also torch.cuda.amp's and torch.cpu.amp's deprecated spellings of
both."""
import importlib.machinery
import sys
import types
import warnings

from .. import cpu, cuda
from .._dtype import bfloat16
from .autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from .grad_scaler import GradScaler


def is_autocast_available(device_type):
    return device_type in ("cpu", "cuda")


def _deprecated(device_module, default_dtype):
    """torch.<device>.amp, a module of the deprecated spellings torch.<device>.amp.GradScaler(...) and
    torch.<device>.amp.autocast(...) of torch.amp's (with torch's FutureWarning), so that
    `from torch.cuda.amp import GradScaler, autocast` works."""
    device_type = device_module.__name__.rsplit(".", 1)[1]

    class Scaler(GradScaler):
        def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                     enabled=True):
            warnings.warn(f"`torch.{device_type}.amp.GradScaler(args...)` is deprecated. Please use "
                          f"`torch.amp.GradScaler('{device_type}', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__(device_type, init_scale, growth_factor, backoff_factor, growth_interval, enabled)

    class Autocast(autocast):
        def __init__(self, enabled=True, dtype=default_dtype, cache_enabled=True):
            warnings.warn(f"`torch.{device_type}.amp.autocast(args...)` is deprecated. Please use "
                          f"`torch.amp.autocast('{device_type}', args...)` instead.", FutureWarning, stacklevel=2)
            super().__init__(device_type, dtype, enabled, cache_enabled)

    module = types.ModuleType(device_module.__name__ + ".amp",
                              f"torch.{device_type}.amp: deprecated spellings of torch.amp's.")
    Scaler.__name__, Autocast.__name__ = "GradScaler", "autocast"
    Scaler.__qualname__, Autocast.__qualname__ = "GradScaler", "autocast"
    module.GradScaler, module.autocast = Scaler, Autocast
    module.__spec__ = importlib.machinery.ModuleSpec(module.__name__, None)  # (`from torch.cuda.amp import`)
    device_module.amp = sys.modules[module.__name__] = module


_deprecated(cuda, None)
_deprecated(cpu, bfloat16)

__all__ = ["GradScaler", "autocast", "get_autocast_dtype", "is_autocast_available", "is_autocast_enabled"]
