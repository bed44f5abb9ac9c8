"""CUDA kernels of issue 15 that need no host sync or no single warp per plane:

- cross_entropy / nll_loss forward + backward make 0 host syncs (targets are checked in the kernel by a device-side
  assertion, as torch's; the mean's total weight is read by the backward kernel), counted by the runtime's counters;
  a bad target fails at the next synchronizing call with torch's "device-side assert triggered" (in a subprocess:
  the CUDA context is unusable afterwards, as in torch), while the CPU keeps raising IndexError eagerly.
- max_pool2d backward runs one thread per output element (atomicAdd into the zeroed gradient): few large planes,
  overlapping and non-overlapping windows, against the CPU.
All GPU cases are marked `cuda` (skipped without a GPU); the CPU contract is checked everywhere.
"""
import subprocess
import sys

import numpy as np
import pytest
import tinygrad_ext as torch
import tinygrad_ext.nn.functional as F


def test_cpu_targets_still_raise_eagerly():
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.cross_entropy(torch.randn(2, 5), torch.tensor([1, 5]))
    with pytest.raises(IndexError, match="Target -2 is out of bounds."):
        F.nll_loss(torch.randn(2, 5), torch.tensor([-2, 0]), reduction="none")


@pytest.mark.cuda
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_class_loss_step_makes_no_host_sync(loss, reduction):
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.standard_normal((64, 10)).astype(np.float32)).cuda().requires_grad_()
    t = torch.from_numpy(rng.integers(0, 10, 64)).cuda()
    t[3] = -100  # an ignored row
    w = torch.rand(10, device="cuda")
    fn = getattr(F, loss)

    def step():
        x.grad = None
        out = fn(x, t, weight=w, reduction=reduction)
        (out if reduction != "none" else out.sum()).backward()
        return out

    step()
    torch.cuda.synchronize()
    before = torch.cuda._counters()
    for _ in range(3):
        out = step()
    after = torch.cuda._counters()
    assert after["host_syncs"] == before["host_syncs"], (before, after)
    # and the values are the CPU's
    xc = x.detach().cpu().requires_grad_()
    ref = fn(xc, t.cpu(), weight=w.cpu(), reduction=reduction)
    (ref if reduction != "none" else ref.sum()).backward()
    np.testing.assert_allclose(out.detach().cpu().numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.cpu().numpy(), xc.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_bad_cuda_target_is_a_device_side_assert(loss):
    code = ("import tinygrad_ext as torch, tinygrad_ext.nn.functional as F\n"
            f"out = F.{loss}(torch.randn(2, 5, device='cuda'), torch.tensor([1, 5], device='cuda'))\n"
            "try:\n    out.item()\nexcept RuntimeError as e:\n    print('raised', e)\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert "raised" in run.stdout and "device-side assert triggered" in run.stdout, run.stdout + run.stderr


@pytest.mark.cuda
@pytest.mark.parametrize("kernel, stride, padding, dilation", [(2, 2, 0, 1), (3, 1, 1, 1), (3, 2, 1, 2)])
def test_max_pool2d_backward_few_large_planes(kernel, stride, padding, dilation):
    rng = np.random.default_rng(1)
    xn = rng.standard_normal((1, 2, 300, 257)).astype(np.float32)
    xn[0, 0, :8, :8] = 1.0  # ties: the first maximum of a window takes the gradient
    gy = None
    gx = {}
    for dev in ("cpu", "cuda"):
        x = torch.from_numpy(xn).to(dev).requires_grad_()
        y = F.max_pool2d(x, kernel, stride, padding, dilation)
        if gy is None:
            gy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
        y.backward(torch.from_numpy(gy).to(dev))
        gx[dev] = x.grad.cpu().numpy()
    # non-overlapping windows: one addition per element, exactly the CPU's; overlapping: order may differ
    exact = stride >= kernel
    np.testing.assert_allclose(gx["cuda"], gx["cpu"], rtol=0 if exact else 1e-6, atol=0 if exact else 1e-6)
