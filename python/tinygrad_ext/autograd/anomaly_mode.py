"""detect_anomaly / set_detect_anomaly: name the op whose backward produced NaN.

While enabled, every graph node records the stack of its forward call, and the
engine checks each gradient a node returns; a NaN raises torch's
"Function 'XBackward0' returned nan values in its 0th output.", warning first with that stack (the user's
frames), as torch's."""
import functools
import os
import warnings

_enabled = [False]
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_GENERATED = ('  File "<op registry', '  File "<nn op registry', '  File "<numpy aliases', '  File "<tinygrad_ext.')


def user_frames(stack):
    """The frames of a recorded forward stack (traceback.format_stack's lines) up to the first one inside
    tinygrad_ext: the user's call that made the node."""
    out = []
    for frame in stack:
        if frame.startswith(('  File "' + _PACKAGE,) + _GENERATED):
            break
        out.append(frame)
    return out


def is_anomaly_enabled():
    return _enabled[0]


class detect_anomaly:
    """Context manager and decorator enabling anomaly detection."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", UserWarning, stacklevel=2)

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self.check_nan

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """set_detect_anomaly(mode): applied at once; as a context manager, undone at its end."""

    def __init__(self, mode, check_nan=True):
        self._prev = _enabled[0]
        _enabled[0] = bool(mode) and check_nan

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False
