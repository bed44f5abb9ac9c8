"""torch.autocast: a region (context manager or decorator) in which ops run in a lower-precision dtype where torch's
op lists say so (the state and the lists: tinygrad_ext/_autocast.py)."""
import functools

from .. import _dtype
from .._autocast import _DEFAULT_DTYPE, _STATE, _SUPPORTED, ACTIVE, is_autocast_enabled

__all__ = ["autocast", "get_autocast_dtype", "is_autocast_enabled"]


def get_autocast_dtype(device_type):
    return _STATE[device_type][1] or getattr(_dtype, _DEFAULT_DTYPE[device_type])


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context manager and a
    decorator."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type not in _STATE:
            raise RuntimeError(f"User specified an unsupported autocast device_type '{device_type}'")
        self.device = device_type
        name = get_autocast_dtype(device_type).name if dtype is None else dtype.name  # (set_autocast_dtype's)
        if enabled and name not in _SUPPORTED[device_type]:
            raise RuntimeError(f"In {device_type.upper()} autocast, but the target dtype is not supported. "
                               f"Disabling autocast.\n{device_type.upper()} Autocast only supports dtypes of "
                               f"{', '.join('torch.' + n for n in _SUPPORTED[device_type])} currently.")
        self.fast_dtype_name, self._enabled = name, bool(enabled)
        self._saved = []

    def __enter__(self):
        state = _STATE[self.device]
        self._saved.append(list(state))
        state[0], state[1] = self._enabled, getattr(_dtype, self.fast_dtype_name, None)
        ACTIVE[0] = any(s[0] for s in _STATE.values())
        return self

    def __exit__(self, *exc):
        _STATE[self.device][:] = self._saved.pop()
        ACTIVE[0] = any(s[0] for s in _STATE.values())
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapper
