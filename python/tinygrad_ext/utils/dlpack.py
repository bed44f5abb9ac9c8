"""torch.utils.dlpack: zero-copy tensor exchange through DLPack capsules (numpy, PyTorch, CuPy, JAX, ...).

`Tensor.__dlpack__` / `__dlpack_device__` make our tensors consumable by `np.from_dlpack`,
`torch.from_dlpack`, `cupy.from_dlpack`; `from_dlpack` takes any object with `__dlpack__` (or a capsule).
The capsules are built in the core (csrc/bindings/dlpack.cpp): an exported capsule keeps our storage
alive, an imported tensor keeps the producer's memory alive, each until the other side lets go.

CUDA streams: every kernel of ours runs on CUDA's legacy default stream. Exporting with `stream=-1`
(torch's default) or `1`/`None` (the legacy default stream) synchronizes nothing; any other stream
waits for all of our queued work (a device synchronize) before the capsule is handed out. Importing
a CUDA tensor asks its producer for the legacy default stream (`stream=1`).

Deliberately not copied from PyTorch: a producer's read-only tensor (DLPack 1.x's READ_ONLY flag, e.g. a
read-only numpy array) is copied rather than aliased (torch aliases it and lets in-place ops write into
it), as `from_numpy` does here; so are views with negative strides, which torch cannot represent.
"""
import enum
from typing import Any, Optional

from .. import _C
from .._device import as_device
from ..tensor import Tensor, _wrap

__all__ = ["DLDeviceType", "from_dlpack", "to_dlpack"]


class DLDeviceType(enum.IntEnum):
    """DLPack's device type codes (the first element of `__dlpack_device__()`)."""
    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14


def _dl_device(device):
    return (DLDeviceType.kDLCUDA, device.index or 0) if device.type == "cuda" else (DLDeviceType.kDLCPU, 0)


def __dlpack_device__(self):
    """Tensor.__dlpack_device__() -> (DLDeviceType, device index), as torch: (kDLCPU, 0) or (kDLCUDA, i)."""
    return _dl_device(self.device)


def __dlpack__(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
    """Tensor.__dlpack__(*, stream=-1, max_version=None, dl_device=None, copy=None) -> PyCapsule

    Exports the tensor as a DLPack capsule sharing its memory: "dltensor_versioned" (DLPack 1.x) when
    the consumer's `max_version` is (1, 0) or newer, else the legacy "dltensor". `stream`: the consumer's
    CUDA stream (an int; -1 = no synchronization); on the CPU it must be None or -1. `dl_device`: a
    (DLDeviceType, index) to export on (another device copies); `copy=True` exports a copy (flagged
    IS_COPIED), `copy=False` refuses to copy.
    """
    if self.requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if stream is not None and type(stream) is not int:
        raise TypeError("stream must be ``int`` or ``none``")
    if self.is_cuda and stream not in (-1, None, 1):
        if stream == 2:
            raise BufferError("per-thread default stream is not supported.")
        if stream == 0:
            raise AssertionError("unsupported stream on CUDA: 0.")  # (torch's exception type)
        _C.cuda_synchronize()  # the consumer's stream then sees all our work done
    elif not self.is_cuda and stream not in (-1, None):
        raise AssertionError("stream should be None on cpu.")  # (torch's exception type)
    t, copied = self, False
    if dl_device is not None and (int(dl_device[0]), int(dl_device[1])) != tuple(self.__dlpack_device__()):
        if copy is False:
            raise BufferError(f"__dlpack__: exporting a tensor on {self.device} to DLPack device "
                              f"{tuple(dl_device)} needs a copy, but copy=False")
        t, copied = self.to(_device_of(dl_device), copy=True), True
    elif copy:
        t, copied = self.clone(), True
    versioned = max_version is not None and max_version[0] >= 1
    return _C.to_dlpack(t._impl, versioned, copied)


def _device_of(dl_device):
    kind, index = int(dl_device[0]), int(dl_device[1])
    if kind in (DLDeviceType.kDLCPU, DLDeviceType.kDLCUDAHost):
        return as_device("cpu")
    if kind in (DLDeviceType.kDLCUDA, DLDeviceType.kDLCUDAManaged):
        return as_device(f"cuda:{index}")
    raise BufferError(f"DLPack device {tuple(dl_device)} is not one tinygrad_ext has (CPU and CUDA)")


def to_dlpack(tensor: Tensor) -> Any:
    """to_dlpack(tensor) -> PyCapsule: a legacy "dltensor" capsule sharing the tensor's memory (torch.utils.dlpack)."""
    return _C.to_dlpack(tensor._impl, False)


def from_dlpack(ext_tensor: Any, *, device: Any = None, copy: Optional[bool] = None) -> Tensor:
    """from_dlpack(ext_tensor, *, device=None, copy=None) -> Tensor

    A tensor sharing memory with `ext_tensor`: an object with `__dlpack__` and `__dlpack_device__` (a numpy
    array, a torch or CuPy tensor, one of ours) or a DLPack capsule (consumable once). `device`: where the
    result goes (another device copies); `copy=True` always copies, `copy=False` never does (BufferError
    when the producer's tensor is read-only or strided backwards, which are taken as copies).
    """
    if not hasattr(ext_tensor, "__dlpack__"):
        if device is not None or copy is not None:
            raise AssertionError("device and copy kwargs not supported when ext_tensor is already a DLPack capsule.")
        return _wrap(_C.from_dlpack(ext_tensor))
    kwargs = {"max_version": (1, 0)}
    if copy is not None:
        kwargs["copy"] = copy
    source = ext_tensor.__dlpack_device__()
    if int(source[0]) in (DLDeviceType.kDLCUDA, DLDeviceType.kDLCUDAManaged):
        kwargs["stream"] = 1  # our kernels run on the legacy default stream
    try:
        capsule = ext_tensor.__dlpack__(**kwargs)
        core_copy = None if copy else copy  # (a producer that copied has done it)
    except TypeError:  # a producer older than DLPack 1.0's keywords
        kwargs.pop("max_version")
        kwargs.pop("copy", None)
        capsule = ext_tensor.__dlpack__(**kwargs)
        core_copy = copy
    t = _wrap(_C.from_dlpack(capsule, core_copy))
    if device is not None and as_device(device) != t.device:
        if copy is False:
            raise ValueError(f"cannot move DLPack tensor from device {tuple(source)} to {as_device(device)} "
                             "without copying. Set copy=None or copy=True.")
        t = t.to(as_device(device))
    return t


Tensor.__dlpack__ = __dlpack__
Tensor.__dlpack_device__ = __dlpack_device__
