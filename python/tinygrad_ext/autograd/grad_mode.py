"""no_grad / enable_grad / set_grad_enabled: context managers and decorators."""
import functools

_state = [True]  # a list so the hot path reads one global without attribute lookups


def is_grad_enabled():
    return _state[0]


class _GradMode:
    _enabled = True

    def __enter__(self):
        self._prev = _state[0]
        _state[0] = self._enabled

    def __exit__(self, *exc):
        _state[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    _enabled = False


class enable_grad(_GradMode):
    _enabled = True


class set_grad_enabled(_GradMode):
    def __init__(self, mode):
        self._enabled = bool(mode)
        self._prev = _state[0]
        _state[0] = self._enabled  # torch applies it on construction, so a bare call works too

    def __enter__(self):
        pass

    def __call__(self, fn):
        _state[0] = self._prev
        mode = self._enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
