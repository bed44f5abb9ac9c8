"""torch.amp: autocast regions and GradScaler; also torch.cuda.amp's deprecated spellings of both."""
import sys
import types
import warnings

from .. import cuda
from .autocast_mode import autocast, get_autocast_dtype, is_autocast_enabled
from .grad_scaler import GradScaler


def is_autocast_available(device_type):
    return device_type in ("cpu", "cuda")


class _CudaGradScaler(GradScaler):
    """torch.cuda.amp.GradScaler (deprecated): torch.amp.GradScaler('cuda', ...)."""

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        warnings.warn("`torch.cuda.amp.GradScaler(args...)` is deprecated. Please use "
                      "`torch.amp.GradScaler('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)


class _CudaAutocast(autocast):
    """torch.cuda.amp.autocast (deprecated): torch.autocast('cuda', ...)."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        warnings.warn("`torch.cuda.amp.autocast(args...)` is deprecated. Please use "
                      "`torch.amp.autocast('cuda', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", dtype, enabled, cache_enabled)


_CudaGradScaler.__name__ = _CudaGradScaler.__qualname__ = "GradScaler"
_CudaAutocast.__name__ = _CudaAutocast.__qualname__ = "autocast"

# torch.cuda.amp is a module: `from torch.cuda.amp import GradScaler, autocast` must work.
cuda.amp = types.ModuleType(cuda.__name__ + ".amp", "torch.cuda.amp: deprecated spellings of torch.amp's.")
cuda.amp.GradScaler, cuda.amp.autocast = _CudaGradScaler, _CudaAutocast
sys.modules[cuda.amp.__name__] = cuda.amp

__all__ = ["GradScaler", "autocast", "get_autocast_dtype", "is_autocast_available", "is_autocast_enabled"]
