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
