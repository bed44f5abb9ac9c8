"""no_grad / enable_grad / set_grad_enabled / inference_mode / enforce_grad_layout_policy: context managers and
decorators."""
import functools
import inspect

from .. import _C

_state = [True]  # a list so the hot path reads one global without attribute lookups
_inference = [False]
_grad_layout_enforced = [True]  # enforce_grad_layout_policy (read by the engine's gradient accumulation)


def is_grad_enabled():
    return _state[0]


def is_inference_mode_enabled():
    """True inside `with torch.inference_mode():` (and not inside an inner inference_mode(False))."""
    return _inference[0]


def _wrap_fn(make_ctx, fn):
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            gen = fn(*args, **kwargs)
            with make_ctx():
                response = gen.send(None)
            while True:
                try:
                    with make_ctx():
                        request = yield response
                    with make_ctx():
                        response = gen.send(request)
                except StopIteration as e:
                    return e.value
        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with make_ctx():
            return fn(*args, **kwargs)
    return wrapper


class _GradMode:
    """Sets grad mode to `_enabled` inside a `with` block or a decorated function."""
    _enabled = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)  # used as a bare decorator: @torch.no_grad

    def __enter__(self):
        self._prev = _state[0]
        _state[0] = self._enabled

    def __exit__(self, *exc):
        _state[0] = self._prev
        return False

    def __call__(self, fn):
        return _wrap_fn(self.__class__, fn)

    def clone(self):
        return self.__class__()


class no_grad(_GradMode):
    """Disables gradient recording: results of ops do not require grad."""
    _enabled = False


class enable_grad(_GradMode):
    """Enables gradient recording (inside a no_grad block, for example)."""
    _enabled = True


class inference_mode(_GradMode):
    """torch.inference_mode: here the same as no_grad (mode=False: the same as enable_grad)."""
    _enabled = False

    def __new__(cls, mode=True):
        if callable(mode):  # bare decorator
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        if not callable(mode):
            self._enabled = not mode

    def __enter__(self):
        super().__enter__()
        self._prev_inference = _inference[0]
        _inference[0] = not self._enabled
        _C.set_inference_mode(_inference[0])

    def __exit__(self, *exc):
        _inference[0] = self._prev_inference
        _C.set_inference_mode(_inference[0])
        return super().__exit__(*exc)

    def __call__(self, fn):
        enabled = self._enabled
        return _wrap_fn(lambda: inference_mode(not enabled), fn)


class set_grad_enabled(_GradMode):
    """set_grad_enabled(mode): applied at once (so a bare call works), undone by the end of a with block."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self._enabled = bool(mode)
        self._prev = _state[0]
        _state[0] = self._enabled

    def __enter__(self):
        pass

    def __call__(self, fn):
        _state[0] = self._prev
        mode = self._enabled
        return _wrap_fn(lambda: set_grad_enabled(mode), fn)

    def clone(self):
        return set_grad_enabled(self._enabled)


class enforce_grad_layout_policy(_GradMode):
    """Whether the engine copies a leaf's first gradient into the gradient layout contract's layout (contiguous)
    when it arrives in another one (True, the default), or keeps it as it came when nothing else sees its memory
    (False: no copy). Applied at construction, as torch's (a bare call works), undone by the end of a with block."""

    def __new__(cls, enable=True):
        return object.__new__(cls)

    def __init__(self, enable=True):
        self.prev, self.mode = _grad_layout_enforced[0], enable
        _grad_layout_enforced[0] = bool(enable)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _grad_layout_enforced[0] = self.prev
        return False

    def __call__(self, fn):
        _grad_layout_enforced[0] = self.prev
        mode = self.mode
        return _wrap_fn(lambda: enforce_grad_layout_policy(mode), fn)

    def clone(self):
        return self.__class__(self.mode)
