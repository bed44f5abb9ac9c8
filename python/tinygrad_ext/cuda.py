"""torch.cuda: device queries. Kernels run when the extension was built with nvcc and a GPU is present.

When CUDA fails to initialize (e.g. a driver older than the CUDA runtime the extension was built with),
is_available() is False as in torch, and the first is_available()/device_count() warns once with torch's
UserWarning "CUDA initialization: <why>"; unavailable_reason() says why no GPU is usable in every case
(no CUDA build, no driver, no device, a failed initialization).
"""
import warnings

from . import _C


class OutOfMemoryError(RuntimeError):
    """torch.cuda.OutOfMemoryError: a GPU allocation failed even after the caching allocator gave its cached
    blocks back to the driver and retried (the size class, then the exact request). Nothing is left half done:
    free some tensors (``del``), call empty_cache(), and go on using the GPU."""


# Reasons that only say there is nothing to use (torch is silent about these): no warning.
_ABSENT = ("No CUDA GPUs are available", "Found no NVIDIA driver")
_NOT_BUILT = ("Torch not compiled with CUDA enabled (tinygrad_ext was built without CUDA: nvcc was not found "
              "when it was built, or TG_WITH_CUDA=OFF)")
_status = None  # (failed, reason): fixed for the life of the process, as the set of visible devices is
_warned = False


def _init_status():
    """(failed, reason): reason None when at least one GPU is visible; failed when the reason is a broken
    set-up rather than the absence of a driver or GPU."""
    global _status
    if _status is None:
        if not _C.cuda_is_built():
            _status = (False, _NOT_BUILT)
        elif _C.cuda_device_count() > 0:
            _status = (False, None)
        else:
            try:  # without a GPU the core raises why (the initialization error it kept)
                _C.cuda_get_device_properties(0)
                reason = "No CUDA GPUs are available"
            except RuntimeError as e:
                reason = str(e) or "No CUDA GPUs are available"
            _status = (not reason.startswith(_ABSENT), reason)
    return _status


def _warn_once():
    global _warned
    failed, reason = _init_status()
    if failed and not _warned:
        _warned = True
        warnings.warn("CUDA initialization: " + reason, UserWarning, stacklevel=3)


def unavailable_reason():
    """None when a GPU is visible; else why is_available() is False, e.g. 'The NVIDIA driver on your system
    is too old (found version 12080, ...)', 'Found no NVIDIA driver on your system ...', 'No CUDA GPUs are
    available', or that the extension was built without CUDA."""
    return _init_status()[1]


def is_available():
    _warn_once()
    return _init_status()[1] is None


def device_count():
    if not _C.cuda_is_built():
        return 0
    _warn_once()
    return _C.cuda_device_count()


def _check():
    """torch's _lazy_init: AssertionError without a CUDA build, RuntimeError (saying why) without a GPU."""
    if not _C.cuda_is_built():
        raise AssertionError("Torch not compiled with CUDA enabled")
    if _C.cuda_device_count() == 0:
        _warn_once()
        raise RuntimeError(_init_status()[1])


def current_device():
    _check()
    return 0


def synchronize(device=None):
    _check()
    _C.cuda_synchronize()


def manual_seed(seed):
    _C.manual_seed(int(seed))


manual_seed_all = manual_seed


def _index(device):
    if device is None:
        return 0
    if isinstance(device, int):
        return device
    from ._device import as_device
    return as_device(device).index or 0


def memory_allocated(device=None):
    """Bytes held by live tensors (and scratch buffers) on the device."""
    return _C.cuda_memory_allocated(_index(device))


def max_memory_allocated(device=None):
    return _C.cuda_max_memory_allocated(_index(device))


def memory_reserved(device=None):
    """Bytes obtained from cudaMalloc: allocated plus the caching allocator's free blocks."""
    return _C.cuda_memory_reserved(_index(device))


def reset_peak_memory_stats(device=None):
    _C.cuda_reset_peak_memory_stats(_index(device))


def empty_cache():
    _C.cuda_empty_cache()


def malloc_count():
    """cudaMalloc calls so far: flat in a training loop's steady state (the caching allocator reuses blocks)."""
    return _C.cuda_malloc_count()


class _CudaDeviceProperties:
    """What torch.cuda.get_device_properties returns: name, total_memory (bytes), major, minor,
    multi_processor_count."""
    __slots__ = ("major", "minor", "multi_processor_count", "name", "total_memory")

    def __init__(self, name, total_memory, major, minor, multi_processor_count):
        self.name, self.total_memory = name, total_memory
        self.major, self.minor, self.multi_processor_count = major, minor, multi_processor_count

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def _device_index(device):
    """torch's _get_device_index(device, optional=True): an int, 'cuda[:N]' or torch.device; None = current."""
    if device is None:
        return current_device()
    if isinstance(device, int) and not isinstance(device, bool):
        return device
    from ._device import device as _device
    d = _device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return current_device() if d.index is None else d.index


def get_device_properties(device=None):
    _check()
    index = _device_index(device)
    if index < 0 or index >= device_count():
        raise AssertionError("Invalid device id")
    return _CudaDeviceProperties(*_C.cuda_get_device_properties(index))


def get_device_name(device=None):
    return get_device_properties(device).name


def get_device_capability(device=None):
    prop = get_device_properties(device)
    return prop.major, prop.minor
