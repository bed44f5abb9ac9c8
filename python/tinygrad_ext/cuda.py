"""torch.cuda: device queries. Kernels run when the extension was built with nvcc and a GPU is present."""
from . import _C


def is_available():
    return _C.cuda_is_built() and _C.cuda_device_count() > 0


def device_count():
    return _C.cuda_device_count() if _C.cuda_is_built() else 0


def _check():
    """torch's _lazy_init: AssertionError without a CUDA build, RuntimeError without a GPU."""
    if not _C.cuda_is_built():
        raise AssertionError("Torch not compiled with CUDA enabled")
    if _C.cuda_device_count() == 0:
        raise RuntimeError("No CUDA GPUs are available")


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
