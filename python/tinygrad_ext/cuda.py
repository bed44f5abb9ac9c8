"""torch.cuda: device queries. Kernels run when the extension was built with nvcc and a GPU is present."""
from . import _C


def is_available():
    return _C.cuda_is_built() and _C.cuda_device_count() > 0


def device_count():
    return _C.cuda_device_count() if _C.cuda_is_built() else 0


def _check():
    if not _C.cuda_is_built():
        raise RuntimeError("Torch not compiled with CUDA enabled (tinygrad_ext was built without CUDA)")
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
