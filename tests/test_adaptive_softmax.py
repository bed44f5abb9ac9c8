"""nn.AdaptiveLogSoftmaxWithLoss against a float64 numpy reference of its equations."""
import numpy as np
import pytest

import tinygrad_ext as torch
from tinygrad_ext import nn


def _log_softmax(z):
    z = z - z.max(1, keepdims=True)
    return z - np.log(np.exp(z).sum(1, keepdims=True))


def _reference_log_prob(m, x):
    w = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    head = _log_softmax(x @ w["head.weight"].T + (w["head.bias"] if m.head_bias else 0))
    parts = [head[:, :m.shortlist_size]]
    for i in range(m.n_clusters):
        tail = _log_softmax(x @ w[f"tail.{i}.0.weight"].T @ w[f"tail.{i}.1.weight"].T)
        parts.append(tail + head[:, m.shortlist_size + i:m.shortlist_size + i + 1])
    return np.concatenate(parts, 1)


def _model(head_bias=False):
    torch.manual_seed(0)
    return nn.AdaptiveLogSoftmaxWithLoss(16, 20, [4, 10, 15], div_value=2.0, head_bias=head_bias).double()


@pytest.mark.parametrize("head_bias", [False, True])
def test_forward_log_prob_and_predict(head_bias):
    m = _model(head_bias)
    assert [tuple(t[0].weight.shape) + tuple(t[1].weight.shape) for t in m.tail] == \
        [(8, 16, 6, 8), (4, 16, 5, 4), (2, 16, 5, 2)]
    x = np.random.default_rng(1).standard_normal((7, 16))
    target = np.array([0, 3, 4, 9, 10, 14, 19])
    ref = _reference_log_prob(m, x)
    out = m(torch.tensor(x), torch.tensor(target))
    np.testing.assert_allclose(out.output.detach().numpy(), ref[np.arange(7), target], rtol=1e-12)
    np.testing.assert_allclose(out.loss.item(), -ref[np.arange(7), target].mean(), rtol=1e-12)
    np.testing.assert_allclose(m.log_prob(torch.tensor(x)).detach().numpy(), ref, rtol=1e-12)
    np.testing.assert_array_equal(m.predict(torch.tensor(x)).numpy(), ref.argmax(1))
    assert type(out).__name__ == "_ASMoutput" and out[1] is out.loss


def test_gradients_and_unbatched_input():
    m = _model()
    x = torch.tensor(np.random.default_rng(2).standard_normal((5, 16)), requires_grad=True)
    target = torch.tensor([1, 12, 5, 19, 0])
    assert torch.autograd.gradcheck(lambda x: m(x, target).loss, (x,))
    single = m(x[2], target[2])
    assert single.output.dim() == 0
    torch.testing.assert_close(single.output, m(x, target).output[2])


def test_bad_arguments():
    with pytest.raises(ValueError, match="sequence of length larger than 0"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [])
    with pytest.raises(ValueError, match="unique, positive integers sorted"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [5, 3])
    with pytest.raises(ValueError, match="between 1 and n_classes-1"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 10])
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3])
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        m(torch.randn(2, 8), torch.tensor([1, 10]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        m(torch.randn(3, 8), torch.tensor([1, 2]))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        m(torch.randn(2, 8), torch.tensor([[1], [2]]))
