"""torch.cpu: the device-generic calls for the CPU (is_available, device_count, synchronize, streams, which on the
CPU run everything in order) and torch.cpu.amp's deprecated spellings (set by the amp package)."""
import contextlib

__all__ = ["Event", "Stream", "StreamContext", "current_device", "current_stream", "device_count", "is_available",
           "is_initialized", "set_device", "stream", "synchronize"]


def is_available():
    return True


def is_initialized():
    return True


def device_count(device=None):
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """Accepted (there is one CPU device)."""


def synchronize(device=None):
    """Returns at once: CPU kernels have finished when their call returns."""


class Stream:
    """The CPU's one in-order stream (torch.cpu.Stream): waiting on it or on an event returns at once."""

    def __init__(self, priority=-1):
        self.priority = priority

    def wait_stream(self, stream):
        pass

    def wait_event(self, event):
        pass

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event


class Event:
    """torch.cpu.Event: completed as soon as it is recorded."""

    def record(self, stream=None):
        pass

    def wait(self, stream=None):
        pass

    def query(self):
        return True

    def synchronize(self):
        pass


_CURRENT = [Stream()]


def current_stream(device=None):
    return _CURRENT[0]


class StreamContext(contextlib.AbstractContextManager):
    """with torch.cpu.stream(s): s is the current stream inside (None: unchanged)."""

    def __init__(self, stream):
        self.stream, self._prev = stream, None

    def __enter__(self):
        self._prev = _CURRENT[0]
        if self.stream is not None:
            _CURRENT[0] = self.stream
        return self.stream

    def __exit__(self, *exc):
        _CURRENT[0] = self._prev


def stream(stream):
    return StreamContext(stream)


__path__ = []  # (a package to the import system: `from torch.cpu.amp import autocast` resolves from sys.modules)
