"""A small typed program on the public API, checked by `mypy --strict` in tests/test_api_docs.py (and run there).

It trains the tutorial's two-layer net with Tensor ops and autograd, then exchanges a tensor with numpy."""
import numpy as np

import tinygrad_ext as torch
from tinygrad_ext import Tensor
from tinygrad_ext.utils import dlpack


def two_layer_net(x: Tensor, w1: Tensor, w2: Tensor) -> Tensor:
    return x.mm(w1).clamp(min=0).mm(w2)


def train(steps: int) -> float:
    torch.manual_seed(0)
    x, y = torch.randn(64, 100), torch.randn(64, 10)
    w1 = torch.randn(100, 20, requires_grad=True)
    w2 = torch.randn(20, 10, requires_grad=True)
    loss_value = 0.0
    for _ in range(steps):
        loss = (two_layer_net(x, w1, w2) - y).pow(2).sum()
        loss.backward()
        with torch.no_grad():
            for w in (w1, w2):
                grad = w.grad
                assert grad is not None
                w.sub_(1e-6 * grad)
                grad.zero_()
        loss_value = loss.item()
    return loss_value


def shapes() -> list[int]:
    t: Tensor = torch.arange(12.0).reshape(3, 4).t().contiguous()
    u = torch.cat([t, torch.zeros_like(t)], dim=0).exp().sum(dim=1, keepdim=True)
    size: torch.Size = u.shape
    assert u.dtype == torch.float32 and u.requires_grad is False
    return list(size)


def exchange() -> float:
    t = torch.ones(3)
    array = np.from_dlpack(t)
    back: Tensor = dlpack.from_dlpack(array)
    again = torch.from_dlpack(dlpack.to_dlpack(back))
    return float(again.add(t, alpha=2).sum().item())


if __name__ == "__main__":
    print(train(5), shapes(), exchange())
