"""torch.accelerator: the device-generic API the current tutorials start with
(`torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"`).
The only accelerator tinygrad_ext knows is CUDA, so each function defers to torch.cuda when a GPU is
visible and otherwise behaves as torch's CPU-only build."""
from . import cuda
from ._device import device as _device

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "current_stream", "device_count",
           "device_index", "empty_cache", "is_available", "max_memory_allocated", "memory_allocated",
           "reset_peak_memory_stats", "set_device_idx", "set_device_index", "set_stream", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def is_available():
    """True when an accelerator (here: a CUDA GPU) can be used."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """torch.device('cuda') on a CUDA build (only if one is usable when check_available), else None."""
    if cuda.device_count() == 0 or (check_available and not cuda.is_available()):
        return None
    return _device("cuda")


def device_count():
    return cuda.device_count() if is_available() else 0


def _check():
    if not is_available():
        raise RuntimeError(_NONE)


def current_device_index():
    _check()
    return cuda.current_device()


current_device_idx = current_device_index


def set_device_index(device, /):
    """Only index 0 can be current (tinygrad_ext places default-device work on cuda:0)."""
    _check()
    idx = cuda._device_index(device)
    if idx != 0:
        raise RuntimeError(f"set_device_index({idx}): tinygrad_ext's current accelerator is always index 0; "
                           f"place tensors with device='cuda:{idx}' instead")


set_device_idx = set_device_index


class device_index:
    """Context manager that makes `device` the current accelerator index inside the block (None: no-op)."""

    def __init__(self, device, /):
        self.idx = device

    def __enter__(self):
        if self.idx is not None:
            self.prev = current_device_index()
            set_device_index(self.idx)

    def __exit__(self, *exc):
        if self.idx is not None:
            set_device_index(self.prev)
        return False


def synchronize(device=None, /):
    _check()
    cuda.synchronize(device)


def current_stream(device=None, /):
    _check()
    return cuda.current_stream(device)


def set_stream(stream):
    _check()
    cuda.set_stream(stream)


def empty_cache():
    if is_available():
        cuda.empty_cache()


def memory_allocated(device_index=None, /):
    _check()
    return cuda.memory_allocated(device_index)


def max_memory_allocated(device_index=None, /):
    _check()
    return cuda.max_memory_allocated(device_index)


def reset_peak_memory_stats(device_index=None, /):
    _check()
    cuda.reset_peak_memory_stats(device_index)


class Event:
    """torch.Event(device=None, *, enable_timing=False, blocking=False, interprocess=False): the device-generic
    event. On a CUDA device (the default when one is usable) it is a torch.cuda.Event; the CPU has no events, so
    recording or waiting on a CPU event raises torch's RuntimeError."""

    def __init__(self, device=None, *, enable_timing=False, blocking=False, interprocess=False):
        self.device = _device(device) if device is not None else current_accelerator(True) or _device("cpu")
        self._event = cuda.Event(enable_timing, blocking, interprocess) if self.device.type == "cuda" else None

    def _cuda(self):
        if self._event is None:
            raise RuntimeError(f"{self.device.type} backend doesn't support events.")
        return self._event

    def record(self, stream=None):
        self._cuda().record(stream)

    def wait(self, stream=None):
        self._cuda().wait(stream)

    def query(self):
        return self._cuda().query()

    def synchronize(self):
        self._cuda().synchronize()

    def elapsed_time(self, end_event):
        return self._cuda().elapsed_time(end_event._cuda())

    def __repr__(self):
        index = -1 if self.device.index is None and self._event is None else (self.device.index or 0)
        return (f"torch.Event device_type={self.device.type}, device_index={index}, event_flag=0, "
                f"event_id={0 if self._event is None else self._event.cuda_event}")
