"""Lazy modules (the d2l.ai book's everyday layers): placeholders until the first forward, then the eager layer
with the input's size and the eager initialization; an optimizer made before the first forward trains them;
load_state_dict materializes them; torch's reprs and errors."""
import copy

import numpy as np
import pytest
import tinygrad_ext as torch
from tinygrad_ext import nn


def test_lazy_linear_becomes_linear():
    m = nn.LazyLinear(3)
    assert repr(m) == "LazyLinear(in_features=0, out_features=3, bias=True)"
    assert isinstance(m.weight, nn.UninitializedParameter) and repr(m.weight) == "<UninitializedParameter>"
    assert m.has_uninitialized_params()
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter or buffer"):
        _ = m.weight.shape
    x = torch.randn(4, 5)
    out = m(x)
    assert type(m) is nn.Linear and m.in_features == 5 and repr(m) == "Linear(in_features=5, out_features=3, bias=True)"
    assert type(m.weight) is nn.Parameter and tuple(m.weight.shape) == (3, 5) and tuple(m.bias.shape) == (3,)
    assert np.abs(m.weight.detach().numpy()).max() <= 1 / np.sqrt(5)  # Linear's U(-1/sqrt(in), 1/sqrt(in))
    np.testing.assert_allclose(out.detach().numpy(), x.numpy() @ m.weight.detach().numpy().T + m.bias.detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    assert not m._forward_pre_hooks  # the initializing hook is gone


def test_optimizer_made_before_the_first_forward():
    net = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    x = torch.randn(4, 5)
    net(x).sum().backward()
    before = net[0].weight.detach().clone()
    opt.step()
    assert not torch.equal(before, net[0].weight.detach())  # the same Parameter objects, now materialized, learn
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear"]


def test_lazy_conv_and_norm_layers():
    cnn = nn.Sequential(nn.LazyConv2d(6, 5, padding=2), nn.Sigmoid(), nn.AvgPool2d(2, 2), nn.LazyConv2d(16, 5),
                        nn.LazyBatchNorm2d(), nn.Flatten(), nn.LazyLinear(10))
    assert repr(cnn[0]) == "LazyConv2d(0, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))"
    assert repr(cnn[4]) == ("LazyBatchNorm2d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                            "track_running_stats=True)")
    assert isinstance(cnn[4].running_mean, nn.UninitializedBuffer)
    assert tuple(cnn(torch.randn(2, 1, 28, 28)).shape) == (2, 10)
    assert [type(m).__name__ for m in cnn] == ["Conv2d", "Sigmoid", "AvgPool2d", "Conv2d", "BatchNorm2d", "Flatten",
                                               "Linear"]
    assert tuple(cnn[3].weight.shape) == (16, 6, 5, 5) and cnn[6].in_features == 16 * 10 * 10
    assert cnn[4].num_batches_tracked.item() == 1 and tuple(cnn[4].running_var.shape) == (16,)
    t = nn.LazyConvTranspose2d(4, 3)
    t(torch.ones(1, 2, 5, 5))
    assert repr(t) == "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=(1, 1))"
    assert tuple(t.weight.shape) == (2, 4, 3, 3)
    inorm = nn.LazyInstanceNorm1d()  # (torch's defaults here: affine, tracking running statistics)
    assert inorm.affine and inorm.track_running_stats
    assert tuple(inorm(torch.randn(2, 3, 7)).shape) == (2, 3, 7) and type(inorm) is nn.InstanceNorm1d
    assert tuple(inorm.weight.shape) == (3,) and tuple(inorm.running_mean.shape) == (3,)


def test_load_state_dict_and_deepcopy():
    src = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 2))
    lazy = nn.Sequential(nn.LazyLinear(8), nn.ReLU(), nn.LazyLinear(2))
    clone = copy.deepcopy(lazy)
    assert isinstance(clone[0].weight, nn.UninitializedParameter)
    assert str(lazy.load_state_dict(src.state_dict())) == "<All keys matched successfully>"
    x = torch.randn(3, 5)
    assert torch.equal(lazy(x), src(x))
