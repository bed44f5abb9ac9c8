"""torch's top-level autocast state functions: set_autocast_enabled/set_autocast_dtype, the cache and nesting
counters, and the deprecated per-device spellings (torch.get_autocast_cpu_dtype() ...) with torch's
DeprecationWarning naming the replacement. The state they read and write is torch.autocast's (_autocast.py)."""
import warnings

from ._autocast import _STATE, ACTIVE
from .amp.autocast_mode import get_autocast_dtype, is_autocast_enabled

_cache_enabled = [True]
_nesting = [0]


def _device_state(device_type):
    if device_type not in _STATE:
        raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {device_type}")
    return _STATE[device_type]


def set_autocast_enabled(device_type, enabled=None):
    """set_autocast_enabled(device_type, enabled), or set_autocast_enabled(enabled) for CUDA: turns autocast on
    or off for the device type outside any ``with torch.autocast(...)`` (that region restores it at exit)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    if not isinstance(enabled, bool):
        raise TypeError(f"set_autocast_enabled(): argument 'enabled' must be bool, not {type(enabled).__name__}")
    state = _device_state(device_type)
    state[0], state[1] = enabled, get_autocast_dtype(device_type)  # (the dtype: set_autocast_dtype's or default)
    ACTIVE[0] = any(s[0] for s in _STATE.values())


def set_autocast_dtype(device_type, dtype):
    """The dtype autocast regions of device_type use when torch.autocast() is given none."""
    _device_state(device_type)[1] = dtype


def _deprecated(old, new):
    warnings.warn(f"torch.{old} is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def get_autocast_cpu_dtype():
    """Deprecated: torch.get_autocast_dtype('cpu')."""
    _deprecated("get_autocast_cpu_dtype()", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def get_autocast_gpu_dtype():
    """Deprecated: torch.get_autocast_dtype('cuda')."""
    _deprecated("get_autocast_gpu_dtype()", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def is_autocast_cpu_enabled():
    """Deprecated: torch.is_autocast_enabled('cpu')."""
    _deprecated("is_autocast_cpu_enabled()", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled):
    """Deprecated: torch.set_autocast_enabled('cpu', enabled)."""
    _deprecated("set_autocast_cpu_enabled(enabled)", "set_autocast_enabled('cpu', enabled)")
    set_autocast_enabled("cpu", enabled)


def set_autocast_cpu_dtype(dtype):
    """Deprecated: torch.set_autocast_dtype('cpu', dtype)."""
    _deprecated("set_autocast_cpu_dtype(dtype)", "set_autocast_dtype('cpu', dtype)")
    set_autocast_dtype("cpu", dtype)


def set_autocast_gpu_dtype(dtype):
    """Deprecated: torch.set_autocast_dtype('cuda', dtype)."""
    _deprecated("set_autocast_gpu_dtype(dtype)", "set_autocast_dtype('cuda', dtype)")
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled():
    """Whether autocast may cache the lower-precision copies of weights (True unless turned off; tinygrad_ext
    casts at each use and caches nothing)."""
    return _cache_enabled[0]


def set_autocast_cache_enabled(enabled):
    """Sets is_autocast_cache_enabled()."""
    _cache_enabled[0] = bool(enabled)


def clear_autocast_cache():
    """Empties autocast's cache of cast weights (tinygrad_ext keeps none: nothing to free)."""


def autocast_increment_nesting():
    """Counts one more nested autocast region; returns the new depth."""
    _nesting[0] += 1
    return _nesting[0]


def autocast_decrement_nesting():
    """Counts one nested autocast region less; returns the new depth."""
    _nesting[0] -= 1
    return _nesting[0]
