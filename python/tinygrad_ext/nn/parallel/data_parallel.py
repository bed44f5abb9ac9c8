"""nn.DataParallel: the module run on the inputs as given without a GPU (torch's behaviour on a CPU-only
machine: device_ids is empty and forward is the module's), and with one GPU on that device (inputs moved there
first). Splitting a batch over several GPUs is DistributedDataParallel's job here: more than one device id
raises, naming it."""
from itertools import chain

from ... import cuda
from ..._device import device as _device
from ...tensor import Tensor
from ..modules.module import Module


def _to(obj, dev):
    """obj with its tensors (inside tuples, lists and dicts too) moved to dev."""
    if isinstance(obj, Tensor):
        return obj.to(dev)
    if isinstance(obj, (tuple, list)):
        return type(obj)(_to(x, dev) for x in obj)
    if isinstance(obj, dict):
        return {k: _to(v, dev) for k, v in obj.items()}
    return obj


def _index(d):
    if isinstance(d, _device):
        return d.index if d.index is not None else cuda.current_device()
    return int(d)


class DataParallel(Module):
    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        if not cuda.is_available():
            self.device_ids = []
            return
        device_ids = list(range(cuda.device_count())) if device_ids is None else [_index(d) for d in device_ids]
        if len(device_ids) > 1:
            raise NotImplementedError(f"DataParallel over several GPUs ({device_ids}) is not supported; use "
                                      "torch.nn.parallel.DistributedDataParallel (one process per GPU) instead")
        self.dim, self.device_ids = dim, device_ids
        self.output_device = _index(output_device) if output_device is not None else device_ids[0]
        self.src_device_obj = _device("cuda", device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(f"module must have its parameters and buffers on device {self.src_device_obj} "
                                   f"(device_ids[0]) but found one of them on device: {t.device}")
        return self.module(*_to(inputs, self.src_device_obj), **_to(kwargs, self.src_device_obj))
