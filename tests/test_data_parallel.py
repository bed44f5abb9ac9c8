"""nn.DataParallel as on a machine without a GPU (device_ids empty, the module run as is; torch's behaviour) and
with one GPU (module and inputs on it); the `module.` prefix of its state_dict, its repr, gradients."""
import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn


def test_data_parallel_wraps_the_module():
    inner = nn.Linear(3, 2)
    model = nn.DataParallel(inner)
    assert model.module is inner and nn.parallel.DataParallel is nn.DataParallel
    assert repr(model) == "DataParallel(\n  (module): Linear(in_features=3, out_features=2, bias=True)\n)"
    assert list(model.state_dict()) == ["module.weight", "module.bias"]
    x = torch.randn(4, 3, requires_grad=True)
    out = model(x)
    np.testing.assert_allclose(out.detach().cpu().numpy(), inner(x).detach().numpy(), rtol=1e-6)
    out.sum().backward()
    assert inner.weight.grad is not None and tuple(x.grad.shape) == (4, 3)
    # the usual checkpoint round trip: save the wrapper's module, load into a bare model
    bare = nn.Linear(3, 2)
    bare.load_state_dict(model.module.state_dict())
    assert torch.equal(bare.weight, inner.weight.detach().cpu())


@pytest.mark.skipif(torch.cuda.is_available(), reason="the CPU-only behaviour")
def test_without_a_gpu_device_ids_are_empty():
    assert nn.DataParallel(nn.Linear(1, 1)).device_ids == []
    assert nn.DataParallel(nn.Linear(1, 1), device_ids=[0, 1]).device_ids == []  # (as torch on a CPU-only machine)


@pytest.mark.cuda
def test_one_gpu_moves_module_and_inputs():
    model = nn.DataParallel(nn.Linear(3, 2), device_ids=[0])
    assert model.device_ids == [0] and model.module.weight.device.type == "cuda"
    out = model(torch.randn(4, 3))  # a CPU input goes to the GPU
    assert out.device.type == "cuda" and tuple(out.shape) == (4, 2)
    with pytest.raises(NotImplementedError, match="DistributedDataParallel"):
        nn.DataParallel(nn.Linear(3, 2), device_ids=[0, 1])
    model.module.cpu()
    with pytest.raises(RuntimeError, match=r"module must have its parameters and buffers on device cuda:0 "
                                           r"\(device_ids\[0\]\) but found one of them on device: cpu"):
        model(torch.randn(4, 3))
