"""Tensors as Python objects: user attributes, copy.deepcopy, pickle, and nn.Buffer, as torch's behave."""
import copy
import pickle

import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import nn


def test_user_attributes_live_on_the_tensor():
    x = torch.ones(2)
    x.tag = "weights"
    assert x.tag == "weights" and x.__dict__ == {"tag": "weights"}
    assert x.clone().__dict__ == {} and x.detach().__dict__ == {}


def test_deepcopy_keeps_requires_grad_grad_and_attributes():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    x.grad = torch.tensor([0.5, 0.25])
    x.meta = [1]
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and y.grad_fn is None
    np.testing.assert_array_equal(y.detach().numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(y.grad.numpy(), [0.5, 0.25])
    assert y.meta == [1] and y.meta is not x.meta
    y.detach().add_(1)  # a copy, not a view
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


def test_deepcopy_shares_through_the_memo():
    x = torch.ones(3)
    a, b = copy.deepcopy([x, x])
    assert a is b


def test_deepcopy_of_a_non_leaf_raises_torchs_error():
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(x * 2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64,
                                   torch.int8, torch.bool])
def test_pickle_round_trip_keeps_dtype(dtype):
    x = torch.tensor([1, 0, 1], dtype=dtype)
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype == dtype
    assert torch.equal(y, x)


def test_pickle_keeps_requires_grad_and_attributes():
    x = torch.tensor([3.0], requires_grad=True)
    x.name_tag = "w"
    y = pickle.loads(pickle.dumps(x))
    assert y.requires_grad and y.name_tag == "w" and y.grad is None


def test_buffer_assignment_registers_a_buffer():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.running = nn.Buffer(torch.zeros(3))
            self.scratch = nn.Buffer(torch.ones(2), persistent=False)
            self.plain = torch.ones(1)

    m = M()
    assert [n for n, _ in m.named_buffers()] == ["running", "scratch"]
    assert list(m.state_dict()) == ["running"]
    assert isinstance(m.running, nn.Buffer) and isinstance(m.running, torch.Tensor)
    assert not isinstance(m.plain, nn.Buffer) and not isinstance(torch.ones(1), nn.Buffer)
    m.running = torch.full((3,), 2.0)  # a plain tensor into a buffer's name stays a buffer
    assert m._buffers["running"] is m.running


def test_buffer_detaches_and_keeps_requires_grad():
    w = torch.ones(2, requires_grad=True)
    b = nn.Buffer(w * 1)
    assert b.grad_fn is None and b.requires_grad
    assert nn.Buffer().shape == (0,)


def test_buffer_rejects_a_non_tensor():
    with pytest.raises(AttributeError):
        nn.Buffer([1.0, 2.0])


def test_size_arithmetic_stays_a_size():
    s = torch.Size([2, 3])
    for r in (s + (4,), (1,) + s, s * 2, 2 * s, s[0:1], s + s):
        assert type(r) is torch.Size
    assert s + (4,) == (2, 3, 4) and (1,) + s == (1, 2, 3)
    with pytest.raises(TypeError, match=r"can only concatenate tuple \(not list\) to torch.Size"):
        s + [1]
